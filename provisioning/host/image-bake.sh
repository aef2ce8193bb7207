#!/usr/bin/env bash
# Bakes a downloaded (or local) cloud image: a lab kind's packages installed once, so a node, a
# reset or another stack of the same kind only configures. Any image, any hypervisor: a builder VM
# under QEMU boots the image on the lab host, the nodes' own base setup (node/base-setup.sh: APT
# proxy, Cloud Archive, packages) runs in it over SSH, the services the nodes' steps enable are
# disabled, the builder forgets its identity (cloud-init's instance, machine id, host keys, its
# SSH key) and powers off. Its disk, flattened to qcow2, is the nodes' base image (VirtualBox's
# vm.sh converts it like any cloud image). A mounted chroot would skip the boot, but it needs root
# and each image's partition layout (Ubuntu's /boot, EFI and BIOS partitions); the builder does
# what a node does, so what works on a node works here.
# The result is cached beside the base under a key of everything that shapes it (the base, this
# script, the base setup, packages, services, Cloud Archive, disk size): another `up`, a reset or
# another stack with the same inputs reuses it, and `down` never removes it (README, "Image cache").
# Prints the baked image's path.
# Usage: image-bake.sh BASE_IMAGE
# Environment: PACKAGES (space-separated), SERVICES_OFF (units), APT_PROXY (the lab's APT cache,
#              optional), CLOUD_ARCHIVE (optional), DISK_GIB (the builder's disk: no bigger than
#              the smallest node's), KERNEL/INITRD/APPEND (images without a boot loader),
#              ACCEL (auto|kvm|tcg), CACHE_DIR, TIMEOUT (seconds, default 3600)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

base=${1:?usage: image-bake.sh BASE_IMAGE}
: "${PACKAGES:?}" "${DISK_GIB:?}" "${CACHE_DIR:?}"
# What the builder runs: the nodes' own base setup with the libraries it sources.
node_scripts=(lib node/base-setup.sh)

# A downloaded image is named by its SHA-256 (image.sh); a local one is hashed.
identity=$(basename "$base" .img)
[[ "$identity" =~ ^[0-9a-f]{64}$ ]] || identity=$(sha256sum "$base" | cut -d' ' -f1)
key=$({
  printf '%s\n' "$identity" "$PACKAGES" "${SERVICES_OFF:-}" "${CLOUD_ARCHIVE:-}" "$DISK_GIB" "${KERNEL:-}" "${INITRD:-}" "${APPEND:-}"
  cat "$0" "$LABSTACK_DIR/lib/common.sh" "$LABSTACK_DIR/lib/node.sh" "$LABSTACK_DIR/lib/records.sh" "$LABSTACK_DIR/node/base-setup.sh"
} | sha256sum | cut -c1-16)
out="$CACHE_DIR/baked-$key"
if [[ -f "$out/disk.qcow2" ]]; then echo "$out/disk.qcow2"; exit 0; fi

