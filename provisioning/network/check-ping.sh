#!/usr/bin/env bash
# This node reaches TARGET (EXPECT=reach) or must not (EXPECT=isolated).
# Environment: TARGET, EXPECT
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
require ping
: "${TARGET:?}" "${EXPECT:?}"

ping_check "$EXPECT" "$TARGET" "$(hostname)"
