# shellcheck shell=bash
# The fixtures and assertions of the drills (tests/e2e/drills/*.sh), sourced by each of them and by
# tests/e2e/run. A drill runs against the cluster that tests/e2e/cluster-up made (or that
# `E2E_KEEP_CLUSTER=1 npm run test:e2e` left up), with the images images/build made:
#
#   drill_begin NAME     harness_begin NAME; stops (`NAME: 0 passed, 1 failed`) unless root, the
#                        cluster is up and the images are built; starts the NetworkPolicy controller
#                        when it is not running (and stops it again in drill_end). Sets:
#                          NS RELEASE CHART  the release under test (task-manager in task-manager)
#                          APP_TAG           the tag of the local service images
#                          HELM_SET          helm --set arguments pointing the chart at the local images
#                          DRILL_TMP         a scratch directory, removed by drill_end
#   drill_end            the closing line `NAME: N passed, M failed`; exits with its status
#   drill_abort MESSAGE  a failed check MESSAGE, then drill_end
#
# Release fixtures: release_absent, install_restricted [HELM ARGS] (HELM=helm3 for Helm 3), helmfile_sync [HELM ARGS],
# release_ready [--set K=V...] (deployed, with those values). Assertions (return 0/1, for `check`):
# all_pods_ready, pvc_bound, serves_task_list, api_create TITLE, api_lists TITLE, page_lists TITLE,
# wait_ready_all [SECONDS], refuses_anonymous. Signing in (as the release's first admin): api_token,
# ui_session, ui_cookie. Load (tests/load/vegeta.mjs, with that token and session):
# load_start NAME PROFILE DURATION, load_wait NAME, under_load NAME DURATION WHAT CMD... . Reading
# the release: kc, psql_q, pods_of, ready_pods_of, app_pods, none_left, secret_password,
# admin_email, admin_password, tasks_digest, helm_rev, pod_port, service_port, tcp_from, show_state;
# remember_kept, then check_kept WHAT (data and passwords unchanged by WHAT).
# shellcheck disable=SC2034  # NS, RELEASE, ... are read by the drills that source this file
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NS=task-manager
RELEASE=task-manager
CHART=$REPO_ROOT/charts/task-manager
# Steady traffic of the drills, in requests per second (a quarter pages, a quarter lists, half single-task reads and writes).
LOAD_RATE=${E2E_LOAD_RATE:-24}

drill_begin() {
  harness_begin "$1"
  DRILL_TMP=$(mktemp -d "/tmp/tm-e2e-$1.XXXXXX")
  _DRILL_NETPOL_OURS=0
  [[ $(id -u) == 0 ]] || drill_abort "a drill must run as root (it reads the cluster's state on the node)"
  export PATH=$BIN:$CACHE/bin:$PATH
  cluster_is_up 2>/dev/null || drill_abort "no cluster is up: E2E_KEEP_CLUSTER=1 npm run test:e2e once (or bash tests/e2e/cluster-up, images/build and lib/import-images.sh)"
  local built=$CACHE/images/built.txt pg_image
  [[ -s $built ]] || drill_abort "no images built ($built): bash images/build"
  APP_TAG=$(grep '^task-manager/backend-api:' "$built" | cut -d: -f2)
  pg_image=$(grep '^task-manager/postgres:' "$built")
  HELM_SET=(
    --set "frontend.image.repository=task-manager/frontend" --set "frontend.image.tag=$APP_TAG"
    --set "frontend.image.pullPolicy=Never"
    --set "backend-api.image.repository=task-manager/backend-api" --set "backend-api.image.tag=$APP_TAG"
    --set "backend-api.image.pullPolicy=Never"
    --set "postgresql.image.repository=${pg_image%%:*}" --set "postgresql.image.tag=${pg_image##*:}"
    --set "postgresql.image.pullPolicy=Never"
    --set "tests.image.repository=task-manager/frontend" --set "tests.image.tag=$APP_TAG"
    --set "tests.image.pullPolicy=Never"
  )
  if ! proc_alive kube-router; then
    netpol_up >/dev/null || drill_abort "the NetworkPolicy controller (kube-router) did not start"
    _DRILL_NETPOL_OURS=1
  fi
}

