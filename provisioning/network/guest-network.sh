#!/usr/bin/env bash
# The networking labs' devices inside a node, with iproute2 (no brctl/vconfig/ifconfig). A device
# that exists with other settings is deleted and made again (as the seed's playbooks do); one that
# matches is left alone, so a second run changes nothing. `status` changes nothing and says what
# is no longer as planned (a bridge a learner took down).
# Usage: guest-network.sh [up|status]
# Environment: one device a line, as `key=value` fields (lib.sh's record; [optional]):
#   BRIDGES  name [ip] ports=a,b          a Linux bridge; ports lose their addresses and go promiscuous
#   VLANS    parent id ip                 parent.id, an 802.1Q device
#   VXLANS   name vni dev remote|group [ttl] port ip
#   TUNNELS  name kind=gretap|geneve dev remote [id] ip   (id: gretap's key, geneve's VNI, default 1)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
action=${1:-up}

# about_to CHANGE: in `status`, a change still to make is the drift to report.
about_to() { [[ "$action" != status ]] || drifted "$*"; }

exists() { ip link show dev "$1" >/dev/null 2>&1; }

# ensure_device NAME WANT CREATE...: WANT is a pattern `ip -d link show` must match; else recreate.
ensure_device() {
  local name=$1 want=$2; shift 2
  if exists "$name" && ip -d link show dev "$name" | grep -qE -- "$want"; then return 0; fi
  about_to "$name is missing or not as planned"
  if exists "$name"; then ip link del dev "$name"; changed "removed $name (settings differ)"; fi
  "$@"
  changed "created $name"
}

ensure_up() {
  ip -o link show dev "$1" | grep -q ',UP' && return 0
  about_to "$1 is down"
  ip link set dev "$1" up
  changed "brought up $1"
}

ensure_address() { # ensure_address DEV IP/PREFIX
  ip -o -4 addr show dev "$1" | grep -qw "inet $2" && return 0
  about_to "$1 has not got $2"
  ip addr add "$2" dev "$1"
  changed "address $2 on $1"
}

need_module() { modprobe "$1" 2>/dev/null || true; }

while read -r line; do
  record "$line"
  name=${field[name]}
  ensure_device "$name" "bridge " ip link add name "$name" type bridge
  for port in ${field[ports]//,/ }; do
    if [[ -n "$(ip -o -4 addr show dev "$port")" ]]; then about_to "$port has addresses"; ip addr flush dev "$port"; changed "flushed addresses of $port"; fi
    if ! ip -d link show dev "$port" | grep -q 'promiscuity [1-9]'; then about_to "$port is not promiscuous"; ip link set dev "$port" promisc on; changed "$port promiscuous"; fi
    if ! ip -o link show dev "$port" | grep -q "master $name "; then about_to "$port is not a port of $name"; ip link set dev "$port" master "$name"; changed "$port joined $name"; fi
    ensure_up "$port"
  done
  [[ -z "${field[ip]:-}" ]] || ensure_address "$name" "${field[ip]}"
  ensure_up "$name"
done < <(records "${BRIDGES:-}")

# VLAN devices on a parent that the lab no longer lists go first (moving a box to another VLAN).
declare -A wanted_vlans=()
while read -r line; do
  record "$line"
  wanted_vlans[${field[parent]}.${field[id]}]=${field[parent]}
done < <(records "${VLANS:-}")
for parent in $(printf '%s\n' "${wanted_vlans[@]}" | sort -u); do
  for dev in $(ip -o link show type vlan | awk -F': ' '{ print $2 }' | cut -d@ -f1 | grep "^$parent\." || true); do
    [[ -v "wanted_vlans[$dev]" ]] && continue
    about_to "$dev is not planned"
    ip link del dev "$dev"
    changed "removed $dev"
  done
done

while read -r line; do
  record "$line"
  parent=${field[parent]} id=${field[id]}
  need_module 8021q
  ensure_device "$parent.$id" "vlan protocol 802.1Q id $id " ip link add link "$parent" name "$parent.$id" type vlan id "$id"
  ensure_address "$parent.$id" "${field[ip]}"
  ensure_up "$parent.$id"
done < <(records "${VLANS:-}")

while read -r line; do
  record "$line"
  name=${field[name]} vni=${field[vni]} dev=${field[dev]} port=${field[port]}
  need_module vxlan
  args=(id "$vni" dstport "$port" dev "$dev")
  if [[ -n "${field[remote]:-}" ]]; then
    args+=(remote "${field[remote]}"); want="vxlan id $vni remote ${field[remote]} dev $dev .*dstport $port"
  else
    args+=(group "${field[group]}"); want="vxlan id $vni group ${field[group]} dev $dev .*dstport $port"
    [[ -z "${field[ttl]:-}" ]] || { args+=(ttl "${field[ttl]}"); want+=".*ttl ${field[ttl]}"; }
  fi
  ensure_device "$name" "$want" ip link add "$name" type vxlan "${args[@]}"
  ensure_address "$name" "${field[ip]}"
  ensure_up "$name"
done < <(records "${VXLANS:-}")

while read -r line; do
  record "$line"
  name=${field[name]} kind=${field[kind]} remote=${field[remote]} id=${field[id]:-}
  local_ip=$(ip -o -4 addr show dev "${field[dev]}" | awk '{ split($4, a, "/"); print a[1]; exit }')
  case "$kind" in
    gretap)
      need_module ip_gre
      args=(local "$local_ip" remote "$remote"); want="gretap remote $remote local $local_ip"
      [[ -z "$id" ]] || { args+=(key "$id"); want+=".*key"; } ;;
    geneve)
      need_module geneve
      args=(id "${id:-1}" remote "$remote"); want="geneve id ${id:-1} remote $remote" ;;
  esac
  ensure_device "$name" "$want" ip link add "$name" type "$kind" "${args[@]}"
  ensure_address "$name" "${field[ip]}"
  ensure_up "$name"
done < <(records "${TUNNELS:-}")