# Two stacks baking the same image: one bakes, the other waits and reuses it. A work folder whose
# key nobody holds the lock of is a bake killed half-way (of this or an older key): cleared, with
# its builder VM. QEMU gets no copy of the lock's descriptor (9>&- below), so a builder left behind
# never holds it.
mkdir -p "$CACHE_DIR"
exec 9>"$out.lock"
flock 9
if [[ -f "$out/disk.qcow2" ]]; then echo "$out/disk.qcow2"; exit 0; fi
for stale in "$CACHE_DIR"/.bake-*.*; do
  [[ -d "$stale" ]] || continue
  stale_key=${stale##*/.bake-}
  stale_key=${stale_key%%.*}
  if [[ "$stale_key" != "$key" ]] && ! flock -n "$CACHE_DIR/baked-$stale_key.lock" true; then continue; fi
  stop_daemon "$stale/qemu.pid" "-pidfile $stale/qemu.pid"
  rm -rf "$stale"
done
work=$(mktemp -d "$CACHE_DIR/.bake-$key.XXXXXX")
pidfile="$work/qemu.pid"
trap 'stop_daemon "$pidfile" "-pidfile $pidfile"; rm -rf "$work"' EXIT
echo "baking $PACKAGES into $base (a builder VM; once per package set)" >&2

# The image's own format: newer qemu-img also lists its file's ("file format: file", indented).
format=$(qemu-img info -U "$base" | awk '/^file format:/ { print $3; exit }')
qemu-img create -q -f qcow2 -b "$base" -F "$format" "$work/disk.qcow2" "${DISK_GIB}G"
ssh-keygen -q -t ed25519 -N '' -C labstack-bake -f "$work/key"
# Root with the builder's key and nothing else: no default user to remove afterwards. dsmode
# local: a built image has no cloud-init network stage (image-customize.sh).
cat > "$work/user-data" <<EOF
#cloud-config
users: []
disable_root: false
ssh_pwauth: false
ssh_authorized_keys: [$(cat "$work/key.pub")]
EOF
printf 'instance-id: labstack-bake-%s\nlocal-hostname: labstack-bake\ndsmode: local\n' "$key" > "$work/meta-data"
cloud-localds "$work/seed.img" "$work/user-data" "$work/meta-data"

# shellcheck disable=SC2054 # QEMU option values are comma-separated on purpose
args=(-name labstack-bake -machine pc -m 1024 -smp "$(($(nproc) > 1 ? 2 : 1))" -display none -vga none
  -serial "file:$work/serial.log" -daemonize -pidfile "$pidfile"
  -drive "file=$work/disk.qcow2,if=virtio,format=qcow2,discard=unmap"
  -drive "file=$work/seed.img,if=virtio,format=raw,readonly=on"
  -object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0)
# On a remote host the image step runs as root (a droplet's user): the builder drops to nobody.
qemu_runas args
if [[ -n "${KERNEL:-}" ]]; then args+=(-kernel "$KERNEL" -initrd "${INITRD:?INITRD goes with KERNEL}" -append "${APPEND:-root=/dev/vda rw console=ttyS0}"); fi
accel=${ACCEL:-auto}
# KVM and running VirtualBox VMs cannot both hold the CPU's virtualization extensions (a re-bake
# runs while the lab's VMs are still up): then the builder runs under TCG.
# (VBoxManage may start VirtualBox's service daemon, which must not inherit the bake's lock.)
if [[ "$accel" == auto ]] && command -v VBoxManage >/dev/null && [[ -n "$(VBoxManage list runningvms 2>/dev/null 9>&-)" ]]; then accel=tcg; fi
accel=$(KERNEL="${KERNEL:-}" INITRD="${INITRD:-}" BASE_IMAGE="$base" "$LABSTACK_DIR/qemu/accel.sh" "$accel")
# A free port for the SSH forward; another process may take it before QEMU binds it, so a failed
# start tries another.
port=
for _ in 1 2 3; do
  candidate=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue
  if "${CLEAN_ENV[@]}" qemu-system-x86_64 -accel "$accel" "${args[@]}" \
    -netdev "user,id=nat,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:$candidate-:22" -device virtio-net-pci,netdev=nat </dev/null 9>&-; then
    port=$candidate
    break
  fi
done
[[ -n "$port" ]] || { echo "the builder VM did not start (see the QEMU errors above)" >&2; exit 1; }

timeout=${TIMEOUT:-3600}
if ! PORT=$port TIMEOUT=$timeout "$LABSTACK_DIR/host/wait-ssh.sh" up >&2; then tail -n 40 "$work/serial.log" >&2; exit 1; fi
ssh_opts=(-q -i "$work/key" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10)
# The proxy reaches APT through its environment, never the builder's disk: a proxy URL may hold a
# password, and a deleted file's blocks would travel in the image to every node.
params=$(printf 'export %s=%q\n' APT_PROXY_URL "" http_proxy "${APT_PROXY:-}" CLOUD_ARCHIVE "${CLOUD_ARCHIVE:-}" PACKAGES "$PACKAGES" SERVICES_OFF "${SERVICES_OFF:-}")
# The nodes' base setup with its libraries (as a node step's bundle carries them), then the seal;
# in a function, so nothing that reads stdin eats the rest of the program. The node's own base
# setup writes its proxy.
{
  echo "labstack_bake() {"
  echo "set -euo pipefail"
  echo "$params"
  # shellcheck disable=SC2016 # expanded on the builder, not here
  echo 'LABSTACK_DIR=$(mktemp -d); export LABSTACK_DIR'
  # shellcheck disable=SC2016
  printf 'base64 -d <<< %q | tar -xz -C "$LABSTACK_DIR"\n' "$(tar -C "$LABSTACK_DIR" -cz "${node_scripts[@]}" | base64 -w0)"
  # shellcheck disable=SC2016
  echo 'bash "$LABSTACK_DIR/node/base-setup.sh" up; rm -rf "$LABSTACK_DIR"'
  cat <<'SEAL'
for unit in $SERVICES_OFF; do
  if systemctl cat "$unit" >/dev/null 2>&1; then systemctl disable --now --quiet "$unit"; fi
done
apt-get clean
rm -f /var/lib/rabbitmq/.erlang.cookie /var/lib/dbus/machine-id
# The base setup turned cloud-init off for the builder's later boots: each node's first needs it.
rm -f /etc/cloud/cloud-init.disabled
cloud-init clean --logs
: > /etc/machine-id
}
labstack_bake </dev/null
SEAL
} | timeout "$timeout" ssh "${ssh_opts[@]}" root@127.0.0.1 bash -s >&2
# sshd reads its host keys at each connection: they go last, with the builder's key. The connection
# may end before its status arrives, so the power-off is not checked here; QEMU's end is.
ssh "${ssh_opts[@]}" root@127.0.0.1 'rm -f /etc/ssh/ssh_host_* /root/.ssh/authorized_keys; sync; systemctl poweroff --no-block' >&2 || true

# Powering off ends QEMU; its disk is then complete.
deadline=$((SECONDS + 300))
while daemon_pid "$pidfile" "-pidfile $pidfile" >/dev/null; do
  ((SECONDS < deadline)) || { echo "the builder VM did not power off" >&2; exit 1; }
  sleep 1
done
qemu-img convert -O qcow2 "$work/disk.qcow2" "$work/baked.qcow2"
rm -rf "$out.part"
mkdir -p "$out.part"
mv "$work/baked.qcow2" "$out.part/disk.qcow2"
# shellcheck disable=SC2086 # one package a line
printf '%s\n' $PACKAGES > "$out.part/packages.txt"
rm -rf "$out"
mv "$out.part" "$out"
echo "$out/disk.qcow2"
