#!/usr/bin/env bash
# A VirtualBox host-only network configured the way the seed's createVBoxNetworks.sh does it
# (host address set, DHCP server removed), but only the one interface this lab owns: others are
# left alone. VirtualBox names a new interface itself (vboxnetN), so the one the lab creates is
# recorded in STATE_FILE: a re-run finds it again, and `down` removes it and nothing else. An
# interface that already existed under DEVICE is configured but never removed.
# Prints the interface name. `status` says whether it is still there with the lab's address.
# Usage: network.sh up|down|status
# Environment: HOST_ADDRESS, NETMASK, STATE_FILE, DEVICE (optional: use or create this vboxnetN)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
# VBoxManage translates the labels parsed here (Name:, IPAddress:, "was successfully created")
# into the user's language: read them in English.
export LC_ALL=C

action=${1:?usage: network.sh up|down|status}
: "${STATE_FILE:?}"
STATE_FILE=$(expand_home "$STATE_FILE")

exists() { VBoxManage list hostonlyifs | awk '/^Name:/ { print $2 }' | grep -qx "$1"; }
recorded() { if [[ -s "$STATE_FILE" ]]; then cat "$STATE_FILE"; fi; }
# "address/netmask" of one interface in `VBoxManage list hostonlyifs` (IPAddress comes first).
address() {
  VBoxManage list hostonlyifs | awk -v dev="$1" '
    $1 == "Name:" { here = ($2 == dev) }
    here && $1 == "IPAddress:" { ip = $2 }
    here && $1 == "NetworkMask:" { print ip "/" $2 }'
}

# A failed `up` is not in Pulumi's state, so `destroy` would never remove what it created: undo it here.
fail() {
  echo "$1" >&2
  if ((fresh)); then VBoxManage hostonlyif remove "$device" >/dev/null 2>&1 || true; rm -f "$STATE_FILE"; fi
  exit 1
}

case "$action" in
  up)
    : "${HOST_ADDRESS:?}" "${NETMASK:?}"
    device=${DEVICE:-$(recorded)}
    fresh=0
    if [[ -z "$device" ]] || ! exists "$device"; then
      if ! report=$(VBoxManage hostonlyif create 2>&1); then
        printf '%s\n' "$report" >&2
        echo "VirtualBox could not create a host-only interface: is its kernel module loaded? (ls /dev/vboxnetctl; sudo modprobe vboxnetadp; under Secure Boot, sign VirtualBox's modules or reinstall the virtualbox-dkms package)" >&2
        exit 1
      fi
      created=$(sed -n "s/^Interface '\(.*\)' was successfully created$/\1/p" <<< "$report")
      [[ -n "$created" ]] || { printf '%s\n' "$report" >&2; echo "VBoxManage hostonlyif create did not report an interface" >&2; exit 1; }
      if [[ -n "${DEVICE:-}" && "$created" != "$DEVICE" ]]; then
        VBoxManage hostonlyif remove "$created"
        echo "VirtualBox named the new interface $created, not $DEVICE; leave networks[].device unset or free $DEVICE" >&2
        exit 1
      fi
      device=$created
      fresh=1
      # In the lab's state folder, which only its user may enter.
      make_parents "$STATE_FILE"
      put "$STATE_FILE" "$device" 0600 >/dev/null || true
      echo "labstack: changed created $device" >&2
    fi
    if [[ "$(address "$device")" != "$HOST_ADDRESS/$NETMASK" ]]; then
      VBoxManage hostonlyif ipconfig "$device" --ip "$HOST_ADDRESS" --netmask "$NETMASK" \
        || fail "VirtualBox refused $HOST_ADDRESS/$NETMASK on $device: since 6.1.28 it only allows the host-only ranges in /etc/vbox/networks.conf (default 192.168.56.0/21); set hypervisor.networksConf: true to let the lab open its ranges"
      echo "labstack: changed $device address $HOST_ADDRESS/$NETMASK" >&2
    fi
    if VBoxManage list dhcpservers | grep -qE "^NetworkName: +HostInterfaceNetworking-$device\$"; then
      VBoxManage dhcpserver remove --interface="$device" || fail "could not remove the DHCP server of $device"
      echo "labstack: changed removed the DHCP server of $device" >&2
    fi
    echo "$device"
    ;;
  down)
    device=$(recorded)
    if [[ -n "$device" ]] && exists "$device"; then
      VBoxManage hostonlyif remove "$device"
      echo "labstack: changed removed $device" >&2
    fi
    rm -f "$STATE_FILE"
    # The lab's state folder goes with the last thing in it (rmdir keeps non-empty ones).
    { rmdir "$(dirname "$STATE_FILE")" && rmdir "$(dirname "$(dirname "$STATE_FILE")")"; } 2>/dev/null || true
    ;;
  status)
    device=${DEVICE:-$(recorded)}
    if [[ -z "$device" ]] || ! exists "$device"; then drifted "the lab's host-only interface ${device:-(none recorded)} is gone"; fi
    [[ "$(address "$device")" == "$HOST_ADDRESS/$NETMASK" ]] || drifted "$device has lost the address $HOST_ADDRESS/$NETMASK"
    ;;
  *) echo "network.sh: unknown action '$action'" >&2; exit 2 ;;
esac
