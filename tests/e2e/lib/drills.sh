# shellcheck shell=bash
# Issue 7's checks (sourced by tests/e2e/run, after issue 6's): the chart proven on the cluster.
#   1. ct install (ct.yaml, every ci/*-values.yaml) in fresh namespaces, helm test, ct cleans up;
#   2. helmfile -e dev sync; a second sync changes nothing; helmfile diff shows a changed value first;
#   3. k6 smoke (tests/load/smoke.js) and Chromium (tests/e2e/browser.mjs) through NodePort 30080;
#   4. helm upgrade (config value + image tag) and helm rollback under steady k6 traffic;
#   5. an upgrade with a new migration (fixtures/0003_*.sql) under steady traffic;
#   6. PostgreSQL pod deleted: data intact, backends recover without a restart;
#   7. a backend and a frontend pod deleted under steady traffic;
#   8. NetworkPolicy on (enforced by kube-router's policy controller): frontend -/-> PostgreSQL:5432.
# Uses run's pass/fail/check/timing/show_state/all_pods_ready, NS, RELEASE, CHART, HELM_SET, app_tag.
# shellcheck disable=SC2034,SC2317,SC2154  # PROOF_* read by run; checks called through `check`; app_tag, NS... set by run

PROOF_TMP=$(mktemp -d /tmp/tm-e2e-proof.XXXXXX)
K6_FIGURES=()
RATE=${E2E_K6_RATE:-15}   # steady traffic: user steps per second (a step is 1 to 4 requests)
export K6_NO_USAGE_REPORT=true

# ------------------------------------------------------------------ NetworkPolicy enforcement
# The bridge CNI plugin enforces no NetworkPolicy. kube-router's policy controller (only that:
# no routing, no service proxy) turns every policy into iptables rules and ipsets on the node, and
# the bridge sends pod-to-pod traffic through iptables (bridge-nf-call-iptables=1, set by cluster-up).
netpol_up() {
  command -v kube-router >/dev/null || { echo "    kube-router is not installed (tests/tools/install)"; return 1; }
  if proc_alive kube-router; then echo "    kube-router already running"; return 0; fi
  start_proc kube-router kube-router --run-firewall=true --run-router=false --run-service-proxy=false \
    --kubeconfig="$KUBECONFIG" --hostname-override="$NODE_NAME" --health-port=0 --metrics-port=0 \
    --service-cluster-ip-range="$SERVICE_CIDR" --iptables-sync-period=1m -v=1
  wait_for 60 "kube-router's KUBE-ROUTER-FORWARD chain" iptables -S KUBE-ROUTER-FORWARD ||
    { tail -n 30 "$LOGS/kube-router.log"; return 1; }
}
netpol_down() {
  proc_alive kube-router || return 0
  stop_proc kube-router
  local chain rule
  iptables -S | grep -E '^-A (INPUT|OUTPUT|FORWARD) .*-j KUBE-(ROUTER|POD-FW|NWPLCY)' |
    while read -r rule; do eval "iptables ${rule/-A/-D}" 2>/dev/null; done
  for chain in $(iptables -S | awk '$1=="-N" && $2 ~ /^KUBE-(ROUTER|POD-FW|NWPLCY)/ {print $2}'); do
    iptables -F "$chain" 2>/dev/null
  done
  for chain in $(iptables -S | awk '$1=="-N" && $2 ~ /^KUBE-(ROUTER|POD-FW|NWPLCY)/ {print $2}'); do
    iptables -X "$chain" 2>/dev/null
  done
  ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router)' | xargs -r -n1 ipset destroy 2>/dev/null
  echo "    kube-router stopped, its chains and ipsets removed"
}