drill_end() {
  ((_DRILL_NETPOL_OURS)) && netpol_down >/dev/null
  rm -rf "$DRILL_TMP"
  harness_end
  exit
}

drill_abort() {
  fail "$1"
  drill_end
}

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

# ------------------------------------------------------------------ reading the release
kc() { kubectl -n "$NS" "$@"; }
# psql_q SQL: on the release's database: the CloudNativePG primary in cloudnative-pg mode (as
# postgres, on its own socket), else the bundled PostgreSQL pod.
psql_q() {
  local primary
  primary=$(kc get cluster "$RELEASE-postgresql" -o jsonpath='{.status.currentPrimary}' 2>/dev/null)
  if [[ -n $primary ]]; then
    kc exec "$primary" -c postgres -- psql -U postgres -d taskmanager -Atc "$1"
  else
    kc exec "$RELEASE-postgresql-0" -c postgresql -- psql -U taskmanager -d taskmanager -Atc "$1"
  fi
}
pods_of() { kc get pods -l "app.kubernetes.io/name=$1,app.kubernetes.io/instance=$RELEASE" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }
# serving_pods_of NAME: the pods that are Ready and not being deleted (a drained pod lingers a while).
serving_pods_of() {
  kc get pods -l "app.kubernetes.io/name=$1,app.kubernetes.io/instance=$RELEASE" \
    -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{$name := .metadata.name}}{{range .status.conditions}}{{if and (eq .type "Ready") (eq .status "True")}}{{$name}}{{"\n"}}{{end}}{{end}}{{end}}{{end}}'
}
ready_pods_of() { serving_pods_of "$1" | grep -c .; }
secret_password() { kc get secret "$RELEASE-db" -o jsonpath='{.data.password}'; }
# The first admin: the backend's ADMIN_EMAIL and the password of its admin Secret.
admin_email() { kc get deployment "$RELEASE-backend-api" -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="ADMIN_EMAIL")].value}'; }
admin_password() { kc get secret "$RELEASE-backend-api-admin" -o jsonpath='{.data.password}' | base64 -d; }
# A digest of every task (id, title, status, version): equal before and after means nothing was lost or changed.
# The load generator's tasks (titles "load ...") are left out: traffic cut by a drill may leave one behind.
tasks_digest() { psql_q "select count(*) || ' tasks, md5 ' || md5(coalesce(string_agg(id::text || title || status || version, ',' order by id), '')) from tasks where title not like 'load %'"; }
helm_rev() { helm history "$RELEASE" -n "$NS" --max 1 -o json | jq -r '.[-1].revision'; }
app_pods() { pods_of backend-api; pods_of frontend; }
# none_left PODS: not one of PODS (app_pods from before) is among the app pods now.
none_left() { ! grep -qxF -f <(echo "$1") <(app_pods); }
# The image tags the release's frontend and backend pods run, one per line.
app_image_tags() {
  kc get pods -l "app.kubernetes.io/instance=$RELEASE" -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' |
    grep -E '/(frontend|backend-api):' | sed 's/.*://'
}
show_state() {
  kc get pods,pvc,svc,events --sort-by=.metadata.creationTimestamp 2>&1 | tail -n 40
  local p
  for p in $(kc get pods -o name 2>/dev/null); do
    echo "--- logs $p"; kc logs "$p" --all-containers --tail=15 2>&1
  done
}
# pod_port POD NAME: the container port named NAME (http, postgresql) of POD's first container.
pod_port() { kc get pod "$1" -o jsonpath="{.spec.containers[0].ports[?(@.name==\"$2\")].containerPort}"; }
# service_port SERVICE: the (first) port of SERVICE.
service_port() { kc get svc "$1" -o jsonpath='{.spec.ports[0].port}'; }
# tcp_from POD HOST PORT: "open" when a TCP connection from inside POD succeeds within 3 s.
tcp_from() {
  kc exec "$1" -- node -e '
    const s = require("net").connect({ host: process.argv[1], port: Number(process.argv[2]) });
    const t = setTimeout(() => { console.log("timeout"); process.exit(2); }, 3000);
    s.on("connect", () => { console.log("open"); process.exit(0); });
    s.on("error", (e) => { console.log(e.code); process.exit(1); });' "$2" "$3" 2>/dev/null
}

