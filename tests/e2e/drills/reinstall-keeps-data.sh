#!/usr/bin/env bash
# reinstall-keeps-data: helm uninstall keeps the PostgreSQL volume, and a second helm install finds
# the data again. Installs the release first (as the install drill does) when there is none.
# Checks: the volume is left after uninstall, the second install gets ready, a task created before
# the uninstall is listed on the page after it, the first admin's password is the one before (its
# Secret is kept, as the account in the kept database needs) and the drills' token still works.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin reinstall-keeps-data

if ! release_deployed; then
  echo "==> no release yet: installed into a restricted namespace"
  install_restricted >"$DRILL_TMP/install.log" 2>&1 || { tail -n 30 "$DRILL_TMP/install.log"; drill_abort "install the release"; }
fi
title="e2e kept task $(date +%s)-$RANDOM"
check "a task created before the uninstall" api_create "$title"
admin0=$(admin_password) token0=$(api_token)

echo "==> helm uninstall, then install again"
helm uninstall "$RELEASE" -n "$NS" --wait --timeout 3m
pvc_left() { kc get pvc --no-headers 2>/dev/null | grep -q .; }
check "the PostgreSQL volume is kept after helm uninstall" pvc_left
t=$(now)
if helm install "$RELEASE" "$CHART" -n "$NS" --wait --timeout 5m "${HELM_SET[@]}" >"$DRILL_TMP/reinstall.log" 2>&1; then
  timing "helm install again -> all pods ready" $(($(now) - t))
  pass "helm install again"
else
  fail "helm install again"; tail -n 20 "$DRILL_TMP/reinstall.log"; show_state
fi
wait_for 60 "the page to answer" serves_task_list || true
check "the task is still there after uninstall + install" page_lists "$title"
check "the first admin's password is kept by uninstall + install" test -n "$admin0" -a "$admin0" == "$(admin_password)"
check "the token made before the uninstall still signs in" _token_works "$token0"
drill_end
