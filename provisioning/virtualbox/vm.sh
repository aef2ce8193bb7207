#!/usr/bin/env bash
# One lab node as a VirtualBox VM: a disk cloned from the cloud image, a NoCloud seed as a DVD,
# NICs in config order (NAT with the SSH forward first), promiscuous allow-all where asked, the
# serial console logged to a file, started headless. `down` powers off and unregisters with disks;
# `up` on a VM that stopped starts it again (resuming a saved state); `status` says whether it runs;
# `stop` saves its state (VBoxManage controlvm savestate) and `resume` runs it from there. Checkpoints are VirtualBox's snapshots,
# taken live (RAM and devices with the disks): `checkpoint save|restore|delete NAME`, `checkpoint
# has NAME` (exit 3 when the VM has none: a node rebuilt since), `checkpoint list` (NAME SIZE_MIB).
# Usage: vm.sh up|down|status|stop|resume|checkpoint ...
# Environment:
#   VM_DIR, NAME, BASE_IMAGE, MEMORY_MIB, CPUS, DISK_GIB, USER_DATA, META_DATA, NETWORK_CONFIG
#   NICS  records (lib/records.sh), one a NIC in adapter order: kind=nat mac= port= (the SSH
#         forward), or kind=hostonly|intnet|bridged mac= to= (vboxnetN, network name, host
#         device) promisc=allow-all|deny
#   SSH_BIND  host address of the SSH forward (default 127.0.0.1)
# The VM's folder is made by the lab (marked as its own, lib/owned.sh) and only such a folder is
# ever removed; it is 0700 and its disk, seed and serial log 0600: they hold the lab's secrets
# (the seed's keys, the services' data), and no other local user may read them.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
# VBoxManage's output is parsed below: keep it in English whatever the user's locale.
export LC_ALL=C

action=${1:?usage: vm.sh up|down|status|stop|resume|checkpoint}
: "${VM_DIR:?}" "${NAME:?}"
VM_DIR=$(expand_home "$VM_DIR")
umask 077

registered() { VBoxManage list vms | grep -q "^\"$NAME\" "; }
# Stopped, and no session left on it. Right after `controlvm poweroff` VMState already reads
# poweroff while the VM process still holds its session (SessionName=), and unregistervm fails
# as "locked" (packer#8059, vagrant#8104). aborted (after a host reboot) and saved VMs are
# stopped already: no poweroff to wait for.
released() {
  local info
  info=$(VBoxManage showvminfo "$NAME" --machinereadable)
  grep -qE '^VMState="(poweroff|aborted|saved|aborted-saved)"$' <<< "$info" && ! grep -q '^SessionName=' <<< "$info"
}

snapshots() { VBoxManage snapshot "$NAME" list --machinereadable 2>/dev/null | sed -n 's/^SnapshotName[-0-9]*="\(.*\)"$/\1/p'; }
has_snapshot() { registered && snapshots | grep -qxF -- "$1"; }
vm_state() { VBoxManage showvminfo "$NAME" --machinereadable | sed -n 's/^VMState="\(.*\)"$/\1/p'; }
# Whether VM_DIR is the lab's: it carries the lab's marker, or (made by a labstack that marked
# nothing) VirtualBox registers this VM's settings file in it, where createvm --basefolder put it.
# A folder of the learner's that the VM's path happens to name is neither.
ours() {
  owns_dir "$VM_DIR" && return 0
  registered && VBoxManage showvminfo "$NAME" --machinereadable | grep -qxF "CfgFile=\"$VM_DIR/$NAME/$NAME.vbox\""
}

