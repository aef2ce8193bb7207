#!/usr/bin/env bash
# One lab node as a QEMU VM on the lab host: a qcow2 overlay on the cached base image, a NoCloud
# seed, NICs in config order on fixed PCI slots, daemonized with a pidfile and a serial log.
# `up` on a VM that died starts it again on its own disk; `status` says whether it runs.
# Usage: vm.sh up|down|status
# Environment:
#   VM_DIR        folder for this VM's overlay, seed, pidfile and serial log (~/ allowed)
#   NAME          VM name (the node's hostname)
#   BASE_IMAGE    qcow2 base image; KERNEL/INITRD/APPEND to boot a kernel directly (optional)
#   MEMORY_MIB, CPUS, DISK_GIB
#   USER_DATA, META_DATA, NETWORK_CONFIG   the cloud-init NoCloud documents
#   NICS          records (lib/records.sh), one a NIC in order: kind=nat mac= port= (the SSH
#                 forward) or kind=tap mac= tap= bridge=; NIC k sits on PCI slot FIRST_NIC_SLOT+k
#   NAT_NETWORK, NAT_GATEWAY, NAT_GUEST   VirtualBox's NAT addressing, which QEMU's user network copies
#   SSH_BIND      host address of the SSH forward (default 127.0.0.1)
#   ACCEL         auto | kvm | tcg (auto: KVM only if a guest really boots with it)
#   RUNAS         user QEMU drops to once its files are open (default nobody when run as root;
#                 `-` keeps root)
# QEMU starts with a clean environment (none of `pulumi up`'s secrets), and an `up` that fails
# removes what it made (taps, the VM's folder) before it exits: Pulumi records no failed create,
# so no `destroy` would.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: vm.sh up|down|status}
# Taps need root.
as_root "$@"
: "${VM_DIR:?}" "${NAME:?}"
VM_DIR=$(expand_home "$VM_DIR")
pidfile="$VM_DIR/qemu.pid"

# QEMU's command line names its pidfile: that is how the pidfile's PID is known as this VM's.
running() { daemon_pid "$pidfile" "-pidfile $pidfile" >/dev/null; }
# QEMU splits option values at commas; a doubled comma is a literal one.
qemu_path() { printf '%s' "${1//,/,,}"; }

taps() {
  local line
  while read -r line; do
    record "$line"
    [[ "${field[kind]}" != tap ]] || echo "${field[tap]}"
  done < <(records "${NICS:-}")
}

case "$action" in
  down)
    stop_daemon "$pidfile" "-pidfile $pidfile"
    while read -r tap; do
      if [[ -n "$tap" ]] && ip link show dev "$tap" >/dev/null 2>&1; then ip link del dev "$tap"; fi
    done < <(taps)
    remove_own_dir "$VM_DIR"
    # The vms/ folder and the lab's state folder go with the last VM (rmdir keeps non-empty ones).
    { rmdir "$(dirname "$VM_DIR")" && rmdir "$(dirname "$(dirname "$VM_DIR")")"; } 2>/dev/null || true
    exit 0
    ;;
  status)
    running || drifted "$NAME's VM is not running (no QEMU for $pidfile)"
    exit 0
    ;;
  up) ;;
  *) echo "vm.sh: unknown action '$action'" >&2; exit 2 ;;
esac

: "${BASE_IMAGE:?}" "${MEMORY_MIB:?}" "${CPUS:?}" "${DISK_GIB:?}" "${USER_DATA:?}" "${META_DATA:?}" "${NETWORK_CONFIG:?}" "${NICS:?}"
: "${FIRST_NIC_SLOT:?}" "${NAT_NETWORK:?}" "${NAT_GATEWAY:?}" "${NAT_GUEST:?}"
KERNEL=$(expand_home "${KERNEL:-}") INITRD=$(expand_home "${INITRD:-}")
if running; then exit 0; fi
[[ -f "$BASE_IMAGE" ]] || { echo "base image $BASE_IMAGE not found" >&2; exit 1; }

