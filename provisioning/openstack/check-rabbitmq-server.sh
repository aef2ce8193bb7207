#!/usr/bin/env bash
# RabbitMQ: `rabbitmqctl list_users` shows the OpenStack user, the guest user is gone, and AMQP,
# epmd and Erlang distribution listen on the management address only (epmd on loopback too).
# Environment: BIND_ADDRESS, RABBIT_USER
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${BIND_ADDRESS:?}" "${RABBIT_USER:?}"

users=$(rabbitmqctl -s list_users) || fail "rabbitmqctl list_users failed"
echo "$users"
awk '{ print $1 }' <<< "$users" | grep -qx "$RABBIT_USER" || fail "rabbitmqctl list_users does not show $RABBIT_USER"
if awk '{ print $1 }' <<< "$users" | grep -qx guest; then fail "the default guest user still exists"; fi

# The broker (beam.smp) and epmd: every listening socket, with its owner.
listening=$(ss -Hltnp | awk '/"(beam\.smp|epmd)"/ { match($0, /"[^"]+"/); print substr($0, RSTART + 1, RLENGTH - 2), $4 }' | sort -u)
echo "$listening"
grep -qx "beam.smp $BIND_ADDRESS:5672" <<< "$listening" || fail "RabbitMQ does not listen on $BIND_ADDRESS:5672"
grep -qx "epmd $BIND_ADDRESS:4369" <<< "$listening" || fail "epmd does not listen on $BIND_ADDRESS:4369"
stray=$(grep -vE "^beam\.smp $BIND_ADDRESS:[0-9]+\$|^epmd ($BIND_ADDRESS|127\.0\.0\.1):4369\$" <<< "$listening" || true)
[[ -z "$stray" ]] || fail "RabbitMQ or epmd listens beyond $BIND_ADDRESS: $(tr '\n' ' ' <<< "$stray")"
pass "RabbitMQ has user $RABBIT_USER and no guest, listens on $BIND_ADDRESS only"
