# shellcheck shell=bash
# CloudNativePG on the e2e cluster, sourced by the drills that need it (after lib/drill.sh):
#
#   cnpg_install     the operator (CRDs, RBAC, webhooks, Deployment: the module's own release
#                    manifest, releases/cnpg-<version>.yaml, at the version tests/tools/install
#                    built) in namespace cnpg-system, on the local image; returns once its admission
#                    webhooks answer the kube-apiserver. Idempotent.
#   plugin_install   the Barman Cloud plugin (its module's manifest.yaml) in the same namespace, on
#                    the local plugin and sidecar images. Its mTLS certificates, which upstream has
#                    cert-manager issue, are made here with openssl under the Secret names the
#                    plugin's Service annotations name. Returns once the operator registered it.
#   cnpg_images      the three local images (operator, plugin, sidecar) images/build made, one a line.
#
# Both manifests come from the Go module cache (`go mod download`, as tests/tools/install fills it),
# never from the network elsewhere; their images are rewritten to the local ones, as
# monitoring-alerts-fire.sh does with the Prometheus Operator's.
CNPG_NS=cnpg-system
CNPG_PLUGIN=barman-cloud.cloudnative-pg.io

_cnpg_pin() { sed -n "s/^$1=\([^ ]*\).*/\1/p" "$REPO_ROOT/tests/tools/install"; }
# _cnpg_module_dir MODULE VERSION: its source in the module cache.
_cnpg_module_dir() { (cd "$DRILL_TMP" && GOFLAGS=-mod=mod go mod download -json "$1@$2" | jq -r .Dir); }
cnpg_images() { grep -E '^task-manager/(cloudnative-pg|plugin-barman-cloud|plugin-barman-cloud-sidecar):' "$CACHE/images/built.txt"; }
_cnpg_image() { cnpg_images | grep "^task-manager/$1:"; }

# _cnpg_manifest: the operator's release manifest on the local image (the pods' pull policy too:
# the image is imported, never pulled).
_cnpg_manifest() {
  local version dir
  version=$(_cnpg_pin CNPG_VERSION) && dir=$(_cnpg_module_dir github.com/cloudnative-pg/cloudnative-pg "$version") || return 1
  sed -e "s|ghcr.io/cloudnative-pg/cloudnative-pg:${version#v}|$(_cnpg_image cloudnative-pg)|" \
    -e 's|imagePullPolicy: Always|imagePullPolicy: IfNotPresent|' "$dir/releases/cnpg-${version#v}.yaml"
}

# _plugin_manifest: the plugin's manifest on the local images, without its cert-manager objects.
_plugin_manifest() {
  local dir
  dir=$(_cnpg_module_dir github.com/cloudnative-pg/plugin-barman-cloud "$(_cnpg_pin BARMAN_CLOUD_PLUGIN_VERSION)") || return 1
  PLUGIN_IMAGE=$(_cnpg_image plugin-barman-cloud) SIDECAR_IMAGE=$(_cnpg_image plugin-barman-cloud-sidecar) \
    "$CACHE/venv/bin/python" - "$dir/manifest.yaml" <<'EOF'
import base64, os, sys, yaml
out = []
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if not doc or doc["apiVersion"].startswith("cert-manager.io/"):
        continue
    if doc["kind"] == "Secret" and "SIDECAR_IMAGE" in doc.get("data", {}):
        doc["data"]["SIDECAR_IMAGE"] = base64.b64encode(os.environ["SIDECAR_IMAGE"].encode()).decode()
    if doc["kind"] == "Deployment":
        for c in doc["spec"]["template"]["spec"]["containers"]:
            c["image"] = os.environ["PLUGIN_IMAGE"]
            c["imagePullPolicy"] = "IfNotPresent"
    out.append(doc)
yaml.safe_dump_all(out, sys.stdout, sort_keys=False)
EOF
}

# The admission webhooks answer: a server-side dry run of a Cluster goes through them.
_cnpg_webhooks_answer() {
  kubectl apply --dry-run=server -f - >/dev/null <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: webhook-probe, namespace: default}
spec: {instances: 1, storage: {size: 1Gi}}
EOF
}

cnpg_install() {
  local manifest=$DRILL_TMP/cnpg.yaml
  [[ $(cnpg_images | wc -l) == 3 ]] || { echo "    no CloudNativePG images built (tests/tools/install, then images/build)"; return 1; }
  _cnpg_manifest >"$manifest" || return 1
  kubectl apply --server-side --force-conflicts -f "$manifest" >/dev/null || return 1
  # shellcheck disable=SC2046  # one argument per CRD
  kubectl wait --for condition=Established --timeout=60s \
    $(sed -n 's/^  name: \([a-z]*\.postgresql\.cnpg\.io\)$/crd\/\1/p' "$manifest") >/dev/null || return 1
  kubectl -n "$CNPG_NS" rollout status deployment/cnpg-controller-manager --timeout=120s || return 1
  wait_for 60 "the operator's admission webhooks to answer the kube-apiserver" _cnpg_webhooks_answer ||
    { _cnpg_webhooks_answer; return 1; }
}

