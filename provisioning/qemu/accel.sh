#!/usr/bin/env bash
# Decide QEMU's accelerator. `auto` uses KVM only when a guest really boots with it: on some hosts
# /dev/kvm opens but guests hang in the firmware, so its presence proves nothing. The answer is
# cached per host and QEMU version.
# Usage: accel.sh auto|kvm|tcg   Environment: KERNEL/INITRD (direct kernel boot) or BASE_IMAGE
set -euo pipefail

want=${1:-auto}
if [[ "$want" != auto ]]; then echo "$want"; exit 0; fi
if [[ ! -w /dev/kvm ]]; then echo tcg; exit 0; fi

cache=${LABSTACK_CACHE:-$HOME/.cache/labstack}
version=$(qemu-system-x86_64 --version | head -n1 | tr -c 'a-zA-Z0-9.\n' '_')
answer="$cache/accel-$version"
if [[ -f "$answer" ]]; then cat "$answer"; exit 0; fi

mkdir -p "$cache"
# VMs start in parallel; one probe answers for all of them.
exec 9>"$answer.lock"
flock 9
if [[ -f "$answer" ]]; then cat "$answer"; exit 0; fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
probe=(-accel kvm -m 256 -display none -vga none -no-reboot -serial "file:$log")
if [[ -n "${KERNEL:-}" ]]; then
  probe+=(-kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 panic=-1")
else
  probe+=(-snapshot -drive "file=${BASE_IMAGE:?},if=virtio")
fi
timeout 30 qemu-system-x86_64 "${probe[@]}" </dev/null >/dev/null 2>&1 || true
if grep -q "Linux version" "$log"; then echo kvm > "$answer"; else echo tcg > "$answer"; fi
cat "$answer"
