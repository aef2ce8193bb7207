#!/usr/bin/env bash
# One minikube addon (ingress, dashboard, ...) enabled for the lab's profile; `down` disables it,
# so removing it from the config turns it off.
# Usage: minikube-addon.sh up|down    Environment: PROFILE, BIN_DIR, ADDON
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: minikube-addon.sh up|down}
: "${PROFILE:?}" "${BIN_DIR:?}" "${ADDON:?}"
BIN_DIR=$(expand_home "$BIN_DIR")
minikube=("$BIN_DIR/minikube" -p "$PROFILE")
enabled() { "${minikube[@]}" addons list -o json | python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin).get(sys.argv[1], {}).get("Status") == "enabled" else 1)' "$ADDON"; }

case "$action" in
  up)
    if ! enabled; then
      "${minikube[@]}" addons enable "$ADDON" >&2
      echo "labstack: changed enabled addon $ADDON"
    fi ;;
  down)
    # The cluster may already be gone with the lab.
    if [[ -x "$BIN_DIR/minikube" ]] && "${minikube[@]}" status >/dev/null 2>&1 && enabled; then
      "${minikube[@]}" addons disable "$ADDON" >&2
    fi ;;
  *) echo "minikube-addon.sh: unknown action '$action'" >&2; exit 2 ;;
esac
