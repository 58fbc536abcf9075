#!/usr/bin/env bash
# smoke-and-browser: through NodePort 30080, a Vegeta smoke attack (tests/load/vegeta.mjs --profile
# smoke: 30 requests/s for 20 s over every endpoint a user touches, signed in) and Chromium
# (tests/e2e/browser.mjs): the first admin signs in, creates, edits, completes and deletes a task,
# and creates a member and a viewer, who each sign in and can do what their role allows, no more.
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
browser() { ADMIN_EMAIL=$(admin_email) ADMIN_PASSWORD=$(admin_password) node "$E2E_DIR/browser.mjs" "$NODEPORT_URL"; }
check "Chromium: the admin signs in, a task's life in the UI, a member and a viewer made and each held to its role (screenshots in test-results/)" browser
timing "browser" $(($(now) - t))
drill_end
