#!/usr/bin/env bash
# point-in-time-recovery: the cloudnative-pg mode's recovery path. A release of its own (namespace
# task-manager-pitr, NodePort 30081) archives its WAL and base backups through the Barman Cloud
# plugin to an S3 server (versitygw, on the node's address). A first task is written, the time is
# taken, a second task is written and its WAL archived; then a second release (namespace
# task-manager-restored) is installed with cloudnativePg.recovery up to that time. Checks: the
# base backup and WAL in the bucket, the recovered Cluster ready, the first task there and the
# second not, and the recovered release serving its tasks through its own backend.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
. "$E2E_DIR/lib/cnpg.sh"
drill_begin point-in-time-recovery

S3_PORT=${E2E_PITR_S3_PORT:-19072}
BUCKET=pitr
store=$DRILL_TMP/s3
mkdir -p "$store/data/$BUCKET" "$store/meta"
(umask 077
  echo -n e2e-pitr >"$DRILL_TMP/access-key-id"
  head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$DRILL_TMP/secret-access-key")
ROOT_ACCESS_KEY_ID=$(cat "$DRILL_TMP/access-key-id") ROOT_SECRET_ACCESS_KEY=$(cat "$DRILL_TMP/secret-access-key") \
  start_proc pitr-s3 versitygw --port "$NODE_IP:$S3_PORT" --quiet posix --sidecar "$store/meta" "$store/data"
ORIGIN_NS=task-manager-pitr RESTORED_NS=task-manager-restored
finish() {
  local t
  t=$(now)
  for NS in "$RESTORED_NS" "$ORIGIN_NS"; do release_absent; done
  timing "both releases and namespaces removed" $(($(now) - t))
  stop_proc pitr-s3
  drill_end
}
wait_for 30 "the S3 server on $NODE_IP:$S3_PORT" curl -s -o /dev/null "http://$NODE_IP:$S3_PORT/" ||
  { tail -n 20 "$LOGS/pitr-s3.log"; fail "the S3 server started"; finish; }
cnpg_install && plugin_install || { fail "the operator and the Barman Cloud plugin installed"; finish; }

mapfile -t CNPG < <(cnpg_values)
# Both releases' first admin has one password: the recovered database brings the origin's admin,
# whose password is the one it was given there.
(umask 077; head -c 18 /dev/urandom | base64 -w0 >"$DRILL_TMP/admin-password")
CNPG+=(--set-file "backend-api.admin.password=$DRILL_TMP/admin-password")
S3=(--set "backup.s3.endpoint=http://$NODE_IP:$S3_PORT" --set "backup.s3.bucket=$BUCKET" --set backup.s3.existingSecret=pitr-s3)
# in_release NS NODE_PORT: the drill's helpers (kc, api_create, psql_q, ...) aimed at the release in NS.
in_release() { NS=$1; NODEPORT_URL=http://$NODE_IP:$2; AUTH_DIR=$DRILL_TMP/auth-$1; }
install_with_s3() { # install_with_s3 HELM ARGS...: the namespace, the S3 credentials, the release
  kubectl create namespace "$NS" >/dev/null && kubectl label namespace "$NS" pod-security.kubernetes.io/enforce=restricted >/dev/null &&
    kc create secret generic pitr-s3 --from-file="$DRILL_TMP/access-key-id" --from-file="$DRILL_TMP/secret-access-key" >/dev/null &&
    helm install "$RELEASE" "$CHART" -n "$NS" --wait --timeout 8m "${HELM_SET[@]}" "${CNPG[@]}" "${S3[@]}" "$@" >"$DRILL_TMP/install-$NS.log" 2>&1 ||
    { tail -n 30 "$DRILL_TMP/install-$NS.log" | sed 's/^/    | /'; return 1; }
}

echo "==> the origin: 2 instances, WAL archived and base backups to s3://$BUCKET"
in_release "$ORIGIN_NS" 30081
t=$(now)
check "the origin release installed (cloudnativePg.backup.enabled)" install_with_s3 --set cloudnativePg.instances=2 \
  --set cloudnativePg.backup.enabled=true --set frontend.service.nodePort=30081 || { fail "the origin release"; finish; }
# (a write waits for the synchronous standby: the install is ready before the standby is)
check "the origin's Cluster healthy, its standby streaming" wait_for 300 "the Cluster healthy" cnpg_healthy
archiving() { [[ $(kc get cluster "$RELEASE-postgresql" -o jsonpath='{.status.conditions[?(@.type=="ContinuousArchiving")].status}') == True ]]; }
base_backup() { [[ $(kc get backup -l "cnpg.io/cluster=$RELEASE-postgresql" -o jsonpath='{.items[*].status.phase}') == *completed* ]]; }
check "WAL archiving works (ContinuousArchiving)" wait_for 180 "WAL archiving" archiving
check "the first base backup (the ScheduledBackup's immediate one) completed" wait_for 300 "a base backup" base_backup
timing "origin installed -> archiving and a base backup" $(($(now) - t))

first="pitr before $(date +%s)"
check "the first task written" api_create "$first"
sleep 2
target=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 2
second="pitr after $(date +%s)"
check "the second task written" api_create "$second"
# The second task's WAL must be archived, or recovery would end before reaching the target.
segment=$(psql_q "select pg_walfile_name(pg_current_wal_lsn())")
psql_q "select pg_switch_wal()" >/dev/null
archived() { [[ $(psql_q "select last_archived_wal >= '$segment' from pg_stat_archiver") == t ]]; }
check "the WAL segment with the second task archived ($segment)" wait_for 120 "WAL $segment archived" archived
echo "    recovery target: $target, between the two writes"

echo "==> a new Cluster recovered to $target"
origin_server=$RELEASE-postgresql  # its backups' server name: the Cluster's
in_release "$RESTORED_NS" 30082
t=$(now)
check "the recovered release installed (cloudnativePg.recovery)" install_with_s3 --set cloudnativePg.instances=1 \
  --set cloudnativePg.synchronous.enabled=false --set cloudnativePg.recovery.enabled=true \
  --set "cloudnativePg.recovery.serverName=$origin_server" --set "cloudnativePg.recovery.targetTime=$target" \
  --set frontend.service.nodePort=30082 || { fail "the recovered release"; finish; }
recovered=$(($(now) - t))
timing "recovery: release installed -> its backend ready" "$recovered"
figure "point-in-time recovery: a new Cluster at $target, its backend ready ${recovered}s after helm install"
has_task() { [[ $(psql_q "select count(*) from tasks where title = '$1'") == "$2" ]]; }
check "the task written before the target is there" has_task "$first" 1
check "the task written after the target is not" has_task "$second" 0
check "the recovered release serves the task before the target (API through its NodePort)" api_lists "$first"
finish
