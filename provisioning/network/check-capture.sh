#!/usr/bin/env bash
# While this node pings TARGET, tcpdump on DEVICE sees frames matching FILTER whose decoded text
# matches PATTERN (an 802.1Q tag, a VXLAN header): what really crosses the wire.
# Environment: DEVICE, FILTER, PATTERN, TARGET (FILTER and TARGET come after `--`: never options)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${DEVICE:?}" "${FILTER:?}" "${PATTERN:?}" "${TARGET:?}"

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
timeout 20 tcpdump -l -e -n -c 4 -i "$DEVICE" -- "$FILTER" > "$out" 2> "$err" &
capture=$!
# tcpdump says "listening on" once its filter is set: frames before that go unseen. Waiting for
# it instead of a fixed pause saved 1.5 s of every capture under TCG.
for _ in {1..100}; do
  grep -q "listening on" "$err" && break
  kill -0 "$capture" 2>/dev/null || break
  sleep 0.1
done
ping -c 4 -i 0.3 -W 2 -- "$TARGET" >/dev/null 2>&1 || true
wait "$capture" || true
echo "\$ tcpdump -e -n -i $DEVICE '$FILTER' (while pinging $TARGET)"; cat "$out"
grep -qE -- "$PATTERN" "$out" || fail "no frame on $DEVICE matching '$FILTER' showed /$PATTERN/"
pass "captured on $DEVICE: /$PATTERN/"
