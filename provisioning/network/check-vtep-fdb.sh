#!/usr/bin/env bash
# The VXLAN device's forwarding database has learned every other VTEP (an entry with dst PEER).
# Environment: DEVICE, PEERS (underlay addresses)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${DEVICE:?}" "${PEERS:?}"

fdb=$(bridge fdb show dev "$DEVICE")
echo "\$ bridge fdb show dev $DEVICE"; echo "$fdb"
for peer in $PEERS; do
  grep -qE "^([0-9a-f]{2}:){5}[0-9a-f]{2} dst $peer " <<< "$fdb" || fail "$DEVICE has not learned a MAC behind VTEP $peer"
  pass "$DEVICE learned a MAC behind VTEP $peer"
done