made_dir=0 made_taps=() started=0
undo() {
  local tap
  (( started )) && return
  for tap in "${made_taps[@]}"; do ip link del dev "$tap" 2>/dev/null || true; done
  if (( made_dir )); then remove_own_dir "$VM_DIR"; fi
}
trap undo EXIT
[[ -d "$VM_DIR" ]] || made_dir=1
own_dir "$VM_DIR"

if [[ ! -f "$VM_DIR/disk.qcow2" ]]; then
  qemu-img create -q -f qcow2 -b "$BASE_IMAGE" -F qcow2 "$VM_DIR/disk.qcow2" "${DISK_GIB}G"
  echo "labstack: changed created overlay for $NAME"
fi

printf '%s' "$USER_DATA" > "$VM_DIR/user-data"
printf '%s' "$META_DATA" > "$VM_DIR/meta-data"
printf '%s' "$NETWORK_CONFIG" > "$VM_DIR/network-config"
cloud-localds -N "$VM_DIR/network-config" "$VM_DIR/seed.img" "$VM_DIR/user-data" "$VM_DIR/meta-data"

# shellcheck disable=SC2054 # QEMU option values are comma-separated on purpose
args=(-name "$NAME" -machine pc -m "$MEMORY_MIB" -smp "$CPUS" -display none -vga none
  -serial "file:$(qemu_path "$VM_DIR/serial.log")" -daemonize -pidfile "$pidfile"
  -drive "file=$(qemu_path "$VM_DIR/disk.qcow2"),if=none,id=disk0,format=qcow2,discard=unmap" -device virtio-blk-pci,drive=disk0,addr=0x10
  -drive "file=$(qemu_path "$VM_DIR/seed.img"),if=none,id=seed0,format=raw,readonly=on" -device virtio-blk-pci,drive=seed0,addr=0x11
  # Without an entropy source a guest under TCG can block in getrandom() for minutes at boot
  # (seen: systemd-random-seed stuck 365 s in try_to_generate_entropy).
  -object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0,addr=0x12)
if [[ -n "${KERNEL:-}" ]]; then
  args+=(-kernel "$KERNEL" -initrd "${INITRD:?INITRD goes with KERNEL}" -append "${APPEND:-root=/dev/vda rw console=ttyS0}")
fi

slot=$FIRST_NIC_SLOT
while read -r line; do
  record "$line"
  kind=${field[kind]} mac=${field[mac]}
  case "$kind" in
    nat)
      # VirtualBox's NAT: the guest gets NAT_GUEST by DHCP, the host is the gateway NAT_GATEWAY.
      args+=(-netdev "user,id=net$slot,net=$NAT_NETWORK,host=$NAT_GATEWAY,dhcpstart=$NAT_GUEST,hostfwd=tcp:${SSH_BIND:-127.0.0.1}:${field[port]}-:22") ;;
    tap)
      if ! ip link show dev "${field[tap]}" >/dev/null 2>&1; then
        ip tuntap add dev "${field[tap]}" mode tap
        made_taps+=("${field[tap]}")
      fi
      ip link set dev "${field[tap]}" master "${field[bridge]}" up
      args+=(-netdev "tap,id=net$slot,ifname=$(qemu_path "${field[tap]}"),script=no,downscript=no") ;;
    *) echo "vm.sh: unknown NIC kind '$kind'" >&2; exit 2 ;;
  esac
  args+=(-device "virtio-net-pci,netdev=net$slot,mac=$mac,addr=$(printf '0x%x' "$slot")")
  slot=$((slot + 1))
done < <(records "$NICS")

accel=$(KERNEL="${KERNEL:-}" INITRD="${INITRD:-}" BASE_IMAGE="$BASE_IMAGE" "$LABSTACK_DIR/qemu/accel.sh" "${ACCEL:-auto}")
: > "$VM_DIR/serial.log"
runas=${RUNAS:-nobody}
if [[ "$runas" != - ]] && id -u "$runas" >/dev/null 2>&1; then args+=(-runas "$runas"); fi
"${CLEAN_ENV[@]}" qemu-system-x86_64 -accel "$accel" "${args[@]}" </dev/null
started=1
echo "labstack: changed started $NAME (accel $accel)"
