#!/usr/bin/env bash
# A Linux bridge on the lab host for a lab network.
#   hostonly: a bridge carrying the host's address (what VirtualBox's vboxnetN is), for QEMU
#   internal: a bridge with no host address (the host has no way in), for QEMU
#   bridged:  an existing host bridge, checked and left alone; with CREATE=1 the lab creates it
#             (with HOST_CIDR if given) and removes it on down, for either hypervisor
# A bridge the lab creates carries OWNER as its interface alias: a re-run knows it, `down` removes
# only such a bridge, and a lab never takes over a bridge that is not its own. `status` says
# whether it is still there, up, with the host's address.
# Usage: bridge.sh up|down|status
# Environment: DEVICE, KIND, HOST_CIDR (e.g. 192.168.1.1/24), CREATE, OWNER (e.g. "labstack dev")
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: bridge.sh up|down|status}
# Bridges need root.
as_root "$@"
: "${DEVICE:?}" "${KIND:?}" "${OWNER:?}"
owned=1
[[ "$KIND" == bridged && "${CREATE:-0}" != 1 ]] && owned=0

exists() { ip link show dev "$DEVICE" >/dev/null 2>&1; }
# From iproute2, not /sys: a process that joined a namespace may still see the host's /sys.
ours() { ip link show dev "$DEVICE" 2>/dev/null | sed -n 's/^ *alias //p' | grep -qxF "$OWNER"; }

case "$action" in
  up)
    if (( ! owned )); then
      exists || { echo "bridged network: host bridge $DEVICE does not exist; create it first or set create: true" >&2; exit 1; }
      exit 0
    fi
    if ! exists; then
      ip link add name "$DEVICE" type bridge
      # Until it is fully set up, a failure removes it again: Pulumi records no failed create.
      trap 'ip link del dev "$DEVICE"' EXIT
      ip link set dev "$DEVICE" alias "$OWNER"
      echo "labstack: changed created bridge $DEVICE"
    elif ! ours; then
      echo "$KIND network: $DEVICE already exists on the host and is not this lab's ($OWNER); pick another networks[].device, or use kind bridged to attach to it" >&2
      exit 1
    fi
    if [[ -n "${HOST_CIDR:-}" ]] && ! ip -o -4 addr show dev "$DEVICE" | grep -qw "inet $HOST_CIDR"; then
      ip addr add "$HOST_CIDR" dev "$DEVICE"
      echo "labstack: changed address $HOST_CIDR on $DEVICE"
    fi
    if ! ip -o link show dev "$DEVICE" | grep -q ',UP'; then
      ip link set dev "$DEVICE" up
    fi
    trap - EXIT
    ;;
  down)
    if (( owned )) && exists && ours; then ip link del dev "$DEVICE"; fi
    ;;
  status)
    exists || drifted "bridge $DEVICE is gone"
    (( owned )) || exit 0
    ip -o link show dev "$DEVICE" | grep -q ',UP' || drifted "bridge $DEVICE is down"
    [[ -z "${HOST_CIDR:-}" ]] || ip -o -4 addr show dev "$DEVICE" | grep -qw "inet $HOST_CIDR" || drifted "bridge $DEVICE has lost $HOST_CIDR"
    ;;
  *) echo "bridge.sh: unknown action '$action'" >&2; exit 2 ;;
esac
