#!/usr/bin/env bash
# VirtualBox's host setup: the lab's host-only ranges in /etc/vbox/networks.conf. Once the file
# exists, VirtualBox allows exactly the ranges it lists, its default 192.168.56.0/21 included only
# if listed (manual, "Host-Only Networking"). Each lab adds one line of its own under a
# "# <OWNER>" comment and leaves every other line alone; a file VirtualBox did not have before also
# gets the default range, so the learner's own vboxnet0 keeps working. What was there before the
# first lab came is kept beside the file (networks.conf.labstack-orig, or networks.conf.labstack-none
# when there was no file), not in a lab's state folder: the file is the host's, shared by every lab
# on it, and is restored exactly when the last lab's line goes.
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
# /etc is root's: as a user, through password-less sudo (the preflight checked it is there).
sudo=(); ((EUID == 0)) || sudo=(sudo -n)

# The file without this lab's line (the marker and the line after it).
others() { awk -v m="$marker" '$0 == m { skip = 2 } skip { skip--; next } { print }' "$conf"; }
# Writes these lines as the file.
write() { printf '%s' "${1:+$1$'\n'}" | "${sudo[@]}" tee "$conf" >/dev/null; }

if [[ "$action" == down ]]; then
  # Only this lab's line goes.
  if [[ -f "$conf" ]] && grep -qxF "$marker" "$conf"; then
    rest=$(others)
    if [[ -f "$orig" ]] && ! grep -q '^# labstack ' <<< "$rest"; then
      "${sudo[@]}" cp -p "$orig" "$conf"
      "${sudo[@]}" rm -f "$orig"
    elif [[ -f "$none" ]] && ! grep -q '^# labstack ' <<< "$rest"; then
      "${sudo[@]}" rm -f "$conf" "$none"
    else
      # Other labs' lines (or the learner's, when the record of before is gone) stay.
      write "$rest"
    fi
    echo "labstack: changed removed the lab's ranges from $conf"
  fi
  exit 0
fi

: "${VBOX_NETWORKS:?}"
if [[ ! -f "$orig" && ! -f "$none" ]]; then
  # Before the first lab's line: remember what the host had. A file made by labstack before
  # lines were per lab ("# labstack" alone on its first line) counts as none.
  if [[ -f "$conf" ]] && [[ "$(head -n1 "$conf")" != "# labstack" ]]; then
    "${sudo[@]}" cp -p "$conf" "$orig"
  else
    "${sudo[@]}" mkdir -p "$(dirname "$conf")"
    "${sudo[@]}" touch "$none"
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
