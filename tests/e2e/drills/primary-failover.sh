#!/usr/bin/env bash
# primary-failover: with global.database.mode=cloudnative-pg, the PostgreSQL primary's pod deleted
# under steady Vegeta traffic (E2E_FAILOVER_SECONDS, 45 s). The chart in that mode (lib/cnpg.sh
# cnpg_release: 2 pods each, 3 instances on the project's PostgreSQL image, synchronous
# replication, in a restricted namespace) with the operator; a write prober POSTs a task every 0.5 s beside
# the load. Reported: the load's figures (failed requests by status), the time until CloudNativePG
# promoted a replica, and the time until writes succeed again. Checks: a replica promoted; writes
# succeed again; every create answered 2xx, the load's and the prober's, is in the database once;
# the tasks from before are unchanged; the Cluster healthy again with 3 instances (the old primary
# back as a replica). The release and the operator stay for primary-switchover.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
. "$E2E_DIR/lib/cnpg.sh"
drill_begin primary-failover

SECONDS_UNDER_LOAD=${E2E_FAILOVER_SECONDS:-45}
probe=$DRILL_TMP/probe.log
label="probe $(date +%s)"

finish() {
  [[ -n ${_PROBE_PID:-} ]] && kill "$_PROBE_PID" 2>/dev/null
  drill_end
}
abort() {
  fail "$1"
  kc get cluster,pods -o wide 2>&1 | sed 's/^/    | /'
  kc get events --sort-by=.lastTimestamp 2>&1 | tail -n 10 | sed 's/^/    | /'
  finish
}
digest() { psql_q "select count(*) || ' tasks, md5 ' || md5(coalesce(string_agg(id::text || title || status || version, ',' order by id), '')) from tasks where title not like 'load %' and title not like 'probe %'"; }
# probe_writes: a POST /api/tasks every 0.5 s, each with its own Idempotency-Key; one line each:
# "<start> <n> <status> <seconds taken>" (status 000: no answer within 10 s).
probe_writes() {
  local n=0 h line
  h=$(_bearer_file "$(api_token)")
  while :; do
    n=$((n + 1))
    line=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 -H "@$h" -H 'Content-Type: application/json' \
      -H "Idempotency-Key: ${label// /-}-$n" -d "$(jq -cn --arg t "$label $n" '{title: $t, priority: "low"}')" "$NODEPORT_URL/api/tasks" 2>/dev/null)
    echo "$(date +%s.%N) $n ${line:-000 10}"
    sleep 0.5
  done
}

echo "==> the operator, and the chart in cloudnative-pg mode (3 instances, synchronous replication)"
t=$(now)
check "the operator, and the chart in cloudnative-pg mode with its Cluster healthy (3 instances)" cnpg_release ||
  abort "no healthy Cluster"
timing "operator and install (Cluster healthy)" $(($(now) - t))
check "tasks through the API" api_create "e2e before the failover $(date +%s)"
digest0=$(digest)
echo "    before: $digest0"

echo "==> the primary's pod deleted under steady traffic"
old=$(cnpg_primary)
load_start failover steady "${SECONDS_UNDER_LOAD}s"
probe_writes >"$probe" &
_PROBE_PID=$!
sleep 8
deleted=$(date +%s.%N)
kc delete pod "$old" --wait=false >/dev/null
echo "    deleted the primary $old at $(date -u +%T)"
promoted() { local p; p=$(cnpg_primary); [[ -n $p && $p != "$old" ]]; }
# (the operator promotes a replica only once the old primary is down: its smart shutdown, which
# waits for the backends' pooled connections, is bounded by the Cluster's smartShutdownTimeout)
check "a replica promoted" wait_for 240 "a new primary" promoted
promoted_after=$(awk -v a="$deleted" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "    new primary $(cnpg_primary), reported ${promoted_after}s after the deletion"
load_wait failover
kill "$_PROBE_PID" 2>/dev/null; wait "$_PROBE_PID" 2>/dev/null; _PROBE_PID=
# Of the writes that ended after the deletion: how many were not answered 201, the slowest, and the
# time from the deletion until the first 201 of a write begun after the last failed one began (0
# when none failed). Each line: "<start> <n> <status> <seconds taken>".
read -r failed_writes recovery slowest < <(awk -v d="$deleted" '
  NR == FNR { if ($1 + $4 >= d && $3 != 201) { failed++; if ($1 > last_bad) last_bad = $1 } next }
  $1 + $4 >= d { if ($4 > slowest) slowest = $4
                 if (failed && back == "" && $3 == 201 && $1 > last_bad) back = $1 + $4 - d }
  END { printf "%d %.1f %.1f\n", failed, (failed ? back : 0), slowest }' "$probe" "$probe")
echo "    write prober: $(wc -l <"$probe") writes, $failed_writes not 201, slowest ${slowest}s"
check "writes succeed again after the failover" awk -v d="$deleted" '$1 > d && $3 == 201 { ok = 1 } END { exit !ok }' "$probe"
figure "primary-failover: replica promoted ${promoted_after}s after the primary's pod was deleted; writes failed ${failed_writes} times, succeeding again ${recovery}s after it (slowest write ${slowest}s)"
check "the Cluster healthy again: 3 instances, the old primary back as a replica" wait_for 240 "the Cluster healthy" cnpg_healthy
check "every create the load got a 2xx for is there once (none lost, none doubled)" \
  jq -e '.creates.acknowledged > 0 and .creates.lost == 0 and .creates.doubled == 0' "$DRILL_TMP/failover.json"
acked=$(awk '$3 == 201 { print "'"$label"' " $2 }' "$probe" | sort)
stored=$(psql_q "select title from tasks where title like '$label %' order by 1" | sort)
echo "    prober: $(grep -c . <<<"$acked") writes answered 201, $(grep -c . <<<"$stored") in the database"
check "every write the prober got a 201 for is there once" test -z "$(comm -23 <(echo "$acked") <(echo "$stored" | uniq))" -a \
  -z "$(echo "$stored" | uniq -d)"
digest1=$(digest)
check "the tasks from before are unchanged ($digest1)" test -n "$digest0" -a "$digest0" == "$digest1"
finish
