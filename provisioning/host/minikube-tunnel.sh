#!/usr/bin/env bash
# `minikube tunnel` as a long-running service on the lab host, so LoadBalancer services get an
# external IP (it routes the service range to the node). Runs as root, detached, with a pidfile
# and a log; `down` stops it and removes the routes it made.
# Usage: minikube-tunnel.sh up|down    Environment: PROFILE, BIN_DIR, RUN_DIR
set -euo pipefail

action=${1:?usage: minikube-tunnel.sh up|down}
: "${PROFILE:?}" "${BIN_DIR:?}" "${RUN_DIR:?}"
pidfile="$RUN_DIR/tunnel.pid"
running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "$action" in
  up)
    running && exit 0
    mkdir -p "$RUN_DIR"
    setsid "$BIN_DIR/minikube" -p "$PROFILE" tunnel --cleanup </dev/null >"$RUN_DIR/tunnel.log" 2>&1 &
    echo $! > "$pidfile"
    sleep 2
    running || { echo "minikube tunnel exited at once:" >&2; cat "$RUN_DIR/tunnel.log" >&2; exit 1; }
    echo "labstack: changed started minikube tunnel for $PROFILE" ;;
  down)
    if running; then kill "$(cat "$pidfile")"; fi
    rm -rf "$RUN_DIR" ;;
  *) echo "minikube-tunnel.sh: unknown action '$action'" >&2; exit 2 ;;
esac
