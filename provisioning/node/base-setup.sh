#!/usr/bin/env bash
# Base setup of every node (the seed's nodeSetup role): cloud-init off once it is done, explicit
# /etc/hosts, APT proxy to the lab host's cache, Ubuntu Cloud Archive on Ubuntu, unnumbered lab
# NICs up, the OpenStack client.
# Environment:
#   HOSTS               lines "ip name" for every node, management addresses (empty: leave /etc/hosts)
#   APT_PROXY_URL       e.g. http://192.168.1.1:3142; empty removes the proxy
#   CLOUD_ARCHIVE       UCA release (e.g. caracal), Ubuntu only; ignored elsewhere
#   NIC_NAMES           records (lib/records.sh) mac= name=: the name each NIC answers to
#   UNNUMBERED_DEVICES  NICs to bring up without an address (e.g. "enp0s9")
#   PACKAGES            packages every node needs (e.g. python3-openstackclient)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

# cloud-init writes result.json when it is done (the readiness gate waits for the same). Then its
# work on this node is over: the seed a VM was made with stays its seed (a new seed is a new VM),
# so later boots skip cloud-init, which took 22-30 s of each under TCG with the network waiting
# behind it. The readiness gate knows a boot without it by this file.
if command -v cloud-init >/dev/null && [[ ! -e /etc/cloud/cloud-init.disabled ]]; then
  wait_for 600 "cloud-init to finish" test -e /run/cloud-init/result.json
  put /etc/cloud/cloud-init.disabled "# labstack: the seed was applied at this node's first boot" || true
fi

# /etc/hosts: the management address first and only, never the 127.0.1.1 alias, which makes a
# node resolve its own name to loopback while its services listen on the management address.
if [[ -n "${HOSTS:-}" ]]; then
  names=$(awk 'NF == 2 { print $2 }' <<< "$HOSTS")
  kept=$(awk -v names="$names" '
    BEGIN { n = split(names, list, "\n"); for (i = 1; i <= n; i++) skip[list[i]] = 1 }
    /^# BEGIN labstack/ { inblock = 1; next }
    /^# END labstack/ { inblock = 0; next }
    inblock || $1 == "127.0.1.1" { next }
    { for (i = 2; i <= NF; i++) if ($i in skip) next; print }' /etc/hosts)
  put /etc/hosts "$kept
# BEGIN labstack
$HOSTS
# END labstack" || true
fi

if [[ -n "${APT_PROXY_URL:-}" ]]; then
  put /etc/apt/apt.conf.d/71proxy "Acquire::http { Proxy \"$APT_PROXY_URL\"; };" && unset LABSTACK_APT_UPDATED
elif [[ -f /etc/apt/apt.conf.d/71proxy ]]; then
  rm -f /etc/apt/apt.conf.d/71proxy
  changed "removed APT proxy"
fi

. /etc/os-release
if [[ "$ID" == ubuntu && -n "${CLOUD_ARCHIVE:-}" ]]; then
  ensure_packages ubuntu-cloud-keyring
  if put "/etc/apt/sources.list.d/cloudarchive-$CLOUD_ARCHIVE.list" \
    "deb http://ubuntu-cloud.archive.canonical.com/ubuntu $VERSION_CODENAME-updates/$CLOUD_ARCHIVE main"; then
    unset LABSTACK_APT_UPDATED
  fi
fi

# A NIC answers to the name the posts use (enp0s8). A QEMU VM made before its NICs sat on
# VirtualBox's slots calls them ens3, ens4, ... (qemu/vm.sh keeps its layout); it gets the posts'
# names as altnames, which ip, tcpdump and every interface lookup accept, now and at each boot.
physical_nic() {
  local dev
  for dev in /sys/class/net/*; do
    if [[ -e "$dev/device" && "$(<"$dev/address")" == "$1" ]]; then
      echo "${dev##*/}"
      return 0
    fi
  done
  return 1
}
# After 80-net-setup-link.rules, where $name is the name the NIC gets.
altname_rules=/etc/udev/rules.d/81-labstack-nic-names.rules rules=""
while read -r line; do
  record "$line"
  want=${field[name]}
  have=$(physical_nic "${field[mac]}") || { echo "no NIC with MAC ${field[mac]} (for $want)" >&2; exit 1; }
  [[ "$have" != "$want" ]] || continue
  rules+="SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"${field[mac]}\", RUN+=\"/bin/sh -c 'ip link property add dev \$name altname $want'\""$'\n'
  if ! ip -o link show dev "$want" >/dev/null 2>&1; then
    ip link property add dev "$have" altname "$want"
    changed "named $have $want too (altname), as the posts call it"
  fi
done < <(records "${NIC_NAMES:-}")
if [[ -n "$rules" ]]; then
  put "$altname_rules" "${rules%$'\n'}" || true
elif [[ -f "$altname_rules" ]]; then
  rm -f "$altname_rules"
  changed "removed the NICs' altname rules"
fi

for dev in ${UNNUMBERED_DEVICES:-}; do
  if ! ip -o link show dev "$dev" | grep -q ',UP'; then
    ip link set dev "$dev" up
    changed "brought up $dev"
  fi
  if [[ -d /etc/network/interfaces.d ]]; then
    put "/etc/network/interfaces.d/90-labstack-$dev" "auto $dev
iface $dev inet manual
  up ip link set dev \$IFACE up" || true
  elif [[ -d /etc/netplan ]]; then
    put "/etc/netplan/90-labstack-$dev.yaml" "network:
  version: 2
  ethernets:
    $dev:
      dhcp4: false
      link-local: []" 0600 && netplan apply
  fi
done

# shellcheck disable=SC2086 # one word per package
[[ -z "${PACKAGES:-}" ]] || ensure_packages $PACKAGES
