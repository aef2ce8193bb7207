#!/usr/bin/env bash
# A small web server on the lab host's loopback for the NAT lab: guests reach it as 10.0.2.2.
# Usage: web-server.sh up|down    Environment: PORT, TOKEN (the page's text), RUN_DIR (pidfile, page)
set -euo pipefail
action=${1:?usage: web-server.sh up|down}
: "${PORT:?}"
run_dir=${RUN_DIR:-}
run_dir=${run_dir:-${TMPDIR:-/tmp}/labstack-web-$PORT}
pidfile="$run_dir/pid"

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "$action" in
  up)
    : "${TOKEN:?}"
    mkdir -p "$run_dir/www"
    printf '<html><body><p>%s</p></body></html>\n' "$TOKEN" > "$run_dir/www/index.html"
    running && exit 0
    setsid python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$run_dir/www" </dev/null >/dev/null 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    echo "labstack: changed started web server on 127.0.0.1:$PORT"
    ;;
  down)
    if running; then kill "$(cat "$pidfile")"; fi
    rm -rf "$run_dir"
    ;;
  *) echo "web-server.sh: unknown action '$action'" >&2; exit 2 ;;
esac
