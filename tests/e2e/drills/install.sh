#!/usr/bin/env bash
# install: the chart installed with its default values (only the images pointed at the local ones)
# into a fresh namespace that enforces Pod Security "restricted". Checks: helm install --wait,
# every pod ready, the PostgreSQL volume bound, every pod admitted by "restricted", helm test, and
# through NodePort 30080: without credentials the API answers 401 and the page sends the visitor to
# /login; signed in as the first admin (its Secret), the page serves the task list, POST /api/tasks
# with a personal access token creates a task, the page lists it. And both services' pods run the
# project's Node.js (.node-version).
set -uo pipefail
. "$(dirname "$0")/../lib/drill.sh"
drill_begin install

# Every workload got all the pods it asked for: nothing refused by the admission (Pod Security).
pss_admits_all() {
  local bad=0 refused warn d want have
  kubectl get namespace "$NS" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}' | grep -qx restricted || bad=1
  refused=$(kc get events --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.message}{"\n"}{end}')
  if [[ -n $refused ]]; then echo "$refused" | sed 's/^/    refused: /'; bad=1; fi
  # and a server-side dry run of the label reports no existing pod violating "restricted"
  warn=$(kubectl label --dry-run=server --overwrite namespace "$NS" pod-security.kubernetes.io/enforce=restricted 2>&1 >/dev/null)
  if [[ -n $warn ]]; then echo "$warn" | sed 's/^/    /'; bad=1; fi
  for d in $(kc get deploy,statefulset -o name); do
    want=$(kc get "$d" -o jsonpath='{.spec.replicas}')
    have=$(kc get "$d" -o jsonpath='{.status.readyReplicas}')
    echo "    $d: ${have:-0}/$want ready"
    [[ ${have:-0} == "$want" ]] || bad=1
  done
  return $bad
}

echo "==> helm install (restricted namespace, local images)"
release_absent
t=$(now)
if install_restricted; then
  timing "helm install -> all pods ready" $(($(now) - t))
  pass "helm install --wait"
else
  fail "helm install --wait"
  show_state
fi
check "every pod ready" all_pods_ready
check "PostgreSQL volume bound" pvc_bound
check "Pod Security restricted admits every pod" pss_admits_all
# Each service's container runs the node of its image (services/start execs it): the one version.
runs_project_node() {
  local want bad=0 svc pod have
  want="v$(tr -d '[:space:]' <"$REPO_ROOT/.node-version")"
  for svc in backend-api frontend; do
    pod=$(pods_of "$svc" | head -1)
    have=$(kc exec "$pod" -c "$svc" -- node --version)
    echo "    $pod: node $have (want $want)"
    [[ $have == "$want" ]] || bad=1
  done
  return $bad
}
check "the backend and frontend pods run the Node.js of .node-version" runs_project_node
echo "==> helm test"
if helm test "$RELEASE" -n "$NS" --timeout 3m --logs; then pass "helm test"; else fail "helm test"; show_state; fi

echo "==> NodePort 30080 at $NODE_IP"
title="e2e task $(date +%s)-$RANDOM"
check "without credentials: /api/tasks 401 problem+json, / redirects to /login" refuses_anonymous
signs_in() { api_token >/dev/null && ui_session >/dev/null; }
check "the first admin signs in (POST /api/login, a personal access token, the /login form)" signs_in
check "GET / on NodePort 30080 serves the task list" serves_task_list
check "POST /api/tasks on NodePort 30080 creates a task" api_create "$title"
check "the new task is listed on the page" page_lists "$title"
drill_end
