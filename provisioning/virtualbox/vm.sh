#!/usr/bin/env bash
# One lab node as a VirtualBox VM: a disk cloned from the cloud image, a NoCloud seed as a DVD,
# NICs in config order (NAT with the SSH forward first), promiscuous allow-all where asked, the
# serial console logged to a file, started headless. `down` powers off and unregisters with disks.
# Usage: vm.sh up|down
# Environment:
#   VM_DIR, NAME, BASE_IMAGE, MEMORY_MIB, CPUS, DISK_GIB, USER_DATA, META_DATA, NETWORK_CONFIG
#   NICS  one line per NIC: "nat <mac> <ssh-port>", "hostonly <mac> <vboxnetN> <promisc>",
#         "intnet <mac> <name> <promisc>" or "bridged <mac> <host-device> <promisc>"
#   SSH_BIND  host address of the SSH forward (default 127.0.0.1)
set -euo pipefail

action=${1:?usage: vm.sh up|down}
: "${VM_DIR:?}" "${NAME:?}"

registered() { VBoxManage list vms | grep -q "^\"$NAME\" "; }

case "$action" in
  down)
    if registered; then
      VBoxManage controlvm "$NAME" poweroff >/dev/null 2>&1 || true
      for _ in $(seq 30); do VBoxManage showvminfo "$NAME" --machinereadable | grep -q '^VMState="poweroff"' && break; sleep 1; done
      VBoxManage unregistervm "$NAME" --delete
    fi
    rm -rf "$VM_DIR"
    { rmdir "$(dirname "$VM_DIR")" && rmdir "$(dirname "$(dirname "$VM_DIR")")"; } 2>/dev/null || true
    exit 0 ;;
  up) ;;
  *) echo "vm.sh: unknown action '$action'" >&2; exit 2 ;;
esac

: "${BASE_IMAGE:?}" "${MEMORY_MIB:?}" "${CPUS:?}" "${DISK_GIB:?}" "${USER_DATA:?}" "${META_DATA:?}" "${NETWORK_CONFIG:?}" "${NICS:?}"
if registered && VBoxManage showvminfo "$NAME" --machinereadable | grep -q '^VMState="running"'; then exit 0; fi
mkdir -p "$VM_DIR"

if ! registered; then
  # A VM that failed half-way would pass for made on the next run: unmake it instead.
  trap 'VBoxManage unregistervm "$NAME" --delete >/dev/null 2>&1 || true; rm -rf "$VM_DIR"' ERR
  VBoxManage createvm --name "$NAME" --ostype Ubuntu_64 --basefolder "$VM_DIR" --register >/dev/null
  VBoxManage modifyvm "$NAME" --memory "$MEMORY_MIB" --cpus "$CPUS" --ioapic on --boot1 disk --boot2 none \
    --uart1 0x3F8 4 --uartmode1 file "$VM_DIR/serial.log" --audio-driver none 2>/dev/null \
    || VBoxManage modifyvm "$NAME" --memory "$MEMORY_MIB" --cpus "$CPUS" --ioapic on --boot1 disk --boot2 none \
      --uart1 0x3F8 4 --uartmode1 file "$VM_DIR/serial.log" --audio none
  i=1
  while read -r kind mac a promisc; do
    [[ -n "$kind" ]] || continue
    mac=${mac//:/}
    case "$kind" in
      nat) VBoxManage modifyvm "$NAME" "--nic$i" nat "--macaddress$i" "$mac" --natpf$i "ssh,tcp,${SSH_BIND:-127.0.0.1},$a,,22" ;;
      hostonly) VBoxManage modifyvm "$NAME" "--nic$i" hostonly "--hostonlyadapter$i" "$a" "--macaddress$i" "$mac" ;;
      intnet) VBoxManage modifyvm "$NAME" "--nic$i" intnet "--intnet$i" "$a" "--macaddress$i" "$mac" ;;
      bridged) VBoxManage modifyvm "$NAME" "--nic$i" bridged "--bridgeadapter$i" "$a" "--macaddress$i" "$mac" ;;
      *) echo "vm.sh: unknown NIC kind '$kind'" >&2; exit 2 ;;
    esac
    if [[ "${promisc:-}" == allow-all ]]; then VBoxManage modifyvm "$NAME" "--nicpromisc$i" allow-all; fi
    VBoxManage modifyvm "$NAME" "--nictype$i" virtio
    i=$((i + 1))
  done <<< "$NICS"

  # VirtualBox cannot read qcow2: convert once to VDI, then grow it to the node's disk size.
  qemu-img convert -O vdi "$BASE_IMAGE" "$VM_DIR/disk.vdi"
  VBoxManage modifymedium disk "$VM_DIR/disk.vdi" --resize $((DISK_GIB * 1024)) >/dev/null
  printf '%s' "$USER_DATA" > "$VM_DIR/user-data"
  printf '%s' "$META_DATA" > "$VM_DIR/meta-data"
  printf '%s' "$NETWORK_CONFIG" > "$VM_DIR/network-config"
  cloud-localds -N "$VM_DIR/network-config" "$VM_DIR/seed.iso" "$VM_DIR/user-data" "$VM_DIR/meta-data"
  VBoxManage storagectl "$NAME" --name SATA --add sata --controller IntelAhci --portcount 2
  VBoxManage storageattach "$NAME" --storagectl SATA --port 0 --device 0 --type hdd --medium "$VM_DIR/disk.vdi"
  VBoxManage storageattach "$NAME" --storagectl SATA --port 1 --device 0 --type dvddrive --medium "$VM_DIR/seed.iso"
  trap - ERR
  echo "labstack: changed created VM $NAME"
fi
VBoxManage startvm "$NAME" --type headless >/dev/null
echo "labstack: changed started $NAME"
