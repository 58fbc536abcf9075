#!/usr/bin/env bash
# backup-and-restore: the data survives losing the whole release. Installs the chart with
# backup.enabled (S3 target, encrypted, NetworkPolicies on) into a restricted namespace, writes
# tasks (E2E_BACKUP_TASKS of them, default 10000, plus a few through the API that leave activity
# history), runs the CronJob's backup (`kubectl create job --from=cronjob/...`), deletes the release,
# every PVC and the namespace, installs again, runs the restore Job, and compares a digest of every
# row of every table (and every sequence) with the one before.
# The S3 server is versitygw (tests/tools/install) on this host, listening only on the node's address
# (an interface cluster-up creates): its data must outlive the namespace, which a PVC of the release
# would not, and a PV kept by a Retain policy would tie the drill to this cluster's provisioner.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin backup-and-restore

S3_PORT=${E2E_S3_PORT:-19070}
N=${E2E_BACKUP_TASKS:-10000}
store=$DRILL_TMP/s3
mkdir -p "$store/data/drill-backups" "$store/meta"
(umask 077
  head -c 32 /dev/urandom | base64 -w0 >"$DRILL_TMP/encryption-key"
  echo -n e2e-backups >"$DRILL_TMP/access-key-id"
  head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$DRILL_TMP/secret-access-key")
# versitygw reads the root credentials from its environment (never an argument ps would show).
ROOT_ACCESS_KEY_ID=$(cat "$DRILL_TMP/access-key-id") ROOT_SECRET_ACCESS_KEY=$(cat "$DRILL_TMP/secret-access-key") \
  start_proc backup-s3 versitygw --port "$NODE_IP:$S3_PORT" --quiet posix --sidecar "$store/meta" "$store/data"
finish() { stop_proc backup-s3; drill_end; }
wait_for 30 "the S3 server on $NODE_IP:$S3_PORT" curl -s -o /dev/null "http://$NODE_IP:$S3_PORT/" ||
  { tail -n 20 "$LOGS/backup-s3.log"; fail "the S3 server started"; finish; }

VALUES=(--set backup.enabled=true --set backup.target=s3 --set "backup.s3.endpoint=http://$NODE_IP:$S3_PORT"
  --set backup.s3.bucket=drill-backups --set backup.s3.prefix=e2e/ --set backup.s3.existingSecret=backup-s3
  --set backup.encryption.existingSecret=backup-key --set global.networkPolicy.enabled=true)
secrets() {
  kc create secret generic backup-s3 --from-file="$DRILL_TMP/access-key-id" --from-file="$DRILL_TMP/secret-access-key" >/dev/null &&
    kc create secret generic backup-key --from-file="$DRILL_TMP/encryption-key" >/dev/null
}
# One line per table (rows and an md5 of every row as text, all columns) and per sequence.
every_row_digest() {
  local t
  for t in $(psql_q "select tablename from pg_tables where schemaname = 'public' order by 1"); do
    psql_q "select '$t ' || count(*) || ' ' || md5(coalesce(string_agg(r::text, E'\n' order by r::text), '')) from public.\"$t\" r"
  done
  psql_q "select 'sequence ' || sequencename || ' ' || coalesce(last_value::text, '-') from pg_sequences where schemaname = 'public' order by 1"
}
job_done() { # job_done JOB: Complete (0) or Failed (1); 2 while running
  local s
  s=$(kc get job "$1" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
  [[ $s == *Complete* ]] && return 0
  [[ $s == *Failed* ]] && return 1
  return 2
}
run_job() { # run_job CRONJOB JOB: creates JOB from CRONJOB, waits up to 10 min; its log in DRILL_TMP/JOB.log
  local rc=2 end=$(($(now) + 600))
  kc create job --from="cronjob/$1" "$2" >/dev/null || return 1
  while ((rc == 2 && $(now) < end)); do sleep 1; job_done "$2"; rc=$?; done
  kc logs "job/$2" --all-containers >"$DRILL_TMP/$2.log" 2>&1
  sed 's/^/    | /' "$DRILL_TMP/$2.log" | tail -n 5
  return $rc
}
cli_seconds() { grep -o '"seconds":[0-9.]*' "$DRILL_TMP/$1.log" | tail -n 1 | cut -d: -f2; }

echo "==> a release with backups on (S3 at $NODE_IP:$S3_PORT, encrypted, NetworkPolicies on)"
release_absent
install_restricted "${VALUES[@]}" >"$DRILL_TMP/install.log" 2>&1 || { tail -n 30 "$DRILL_TMP/install.log"; fail "install the release"; finish; }
check "the S3 credentials and the encryption key as Secrets" secrets
check "a task created through the API" api_create "e2e backed-up task $(date +%s)"
# The activity history comes along: the tasks trigger records every insert.
psql_q "insert into tasks (title, description, priority) select 'bulk task ' || g, repeat('words ', g % 50), (array['low','medium','high'])[1 + g % 3]::task_priority from generate_series(1, $N) g" >/dev/null
token0=$(api_token)
digest0=$(every_row_digest)
echo "$digest0" | sed 's/^/    before: /'

echo "==> the CronJob's backup, run now"
t=$(now)
check "the backup Job completes" run_job "$RELEASE-backup" "$RELEASE-backup-drill-$(date +%s)"
timing "backup of $(psql_q 'select count(*) from tasks') tasks (Job created -> complete)" $(($(now) - t))
backup_log=$(ls "$DRILL_TMP"/"$RELEASE"-backup-drill-*.log | head -n 1)
echo "    backup CLI: $(cli_seconds "$(basename "$backup_log" .log)")s (pg_dump, encryption and upload)"
stored() { find "$store/data/drill-backups/e2e" -name 'backup-*' -printf '    %f %s bytes\n' 2>/dev/null | sort; }
stored
encrypted_on_store() {
  local f
  f=$(find "$store/data/drill-backups/e2e" -name 'backup-*.dump.enc' | head -n 1)
  [[ -n $f && $(head -c 4 "$f") == TMB1 ]] && ! grep -q PGDMP "$f"
}
check "the bucket holds the dump, encrypted, and its manifest" encrypted_on_store
check "the manifest records the schema version" bash -c "find '$store/data/drill-backups/e2e' -name 'backup-*.json' -exec jq -e '.schemaVersion | test(\"^[0-9]{4}_\")' {} + >/dev/null"

echo "==> lose everything: the release, every PVC, the namespace"
helm uninstall "$RELEASE" -n "$NS" --wait --timeout 3m >/dev/null
kc delete pvc --all --wait=true --timeout=120s >/dev/null
kubectl delete namespace "$NS" --wait=true --timeout=180s >/dev/null
check "the namespace is gone" bash -c "! kubectl get namespace '$NS' >/dev/null 2>&1"

echo "==> install again, restore"
t=$(now)
install_restricted "${VALUES[@]}" --set backup.restore.force=true >"$DRILL_TMP/reinstall.log" 2>&1 ||
  { tail -n 30 "$DRILL_TMP/reinstall.log"; fail "install again"; finish; }
timing "helm install again -> all pods ready" $(($(now) - t))
check "the Secrets again (the same key)" secrets
check "the fresh install holds none of the tasks" test "$(psql_q "select count(*) from tasks where title like 'bulk task %'")" == 0
t=$(now)
check "the restore Job completes" run_job "$RELEASE-restore" "restore-drill-$(date +%s)"
timing "restore (Job created -> complete)" $(($(now) - t))
restore_log=$(ls "$DRILL_TMP"/restore-drill-*.log | head -n 1)
echo "    restore CLI: $(cli_seconds "$(basename "$restore_log" .log)")s (download, verify, pg_restore, migrations)"
digest1=$(every_row_digest)
echo "$digest1" | sed 's/^/    after:  /'
check "every row of every table and every sequence is as before the loss" test -n "$digest0" -a "$digest0" == "$digest1"
check "the token made before the loss signs in again" _token_works "$token0"
check "the app serves the restored tasks" api_lists "bulk task $N"
finish