# ------------------------------------------------------------------ helpers
kc() { kubectl -n "$NS" "$@"; }
psql_q() { kc exec "$RELEASE-postgresql-0" -c postgresql -- psql -U taskmanager -d taskmanager -Atc "$1"; }
pods_of() { kc get pods -l "app.kubernetes.io/name=$1,app.kubernetes.io/instance=$RELEASE" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }
ready_pods_of() {
  kc get pods -l "app.kubernetes.io/name=$1,app.kubernetes.io/instance=$RELEASE" \
    -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{range .status.conditions}}{{if and (eq .type "Ready") (eq .status "True")}}x{{"\n"}}{{end}}{{end}}{{end}}{{end}}' | grep -c x
}
secret_password() { kc get secret "$RELEASE-db" -o jsonpath='{.data.password}'; }
# A digest of every task (id, title, status, version): equal before and after means nothing was lost or changed.
# k6's own tasks (titles "k6 ...") are left out: a sequence cut by a drill may leave one behind.
tasks_digest() { psql_q "select count(*) || ' tasks, md5 ' || md5(coalesce(string_agg(id::text || title || status || version, ',' order by id), '')) from tasks where title not like 'k6 %'"; }
api_create() { # api_create TITLE: POST through NodePort, 201
  local code
  code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"title\": \"$1\"}" "$NODEPORT_URL/api/tasks") && [[ $code == 201 ]]
}
api_lists() { curl -fsS --max-time 10 "$NODEPORT_URL/api/tasks?limit=200&q=$(jq -rn --arg q "$1" '$q|@uri')" | grep -qF "$1"; }
helm_rev() { helm history "$RELEASE" -n "$NS" --max 1 -o json | jq -r '.[-1].revision'; }
wait_ready_all() { wait_for "${1:-180}" "every pod of the release ready" all_pods_ready; }

# k6_start NAME SCRIPT [VAR=VALUE...]: k6 in the background against NodePort 30080.
k6_start() {
  local name=$1 script=$2; shift 2
  rm -f "$PROOF_TMP/$name.json"
  env BASE_URL="$NODEPORT_URL" SUMMARY_FILE="$PROOF_TMP/$name.json" NAME="$name" "$@" \
    nice -n 5 k6 run --quiet --no-color --no-usage-report "$REPO_ROOT/$script" >"$PROOF_TMP/$name.log" 2>&1 &
  K6_PID=$!
  K6_T0=$(now)
}
# k6_wait NAME: waits for the k6 started last; records its figures; 0 when it exited 0 with no failed request.
k6_wait() {
  local name=$1 rc=0
  wait "$K6_PID" || rc=$?
  local line
  line=$(grep '^k6 ' "$PROOF_TMP/$name.log" | tail -1)
  echo "    ${line:-k6 $name: no summary (exit $rc)}"
  [[ -n $line ]] && K6_FIGURES+=("${line#k6 } [$(( $(now) - K6_T0 ))s]")
  if [[ $rc != 0 ]]; then
    echo "    k6 $name exited $rc"; grep -vE '^k6 ' "$PROOF_TMP/$name.log" | grep -iE 'error|warn|threshold|✗' | sort | uniq -c | sort -rn | head -n 15
  fi
  [[ $rc == 0 && -s $PROOF_TMP/$name.json ]] && [[ $(jq -r '.failed' "$PROOF_TMP/$name.json") == 0 ]]
}
k6_still_running() { kill -0 "$K6_PID" 2>/dev/null; }
# under_load DRILL NAME DURATION CMD...: CMD (a helm upgrade/rollback --wait) while k6 sends steady
# traffic for DURATION; three checks: CMD succeeded, it ended before the traffic did, no request failed.
under_load() {
  local drill=$1 name=$2 duration=$3; shift 3
  local t rc=0 during=0
  t=$(now)
  k6_start "$name" tests/load/steady.js RATE="$RATE" DURATION="$duration" LABEL="k6 $name"
  sleep 5
  "$@" >"$PROOF_TMP/$name-action.log" 2>&1 || rc=$?
  k6_still_running && during=1
  echo "    $name: $1 $2 done after $(( $(now) - t ))s (k6 still sending: $during)"
  ((rc == 0)) || tail -n 20 "$PROOF_TMP/$name-action.log" | sed 's/^/    | /'
  check "$drill $name: $1 $2 --wait succeeded" test "$rc" == 0
  check "$drill $name: it finished while k6 was still sending traffic" test "$during" == 1
  check "$drill $name under load: no request failed" k6_wait "$name"
  timing "$drill $name under load" $(( $(now) - t ))
}

