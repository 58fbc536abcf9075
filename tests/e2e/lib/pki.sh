#!/usr/bin/env bash
# Certificates and kubeconfigs of the e2e cluster (openssl), in $PKI. One CA signs everything.
set -euo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$PKI"
cd "$PKI"
exec 3>>"$PKI/openssl.log"

openssl genrsa -out ca.key 2048 2>&3
openssl req -x509 -new -nodes -key ca.key -sha256 -days 30 -subj "/CN=task-manager-e2e-ca" -out ca.crt 2>&3

# cert NAME SUBJECT [SANS]: a key and a certificate signed by the CA.
cert() {
  local name=$1 subj=$2 sans=${3:-} ext
  openssl genrsa -out "$name.key" 2048 2>&3
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>&3
  ext=$(mktemp)
  if [[ -n $sans ]]; then
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$sans" >"$ext"
  else
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$ext"
  fi
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -sha256 \
    -extfile "$ext" -out "$name.crt" 2>&3
  rm -f "$ext" "$name.csr"
}

cert apiserver "/CN=kube-apiserver" \
  "IP:$NODE_IP,IP:$KUBERNETES_SVC_IP,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
cert kubelet "/CN=$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
cert admin "/O=system:masters/CN=kubernetes-admin"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME"
cert kube-proxy "/CN=system:kube-proxy"
cert provisioner "/O=system:masters/CN=task-manager-e2e-provisioner"
openssl genrsa -out sa.key 2048 2>&3
openssl rsa -in sa.key -pubout -out sa.pub 2>&3

# kubeconfig FILE CERTNAME
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: task-manager-e2e
  cluster:
    server: https://$NODE_IP:$API_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $2
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: task-manager-e2e
  context: {cluster: task-manager-e2e, user: $2}
current-context: task-manager-e2e
EOF
}
kubeconfig admin.kubeconfig admin
kubeconfig controller-manager.kubeconfig controller-manager
kubeconfig scheduler.kubeconfig scheduler
kubeconfig kubelet.kubeconfig kubelet-client
kubeconfig kube-proxy.kubeconfig kube-proxy
kubeconfig provisioner.kubeconfig provisioner
chmod 600 ./*.key
