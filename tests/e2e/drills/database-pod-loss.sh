#!/usr/bin/env bash
# database-pod-loss: the PostgreSQL pod deleted under steady Vegeta traffic (30 s; its figures are
# reported, not checked: with one database pod, requests that need it fail while it is away, by
# design). Checks: every task intact (the tasks digest before and after), each backend's /readyz
# (polled every 0.5 s with the probe's 3 s timeout) dropped while the database was away and
# returned, the backends recovered without a restart, and create + list work again through NodePort.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin database-pod-loss
log=$DRILL_TMP/readyz.log

poll_readyz() { # poll_readyz IP PORT: "<time> IP <status>" every 0.5 s; 000 = no answer within the probe's timeout
  while :; do
    echo "$(date +%s.%N) $1 $(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$1:$2/readyz")"
    sleep 0.5
  done
}
# U (200) and D (anything else) runs of one backend's answers, e.g. UDU.
readyz_sequence() { awk -v p="$1" '$2 == p { print ($3 == 200 ? "U" : "D") }' "$log" | uniq | tr -d '\n'; }
every_backend_back() {
  local ip
  for ip in $ips; do [[ $(readyz_sequence "$ip") == *D*U ]] || return 1; done
}
dropped_then_returned() {
  local bad=0 ip seq
  for ip in $ips; do
    seq=$(readyz_sequence "$ip")
    echo "    backend $ip /readyz: $(awk -v p="$ip" '$2 == p {print $3}' "$log" | uniq -c | awk '{printf "%sx%s ", $1, $2}')"
    [[ $seq == UD*U || $seq == D*U ]] || bad=1
  done
  return $bad
}
no_restarts() {
  local r
  r=$(kc get pods -l app.kubernetes.io/name=backend-api -o jsonpath='{range .items[*]}{.metadata.name} {.status.containerStatuses[0].restartCount}{"\n"}{end}')
  echo "$r" | sed 's/^/    restartCount /'
  ! echo "$r" | awk '{print $2}' | grep -qv '^0$'
}
db_pod_replaced() { ! kc get pod "$RELEASE-postgresql-0" -o jsonpath='{.metadata.deletionTimestamp}' | grep -q .; }
db_ready() { [[ $(kc get pod "$RELEASE-postgresql-0" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
backends_ready() { [[ $(ready_pods_of backend-api) == 2 ]]; }
works_again() { api_create "$1" && api_lists "$1"; }

echo "==> delete the PostgreSQL pod: data intact, backends recover without a restart"
release_ready "${TWO_EACH[@]}" || drill_abort "the release deployed with 2 pods each"
digest0=$(tasks_digest)
echo "    before: $digest0"
ips=$(kc get pods -l app.kubernetes.io/name=backend-api -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}')
port=$(pod_port "$(pods_of backend-api | head -n 1)" http)
: >"$log"
pollers=()
for ip in $ips; do
  poll_readyz "$ip" "$port" >>"$log" &
  pollers+=($!)
done
t=$(now)
load_start outage steady 30s
sleep 3
kc delete pod "$RELEASE-postgresql-0" --wait=false >/dev/null
wait_for 30 "the old PostgreSQL pod gone" db_pod_replaced || true
wait_for 120 "PostgreSQL ready again" db_ready
echo "    PostgreSQL ready again after $(($(now) - t))s"
wait_for 60 "both backends ready" backends_ready
# the kubelet may see a 200 before a poller does (a poller's 503 can take up to its 3 s
# timeout), so the pollers run until each has logged its backend's return, or for 20 s more
wait_for 20 "every backend's /readyz answering 200 again" every_backend_back || true
kill "${pollers[@]}" 2>/dev/null; wait "${pollers[@]}" 2>/dev/null
load_wait outage || echo "    (the traffic during the outage is reported, not checked: requests that need the database fail while it is away)"
timing "PostgreSQL pod deleted -> all ready" $(($(now) - t))
digest1=$(tasks_digest)
echo "    after:  $digest1"
check "every task intact after the PostgreSQL pod came back" test -n "$digest0" -a "$digest0" == "$digest1"
check "backend readiness dropped while the database was away, then returned" dropped_then_returned
check "the backends recovered without a restart (restartCount 0)" no_restarts
check "the app works again (create + list through NodePort)" works_again "e2e after db restart $t"
drill_end
