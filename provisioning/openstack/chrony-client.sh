#!/usr/bin/env bash
# Chrony syncing only from the lab's time server (the seed's ntpClient role).
# Environment: SERVER (host name of the time server)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${SERVER:?}"

ensure_packages chrony
was=0
if grep -qE '^(pool|server) ' /etc/chrony/chrony.conf; then
  sed -i -E 's/^(pool|server) /#&/' /etc/chrony/chrony.conf
  changed "disabled default time sources"
  was=1
fi
for f in /etc/chrony/sources.d/*.sources; do
  [[ -f "$f" ]] || continue
  mv "$f" "$f.disabled"
  changed "disabled $f"
  was=1
done
# A lab VM's clock can be far off after a suspend; always step instead of slewing for hours.
put /etc/chrony/conf.d/labstack.conf "server $SERVER iburst
makestep 1 -1" && was=1
restart_if chrony "$was"
