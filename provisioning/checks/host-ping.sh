#!/usr/bin/env bash
# The lab host reaches TARGET (EXPECT=reach) or must not (EXPECT=isolated). Runs on the lab host
# as a host step: `up` checks, `down` has nothing to undo.
# Environment: TARGET, EXPECT
set -euo pipefail
[[ "${1:-up}" == down ]] && exit 0
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require ping
: "${TARGET:?}" "${EXPECT:?}"

if out=$(ping -c 3 -i 0.3 -W 2 -- "$TARGET" 2>&1); then reached=1; else reached=0; fi
echo "\$ ping -c 3 $TARGET (on the lab host)"; echo "$out" | tail -n 2
judge "$EXPECT" "$reached" "ping $TARGET from the lab host"
