#!/usr/bin/env bash
# Host preparation shared by every lab: the hypervisor's tools (the hypervisor's folder in
# components/hypervisor/ says which) and the image builder's when the lab builds its image, and
# apt-cacher-ng. Installs only what is missing; `down` leaves installed packages, as with any tool.
# A hypervisor's own setup of the host is its own step (virtualbox/networks-conf.sh).
# Usage: prepare.sh up|down
# Environment: PACKAGES (records command= package=: the hypervisor's tools, installed when the
#              command is missing), REQUIRED (records command= missing=: tools no package
#              brings, and what to do), APT_CACHE (1 to install apt-cacher-ng)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: prepare.sh up|down}
[[ "$action" == down ]] && exit 0
# Packages are root's to install: as a user, through password-less sudo (the preflight checked it).
sudo=(); ((EUID == 0)) || sudo=(sudo -n)

# A user's PATH may lack the sbin folders where some tools live (sfdisk, mkfs.fat).
PATH=$PATH:/usr/sbin:/sbin
need=()
# A tool is a command on the PATH, or a file it needs (an absolute path).
present() { if [[ "$1" == /* ]]; then [[ -e "$1" ]]; else command -v "$1" >/dev/null; fi; }
while read -r line; do
  record "$line"
  present "${field[command]}" || { echo "${field[missing]}" >&2; exit 1; }
done < <(records "${REQUIRED:-}")
while read -r line; do
  record "$line"
  present "${field[command]}" || need+=("${field[package]}")
done < <(records "${PACKAGES:-}")
if [[ "${APT_CACHE:-0}" == 1 ]] && [[ ! -x /usr/sbin/apt-cacher-ng ]]; then need+=(apt-cacher-ng); fi
# The labs' host-side checks ping nodes from the host.
command -v ping >/dev/null || need+=(iputils-ping)
if ((${#need[@]})); then
  "${sudo[@]}" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${need[@]}" >/dev/null
  echo "labstack: changed installed ${need[*]}"
  # Debian starts and enables the service it installs, with its default configuration: listening on
  # every address of the host. The lab's cache step configures and starts it; until then, and after
  # the last lab, it stays off (apt-cache.sh gives it back as it found it: off).
  if [[ " ${need[*]} " == *" apt-cacher-ng "* && -d /run/systemd/system ]]; then
    "${sudo[@]}" systemctl disable --now --quiet apt-cacher-ng
  fi
fi
