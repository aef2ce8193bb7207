#!/usr/bin/env bash
# RabbitMQ for the lab (the seed's rabbitMQ role): AMQP, epmd and Erlang distribution on the
# management address only, the OpenStack user with its generated password and all permissions on
# vhost /, and no default guest user.
# Environment: BIND_ADDRESS, RABBIT_USER (openstack), RABBIT_PASSWORD (secret)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${BIND_ADDRESS:?}" "${RABBIT_USER:?}" "${RABBIT_PASSWORD:?}"
[[ "$BIND_ADDRESS" =~ ^[0-9]+(\.[0-9]+){3}$ ]] || { echo "BIND_ADDRESS must be an IPv4 address, got '$BIND_ADDRESS'" >&2; exit 1; }

ensure_packages rabbitmq-server
was=0
put /etc/rabbitmq/rabbitmq.conf "listeners.tcp.1 = $BIND_ADDRESS:5672
distribution.listener.interface = $BIND_ADDRESS" && was=1
# rabbitmqctl runs an Erlang node of its own for a few seconds; keep its listener off the network.
# Only the CLI reads this: the broker needs no restart for it.
put /etc/rabbitmq/rabbitmq-env.conf 'CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"' || true
# epmd is socket-activated (Debian's epmd.socket listens on every interface). Erlang nodes
# register with it over loopback, and remote rabbitmqctl calls find the node on the management
# address. FreeBind: the socket opens at boot, before that address is configured.
if put /etc/systemd/system/epmd.socket.d/labstack.conf "[Socket]
ListenStream=
ListenStream=127.0.0.1:4369
ListenStream=$BIND_ADDRESS:4369
FreeBind=true"; then
  systemctl daemon-reload
  # The unit's ExecStop (rabbitmqctl stop) finds the node through epmd: stop it before epmd moves.
  systemctl stop rabbitmq-server epmd.service epmd.socket
  systemctl start epmd.socket
  was=1
fi
restart_if rabbitmq-server "$was"

# One rabbitmqctl call does all the user work: each call starts an Erlang VM, seconds under
# emulation. The expression goes on stdin, never on a command line another process could read;
# base64 spares the names and the password any Erlang quoting.
b64() { printf '%s' "$1" | base64 -w0; }
out=$(rabbitmqctl -q eval <<ERLANG
U = base64:decode(<<"$(b64 "$RABBIT_USER")">>),
P = base64:decode(<<"$(b64 "$RABBIT_PASSWORD")">>),
By = <<"labstack">>, All = <<".*">>, Guest = <<"guest">>,
Say = fun(Format, Args) -> io:format("labstack: changed " ++ Format ++ "~n", Args) end,
case rabbit_auth_backend_internal:lookup_user(U) of
  {error, not_found} ->
    ok = rabbit_auth_backend_internal:add_user(U, P, By),
    Say("added RabbitMQ user ~s", [U]);
  {ok, _} ->
    case rabbit_auth_backend_internal:user_login_authentication(U, [{password, P}]) of
      {ok, _} -> ok;
      _ ->
        ok = rabbit_auth_backend_internal:change_password(U, P, By),
        Say("changed RabbitMQ password of ~s", [U])
    end
end,
Perms = [[proplists:get_value(K, L) || K <- [configure, write, read]]
         || L <- rabbit_auth_backend_internal:list_user_permissions(U), proplists:get_value(vhost, L) =:= <<"/">>],
case Perms of
  [[All, All, All]] -> ok;
  _ ->
    ok = rabbit_auth_backend_internal:set_permissions(U, <<"/">>, All, All, All, By),
    Say("granted ~s all permissions on /", [U])
end,
case rabbit_auth_backend_internal:lookup_user(Guest) of
  {ok, _} ->
    ok = rabbit_auth_backend_internal:delete_user(Guest, By),
    Say("deleted RabbitMQ guest user", []);
  {error, not_found} -> ok
end,
labstack_done.
ERLANG
)
# The last line is the expression's value: anything else means it stopped half-way.
# Erlang's error report would show the call's arguments, the password among them: say only that it failed.
[[ "$out" == *labstack_done ]] || { echo "the RabbitMQ batch stopped half-way; see the broker's log on the node" >&2; exit 1; }
grep '^labstack: changed ' <<< "$out" || true
