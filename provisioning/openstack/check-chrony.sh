#!/usr/bin/env bash
# Chrony is active; a client is synchronised from the lab's time server (chronyc sources shows
# it selected, '^*').
# Environment: ROLE (server|client), SERVER and SERVER_IP (client)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${ROLE:?}"

systemctl is-active --quiet chrony || fail "systemctl is-active chrony: $(systemctl is-active chrony || true)"
pass "chrony is active"
if [[ "$ROLE" == client ]]; then
  : "${SERVER:?}" "${SERVER_IP:?}"
  synced() { chronyc -n sources | grep -qE "^\^\* +$SERVER_IP "; }
  retry 180 synced || fail "chronyc -n sources does not show $SERVER ($SERVER_IP) selected:
$(chronyc -n sources)"
  chronyc sources | grep -E "^\^\*" || true
  pass "synchronised from $SERVER ($SERVER_IP)"
fi
