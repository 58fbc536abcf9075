#!/usr/bin/env bash
# rollback-under-load: `helm rollback --wait` to the revision before the upgrade to the second
# image tag, while steady Vegeta traffic runs for 50 s. Run after upgrade-under-load it rolls that
# upgrade back; alone, it makes that upgrade first (not under load). Checks: the rollback succeeded
# before the traffic ended, not one request failed, every app pod replaced and back on the
# revision's tag, the config value back, the tasks digest, the database and admin passwords unchanged, a
# marker task still listed.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin rollback-under-load

echo "==> helm rollback under steady traffic"
release_ready "${TWO_EACH[@]}" || drill_abort "the release deployed with 2 pods each"
if ! every_app_pod_on "$(second_tag)"; then
  echo "    the release is not on $(second_tag) yet: upgrading to it first"
  { import_second_tag && upgrade_to_second_tag; } >"$DRILL_TMP/setup.log" 2>&1 ||
    { tail -n 20 "$DRILL_TMP/setup.log"; drill_abort "upgrade to the second tag"; }
fi
rev_before=$(($(helm_rev) - 1))
old_values=$(helm get values "$RELEASE" -n "$NS" --revision "$rev_before" -a -o json)
old_tag=$(jq -r '.["backend-api"].image.tag' <<<"$old_values")
old_timeout=$(jq -r '.global.config.backendTimeoutMs' <<<"$old_values")
marker="e2e rollback marker $(date +%s)"
api_create "$marker" >/dev/null || drill_abort "create the marker task"
echo "    rolling back to revision $rev_before (tag $old_tag, BACKEND_TIMEOUT_MS=$old_timeout)"
remember_kept
old_pods=$(app_pods)

under_load rollback 50s "helm rollback" helm rollback "$RELEASE" "$rev_before" -n "$NS" --wait --timeout 5m
check "rollback replaced every backend and frontend pod" none_left "$old_pods"
check "rollback: backend and frontend back on $old_tag" every_app_pod_on "$old_tag"
check "rollback: config value back (BACKEND_TIMEOUT_MS=$old_timeout)" test "$(backend_timeout_ms)" == "$old_timeout"
check_kept "the rollback"
check "the marker task is still listed" api_lists "$marker"
drill_end
