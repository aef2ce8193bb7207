#!/usr/bin/env bash
# apt-cacher-ng on the lab host, the nodes' APT proxy (port 3142, as in the seed). It listens only
# on the lab's own addresses and fetches only from the package archives of the lab's distributions
# (ForceManaged: a request for anything else is refused), so it is never an open proxy to the LAN.
# With systemd, the distribution's service is started from labstack's configuration folder (a
# drop-in of the unit), shared by the labs of the host: each lab leaves its wishes in a file of its
# own there and the service serves their union (a lab's `down` takes only its own addresses and
# archives away); after the last lab the service is left as it was before the first. Without
# systemd (or with ACNG_MODE=daemon) a private instance runs from RUN_DIR with its own pidfile,
# config and cache. `status` says whether it still serves the lab (runs, and listens on the lab's
# address: after a reboot it may run for another lab whose network came back first).
# Several labs' `up`s and `down`s may overlap: each holds a lock on the service's configuration
# folder (/etc/apt-cacher-ng) from reading the labs' wishes to the service's restart, so none loses
# another's address and the last one out leaves the service as the first one found it.
# `stop` and `start` (a lab stopped for the evening, labstack stop/start): the lab's own instance
# ends and starts again from the configuration its last `up` wrote; the host's shared service is
# left running for the other labs (and it starts with the host).
# Usage: apt-cache.sh up|down|status|stop|start
# Environment:
#   LAB             the lab's name (systemd mode: names its file in the shared folder)
#   PORT            3142
#   BIND_ADDRESS    the addresses to listen on, separated by spaces or commas (default 127.0.0.1);
#                   0.0.0.0 or :: only with BIND_ANY=1
#   DISTROS         archives it fetches from, separated by spaces or commas: debian (with
#                   debian-security), ubuntu (with security.ubuntu.com), ubuntu-cloud-archive;
#                   default: all three
#   UPSTREAM_PROXY  optional proxy the cache fetches through (may hold a password: it goes only into
#                   a configuration file readable by the cache alone); default the host's http_proxy
#   DEBIAN_MIRROR   default: the host's own Debian mirror, else deb.debian.org
#   UBUNTU_MIRROR   default: http://archive.ubuntu.com/ubuntu/
#   ACNG_MODE       auto | systemd | daemon
#   RUN_DIR         daemon mode: the instance's folder (made and removed by the lab; ~/ allowed)
#   CACHE_DIR       daemon mode: default RUN_DIR/cache, removed on down unless set elsewhere
#   HOST_ROOT       systemd mode: the host's /etc is under this folder (default /; for tests)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: apt-cache.sh up|down|status|stop|start}
UPSTREAM_PROXY=$(upstream_proxy)
[[ -z "${RUN_DIR:-}" ]] || RUN_DIR=$(expand_home "$RUN_DIR")
port=${PORT:-3142}