# _plugin_certs: the plugin's server and client certificates (self-signed each, as upstream's
# cert-manager Issuer makes them): the operator trusts the server certificate itself and presents
# the client one, which the plugin trusts in turn (--client-cert).
_plugin_certs() {
  local d=$DRILL_TMP/plugin-pki
  kubectl -n "$CNPG_NS" get secret barman-cloud-server-tls barman-cloud-client-tls >/dev/null 2>&1 && return 0
  mkdir -p "$d" && chmod 700 "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=barman-cloud \
    -addext "subjectAltName=DNS:barman-cloud,DNS:barman-cloud.$CNPG_NS.svc" -addext extendedKeyUsage=serverAuth \
    -keyout "$d/server.key" -out "$d/server.crt" 2>/dev/null &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=barman-cloud-client \
      -addext extendedKeyUsage=clientAuth -keyout "$d/client.key" -out "$d/client.crt" 2>/dev/null &&
    kubectl -n "$CNPG_NS" create secret tls barman-cloud-server-tls --cert="$d/server.crt" --key="$d/server.key" >/dev/null &&
    kubectl -n "$CNPG_NS" create secret tls barman-cloud-client-tls --cert="$d/client.crt" --key="$d/client.key" >/dev/null
}

# The operator logs this once it has dialled the plugin over mTLS and read its capabilities.
_plugin_registered() {
  kubectl -n "$CNPG_NS" get events --field-selector reason=PluginRegistered,involvedObject.name=barman-cloud -o name | grep -q .
}

plugin_install() {
  local manifest=$DRILL_TMP/plugin.yaml
  _plugin_manifest >"$manifest" || return 1
  _plugin_certs || return 1
  kubectl apply --server-side --force-conflicts -f "$manifest" >/dev/null &&
    kubectl -n "$CNPG_NS" rollout status deployment/barman-cloud --timeout=120s || return 1
  wait_for 60 "the operator to register the plugin $CNPG_PLUGIN" _plugin_registered ||
    { kubectl -n "$CNPG_NS" get events --field-selector involvedObject.name=barman-cloud | tail -n 5; return 1; }
}

# ------------------------------------------------------------------ the chart in cloudnative-pg mode
# For the drills that install the chart with global.database.mode=cloudnative-pg (NS and RELEASE as
# drill.sh sets them, or as a drill re-aims them):
#   cnpg_values        the helm arguments of that mode on the project's PostgreSQL image (Debian's
#                      postgresql-17, uid/gid 999), with the frontend waiting 10 s for the backend
#                      (which retries for 9) as the chart README advises for it, one a line:
#                      mapfile -t VALUES < <(cnpg_values)
#   cnpg_primary       the Cluster's current primary (its pod's name)
#   cnpg_replicas      its replicas, one a line
#   cnpg_healthy       every instance ready and the Cluster "in healthy state"
#   cnpg_sync_standbys the primary's synchronous standbys, counted
cnpg_values() {
  local image
  image=$(grep '^task-manager/postgres:' "$CACHE/images/built.txt")
  printf '%s\n' --set global.database.mode=cloudnative-pg --set postgresql.enabled=false \
    --set "cloudnativePg.image.repository=${image%%:*}" --set-string "cloudnativePg.image.tag=${image##*:}" \
    --set cloudnativePg.postgresUID=999 --set cloudnativePg.postgresGID=999 \
    --set global.config.backendTimeoutMs=10000
}
_cnpg_cluster() { kc get cluster "$RELEASE-postgresql" "$@"; }
cnpg_primary() { _cnpg_cluster -o jsonpath='{.status.currentPrimary}'; }
cnpg_replicas() {
  kc get pods -l "cnpg.io/cluster=$RELEASE-postgresql,cnpg.io/instanceRole=replica" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'
}
cnpg_healthy() {
  [[ $(_cnpg_cluster -o jsonpath='{.status.readyInstances}/{.spec.instances} {.status.phase}') =~ ^([0-9]+)/([0-9]+)\ Cluster\ in\ healthy\ state$ &&
    ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]]
}
cnpg_sync_standbys() { psql_q "select count(*) from pg_stat_replication where sync_state in ('sync', 'quorum')"; }
# cnpg_release [--set K=V...]: the operator running and the release deployed in cloudnative-pg mode
# (2 pods each, 3 instances) with its Cluster healthy: the one a drill before left, else installed
# afresh (a release in another mode removed first: both hold NodePort 30080).
cnpg_release() {
  local values
  mapfile -t values < <(cnpg_values)
  cnpg_install || return 1
  if release_deployed && [[ $(helm get values "$RELEASE" -n "$NS" -a -o json | jq -r '.global.database.mode') == cloudnative-pg ]]; then
    release_ready "$@" || return 1
  else
    release_absent
    install_restricted "${TWO_EACH[@]}" "${values[@]}" "$@" >"$DRILL_TMP/install.log" 2>&1 ||
      { tail -n 20 "$DRILL_TMP/install.log" | sed 's/^/    | /'; return 1; }
  fi
  wait_for 300 "the Cluster healthy" cnpg_healthy
}
