#!/usr/bin/env bash
# Host preparation shared by every lab: the hypervisor's tools, apt-cacher-ng, and for VirtualBox
# the host-only ranges in /etc/vbox/networks.conf. Installs only what is missing.
# Usage: prepare.sh up|down
# Environment: HYPERVISOR (qemu|virtualbox), APT_CACHE (1 to install apt-cacher-ng),
#              VBOX_NETWORKS (space-separated CIDRs to allow; empty leaves networks.conf alone),
#              VBOX_NETWORKS_CONF (default /etc/vbox/networks.conf, where VirtualBox reads them)
set -euo pipefail

action=${1:?usage: prepare.sh up|down}
conf=${VBOX_NETWORKS_CONF:-/etc/vbox/networks.conf}
marker="# labstack"
sudo=(); ((EUID == 0)) || sudo=(sudo)

if [[ "$action" == down ]]; then
  # Only the networks.conf we wrote goes; installed packages stay, as with any tool.
  if [[ -f "$conf" ]] && head -n1 "$conf" | grep -qx "$marker"; then "${sudo[@]}" rm -f "$conf"; fi
  exit 0
fi

need=()
case "${HYPERVISOR:?}" in
  qemu)
    command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
    command -v qemu-img >/dev/null || need+=(qemu-utils)
    command -v cloud-localds >/dev/null || need+=(cloud-image-utils) ;;
  virtualbox)
    command -v VBoxManage >/dev/null || { echo "VirtualBox is not installed on the lab host (VBoxManage not found); install it from your distribution or virtualbox.org" >&2; exit 1; }
    command -v qemu-img >/dev/null || need+=(qemu-utils)
    command -v cloud-localds >/dev/null || need+=(cloud-image-utils) ;;
  *) echo "prepare.sh: unknown hypervisor '$HYPERVISOR'" >&2; exit 2 ;;
esac
if [[ "${APT_CACHE:-0}" == 1 ]] && [[ ! -x /usr/sbin/apt-cacher-ng ]]; then need+=(apt-cacher-ng); fi
# The labs' host-side checks ping nodes from the host.
command -v ping >/dev/null || need+=(iputils-ping)
if ((${#need[@]})); then
  "${sudo[@]}" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${need[@]}" >/dev/null
  echo "labstack: changed installed ${need[*]}"
fi

if [[ -n "${VBOX_NETWORKS:-}" ]]; then
  wanted="$marker
* ${VBOX_NETWORKS}"
  if [[ "$(cat "$conf" 2>/dev/null || true)" != "$wanted" ]]; then
    if [[ -f "$conf" ]] && ! head -n1 "$conf" | grep -qx "$marker"; then
      echo "$conf exists and is not ours; add these ranges to it yourself: $VBOX_NETWORKS" >&2
      exit 1
    fi
    "${sudo[@]}" mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$wanted" | "${sudo[@]}" tee "$conf" >/dev/null
    echo "labstack: changed $conf"
  fi
fi
