#!/usr/bin/env bash
# Chrony as the lab's time server (the seed's ntpServer role). `local stratum 10` lets it serve
# even when the lab has no way to the internet's NTP pool.
# Environment: ALLOW_CIDR (the management network)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${ALLOW_CIDR:?}"

ensure_packages chrony
was=0
put /etc/chrony/conf.d/labstack.conf "allow $ALLOW_CIDR
local stratum 10" && was=1
restart_if chrony "$was"
