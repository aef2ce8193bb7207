#!/usr/bin/env bash
# The node reaches the web server the lab runs on the lab host, through the NAT gateway 10.0.2.2
# (which both VirtualBox and QEMU map to the host's loopback).
# Environment: PORT, TOKEN (what the page must contain)
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t fail) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${PORT:?}" "${TOKEN:?}"

page=$(tcp_exchange 10.0.2.2 "$PORT" "GET / HTTP/1.0\r\nHost: 10.0.2.2\r\n\r\n") || fail "no connection to 10.0.2.2:$PORT through NAT"
echo "\$ GET http://10.0.2.2:$PORT/"; head -n 1 <<< "$page"
grep -qF "$TOKEN" <<< "$page" || fail "10.0.2.2:$PORT answered, but not with the lab's page"
pass "reached the lab host's web server at 10.0.2.2:$PORT through NAT"
