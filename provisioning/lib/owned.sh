# shellcheck shell=bash
# What the lab owns on its host, and only that: folders it made (they carry a marker file), and
# daemons it started (their pidfile is trusted only while the PID's command line still carries the
# daemon's own marker: a stale pidfile's PID may belong to any other process by now).
# Sourced through common.sh.

LAB_MARKER=.labstack-owned

# Makes the folders missing above folder $1, 0700: a lab's state folder holds its disks, seeds and
# keys, which no other local user may read. A script that runs as root for the lab's user (sudo)
# makes them that user's, as the lab's own steps would have: the user's steps and `labstack` read
# and write there too. Folders that exist are left as they are. Two labs may make the same folder
# at the same moment: one that appeared meanwhile is fine.
make_parents() {
  local parent missing=() d
  parent=$(dirname "$1")
  while [[ ! -d "$parent" ]]; do
    missing=("$parent" "${missing[@]}")
    parent=$(dirname "$parent")
  done
  for d in "${missing[@]}"; do
    mkdir -m 0700 "$d" 2>/dev/null || [[ -d "$d" ]] || { echo "could not make folder $d" >&2; return 1; }
    if ((EUID == 0)) && [[ "${SUDO_UID:-0}" =~ ^[1-9][0-9]*$ ]]; then chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$d"; fi
  done
}

# Makes folder $1 for the lab, mode $2 (default 0755; a state folder passes 0700), marked as the
# lab's. An existing folder is used as it is (never chmod-ed), and only if it is the lab's or empty,
# and the running user's (a folder in /tmp may have been made by anyone).
own_dir() {
  if [[ -d "$1" ]]; then
    [[ -O "$1" ]] || { echo "$1 exists and belongs to another user: refusing to use it" >&2; return 1; }
    [[ -f "$1/$LAB_MARKER" ]] && return 0
    if [[ -n "$(ls -A "$1")" ]]; then
      echo "$1 exists, is not empty and was not made by labstack: refusing to use it (choose another folder)" >&2
      return 1
    fi
  else
    make_parents "$1"
    mkdir -m "${2:-0755}" "$1"
  fi
  : > "$1/$LAB_MARKER"
}

# Whether folder $1 carries the lab's marker (own_dir made it).
owns_dir() { [[ -f "$1/$LAB_MARKER" ]]; }

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

# qemu_runas ARRAY: appends to the named QEMU argv the option that drops QEMU, started as root,
# to RUNAS (default nobody; `-` keeps root) once it has opened its files: a guest that breaks out
# of the emulator is then nobody, not root.
qemu_runas() {
  local -n qemu_argv=$1
  local user=${RUNAS:-nobody}
  if ((EUID == 0)) && [[ "$user" != - ]] && id -u "$user" >/dev/null 2>&1; then qemu_argv+=(-runas "$user"); fi
}

# Command prefix giving a daemon only what it needs in its environment: the secrets and tokens in
# the environment of `pulumi up` stay behind. A prefix, not a function: `"${CLEAN_ENV[@]}" cmd &`
# execs in place, so $! is the daemon's own PID.
# shellcheck disable=SC2034 # used by the scripts that source this file
CLEAN_ENV=(env -i "PATH=$PATH" "HOME=${HOME:-/}" LANG=C)
