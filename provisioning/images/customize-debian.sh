#!/usr/bin/env bash
# mmdebstrap customize hook for build-debian-image.sh: $1 is the new root file system.
set -euo pipefail
root=${1:?usage: customize-debian.sh ROOT}

echo localhost > "$root/etc/hostname"
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > "$root/etc/fstab"
mkdir -p "$root/etc/cloud/cloud.cfg.d"
printf 'datasource_list: [ NoCloud, None ]\n' > "$root/etc/cloud/cloud.cfg.d/90-datasource.cfg"
# minbase has no locales package, and cloud-init's locale module would mark every boot as failed.
sed -i '/^ - locale$/d' "$root/etc/cloud/cloud.cfg"
printf 'auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n' > "$root/etc/network/interfaces"
# sshd host keys are made per VM by cloud-init; an image must not give every VM the same key.
rm -f "$root"/etc/ssh/ssh_host_*
cp "$root"/boot/vmlinuz-* "$root/../vmlinuz"
cp "$root"/boot/initrd.img-* "$root/../initrd.img"
