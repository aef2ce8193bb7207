#!/usr/bin/env bash
# The minikube post's observations on the lab host: the Deployment is available, its Service
# answers "It works!" (httpd's page) on the node's NodePort, and the PVC is bound.
# Runs on the lab host as a host step: `up` checks, `down` has nothing to undo.
# Environment: PROFILE, BIN_DIR, NAMESPACE, DEPLOYMENT, SERVICE, PVC
set -euo pipefail
[[ "${1:-up}" == down ]] && exit 0
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
require curl
: "${PROFILE:?}" "${BIN_DIR:?}" "${NAMESPACE:?}" "${DEPLOYMENT:?}" "${SERVICE:?}" "${PVC:?}"
BIN_DIR=$(expand_home "$BIN_DIR")
kubectl=("$BIN_DIR/kubectl" --context "$PROFILE" -n "$NAMESPACE")

echo "\$ kubectl wait --for=condition=Available deployment/$DEPLOYMENT"
out=$("${kubectl[@]}" wait --for=condition=Available "deployment/$DEPLOYMENT" --timeout=300s 2>&1) || fail "deployment $DEPLOYMENT is not available: $out"
pass "deployment $DEPLOYMENT available ($("${kubectl[@]}" get deployment "$DEPLOYMENT" -o jsonpath='{.status.availableReplicas}') replicas)"

ip=$("$BIN_DIR/minikube" -p "$PROFILE" ip)
port=$("${kubectl[@]}" get service "$SERVICE" -o jsonpath='{.spec.ports[0].nodePort}')
page=$(curl -fsS --max-time 10 --retry 10 --retry-delay 3 --retry-all-errors "http://$ip:$port/" 2>&1 || true)
echo "\$ curl http://$ip:$port/"; echo "$page" | head -n 3
grep -q "It works!" <<< "$page" || fail "service $SERVICE on $ip:$port did not answer \"It works!\""
pass "service $SERVICE answers \"It works!\" on NodePort $port"

phase=""
for _ in $(seq 60); do
  phase=$("${kubectl[@]}" get pvc "$PVC" -o jsonpath='{.status.phase}')
  [[ "$phase" == Bound ]] && break
  sleep 2
done
echo "\$ kubectl get pvc $PVC: $phase"
[[ "$phase" == Bound ]] || fail "PVC $PVC is ${phase:-missing}, not Bound"
pass "PVC $PVC bound"