# ------------------------------------------------------------------ 1: ct install
proof_ct_install() {
  echo "==> [7.1] ct install (ct.yaml, charts/task-manager, every ci/*-values.yaml)"
  local t sets
  t=$(now)
  sets="${HELM_SET[*]}"
  (cd "$REPO_ROOT" && ct install --config ct.yaml --charts charts/task-manager --target-branch main \
    --helm-extra-set-args "$sets") >"$PROOF_TMP/ct.log" 2>&1
  local rc=$?
  grep -E '^ *(Installing chart|TEST SUITE|Phase|Deleting release|Namespace "|.*(✔︎|✖︎))' "$PROOF_TMP/ct.log" |
    sed -E 's/^ */    /' | head -n 40
  timing "7.1 ct install" $(( $(now) - t ))
  if [[ $rc != 0 ]]; then tail -n 60 "$PROOF_TMP/ct.log" | sed 's/^/    | /'; fi
  check "7.1 ct install: installs every ci values file, pods ready, helm test passes" test "$rc" == 0
  # ct deletes each release's namespace: none of them may be left
  local left
  left=$(kubectl get ns -o name | grep -E 'task-manager-[a-z0-9]{5,}' || true)
  [[ -n $left ]] && echo "    namespaces left: $left"
  check "7.1 ct cleaned up (no namespace of its installs is left)" test -z "$left"
}

# ------------------------------------------------------------------ 2: helmfile
HELMFILE_SET=()
proof_helmfile() {
  echo "==> [7.2] helmfile -e dev sync, twice; helmfile diff"
  local s
  HELMFILE_SET=()
  for s in "${HELM_SET[@]}"; do [[ $s == --set ]] || HELMFILE_SET+=(--set "$s"); done
  local t
  t=$(now)
  if (cd "$REPO_ROOT" && helmfile -e dev sync --wait "${HELMFILE_SET[@]}") >"$PROOF_TMP/helmfile-1.log" 2>&1; then
    pass "7.2 helmfile -e dev sync installs the release in namespace $NS"
  else
    tail -n 40 "$PROOF_TMP/helmfile-1.log" | sed 's/^/    | /'
    fail "7.2 helmfile -e dev sync installs the release in namespace $NS"; show_state; return 1
  fi
  timing "7.2 helmfile sync (install) -> ready" $(( $(now) - t ))
  check "7.2 every pod of the helmfile release ready" wait_ready_all 120
  local rev1 pods1 secret1 rev2 pods2 secret2
  rev1=$(helm_rev); pods1=$(kc get pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort)
  secret1=$(secret_password)
  t=$(now)
  (cd "$REPO_ROOT" && helmfile -e dev sync --wait "${HELMFILE_SET[@]}") >"$PROOF_TMP/helmfile-2.log" 2>&1 ||
    { tail -n 30 "$PROOF_TMP/helmfile-2.log"; fail "7.2 second helmfile sync"; }
  timing "7.2 helmfile sync (again)" $(( $(now) - t ))
  rev2=$(helm_rev); pods2=$(kc get pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort)
  secret2=$(secret_password)
  # helm records every sync as a revision; "changes nothing" = the same manifest, the same pods, the same password
  same_manifest() {
    diff <(helm get manifest "$RELEASE" -n "$NS" --revision "$rev1") <(helm get manifest "$RELEASE" -n "$NS" --revision "$rev2") |
      head -n 20
    [[ ${PIPESTATUS[0]} == 0 ]]
  }
  echo "    revisions $rev1 -> $rev2"
  check "7.2 second sync: manifest of revision $rev2 identical to revision $rev1" same_manifest
  check "7.2 second sync: no pod replaced or restarted (same pod UIDs)" test "$pods1" == "$pods2"
  check "7.2 second sync: database password unchanged" test -n "$secret1" -a "$secret1" == "$secret2"
  no_diff() {
    (cd "$REPO_ROOT" && helmfile -e dev diff --detailed-exitcode "${HELMFILE_SET[@]}") >"$PROOF_TMP/diff-0.log" 2>&1 && return 0
    tail -n 30 "$PROOF_TMP/diff-0.log" | sed 's/^/    | /'; return 1
  }
  check "7.2 helmfile diff after the second sync: no difference (exit 0)" no_diff
  # A changed value: global.config.logLevel debug -> warn. diff must show it (exit 2) and apply nothing.
  shows_change() {
    local rc=0
    (cd "$REPO_ROOT" && helmfile -e dev diff --detailed-exitcode "${HELMFILE_SET[@]}" --set global.config.logLevel=warn) \
      >"$PROOF_TMP/diff-1.log" 2>&1 || rc=$?
    grep -E '^[-+] .*(LOG_LEVEL|logLevel|debug|warn)' "$PROOF_TMP/diff-1.log" | head -n 6 | sed 's/^/    /'
    [[ $rc == 2 ]] && grep -qE '^\+ .*warn' "$PROOF_TMP/diff-1.log" && grep -qE '^- .*debug' "$PROOF_TMP/diff-1.log" && return 0
    echo "    helmfile diff exit $rc"; tail -n 30 "$PROOF_TMP/diff-1.log" | sed 's/^/    | /'; return 1
  }
  check "7.2 helmfile diff shows the changed value (LOG_LEVEL debug -> warn, exit 2)" shows_change
  not_applied() {
    [[ $(helm_rev) == "$rev2" ]] && kc get configmap -o yaml | grep -q 'LOG_LEVEL: debug'
  }
  check "7.2 ... and the diff applied nothing (same revision, LOG_LEVEL still debug)" not_applied
}

