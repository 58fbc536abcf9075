#!/usr/bin/env bash
# cloudnative-pg-ready: CloudNativePG, built here, runs a highly available PostgreSQL on this cluster.
# Installs the operator and the Barman Cloud plugin (lib/cnpg.sh, local images), then applies
# fixtures/cnpg-cluster.yaml into a restricted namespace: 3 instances on the project's PostgreSQL
# image, one synchronous standby, WAL archived to an S3 server (versitygw from tests/tools/install,
# on the node's address, as backup-and-restore.sh runs it). Checks: the Cluster healthy (time to
# ready reported), a row written through the -rw service is on every replica, a synchronous standby,
# WAL archiving working (ContinuousArchiving) and a Backup (method: plugin) completing, its base
# backup in the bucket. Everything it made is removed at the end (E2E_KEEP_CNPG=1 keeps it).
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
. "$E2E_DIR/lib/cnpg.sh"
drill_begin cloudnative-pg-ready

DB_NS=cnpg-drill
S3_PORT=${E2E_CNPG_S3_PORT:-19071}
S3_BUCKET=cnpg-drill
store=$DRILL_TMP/s3
mkdir -p "$store/data/$S3_BUCKET" "$store/meta"
(umask 077
  echo -n e2e-cnpg >"$DRILL_TMP/ACCESS_KEY_ID"
  head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$DRILL_TMP/ACCESS_SECRET_KEY"
  echo -n us-east-1 >"$DRILL_TMP/REGION")
ROOT_ACCESS_KEY_ID=$(cat "$DRILL_TMP/ACCESS_KEY_ID") ROOT_SECRET_ACCESS_KEY=$(cat "$DRILL_TMP/ACCESS_SECRET_KEY") \
  start_proc cnpg-s3 versitygw --port "$NODE_IP:$S3_PORT" --quiet posix --sidecar "$store/meta" "$store/data"

kcn() { kubectl -n "$DB_NS" "$@"; }
finish() {
  if [[ ${E2E_KEEP_CNPG:-0} == 1 ]]; then
    echo "    E2E_KEEP_CNPG=1: the operator, the plugin and namespace $DB_NS kept (the S3 server stops)"
  else
    local t; t=$(now)
    kubectl delete namespace "$DB_NS" --ignore-not-found --wait=true --timeout=300s >/dev/null 2>&1
    timing "namespace $DB_NS deleted (the instances stopped)" $(($(now) - t))
    cnpg_uninstall
  fi
  stop_proc cnpg-s3
  drill_end
}
abort() {
  fail "$1"
  kcn get cluster,backup,pods -o wide 2>&1 | sed 's/^/    | /'
  kcn get events --sort-by=.lastTimestamp 2>&1 | tail -n 15 | sed 's/^/    | /'
  kubectl -n "$CNPG_NS" logs deployment/cnpg-controller-manager --tail=200 2>&1 | grep '"level":"error"' | tail -n 5 |
    cut -c1-400 | sed 's/^/    | operator: /'
  finish
}
wait_for 30 "the S3 server on $NODE_IP:$S3_PORT" curl -s -o /dev/null "http://$NODE_IP:$S3_PORT/" ||
  { tail -n 20 "$LOGS/cnpg-s3.log"; abort "the S3 server started"; }

echo "==> the operator and the Barman Cloud plugin"
t=$(now)
check "the operator running, its admission webhooks answering the kube-apiserver" cnpg_install || abort "the operator did not start"
check "the Barman Cloud plugin running and registered with the operator (mTLS)" plugin_install || abort "the plugin did not start"
timing "operator and plugin up" $(($(now) - t))

echo "==> a Cluster of 3 instances, synchronous replication, WAL archived to s3://$S3_BUCKET at $NODE_IP:$S3_PORT"
# A fresh namespace: one an earlier run left is deleted first (its instances take a while to stop).
kubectl delete namespace "$DB_NS" --ignore-not-found --wait=true --timeout=300s >/dev/null
kubectl create namespace "$DB_NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl label namespace "$DB_NS" --overwrite pod-security.kubernetes.io/enforce=restricted >/dev/null
kcn create secret generic drill-s3 --from-file="$DRILL_TMP/ACCESS_KEY_ID" --from-file="$DRILL_TMP/ACCESS_SECRET_KEY" \
  --from-file="$DRILL_TMP/REGION" --dry-run=client -o yaml | kcn apply -f - >/dev/null
