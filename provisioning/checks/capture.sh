#!/usr/bin/env bash
# While this node pings TARGET, tcpdump on DEVICE sees frames matching FILTER whose decoded text
# matches PATTERN (an 802.1Q tag, a VXLAN header): what really crosses the wire.
# Environment: DEVICE, FILTER, PATTERN, TARGET (FILTER and TARGET come after `--`: never options)
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t fail) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${DEVICE:?}" "${FILTER:?}" "${PATTERN:?}" "${TARGET:?}"

out=$(mktemp)
timeout 20 tcpdump -l -e -n -c 4 -i "$DEVICE" -- "$FILTER" > "$out" 2>/dev/null &
capture=$!
sleep 2
ping -c 4 -i 0.3 -W 2 -- "$TARGET" >/dev/null 2>&1 || true
wait "$capture" || true
echo "\$ tcpdump -e -n -i $DEVICE '$FILTER' (while pinging $TARGET)"; cat "$out"
grep -qE -- "$PATTERN" "$out" || { rm -f "$out"; fail "no frame on $DEVICE matching '$FILTER' showed /$PATTERN/"; }
rm -f "$out"
pass "captured on $DEVICE: /$PATTERN/"
