# Shared settings and helpers of tests/e2e/cluster-up, cluster-down, run and the drills (sourced).
# shellcheck shell=bash disable=SC2034  # settings used by the scripts that source this file
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd)
. "$E2E_DIR/lib/versions.sh"

CACHE=${TASK_MANAGER_CACHE:-/var/cache/task-manager}
STATE=/var/lib/task-manager-e2e          # etcd, containerd, kubelet, volumes: removed by cluster-down
RUN_DIR=/run/task-manager-e2e            # sockets, pids: removed by cluster-down
LOGS=$STATE/logs
PKI=$STATE/pki
BIN=$CACHE/k8s-$K8S_VERSION/bin

# The node: an address on an interface the scripts create (dummy, or a veth pair); nothing listens elsewhere.
NODE_IF=tm0
NODE_IP=10.213.0.1
NODE_NAME=task-manager-e2e
BRIDGE=tmbr0
CLUSTER_CIDR=10.244.0.0/16
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SVC_IP=10.96.0.1
DNS_SVC_IP=10.96.0.10
API_PORT=6443
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800
CONTAINERD_SOCK=$RUN_DIR/containerd/containerd.sock
NODEPORT_URL=http://$NODE_IP:30080

export KUBECONFIG=$PKI/admin.kubeconfig
export PATH=$BIN:$PATH
DOCKER=docker
[[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker

# Steps, checks, timings and the closing line (now, step, check, ...): tests/harness.sh.
. "$REPO_ROOT/tests/harness.sh"

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every second.
wait_for() {
  local timeout=$1 what=$2; shift 2
  local end=$(( $(now) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if (( $(now) >= end )); then echo "    timed out after ${timeout}s waiting for $what" >&2; return 1; fi
    sleep 1
  done
}

# start NAME CMD...: runs CMD detached, log in $LOGS/NAME.log, pid in $RUN_DIR/pids/NAME.pid.
start_proc() {
  local name=$1; shift
  mkdir -p "$LOGS" "$RUN_DIR/pids"
  setsid nohup "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/pids/$name.pid"
}
proc_alive() { local f=$RUN_DIR/pids/$1.pid; [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null; }
# stop_proc NAME...: SIGTERM to all of them at once, SIGKILL to any still there after 10 s.
stop_proc() {
  local name f pids=() pid i
  for name in "$@"; do
    f=$RUN_DIR/pids/$name.pid
    [[ -f $f ]] || continue
    pid=$(cat "$f"); rm -f "$f"
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for i in $(seq 1 40); do
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && break 1; pid=""; done
    [[ -z ${pid:-} ]] && break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  return 0
}

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
api_healthy() { kubectl get --raw /readyz >/dev/null 2>&1; }
cluster_is_up() {
  local p
  for p in etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy provisioner; do
    proc_alive "$p" || return 1
  done
  api_healthy
}
