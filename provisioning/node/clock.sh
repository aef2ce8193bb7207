#!/usr/bin/env bash
# A node's clock after it resumed from a checkpoint or a saved state: it stands where it stood then.
# It takes the lab host's time; chrony, when the lab has it, starts afresh: its measurements are
# from before the pause, and it would distrust the new ones (the check wants a selected source).
# Usage: clock.sh up    Environment: EPOCH (the lab host's time, seconds)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${EPOCH:?}"
date -s "@$EPOCH" >/dev/null
if systemctl is-active --quiet chrony 2>/dev/null; then
  systemctl restart chrony
  changed "set the clock to the lab host's and restarted chrony"
else
  changed "set the clock to the lab host's"
fi
