#!/usr/bin/env bash
# Builds the pinned Kubernetes binaries from the Go module proxy into $CACHE/k8s-$K8S_VERSION/bin.
# Usage: build-k8s.sh   (env: TASK_MANAGER_CACHE, K8S_VERSION)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
CACHE=${TASK_MANAGER_CACHE:-/var/cache/task-manager}
dir=$CACHE/k8s-$K8S_VERSION
bin=$dir/bin
cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
missing=()
for c in "${cmds[@]}"; do [[ -x $bin/$c ]] || missing+=("$c"); done
if ((${#missing[@]} == 0)); then echo "kubernetes $K8S_VERSION: cached in $bin"; exit 0; fi
mkdir -p "$dir/mod" "$bin"
staging_ver=v0.${K8S_VERSION#v1.}
cd "$dir/mod"
if [[ ! -f go.mod ]]; then
  {
    echo "module tm-k8s-build"
    echo "go 1.25.0"
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo "replace ("
    for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
      cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
      cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms \
      kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics \
      mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller; do
      echo "  k8s.io/$m => k8s.io/$m $staging_ver"
    done
    echo ")"
  } > go.mod
  printf 'package main\nimport _ "k8s.io/kubernetes/cmd/kubelet"\nfunc main() {}\n' > tools.go
  GOFLAGS=-mod=mod go mod tidy
fi
ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
for c in "${missing[@]}"; do
  t0=$(date +%s)
  echo "building $c $K8S_VERSION ..."
  CGO_ENABLED=0 GOFLAGS="-p=2 -mod=mod" nice -n 10 go build -trimpath -ldflags "$ld" -o "$bin/$c.tmp" "k8s.io/kubernetes/cmd/$c"
  mv "$bin/$c.tmp" "$bin/$c"
  echo "built $c in $(( $(date +%s) - t0 ))s"
done
