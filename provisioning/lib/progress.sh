# Long waits say that they are still waiting: a first run builds an engine, images and boots VMs
# for minutes, and a screen that says nothing for that long looks hung. Sourced by lib/common.sh
# and by scripts/ensure-pulumi.sh.
# shellcheck shell=bash

# How often a long wait says so.
PROGRESS_EVERY=${PROGRESS_EVERY:-30}

# progress WHAT COMMAND...: runs COMMAND, saying on stderr every PROGRESS_EVERY seconds that it is
# still WHAT; returns COMMAND's status.
progress() {
  local what=$1 started=$SECONDS pid status=0
  shift
  "$@" &
  pid=$!
  local next=$((started + PROGRESS_EVERY))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)) && kill -0 "$pid" 2>/dev/null; then
      echo "labstack: still $what ($((SECONDS - started)) s)" >&2
      next=$((next + PROGRESS_EVERY))
    fi
  done
  wait "$pid" || status=$?
  return "$status"
}
