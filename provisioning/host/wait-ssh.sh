#!/usr/bin/env bash
# Waits on the lab host until a node's forwarded SSH port answers with an SSH banner. The
# readiness gate reaches nodes of a remote lab host through it as a jump host, and the command
# provider's proxied dial retries on one and the same TCP connection: when the first attempt meets
# a port that accepts but has no sshd behind it yet (QEMU's and VirtualBox's NAT forwards do that
# while the guest boots), every retry fails. Here each try is a fresh connection.
# Usage: wait-ssh.sh up|down    Environment: PORT, TIMEOUT (seconds, default 1200)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

[[ "${1:?usage: wait-ssh.sh up|down}" == down ]] && exit 0
: "${PORT:?}"
banner() { local line; exec 3<>"/dev/tcp/127.0.0.1/$PORT" && read -r -t 10 line <&3 && [[ "$line" == SSH-* ]]; }
answers() { (banner) 2>/dev/null; }
if ! wait_for "${TIMEOUT:-1200}" "the node on 127.0.0.1:$PORT to boot (SSH)" answers; then
  echo "no SSH on 127.0.0.1:$PORT: the node did not boot (see its serial log in the lab's state folder)" >&2
  exit 1
fi
echo "ssh answers on 127.0.0.1:$PORT"
