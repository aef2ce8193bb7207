#!/usr/bin/env bash
# Memcached answers on the management address: this node stores a value and reads it back.
# Environment: MEMCACHED_HOST, MEMCACHED_IP, NODE; MEMCACHED_PORT (11211, the posts')
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${MEMCACHED_HOST:?}" "${MEMCACHED_IP:?}" "${NODE:?}"
port=${MEMCACHED_PORT:-11211}

key="labstack-check-$NODE"
value="$NODE-$RANDOM"
stored=$(tcp_exchange "$MEMCACHED_IP" "$port" "set $key 0 60 ${#value}\r\n$value\r\n") \
  || fail "memcached at $MEMCACHED_IP:$port did not answer set $key"
[[ "$stored" == STORED ]] || fail "memcached set $key answered '$stored'"
got=$(tcp_exchange "$MEMCACHED_HOST" "$port" "get $key\r\n" | sed -n 2p) \
  || fail "memcached at $MEMCACHED_HOST:$port did not answer get $key"
[[ "$got" == "$value" ]] || fail "memcached get $key from $MEMCACHED_HOST gave '$got', expected '$value'"
pass "memcached on $MEMCACHED_HOST ($MEMCACHED_IP:$port) stored and returned $key"
