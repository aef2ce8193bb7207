# Helpers of the node scripts: packages and services. Sourced through common.sh; a node gets it in
# each step's bundle, so it needs nothing of ours installed.
# shellcheck shell=bash

export DEBIAN_FRONTEND=noninteractive

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

# ensure_packages PKG...: install what is missing, nothing else (no upgrades on a second run).
ensure_packages() {
  local missing
  missing=$(missing_packages "$@")
  [[ -z "$missing" ]] && return 0
  apt_update_once
  # A cold cache chain can drop a burst of downloads; a fresh index and another go fix that.
  local attempt
  for attempt in 1 2 3 4 5; do
    # shellcheck disable=SC2086 # one word per package
    if apt-get install -y -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=5 -o Dpkg::Options::=--force-confold --no-install-recommends $missing >/dev/null; then
      changed "installed ${missing//$'\n'/ }"
      return 0
    fi
    echo "apt-get install failed (attempt $attempt of 5)" >&2
    sleep $((attempt * 10))
    apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null || true
  done
  return 1
}

apt_update_once() {
  [[ -n "${LABSTACK_APT_UPDATED:-}" ]] && return 0
  apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
  LABSTACK_APT_UPDATED=1
}

# restart_if SERVICE WAS_CHANGED: restart on change, start if not running, otherwise leave it be.
# The service is enabled too: a baked image ships it disabled, and a node must keep it after a reboot.
restart_if() {
  local service=$1 was_changed=$2
  if ! systemctl is-enabled --quiet "$service"; then
    systemctl enable --quiet "$service"
    changed "enabled $service"
  fi
  if [[ "$was_changed" == 1 ]]; then
    systemctl restart "$service"
    changed "restarted $service"
  elif ! systemctl is-active --quiet "$service"; then
    systemctl start "$service"
    changed "started $service"
  fi
}

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND until it succeeds.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local started=$SECONDS deadline=$((SECONDS + seconds)) next=$((SECONDS + ${PROGRESS_EVERY:-30}))
  until "$@"; do
    if ((SECONDS >= deadline)); then echo "timed out after ${seconds}s waiting for $what" >&2; return 1; fi
    if ((SECONDS >= next)); then
      echo "labstack: still waiting for $what ($((SECONDS - started)) s)" >&2
      next=$((next + ${PROGRESS_EVERY:-30}))
    fi
    sleep 2
  done
}
