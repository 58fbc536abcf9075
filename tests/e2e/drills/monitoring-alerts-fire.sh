#!/usr/bin/env bash
# monitoring-alerts-fire: a real Prometheus, run by the Prometheus Operator (both built from the Go
# module proxy by tests/tools/install, images from images/build), scrapes the chart's
# ServiceMonitors and evaluates its PrometheusRule. The operator's CRDs and RBAC come from the
# operator module's own example/ manifests, at the version it was built from; they are installed
# before the chart, in namespace `monitoring`, with fixtures/prometheus.yaml.
# The release: a fresh install with fixtures/monitoring-values.yaml (2 pods each, NetworkPolicy on).
# Checks: every target of both ServiceMonitors up, one per frontend and backend pod, on the metrics
# port only; every alert of the PrometheusRule loaded and evaluated; after a short steady load every
# dashboard panel's query returns data. Fault drills, each timed from fault to firing: the tasks
# table renamed away under load (5xx) -> TaskManagerBackendApiErrorBudgetBurn; PostgreSQL scaled to
# 0 -> TaskManagerDatabaseUnreachable; the backend scaled to 0 -> TaskManagerBackendApiDown, which
# resolves once it is scaled back. Everything it made is removed at the end (E2E_KEEP_MONITORING=1
# keeps the operator and Prometheus).
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin monitoring-alerts-fire

MON_NS=monitoring
operator_version=$(sed -n 's/^PROMETHEUS_OPERATOR_VERSION=\([^ ]*\).*/\1/p' "$REPO_ROOT/tests/tools/install")
operator_image=$(grep '^task-manager/prometheus-operator:' "$CACHE/images/built.txt")
prometheus_image=$(grep '^task-manager/prometheus:' "$CACHE/images/built.txt")
[[ -n $operator_image && -n $prometheus_image ]] ||
  drill_abort "no Prometheus or operator image built (tests/tools/install, then images/build)"

