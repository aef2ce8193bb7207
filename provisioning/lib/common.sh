# The one library every provisioning script sources (its first lines), whether it runs from a
# bundle (plan/scripts.ts: LABSTACK_DIR is the bundle's folder) or from a checkout. It brings the
# others: records.sh (the plan's lists), owned.sh (what the lab owns on its host), mirror.sh
# (package mirrors), node.sh (node steps' helpers), checks.sh (the learner's checks) and
# progress.sh (long waits that say so).
# shellcheck shell=bash

LABSTACK_DIR=${LABSTACK_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export LABSTACK_DIR

# shellcheck source=provisioning/lib/records.sh
source "$LABSTACK_DIR/lib/records.sh"
# shellcheck source=provisioning/lib/owned.sh
source "$LABSTACK_DIR/lib/owned.sh"
# shellcheck source=provisioning/lib/mirror.sh
source "$LABSTACK_DIR/lib/mirror.sh"
# shellcheck source=provisioning/lib/node.sh
source "$LABSTACK_DIR/lib/node.sh"
# shellcheck source=provisioning/lib/checks.sh
source "$LABSTACK_DIR/lib/checks.sh"
# shellcheck source=provisioning/lib/progress.sh
source "$LABSTACK_DIR/lib/progress.sh"

# Every change a script makes is announced so: the idempotency tests count these lines, and a
# repair says what it repaired.
changed() { echo "labstack: changed $*"; }

# The exit code of a `status` that found what the script made drifted (components/provider/):
# it prints what, on one line, first.
DRIFTED=3
drifted() {
  echo "$*"
  exit "$DRIFTED"
}

# expand_home PATH: `~/` is the home of the user the lab runs as on this host (LABSTACK_HOME, kept
# when a script runs itself again as root), never a folder named `~`.
expand_home() {
  local path=$1
  # shellcheck disable=SC2088 # the tilde is matched literally on purpose
  [[ "$path" == "~/"* ]] && path="${LABSTACK_HOME:-$HOME}/${path#"~/"}"
  printf '%s' "$path"
}

# as_root ARGS...: a script that needs root runs itself again through password-less sudo (the
# preflight checked it), with the parameters it was given and nothing else.
as_root() {
  ((EUID == 0)) || exec sudo -n --preserve-env bash "$0" "$@"
}

# upstream_proxy: the HTTP proxy the lab's downloads go through: the lab's own (UPSTREAM_PROXY),
# else the host's (http_proxy); only an http:// proxy (apt-cacher-ng speaks nothing else).
upstream_proxy() {
  local proxy=${UPSTREAM_PROXY:-${http_proxy:-${HTTP_PROXY:-}}}
  # curl and apt also take a bare host:port.
  [[ -z "$proxy" || "$proxy" =~ ^[a-zA-Z][a-zA-Z0-9+.-]*:// ]] || proxy="http://$proxy"
  [[ "$proxy" == http://* ]] && printf '%s' "$proxy"
  return 0
}

# put FILE CONTENT [MODE]: write FILE only when its content differs, whole or not at all (a full
# disk must not leave half a configuration for a service to start on: a failed write ends the
# script); true when it wrote.
put() {
  local file=$1 content=$2 mode=${3:-0644} tmp
  # Compared as the shell reads both, trailing newlines aside: a key that ends in one is unchanged.
  if [[ -f "$file" ]] && [[ "$(cat "$file")" == "$(printf '%s' "$content")" ]]; then return 1; fi
  mkdir -p "$(dirname "$file")"
  tmp=$(mktemp "$file.XXXXXX")
  if ! { chmod "$mode" "$tmp" && printf '%s\n' "$content" > "$tmp" && sync -d "$tmp" && mv -f "$tmp" "$file"; }; then
    rm -f "$tmp"
    echo "could not write $file (disk full?): left as it was" >&2
    exit 1
  fi
  changed "$file"
}
