#!/usr/bin/env bash
# helmfile-sync: `helmfile -e dev sync --wait` (the local images through --set) installs the
# release in task-manager from nothing; a second sync changes nothing; `helmfile diff` shows a
# changed value and applies nothing. Helm records every sync as a revision, so "changes nothing" is
# checked as: the manifests of both revisions identical, the same pod UIDs, the same database
# password and first admin's password, and `helmfile diff --detailed-exitcode` exiting 0. The release it leaves is the one the
# zero-downtime drills start from.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin helmfile-sync
mapfile -t sets < <(helmfile_sets)

pod_uids() { kc get pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort; }
same_manifest() { # same_manifest REV1 REV2
  diff <(helm get manifest "$RELEASE" -n "$NS" --revision "$1") <(helm get manifest "$RELEASE" -n "$NS" --revision "$2") | head -n 20
  [[ ${PIPESTATUS[0]} == 0 ]]
}
no_diff() {
  (cd "$REPO_ROOT" && helmfile -e dev diff --detailed-exitcode "${sets[@]}") >"$DRILL_TMP/diff-0.log" 2>&1 && return 0
  tail -n 30 "$DRILL_TMP/diff-0.log" | sed 's/^/    | /'
  return 1
}
# A changed value: global.config.logLevel debug -> warn. diff must show it (exit 2).
shows_change() {
  local rc=0
  (cd "$REPO_ROOT" && helmfile -e dev diff --detailed-exitcode "${sets[@]}" --set global.config.logLevel=warn) \
    >"$DRILL_TMP/diff-1.log" 2>&1 || rc=$?
  grep -E '^[-+] .*(LOG_LEVEL|logLevel|debug|warn)' "$DRILL_TMP/diff-1.log" | head -n 6 | sed 's/^/    /'
  [[ $rc == 2 ]] && grep -qE '^\+ .*warn' "$DRILL_TMP/diff-1.log" && grep -qE '^- .*debug' "$DRILL_TMP/diff-1.log" && return 0
  echo "    helmfile diff exit $rc"; tail -n 30 "$DRILL_TMP/diff-1.log" | sed 's/^/    | /'
  return 1
}
not_applied() { # not_applied REV: the same revision, LOG_LEVEL still debug
  [[ $(helm_rev) == "$1" ]] && kc get configmap -o yaml | grep -q 'LOG_LEVEL: debug'
}

echo "==> helmfile -e dev sync, twice; helmfile diff"
release_absent
t=$(now)
check "helmfile -e dev sync installs the release in namespace $NS" helmfile_sync || { show_state; drill_end; }
timing "helmfile sync (install) -> ready" $(($(now) - t))
check "every pod of the helmfile release ready" wait_ready_all 120
rev1=$(helm_rev) pods1=$(pod_uids) secret1=$(secret_password) admin1=$(admin_password)
t=$(now)
helmfile_sync || fail "second helmfile sync"
timing "helmfile sync (again)" $(($(now) - t))
rev2=$(helm_rev) pods2=$(pod_uids) secret2=$(secret_password) admin2=$(admin_password)
echo "    revisions $rev1 -> $rev2"
check "second sync: manifest of revision $rev2 identical to revision $rev1" same_manifest "$rev1" "$rev2"
check "second sync: no pod replaced or restarted (same pod UIDs)" test "$pods1" == "$pods2"
check "second sync: database password unchanged" test -n "$secret1" -a "$secret1" == "$secret2"
check "second sync: first admin's password unchanged" test -n "$admin1" -a "$admin1" == "$admin2"
check "helmfile diff after the second sync: no difference (exit 0)" no_diff
check "helmfile diff shows the changed value (LOG_LEVEL debug -> warn, exit 2)" shows_change
check "... and the diff applied nothing (same revision, LOG_LEVEL still debug)" not_applied "$rev2"
drill_end
