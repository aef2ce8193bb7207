#!/usr/bin/env bash
# This node authenticates to RabbitMQ on the broker node over AMQP, as OpenStack's agents will.
# Environment: RABBIT_HOST, RABBIT_USER, RABBIT_PASSWORD (secret)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${RABBIT_HOST:?}" "${RABBIT_USER:?}" "${RABBIT_PASSWORD:?}"

python3 - <<'PY' || fail "AMQP login as $RABBIT_USER to $RABBIT_HOST:5672 failed"
import os, amqp
conn = amqp.Connection(host=os.environ["RABBIT_HOST"] + ":5672", userid=os.environ["RABBIT_USER"],
                       password=os.environ["RABBIT_PASSWORD"], virtual_host="/", connect_timeout=10)
conn.connect()
channel = conn.channel()
channel.queue_declare(queue="labstack-check", auto_delete=True)
conn.close()
PY
pass "AMQP login as $RABBIT_USER to $RABBIT_HOST:5672, queue declared on /"
