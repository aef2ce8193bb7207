#!/usr/bin/env bash
# The base image on the lab host: a cloud image downloaded once into the cache and checked
# against its SHA-256, a local file, or an image built here (image-build.sh). Prints the image's
# path. The cache outlives the lab (like Vagrant's boxes); `down` leaves it. Other downloads the
# lab pins (minikube, kubectl) use it too.
# Usage: image.sh up|down
# Environment: IMAGE_URL + IMAGE_SHA256 (64 hex digits, or the URL of a SHA256SUMS file or of a
#              file holding just the digest), or IMAGE_PATH, or DISTRO (+ image-build.sh's
#              parameters); PACKAGES (+ image-bake.sh's parameters) to bake a downloaded or local
#              image; CACHE_DIR; WHAT (the config key that errors name, default "image")
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

[[ "${1:?usage: image.sh up|down}" == down ]] && exit 0
what=${WHAT:-image}
cache=${CACHE_DIR:-${LABSTACK_CACHE:-$HOME/.cache/labstack}/images}
IMAGE_PATH=$(expand_home "${IMAGE_PATH:-}") KERNEL=$(expand_home "${KERNEL:-}") INITRD=$(expand_home "${INITRD:-}")
export KERNEL INITRD

if [[ -n "${DISTRO:-}" ]]; then
  # Made as the user: the build runs as root and would leave ~/.cache root-owned.
  mkdir -p "$cache"
  CACHE_DIR=$cache exec bash "$LABSTACK_DIR/host/image-build.sh"
fi

# A lab kind's packages go into a derived image, made once (image-bake.sh); otherwise the image
# is used as it is.
use() {
  if [[ -n "${PACKAGES:-}" ]]; then CACHE_DIR=$cache exec bash "$LABSTACK_DIR/host/image-bake.sh" "$1"; fi
  echo "$1"
  exit 0
}

if [[ -n "${IMAGE_PATH:-}" ]]; then
  [[ -f "$IMAGE_PATH" ]] || { echo "$what.path: $IMAGE_PATH does not exist on the lab host" >&2; exit 1; }
  use "$(realpath "$IMAGE_PATH")"
fi

: "${IMAGE_URL:?}" "${IMAGE_SHA256:?}"
sha=$IMAGE_SHA256
if [[ "$sha" == http* ]]; then
  # A SHA256SUMS file, as distributions publish beside their images: look the file up in it. A
  # file holding one digest only (minikube's and kubectl's .sha256) names nothing.
  sha=$(curl -fsSL --retry 3 "$sha" | awk -v f="$(basename "$IMAGE_URL")" 'NR == 1 && NF == 1 { print $1; exit } $2 == f || $2 == "*" f { print $1 }')
  [[ "$sha" =~ ^[0-9a-f]{64}$ ]] || { echo "$what.sha256: $IMAGE_SHA256 does not list $(basename "$IMAGE_URL")" >&2; exit 1; }
fi
file="$cache/$sha.img"
if [[ ! -f "$file" ]]; then
  mkdir -p "$cache"
  # Stacks on one host share the cache and may want the same file at the same moment: one
  # downloads, the others wait for it here and then find it cached. The lock file stays (as the
  # bake's do): removing it would let a late comer lock a new file while a waiter holds the old.
  exec 9>"$file.lock"
  flock 9
fi
if [[ ! -f "$file" ]]; then
  # Whatever .part is left now is a killed run's: nobody else downloads this file while we hold
  # the lock. Each download still writes a file of its own.
  rm -f "$file".part*
  part=$(mktemp "$file.part.XXXXXX")
  trap 'rm -f "$part"' EXIT
  echo "downloading $IMAGE_URL" >&2
  if ! curl -fL --retry 3 --progress-bar -o "$part" "$IMAGE_URL"; then
    echo "$what.url: the download of $IMAGE_URL failed (see curl's message above); nothing was cached" >&2
    exit 1
  fi
  actual=$(sha256sum "$part" | cut -d' ' -f1)
  if [[ "$actual" != "$sha" ]]; then
    # The whole file came, and it is not the one the config pins: the image at the URL changed
    # (a new build under the same name) or something between altered it.
    echo "$what.sha256: checksum mismatch: $IMAGE_URL downloaded whole ($(stat -c %s "$part") bytes) has SHA-256 $actual, but $sha was expected; pin the image's current SHA-256 if it changed at its origin, else do not trust what this network serves" >&2
    exit 1
  fi
  chmod 0644 "$part"
  mv -f "$part" "$file"
  trap - EXIT
fi
# The lock guards the download only, not a bake that may follow.
exec 9>&-
use "$file"