t=$(now)
POSTGRES_IMAGE=$(grep '^task-manager/postgres:' "$CACHE/images/built.txt") S3_BUCKET=$S3_BUCKET S3_ENDPOINT=http://$NODE_IP:$S3_PORT \
  envsubst <"$E2E_DIR/fixtures/cnpg-cluster.yaml" | kcn apply -f - >/dev/null || abort "the Cluster and ObjectStore applied"
check "the Cluster is healthy: 3 instances ready" kcn wait --for=condition=Ready cluster/drill-pg --timeout=600s ||
  abort "the Cluster did not get ready"
ready=$(($(now) - t))
timing "Cluster applied -> 3 instances ready" "$ready"
figure "cloudnative-pg: 3 instances (1 synchronous standby) ready ${ready}s after the Cluster was applied"

primary=$(kcn get cluster drill-pg -o jsonpath='{.status.currentPrimary}')
mapfile -t replicas < <(kcn get pods -l cnpg.io/cluster=drill-pg,cnpg.io/instanceRole=replica -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
echo "    primary $primary, replicas ${replicas[*]}"
on_instance() { kcn exec "$1" -c postgres -- psql -U postgres -d app -Atc "$2"; }
# rw_q SQL: as the application user through the -rw service (the primary), from the node, with the
# credentials CNPG generated; the password on psql's environment, never in an argument.
rw_q() {
  PGPASSWORD=$(kcn get secret drill-pg-app -o jsonpath='{.data.password}' | base64 -d) \
    "$CACHE/postgresql-client-$(_cnpg_pin PG_CLIENT_MAJOR)/bin/psql" -Atq -v ON_ERROR_STOP=1 \
    "host=$(kcn get svc drill-pg-rw -o jsonpath='{.spec.clusterIP}') port=5432 dbname=app user=app sslmode=require connect_timeout=5" -c "$1"
}
note="written through -rw at $(date -u +%T) $RANDOM"
check "a row written through the -rw service" rw_q "create table if not exists drill_rows (id bigserial primary key, note text not null); insert into drill_rows (note) values ('$note')"
check "the primary has a synchronous standby" test "$(on_instance "$primary" "select count(*) from pg_stat_replication where sync_state in ('sync', 'quorum')")" -ge 1
has_row() { [[ $(on_instance "$1" "select count(*) from drill_rows where note = '$note'") == 1 ]]; }
for r in "${replicas[@]}"; do
  check "the row is on replica $r" wait_for 15 "the row on $r" has_row "$r"
done

echo "==> WAL archiving and a base backup through the plugin"
archiving() { [[ $(kcn get cluster drill-pg -o jsonpath='{.status.conditions[?(@.type=="ContinuousArchiving")].status}') == True ]]; }
check "WAL archiving works (the Cluster's ContinuousArchiving condition True)" wait_for 120 "ContinuousArchiving" archiving ||
  kcn get cluster drill-pg -o jsonpath='{.status.conditions[?(@.type=="ContinuousArchiving")]}{"\n"}'
wal_in_bucket() { find "$store/data/$S3_BUCKET/drill-pg/wals" -type f -name '0000*' 2>/dev/null | grep -q .; }
check "archived WAL segments in the bucket" wait_for 30 "WAL in the bucket" wal_in_bucket
t=$(now)
kcn apply -f - >/dev/null <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Backup
metadata:
  name: drill-backup
spec:
  cluster: {name: drill-pg}
  method: plugin
  pluginConfiguration: {name: $CNPG_PLUGIN}
EOF
backup_phase() { kcn get backup drill-backup -o jsonpath='{.status.phase}'; }
backup_done() { [[ $(backup_phase) == completed ]]; }
check "the Backup (method: plugin) completes" wait_for 300 "the backup" backup_done ||
  kcn get backup drill-backup -o jsonpath='{.status}{"\n"}'
timing "Backup created -> completed" $(($(now) - t))
check "the base backup is in the bucket (backup.info)" bash -c "find '$store/data/$S3_BUCKET/drill-pg/base' -name backup.info | grep -q ."
finish
