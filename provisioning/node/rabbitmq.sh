#!/usr/bin/env bash
# RabbitMQ for the lab (the seed's rabbitMQ role): the OpenStack user with its generated password
# and all permissions on vhost /, and no default guest user.
# Environment: RABBIT_USER (openstack), RABBIT_PASSWORD (secret)
set -euo pipefail
# shellcheck source=lib.sh
[[ $(type -t put) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${RABBIT_USER:?}" "${RABBIT_PASSWORD:?}"

ensure_packages rabbitmq-server
restart_if rabbitmq-server 0
# Erlang starts slowly on a busy, emulated CPU.
wait_for 300 "RabbitMQ to answer" rabbitmqctl -q await_startup

users=$(rabbitmqctl -s list_users | awk '{ print $1 }')
# Passwords go on stdin, never on a command line another process could read.
if ! grep -qx "$RABBIT_USER" <<< "$users"; then
  rabbitmqctl -q add_user "$RABBIT_USER" <<< "$RABBIT_PASSWORD" >/dev/null
  changed "added RabbitMQ user $RABBIT_USER"
elif ! rabbitmqctl -q authenticate_user "$RABBIT_USER" <<< "$RABBIT_PASSWORD" >/dev/null 2>&1; then
  rabbitmqctl -q change_password "$RABBIT_USER" <<< "$RABBIT_PASSWORD" >/dev/null
  changed "changed RabbitMQ password of $RABBIT_USER"
fi
if [[ "$(rabbitmqctl -s list_user_permissions "$RABBIT_USER" | awk '$1 == "/" { print $2, $3, $4 }')" != ".* .* .*" ]]; then
  rabbitmqctl -q set_permissions -p / "$RABBIT_USER" ".*" ".*" ".*" >/dev/null
  changed "granted $RABBIT_USER all permissions on /"
fi
if grep -qx guest <<< "$users"; then
  rabbitmqctl -q delete_user guest >/dev/null
  changed "deleted RabbitMQ guest user"
fi
