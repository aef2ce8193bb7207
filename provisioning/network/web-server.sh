#!/usr/bin/env bash
# A small web server on the lab host's loopback for the NAT lab: guests reach it through their
# NAT's gateway (10.0.2.2). `status` says whether it still serves.
# Usage: web-server.sh up|down|status    Environment: PORT, TOKEN (the page's text), RUN_DIR (pidfile, page)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
action=${1:?usage: web-server.sh up|down|status}
: "${PORT:?}" "${RUN_DIR:?}"
run_dir=$(expand_home "$RUN_DIR")
pidfile="$run_dir/pid"
# The server's command line names its own folder: that is how a pidfile's PID is known as ours.
marker="--directory $run_dir/www"

case "$action" in
  up)
    : "${TOKEN:?}"
    own_dir "$run_dir"
    mkdir -p "$run_dir/www"
    printf '<html><body><p>%s</p></body></html>\n' "$TOKEN" > "$run_dir/www/index.html"
    daemon_pid "$pidfile" "$marker" >/dev/null && exit 0
    "${CLEAN_ENV[@]}" setsid python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$run_dir/www" </dev/null >/dev/null 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    echo "labstack: changed started web server on 127.0.0.1:$PORT"
    ;;
  down)
    stop_daemon "$pidfile" "$marker"
    remove_own_dir "$run_dir"
    ;;
  status)
    daemon_pid "$pidfile" "$marker" >/dev/null || drifted "the NAT lab's web server on 127.0.0.1:$PORT is not running"
    ;;
  *) echo "web-server.sh: unknown action '$action'" >&2; exit 2 ;;
esac
