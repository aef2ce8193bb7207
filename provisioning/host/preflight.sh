#!/usr/bin/env bash
# Checks the lab host can carry the lab before anything is built on it: enough memory for the
# nodes, and hardware virtualization where the hypervisor needs it (VirtualBox always; QEMU when
# KVM is required, as on a droplet, where TCG would be unusably slow). Changes nothing.
# Usage: preflight.sh up|down
# Environment: MEMORY_MIB (what the lab's VMs need), HYPERVISOR (qemu, virtualbox, or a minikube
#              driver), REQUIRE_KVM (1|0), HOST_KIND (shown in messages)
set -euo pipefail

action=${1:?usage: preflight.sh up|down}
[[ "$action" == down ]] && exit 0
: "${MEMORY_MIB:?}" "${HYPERVISOR:?}"
where="the ${HOST_KIND:-lab} host $(hostname)"

# MemTotal, not MemAvailable: on a re-run the lab's own VMs already hold their memory.
total=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
if ((total < MEMORY_MIB)); then
  echo "preflight: the lab's VMs need ${MEMORY_MIB} MiB of memory but $where has ${total} MiB; use a bigger host or smaller VMs" >&2
  exit 1
fi

hw_virt() { grep -qwE 'vmx|svm' /proc/cpuinfo; }
if [[ "$HYPERVISOR" == virtualbox ]] && ! hw_virt; then
  echo "preflight: VirtualBox needs hardware virtualization but $where shows no vmx/svm CPU flag (on a cloud host: pick one with nested virtualization)" >&2
  exit 1
fi
if [[ "${REQUIRE_KVM:-0}" == 1 ]]; then
  if ! hw_virt || [[ ! -c /dev/kvm ]]; then
    echo "preflight: $where has no usable nested virtualization (vmx/svm flag: $(hw_virt && echo yes || echo no), /dev/kvm: $([[ -c /dev/kvm ]] && echo yes || echo no)); pick a size or region with nested virtualization, or set hypervisor.accel: tcg (slow)" >&2
    exit 1
  fi
fi
echo "preflight: ok: ${total} MiB for ${MEMORY_MIB} MiB of VMs, hypervisor $HYPERVISOR"
