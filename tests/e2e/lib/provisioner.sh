#!/usr/bin/env bash
# A dynamic volume provisioner for the e2e cluster's default StorageClass (storageclass.yaml):
# every 2 s, each Pending PVC of that class gets a hostPath PV (a directory under VOLUMES_DIR,
# mode 0777 so any pod user can write), pre-bound to the claim; each Released PV it made is
# removed with its directory (reclaimPolicy Delete). Runs on the host with its own credentials.
set -uo pipefail
. "$(dirname "$0")/common.sh"
VOLUMES_DIR=${1:-$STATE/volumes}
export KUBECONFIG=$PKI/provisioner.kubeconfig
CLASS=local-hostpath
PROVISIONER=task-manager.local/hostpath
mkdir -p "$VOLUMES_DIR"
log() { echo "$(date -u +%H:%M:%S) $*"; }

provision() {
  local ns=$1 name=$2 uid=$3 size=$4 modes=$5 pv="pvc-$3" dir
  kubectl get pv "$pv" >/dev/null 2>&1 && return 0
  dir="$VOLUMES_DIR/${ns}_${name}_${uid}"
  mkdir -p "$dir" && chmod 0777 "$dir"
  local modes_yaml="" m
  for m in ${modes//,/ }; do modes_yaml+="  - $m"$'\n'; done
  [[ -n $modes_yaml ]] || modes_yaml="  - ReadWriteOnce"$'\n'
  if kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $pv
  annotations:
    pv.kubernetes.io/provisioned-by: $PROVISIONER
spec:
  storageClassName: $CLASS
  persistentVolumeReclaimPolicy: Delete
  capacity:
    storage: $size
  accessModes:
$modes_yaml  claimRef:
    apiVersion: v1
    kind: PersistentVolumeClaim
    namespace: $ns
    name: $name
    uid: $uid
  hostPath:
    path: $dir
    type: Directory
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}
YAML
  then log "provisioned $pv for $ns/$name ($size) at $dir"; else log "could not create $pv"; fi
}

while true; do
  kubectl get pvc -A -o go-template='{{range .items}}{{if and (eq .status.phase "Pending") (not .spec.volumeName)}}{{.metadata.namespace}} {{.metadata.name}} {{.metadata.uid}} {{.spec.storageClassName}} {{.spec.resources.requests.storage}} {{range $i, $m := .spec.accessModes}}{{if $i}},{{end}}{{$m}}{{end}}{{"\n"}}{{end}}{{end}}' 2>/dev/null |
  while read -r ns name uid class size modes; do
    [[ $class == "$CLASS" ]] || continue
    provision "$ns" "$name" "$uid" "$size" "$modes"
  done
  kubectl get pv -o go-template='{{range .items}}{{if eq .status.phase "Released" "Failed"}}{{$pv := .}}{{with .metadata.annotations}}{{if eq (index . "pv.kubernetes.io/provisioned-by") "'"$PROVISIONER"'"}}{{if eq $pv.spec.persistentVolumeReclaimPolicy "Delete"}}{{$pv.metadata.name}} {{$pv.spec.hostPath.path}}{{"\n"}}{{end}}{{end}}{{end}}{{end}}{{end}}' 2>/dev/null |
  while read -r pv dir; do
    case $dir in "$VOLUMES_DIR"/*) rm -rf "$dir" ;; esac
    kubectl delete pv "$pv" --wait=false >/dev/null 2>&1 && log "deleted $pv and $dir"
  done
  sleep 2
done