# ------------------------------------------------------------------ 3: k6 smoke + browser
proof_smoke_browser() {
  echo "==> [7.3] k6 smoke and Chromium through NodePort 30080"
  local t
  t=$(now)
  k6_start smoke tests/load/smoke.js
  check "7.3 k6 smoke: zero failed requests, p95 thresholds" k6_wait smoke
  timing "7.3 k6 smoke" $(( $(now) - t ))
  t=$(now)
  check "7.3 Chromium: create, edit, complete, delete a task in the UI (screenshot in test-results/)" \
    node "$E2E_DIR/browser.mjs" "$NODEPORT_URL"
  timing "7.3 browser" $(( $(now) - t ))
}

# ------------------------------------------------------------------ 4: upgrade + rollback under load
proof_upgrade_rollback() {
  echo "==> [7.4] helm upgrade (config value + image tag) and helm rollback under steady traffic"
  local marker digest0 pass0 rev_before new_tag="$app_tag-e2e2" old_pods new_pods
  # two pods each, as the reference deployment: a single pod cannot roll without a gap
  helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m \
    --set frontend.replicaCount=2 --set backend-api.replicaCount=2 >/dev/null || { fail "7.4 scale to 2 pods each"; return 1; }
  marker="e2e upgrade marker $(date +%s)"
  api_create "$marker" || { fail "7.4 create the marker task"; return 1; }
  digest0=$(tasks_digest); pass0=$(secret_password)
  local timeout0
  timeout0=$(kc get configmap "$RELEASE-config" -o jsonpath='{.data.BACKEND_TIMEOUT_MS}')
  echo "    before: $digest0, BACKEND_TIMEOUT_MS=$timeout0"
  # the second tag: the same local image under another tag, imported into containerd
  $DOCKER tag "task-manager/backend-api:$app_tag" "task-manager/backend-api:$new_tag"
  $DOCKER tag "task-manager/frontend:$app_tag" "task-manager/frontend:$new_tag"
  bash "$E2E_DIR/lib/import-images.sh" "task-manager/backend-api:$new_tag" "task-manager/frontend:$new_tag" >/dev/null ||
    { fail "7.4 import the second tag"; return 1; }
  rev_before=$(helm_rev)
  old_pods=$(pods_of backend-api; pods_of frontend)

  under_load 7.4 upgrade 50s helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m \
    --set global.config.backendTimeoutMs=$((timeout0 + 1000)) --set backend-api.image.tag="$new_tag" --set frontend.image.tag="$new_tag"
  new_pods=$(pods_of backend-api; pods_of frontend)
  rolled() { ! grep -qxF -f <(echo "$old_pods") <<<"$new_pods"; }
  check "7.4 every backend and frontend pod replaced (rolled)" rolled
  runs_new_tag() {
    kc get pods -l "app.kubernetes.io/instance=$RELEASE" -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' |
      grep -c ":$new_tag\$" | grep -qx 4
  }
  check "7.4 backend and frontend run the new tag $new_tag" runs_new_tag
  timeout_is() { [[ $(kc get configmap "$RELEASE-config" -o jsonpath='{.data.BACKEND_TIMEOUT_MS}') == "$1" ]]; }
  check "7.4 the config value changed (BACKEND_TIMEOUT_MS=$((timeout0 + 1000)))" timeout_is $((timeout0 + 1000))
  local digest1 pass1
  digest1=$(tasks_digest); pass1=$(secret_password)
  check "7.4 data unchanged by the upgrade ($digest1)" test "$digest0" == "$digest1"
  check "7.4 database password unchanged by the upgrade" test -n "$pass0" -a "$pass0" == "$pass1"

  old_pods=$(pods_of backend-api; pods_of frontend)
  under_load 7.4 rollback 50s helm rollback "$RELEASE" "$rev_before" -n "$NS" --wait --timeout 5m
  new_pods=$(pods_of backend-api; pods_of frontend)
  check "7.4 rollback replaced every backend and frontend pod" rolled
  runs_old_tag() {
    kc get pods -l "app.kubernetes.io/instance=$RELEASE" -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' |
      grep -c ":$app_tag\$" | grep -qx 4
  }
  check "7.4 rollback: backend and frontend back on $app_tag" runs_old_tag
  check "7.4 rollback: config value back (BACKEND_TIMEOUT_MS=$timeout0)" timeout_is "$timeout0"
  digest1=$(tasks_digest); pass1=$(secret_password)
  check "7.4 data unchanged by the rollback" test "$digest0" == "$digest1"
  check "7.4 database password unchanged by the rollback" test "$pass0" == "$pass1"
  check "7.4 the marker task is still listed" api_lists "$marker"
}

