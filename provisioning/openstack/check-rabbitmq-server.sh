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

# The broker's listening sockets (its service's processes: a rabbitmqctl running meanwhile is an
# Erlang VM too, listening on a port of its own) and epmd's.
broker=$(systemctl show -p ControlGroup --value rabbitmq-server.service)
broker_pids=" $(tr '\n' ' ' < "/sys/fs/cgroup$broker/cgroup.procs") "
listening=$(ss -Hltnp | awk -v pids="$broker_pids" '
  /"epmd"/ { print "epmd", $4; next }
  /"beam\.smp"/ { match($0, /pid=[0-9]+/); if (index(pids, " " substr($0, RSTART + 4, RLENGTH - 4) " ")) print "beam.smp", $4 }' | sort -u)
echo "$listening"
grep -qx "beam.smp $BIND_ADDRESS:5672" <<< "$listening" || fail "RabbitMQ does not listen on $BIND_ADDRESS:5672"
grep -qx "epmd $BIND_ADDRESS:4369" <<< "$listening" || fail "epmd does not listen on $BIND_ADDRESS:4369"
stray=$(grep -vE "^beam\.smp $BIND_ADDRESS:[0-9]+\$|^epmd ($BIND_ADDRESS|127\.0\.0\.1):4369\$" <<< "$listening" || true)
[[ -z "$stray" ]] || fail "RabbitMQ or epmd listens beyond $BIND_ADDRESS: $(tr '\n' ' ' <<< "$stray")"
pass "RabbitMQ has user $RABBIT_USER and no guest, listens on $BIND_ADDRESS only"