# ------------------------------------------------------------------ signing in
# The drills act as the release's first admin. Their API calls and Vegeta's traffic send a personal
# access token (`Authorization: Bearer`), the page checks a UI session cookie. Both are made once
# per run (tests/e2e/run empties AUTH_DIR at its start; cluster-down removes RUN_DIR) and made
# again only when the one kept no longer signs in: a drill that installs afresh makes a new
# database, where the old token is unknown. Passwords and tokens go to curl on stdin or in a
# header file, never in an argument (ps would show it).
AUTH_DIR=$RUN_DIR/auth
_auth_curl() { curl -sS --max-time 10 "$@"; }
# _bearer_file TOKEN: a curl header file (-H @FILE) with `Authorization: Bearer TOKEN`.
_bearer_file() { local f=$AUTH_DIR/bearer.$BASHPID; (umask 077; printf 'Authorization: Bearer %s\n' "$1" >"$f"); echo "$f"; }
_token_works() { # _token_works TOKEN: GET /api/me answers 200 with it
  local h code
  h=$(_bearer_file "$1")
  code=$(_auth_curl -o /dev/null -w '%{http_code}' -H "@$h" "$NODEPORT_URL/api/me")
  rm -f "$h"
  [[ $code == 200 ]]
}
# api_token: prints a personal access token of the first admin (POST /api/login, POST /api/tokens,
# then the login token signed out), kept in AUTH_DIR/token while it works.
api_token() {
  local file=$AUTH_DIR/token login token h
  if [[ -s $file ]] && _token_works "$(cat "$file")"; then cat "$file"; return 0; fi
  mkdir -p "$AUTH_DIR" && chmod 700 "$AUTH_DIR"
  login=$(E=$(admin_email) P=$(admin_password) jq -cn '{email: env.E, password: env.P}' |
    _auth_curl -f -H 'Content-Type: application/json' --data-binary @- "$NODEPORT_URL/api/login" | jq -r '.token // empty')
  [[ -n $login ]] || { echo "    api_token: POST /api/login as $(admin_email) failed" >&2; return 1; }
  h=$(_bearer_file "$login")
  token=$(jq -cn '{name: "e2e drills", expiresAt: (now + 86400 | todate)}' |
    _auth_curl -f -H "@$h" -H 'Content-Type: application/json' --data-binary @- "$NODEPORT_URL/api/tokens" | jq -r '.token // empty')
  _auth_curl -o /dev/null -X POST -H "@$h" "$NODEPORT_URL/api/logout"
  rm -f "$h"
  [[ -n $token ]] || { echo "    api_token: POST /api/tokens failed" >&2; return 1; }
  (umask 077; echo "$token" >"$file")
  echo "$token"
}
# auth_curl CURL ARGS...: curl with the drills' token; fails when there is none.
auth_curl() {
  local token h rc=0
  token=$(api_token) || return 1
  h=$(_bearer_file "$token")
  _auth_curl -H "@$h" "$@" || rc=$?
  rm -f "$h"
  return $rc
}
_session_works() { [[ $(_auth_curl -o /dev/null -w '%{http_code}' -b "$1" "$NODEPORT_URL/") == 200 ]]; }
# ui_session: prints the path of a curl cookie jar signed in to the UI as the first admin (the
# /login form with its CSRF token), kept in AUTH_DIR/cookies while it works.
ui_session() {
  local jar=$AUTH_DIR/cookies form csrf code
  if [[ -s $jar ]] && _session_works "$jar"; then echo "$jar"; return 0; fi
  mkdir -p "$AUTH_DIR" && chmod 700 "$AUTH_DIR"
  rm -f "$jar"
  form=$(_auth_curl -f -c "$jar" -b "$jar" "$NODEPORT_URL/login") || { echo "    ui_session: GET /login failed" >&2; return 1; }
  csrf=$(grep -o '<input[^>]*name="_csrf"[^>]*>' <<<"$form" | grep -o 'value="[^"]*"' | head -n 1 | sed 's/^value="//; s/"$//')
  [[ -n $csrf ]] || { echo "    ui_session: no _csrf field in the /login form" >&2; return 1; }
  # a browser's form post names its origin; a frontend that refuses cross-site forms may want it
  code=$(printf '%s' "$(admin_password)" | _auth_curl -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -H "Origin: $NODEPORT_URL" \
    --data-urlencode "email=$(admin_email)" --data-urlencode "password@-" --data-urlencode "_csrf=$csrf" "$NODEPORT_URL/login")
  chmod 600 "$jar"
  [[ $code == 30[23] ]] && _session_works "$jar" && { echo "$jar"; return 0; }
  echo "    ui_session: POST /login -> $code, no signed-in page" >&2
  return 1
}
# ui_cookie: the session's cookies as one Cookie header value (name=value; ...), for Vegeta's pages.
ui_cookie() {
  local jar
  jar=$(ui_session) || return 1
  awk -F'\t' 'NF >= 7 && ($1 !~ /^#/ || $1 ~ /^#HttpOnly_/) { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar"
}

