# shellcheck shell=bash disable=SC2034
# Pinned versions of everything the e2e cluster builds (sourced by the scripts).
K8S_VERSION=${K8S_VERSION:-v1.35.4}        # kube-* and kubectl, from the Go module proxy
COREDNS_VERSION=${COREDNS_VERSION:-v1.14.7} # cluster DNS, from the Go module proxy (uses client-go v0.35.4)
PAUSE_VERSION=3.10.1                       # build/pause in the k8s.io/kubernetes module
