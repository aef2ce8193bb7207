#!/usr/bin/env bash
# Checks a running lab again and repairs what drifted, through the engine: bumps the stack's
# `labstack:verify` round and runs `pulumi up`. Every host script and node step runs again (they
# converge, so a VM that died is started and a stopped service is started), then every check; a
# check that still fails fails the run, naming the node, the check and what it saw. The round is
# kept in the stack's config, so a healthy lab's plain `pulumi up` stays a no-op.
# Usage: scripts/verify.sh STACK   (or: npm run verify -- STACK)
set -euo pipefail

stack=${1:?usage: verify.sh STACK}
round=$(pulumi config get labstack:verify -s "$stack" 2>/dev/null || echo 0)
pulumi config set labstack:verify "$((round + 1))" -s "$stack"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
pulumi up --yes --skip-preview -s "$stack" 2>&1 | tee "$log" || status=$?
echo
echo "What verify round $((round + 1)) of $stack repaired:"
grep -o 'labstack: changed .*' "$log" | sed 's/^labstack: changed /  /' | sort -u | grep . || echo "  nothing: the lab was as it should be"
exit "$status"