# ------------------------------------------------------------------ assertions
all_pods_ready() {
  local out
  out=$(kc get pods -l "app.kubernetes.io/instance=$RELEASE" \
    -o go-template='{{range .items}}{{$hook := ""}}{{with .metadata.annotations}}{{$hook = index . "helm.sh/hook"}}{{end}}{{if not $hook}}{{.metadata.name}} {{range .status.conditions}}{{if eq .type "Ready"}}{{.status}}{{end}}{{end}}{{"\n"}}{{end}}{{end}}')
  echo "$out" | sed 's/^/    /'
  [[ -n $out ]] && ! echo "$out" | grep -qv ' True$'
}
wait_ready_all() { wait_for "${1:-180}" "every pod of the release ready" all_pods_ready; }
pvc_bound() {
  local out
  out=$(kc get pvc -o custom-columns=NAME:.metadata.name,STATUS:.status.phase --no-headers)
  echo "$out" | sed 's/^/    /'
  [[ -n $out ]] && ! echo "$out" | grep -qv ' Bound$'
}
serves_task_list() {
  local code jar
  jar=$(ui_session) || return 1
  code=$(curl -sS --max-time 10 -b "$jar" -o "$DRILL_TMP/page" -w '%{http_code}' "$NODEPORT_URL/") || return 1
  echo "    GET $NODEPORT_URL/ -> $code, $(wc -c <"$DRILL_TMP/page") bytes"
  [[ $code == 200 ]] && grep -qi '<html' "$DRILL_TMP/page"
}
api_create() { # api_create TITLE: POST through NodePort, 201
  local code
  code=$(auth_curl -o "$DRILL_TMP/post" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "$(jq -cn --arg t "$1" '{title: $t, priority: "high"}')" "$NODEPORT_URL/api/tasks") || return 1
  echo "    POST $NODEPORT_URL/api/tasks -> $code $(head -c 200 "$DRILL_TMP/post")"
  [[ $code == 201 ]]
}
# The body is read whole before grep: `curl | grep -q` fails under pipefail whenever grep stops
# at an early match while curl still writes (curl: (23) Failed writing body).
api_lists() {
  local body
  body=$(auth_curl -f "$NODEPORT_URL/api/tasks?limit=200&q=$(jq -rn --arg q "$1" '$q|@uri')") && grep -qF "$1" <<<"$body"
}
page_lists() {
  local body jar
  jar=$(ui_session) && body=$(curl -fsS --max-time 10 -b "$jar" "$NODEPORT_URL/") && grep -qF "$1" <<<"$body"
}
# refuses_anonymous: without credentials the API answers 401 problem+json and the page sends the
# visitor to /login, while the sign-in page itself and the OpenAPI document stay open.
refuses_anonymous() {
  local api page login doc bad=0
  api=$(curl -sS --max-time 10 -o "$DRILL_TMP/anon" -w '%{http_code} %{content_type}' "$NODEPORT_URL/api/tasks")
  page=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{redirect_url}' "$NODEPORT_URL/")
  login=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$NODEPORT_URL/login")
  doc=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$NODEPORT_URL/api/openapi.json")
  echo "    anonymous: GET /api/tasks -> $api; GET / -> $page; GET /login -> $login; GET /api/openapi.json -> $doc"
  [[ $api == "401 application/problem+json"* ]] || bad=1
  [[ $page =~ ^30[23]\ .*/login ]] || bad=1
  [[ $login == 200 && $doc == 200 ]] || bad=1
  return $bad
}

