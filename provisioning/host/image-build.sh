#!/usr/bin/env bash
# Builds a bootable cloud-init image on the lab host from a distribution's package mirror with
# mmdebstrap, the lab's packages installed at the host's native speed (a "baked" image: booting a
# node then only configures it). Services the lab configures per node stay disabled in the image.
# The result is cached under a key of everything that shapes it (this script, its customize hook,
# distribution, release, mirror, size, packages), so another `up`, a reset or another stack with
# the same inputs reuses it; `down` never removes it (see README, "Image cache").
# The disk boots on its own (an MBR with syslinux, partition 1 a small FAT boot partition with the
# kernel, partition 2 the root file system labelled root), so a hypervisor that only boots disks
# (VirtualBox) boots it; QEMU boots the kernel beside it directly, which skips the firmware's and
# boot loader's share of a boot under TCG. Nothing is mounted: mkfs, mtools and syslinux write at
# an offset into the disk file.
# Prints the image's disk (disk.qcow2; vmlinuz and initrd.img lie beside it).
# Usage: image-build.sh
# Environment: DISTRO (debian|ubuntu), RELEASE (bookworm, noble, ...), MIRROR (optional),
#              SIZE_GIB, PACKAGES (space-separated, baked in), SERVICES_OFF (units to disable),
#              APT_PROXY (optional HTTP proxy for the downloads: the lab's APT cache), CACHE_DIR
set -euo pipefail

# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
# mmdebstrap's chroot mode and the image's root-owned files need root.
as_root "$@"
: "${DISTRO:?}" "${RELEASE:?}" "${SIZE_GIB:?}" "${CACHE_DIR:?}"
hook="$LABSTACK_DIR/host/image-customize.sh"

mirror=${MIRROR:-$(default_mirror "$DISTRO")}
case "$DISTRO" in
  debian)
    base=linux-image-amd64,ifupdown,isc-dhcp-client
    components=main ;;
  ubuntu)
    base=linux-image-virtual,netplan.io
    components=main,universe ;;
  *) echo "image.build.distro: unknown distribution '$DISTRO'" >&2; exit 2 ;;
