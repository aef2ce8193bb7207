#!/usr/bin/env bash
# Debian packages the tests need on the machine that runs them (CI, a developer's machine):
# QEMU, the image builder (mmdebstrap, and what writes its disk and boot loader), cloud-init seed tools, apt-cacher-ng, shellcheck,
# cloud-init (its `cloud-init schema` checks a droplet's user data offline), tcpdump (reads the pcap files
# `labstack capture` writes), tmux (the first run is typed in a
# terminal and its screens captured). Idempotent and quick when everything is there.
set -euo pipefail

packages=(qemu-system-x86 qemu-utils mmdebstrap fdisk dosfstools mtools syslinux syslinux-common cloud-image-utils apt-cacher-ng shellcheck iproute2 e2fsprogs openssh-client openssh-server curl procps iputils-ping python3 cloud-init tmux tcpdump)
sudo=(); ((EUID == 0)) || sudo=(sudo)
# The tests start their own apt-cacher-ng instances; the package's service must not grab port 3142
# while it is installed: a policy that starts no service, ours by its mark. One that a killed run
# left (no trap runs on SIGKILL) would keep every service of the machine from starting: it goes.
policy=/usr/sbin/policy-rc.d
mark="# labstack scripts/install-deps.sh: removed when it ends"
if [[ -f "$policy" ]] && grep -qxF "$mark" "$policy"; then "${sudo[@]}" rm -f "$policy"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

"${sudo[@]}" apt-get update -q
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\n%s\nexit 101\n' "$mark" | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
# cloud-init is here for its schema check only: installed by this script, it must never run at
# this machine's next boot (it would take the machine for a fresh cloud instance: host keys,
# network, hostname). A machine that had it before keeps it as it was.
if [[ " ${missing[*]} " == *" cloud-init "* && ! -e /etc/cloud/cloud-init.disabled ]]; then
  "${sudo[@]}" mkdir -p /etc/cloud
  "${sudo[@]}" touch /etc/cloud/cloud-init.disabled
fi
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
