# VirtualBox's part of the host preflight: host/preflight.sh sources this file (HOST_CHECKS) with
# `root`, `where`, `problem` and `hw_virt` in scope. VirtualBox needs VT-x/AMD-V whatever the
# guest, its kernel drivers, and no KVM holding the CPU's virtualization against it.
# shellcheck shell=bash
# shellcheck disable=SC2154 # root and where come from preflight.sh

hw_virt || problem "VirtualBox needs hardware virtualization but $where shows no vmx/svm CPU flag (enable VT-x/AMD-V in the firmware; on a cloud host: pick one with nested virtualization)"
[[ -e "$root/dev/vboxdrv" ]] || problem "VirtualBox's kernel driver is not loaded on $where (no /dev/vboxdrv): sudo modprobe vboxdrv; if it is missing, rebuild it (sudo /sbin/vboxconfig, or sudo dpkg-reconfigure virtualbox-dkms), and under Secure Boot sign it or enroll the key it asks for"
[[ -e "$root/dev/vboxnetctl" ]] || problem "VirtualBox's host-only network driver is not loaded on $where (no /dev/vboxnetctl): sudo modprobe vboxnetadp"
# From Linux 6.12 KVM takes VT-x/AMD-V as soon as it is loaded, and VirtualBox then fails to
# start VMs (VERR_VMX_IN_VMX_ROOT_MODE, VERR_SVM_IN_USE: VirtualBox/virtualbox#141,
# NixOS/nixpkgs#363887), unless kvm.enable_virt_at_load=0.
IFS=.- read -r major minor _ < "$root/proc/sys/kernel/osrelease"
if ((major > 6 || (major == 6 && minor >= 12))); then
  at_load=$(cat "$root/sys/module/kvm/parameters/enable_virt_at_load" 2>/dev/null || echo Y)
  for kvm in kvm_intel kvm_amd; do
    if [[ -d "$root/sys/module/$kvm" && "$at_load" != [N0] ]]; then
      problem "KVM ($kvm) is loaded on $where, and on Linux $major.$minor it holds the CPU's virtualization, so VirtualBox cannot start VMs: stop any KVM VM and unload it (sudo modprobe -r $kvm kvm), or keep it from taking the CPU at load (kvm.enable_virt_at_load=0 on the kernel command line, or 'options kvm enable_virt_at_load=0' in /etc/modprobe.d/)"
    fi
  done
fi

# A lab VM is one VirtualBox runs under its name (vm.sh's NAME).
lab_vm_running() { command -v VBoxManage >/dev/null && LC_ALL=C VBoxManage list runningvms 2>/dev/null | grep -qF "\"$1\" "; }
