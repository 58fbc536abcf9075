# shellcheck shell=bash
# The one helper every test script sources for its steps, checks, timings and closing line
# (tests/run-all, tests/chart/run, tests/tools/install, images/build, tests/e2e/*).
#
#   . tests/harness.sh
#   harness_begin LABEL         first call: LABEL names the output and the closing line; it sets
#                               errtrace (set -E) and an ERR trap, which the script leaves alone
#   step NAME [LOG...]          a fail-fast step (for `set -e` scripts): announced and timed by the
#   step_done                   next step_done; a command failing in between ends the script with
#                               `LABEL: FAILED at step: NAME (exit N)` and the last lines of each LOG
#   run_step NAME CMD...        step NAME, CMD, step_done, in any script: a failing CMD ends it the same way
#   check NAME CMD...           one counted check in the current shell; CMD's output shown as it
#                               comes, then `ok   NAME (Ns)` or `FAIL NAME (Ns)`; returns CMD's status
#   check_quiet NAME CMD...     the same, with CMD's output shown only when it fails (its last 60 lines)
#   pass NAME / fail NAME       count an outcome the script decided itself
#   add_counts P F [NAME]       add tests counted by another runner (vitest); NAME listed when F > 0
#   name_failure NAME           list NAME among the failures at the end, counting nothing (a test
#                               that another runner counted and failed)
#   tally NAME CMD...           run another script that ends with a `WORD: N passed, M failed` line:
#                               its output shown, its counts added to ours, its timings and figures
#                               too (named `NAME: ...`)
#                               (a non-zero exit with nothing failed counts as one failure)
#   timing NAME SECONDS         record a duration: `    time: NAME: Ns` now, listed again at the end
#   figure TEXT                 record a measured figure (load results): `    figure: TEXT`, and at the end
#   harness_output              path of a file that collects the output of every check and tally
#   harness_failed              how many checks failed so far
#   harness_end [P F]           the timings, figures and failed checks, then the closing line
#                               `LABEL: P passed, F failed` (the harness's own counts unless P F are
#                               given); returns 1 when any check failed. harness_output is gone after it
#   now                         seconds since the epoch
#
# Its state is kept in _H_* variables; it reads nothing else of its caller's.

now() { date +%s; }

harness_begin() {
  _H_LABEL=$1
  _H_T0=$(now)
  _H_PASSED=0
  _H_FAILED=0
  _H_FAILURES=()
  _H_TIMINGS=()
  _H_FIGURES=()
  _H_STEP=""
  _H_STEP_LOGS=()
  _H_STEP_T0=0
  _H_OUT=""
  _H_PID=$BASHPID
  # errtrace: a command failing inside a function (a step's work) reaches the trap too.
  set -E
  trap '_h_on_error' ERR
}

# The ERR trap: only a `set -e` script inside an open step stops here, and only its main shell
# speaks (a failing subshell is reported once, where it returns); elsewhere a failing command is
# an ordinary outcome that the script handles (a check, an `||`).
_h_on_error() {
  local rc=$?
  [[ $- == *e* && -n $_H_STEP && $BASHPID == "$_H_PID" ]] || return 0
  _h_step_failed "$rc"
}

# The file of every check's output, made at the first check (a script of steps only never needs one).
_h_ensure_out() {
  [[ -n $_H_OUT ]] || _H_OUT=$(mktemp "${TMPDIR:-/tmp}/harness-$_H_LABEL.XXXXXX")
}

_h_step_failed() {
  local rc=$1 log
  echo "$_H_LABEL: FAILED at step: $_H_STEP (exit $rc, after $(($(now) - _H_STEP_T0))s)" >&2
  for log in "${_H_STEP_LOGS[@]}"; do
    [[ -f $log ]] || continue
    echo "--- last lines of $log" >&2
    tail -n 40 "$log" >&2
  done
}

step() {
  _H_STEP=$1
  shift
  _H_STEP_LOGS=("$@")
  _H_STEP_T0=$(now)
  echo "==> $_H_LABEL: $_H_STEP"
}

step_done() {
  echo "    done: $_H_STEP ($(($(now) - _H_STEP_T0))s)"
  _H_STEP=""
  _H_STEP_LOGS=()
}

# Under `set -e` the command runs as it is (an `||` would switch -e off inside it), and the ERR
# trap reports it; elsewhere its status is tested here.
run_step() {
  step "$1"
  shift
  local rc=0
  if [[ $- == *e* ]]; then
    "$@"
  else
    "$@" || rc=$?
  fi
  if ((rc != 0)); then
    _h_step_failed "$rc"
    [[ -z $_H_OUT ]] || rm -f "$_H_OUT"
    exit "$rc"
  fi
  step_done
}

