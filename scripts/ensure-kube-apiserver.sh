#!/usr/bin/env bash
# A real Kubernetes control plane for the tests, without downloads from outside the Go module
# proxy: builds etcd (a two-line main around go.etcd.io/etcd/server/v3's etcdmain),
# kube-apiserver and kube-controller-manager (k8s.io/kubernetes, its staging modules taken at
# their published v0.x versions) into a cache. A second run takes a second. Prints the folder
# holding the binaries.
set -euo pipefail

kubernetes=${KUBE_APISERVER_VERSION:-v1.36.3}
etcd=${ETCD_VERSION:-v3.6.16}
out=${LABSTACK_CACHE:-$HOME/.cache/labstack}/kube-apiserver/$kubernetes-etcd-$etcd
bin="$out/bin"
mkdir -p "$bin"
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
log() { echo "ensure-kube-apiserver: $*" >&2; }
# shellcheck source=go-wrapper.sh
source "$(dirname "$0")/go-wrapper.sh"

if [[ ! -x "$bin/etcd" ]]; then
  log "building etcd $etcd"
  dir="$out/src/etcd"
  wrapper "$dir" "go.etcd.io/etcd/server/v3@$etcd"
  cat > "$dir/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$dir" && go mod tidy >/dev/null 2>&1 && go build -o "$bin/etcd" .)
fi

if [[ ! -x "$bin/kube-apiserver" || ! -x "$bin/kube-controller-manager" ]]; then
  log "building kube-apiserver and kube-controller-manager $kubernetes (several minutes on a cold cache)"
  dir="$out/src/kubernetes"
  wrapper "$dir" "k8s.io/kubernetes@$kubernetes"
  (
    cd "$dir"
    # Inside its repository k8s.io/kubernetes points its staging modules at ./staging; outside,
    # the same code is published as k8s.io/<name> v0.<minor>.<patch>.
    module_replaces "k8s.io/kubernetes@$kubernetes" | awk '$3 ~ /^\.\/staging/ { print $1 }' | while read -r staged; do
      go mod edit -replace="$staged=$staged@v0.${kubernetes#v1.}"
    done
    minor=${kubernetes#v1.}; minor=${minor%%.*}
    go build -o "$bin/" \
      -ldflags "-X k8s.io/component-base/version.gitVersion=$kubernetes -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  )
fi
echo "$bin"
