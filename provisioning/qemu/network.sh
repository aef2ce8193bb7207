#!/usr/bin/env bash
# A lab network on the lab host for the QEMU driver.
#   hostonly: a Linux bridge carrying the host's address (what VirtualBox's vboxnetN is)
#   internal: a bridge with no host address (the host has no way in)
#   bridged:  an existing host bridge; checked, never created or removed
# Usage: network.sh up|down    Environment: DEVICE, KIND, HOST_CIDR (hostonly, e.g. 192.168.1.1/24)
set -euo pipefail

action=${1:?usage: network.sh up|down}
: "${DEVICE:?}" "${KIND:?}"

exists() { ip link show dev "$DEVICE" >/dev/null 2>&1; }

case "$action:$KIND" in
  up:bridged)
    exists || { echo "bridged network: host bridge $DEVICE does not exist; create it first" >&2; exit 1; }
    ;;
  up:hostonly | up:internal)
    if ! exists; then
      ip link add name "$DEVICE" type bridge
      echo "labstack: changed created bridge $DEVICE"
    fi
    if [[ "$KIND" == hostonly ]]; then
      : "${HOST_CIDR:?HOST_CIDR is required for a hostonly network}"
      if ! ip -o -4 addr show dev "$DEVICE" | grep -qw "inet $HOST_CIDR"; then
        ip addr add "$HOST_CIDR" dev "$DEVICE"
        echo "labstack: changed address $HOST_CIDR on $DEVICE"
      fi
    fi
    if ! ip -o link show dev "$DEVICE" | grep -q ',UP'; then
      ip link set dev "$DEVICE" up
    fi
    ;;
  down:bridged) ;;
  down:hostonly | down:internal)
    if exists; then ip link del dev "$DEVICE"; fi
    ;;
  *) echo "network.sh: unknown action or kind '$action:$KIND'" >&2; exit 2 ;;
esac
