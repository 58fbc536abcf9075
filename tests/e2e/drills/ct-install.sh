#!/usr/bin/env bash
# ct-install: `ct install` (ct.yaml) of charts/task-manager with every ci/*-values.yaml, each in a
# fresh namespace: pods ready, helm test passes; then ct deletes its releases. The release of the
# other drills is removed first (its NodePort would clash). Checks: ct succeeds, and no namespace
# of its installs is left.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin ct-install

echo "==> ct install (ct.yaml, charts/task-manager, every ci/*-values.yaml)"
release_absent
t=$(now)
(cd "$REPO_ROOT" && ct install --config ct.yaml --charts charts/task-manager --target-branch main \
  --helm-extra-set-args "${HELM_SET[*]}") >"$DRILL_TMP/ct.log" 2>&1
rc=$?
grep -E '^ *(Installing chart|TEST SUITE|Phase|Deleting release|Namespace "|.*(✔︎|✖︎))' "$DRILL_TMP/ct.log" |
  sed -E 's/^ */    /' | head -n 40
timing "ct install" $(($(now) - t))
((rc == 0)) || tail -n 60 "$DRILL_TMP/ct.log" | sed 's/^/    | /'
check "ct install: installs every ci values file, pods ready, helm test passes" test "$rc" == 0
left=$(kubectl get ns -o name | grep -E 'task-manager-[a-z0-9]{5,}' || true)
[[ -n $left ]] && echo "    namespaces left: $left"
check "ct cleaned up (no namespace of its installs is left)" test -z "$left"
drill_end
