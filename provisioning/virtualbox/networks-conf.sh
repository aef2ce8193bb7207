#!/usr/bin/env bash
# VirtualBox's host setup: the lab's host-only ranges in /etc/vbox/networks.conf. Once the file
# exists, VirtualBox allows exactly the ranges it lists, its default 192.168.56.0/21 included only
# if listed (manual, "Host-Only Networking"). Each lab adds one line of its own under a
# "# <OWNER>" comment and leaves every other line alone; a file VirtualBox did not have before also
# gets the default range, so the learner's own vboxnet0 keeps working. What was there before the
# first lab came is kept beside the file (networks.conf.labstack-orig, or networks.conf.labstack-none
# when there was no file), not in a lab's state folder: the file is the host's, shared by every lab
# on it, and is restored exactly when the last lab's line goes.
# Several labs may come and go at the same moment: each holds a lock on the file's folder while it
# reads and rewrites the file, so none loses another's line. The file is replaced whole (a full
# disk leaves it as it was), with the mode it had.
# Usage: networks-conf.sh up|down
# Environment: VBOX_NETWORKS (space-separated CIDRs to allow), OWNER (e.g. "labstack dev": marks
#              the lab's line), VBOX_NETWORKS_CONF (default /etc/vbox/networks.conf, where
#              VirtualBox reads them)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: networks-conf.sh up|down}
conf=${VBOX_NETWORKS_CONF:-/etc/vbox/networks.conf}
orig="$conf.labstack-orig"
none="$conf.labstack-none"
: "${OWNER:?}"
marker="# $OWNER"
VBOX_DEFAULT_RANGE=192.168.56.0/21
# The lab's line is one line: a line break in a value would add lines of its own to the file.
for value in "$OWNER" "${VBOX_NETWORKS:-}"; do
  [[ "$value" != *[[:cntrl:]]* ]] || { echo "networks-conf.sh: OWNER and VBOX_NETWORKS must be one line each" >&2; exit 2; }
done
[[ "${VBOX_NETWORKS:-}" =~ ^[0-9./\ ]*$ ]] || { echo "networks-conf.sh: VBOX_NETWORKS must be CIDRs separated by spaces (got '$VBOX_NETWORKS')" >&2; exit 2; }
# /etc is root's: as a user, run again through password-less sudo (the preflight checked it is there).
as_root "$@"

# The file without this lab's line (the marker and the line after it).
others() { awk -v m="$marker" '$0 == m { skip = 2 } skip { skip--; next } { print }' "$conf"; }
# Writes these lines as the file, whole, keeping its mode (VirtualBox reads it as the user: 0644
# for a new one).
write() {
  local mode=0644
  [[ -f "$conf" ]] && mode=$(stat -c %a "$conf")
  put "$conf" "$1" "$mode" >/dev/null || true
}
# Puts the host's own file back as it was (mode included), whole.
restore() {
  local tmp
  tmp=$(mktemp "$conf.XXXXXX")
  if ! { cp -p "$orig" "$tmp" && sync -d "$tmp" && mv -f "$tmp" "$conf"; }; then
    rm -f "$tmp"
    echo "could not restore $conf from $orig (disk full?): left as it was" >&2
    exit 1
  fi
  rm -f "$orig"
}

if [[ "$action" == down ]]; then
  [[ -d "$(dirname "$conf")" ]] || exit 0
  exec 9<"$(dirname "$conf")"
  flock 9
  # Only this lab's line goes.
  if [[ -f "$conf" ]] && grep -qxF "$marker" "$conf"; then
    rest=$(others)
    if [[ -f "$orig" ]] && ! grep -q '^# labstack ' <<< "$rest"; then
      restore
    elif [[ -f "$none" ]] && ! grep -q '^# labstack ' <<< "$rest"; then
      rm -f "$conf" "$none"
    else
      # Other labs' lines (or the learner's, when the record of before is gone) stay.
      write "$rest"
    fi
    echo "labstack: changed removed the lab's ranges from $conf"
  fi
  exit 0
fi

: "${VBOX_NETWORKS:?}"
mkdir -p "$(dirname "$conf")"
# The folder is locked, not a file in it: nothing is left behind when the last lab goes.
exec 9<"$(dirname "$conf")"
flock 9
if [[ ! -f "$orig" && ! -f "$none" ]]; then
  # Before the first lab's line: remember what the host had. A file made by labstack before
  # lines were per lab ("# labstack" alone on its first line) counts as none.
  if [[ -f "$conf" ]] && [[ "$(head -n1 "$conf")" != "# labstack" ]]; then
    cp -p "$conf" "$orig"
  else
    touch "$none"
  fi
fi
ranges=$VBOX_NETWORKS
if [[ -f "$none" ]]; then ranges="$ranges $VBOX_DEFAULT_RANGE"; fi
rest=""
if [[ -f "$conf" ]]; then rest=$(others); fi
wanted="${rest:+$rest$'\n'}$marker"$'\n'"* $ranges"
if ! printf '%s\n' "$wanted" | cmp -s - "$conf"; then
  write "$wanted"
  echo "labstack: changed $conf allows $ranges"
fi
