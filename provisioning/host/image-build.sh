#!/usr/bin/env bash
# Builds a bootable cloud-init image on the lab host from a distribution's package mirror with
# mmdebstrap, the lab's packages installed at the host's native speed (a "baked" image: booting a
# node then only configures it). Services the lab configures per node stay disabled in the image.
# The result is cached under a key of everything that shapes it (this script, its customize hook,
# distribution, release, mirror, size, packages), so another `up`, a reset or another stack with
# the same inputs reuses it; `down` never removes it (see README, "Image cache").
# Prints the image's disk (disk.qcow2; vmlinuz and initrd.img lie beside it).
# Usage: image-build.sh
# Environment: DISTRO (debian|ubuntu), RELEASE (bookworm, noble, ...), MIRROR (optional),
#              SIZE_GIB, PACKAGES (space-separated, baked in), SERVICES_OFF (units to disable),
#              APT_PROXY (optional HTTP proxy for the downloads: the lab's APT cache), CACHE_DIR
set -euo pipefail

# mmdebstrap's chroot mode and the image's root-owned files need root.
((EUID == 0)) || exec sudo -n --preserve-env bash "$0" "$@"
: "${DISTRO:?}" "${RELEASE:?}" "${SIZE_GIB:?}" "${CACHE_DIR:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hook="$here/image-customize.sh"

case "$DISTRO" in
  debian)
    mirror=${MIRROR:-}
    if [[ -z "$mirror" ]]; then
      # The mirror the host already uses, as apt-cacher-ng does (host/apt-cache.sh).
      mirror=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 | tr -d ' ' || true)
      mirror=${mirror:-http://deb.debian.org/debian}
    fi
    base=linux-image-amd64,ifupdown,isc-dhcp-client
    components=main ;;
  ubuntu)
    mirror=${MIRROR:-http://archive.ubuntu.com/ubuntu}
    base=linux-image-virtual,netplan.io
    components=main,universe ;;
  *) echo "image.build.distro: unknown distribution '$DISTRO'" >&2; exit 2 ;;
esac
# What the labs' nodes need besides the lab kind's own packages: cloud-init with a NoCloud seed,
# SSH, sudo, iproute2 and the tools the networking checks use.
base+=,systemd-sysv,udev,dbus,openssh-server,sudo,iproute2,iputils-ping,netbase,kmod,procps,ca-certificates,cloud-init,tcpdump,curl,less,python3
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

command -v mmdebstrap >/dev/null || { echo "image.build needs mmdebstrap on the lab host (apt-get install mmdebstrap)" >&2; exit 1; }
work=$(mktemp -d "$CACHE_DIR/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt reads the proxy from the environment, so it never lands in the image's own apt config.
if [[ -n "${APT_PROXY:-}" ]]; then export http_proxy=$APT_PROXY; fi
echo "building $DISTRO $RELEASE image from $mirror with: ${PACKAGES:-no extra packages}" >&2
SERVICES_OFF=${SERVICES_OFF:-} mmdebstrap --variant=minbase --components="$components" --include="$packages" \
  --customize-hook="$hook" "$RELEASE" "$work/root" "$mirror" >&2

truncate -s "${SIZE_GIB}G" "$work/disk.raw"
mkfs.ext4 -q -L root -d "$work/root" "$work/disk.raw"
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
printf '%s\n' "${packages//,/$'\n'}" > "$work/packages.txt"

mkdir -p "$out"
mv "$work/disk.qcow2" "$work/vmlinuz" "$work/initrd.img" "$work/packages.txt" "$out/"
# The cache is the user's (sudo ran this as root): they prune it without sudo.
if [[ -n "${SUDO_UID:-}" ]]; then chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$out" "$out.lock"; fi
echo "labstack: changed built image $out" >&2
echo "$out/disk.qcow2"
