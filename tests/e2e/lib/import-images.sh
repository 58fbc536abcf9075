#!/usr/bin/env bash
# Imports images from the docker engine into the cluster's containerd (namespace k8s.io), without a
# registry: `docker save` once per image id (archive cached in $CACHE/images/saved/), then
# `ctr images import`. An image containerd already has with the same id is skipped.
# Usage: import-images.sh IMAGE...   (default: the list images/build wrote, $CACHE/images/built.txt)
set -euo pipefail
. "$(dirname "$0")/common.sh"
images=("$@")
if ((${#images[@]} == 0)); then mapfile -t images <"$CACHE/images/built.txt"; fi
saved=$CACHE/images/saved
mkdir -p "$saved"
for img in "${images[@]}"; do
  id=$($DOCKER image inspect -f '{{.Id}}' "$img")
  have=$(ctr_k8s images ls 2>/dev/null | awk -v n="docker.io/$img" '$1 == n {print $3}')
  if [[ -n $have ]] && ctr_k8s content get "$have" 2>/dev/null | grep -qF "$id"; then
    echo "    $img: already in containerd"; continue
  fi
  base=${img//[\/:]/_}
  tar="$saved/$base-${id#sha256:}.tar"
  if [[ ! -s $tar ]]; then
    rm -f "$saved/$base"-*.tar
    $DOCKER save -o "$tar.tmp" "$img" && mv "$tar.tmp" "$tar"
  fi
  ctr_k8s images import "$tar" >/dev/null
  echo "    imported $img into containerd"
done
