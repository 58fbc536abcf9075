#!/usr/bin/env bash
# upgrade-from-previous-release: the chart of the newest release in CHANGELOG.md, packaged from the
# commit that entry names (git archive: no tag has to travel), installed into a fresh restricted
# namespace with 2 pods each; a marker task; then `helm upgrade --reuse-values --wait` to this
# tree's chart while steady Vegeta traffic runs for 50 s. Checks: the install and the upgrade
# succeed, the upgrade before the traffic ended with not one request failed, the release on this
# tree's chart version, every pod ready, the tasks digest, the database password and the first
# admin's password unchanged, the marker listed.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin upgrade-from-previous-release

chart_version() { helm list -n "$NS" -f "^$RELEASE\$" -o json | jq -r '.[0].chart'; }

read -r previous_version previous_commit < <(node "$REPO_ROOT/tests/chart/releases.mjs" previous) ||
  drill_abort "CHANGELOG.md names the release before this one (node tests/chart/releases.mjs previous)"
current_version=$(sed -n 's/^version: *//p' "$CHART/Chart.yaml")
previous_chart="$DRILL_TMP/previous/charts/task-manager"
mkdir -p "$DRILL_TMP/previous"
git -C "$REPO_ROOT" archive "$previous_commit" charts/task-manager | tar -x -C "$DRILL_TMP/previous" ||
  drill_abort "the chart of $previous_version from commit $previous_commit (a shallow clone lacks it: fetch the history)"

echo "==> the release before: chart $previous_version from commit $previous_commit"
release_absent
if CHART=$previous_chart install_restricted "${TWO_EACH[@]}" >"$DRILL_TMP/install.log" 2>&1; then
  pass "helm install --wait of chart $previous_version"
else
  tail -n 20 "$DRILL_TMP/install.log" | sed 's/^/    | /'
  fail "helm install --wait of chart $previous_version"
  show_state
  drill_end
fi
check "the release runs chart task-manager-$previous_version" test "$(chart_version)" == "task-manager-$previous_version"
check "every pod ready" all_pods_ready
marker="e2e release upgrade marker $(date +%s)"
api_create "$marker" >/dev/null || drill_abort "create the marker task"
remember_kept

echo "==> helm upgrade to this tree's chart $current_version, under steady traffic"
under_load release-upgrade 50s "helm upgrade $previous_version -> $current_version" \
  helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m
check "the release runs chart task-manager-$current_version" test "$(chart_version)" == "task-manager-$current_version"
check "every pod ready" all_pods_ready
check_kept "the upgrade from $previous_version"
check "the marker task is still listed" api_lists "$marker"
drill_end
