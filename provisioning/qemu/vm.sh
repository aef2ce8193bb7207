#!/usr/bin/env bash
# One lab node as a QEMU VM on the lab host: a qcow2 overlay on the cached base image, a NoCloud
# seed, NICs on the PCI slots VirtualBox gives them (so guests name them enp0s3, enp0s8, ... as in
# the posts), daemonized with a pidfile and a serial log.
# `up` on a VM that died starts it again on its own disk, and one that was stopped resumes where it
# was; `status` says whether it runs; `stop` saves its state (RAM and devices, into its disk) and
# ends QEMU; `resume` runs a stopped VM again from there. Checkpoints are QEMU's internal
# snapshots in the VM's own qcow2 (taken through its QMP socket while it runs): `checkpoint
# save|restore|delete NAME`, `checkpoint has NAME` (exit 3 when the disk has none: a node rebuilt
# since), `checkpoint list` (NAME SIZE_MIB lines).
# Usage: vm.sh up|down|status|stop|resume|checkpoint ...
# Environment:
#   VM_DIR        folder for this VM's overlay, seed, pidfile and serial log (~/ allowed)
#   NAME          VM name (the node's hostname)
#   BASE_IMAGE    qcow2 base image; KERNEL/INITRD/APPEND to boot a kernel directly (optional)
#   MEMORY_MIB, CPUS, DISK_GIB
#   USER_DATA, META_DATA, NETWORK_CONFIG   the cloud-init NoCloud documents
#   NICS          records (lib/records.sh), one a NIC in order: kind=nat mac= port= (the SSH
#                 forward) or kind=tap mac= tap= bridge=, each with its PCI slot= (decimal)
#   NAT_NETWORK, NAT_GATEWAY, NAT_GUEST   VirtualBox's NAT addressing, which QEMU's user network copies
#   SSH_BIND      host address of the SSH forward (default 127.0.0.1)
#   ACCEL         auto | kvm | tcg (auto: KVM only if a guest really boots with it)
#   RUNAS         user QEMU drops to once its files are open (default nobody when run as root;
#                 `-` keeps root)
# QEMU starts with a clean environment (none of `pulumi up`'s secrets), and an `up` that fails
# removes what it made (taps, the VM's folder) before it exits: Pulumi records no failed create,
# so no `destroy` would.
# The VM's folder is 0700 and its disk, seed, cloud-init documents and serial log 0600, root's:
# they hold the lab's secrets (keys, the services' data). QEMU opens them all as root before it
# drops to RUNAS (-runas takes effect once the machine is set up), so it still reads them.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: vm.sh up|down|status|stop|resume|checkpoint}
# Taps need root.
as_root "$@"
: "${VM_DIR:?}" "${NAME:?}"
VM_DIR=$(expand_home "$VM_DIR")
umask 077
pidfile="$VM_DIR/qemu.pid"
qmp_socket="$VM_DIR/qmp.sock"
# The state `stop` saved, in the VM's disk; `up` resumes from it.
STOPPED=labstack-stopped

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

# hmp COMMAND: one monitor command through QMP; fails with QEMU's words if QEMU refuses.
hmp() {
  python3 - "$qmp_socket" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(600)
s.connect(sys.argv[1])
f = s.makefile("rw")
def answer():
    while True:
        msg = json.loads(f.readline())
        if "event" not in msg:
            return msg
answer()
for request in ({"execute": "qmp_capabilities"}, {"execute": "human-monitor-command", "arguments": {"command-line": sys.argv[2]}}):
    f.write(json.dumps(request) + "\n")
    f.flush()
    reply = answer()
    if "error" in reply:
        sys.exit(reply["error"]["desc"])
out = reply.get("return", "")
# HMP reports its own failures as text, not as a QMP error.
if out.strip():
    sys.exit(out.strip())
PY
}
has_snapshot() { qemu-img snapshot -U -l "$VM_DIR/disk.qcow2" 2>/dev/null | awk 'NR > 2 { print $2 }' | grep -qxF -- "$1"; }