case "$action" in
  stop)
    registered && [[ "$(vm_state)" == running ]] || exit 0
    VBoxManage controlvm "$NAME" savestate >/dev/null
    changed "stopped $NAME (state saved)"
    exit 0 ;;
  resume)
    # `labstack start`: a VM that `stop` saved runs again from that state; anything else is left
    # to `up` (exit 3).
    registered || drifted "$NAME is not registered in VirtualBox"
    case "$(vm_state)" in
      running) exit 0 ;;
      saved) VBoxManage startvm "$NAME" --type headless >/dev/null ;;
      *) drifted "$NAME has no saved state to resume" ;;
    esac
    changed "resumed $NAME where it was stopped"
    exit 0 ;;
  checkpoint)
    verb=${2:?usage: vm.sh checkpoint save|restore|delete|has|list [NAME]} checkpoint=${3:-}
    [[ "$verb" == list || "$checkpoint" =~ ^[a-z0-9][a-z0-9._-]{0,63}$ ]] || { echo "vm.sh: a checkpoint is named with letters, digits, . _ - (got '$checkpoint')" >&2; exit 2; }
    case "$verb" in
      save)
        [[ "$(vm_state)" == running ]] || { echo "$NAME is not running: start the lab before a checkpoint" >&2; exit 1; }
        # One name, one checkpoint: taking it again replaces the old one.
        if has_snapshot "$checkpoint"; then VBoxManage snapshot "$NAME" delete "$checkpoint" >/dev/null; fi
        VBoxManage snapshot "$NAME" take "$checkpoint" --live >/dev/null
        changed "saved checkpoint $checkpoint of $NAME" ;;
      restore)
        has_snapshot "$checkpoint" || drifted "$NAME has no checkpoint $checkpoint"
        # A snapshot is restored on a VM that does not run; taken live, it then resumes where it was.
        if [[ "$(vm_state)" == running ]]; then
          VBoxManage controlvm "$NAME" poweroff >/dev/null 2>&1 || true
          for _ in $(seq 150); do released && break; sleep 0.2; done
        fi
        VBoxManage snapshot "$NAME" restore "$checkpoint" >/dev/null
        VBoxManage startvm "$NAME" --type headless >/dev/null
        changed "restored $NAME to checkpoint $checkpoint" ;;
      delete)
        has_snapshot "$checkpoint" || exit 0
        VBoxManage snapshot "$NAME" delete "$checkpoint" >/dev/null
        changed "deleted checkpoint $checkpoint of $NAME" ;;
      has) has_snapshot "$checkpoint" || drifted "$NAME has no checkpoint $checkpoint" ;;
      list)
        # VirtualBox does not say what each snapshot takes on disk: the size is unknown (?).
        if registered; then snapshots | sed 's/$/ ?/'; fi ;;
      *) echo "vm.sh: unknown checkpoint action '$verb'" >&2; exit 2 ;;
    esac
    exit 0 ;;
  down)
    mine=0
    if [[ -d "$VM_DIR" ]] && ours; then mine=1; fi
    if registered; then
      VBoxManage controlvm "$NAME" poweroff >/dev/null 2>&1 || true
      for _ in $(seq 150); do released && break; sleep 0.2; done
      VBoxManage unregistervm "$NAME" --delete \
        || { echo "VirtualBox still holds $NAME 30 s after poweroff; run destroy again once it has stopped (VBoxManage showvminfo $NAME --machinereadable)" >&2; exit 1; }
    fi
    if ((mine)); then rm -rf -- "$VM_DIR"; fi
    { rmdir "$(dirname "$VM_DIR")" && rmdir "$(dirname "$(dirname "$VM_DIR")")"; } 2>/dev/null || true
    exit 0 ;;
  status)
    if ! registered || ! VBoxManage showvminfo "$NAME" --machinereadable | grep -q '^VMState="running"'; then drifted "$NAME is not running in VirtualBox"; fi
    exit 0 ;;
  up) ;;
  *) echo "vm.sh: unknown action '$action'" >&2; exit 2 ;;
esac

: "${BASE_IMAGE:?}" "${MEMORY_MIB:?}" "${CPUS:?}" "${DISK_GIB:?}" "${USER_DATA:?}" "${META_DATA:?}" "${NETWORK_CONFIG:?}" "${NICS:?}"
# A VM made by a labstack that did not mark its folder: marked now, so `down` knows it as the lab's.
if [[ -d "$VM_DIR" ]] && ! owns_dir "$VM_DIR" && ours; then : > "$VM_DIR/$LAB_MARKER"; fi
# A VM that failed or was cancelled half-way would pass for made on the next run: unmake it
# instead. unregistervm --delete also drops the attached disk from VirtualBox's media registry,
# where a re-made disk.vdi (same path, new UUID) would be refused on every retry.
undo() {
  VBoxManage unregistervm "$NAME" --delete >/dev/null 2>&1 || true
  remove_own_dir "$VM_DIR"
}
# Killed while it was being made (SIGKILL: no trap ran, e.g. a second Ctrl-C): `.making` is still
# there, and what was made goes before the VM is made again.
if [[ -f "$VM_DIR/.making" ]] && owns_dir "$VM_DIR"; then
  undo
  echo "labstack: changed removed $NAME, half made by a run that was killed"