# ------------------------------------------------------------------ the release
release_absent() {
  helm uninstall "$RELEASE" -n "$NS" --wait --timeout 3m >/dev/null 2>&1 || true
  # A CloudNativePG Cluster outlives the uninstall (the chart keeps it, as it keeps a volume), and
  # left to the namespace's deletion it held that up for minutes: deleted first, with its instances.
  if kubectl get crd clusters.postgresql.cnpg.io >/dev/null 2>&1; then
    kubectl -n "$NS" delete clusters.postgresql.cnpg.io --all --wait=true --timeout=120s >/dev/null 2>&1 || true
  fi
  kubectl delete namespace "$NS" --wait=true --timeout=120s --ignore-not-found >/dev/null 2>&1 || true
}
release_deployed() { [[ $(helm status "$RELEASE" -n "$NS" -o json 2>/dev/null | jq -r '.info.status') == deployed ]]; }

# install_restricted [HELM ARGS...]: a fresh namespace that enforces Pod Security "restricted",
# and the chart installed into it with the local images (by $HELM: helm, or helm3).
install_restricted() {
  kubectl create namespace "$NS" >/dev/null &&
    kubectl label namespace "$NS" pod-security.kubernetes.io/enforce=restricted \
      pod-security.kubernetes.io/enforce-version=latest >/dev/null &&
    "${HELM:-helm}" install "$RELEASE" "$CHART" -n "$NS" --wait --timeout 5m "${HELM_SET[@]}" "$@"
}

# helmfile_sync [HELM ARGS...]: `helmfile -e dev sync --wait` with the local images, log in DRILL_TMP/helmfile.log.
helmfile_sync() {
  local s sets=()
  for s in "${HELM_SET[@]}" "$@"; do [[ $s == --set ]] || sets+=(--set "$s"); done
  (cd "$REPO_ROOT" && helmfile -e dev sync --wait "${sets[@]}") >"$DRILL_TMP/helmfile.log" 2>&1 && return 0
  tail -n 40 "$DRILL_TMP/helmfile.log" | sed 's/^/    | /'
  return 1
}
# The --set arguments of HELM_SET, as helmfile takes them (helmfile diff, sync).
helmfile_sets() {
  local s
  for s in "${HELM_SET[@]}"; do [[ $s == --set ]] || printf -- '--set\n%s\n' "$s"; done
}