esac
# What the labs' nodes need besides the lab kind's own packages: cloud-init with a NoCloud seed,
# SSH, sudo, iproute2 and the tools the networking checks use; growpart to fill a bigger disk.
base+=,systemd-sysv,udev,dbus,openssh-server,sudo,iproute2,iputils-ping,netbase,kmod,procps,ca-certificates,cloud-init,cloud-guest-utils,tcpdump,curl,less,python3
packages=$base${PACKAGES:+,${PACKAGES// /,}}

key=$({ cat "$0" "$hook"; echo "$DISTRO $RELEASE $mirror $SIZE_GIB $packages ${SERVICES_OFF:-}"; } | sha256sum | cut -c1-16)
out="$CACHE_DIR/$DISTRO-$RELEASE-$key"
mkdir -p "$CACHE_DIR"
# Two labs may build the same image at once: one builds, the other waits and reuses it.
exec 9>"$out.lock"
flock 9
if [[ -f "$out/disk.qcow2" && -f "$out/vmlinuz" && -f "$out/initrd.img" ]]; then
  echo "$out/disk.qcow2"
  exit 0
fi

for tool in mmdebstrap:mmdebstrap sfdisk:fdisk mkfs.fat:dosfstools mcopy:mtools syslinux:syslinux; do
  command -v "${tool%%:*}" >/dev/null || { echo "image.build needs ${tool%%:*} on the lab host (apt-get install ${tool#*:})" >&2; exit 1; }
done
mbr=/usr/lib/syslinux/mbr/mbr.bin
[[ -f "$mbr" ]] || { echo "image.build needs syslinux's MBR boot code $mbr (apt-get install syslinux-common)" >&2; exit 1; }
# Removes a build folder with what mmdebstrap may have mounted in it (deepest first); rm stays on
# this file system, so a mount that would not go is never emptied through.
clear_build() {
  local mnt
  while read -r mnt; do umount -l "$mnt" || true; done < <(awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$1" || echo "labstack: could not remove the build folder $1 (see above)" >&2
}
# A build folder names the image it builds. One whose image's lock nobody holds is a build killed
# half-way (SIGKILL skips the trap; mmdebstrap keeps the lock's descriptor while it runs), of this
# image or another: it goes. A folder without a name is an older release's, left to the user.
for stale in "$CACHE_DIR"/.build-*; do
  [[ -d "$stale" ]] || continue
  name=${stale##*/.build-}
  if [[ "$name" != *.* ]]; then
    echo "labstack: $stale is an earlier release's unfinished image build; remove it with: sudo rm -rf --one-file-system $stale" >&2
    continue
  fi
  name=${name%.*}
  if [[ "$name" != "${out##*/}" && -e "$CACHE_DIR/$name.lock" ]] && ! flock -n "$CACHE_DIR/$name.lock" true; then continue; fi
  clear_build "$stale"
done
work=$(mktemp -d "$CACHE_DIR/.build-${out##*/}.XXXXXX")
trap 'clear_build "$work"' EXIT
# apt reads the proxy from the environment, so it never lands in the image's own apt config.
if [[ -n "${APT_PROXY:-}" ]]; then export http_proxy=$APT_PROXY; fi
echo "building $DISTRO $RELEASE image from $mirror with: ${PACKAGES:-no extra packages}" >&2
# mmdebstrap hands apt a pipe by its number (`cat >&N`, run by dash), and dash takes one-digit
# descriptors only: descriptors this script inherited (from a terminal's session, the engine) can
# push that pipe to 10 and fail the build ("Bad fd number"). Only the standard ones and the lock
# stay open.
for fd in "/proc/$$/fd"/*; do
  fd=${fd##*/}
  if ((fd > 2 && fd != 9)); then eval "exec $fd>&-"; fi
done
SERVICES_OFF=${SERVICES_OFF:-} progress "building the $DISTRO $RELEASE image" mmdebstrap --variant=minbase --components="$components" --include="$packages" \
  --customize-hook="$hook" "$RELEASE" "$work/root" "$mirror" >&2

# Sectors of 512 bytes: the boot partition from 1 MiB, 64 MiB long, the root file system after it.
boot_start=2048 boot_sectors=131072
root_start=$((boot_start + boot_sectors))
disk="$work/disk.raw"
truncate -s "${SIZE_GIB}G" "$disk"
root_kib=$(($(stat -c %s "$disk") / 1024 - root_start / 2))
printf 'label: dos\nstart=%d, size=%d, type=e, bootable\nstart=%d, type=83\n' "$boot_start" "$boot_sectors" "$root_start" | sfdisk -q "$disk"
dd if="$mbr" of="$disk" bs=440 count=1 conv=notrunc status=none
# Given a size, mkfs.fat warns that the file is bigger than it: only its errors are shown.
fat=$(mkfs.fat -F 16 -n LABBOOT --offset "$boot_start" "$disk" $((boot_sectors / 2)) 2>&1) || { echo "$fat" >&2; exit 1; }
cat > "$work/syslinux.cfg" <<'CFG'
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=root rw console=tty0 console=ttyS0 quiet
CFG
mcopy -i "$disk@@$((boot_start * 512))" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/
syslinux --install --offset $((boot_start * 512)) "$disk"
mkfs.ext4 -q -L root -E offset=$((root_start * 512)) -d "$work/root" "$disk" "${root_kib}k"
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
printf '%s\n' "${packages//,/$'\n'}" > "$work/packages.txt"

mkdir -p "$out"
mv "$work/disk.qcow2" "$work/vmlinuz" "$work/initrd.img" "$work/packages.txt" "$out/"
# The cache is the user's (sudo ran this as root): they prune it without sudo.
if [[ -n "${SUDO_UID:-}" ]]; then chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$out" "$out.lock"; fi
echo "labstack: changed built image $out" >&2
echo "$out/disk.qcow2"
