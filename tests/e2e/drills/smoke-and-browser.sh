#!/usr/bin/env bash
# smoke-and-browser: through NodePort 30080, a Vegeta smoke attack (tests/load/vegeta.mjs --profile
# smoke: 30 requests/s for 20 s over every endpoint a user touches) and Chromium
# (tests/e2e/browser.mjs) creating, editing, completing and deleting a task in the UI.
# Checks: zero failed requests and the p95 limits; the browser run passes.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin smoke-and-browser
release_ready || drill_abort "the release is deployed"

echo "==> smoke load and Chromium through NodePort 30080"
t=$(now)
load_start smoke smoke 20s
check "smoke: zero failed requests, p95 limits" load_wait smoke
timing "smoke load" $(($(now) - t))
t=$(now)
check "Chromium: create, edit, complete, delete a task in the UI (screenshot in test-results/)" \
  node "$E2E_DIR/browser.mjs" "$NODEPORT_URL"
timing "browser" $(($(now) - t))
drill_end
