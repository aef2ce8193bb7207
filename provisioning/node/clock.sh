#!/usr/bin/env bash
# A node's clock after it resumed from a checkpoint or a saved state: it stands where it stood then.
# It takes the time of its hardware clock, which QEMU keeps running with the lab host's, also
# across a restore (measured; VirtualBox's is taken on the same terms, unmeasured): exact, where EPOCH (the lab host's time when the step was sent) is
# seconds old by the time a guest just resumed under emulation runs it (8 s was measured). EPOCH
# also vouches for the hardware clock: one that does not agree with it within minutes (kept in
# local time, or none at all) is not used, and the node takes EPOCH instead.
# chrony, when the lab has it, starts afresh: its measurements are from before the pause, and it
# would distrust the new ones (the check wants a selected source).
# Usage: clock.sh up    Environment: EPOCH (the lab host's time, seconds)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${EPOCH:?}"
rtc=${RTC_SECONDS:-/sys/class/rtc/rtc0/since_epoch}
now=$EPOCH from="the lab host's time"
if [[ -r "$rtc" ]] && read -r first < "$rtc" && ((first >= EPOCH - 2 && first <= EPOCH + 300)); then
  from="the hardware clock's (the lab host's time)"
  if command -v hwclock >/dev/null; then
    # In one process: it waits for the clock's tick and sets the time from it plus what passed
    # since, where `date -s` started after the tick lands as late as a loaded guest starts it
    # (a node 1.9 s behind was seen).
    if ! hwclock --hctosys --utc; then
      date -s "@$now" >/dev/null
      from="the lab host's time (hwclock failed)"
    fi
  else
    # The clock counts whole seconds: set at its next tick, the fraction is right too.
    for _ in {1..25}; do
      read -r now < "$rtc" || { now=$first; break; }
      [[ "$now" != "$first" ]] && break
      sleep 0.05
    done
    date -s "@$now" >/dev/null
  fi
else
  date -s "@$now" >/dev/null
fi
if systemctl is-active --quiet chrony 2>/dev/null; then
  systemctl restart chrony
  changed "set the clock to $from and restarted chrony"
else
  changed "set the clock to $from"
fi
