#!/usr/bin/env bash
# upgrade-under-load: on the reference deployment (2 frontend + 2 backend pods), a marker task
# created, then `helm upgrade --reuse-values --wait` changing a config value
# (global.config.backendTimeoutMs + 1 s) and both image tags (the same images re-tagged <tag>-e2e2)
# while steady Vegeta traffic runs for 50 s. Checks: the upgrade succeeded before the traffic
# ended, not one request failed, every app pod replaced and on the new tag, the ConfigMap holds the
# new value, the tasks digest, the database password and the first admin's password unchanged.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin upgrade-under-load

echo "==> helm upgrade (config value + image tag) under steady traffic"
release_ready "${TWO_EACH[@]}" || drill_abort "the release deployed with 2 pods each"
if every_app_pod_on "$(second_tag)"; then
  echo "    the release runs $(second_tag) (an earlier run): back to $APP_TAG first"
  release_ready --set backend-api.image.tag="$APP_TAG" --set frontend.image.tag="$APP_TAG" ||
    drill_abort "the release back on $APP_TAG"
fi
marker="e2e upgrade marker $(date +%s)"
api_create "$marker" >/dev/null || drill_abort "create the marker task"
timeout0=$(backend_timeout_ms)
echo "    BACKEND_TIMEOUT_MS=$timeout0"
remember_kept
import_second_tag || drill_abort "import the second tag"
old_pods=$(app_pods)

under_load upgrade 50s "helm upgrade" upgrade_to_second_tag
check "every backend and frontend pod replaced (rolled)" none_left "$old_pods"
check "backend and frontend run the new tag $(second_tag)" every_app_pod_on "$(second_tag)"
check "the config value changed (BACKEND_TIMEOUT_MS=$((timeout0 + 1000)))" test "$(backend_timeout_ms)" == $((timeout0 + 1000))
check_kept "the upgrade"
check "the marker task is still listed" api_lists "$marker"
drill_end
