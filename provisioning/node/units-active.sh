#!/usr/bin/env bash
# Whether a node's services still run: what `pulumi refresh` asks of a service step (its status).
# Usage: units-active.sh [status]    Environment: UNITS (systemd units, space-separated)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${UNITS:?}"
for unit in $UNITS; do
  state=$(systemctl is-active "$unit" 2>/dev/null || true)
  [[ "$state" == active ]] || drifted "$unit is ${state:-unknown} on $(hostname)"
done
