#!/usr/bin/env bash
# The bridge has learned each peer's MAC on the port that faces it.
# Environment: BRIDGE, ENTRIES (records peer= mac= port=)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${BRIDGE:?}" "${ENTRIES:?}"

fdb=$(bridge fdb show br "$BRIDGE")
echo "\$ bridge fdb show br $BRIDGE"; grep -v permanent <<< "$fdb" || true
while read -r line; do
  record "$line"
  peer=${field[peer]} mac=${field[mac]} port=${field[port]}
  grep -qiE "^$mac dev $port( |$)" <<< "$fdb" || fail "bridge $BRIDGE has not learned $peer's MAC $mac on port $port"
  pass "$BRIDGE learned $peer ($mac) on $port"
done < <(records "$ENTRIES")