# Every value below ends up on a line of a configuration file (acng.conf, the labs' wishes): one
# with a line break or a control character would add a line of its own (BindAddress: 0.0.0.0), so
# it is refused here, at the file, whatever the config's checks let through.
# The value is not printed: the proxy's may hold a password.
one_line() { # NAME VALUE [PATTERN WHAT]
  if [[ "$2" == *[[:cntrl:]]* ]] || { [[ -n "${3:-}" ]] && ! [[ "$2" =~ $3 ]]; }; then
    echo "apt-cache.sh: $1 must be ${4:-one line without control characters}: a line break would add a line of its own to the cache's configuration" >&2
    exit 2
  fi
}
one_line PORT "$port" '^[0-9]{1,5}$' "a port number"
((10#$port >= 1 && 10#$port <= 65535)) || { echo "apt-cache.sh: PORT $port is not a port (1-65535)" >&2; exit 2; }
one_line BIND_ADDRESS "${BIND_ADDRESS:-}" '^[0-9A-Za-z:.,% ]*$' "IP addresses separated by spaces or commas"
# A proxy URL is one token: no spaces (apt-cacher-ng would read only its first word).
one_line UPSTREAM_PROXY "$UPSTREAM_PROXY" '^(http://[^[:space:]]+)?$' "an http:// URL without spaces"
one_line DEBIAN_MIRROR "${DEBIAN_MIRROR:-}" '^[^[:space:]]*$' "a URL without spaces"
one_line UBUNTU_MIRROR "${UBUNTU_MIRROR:-}" '^[^[:space:]]*$' "a URL without spaces"
one_line DISTROS "${DISTROS:-}"
one_line RUN_DIR "${RUN_DIR:-}"
one_line CACHE_DIR "${CACHE_DIR:-}"
IFS=', ' read -ra binds <<< "${BIND_ADDRESS:-}"
((${#binds[@]})) || binds=(127.0.0.1)
for b in "${binds[@]}"; do
  if [[ "$b" == 0.0.0.0 || "$b" == "::" ]] && [[ "${BIND_ANY:-0}" != 1 ]]; then
    echo "apt-cache.sh: BIND_ADDRESS $b would open the cache to every network of the host; set BIND_ANY=1 to mean it" >&2
    exit 2
  fi
done
IFS=', ' read -ra distros <<< "${DISTROS:-}"
((${#distros[@]})) || distros=(debian ubuntu ubuntu-cloud-archive)
mode=${ACNG_MODE:-auto}
if [[ "$mode" == auto ]]; then
  if [[ -d /run/systemd/system ]]; then mode=systemd; else mode=daemon; fi
fi
# The distribution's service is configured in /etc: as a user, run again through password-less sudo.
if [[ "$mode" == systemd ]]; then as_root "$@"; fi
mirror=${DEBIAN_MIRROR:-$(default_mirror debian)}

# Configuration files are the cache's alone (one may hold the proxy's password).
put_private() { put "$1" "$2" 0600; }

listening() { (exec 3<>"/dev/tcp/${1}/$port") 2>/dev/null; }

# This lab's own first address: in systemd mode binds becomes the union of the host's labs.
listen_at=${binds[0]}
[[ "$listen_at" == 0.0.0.0 ]] && listen_at=127.0.0.1
[[ "$listen_at" == "::" ]] && listen_at=::1
wait_listening() {
  for _ in $(seq 100); do listening "$listen_at" && return 0; sleep 0.1; done
  echo "apt-cacher-ng did not start listening on $listen_at:$port" >&2
  return 1
}

# The remapping rules of the archives asked for; with ForceManaged nothing else is fetched. The
# mirror lists (deb_mirrors.gz, ubuntu_mirrors) come with apt-cacher-ng, in its SupportDir.
remaps() {
  local d
  for d in "${distros[@]}"; do
    case "$d" in
      debian)
        echo "Remap-debrep: file:deb_mirror*.gz /debian ; file:backends_debian"
        echo "Remap-secdeb: security.debian.org security.debian.org/debian-security deb.debian.org/debian-security /debian-security cdn-fastly.deb.debian.org/debian-security ; deb.debian.org/debian-security security.debian.org cdn-fastly.deb.debian.org/debian-security" ;;
      ubuntu)
        echo "Remap-uburep: file:ubuntu_mirrors /ubuntu ; file:backends_ubuntu"
        echo "Remap-ubusec: security.ubuntu.com/ubuntu /ubuntu-security ; security.ubuntu.com/ubuntu" ;;
      ubuntu-cloud-archive)
        echo "Remap-uca: ubuntu-cloud.archive.canonical.com/ubuntu /ubuntu-cloud ; ubuntu-cloud.archive.canonical.com/ubuntu" ;;
      *) echo "apt-cache.sh: unknown distribution '$d' in DISTROS (known: debian ubuntu ubuntu-cloud-archive)" >&2; return 2 ;;
    esac
  done
}

# The whole configuration of the lab's instance: the distribution's acng.conf is not read, so no
# other archive's rules apply. Through an upstream proxy that is itself fetching cold files, bursts
# of requests fail with "503 Connection closed" when the proxy drops kept-alive connections: one
# request at a time, and many more retries and patience before giving up.
settings() { # CACHE_DIR LOG_DIR
  cat <<CONF
CacheDir: $1
LogDir: $2
SupportDir: /usr/lib/apt-cacher-ng
Port: $port
BindAddress: ${binds[*]}
ForceManaged: 1
ExThreshold: 4
$(remaps)${UPSTREAM_PROXY:+
Proxy: $UPSTREAM_PROXY
PipelineDepth: 1
DlMaxRetries: 50
NetworkTimeout: 120}
CONF
}
remaps >/dev/null

# The mirrors the remapped archives are fetched from, in config folder $1; true if one changed.
backends() {
  local changed=1
  put_private "$1/backends_debian" "$mirror" && changed=0
  put_private "$1/backends_ubuntu" "${UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu/}" && changed=0
  return "$changed"
}

etc=${HOST_ROOT:-}/etc
systemd_conf=$etc/apt-cacher-ng/labstack
dropin=$etc/systemd/system/apt-cacher-ng.service.d/labstack.conf
# zz_labstack.conf: what labs made before the cache had a configuration folder of its own.
legacy_conf=$etc/apt-cacher-ng/zz_labstack.conf
labs_dir=$systemd_conf/labs
before=$systemd_conf/service-before
lab=${LAB:-default}
[[ "$lab" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "apt-cache.sh: LAB '$lab' must be a stack name (letters, digits, . _ -)" >&2; exit 2; }

# What this lab asks of the shared service, one setting a line.
wishes() {
  printf 'port %s\nbind %s\ndistros %s\nproxy %s\n' "$port" "${binds[*]}" "${distros[*]}" "${UPSTREAM_PROXY:-}"
}

# The union of every lab's wishes, into port, binds, distros and UPSTREAM_PROXY. One service has
# one port and one upstream proxy: labs that disagree on those cannot share it.
compose() {
  local file name key value value_list all_binds=() all_distros=() port_of="" proxy_of=""
  for file in "$labs_dir"/*; do
    [[ -f "$file" ]] || continue
    name=$(basename "$file")
    while read -r key value; do
      case "$key" in
        port)
          if [[ -n "$port_of" && "$value" != "$port" ]]; then
            echo "apt-cache.sh: labs $port_of and $name ask for the APT cache on ports $port and $value; the host's one apt-cacher-ng service listens on one: give them the same aptCache.port" >&2
            return 1
          fi
          port=$value port_of=$name ;;
        bind) read -ra value_list <<< "$value"; all_binds+=("${value_list[@]}") ;;
        distros) read -ra value_list <<< "$value"; all_distros+=("${value_list[@]}") ;;
        proxy)
          [[ -n "$value" ]] || continue
          if [[ -n "$proxy_of" && "$value" != "$UPSTREAM_PROXY" ]]; then
            echo "apt-cache.sh: labs $proxy_of and $name name different aptCache.upstreamProxy; the host's one apt-cacher-ng service fetches through one" >&2
            return 1
          fi
          UPSTREAM_PROXY=$value proxy_of=$name ;;
      esac
    done < "$file"
  done
  [[ -n "$proxy_of" ]] || UPSTREAM_PROXY=""
  mapfile -t binds < <(printf '%s\n' "${all_binds[@]}" | sort -u)
  mapfile -t distros < <(printf '%s\n' "${all_distros[@]}" | sort -u)
}

# Holds the lock on the service's configuration until the script ends. The folder itself is
# locked: it is there as long as apt-cacher-ng is installed, and no lock file outlives the last lab.
lock_shared() {
  exec 9<"$etc/apt-cacher-ng"
  flock 9
}
# The lock's descriptor stays with this script: a service started through a systemctl that runs it
# as a child (a host or container without a service manager) would hold the lock for its lifetime
# and every other lab would wait on it.
systemctl() { command systemctl "$@" 9>&-; }

# Configures and (re)starts the service for the labs' union; restarts only when something changed
# or, with `serve` (a lab joining), when the service does not run or does not listen on this lab's
# address: after a reboot the service may have started before the lab's network was back, and a
# lab whose wishes were already there changes nothing.
apply() {
  local changed=0
  put_private "$systemd_conf/acng.conf" "$(settings /var/cache/apt-cacher-ng /var/log/apt-cacher-ng)" && changed=1
  # The service's user reads its configuration; nobody else may (it can hold the proxy's password).
  chown apt-cacher-ng "$systemd_conf/acng.conf"
  backends "$systemd_conf" && changed=1
  chown apt-cacher-ng "$systemd_conf"/backends_*
  mkdir -p "$(dirname "$dropin")"
  put_private "$dropin" "[Service]
ExecStart=
ExecStart=/usr/sbin/apt-cacher-ng -c $systemd_conf ForeGround=1" && changed=1
  if (( changed )) || ! systemctl is-active --quiet apt-cacher-ng || { [[ "${1:-}" == serve ]] && ! listening "$listen_at"; }; then
    systemctl daemon-reload
    systemctl enable --quiet apt-cacher-ng
    systemctl restart apt-cacher-ng
  fi
}

# After a lab left: the others' union, or, after the last, the service as it was before the first.
retire() {
  local state
  if compgen -G "$labs_dir/*" >/dev/null; then
    compose && apply
    return
  fi
  # Labs made before there was a record of the service ran it enabled, with its default config.
  state=$(cat "$before" 2>/dev/null || echo "enabled active")
  rm -f "$dropin" "$legacy_conf"
  remove_own_dir "$systemd_conf"
  systemctl daemon-reload
  if [[ "$state" == *" active" ]]; then systemctl restart apt-cacher-ng || true; else systemctl stop apt-cacher-ng || true; fi
  if [[ "$state" == disabled* ]]; then systemctl disable --quiet apt-cacher-ng || true; fi
}

if [[ "$mode" == daemon ]]; then
  : "${RUN_DIR:?RUN_DIR is required without systemd}"
  pidfile="$RUN_DIR/apt-cacher-ng.pid"
  # The pidfile's path on the command line is how a pidfile's PID is known as ours.
  marker="PidFile=$pidfile"
fi
# The lab's own instance from the configuration in RUN_DIR/conf, detached with no stdio: whatever
# waits for this script's output must not wait for the daemon.
# An address of this host's own (a lab's bridge's is gone after a reboot, until the engine makes
# the bridge again: apt-cacher-ng cannot bind it, and waiting to see it listen only takes time).
on_this_host() { ip route get "$1" 2>/dev/null | grep -q '^local '; }

start_instance() {
  if ! on_this_host "$listen_at"; then
    echo "the APT cache's address $listen_at is on no interface of this host (its bridge is gone: did the host reboot?)" >&2
    return 1
  fi
  "${CLEAN_ENV[@]}" setsid /usr/sbin/apt-cacher-ng -c "$RUN_DIR/conf" ForeGround=0 "$marker" "SocketPath=$RUN_DIR/socket" </dev/null >/dev/null 2>&1
  if ! wait_listening; then
    stop_daemon "$pidfile" "$marker"
    return 1
  fi
  echo "labstack: changed started apt-cacher-ng on ${binds[*]} port $port"
}

case "$mode:$action" in
  systemd:up)
    command -v apt-cacher-ng >/dev/null || [[ -x /usr/sbin/apt-cacher-ng ]] || { echo "apt-cacher-ng is not installed; run host preparation" >&2; exit 1; }
    # From the state before the first lab to the restart, one lab at a time.
    lock_shared
    if [[ ! -d "$systemd_conf" ]]; then
      own_dir "$systemd_conf"
      enabled=disabled active=inactive
      systemctl is-enabled --quiet apt-cacher-ng && enabled=enabled
      systemctl is-active --quiet apt-cacher-ng && active=active
      put_private "$before" "$enabled $active" >/dev/null || true
    fi
    [[ -d "$labs_dir" ]] || mkdir -m 0700 "$labs_dir"
    joined=0
    [[ -f "$labs_dir/$lab" ]] || joined=1
    put_private "$labs_dir/$lab" "$(wishes)" >/dev/null || true
    # A lab that cannot join leaves the others' service as it was: Pulumi records nothing to destroy.
    if ! { compose && apply serve && wait_listening; }; then
      if (( joined )); then rm -f "$labs_dir/$lab"; retire; fi
      exit 1
    fi
    ;;
  systemd:down)
    # (Without the package's folder there is no service left to share.)
    if [[ -d "$etc/apt-cacher-ng" ]]; then lock_shared; fi
    rm -f "$labs_dir/$lab"
    if [[ -d "$systemd_conf" ]] || [[ -f "$dropin" ]] || [[ -f "$legacy_conf" ]]; then retire; fi
    ;;
  daemon:up)
    cache_dir=${CACHE_DIR:-$RUN_DIR/cache}
    fresh=0
    [[ -d "$RUN_DIR" ]] || fresh=1
    own_dir "$RUN_DIR" 0700
    mkdir -p "$RUN_DIR/conf" "$cache_dir" "$RUN_DIR/log"
    changed=0
    backends "$RUN_DIR/conf" && changed=1
    put_private "$RUN_DIR/conf/acng.conf" "$(settings "$cache_dir" "$RUN_DIR/log")" && changed=1
    if daemon_pid "$pidfile" "$marker" >/dev/null; then
      (( changed )) || exit 0
      stop_daemon "$pidfile" "$marker"
    fi
    if ! start_instance; then
      (( fresh )) && remove_own_dir "$RUN_DIR"
      exit 1
    fi
    ;;
  daemon:stop)
    if daemon_pid "$pidfile" "$marker" >/dev/null; then
      stop_daemon "$pidfile" "$marker"
      echo "labstack: changed stopped apt-cacher-ng of lab $lab"
    fi
    ;;
  daemon:start)
    [[ -f "$RUN_DIR/conf/acng.conf" ]] || drifted "the lab's APT cache has no configuration in $RUN_DIR: pulumi up makes it"
    daemon_pid "$pidfile" "$marker" >/dev/null || start_instance
    ;;
  systemd:stop | systemd:start) ;;
  daemon:down)
    stop_daemon "$pidfile" "$marker"
    remove_own_dir "$RUN_DIR"
    rmdir "$(dirname "$RUN_DIR")" 2>/dev/null || true
    ;;
  systemd:status)
    [[ -f "$labs_dir/$lab" ]] || drifted "the APT cache has forgotten lab $lab ($labs_dir/$lab is gone)"
    systemctl is-active --quiet apt-cacher-ng || drifted "the APT cache's service apt-cacher-ng is not running"
    listening "$listen_at" || drifted "the APT cache's service apt-cacher-ng does not listen on $listen_at:$port"
    ;;
  daemon:status)
    daemon_pid "$pidfile" "$marker" >/dev/null || drifted "the lab's APT cache (apt-cacher-ng) is not running"
    ;;
  *) echo "apt-cache.sh: unknown action or mode '$mode:$action'" >&2; exit 2 ;;
esac
