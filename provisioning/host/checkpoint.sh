#!/usr/bin/env bash
# A checkpoint the lab keeps of one node by itself (`ready`, taken once every check of an `up` is
# green): `up` takes it again, `down` deletes it. A VM that cannot take one (started by an older
# labstack, without a monitor) is skipped with a word: the lab still comes up.
# Usage: checkpoint.sh up|down
# Environment: VM_SCRIPT (the hypervisor's vm.sh, under provisioning/), CHECKPOINT, and the VM's
#              identity for it (VM_DIR, NAME)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${VM_SCRIPT:?}" "${CHECKPOINT:?}" "${NAME:?}"
case "${1:?usage: checkpoint.sh up|down}" in
  up) CHECKPOINT_IF_POSSIBLE=1 bash "$LABSTACK_DIR/$VM_SCRIPT" checkpoint save "$CHECKPOINT" ;;
  down) bash "$LABSTACK_DIR/$VM_SCRIPT" checkpoint delete "$CHECKPOINT" ;;
  *) echo "checkpoint.sh: unknown action '$1'" >&2; exit 2 ;;
esac
