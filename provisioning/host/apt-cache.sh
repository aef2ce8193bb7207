#!/usr/bin/env bash
# apt-cacher-ng on the lab host, the nodes' APT proxy (port 3142, as in the seed).
# With systemd, the distribution's service is configured through a drop-in file; without it (or
# with ACNG_MODE=daemon) a private instance runs from RUN_DIR with its own pidfile, config and cache.
# Usage: apt-cache.sh up|down
# Environment: PORT (3142), BIND_ADDRESS (0.0.0.0), UPSTREAM_PROXY (optional), RUN_DIR (daemon mode),
#              DEBIAN_MIRROR (default: the host's own Debian mirror, else deb.debian.org), ACNG_MODE,
#              CACHE_DIR (daemon mode; default RUN_DIR/cache, removed on down unless set elsewhere)
set -euo pipefail

action=${1:?usage: apt-cache.sh up|down}
port=${PORT:-3142}
bind=${BIND_ADDRESS:-0.0.0.0}
mode=${ACNG_MODE:-auto}
if [[ "$mode" == auto ]]; then
  if [[ -d /run/systemd/system ]]; then mode=systemd; else mode=daemon; fi
fi
# The distribution's service is configured in /etc: as a user, run again through password-less sudo.
if [[ "$mode" == systemd ]] && ((EUID != 0)); then exec sudo -n --preserve-env bash "$0" "$@"; fi

mirror=${DEBIAN_MIRROR:-}
if [[ -z "$mirror" ]]; then
  mirror=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 | tr -d ' ' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

# Writes $2 to $1 only when it differs; says so, so a second run can show it changed nothing.
put() {
  if [[ ! -f "$1" ]] || [[ "$(cat "$1")" != "$2" ]]; then
    printf '%s\n' "$2" > "$1"
    echo "labstack: changed $1"
    return 0
  fi
  return 1
}

listening() { (exec 3<>"/dev/tcp/${1}/$port") 2>/dev/null; }

wait_listening() {
  local probe=$bind
  [[ "$probe" == 0.0.0.0 ]] && probe=127.0.0.1
  for _ in $(seq 100); do listening "$probe" && return 0; sleep 0.1; done
  echo "apt-cacher-ng did not start listening on $probe:$port" >&2
  return 1
}

# Through an upstream proxy that is itself fetching cold files, bursts of requests fail with
# "503 Connection closed" when the proxy drops kept-alive connections: one request at a time,
# and many more retries and patience before giving up.
settings="Port: $port
BindAddress: $bind${UPSTREAM_PROXY:+
Proxy: $UPSTREAM_PROXY
PipelineDepth: 1
DlMaxRetries: 50
NetworkTimeout: 120}"

case "$mode:$action" in
  systemd:up)
    command -v apt-cacher-ng >/dev/null || [[ -x /usr/sbin/apt-cacher-ng ]] || { echo "apt-cacher-ng is not installed; run host preparation" >&2; exit 1; }
    changed=0
    put /etc/apt-cacher-ng/zz_labstack.conf "$settings" && changed=1
    put /etc/apt-cacher-ng/backends_debian "$mirror" && changed=1
    if (( changed )) || ! systemctl is-active --quiet apt-cacher-ng; then
      systemctl enable --quiet apt-cacher-ng
      systemctl restart apt-cacher-ng
    fi
    wait_listening
    ;;
  systemd:down)
    if [[ -f /etc/apt-cacher-ng/zz_labstack.conf ]]; then
      rm -f /etc/apt-cacher-ng/zz_labstack.conf
      systemctl restart apt-cacher-ng || true
    fi
    ;;
  daemon:up)
    : "${RUN_DIR:?RUN_DIR is required without systemd}"
    pidfile="$RUN_DIR/apt-cacher-ng.pid"
    cache_dir=${CACHE_DIR:-$RUN_DIR/cache}
    mkdir -p "$RUN_DIR/conf" "$cache_dir" "$RUN_DIR/log"
    changed=0
    if [[ ! -f "$RUN_DIR/conf/acng.conf" ]]; then cp -r /etc/apt-cacher-ng/. "$RUN_DIR/conf/"; changed=1; fi
    put "$RUN_DIR/conf/backends_debian" "$mirror" && changed=1
    put "$RUN_DIR/conf/zz_labstack.conf" "$settings" && changed=1
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      (( changed )) || exit 0
      kill "$(cat "$pidfile")"
      sleep 1
    fi
    args=(-c "$RUN_DIR/conf" ForeGround=0 "Port=$port" "BindAddress=$bind" "CacheDir=$cache_dir"
      "LogDir=$RUN_DIR/log" "PidFile=$pidfile" "SocketPath=$RUN_DIR/socket")
    [[ -n "${UPSTREAM_PROXY:-}" ]] && args+=("Proxy=$UPSTREAM_PROXY" "PipelineDepth=1" "DlMaxRetries=50" "NetworkTimeout=120")
    # Detached, with no stdio: whatever waits for this script's output must not wait for the daemon.
    setsid /usr/sbin/apt-cacher-ng "${args[@]}" </dev/null >/dev/null 2>&1
    wait_listening
    echo "labstack: changed started apt-cacher-ng on $bind:$port"
    ;;
  daemon:down)
    : "${RUN_DIR:?RUN_DIR is required without systemd}"
    pidfile="$RUN_DIR/apt-cacher-ng.pid"
    if [[ -f "$pidfile" ]]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$RUN_DIR"
    rmdir "$(dirname "$RUN_DIR")" 2>/dev/null || true
    ;;
  *) echo "apt-cache.sh: unknown action or mode '$mode:$action'" >&2; exit 2 ;;
esac
