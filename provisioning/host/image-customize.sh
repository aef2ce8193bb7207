#!/usr/bin/env bash
# mmdebstrap customize hook of image-build.sh: $1 is the new root file system. Makes it a
# cloud-init image that any number of nodes can boot: no host keys, no machine id, no Erlang
# cookie of its own; services the lab configures per node disabled until their step enables them.
# Environment: SERVICES_OFF (systemd units to disable)
set -euo pipefail
root=${1:?usage: image-customize.sh ROOT}

echo localhost > "$root/etc/hostname"
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > "$root/etc/fstab"
mkdir -p "$root/etc/cloud/cloud.cfg.d"
printf 'datasource_list: [ NoCloud, None ]\n' > "$root/etc/cloud/cloud.cfg.d/90-datasource.cfg"
# minbase has no locales package, and cloud-init's locale module would mark every boot as failed.
sed -i '/^ - locale$/d' "$root/etc/cloud/cloud.cfg"
if [[ -d "$root/etc/network" ]]; then
  printf 'auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n' > "$root/etc/network/interfaces"
fi
# Per-VM identity is made at first boot: sshd host keys by cloud-init, the machine id by systemd,
# RabbitMQ's Erlang cookie by its first start.
rm -f "$root"/etc/ssh/ssh_host_* "$root/var/lib/dbus/machine-id" "$root/var/lib/rabbitmq/.erlang.cookie"
: > "$root/etc/machine-id"
for unit in ${SERVICES_OFF:-}; do
  if [[ -e "$root/lib/systemd/system/$unit.service" ]]; then chroot "$root" systemctl disable --quiet "$unit"; fi
done
cp "$root"/boot/vmlinuz-* "$root/../vmlinuz"
cp "$root"/boot/initrd.img-* "$root/../initrd.img"
