#!/usr/bin/env bash
# What Pulumi needs from the lab's minikube cluster, as one JSON object on stdout: the node's IP
# and a self-contained kubeconfig for the profile (certificates embedded). The kubeconfig is a
# secret: the component keeps this output secret and never logs it.
# Usage: minikube-access.sh up|down    Environment: PROFILE, BIN_DIR
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

[[ "${1:?usage: minikube-access.sh up|down}" == down ]] && exit 0
: "${PROFILE:?}" "${BIN_DIR:?}"
BIN_DIR=$(expand_home "$BIN_DIR")
ip=$("$BIN_DIR/minikube" -p "$PROFILE" ip)
kubeconfig=$("$BIN_DIR/kubectl" config view --context "$PROFILE" --flatten --minify)
# The kubeconfig (its client key) goes to python on stdin: a command line is anyone's to read (ps).
printf '%s' "$kubeconfig" | python3 -c 'import json, sys; print(json.dumps({"ip": sys.argv[1], "kubeconfig": sys.stdin.read()}))' "$ip"
