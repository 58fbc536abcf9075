#!/usr/bin/env bash
# network-policy: NetworkPolicy enforced (kube-router's policy controller). Control first: without
# policies the frontend pod opens a TCP connection to PostgreSQL. Then `helm upgrade --set
# global.networkPolicy.enabled=true`. Checks: the release has its policies; the frontend can reach
# PostgreSQL neither by service nor by pod IP, a backend can; a task created through NodePort is
# listed by the API and on the page; a Vegeta smoke attack has zero failed requests.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin network-policy

echo "==> NetworkPolicy on (kube-router enforcing): the frontend cannot reach PostgreSQL"
release_ready "${TWO_EACH[@]}" --set global.networkPolicy.enabled=false ||
  drill_abort "the release deployed with 2 pods each and NetworkPolicy off"
db="$RELEASE-postgresql" dbport=$(service_port "$RELEASE-postgresql")
r=$(tcp_from "$(pods_of frontend | head -n 1)" "$db" "$dbport"); echo "    policy off: frontend -> $db:$dbport: $r"
check "control: without NetworkPolicy the frontend CAN connect to PostgreSQL:$dbport" test "$r" == open
t=$(now)
helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m \
  --set global.networkPolicy.enabled=true >"$DRILL_TMP/upgrade.log" 2>&1 ||
  { tail -n 20 "$DRILL_TMP/upgrade.log"; drill_abort "helm upgrade with NetworkPolicy on"; }
check "the release has its NetworkPolicies" netpol_count_at_least 3
wait_ready_all 120 >/dev/null
sleep 3 # kube-router applies a policy change within a second or two
netpol_path_checks
load_start netpol smoke 20s
check "smoke with NetworkPolicy on: zero failed requests" load_wait netpol
timing "NetworkPolicy drill" $(($(now) - t))
drill_end
