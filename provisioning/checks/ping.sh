#!/usr/bin/env bash
# This node reaches TARGET (EXPECT=reach) or must not (EXPECT=isolated).
# Environment: TARGET, EXPECT
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t fail) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${TARGET:?}" "${EXPECT:?}"

if out=$(ping -c 3 -i 0.3 -W 2 "$TARGET" 2>&1); then reached=1; else reached=0; fi
echo "$ ping -c 3 $TARGET"; echo "$out" | tail -n 2
case "$EXPECT:$reached" in
  reach:1) pass "$TARGET answers" ;;
  isolated:0) pass "$TARGET is not reachable, as it must not be" ;;
  reach:0) fail "ping $TARGET got no answer" ;;
  isolated:1) fail "ping $TARGET got answers, but it must be isolated from $(hostname)" ;;
esac
