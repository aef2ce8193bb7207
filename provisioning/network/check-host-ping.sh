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

ping_check "$EXPECT" "$TARGET" "the lab host"
