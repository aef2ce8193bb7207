#!/usr/bin/env bash
# The node reaches the web server the lab runs on the lab host, through the NAT gateway (10.0.2.2,
# which both VirtualBox and QEMU map to the host's loopback).
# Environment: PORT, TOKEN (what the page must contain), GATEWAY (the NAT's gateway)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${PORT:?}" "${TOKEN:?}" "${GATEWAY:?}"

page=$(tcp_exchange "$GATEWAY" "$PORT" "GET / HTTP/1.0\r\nHost: $GATEWAY\r\n\r\n") || fail "no connection to $GATEWAY:$PORT through NAT"
echo "\$ GET http://$GATEWAY:$PORT/"; head -n 1 <<< "$page"
grep -qF "$TOKEN" <<< "$page" || fail "$GATEWAY:$PORT answered, but not with the lab's page"
pass "reached the lab host's web server at $GATEWAY:$PORT through NAT"
