#!/usr/bin/env bash
# This node reaches TARGET (EXPECT=reach) or must not (EXPECT=isolated).
# Environment: TARGET, EXPECT
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t fail) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require ping
: "${TARGET:?}" "${EXPECT:?}"

if out=$(ping -c 3 -i 0.3 -W 2 -- "$TARGET" 2>&1); then reached=1; else reached=0; fi
echo "$ ping -c 3 $TARGET"; echo "$out" | tail -n 2
judge "$EXPECT" "$reached" "ping $TARGET from $(hostname)"
