#!/usr/bin/env bash
# migration-in-upgrade: the backend image with one more migration (fixtures/Dockerfile.backend-migration
# layers fixtures/9001_e2e_migration_probe.sql onto it: a new table with one row, never shipped),
# installed by `helm upgrade` under steady Vegeta traffic. Checks: not one request failed; the
# migration applied exactly once; applied before every new backend pod became ready; the old
# backend pods' /readyz (polled from the node every second) stayed 200 until they began draining,
# also after the migration was in; every backend pod runs the new image. A migration left by an
# earlier run on a kept cluster is reverted first (its down migration).
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin migration-in-upgrade
tag="$APP_TAG-e2e-m3"
migration=9001_e2e_migration_probe

applied_at() { psql_q "select extract(epoch from applied_at)::bigint from schema_migrations where name = '$migration'"; }
# The old backend pods' /readyz, every second for 90 s, until each begins draining (as the kubelet probes it).
# Being deleted, or gone already (the error of a get names it NotFound): either way, no longer asked.
draining() { [[ -n $(kc get pod "$1" -o jsonpath='{.metadata.deletionTimestamp}' 2>&1) ]]; }
readyz() { curl -s -o /dev/null -w '%{http_code}' --max-time "$2" "$1"; }
poll_old_pods() {
  local ip p port url code at end=$(($(now) + 90))
  port=$(pod_port "$1" http)
  while (($(now) < end)); do
    for p in "$@"; do
      ip=$(kc get pod "$p" -o jsonpath='{.status.podIP}' 2>/dev/null) || continue
      [[ -n $ip ]] || continue
      draining "$p" && continue
      url="http://$ip:$port/readyz" at=$(now)
      code=$(readyz "$url" 2)
      # No answer within 2 s (a node busy starting the new pods) is what the kubelet's probe retries
      # too: asked once more, with more time. Any answer that is not 200 counts at once.
      if [[ $code == 000 ]]; then
        code=$(readyz "$url" 5)
        echo "$at $p $code" >>"$DRILL_TMP/old-ready-slow.log"
      fi
      # A pod told to stop while the answer was on its way may have answered as a draining pod.
      draining "$p" || echo "$at $p $code"
    done
    sleep 1
  done
}
applied_before_ready() {
  local at p ready bad=0
  at=$(applied_at)
  for p in $(pods_of backend-api); do
    ready=$(kc get pod "$p" -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}{.lastTransitionTime}{end}')
    ready=$(date -d "$ready" +%s)
    echo "    $p: ready at $ready, migration applied at $at ($((ready - at))s before)"
    ((at <= ready)) || bad=1
  done
  return $bad
}
old_kept_serving() {
  local n bad at after log=$DRILL_TMP/old-ready.log
  at=$(applied_at)
  n=$(wc -l <"$log"); bad=$(grep -vc ' 200$' "$log")
  after=$(awk -v at="$at" '$1 > at && $3 == 200' "$log" | wc -l)
  echo "    old pods' /readyz polled $n times until they began draining: $bad not 200, $after answers 200 after the migration"
  [[ -s $DRILL_TMP/old-ready-slow.log ]] && sed 's/^/    no answer within 2 s, asked again: /' "$DRILL_TMP/old-ready-slow.log"
  grep -v ' 200$' "$log" | sed 's/^/    not 200: /'
  ((n > 0 && bad == 0 && after > 0))
}
backends_on() { [[ $(kc get pods -l app.kubernetes.io/name=backend-api -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | grep -c ":$1\$") == 2 ]]; }

echo "==> upgrade with a new migration (fixtures/$migration.sql) under steady traffic"
release_ready "${TWO_EACH[@]}" || drill_abort "the release deployed with 2 pods each"
if [[ $(psql_q "select count(*) from schema_migrations where name = '$migration'") != 0 ]]; then
  echo "    $migration is applied (an earlier run): reverted, and the backend back on $APP_TAG"
  { psql_q "$(cat "$E2E_DIR/fixtures/$migration.down.sql") delete from schema_migrations where name = '$migration';" &&
    release_ready --set backend-api.image.tag="$APP_TAG"; } >"$DRILL_TMP/revert.log" 2>&1 ||
    { tail -n 20 "$DRILL_TMP/revert.log"; drill_abort "revert the migration of an earlier run"; }
fi
t=$(now)
$DOCKER build -q -f "$E2E_DIR/fixtures/Dockerfile.backend-migration" --build-arg "BASE=task-manager/backend-api:$APP_TAG" \
  -t "task-manager/backend-api:$tag" "$E2E_DIR/fixtures" >/dev/null &&
  bash "$E2E_DIR/lib/import-images.sh" "task-manager/backend-api:$tag" >/dev/null ||
  drill_abort "build and import the backend image with the probe migration"
timing "build + import the migration image" $(($(now) - t))
check "the probe migration not applied before the upgrade" test "$(psql_q "select count(*) from schema_migrations where name = '$migration'")" == 0
mapfile -t old_pods < <(pods_of backend-api)
poll_old_pods "${old_pods[@]}" >"$DRILL_TMP/old-ready.log" &
poller=$!
under_load migration 50s "helm upgrade" helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m \
  --set backend-api.image.tag="$tag"
kill "$poller" 2>/dev/null; wait "$poller" 2>/dev/null
applied=$(psql_q "select count(*) from schema_migrations where name = '$migration'")
rows=$(psql_q "select count(*) from e2e_migration_probe" 2>&1)
echo "    schema_migrations rows for the probe: $applied; e2e_migration_probe rows: $rows"
check "the probe migration applied exactly once" test "$applied" == 1 -a "$rows" == 1
check "the migration was applied before every new backend pod became ready" applied_before_ready
check "old backend pods stayed ready (on the migrated schema) until they were replaced" old_kept_serving
check "every backend pod now runs the image with the migration" backends_on "$tag"
drill_end
