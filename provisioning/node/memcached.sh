#!/usr/bin/env bash
# Memcached for the lab (the seed's memcached role), listening on the management address only.
# Environment: LISTEN_ADDRESS
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t put) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${LISTEN_ADDRESS:?}"

ensure_packages memcached
current=$(cat /etc/memcached.conf)
wanted=$(grep -vE '^-l ' /etc/memcached.conf; echo "-l $LISTEN_ADDRESS")
was=0
put /etc/memcached.conf "$wanted" && was=1
[[ "$current" == "$(cat /etc/memcached.conf)" ]] || was=1
restart_if memcached "$was"
