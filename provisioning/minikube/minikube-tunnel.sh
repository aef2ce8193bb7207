#!/usr/bin/env bash
# `minikube tunnel` as a long-running service on the lab host, so LoadBalancer services get an
# external IP (it routes the service range to the node). Runs as root, detached, with a pidfile
# and a log; `down` stops it and removes the routes it made.
# Usage: minikube-tunnel.sh up|down    Environment: PROFILE, BIN_DIR, RUN_DIR
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: minikube-tunnel.sh up|down}
: "${PROFILE:?}" "${BIN_DIR:?}" "${RUN_DIR:?}"
BIN_DIR=$(expand_home "$BIN_DIR") RUN_DIR=$(expand_home "$RUN_DIR")
pidfile="$RUN_DIR/tunnel.pid"
marker="$BIN_DIR/minikube -p $PROFILE tunnel"

case "$action" in
  up)
    daemon_pid "$pidfile" "$marker" >/dev/null && exit 0
    own_dir "$RUN_DIR"
    "${CLEAN_ENV[@]}" setsid "$BIN_DIR/minikube" -p "$PROFILE" tunnel --cleanup </dev/null >"$RUN_DIR/tunnel.log" 2>&1 &
    echo $! > "$pidfile"
    sleep 2
    daemon_pid "$pidfile" "$marker" >/dev/null || { echo "minikube tunnel exited at once:" >&2; cat "$RUN_DIR/tunnel.log" >&2; exit 1; }
    echo "labstack: changed started minikube tunnel for $PROFILE" ;;
  down)
    stop_daemon "$pidfile" "$marker"
    remove_own_dir "$RUN_DIR" ;;
  *) echo "minikube-tunnel.sh: unknown action '$action'" >&2; exit 2 ;;
esac