# ------------------------------------------------------------------ 5: a new migration in an upgrade
proof_migration() {
  echo "==> [7.5] upgrade with a new migration (fixtures/0003_e2e_migration_probe.sql) under steady traffic"
  local t tag="$app_tag-e2e-m3"
  t=$(now)
  $DOCKER build -q -f "$E2E_DIR/fixtures/Dockerfile.backend-migration" --build-arg "BASE=task-manager/backend-api:$app_tag" \
    -t "task-manager/backend-api:$tag" "$E2E_DIR/fixtures" >/dev/null &&
    bash "$E2E_DIR/lib/import-images.sh" "task-manager/backend-api:$tag" >/dev/null ||
    { fail "7.5 build and import the backend image with migration 0003"; return 1; }
  timing "7.5 build + import the migration image" $(( $(now) - t ))
  local before old_pods
  before=$(psql_q "select count(*) from schema_migrations where name like '0003%'")
  check "7.5 migration 0003 not applied before the upgrade" test "$before" == 0
  old_pods=$(pods_of backend-api)
  # old pods keep answering /readyz 200 all through (polled from the node, as the kubelet does)
  : >"$PROOF_TMP/old-ready.log"
  (
    local ip p end
    end=$(( $(now) + 90 ))
    while (( $(now) < end )); do
      for p in $old_pods; do
        ip=$(kubectl -n "$NS" get pod "$p" -o jsonpath='{.status.podIP}' 2>/dev/null) || continue
        [[ -n $ip ]] || continue
        kubectl -n "$NS" get pod "$p" -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null | grep -q . && continue
        echo "$(date +%s) $p $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$ip:5000/readyz")" >>"$PROOF_TMP/old-ready.log"
      done
      sleep 1
    done
  ) &
  local poller=$!
  under_load 7.5 migration 50s helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m \
    --set backend-api.image.tag="$tag"
  kill "$poller" 2>/dev/null; wait "$poller" 2>/dev/null
  local applied rows
  applied=$(psql_q "select count(*) from schema_migrations where name = '0003_e2e_migration_probe'")
  rows=$(psql_q "select count(*) from e2e_migration_probe" 2>&1)
  echo "    schema_migrations rows for 0003: $applied; e2e_migration_probe rows: $rows"
  check "7.5 migration 0003 applied exactly once" test "$applied" == 1 -a "$rows" == 1
  # applied before any new backend pod became ready
  applied_before_ready() {
    local at p ready bad=0
    at=$(psql_q "select extract(epoch from applied_at)::bigint from schema_migrations where name = '0003_e2e_migration_probe'")
    for p in $(pods_of backend-api); do
      ready=$(kc get pod "$p" -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}{.lastTransitionTime}{end}')
      ready=$(date -d "$ready" +%s)
      echo "    $p: ready at $ready, migration applied at $at ($(( ready - at ))s before)"
      (( at <= ready )) || bad=1
    done
    return $bad
  }
  check "7.5 the migration was applied before every new backend pod became ready" applied_before_ready
  old_kept_serving() {
    local n bad at after
    at=$(psql_q "select extract(epoch from applied_at)::bigint from schema_migrations where name = '0003_e2e_migration_probe'")
    n=$(wc -l <"$PROOF_TMP/old-ready.log"); bad=$(grep -vc ' 200$' "$PROOF_TMP/old-ready.log")
    after=$(awk -v at="$at" '$1 > at && $3 == 200' "$PROOF_TMP/old-ready.log" | wc -l)
    echo "    old pods' /readyz polled $n times until they began draining: $bad not 200, $after answers 200 after the migration"
    (( n > 0 && bad == 0 && after > 0 ))
  }
  check "7.5 old backend pods stayed ready (on the migrated schema) until they were replaced" old_kept_serving
  check "7.5 every backend pod now runs the image with the migration" \
    bash -c "[[ \$(kubectl -n $NS get pods -l app.kubernetes.io/name=backend-api -o jsonpath='{range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}' | grep -c ':$tag\$') == 2 ]]"
}

