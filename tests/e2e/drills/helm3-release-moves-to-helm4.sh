#!/usr/bin/env bash
# helm3-release-moves-to-helm4: the chart installed and then upgraded by Helm 3 (its second leg,
# while Helm 3 lives), as a team that has not moved yet runs it; then Helm 4 upgrades that release
# with server-side apply (config value + image tag) while steady Vegeta traffic runs for 50 s.
# Checks: Helm 3's install and upgrade --wait into a fresh restricted namespace, Helm 4's upgrade
# succeeded before the traffic ended with not one request failed, every app pod replaced and on the
# new tag, the workloads now applied server-side by helm, Helm 4's history holds all three
# revisions, the tasks digest, the database password and the first admin's password unchanged.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin helm3-release-moves-to-helm4

# Every Deployment and StatefulSet of the release has a field manager `helm` that applied server-side.
applied_server_side() {
  local bad=0 w ops
  for w in $(kc get deploy,statefulset -l "app.kubernetes.io/instance=$RELEASE" -o name); do
    ops=$(kc get "$w" -o json --show-managed-fields | jq -r '[.metadata.managedFields[]? | select(.manager == "helm") | .operation] | unique | join(",")')
    echo "    $w: helm's operations: ${ops:-none}"
    [[ ,$ops, == *,Apply,* ]] || bad=1
  done
  return $bad
}

echo "==> helm 3: install, then upgrade ($(helm3 version --short))"
release_absent
if HELM=helm3 install_restricted "${TWO_EACH[@]}" >"$DRILL_TMP/helm3-install.log" 2>&1; then
  pass "helm 3: helm install --wait"
else
  tail -n 20 "$DRILL_TMP/helm3-install.log" | sed 's/^/    | /'
  fail "helm 3: helm install --wait"
  show_state
  drill_end
fi
check "every pod ready" all_pods_ready
# helm3_upgrade: Helm 3's upgrade of one config value, its output (the NOTES) kept in a log unless it fails.
helm3_upgrade() {
  helm3 upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m \
    --set global.config.backendTimeoutMs=$(($(backend_timeout_ms) + 500)) >"$DRILL_TMP/helm3-upgrade.log" 2>&1 ||
    { tail -n 20 "$DRILL_TMP/helm3-upgrade.log" | sed 's/^/    | /'; return 1; }
}
check "helm 3: helm upgrade --reuse-values --wait (a config value)" helm3_upgrade
marker="e2e helm 3 marker $(date +%s)"
api_create "$marker" >/dev/null || drill_abort "create the marker task"
remember_kept
import_second_tag || drill_abort "import the second tag"
old_pods=$(app_pods)

echo "==> helm 4 ($(helm version --short)): upgrade with server-side apply, under steady traffic"
under_load helm4-upgrade 50s "helm 4 upgrade --server-side=true" upgrade_to_second_tag --server-side=true
check "every backend and frontend pod replaced (rolled)" none_left "$old_pods"
check "backend and frontend run the new tag $(second_tag)" every_app_pod_on "$(second_tag)"
check "the workloads are applied server-side by helm now" applied_server_side
check "helm 4's history of the release holds Helm 3's two revisions and its own" test "$(helm_rev)" == 3
check_kept "the move to Helm 4"
check "the marker task is still listed" api_lists "$marker"
drill_end
