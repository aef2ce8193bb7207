#!/usr/bin/env bash
# The lab host reaches TARGET (EXPECT=reach) or must not (EXPECT=isolated). Runs on the lab host
# as a host step: `up` checks, `down` has nothing to undo.
# Environment: TARGET, EXPECT
set -euo pipefail
[[ "${1:-up}" == down ]] && exit 0
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
require ping
: "${TARGET:?}" "${EXPECT:?}"

ping_check "$EXPECT" "$TARGET" "the lab host"
