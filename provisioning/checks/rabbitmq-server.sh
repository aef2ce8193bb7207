#!/usr/bin/env bash
# RabbitMQ: `rabbitmqctl list_users` shows the OpenStack user, and the guest user is gone.
# Environment: RABBIT_USER
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t fail) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${RABBIT_USER:?}"

users=$(rabbitmqctl -s list_users) || fail "rabbitmqctl list_users failed"
echo "$users"
awk '{ print $1 }' <<< "$users" | grep -qx "$RABBIT_USER" || fail "rabbitmqctl list_users does not show $RABBIT_USER"
if awk '{ print $1 }' <<< "$users" | grep -qx guest; then fail "the default guest user still exists"; fi
pass "RabbitMQ has user $RABBIT_USER and no guest"
