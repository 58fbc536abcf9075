# shellcheck shell=bash
# Sourced by images/build and tests/e2e/*: makes sure Debian's docker.io engine is running.
# dockerd is started only when no engine answers; it then keeps its data in the cache dir
# ($CACHE/docker), adds no bridge and no iptables rule (builds use the host network), logs to
# $CACHE/dockerd.log, and is recorded in $CACHE/dockerd.started-by-task-manager so that
# tests/e2e/cluster-down (or images/build --stop-docker) stops it again.
: "${CACHE:=${TASK_MANAGER_CACHE:-/var/cache/task-manager}}"
DOCKER=docker
[[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker

ensure_docker() {
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "    installing Debian's docker.io"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
    [[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker
  fi
  if $DOCKER info >/dev/null 2>&1; then return 0; fi
  mkdir -p "$CACHE/docker"
  echo "    starting dockerd (data: $CACHE/docker, log: $CACHE/dockerd.log)"
  setsid nohup dockerd --data-root "$CACHE/docker" --exec-root /run/task-manager-docker \
    --pidfile /run/task-manager-docker.pid --bridge=none --iptables=false --ip-masq=false \
    >"$CACHE/dockerd.log" 2>&1 </dev/null &
  echo "$!" >"$CACHE/dockerd.started-by-task-manager"
  [[ -e /run/docker ]] || touch "$CACHE/dockerd.made-run-docker"
  for _ in $(seq 1 60); do $DOCKER info >/dev/null 2>&1 && return 0; sleep 1; done
  echo "dockerd did not start; its log:" >&2
  tail -n 40 "$CACHE/dockerd.log" >&2
  return 1
}

stop_docker_if_ours() {
  local f=$CACHE/dockerd.started-by-task-manager pid
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$f"
  awk '$5 ~ "^/run/task-manager-docker" {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf /run/task-manager-docker
  # dockerd makes /run/docker (its plugin sockets) even with another exec-root
  if [[ -f $CACHE/dockerd.made-run-docker ]]; then rm -rf /run/docker; rm -f "$CACHE/dockerd.made-run-docker"; fi
  # the (empty) cgroups its build containers used
  local h
  for h in /sys/fs/cgroup/*/docker /sys/fs/cgroup/docker; do
    [[ -d $h ]] && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  return 0
}
