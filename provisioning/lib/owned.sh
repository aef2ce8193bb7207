# shellcheck shell=bash
# What the lab owns on its host, and only that: folders it made (they carry a marker file), and
# daemons it started (their pidfile is trusted only while the PID's command line still carries the
# daemon's own marker: a stale pidfile's PID may belong to any other process by now).
# Sourced through common.sh.

LAB_MARKER=.labstack-owned

# Makes folder $1 for the lab, mode $2 (default 0755), marked as the lab's. An existing folder is
# used as it is (never chmod-ed), and only if it is the lab's or empty, and the running user's (a
# folder in /tmp may have been made by anyone).
own_dir() {
  if [[ -d "$1" ]]; then
    [[ -O "$1" ]] || { echo "$1 exists and belongs to another user: refusing to use it" >&2; return 1; }
    [[ -f "$1/$LAB_MARKER" ]] && return 0
    if [[ -n "$(ls -A "$1")" ]]; then
      echo "$1 exists, is not empty and was not made by labstack: refusing to use it (choose another folder)" >&2
      return 1
    fi
  else
    mkdir -p "$(dirname "$1")"
    mkdir -m "${2:-0755}" "$1"
  fi
  : > "$1/$LAB_MARKER"
}

# Removes folder $1 and everything in it, only if the lab made it.
remove_own_dir() {
  if [[ -f "$1/$LAB_MARKER" ]]; then rm -rf -- "$1"; fi
}

# Prints the PID in pidfile $1 if that process is alive and its command line contains $2.
daemon_pid() {
  local pid
  [[ -f "$1" ]] || return 1
  pid=$(<"$1")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
  echo "$pid"
}

# Stops the daemon of pidfile $1 (marker $2), if it is still ours; SIGKILL after 5 s.
stop_daemon() {
  local pid
  pid=$(daemon_pid "$1" "$2") || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

# Command prefix giving a daemon only what it needs in its environment: the secrets and tokens in
# the environment of `pulumi up` stay behind. A prefix, not a function: `"${CLEAN_ENV[@]}" cmd &`
# execs in place, so $! is the daemon's own PID.
# shellcheck disable=SC2034 # used by the scripts that source this file
CLEAN_ENV=(env -i "PATH=$PATH" "HOME=${HOME:-/}" LANG=C)
