#!/usr/bin/env bash
# pod-drain: under steady Vegeta traffic (50 s) one backend pod is deleted at +8 s and one frontend
# pod at +16 s (what a node drain does to them). Checks: not one request failed; both were replaced
# (2 backend and 2 frontend pods ready again).
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin pod-drain

two_ready_each() { [[ $(ready_pods_of backend-api) == 2 && $(ready_pods_of frontend) == 2 ]]; }

echo "==> delete a backend pod and a frontend pod under steady traffic"
release_ready "${TWO_EACH[@]}" || drill_abort "the release deployed with 2 pods each"
be=$(pods_of backend-api | head -n 1) fe=$(pods_of frontend | head -n 1)
t=$(now)
load_start drain steady 50s
sleep 8
kc delete pod "$be" --wait=false >/dev/null && echo "    deleted $be at +$(($(now) - t))s"
sleep 8
kc delete pod "$fe" --wait=false >/dev/null && echo "    deleted $fe at +$(($(now) - t))s"
check "drain: no request failed" load_wait drain
timing "drain under load" $(($(now) - t))
check "the deleted pods were replaced (2 backend, 2 frontend ready)" wait_for 60 "2 ready pods each" two_ready_each
drill_end
