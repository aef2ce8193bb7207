#!/usr/bin/env bash
# A VirtualBox host-only network configured the way the seed's createVBoxNetworks.sh does it
# (host address set, DHCP server removed), but only the one interface this lab owns: others are
# left alone. Prints the interface name (VirtualBox picks vboxnetN unless DEVICE exists already).
# Usage: network.sh up|down    Environment: DEVICE (optional), HOST_ADDRESS, NETMASK
set -euo pipefail

action=${1:?usage: network.sh up|down}

exists() { VBoxManage list hostonlyifs | awk '/^Name:/ { print $2 }' | grep -qx "$1"; }

case "$action" in
  up)
    : "${HOST_ADDRESS:?}" "${NETMASK:?}"
    device=${DEVICE:-}
    if [[ -z "$device" ]] || ! exists "$device"; then
      created=$(VBoxManage hostonlyif create 2>&1 | sed -n "s/^Interface '\(.*\)' was successfully created$/\1/p")
      [[ -n "$created" ]] || { echo "VBoxManage hostonlyif create did not report an interface" >&2; exit 1; }
      if [[ -n "$device" && "$created" != "$device" ]]; then
        VBoxManage hostonlyif remove "$created"
        echo "VirtualBox named the new interface $created, not $device; leave networks[].device unset or free $device" >&2
        exit 1
      fi
      device=$created
      echo "labstack: changed created $device" >&2
    fi
    # Since VirtualBox 6.1.28 this fails with E_ACCESSDENIED for ranges /etc/vbox/networks.conf does not allow.
    VBoxManage hostonlyif ipconfig "$device" --ip "$HOST_ADDRESS" --netmask "$NETMASK"
    VBoxManage dhcpserver remove --interface="$device" >/dev/null 2>&1 || true
    echo "$device"
    ;;
  down)
    : "${DEVICE:?}"
    if exists "$DEVICE"; then VBoxManage hostonlyif remove "$DEVICE"; fi
    ;;
  *) echo "network.sh: unknown action '$action'" >&2; exit 2 ;;
esac
