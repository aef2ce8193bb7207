#!/usr/bin/env bash
# Layer-2 reachability: does anything at TARGET answer ARP on DEVICE? Subnets do not matter here,
# only whether the two sit on one segment (one VLAN, one bridge). Leaves no route behind.
# Environment: TARGET, DEVICE, EXPECT (reach|isolated)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
require ping ip
: "${TARGET:?}" "${DEVICE:?}" "${EXPECT:?}"

ip neigh flush to "$TARGET" dev "$DEVICE" 2>/dev/null || true
added=0
if ! ip route get "$TARGET" oif "$DEVICE" >/dev/null 2>&1 || [[ "$(ip route get "$TARGET" | grep -o "dev [^ ]*")" != "dev $DEVICE" ]]; then
  ip route add "$TARGET/32" dev "$DEVICE" scope link
  added=1
fi
ping -c 2 -W 2 -I "$DEVICE" -- "$TARGET" >/dev/null 2>&1 || true
neighbour=$(ip neigh show to "$TARGET" dev "$DEVICE")
(( added )) && ip route del "$TARGET/32" dev "$DEVICE" scope link
echo "\$ ip neigh show to $TARGET dev $DEVICE"; echo "${neighbour:-(no entry)}"
if grep -q lladdr <<< "$neighbour"; then reached=1; else reached=0; fi
judge "$EXPECT" "$reached" "ARP for $TARGET on $DEVICE"