fi
if registered && VBoxManage showvminfo "$NAME" --machinereadable | grep -q '^VMState="running"'; then exit 0; fi
own_dir "$VM_DIR" 0700

if ! registered; then
  : > "$VM_DIR/.making"
  trap 'undo; exit 1' ERR INT TERM HUP
  VBoxManage createvm --name "$NAME" --ostype Ubuntu_64 --basefolder "$VM_DIR" --register >/dev/null
  VBoxManage modifyvm "$NAME" --memory "$MEMORY_MIB" --cpus "$CPUS" --ioapic on --boot1 disk --boot2 none \
    --uart1 0x3F8 4 --uartmode1 file "$VM_DIR/serial.log" --audio-driver none 2>/dev/null \
    || VBoxManage modifyvm "$NAME" --memory "$MEMORY_MIB" --cpus "$CPUS" --ioapic on --boot1 disk --boot2 none \
      --uart1 0x3F8 4 --uartmode1 file "$VM_DIR/serial.log" --audio none
  # Without `createvm --default` the guest's clock starts in local time; Ubuntu reads it as UTC,
  # and apt may find Release files "not valid yet" until NTP catches up.
  VBoxManage modifyvm "$NAME" --rtcuseutc on
  i=1
  while read -r line; do
    record "$line"
    kind=${field[kind]} mac=${field[mac]//:/} a=${field[to]:-} promisc=${field[promisc]:-}
    case "$kind" in
      nat) VBoxManage modifyvm "$NAME" "--nic$i" nat "--macaddress$i" "$mac" --natpf$i "ssh,tcp,${SSH_BIND:-127.0.0.1},${field[port]},,22" ;;
      hostonly) VBoxManage modifyvm "$NAME" "--nic$i" hostonly "--hostonlyadapter$i" "$a" "--macaddress$i" "$mac" ;;
      intnet) VBoxManage modifyvm "$NAME" "--nic$i" intnet "--intnet$i" "$a" "--macaddress$i" "$mac" ;;
      bridged) VBoxManage modifyvm "$NAME" "--nic$i" bridged "--bridgeadapter$i" "$a" "--macaddress$i" "$mac" ;;
      *) echo "vm.sh: unknown NIC kind '$kind'" >&2; exit 2 ;;
    esac
    if [[ "$promisc" == allow-all ]]; then VBoxManage modifyvm "$NAME" "--nicpromisc$i" allow-all; fi
    VBoxManage modifyvm "$NAME" "--nictype$i" virtio
    i=$((i + 1))
  done < <(records "$NICS")

  # VirtualBox cannot read qcow2: convert once to VDI, then grow it to the node's disk size. The
  # disk is attached before it is resized so that it is the VM's medium, not a global one that
  # would outlive an undo.
  qemu-img convert -O vdi "$BASE_IMAGE" "$VM_DIR/disk.vdi"
  VBoxManage storagectl "$NAME" --name SATA --add sata --controller IntelAhci --portcount 2
  VBoxManage storageattach "$NAME" --storagectl SATA --port 0 --device 0 --type hdd --medium "$VM_DIR/disk.vdi"
  VBoxManage modifymedium disk "$VM_DIR/disk.vdi" --resize $((DISK_GIB * 1024)) >/dev/null
  printf '%s' "$USER_DATA" > "$VM_DIR/user-data"
  printf '%s' "$META_DATA" > "$VM_DIR/meta-data"
  printf '%s' "$NETWORK_CONFIG" > "$VM_DIR/network-config"
  cloud-localds -N "$VM_DIR/network-config" "$VM_DIR/seed.iso" "$VM_DIR/user-data" "$VM_DIR/meta-data"
  VBoxManage storageattach "$NAME" --storagectl SATA --port 1 --device 0 --type dvddrive --medium "$VM_DIR/seed.iso"
  trap - ERR INT TERM HUP
  rm -f "$VM_DIR/.making"
  echo "labstack: changed created VM $NAME"
fi
VBoxManage startvm "$NAME" --type headless >/dev/null
echo "labstack: changed started $NAME"
