#!/usr/bin/env bash
# non-default-ports: the chart installed (fresh, restricted namespace, NetworkPolicy on) with every
# port moved off its default: frontend 8081, backend-api 5050, PostgreSQL 5433, metrics 9465/9466
# (the NodePort stays 30080). Checks: helm install --wait, every pod ready, helm test; the services
# and containers on the ports asked for; the UI and /api answer through NodePort 30080; with the
# policies enforced the frontend still reaches the backend and the backend PostgreSQL, the frontend
# not PostgreSQL. The release is removed at the end (the other drills use the default ports).
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin non-default-ports
PORTS=(--set frontend.service.port=8081 --set backend-api.service.port=5050 --set global.database.port=5433
  --set frontend.metrics.port=9465 --set backend-api.metrics.port=9466)

ports_are() { # ports_are WHAT HAVE WANT
  echo "    $1: $2 (want $3)"
  [[ $2 == "$3" ]]
}
first_pod_port() { pod_port "$(pods_of "$1" | head -n 1)" "$2"; }

echo "==> helm install with non-default ports and NetworkPolicy on"
release_absent
t=$(now)
if install_restricted "${PORTS[@]}" --set global.networkPolicy.enabled=true >"$DRILL_TMP/install.log" 2>&1; then
  timing "helm install (non-default ports) -> all pods ready" $(($(now) - t))
  pass "helm install --wait with non-default ports"
else
  fail "helm install --wait with non-default ports"
  tail -n 20 "$DRILL_TMP/install.log"; show_state
fi
check "every pod ready" all_pods_ready
check "helm test" helm test "$RELEASE" -n "$NS" --timeout 3m --logs
check "frontend service on 8081" ports_are "service $RELEASE-frontend" "$(service_port "$RELEASE-frontend")" 8081
check "backend-api service on 5050" ports_are "service $RELEASE-backend-api" "$(service_port "$RELEASE-backend-api")" 5050
check "PostgreSQL service on 5433" ports_are "service $RELEASE-postgresql" "$(service_port "$RELEASE-postgresql")" 5433
check "frontend metrics on 9465" ports_are "frontend container port metrics" "$(first_pod_port frontend metrics)" 9465
check "backend-api metrics on 9466" ports_are "backend-api container port metrics" "$(first_pod_port backend-api metrics)" 9466
echo "==> NodePort 30080 at $NODE_IP"
check "GET / on NodePort 30080 serves the task list" serves_task_list
sleep 3 # kube-router applies new policies within a second or two
netpol_path_checks
release_absent
drill_end