case "$action" in
  stop)
    running || exit 0
    if [[ ! -S "$qmp_socket" ]]; then
      # Started by an older labstack, without a monitor: its state cannot be saved.
      stop_daemon "$pidfile" "-pidfile $pidfile"
      changed "stopped $NAME (no saved state: it boots afresh when started)"
      exit 0
    fi
    # QEMU's own command line (NUL-separated, as /proc has it): `resume` runs it again. It names
    # only the VM's files and devices, never a secret.
    cp "/proc/$(daemon_pid "$pidfile" "-pidfile $pidfile")/cmdline" "$VM_DIR/cmdline"
    hmp "savevm $STOPPED"
    : > "$VM_DIR/stopped"
    hmp quit 2>/dev/null || true
    for _ in $(seq 100); do running || break; sleep 0.1; done
    changed "stopped $NAME (state saved)"
    exit 0
    ;;
  resume)
    # `labstack start`: the VM `stop` saved runs again, from its own command line and saved state,
    # in a second or two. What a reboot took (its taps) or a VM without a saved state is left to
    # `up` (exit 3), which has the whole plan.
    running && exit 0
    if [[ ! -f "$VM_DIR/stopped" || ! -s "$VM_DIR/cmdline" ]] || ! has_snapshot "$STOPPED"; then drifted "$NAME has no saved state to resume"; fi
    mapfile -d '' -t saved < "$VM_DIR/cmdline"
    args=() skip=0
    for arg in "${saved[@]:1}"; do
      # A VM resumed before carries that -loadvm: the state to load is the newest.
      if ((skip)); then skip=0; continue; fi
      if [[ "$arg" == -loadvm ]]; then skip=1; continue; fi
      if [[ "$arg" =~ (^|,)ifname=([^,]+) ]] && ! ip link show dev "${BASH_REMATCH[2]}" >/dev/null 2>&1; then
        drifted "$NAME's tap ${BASH_REMATCH[2]} is gone (the host rebooted?)"
      fi
      args+=("$arg")
    done
    "${CLEAN_ENV[@]}" "${saved[0]}" "${args[@]}" -loadvm "$STOPPED" </dev/null
    hmp "delvm $STOPPED"
    rm -f "$VM_DIR/stopped"
    changed "resumed $NAME where it was stopped"
    exit 0
    ;;
  checkpoint)
    verb=${2:?usage: vm.sh checkpoint save|restore|delete|has|list [NAME]} checkpoint=${3:-}
    [[ "$verb" == list || "$checkpoint" =~ ^[a-z0-9][a-z0-9._-]{0,63}$ ]] || { echo "vm.sh: a checkpoint is named with letters, digits, . _ - (got '$checkpoint')" >&2; exit 2; }
    case "$verb" in
      save)
        running || { echo "$NAME is not running: start the lab before a checkpoint" >&2; exit 1; }
        if [[ ! -S "$qmp_socket" ]]; then
          echo "$NAME has no monitor socket (started by an older labstack): no checkpoint until it is restarted (labstack stop, then start)" >&2
          [[ "${CHECKPOINT_IF_POSSIBLE:-0}" == 1 ]] && exit 0
          exit 1
        fi
        hmp "savevm $checkpoint"
        changed "saved checkpoint $checkpoint of $NAME" ;;
      restore)
        has_snapshot "$checkpoint" || drifted "$NAME has no checkpoint $checkpoint"
        running || { echo "$NAME is not running: start the lab before a restore" >&2; exit 1; }
        hmp "loadvm $checkpoint"
        changed "restored $NAME to checkpoint $checkpoint" ;;
      delete)
        has_snapshot "$checkpoint" || exit 0
        if running; then hmp "delvm $checkpoint"; else qemu-img snapshot -d "$checkpoint" "$VM_DIR/disk.qcow2"; fi
        changed "deleted checkpoint $checkpoint of $NAME" ;;
      has) has_snapshot "$checkpoint" || drifted "$NAME has no checkpoint $checkpoint" ;;
      list)
        # The RAM and device state each holds (qemu-img's VM SIZE), in MiB; the stop state is the lab's own.
        qemu-img snapshot -U -l "$VM_DIR/disk.qcow2" 2>/dev/null | awk -v own="$STOPPED" 'NR > 2 && $2 != own {
          size = $3; unit = $4; mib = size
          if (unit == "KiB") mib = size / 1024; else if (unit == "GiB") mib = size * 1024; else if (unit != "MiB") mib = size / 1048576
          printf "%s %.1f\n", $2, mib }' ;;
      *) echo "vm.sh: unknown checkpoint action '$verb'" >&2; exit 2 ;;
    esac
    exit 0
    ;;
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
: "${NAT_NETWORK:?}" "${NAT_GATEWAY:?}" "${NAT_GUEST:?}"
KERNEL=$(expand_home "${KERNEL:-}") INITRD=$(expand_home "${INITRD:-}")
# A VM made before its files were private: the lab's own folder is tightened (QEMU keeps the
# files it has open).
if owns_dir "$VM_DIR"; then
  chmod 0700 "$VM_DIR"
  for f in disk.qcow2 seed.img user-data meta-data network-config serial.log; do
    if [[ -f "$VM_DIR/$f" ]]; then chmod 0600 "$VM_DIR/$f"; fi
  done
fi
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
own_dir "$VM_DIR" 0700

