#!/usr/bin/env bash
# Checks a running lab again and repairs what drifted, through the engine, in one `pulumi up`:
# --refresh reads the lab's VMs, daemons and services back (their Health resources; see
# components/provider/), so whatever died is restarted and nothing else is touched, and --replace
# runs every check again. Nothing is written but Pulumi's state: no config, no tracked file.
# Usage: scripts/verify.sh STACK   (or: npm run verify -- STACK)
set -euo pipefail

stack=${1:?usage: verify.sh STACK}
# The checks are the command resources named <stack>-...-check-...; their URNs from the state.
mapfile -t checks < <(pulumi stack export -s "$stack" | node -e '
  let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => {
    for (const r of JSON.parse(text).deployment.resources ?? [])
      if (/^command:(local|remote):Command$/.test(r.type) && /-check-/.test(r.urn.split("::").pop())) console.log(r.urn);
  });')
replace=()
for urn in "${checks[@]}"; do replace+=(--replace "$urn"); done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
pulumi up --yes --skip-preview --refresh -s "$stack" "${replace[@]}" 2>&1 | tee "$log" || status=$?
echo
echo "What verify repaired on $stack (and ${#checks[@]} checks run again):"
grep -o 'labstack: changed .*' "$log" | sed 's/^labstack: changed /  /' | sort -u | grep . || echo "  nothing: the lab was as it should be"
exit "$status"