pass() {
  _H_PASSED=$((_H_PASSED + 1))
  echo "ok   $*"
}

fail() {
  _H_FAILED=$((_H_FAILED + 1))
  _H_FAILURES+=("$1")
  echo "FAIL $*"
}

# The command runs in this shell (not a pipeline's subshell), so what it records stays recorded;
# its output goes through a tee that is waited for, so the outcome line comes after the last of it.
check() {
  local name=$1 t0 rc=0 fd tee_pid
  shift
  t0=$(now)
  _h_ensure_out
  exec {fd}> >(tee -a "$_H_OUT")
  tee_pid=$!
  _h_into "$fd" "$@" || rc=$?
  exec {fd}>&-
  wait "$tee_pid"
  _h_outcome "$name" "$rc" "$t0"
}

# _h_into FD CMD...: CMD with its stdout and stderr on FD, and FD itself closed for it, so that a
# process CMD leaves running (a controller it starts) does not keep the tee waiting.
_h_into() {
  local fd=$1
  shift
  "$@" >&"$fd" 2>&1 {fd}>&-
}

check_quiet() {
  local name=$1 t0 rc=0 log
  shift
  t0=$(now)
  _h_ensure_out
  log=$(mktemp "${TMPDIR:-/tmp}/harness-check.XXXXXX")
  "$@" >"$log" 2>&1 || rc=$?
  cat "$log" >>"$_H_OUT"
  _h_outcome "$name" "$rc" "$t0"
  ((rc == 0)) || sed 's/^/     | /' "$log" | tail -n 60
  rm -f "$log"
  return "$rc"
}

_h_outcome() {
  local name=$1 rc=$2 t0=$3
  if ((rc == 0)); then pass "$name ($(($(now) - t0))s)"; else fail "$name" "($(($(now) - t0))s)"; fi
  return "$rc"
}

add_counts() {
  _H_PASSED=$((_H_PASSED + $1))
  _H_FAILED=$((_H_FAILED + $2))
  (($2 == 0)) || [[ -z ${3:-} ]] || _H_FAILURES+=("$3")
}

name_failure() {
  _H_FAILURES+=("$1")
}

tally() {
  local name=$1 t0 rc=0 log p f line fd tee_pid
  shift
  t0=$(now)
  _h_ensure_out
  log=$(mktemp "${TMPDIR:-/tmp}/harness-tally.XXXXXX")
  exec {fd}> >(tee "$log")
  tee_pid=$!
  _h_into "$fd" "$@" || rc=$?
  exec {fd}>&-
  wait "$tee_pid"
  cat "$log" >>"$_H_OUT"
  line=$(sed -nE 's/^[A-Za-z0-9_.-]+: ([0-9]+) passed, ([0-9]+) failed.*$/\1 \2/p' "$log" | tail -n 1)
  read -r p f <<<"${line:-0 0}"
  if ((rc != 0 && f == 0)); then f=1; fi
  add_counts "$p" "$f" "$name"
  while IFS= read -r line; do _H_TIMINGS+=("$name: $line"); done < <(sed -n 's/^    time: //p' "$log")
  while IFS= read -r line; do _H_FIGURES+=("$name: $line"); done < <(sed -n 's/^    figure: //p' "$log")
  rm -f "$log"
  timing "$name" $(($(now) - t0))
  return "$rc"
}

timing() {
  _H_TIMINGS+=("$1: $2s")
  echo "    time: $1: $2s"
}

figure() {
  _H_FIGURES+=("$*")
  echo "    figure: $*"
}

# Called as $(harness_output), in a subshell: it names the file, never makes one (no check yet: /dev/null).
harness_output() { echo "${_H_OUT:-/dev/null}"; }
harness_failed() { echo "$_H_FAILED"; }

harness_end() {
  local passed=${1:-$_H_PASSED} failed=${2:-$_H_FAILED}
  echo
  if ((${#_H_TIMINGS[@]})); then
    echo "==> $_H_LABEL: timings"
    printf '    %s\n' "${_H_TIMINGS[@]}"
  fi
  echo "    $_H_LABEL in all: $(($(now) - _H_T0))s"
  if ((${#_H_FIGURES[@]})); then
    echo "==> $_H_LABEL: figures"
    printf '    %s\n' "${_H_FIGURES[@]}"
  fi
  if ((${#_H_FAILURES[@]})); then
    echo "==> $_H_LABEL: failed: $(printf '%s; ' "${_H_FAILURES[@]}" | sed 's/; $//')" >&2
  fi
  [[ -z $_H_OUT ]] || rm -f "$_H_OUT"
  echo "$_H_LABEL: $passed passed, $failed failed"
  ((_H_FAILED == 0))
}