# A VM keeps the PCI layout its disk was made with: its guest's network config names its NICs.
# Disks made before this file existed are `legacy` (NICs on slots 3, 4, ... with ACPI hotplug,
# which guests name ens3, ens4, ...); base-setup gives their NICs the posts' names as altnames.
layout_file="$VM_DIR/pci-layout"
if [[ ! -f "$VM_DIR/disk.qcow2" ]]; then
  # Made aside and moved in whole: a run killed half-way (no trap runs on SIGKILL) leaves no
  # truncated disk that the next run would take for the VM's.
  qemu-img create -q -f qcow2 -b "$BASE_IMAGE" -F qcow2 "$VM_DIR/disk.qcow2.new" "${DISK_GIB}G"
  mv -f "$VM_DIR/disk.qcow2.new" "$VM_DIR/disk.qcow2"
  echo posts > "$layout_file"
  echo "labstack: changed created overlay for $NAME"
fi
layout=legacy
[[ -f "$layout_file" ]] && layout=$(<"$layout_file")
if [[ "$layout" == posts ]]; then
  # Without ACPI hotplug on the root bus QEMU gives no slot numbers, and systemd names a NIC by
  # its PCI path (enp0s8) as on VirtualBox; NICs may take slots up to 19, disks sit above them.
  disk_slots=(0x1a 0x1b 0x1c) layout_args=(-global PIIX4_PM.acpi-root-pci-hotplug=off)
else
  disk_slots=(0x10 0x11 0x12) layout_args=()
fi

# The seed the VM was made with stays its seed: a VM started again on its own disk with another
# one (a lab of an older release, whose seed renders differently) is a new instance to cloud-init,
# which then makes new SSH host keys, and the lab's pinned key no longer answers. What a node is
# made of is its identity: a seed that must change rebuilds the VM, with a new folder.
if [[ ! -f "$VM_DIR/seed.img" ]]; then
  printf '%s' "$USER_DATA" > "$VM_DIR/user-data"
  printf '%s' "$META_DATA" > "$VM_DIR/meta-data"
  printf '%s' "$NETWORK_CONFIG" > "$VM_DIR/network-config"
  cloud-localds -N "$VM_DIR/network-config" "$VM_DIR/seed.img.new" "$VM_DIR/user-data" "$VM_DIR/meta-data"
  mv -f "$VM_DIR/seed.img.new" "$VM_DIR/seed.img"
fi

# shellcheck disable=SC2054 # QEMU option values are comma-separated on purpose
args=("${layout_args[@]}" -name "$NAME" -machine pc -m "$MEMORY_MIB" -smp "$CPUS" -display none -vga none
  -serial "file:$(qemu_path "$VM_DIR/serial.log")" -daemonize -pidfile "$pidfile"
  # Its monitor, for checkpoints and `stop` (root's: QEMU opens it before it drops to RUNAS).
  -qmp "unix:$(qemu_path "$qmp_socket"),server=on,wait=off"
  -drive "file=$(qemu_path "$VM_DIR/disk.qcow2"),if=none,id=disk0,format=qcow2,discard=unmap" -device "virtio-blk-pci,drive=disk0,addr=${disk_slots[0]}"
  -drive "file=$(qemu_path "$VM_DIR/seed.img"),if=none,id=seed0,format=raw,readonly=on" -device "virtio-blk-pci,drive=seed0,addr=${disk_slots[1]}"
  # Without an entropy source a guest under TCG can block in getrandom() for minutes at boot
  # (seen: systemd-random-seed stuck 365 s in try_to_generate_entropy).
  -object rng-random,id=rng0,filename=/dev/urandom -device "virtio-rng-pci,rng=rng0,addr=${disk_slots[2]}")
if [[ -n "${KERNEL:-}" ]]; then
  args+=(-kernel "$KERNEL" -initrd "${INITRD:?INITRD goes with KERNEL}" -append "${APPEND:-root=/dev/vda rw console=ttyS0}")
fi

legacy_slot=3
while read -r line; do
  record "$line"
  kind=${field[kind]} mac=${field[mac]} slot=${field[slot]:?a NIC needs its slot}
  if [[ "$layout" != posts ]]; then slot=$legacy_slot legacy_slot=$((legacy_slot + 1)); fi
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
done < <(records "$NICS")

accel=$(KERNEL="${KERNEL:-}" INITRD="${INITRD:-}" BASE_IMAGE="$BASE_IMAGE" "$LABSTACK_DIR/qemu/accel.sh" "${ACCEL:-auto}")
: > "$VM_DIR/serial.log"
qemu_runas args
# A VM that `stop` saved resumes where it was (no boot); its saved state then goes.
resume=0
if [[ -f "$VM_DIR/stopped" ]] && has_snapshot "$STOPPED"; then args+=(-loadvm "$STOPPED") resume=1; fi
"${CLEAN_ENV[@]}" qemu-system-x86_64 -accel "$accel" "${args[@]}" </dev/null
started=1
if ((resume)); then
  hmp "delvm $STOPPED"
  rm -f "$VM_DIR/stopped"
  changed "resumed $NAME where it was stopped (accel $accel)"
else
  rm -f "$VM_DIR/stopped"
  changed "started $NAME (accel $accel)"
fi
