#!/usr/bin/env bash
# Host preparation shared by every lab: the hypervisor's tools (the hypervisor's folder in
# components/hypervisor/ says which) and the image builder's when the lab builds its image,
# apt-cacher-ng, and for VirtualBox the host-only ranges in
# /etc/vbox/networks.conf. Installs only what is missing.
#
# networks.conf: once the file exists, VirtualBox allows exactly the ranges it lists, its default
# 192.168.56.0/21 included only if listed (manual, "Host-Only Networking"). Each lab adds one line
# of its own under a "# <OWNER>" comment and leaves every other line alone; a file VirtualBox did
# not have before also gets the default range, so the learner's own vboxnet0 keeps working. What
# was there before the first lab came is kept beside the file (networks.conf.labstack-orig, or
# networks.conf.labstack-none when there was no file), not in a lab's state folder: the file is
# the host's, shared by every lab on it, and is restored exactly when the last lab's line goes.
# Usage: prepare.sh up|down
# Environment: PACKAGES (records command= package=: the hypervisor's tools, installed when the
#              command is missing), REQUIRED (records command= missing=: tools no package
#              brings, and what to do), APT_CACHE (1 to install apt-cacher-ng),
#              VBOX_NETWORKS (space-separated CIDRs to allow; empty leaves networks.conf alone),
#              OWNER (e.g. "labstack dev": marks the lab's line in networks.conf),
#              VBOX_NETWORKS_CONF (default /etc/vbox/networks.conf, where VirtualBox reads them)
set -euo pipefail

action=${1:?usage: prepare.sh up|down}
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
  # Only this lab's line goes; installed packages stay, as with any tool.
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

# shellcheck source=../lib/records.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/records.sh"
# A user's PATH may lack the sbin folders where some tools live (sfdisk, mkfs.fat).
PATH=$PATH:/usr/sbin:/sbin
need=()
while read -r line; do
  record "$line"
  command -v "${field[command]}" >/dev/null || { echo "${field[missing]}" >&2; exit 1; }
done < <(records "${REQUIRED:-}")
while read -r line; do
  record "$line"
  command -v "${field[command]}" >/dev/null || need+=("${field[package]}")
done < <(records "${PACKAGES:-}")
if [[ "${APT_CACHE:-0}" == 1 ]] && [[ ! -x /usr/sbin/apt-cacher-ng ]]; then need+=(apt-cacher-ng); fi
# The labs' host-side checks ping nodes from the host.
command -v ping >/dev/null || need+=(iputils-ping)
if ((${#need[@]})); then
  "${sudo[@]}" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${need[@]}" >/dev/null
  echo "labstack: changed installed ${need[*]}"
  # Debian starts and enables the service it installs, with its default configuration: listening on
  # every address of the host. The lab's cache step configures and starts it; until then, and after
  # the last lab, it stays off (apt-cache.sh gives it back as it found it: off).
  if [[ " ${need[*]} " == *" apt-cacher-ng "* && -d /run/systemd/system ]]; then
    "${sudo[@]}" systemctl disable --now --quiet apt-cacher-ng
  fi
fi

if [[ -n "${VBOX_NETWORKS:-}" ]]; then
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
fi