# ------------------------------------------------------------------ 6: PostgreSQL pod deleted
proof_persistence() {
  echo "==> [7.6] delete the PostgreSQL pod: data intact, backends recover without a restart"
  local t digest0 digest1 ips p
  digest0=$(tasks_digest)
  echo "    before: $digest0"
  ips=$(kc get pods -l app.kubernetes.io/name=backend-api -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}')
  # the backends' /readyz (what the kubelet probes, with its 3 s timeout), every 0.5 s from the node;
  # 000 = no answer within the probe's timeout, which the kubelet counts as a failure too
  : >"$PROOF_TMP/readyz.log"
  local pollers=()
  for p in $ips; do
    ( while :; do echo "$(date +%s.%N) $p $(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$p:5000/readyz")"; sleep 0.5; done >>"$PROOF_TMP/readyz.log" ) &
    pollers+=($!)
  done
  t=$(now)
  # traffic through the outage, for the figures only: with a single database pod, requests that
  # need it fail (503) while it is away, by design; what must hold is checked below
  k6_start persistence tests/load/steady.js RATE="$RATE" DURATION=30s LABEL="k6 persistence"
  sleep 3
  kc delete pod "$RELEASE-postgresql-0" --wait=false >/dev/null
  wait_for 30 "the old PostgreSQL pod gone" bash -c "! kubectl -n $NS get pod $RELEASE-postgresql-0 -o jsonpath='{.metadata.deletionTimestamp}' | grep -q ." ||
    true
  wait_for 120 "PostgreSQL ready again" bash -c "[[ \$(kubectl -n $NS get pod $RELEASE-postgresql-0 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}') == True ]]"
  echo "    PostgreSQL ready again after $(( $(now) - t ))s"
  wait_for 60 "both backends ready" bash -c "[[ \$(kubectl -n $NS get pods -l app.kubernetes.io/name=backend-api -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}' | grep -c True) == 2 ]]"
  # the kubelet may see a 200 before a poller does (a poller's 503 can take up to its 3 s
  # timeout), so the pollers run until each has logged its backend's return, or for 20 s more
  readyz_sequence() {
    awk -v p="$1" '$2 == p { print ($3 == 200 ? "U" : "D") }' "$PROOF_TMP/readyz.log" | uniq | tr -d '\n'
  }
  every_backend_back() {
    local p
    for p in $ips; do [[ $(readyz_sequence "$p") == *D*U ]] || return 1; done
  }
  wait_for 20 "every backend's /readyz answering 200 again" every_backend_back || true
  kill "${pollers[@]}" 2>/dev/null; wait "${pollers[@]}" 2>/dev/null
  k6_wait persistence >/dev/null || true
  echo "    (k6 during the outage, not a check) $(grep '^k6 ' "$PROOF_TMP/persistence.log" | tail -1)"
  timing "7.6 PostgreSQL pod deleted -> all ready" $(( $(now) - t ))
  digest1=$(tasks_digest)
  echo "    after:  $digest1"
  check "7.6 every task intact after the PostgreSQL pod came back" test -n "$digest0" -a "$digest0" == "$digest1"
  dropped_then_returned() {
    local bad=0 p
    for p in $ips; do
      local seq
      seq=$(readyz_sequence "$p")
      echo "    backend $p /readyz: $(awk -v p="$p" '$2 == p' "$PROOF_TMP/readyz.log" | awk '{print $3}' | uniq -c | awk '{printf "%sx%s ", $1, $2}')"
      [[ $seq == UD*U || $seq == D*U ]] && [[ $seq == *D*U ]] || bad=1
    done
    return $bad
  }
  check "7.6 backend readiness dropped while the database was away, then returned" dropped_then_returned
  no_restarts() {
    local r
    r=$(kc get pods -l app.kubernetes.io/name=backend-api -o jsonpath='{range .items[*]}{.metadata.name} {.status.containerStatuses[0].restartCount}{"\n"}{end}')
    echo "$r" | sed 's/^/    restartCount /'
    ! echo "$r" | awk '{print $2}' | grep -qv '^0$'
  }
  check "7.6 the backends recovered without a restart (restartCount 0)" no_restarts
  check "7.6 the app works again (create + list through NodePort)" \
    bash -c "$(declare -f api_create api_lists); NODEPORT_URL=$NODEPORT_URL; api_create 'e2e after db restart $t' && api_lists 'e2e after db restart $t'"
}

