#!/usr/bin/env bash
# mmdebstrap customize hook of image-build.sh: $1 is the new root file system. Makes it a
# cloud-init image that any number of nodes can boot: no host keys, no machine id, no Erlang
# cookie of its own; services the lab configures per node disabled until their step enables them.
# Environment: SERVICES_OFF (systemd units to disable)
set -euo pipefail
root=${1:?usage: image-customize.sh ROOT}

echo localhost > "$root/etc/hostname"
# By label: QEMU shows the disk as vda, VirtualBox as sda (image-build.sh labels the partition).
printf 'LABEL=root / ext4 defaults,errors=remount-ro 0 1\n' > "$root/etc/fstab"
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
# SERVICES_OFF names whole units: a service's socket (mariadb.socket) would otherwise listen on
# every address from the first boot, whatever the node's step configures.
for unit in ${SERVICES_OFF:-}; do
  if [[ -e "$root/lib/systemd/system/$unit" ]]; then chroot "$root" systemctl disable --quiet "$unit"; fi
done
# Nothing a lab node needs at boot: e2scrub_reap alone took 33-108 s under TCG on the way to
# cloud-final, and the apt timers would take dpkg's lock in the middle of provisioning.
for unit in e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer fstrim.timer; do
  if [[ -e "$root/lib/systemd/system/$unit" ]]; then chroot "$root" systemctl disable --quiet "$unit"; fi
done
# Early units a lab node never uses (modules for displays, EFI, FUSE, loop and device-mapper
# disks, foreign binaries, debug and trace file systems, huge pages): each took about a second of
# an early boot under TCG. The kernel still loads a module when something asks for it.
chroot "$root" systemctl mask --quiet modprobe@drm.service modprobe@efi_pstore.service modprobe@fuse.service modprobe@loop.service \
  modprobe@dm_mod.service modprobe@configfs.service systemd-binfmt.service sys-kernel-debug.mount sys-kernel-tracing.mount dev-hugepages.mount
# Under TCG every cloud-init stage pays a Python start (3-10 s of a boot, more on a busy host); a
# lab seed needs only these modules (final-message writes boot-finished, which readiness waits for).
cat > "$root/etc/cloud/cloud.cfg.d/91-labstack-modules.cfg" <<'CFG'
cloud_init_modules: [growpart, resizefs, set_hostname, update_hostname, users-groups, ssh]
cloud_config_modules: []
cloud_final_modules: [final-message]
CFG
# The config stage has nothing left to run, and the network stage neither: the seed's dsmode local
# (plan/cloudinit.ts) has the first stage run the init modules. cloud-init.target wants both, so
# only masking skips them. The final stage stays: it writes result.json, which readiness and
# `cloud-init status` read. Without the network stage in its way, sysinit.target no longer waits
# for DHCP on the NAT NIC either.
chroot "$root" systemctl mask --quiet cloud-config.service cloud-init.service
# The seed's ssh_pwauth: false, without set-passwords, which edits sshd_config and restarts sshd.
sed -i 's/^#\?PasswordAuthentication .*/PasswordAuthentication no/' "$root/etc/ssh/sshd_config"
# An initramfs with the modules that find the root file system on the disks our hypervisors give
# (virtio for QEMU, AHCI/SATA for VirtualBox), not most of the kernel's: unpacking and probing the
# rest took seconds of every boot under TCG.
printf '%s\n' virtio_pci virtio_blk ahci sd_mod ext4 > "$root/etc/initramfs-tools/modules"
printf 'MODULES=list\n' > "$root/etc/initramfs-tools/conf.d/labstack.conf"
chroot "$root" update-initramfs -u -k all >/dev/null
cp "$root"/boot/vmlinuz-* "$root/../vmlinuz"
cp "$root"/boot/initrd.img-* "$root/../initrd.img"
