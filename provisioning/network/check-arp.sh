#!/usr/bin/env bash
# After talking to PEER, this node's ARP cache holds PEER's MAC: both share one layer-2 segment.
# Environment: PEER, PEER_IP, PEER_MAC, DEVICE
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${PEER:?}" "${PEER_IP:?}" "${PEER_MAC:?}" "${DEVICE:?}"

ping -c 1 -W 2 -- "$PEER_IP" >/dev/null 2>&1 || true
entry=$(ip neigh show to "$PEER_IP" dev "$DEVICE")
echo "\$ ip neigh show to $PEER_IP dev $DEVICE"; echo "${entry:-(no entry)}"
grep -qi "lladdr $PEER_MAC" <<< "$entry" || fail "the ARP cache on $DEVICE has no $PEER_MAC for $PEER ($PEER_IP)"
pass "ARP cache: $PEER ($PEER_IP) is at $PEER_MAC on $DEVICE"