# ------------------------------------------------------------------ the operator and Prometheus
# The operator module's source, as the Go module proxy serves it (cached by tests/tools/install's build).
operator_src() {
  (cd "$DRILL_TMP" && GOFLAGS=-mod=mod go mod download -json "github.com/prometheus-operator/prometheus-operator@$operator_version" |
    jq -r .Dir)
}
# in_monitoring FILE...: the example manifests moved from namespace default to ours, on the local images.
in_monitoring() {
  local f
  for f; do
    echo ---
    sed -e "s/namespace: default/namespace: $MON_NS/" \
      -e "s|quay.io/prometheus-operator/prometheus-operator:$operator_version|$operator_image|" \
      -e "s|quay.io/prometheus-operator/prometheus-config-reloader:$operator_version|$operator_image|" "$f"
  done
}
operator_up() {
  local src ex
  src=$(operator_src) && [[ -d $src ]] || { echo "    the operator module $operator_version is not in the module cache"; return 1; }
  ex=$src/example
  kubectl create namespace "$MON_NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null &&
    kubectl apply --server-side --force-conflicts -f "$ex/prometheus-operator-crd" >/dev/null &&
    kubectl wait --for condition=Established --timeout=60s -f "$ex/prometheus-operator-crd" >/dev/null &&
    in_monitoring "$ex"/rbac/prometheus-operator/prometheus-operator-{service-account,cluster-role,cluster-role-binding,deployment}.yaml \
      "$ex"/rbac/prometheus/prometheus-{service-account,cluster-role,cluster-role-binding}.yaml | kubectl apply -n "$MON_NS" -f - >/dev/null &&
    kubectl -n "$MON_NS" rollout status deployment/prometheus-operator --timeout=90s
}
prometheus_up() {
  PROMETHEUS_IMAGE=$prometheus_image PROMETHEUS_VERSION=${prometheus_image##*:} envsubst <"$E2E_DIR/fixtures/prometheus.yaml" |
    kubectl apply -f - >/dev/null &&
    wait_for 60 "the operator to make the Prometheus StatefulSet" kubectl -n "$MON_NS" get statefulset prometheus-e2e &&
    kubectl -n "$MON_NS" rollout status statefulset/prometheus-e2e --timeout=120s >/dev/null &&
    PROM=http://$(kubectl -n "$MON_NS" get pod prometheus-e2e-0 -o jsonpath='{.status.podIP}'):9090 &&
    wait_for 30 "Prometheus ready" curl -fsS --max-time 2 "$PROM/-/ready"
}
monitoring_down() {
  [[ ${E2E_KEEP_MONITORING:-0} == 1 ]] && { echo "    E2E_KEEP_MONITORING=1: the operator and Prometheus kept"; return 0; }
  local src
  release_absent
  kubectl -n "$MON_NS" delete prometheus e2e --ignore-not-found --wait=true --timeout=60s >/dev/null 2>&1
  kubectl delete namespace "$MON_NS" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1
  kubectl delete clusterrole,clusterrolebinding prometheus prometheus-operator --ignore-not-found >/dev/null 2>&1
  src=$(operator_src) && kubectl delete -f "$src/example/prometheus-operator-crd" --ignore-not-found >/dev/null 2>&1
  echo "    release, namespace $MON_NS, the operator's cluster roles and CRDs removed"
}
abort() {
  fail "$1"
  monitoring_down
  drill_end
}

# ------------------------------------------------------------------ asking Prometheus
prom() { curl -fsS --max-time 10 "$PROM/api/v1/$1"; }
prom_query() { curl -fsS --max-time 10 -G "$PROM/api/v1/query" --data-urlencode "query=$1"; }
# targets_match COMPONENT: the ServiceMonitor's active targets are exactly the pods of COMPONENT,
# each up, each on the pod's metrics port.
targets_match() {
  local c=$1 pool="serviceMonitor/$NS/$RELEASE-$1/0" got want pod bad=0
  got=$(prom 'targets?state=active' | jq -r --arg p "$pool" \
    '.data.activeTargets[] | select(.scrapePool == $p) | "\(.labels.pod) \(.health) \(.scrapeUrl)"' | sort)
  echo "$got" | sed "s/^/    $c target: /"
  want=$(pods_of "$c" | sort)
  [[ -n $want && $(cut -d' ' -f1 <<<"$got") == "$want" ]] || bad=1
  while read -r pod _ _; do
    [[ -n $pod ]] || continue
    grep -qxF "$pod up http://$(kc get pod "$pod" -o jsonpath='{.status.podIP}'):$(pod_port "$pod" metrics)/metrics" <<<"$got" || bad=1
  done <<<"$got"
  return $bad
}
# rules_loaded: Prometheus evaluates exactly the alerts of the release's PrometheusRule, each healthy.
rules_loaded() {
  local want got
  want=$(kc get prometheusrule "$RELEASE" -o json | jq -r '.spec.groups[].rules[].alert // empty' | sort)
  got=$(prom 'rules?type=alert' | jq -r --arg f "$NS-$RELEASE-" \
    '.data.groups[] | select(.file | contains($f)) | .rules[] | "\(.name) \(.health)"' | sort)
  echo "    $(wc -l <<<"$want") alerts in the PrometheusRule; Prometheus has: $(tr '\n' ' ' <<<"$got")"
  [[ -n $want && $got == "$(sed 's/$/ ok/' <<<"$want" | sort)" ]]
}
# panels_have_data: every dashboard panel query ($namespace filled in) returns at least one series.
panels_have_data() {
  local expr n bad=0
  while IFS= read -r expr; do
    n=$(prom_query "${expr//\$namespace/$NS}" | jq '.data.result | length')
    echo "    ${n:-error} series: $expr"
    [[ ${n:-0} -gt 0 ]] || bad=1
  done < <(jq -r '.. | objects | select(has("expr")) | .expr' "$CHART/files/dashboard.json")
  return $bad
}
# backend_series METRIC...: each METRIC of the backend's pods now, for a failure's record.
backend_series() {
  local m
  for m; do
    prom_query "$m{namespace=\"$NS\", service=\"$RELEASE-backend-api-metrics\"}" |
      jq -r --arg m "$m" '.data.result[] | "    \($m){pod=\(.metric.pod)} \(.value[1])"'
  done
  prom 'targets?state=active' | jq -r --arg p "serviceMonitor/$NS/$RELEASE-backend-api/0" \
    '.data.activeTargets[] | select(.scrapePool == $p) | "    target \(.labels.pod) \(.health) \(.lastError)"'
}
# alert_state ALERT: firing, pending or nothing (not active).
alert_state() {
  prom alerts | jq -r --arg a "$1" '[.data.alerts[] | select(.labels.alertname == $a) | .state] |
    if index("firing") then "firing" elif length > 0 then "pending" else "" end'
}
alert_firing() { [[ $(alert_state "$1") == firing ]]; }
alert_gone() { [[ $(alert_state "$1") == "" ]]; }
# fires_within SECONDS ALERT SINCE: ALERT firing within SECONDS of SINCE (the fault); records the time.
fires_within() {
  local t
  wait_for "$1" "$2 firing" alert_firing "$2" || return 1
  t=$(($(now) - $3))
  echo "    $2 firing ${t}s after the fault (its for: $(kc get prometheusrule "$RELEASE" -o json |
    jq -r --arg a "$2" '.spec.groups[].rules[] | select(.alert == $a) | .for'))"
  figure "monitoring: $2 fired ${t}s after the fault"
}

