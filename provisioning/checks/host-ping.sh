#!/usr/bin/env bash
# The lab host reaches TARGET (EXPECT=reach) or must not (EXPECT=isolated). Runs on the lab host
# as a host step: `up` checks, `down` has nothing to undo.
# Environment: TARGET, EXPECT
set -euo pipefail
[[ "${1:-up}" == down ]] && exit 0
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${TARGET:?}" "${EXPECT:?}"

if out=$(ping -c 3 -i 0.3 -W 2 "$TARGET" 2>&1); then reached=1; else reached=0; fi
echo "\$ ping -c 3 $TARGET (on the lab host)"; echo "$out" | tail -n 2
case "$EXPECT:$reached" in
  reach:1) pass "the lab host reaches $TARGET" ;;
  isolated:0) pass "the lab host cannot reach $TARGET, as it must not" ;;
  reach:0) fail "the lab host got no answer from $TARGET" ;;
  isolated:1) fail "the lab host reaches $TARGET, but it must be isolated" ;;
esac
