#!/usr/bin/env bash
# Every node resolves every other by name to its management address, and reaches it.
# Environment: HOSTS (lines "ip name")
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${HOSTS:?}"

while read -r ip name; do
  [[ -n "$name" ]] || continue
  resolved=$(getent ahostsv4 "$name" | awk 'NR == 1 { print $1 }')
  [[ "$resolved" == "$ip" ]] || fail "getent ahostsv4 $name gave '$resolved', expected $ip"
  ping -c 1 -W 3 -- "$name" >/dev/null || fail "ping -c 1 $name ($ip) got no answer"
  pass "$name resolves to $ip and answers ping"
done <<< "$HOSTS"
