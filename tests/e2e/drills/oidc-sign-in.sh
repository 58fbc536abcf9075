#!/usr/bin/env bash
# oidc-sign-in: the test identity provider (Ory Hydra and its login app, tests/oidc-provider/, the
# image images/build makes) runs in its own namespace on NodePorts 30444/30445; the release is
# upgraded with OIDC on (a client registered at Hydra, its secret in a Secret); Chromium signs in
# through the provider's own login page via NodePort 30080, lands on the task list as the role the
# groups claim maps to and signs out at the provider too; a person whose claim maps to no role is
# refused. Afterwards the release gets its values back and the provider's namespace goes.
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin oidc-sign-in
release_ready || drill_abort "the release is deployed"

image=$(grep '^task-manager/oidc-provider:' "$CACHE/images/built.txt") || drill_abort "no oidc-provider image in $CACHE/images/built.txt: bash images/build"
ISSUER=http://$NODE_IP:30444
LOGIN=http://$NODE_IP:30445

restore() {
  echo "==> the release's own values back; the provider's namespace removed"
  helm upgrade "$RELEASE" "$CHART" -n "$NS" --reset-values -f "$DRILL_TMP/values-before.yaml" --wait --timeout 5m >"$DRILL_TMP/restore.log" 2>&1 ||
    { tail -n 20 "$DRILL_TMP/restore.log" | sed 's/^/    | /'; fail "the release's values restored"; }
  kc delete secret task-manager-oidc --ignore-not-found >/dev/null
  kubectl delete namespace oidc-provider --ignore-not-found --wait=false >/dev/null
}

echo "==> the provider: $image in namespace oidc-provider"
t=$(now)
bash "$E2E_DIR/lib/import-images.sh" "$image" || drill_abort "importing $image into containerd"
sed "s|@NODE_IP@|$NODE_IP|g; s|@IMAGE@|$image|g" "$E2E_DIR/fixtures/oidc-provider.yaml" | kubectl apply -f - >/dev/null ||
  drill_abort "applying the provider's manifest"
check "the provider's pod ready" kubectl -n oidc-provider rollout status deploy/oidc-provider --timeout=180s
# The NodePort answers a moment after the pod is ready (the node's rules follow the endpoints).
names_issuer() { [[ $(curl -sS --max-time 5 "$ISSUER/.well-known/openid-configuration" | jq -r .issuer) == "$ISSUER" ]]; }
check "its discovery document, through NodePort 30444, names the issuer" wait_for 60 "the provider's discovery document" names_issuer
timing "provider up" $(($(now) - t))

echo "==> a client for the release, and the release with OIDC on"
helm get values "$RELEASE" -n "$NS" -o yaml >"$DRILL_TMP/values-before.yaml" || drill_abort "reading the release's values"
client=$(kubectl -n oidc-provider exec deploy/oidc-provider -c hydra -- hydra create client --endpoint http://127.0.0.1:4445 \
  --name task-manager --grant-type authorization_code --response-type code --scope openid,email,profile \
  --redirect-uri "$NODEPORT_URL/login/oidc/callback" --post-logout-callback "$NODEPORT_URL/login" \
  --token-endpoint-auth-method client_secret_basic --format json) || drill_abort "registering the client at Hydra"
client_id=$(jq -r .client_id <<<"$client")
kc create secret generic task-manager-oidc --from-literal=client-secret="$(jq -r .client_secret <<<"$client")" \
  --dry-run=client -o yaml | kc apply -f - >/dev/null || drill_abort "the client secret's Secret"
cat >"$DRILL_TMP/oidc.yaml" <<VALUES
backend-api:
  auth:
    publicUrl: $NODEPORT_URL
    oidc:
      enabled: true
      providerName: Test IdP
      issuerUrl: $ISSUER
      clientId: $client_id
      existingSecret: task-manager-oidc
      roleMapping: { tm-admins: admin, tm-members: member, staff: viewer }
VALUES
t=$(now)
if ! helm upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values -f "$DRILL_TMP/oidc.yaml" --wait --timeout 5m >"$DRILL_TMP/upgrade.log" 2>&1; then
  tail -n 30 "$DRILL_TMP/upgrade.log" | sed 's/^/    | /'
  restore
  drill_abort "helm upgrade with OIDC on"
fi
timing "upgrade with OIDC on" $(($(now) - t))

echo "==> Chromium through NodePort 30080 and the provider's login page"
t=$(now)
check "Chromium: a member signs in at the provider, lands on the task list as Member, signs out there too; an unmapped person is refused" \
  node "$E2E_DIR/oidc-browser.mjs" "$NODEPORT_URL" "$LOGIN"
timing "browser" $(($(now) - t))
restore
drill_end
