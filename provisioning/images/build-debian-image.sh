#!/usr/bin/env bash
# Build a Debian 12 cloud image (ext4 root on the whole disk, kernel and initrd beside it) with
# mmdebstrap, for machines that cannot download Ubuntu's cloud images (our CI). The result is cached
# under a folder named after the hash of everything that shapes it, so a second run is a lookup.
#
# Usage: build-debian-image.sh [CACHE_DIR]   (default: ${LABSTACK_CACHE:-$HOME/.cache/labstack}/images)
# Prints the image folder (disk.qcow2, vmlinuz, initrd.img) on stdout; progress goes to stderr.
set -euo pipefail

cache_root=${1:-${LABSTACK_CACHE:-$HOME/.cache/labstack}/images}
suite=${LABSTACK_IMAGE_SUITE:-bookworm}
mirror=${LABSTACK_IMAGE_MIRROR:-http://deb.debian.org/debian}
size=${LABSTACK_IMAGE_SIZE:-3G}
packages=systemd-sysv,udev,dbus,openssh-server,sudo,iproute2,iputils-ping,ifupdown,isc-dhcp-client,netbase,kmod,procps,ca-certificates,linux-image-amd64,cloud-init,tcpdump,curl,less,python3

hook="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/customize-debian.sh"
# The hash covers both scripts, so any change to how the image is made makes a new one.
key=$( { cat "$0" "$hook"; echo "$suite $mirror $size $packages"; } | sha256sum | cut -c1-16)
out="$cache_root/debian-12-$key"
if [[ -f "$out/disk.qcow2" && -f "$out/vmlinuz" && -f "$out/initrd.img" ]]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"

echo "building Debian $suite image in $work" >&2
mmdebstrap --variant=minbase --include="$packages" --customize-hook="$hook" \
  "$suite" "$root" "$mirror" >&2

truncate -s "$size" "$work/disk.raw"
mkfs.ext4 -q -L root -d "$root" "$work/disk.raw"
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"

mkdir -p "$out.tmp"
mv "$work/disk.qcow2" "$work/vmlinuz" "$work/initrd.img" "$out.tmp/"
mv "$out.tmp" "$out"
echo "$out"
