#!/usr/bin/env bash
# The minikube cluster on the lab host: pinned minikube and kubectl, downloaded once and checked
# against their SHA-256 (see host/image.sh), then `minikube start` for the lab's own profile with
# the configured driver, memory and CPUs, made minikube's default profile and put on the PATH of a
# login shell (~/.local/bin) so the post's `minikube status` and `minikube dashboard` answer as
# printed. `status` says whether the cluster runs. `down` deletes the profile and the lab's binaries.
# Usage: minikube.sh up|down|status
# Environment: PROFILE, BIN_DIR, MINIKUBE_URL, MINIKUBE_SHA256, KUBECTL_URL, KUBECTL_SHA256,
#              KUBERNETES_VERSION, DRIVER (virtualbox|kvm2|docker|none), MEMORY_MIB, CPUS
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: minikube.sh up|down|status}
: "${PROFILE:?}" "${BIN_DIR:?}"
BIN_DIR=$(expand_home "$BIN_DIR")
minikube=("$BIN_DIR/minikube" -p "$PROFILE")
# Links in ~/.local/bin to the lab's binaries, where a login shell finds them; never over a file
# that is not such a link (the learner's own minikube stays theirs).
links=("${LABSTACK_HOME:-$HOME}/.local/bin/minikube" "${LABSTACK_HOME:-$HOME}/.local/bin/kubectl")
own_link() { [[ -L "$1" && "$(readlink "$1")" == "$BIN_DIR/"* ]]; }

case "$action" in
  down)
    # A BIN_DIR the lab did not make holds no binaries of the lab's: nothing there is touched.
    [[ -f "$BIN_DIR/$LAB_MARKER" ]] || exit 0
    if [[ -x "$BIN_DIR/minikube" ]] && "${minikube[@]}" status >/dev/null 2>&1; then
      "${minikube[@]}" delete >&2
    elif [[ -x "$BIN_DIR/minikube" ]]; then
      "${minikube[@]}" delete >&2 || true
    fi
    for link in "${links[@]}"; do if own_link "$link"; then rm -f "$link"; fi; done
    rm -f "$BIN_DIR/minikube" "$BIN_DIR/kubectl" "$BIN_DIR/$LAB_MARKER"
    rmdir "$BIN_DIR" 2>/dev/null || true
    exit 0 ;;
  status)
    [[ -x "$BIN_DIR/minikube" ]] || drifted "minikube is not installed for profile $PROFILE"
    "${minikube[@]}" status >/dev/null 2>&1 || drifted "minikube profile $PROFILE is not running"
    exit 0 ;;
  up) ;;
  *) echo "minikube.sh: unknown action '$action'" >&2; exit 2 ;;
esac

: "${MINIKUBE_URL:?}" "${MINIKUBE_SHA256:?}" "${KUBECTL_URL:?}" "${KUBECTL_SHA256:?}" "${KUBERNETES_VERSION:?}" "${DRIVER:?}" "${MEMORY_MIB:?}" "${CPUS:?}"
install_binary() { # NAME URL SHA256
  local cached
  cached=$(IMAGE_URL=$2 IMAGE_SHA256=$3 IMAGE_PATH='' WHAT="minikube.$1" CACHE_DIR="${LABSTACK_CACHE:-$HOME/.cache/labstack}/binaries" "$LABSTACK_DIR/host/image.sh" up)
  if ! cmp -s "$cached" "$BIN_DIR/$1"; then
    install -m 0755 "$cached" "$BIN_DIR/$1"
    echo "labstack: changed installed $1 from $2"
  fi
}
own_dir "$BIN_DIR"
install_binary minikube "$MINIKUBE_URL" "$MINIKUBE_SHA256"
install_binary kubectl "$KUBECTL_URL" "$KUBECTL_SHA256"

if ! "${minikube[@]}" status >/dev/null 2>&1; then
  # minikube finds kubectl on the PATH for `minikube kubectl`, and writes the context to ~/.kube/config.
  PATH="$BIN_DIR:$PATH" "${minikube[@]}" start --driver="$DRIVER" --memory="$MEMORY_MIB" --cpus="$CPUS" \
    --kubernetes-version="$KUBERNETES_VERSION" --wait=all >&2
  echo "labstack: changed started minikube profile $PROFILE"
fi

# The post's `minikube status` asks the default profile.
if [[ "$("$BIN_DIR/minikube" profile 2>/dev/null)" != "$PROFILE" ]]; then
  "$BIN_DIR/minikube" profile "$PROFILE" >&2
  changed "made $PROFILE minikube's default profile"
fi
for link in "${links[@]}"; do
  if [[ ! -e "$link" && ! -L "$link" ]] || { own_link "$link" && [[ "$(readlink "$link")" != "$BIN_DIR/${link##*/}" ]]; }; then
    mkdir -p "${link%/*}"
    ln -sfn "$BIN_DIR/${link##*/}" "$link"
    changed "linked $link to the lab's ${link##*/}"
  fi
done