echo "==> the Prometheus Operator $operator_version (CRDs and RBAC from its module) and the chart with monitoring on"
t=$(now)
check "the operator's CRDs applied and the operator running (namespace $MON_NS)" operator_up || abort "the operator did not start"
release_absent
check "the chart installed with ServiceMonitors and the PrometheusRule on (2 pods each, NetworkPolicy on)" \
  install_restricted -f "$E2E_DIR/fixtures/monitoring-values.yaml" || abort "the install failed"
# After the chart, so that the rule ConfigMap the operator makes is there when the pod starts (a
# change to it would reach the pod only at the kubelet's next sync, up to a minute later).
check "Prometheus $prometheus_image running (the operator's StatefulSet)" prometheus_up || abort "Prometheus did not start"
timing "operator, install and Prometheus up" $(($(now) - t))

echo "==> scraping and rules"
for c in frontend backend-api; do
  check "$c: one target per pod, each up, on its metrics port only" wait_for 60 "$c targets" targets_match "$c" ||
    targets_match "$c"
done
targets_match backend-api | tail -n 2
check "every alert of the PrometheusRule loaded and evaluated" wait_for 60 "the rules" rules_loaded || rules_loaded

echo "==> every dashboard panel's query returns data after a short load"
load_start monitoring-load steady 15s
check "the load: no request failed" load_wait monitoring-load
# rate() needs two scrapes after the load began; 5 s apart.
sleep 6
check "every dashboard panel's query returns data" panels_have_data

echo "==> a burst of errors: the tasks table renamed away under load (the backend answers 5xx)"
load_start monitoring-burst steady 30s
sleep 2
fault=$(now)
psql_q "alter table tasks rename to tasks_e2e_away" >/dev/null && echo "    tasks renamed away at $(date -u +%T)"
check "TaskManagerBackendApiErrorBudgetBurn fires" fires_within 90 TaskManagerBackendApiErrorBudgetBurn "$fault"
psql_q "alter table tasks_e2e_away rename to tasks" >/dev/null && echo "    tasks back"
wait "$_LOAD_PID"
grep "^load monitoring-burst: " "$DRILL_TMP/monitoring-burst.log" | tail -n 1 | sed 's/^/    /'

echo "==> PostgreSQL stopped"
fault=$(now)
kc scale statefulset "$RELEASE-postgresql" --replicas=0 >/dev/null
check "TaskManagerDatabaseUnreachable fires" fires_within 90 TaskManagerDatabaseUnreachable "$fault" ||
  backend_series 'up' 'db_up'
kc scale statefulset "$RELEASE-postgresql" --replicas=1 >/dev/null
check "PostgreSQL back: every pod ready again" wait_ready_all 120

echo "==> the backend scaled to 0"
fault=$(now)
kc scale deployment "$RELEASE-backend-api" --replicas=0 >/dev/null
check "TaskManagerBackendApiDown fires" fires_within 90 TaskManagerBackendApiDown "$fault"
back=$(now)
kc scale deployment "$RELEASE-backend-api" --replicas=2 >/dev/null
check "TaskManagerBackendApiDown resolves after scaling back to 2" wait_for 120 "the alert resolved" alert_gone TaskManagerBackendApiDown
figure "monitoring: TaskManagerBackendApiDown resolved $(($(now) - back))s after scaling back"
check "every pod ready again" wait_ready_all 120

monitoring_down
drill_end
