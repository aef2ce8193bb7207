#!/usr/bin/env bash
# Memcached for the lab (the seed's memcached role), listening on the management address only.
# Environment: LISTEN_ADDRESS
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${LISTEN_ADDRESS:?}"

ensure_packages memcached
current=$(cat /etc/memcached.conf)
wanted=$(grep -vE '^-l ' /etc/memcached.conf; echo "-l $LISTEN_ADDRESS")
was=0
put /etc/memcached.conf "$wanted" && was=1
[[ "$current" == "$(cat /etc/memcached.conf)" ]] || was=1
restart_if memcached "$was"
# The unit is up before memcached listens; the step is done when other nodes can use it.
wait_for 120 "memcached to listen on $LISTEN_ADDRESS:11211" bash -c "exec 3<>/dev/tcp/$LISTEN_ADDRESS/11211" 2>/dev/null
