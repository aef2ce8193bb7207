#!/usr/bin/env bash
# This node reaches TARGET (EXPECT=reach) or must not (EXPECT=isolated).
# Environment: TARGET, EXPECT
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t fail) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require ping
: "${TARGET:?}" "${EXPECT:?}"

ping_check "$EXPECT" "$TARGET" "$(hostname)"
