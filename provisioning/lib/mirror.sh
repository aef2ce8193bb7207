# The package mirror a lab fetches a distribution from when its config names none: for Debian the
# one the lab host's own apt uses (a classroom or company mirror keeps working), else
# deb.debian.org; for Ubuntu archive.ubuntu.com. apt-cache.sh, image-build.sh and preflight.sh
# use it (through common.sh), so the cache, the image build and the check agree.
# shellcheck shell=bash

# default_mirror DISTRO: prints the mirror's URL.
default_mirror() {
  local found
  case "$1" in
    debian)
      found=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 | tr -d ' ' || true)
      echo "${found:-http://deb.debian.org/debian}" ;;
    ubuntu) echo http://archive.ubuntu.com/ubuntu ;;
    *) echo "unknown distribution '$1'" >&2; return 2 ;;
  esac
}