# ------------------------------------------------------------------ 7: draining
proof_draining() {
  echo "==> [7.7] delete a backend pod and a frontend pod under steady traffic"
  local t be fe
  be=$(pods_of backend-api | head -1); fe=$(pods_of frontend | head -1)
  t=$(now)
  k6_start draining tests/load/steady.js RATE="$RATE" DURATION=50s LABEL="k6 draining"
  sleep 8
  kc delete pod "$be" --wait=false >/dev/null && echo "    deleted $be at +$(( $(now) - t ))s"
  sleep 8
  kc delete pod "$fe" --wait=false >/dev/null && echo "    deleted $fe at +$(( $(now) - t ))s"
  check "7.7 draining: no request failed" k6_wait draining
  timing "7.7 draining under load" $(( $(now) - t ))
  check "7.7 the deleted pods were replaced (2 backend, 2 frontend ready)" \
    wait_for 60 "2 ready pods each" bash -c "$(declare -f ready_pods_of kc); NS=$NS RELEASE=$RELEASE; [[ \$(ready_pods_of backend-api) == 2 && \$(ready_pods_of frontend) == 2 ]]"
}

# ------------------------------------------------------------------ 8: NetworkPolicy
# tcp_from POD HOST PORT: "open" when a TCP connection from inside POD succeeds within 3 s.
tcp_from() {
  kc exec "$1" -- node -e '
    const s = require("net").connect({ host: process.argv[1], port: Number(process.argv[2]) });
    const t = setTimeout(() => { console.log("timeout"); process.exit(2); }, 3000);
    s.on("connect", () => { console.log("open"); process.exit(0); });
    s.on("error", (e) => { console.log(e.code); process.exit(1); });' "$2" "$3" 2>/dev/null
}
proof_netpol() {
  echo "==> [7.8] NetworkPolicy on (kube-router enforcing): the frontend cannot reach PostgreSQL"
  local t fe be db="$RELEASE-postgresql" r
  fe=$(pods_of frontend | head -1); be=$(pods_of backend-api | head -1)
  r=$(tcp_from "$fe" "$db" 5432); echo "    policy off: frontend -> $db:5432: $r"
  check "7.8 control: without NetworkPolicy the frontend CAN connect to PostgreSQL:5432" test "$r" == open
  t=$(now)
  helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m \
    --set global.networkPolicy.enabled=true >/dev/null || { fail "7.8 helm upgrade with NetworkPolicy on"; return 1; }
  check "7.8 the release has its NetworkPolicies" bash -c "[[ \$(kubectl -n $NS get networkpolicy -o name | wc -l) -ge 3 ]]"
  wait_ready_all 120 >/dev/null
  sleep 3   # kube-router applies a policy change within a second or two
  fe=$(pods_of frontend | head -1); be=$(pods_of backend-api | head -1)
  local dbip
  dbip=$(kc get pod "$RELEASE-postgresql-0" -o jsonpath='{.status.podIP}')
  r=$(tcp_from "$fe" "$db" 5432); echo "    policy on: frontend $fe -> $db:5432 (service): $r"
  check "7.8 frontend cannot open a TCP connection to PostgreSQL:5432 (service)" test "$r" != open -a -n "$r"
  r=$(tcp_from "$fe" "$dbip" 5432); echo "    policy on: frontend -> $dbip:5432 (pod IP): $r"
  check "7.8 frontend cannot open a TCP connection to PostgreSQL:5432 (pod IP)" test "$r" != open -a -n "$r"
  r=$(tcp_from "$be" "$db" 5432); echo "    policy on: backend $be -> $db:5432: $r"
  check "7.8 control: the backend still connects to PostgreSQL:5432" test "$r" == open
  local title
  title="e2e with netpol $(date +%s)"
  check "7.8 the app works with NetworkPolicy on: create through NodePort" api_create "$title"
  check "7.8 ... and list it through NodePort (frontend -> backend -> PostgreSQL)" api_lists "$title"
  check "7.8 ... and the page renders it" bash -c "curl -fsS --max-time 10 '$NODEPORT_URL/' | grep -qF '$title'"
  k6_start netpol tests/load/smoke.js
  check "7.8 k6 smoke with NetworkPolicy on: zero failed requests" k6_wait netpol
  timing "7.8 NetworkPolicy drill" $(( $(now) - t ))
}

proof_all() {
  local t
  t=$(now)
  proof_ct_install
  proof_helmfile && {
    proof_smoke_browser
    proof_upgrade_rollback
    proof_migration
    proof_persistence
    proof_draining
    proof_netpol
  }
  echo "==> [7] cleanup: helm uninstall, namespace deleted"
  helm uninstall "$RELEASE" -n "$NS" --wait --timeout 3m >/dev/null 2>&1 || true
  kubectl delete namespace "$NS" --wait=true --timeout=120s >/dev/null 2>&1 || true
  timing "issue 7 checks" $(( $(now) - t ))
  rm -rf "$PROOF_TMP"
}

# k6 figures of every run, for run's final report
k6_report() {
  ((${#K6_FIGURES[@]})) || return 0
  echo "==> k6 figures"
  printf '    %s\n' "${K6_FIGURES[@]}"
}