# release_ready [--set KEY=VALUE...]: the release deployed (by helmfile -e dev sync when there is
# none, as the helmfile-sync drill leaves it) with those values; an upgrade only when one differs,
# so a drill run after another finds the release as that one left it.
release_ready() {
  if ! release_deployed; then
    echo "    no deployed release: helmfile -e dev sync"
    helmfile_sync || return 1
  fi
  local values want=() key value
  values=$(helm get values "$RELEASE" -n "$NS" -a -o json) || return 1
  while (($#)); do
    [[ $1 == --set ]] || { echo "release_ready takes --set KEY=VALUE only, got $1" >&2; return 1; }
    key=${2%%=*} value=${2#*=}
    [[ $(jq -r --arg k "$key" 'getpath($k | split(".")) | tostring' <<<"$values") == "$value" ]] || want+=(--set "$2")
    shift 2
  done
  ((${#want[@]})) || return 0
  echo "    helm upgrade --reuse-values ${want[*]}"
  helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m "${want[@]}" >"$DRILL_TMP/ready.log" 2>&1 ||
    { tail -n 30 "$DRILL_TMP/ready.log" | sed 's/^/    | /'; return 1; }
}
# The reference deployment of the zero-downtime drills: two pods each (one pod cannot roll without a gap).
TWO_EACH=(--set frontend.replicaCount=2 --set backend-api.replicaCount=2)

# ------------------------------------------------------------------ load (Vegeta, tests/load/vegeta.mjs)
# load_start NAME PROFILE DURATION: a constant-rate attack on NodePort 30080 in the background
# (LOAD_RATE requests/s for the steady profile); returns once the attack has begun.
load_start() {
  local name=$1 profile=$2 duration=$3 rate=() token cookie
  [[ $profile == steady ]] && rate=(--rate "$LOAD_RATE")
  rm -f "$DRILL_TMP/$name.json"
  token=$(api_token) && cookie=$(ui_cookie) || echo "    load $name: could not sign in (the attack runs without credentials and fails)"
  TOKEN=$token COOKIE=$cookie nice -n 5 node "$REPO_ROOT/tests/load/vegeta.mjs" "$NODEPORT_URL" --profile "$profile" "${rate[@]}" \
    --duration "$duration" --name "$name" --summary "$DRILL_TMP/$name.json" >"$DRILL_TMP/$name.log" 2>&1 &
  _LOAD_PID=$!
  _LOAD_T0=$(now)
  wait_for 60 "the $name attack to begin" grep -q '^load: attacking' "$DRILL_TMP/$name.log" ||
    { kill -0 "$_LOAD_PID" 2>/dev/null || tail -n 5 "$DRILL_TMP/$name.log" | sed 's/^/    | /'; }
}
load_running() { kill -0 "$_LOAD_PID" 2>/dev/null; }
# load_wait NAME: waits for the attack started last and records its figures; 0 when not one
# request failed and no threshold was crossed.
load_wait() {
  local name=$1 rc=0 line
  wait "$_LOAD_PID" || rc=$?
  line=$(grep "^load $name: " "$DRILL_TMP/$name.log" | tail -n 1)
  [[ -n $line ]] && figure "$line [$(($(now) - _LOAD_T0))s]"
  [[ -n $line ]] || echo "    load $name: no summary (exit $rc)"
  if ((rc != 0)); then
    echo "    load $name exited $rc"
    grep -E '^(failed|load|\.\.\.)' "$DRILL_TMP/$name.log" | grep -v "^load $name: " | head -n 15 | sed 's/^/    | /'
  fi
  [[ $rc == 0 && -s $DRILL_TMP/$name.json ]] && [[ $(jq -r '.failed' "$DRILL_TMP/$name.json") == 0 ]]
}
# under_load NAME DURATION WHAT CMD...: CMD (WHAT: a helm upgrade or rollback --wait) while steady
# traffic runs for DURATION; three checks: CMD succeeded, it ended before the traffic did, no
# request failed.
under_load() {
  local name=$1 duration=$2 what=$3 t rc=0 during=0
  shift 3
  t=$(now)
  load_start "$name" steady "$duration"
  sleep 5
  "$@" >"$DRILL_TMP/$name-action.log" 2>&1 || rc=$?
  load_running && during=1
  echo "    $name: $what done after $(($(now) - t))s (traffic still running: $during)"
  ((rc == 0)) || tail -n 20 "$DRILL_TMP/$name-action.log" | sed 's/^/    | /'
  check "$name: $what --wait succeeded" test "$rc" == 0
  check "$name: it finished while the traffic was still running" test "$during" == 1
  check "$name under load: no request failed" load_wait "$name"
  timing "$name under load" $(($(now) - t))
}

# ------------------------------------------------------------------ a second tag of the app images
# The tag the upgrade drills move to: the same local images under another tag, imported into containerd.
second_tag() { echo "$APP_TAG-e2e2"; }
import_second_tag() {
  local tag
  tag=$(second_tag)
  $DOCKER tag "task-manager/backend-api:$APP_TAG" "task-manager/backend-api:$tag" &&
    $DOCKER tag "task-manager/frontend:$APP_TAG" "task-manager/frontend:$tag" &&
    bash "$E2E_DIR/lib/import-images.sh" "task-manager/backend-api:$tag" "task-manager/frontend:$tag" >/dev/null
}
# upgrade_to_second_tag [HELM ARGS...]: helm upgrade to the second tag with BACKEND_TIMEOUT_MS one
# second longer (a config value and an image change in one upgrade).
upgrade_to_second_tag() {
  local timeout0 tag
  tag=$(second_tag)
  timeout0=$(kc get configmap "$RELEASE-config" -o jsonpath='{.data.BACKEND_TIMEOUT_MS}')
  helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --wait --timeout 5m \
    --set global.config.backendTimeoutMs=$((timeout0 + 1000)) --set backend-api.image.tag="$tag" --set frontend.image.tag="$tag" "$@"
}
# remember_kept: the tasks digest, the database password and the first admin's password, as they
# are now; check_kept WHAT: three checks that WHAT (an upgrade, a rollback) changed none of them.
remember_kept() {
  _KEPT_DIGEST=$(tasks_digest) _KEPT_DB_PASSWORD=$(secret_password) _KEPT_ADMIN_PASSWORD=$(admin_password)
  echo "    before: $_KEPT_DIGEST"
}
check_kept() {
  local digest
  digest=$(tasks_digest)
  check "data unchanged by $1 ($digest)" test "$_KEPT_DIGEST" == "$digest"
  check "database password unchanged by $1" test -n "$_KEPT_DB_PASSWORD" -a "$_KEPT_DB_PASSWORD" == "$(secret_password)"
  check "the first admin's password (admin Secret) unchanged by $1" test -n "$_KEPT_ADMIN_PASSWORD" -a "$_KEPT_ADMIN_PASSWORD" == "$(admin_password)"
}
backend_timeout_ms() { kc get configmap "$RELEASE-config" -o jsonpath='{.data.BACKEND_TIMEOUT_MS}'; }
# every_app_pod_on TAG: the 4 frontend and backend pods all run TAG.
every_app_pod_on() { [[ $(app_image_tags | grep -cxF "$1") == 4 ]]; }

# ------------------------------------------------------------------ NetworkPolicy on: who may talk to whom
netpol_count_at_least() { [[ $(kc get networkpolicy -o name | wc -l) -ge $1 ]]; }
# netpol_path_checks: with the release's NetworkPolicies enforced, the frontend cannot open a TCP
# connection to PostgreSQL (service name and pod IP, on the ports the chart gave them) while a
# backend can, and the app works end to end (frontend -> backend -> PostgreSQL) through NodePort.
netpol_path_checks() {
  local fe be db="$RELEASE-postgresql" dbip dbport podport r title
  fe=$(serving_pods_of frontend | head -n 1) be=$(serving_pods_of backend-api | head -n 1)
  dbip=$(kc get pod "$db-0" -o jsonpath='{.status.podIP}')
  dbport=$(service_port "$db") podport=$(pod_port "$db-0" postgresql)
  r=$(tcp_from "$fe" "$db" "$dbport"); echo "    policy on: frontend $fe -> $db:$dbport (service): $r"
  check "frontend cannot open a TCP connection to PostgreSQL:$dbport (service)" test "$r" != open -a -n "$r"
  r=$(tcp_from "$fe" "$dbip" "$podport"); echo "    policy on: frontend -> $dbip:$podport (pod IP): $r"
  check "frontend cannot open a TCP connection to PostgreSQL:$podport (pod IP)" test "$r" != open -a -n "$r"
  r=$(tcp_from "$be" "$db" "$dbport"); echo "    policy on: backend $be -> $db:$dbport: $r"
  check "control: the backend still connects to PostgreSQL:$dbport" test "$r" == open
  title="e2e with netpol $(date +%s)-$RANDOM"
  check "the app works with NetworkPolicy on: create through NodePort" api_create "$title"
  check "... and list it through NodePort (frontend -> backend -> PostgreSQL)" api_lists "$title"
  check "... and the page renders it" page_lists "$title"
}
