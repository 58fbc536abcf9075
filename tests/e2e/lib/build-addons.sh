#!/usr/bin/env bash
# Builds the cluster's own images from source, without any registry:
#   task-manager/pause:$PAUSE_VERSION    build/pause/linux/pause.c from the k8s.io/kubernetes module, gcc -static
#   task-manager/coredns:$COREDNS_VERSION a CoreDNS with only the plugins the cluster uses, from its Go module
# and saves each as a docker archive in $CACHE/images/ (what cluster-up imports into containerd).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
CACHE=${TASK_MANAGER_CACHE:-/var/cache/task-manager}
DOCKER=docker; [[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker
out=$CACHE/images
mkdir -p "$out"

# ---- pause
pause_tar=$out/pause-$PAUSE_VERSION.tar
if [[ ! -s $pause_tar ]]; then
  src=$(go env GOMODCACHE)/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c
  [[ -f $src ]] || (cd "$CACHE/k8s-$K8S_VERSION/mod" && go mod download k8s.io/kubernetes)
  ctx=$(mktemp -d)
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-task-manager" -o "$ctx/pause" "$src"
  strip "$ctx/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
  $DOCKER build -q -t "task-manager/pause:$PAUSE_VERSION" "$ctx" >/dev/null
  $DOCKER save "task-manager/pause:$PAUSE_VERSION" -o "$pause_tar.tmp" && mv "$pause_tar.tmp" "$pause_tar"
  rm -rf "$ctx"
  echo "built task-manager/pause:$PAUSE_VERSION"
else
  echo "task-manager/pause:$PAUSE_VERSION: cached"
fi

# ---- coredns
dns_tar=$out/coredns-$COREDNS_VERSION.tar
if [[ ! -s $dns_tar ]]; then
  dir=$CACHE/coredns-$COREDNS_VERSION
  mkdir -p "$dir/mod"
  cd "$dir/mod"
  # Only the plugins our Corefile uses (the CoreDNS way of choosing plugins at compile time).
  cat >main.go <<'GO'
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The plugins' order, as in CoreDNS's plugin.cfg.
var directives = []string{"reload", "ready", "health", "errors", "log", "loadbalance", "cache", "kubernetes"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
GO
  if [[ ! -f go.mod ]]; then
    printf 'module tm-coredns\ngo 1.25.0\nrequire github.com/coredns/coredns %s\n' "$COREDNS_VERSION" >go.mod
    GOFLAGS=-mod=mod go mod tidy
  fi
  echo "building coredns $COREDNS_VERSION ..."
  t0=$(date +%s)
  CGO_ENABLED=0 GOFLAGS="-p=2 -mod=mod" nice -n 10 go build -trimpath -ldflags "-s -w" -o "$dir/coredns" .
  echo "built coredns in $(( $(date +%s) - t0 ))s"
  ctx=$(mktemp -d)
  cp "$dir/coredns" "$ctx/coredns"
  printf 'FROM scratch\nCOPY coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT ["/coredns"]\n' >"$ctx/Dockerfile"
  $DOCKER build -q -t "task-manager/coredns:$COREDNS_VERSION" "$ctx" >/dev/null
  $DOCKER save "task-manager/coredns:$COREDNS_VERSION" -o "$dns_tar.tmp" && mv "$dns_tar.tmp" "$dns_tar"
  rm -rf "$ctx"
else
  echo "task-manager/coredns:$COREDNS_VERSION: cached"
fi
