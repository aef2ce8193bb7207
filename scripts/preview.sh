#!/usr/bin/env bash
# What `pulumi up` would do to each lab stack a change touches: the previews a pull request gets,
# against the shared backend, as Markdown (the preview workflow comments it on the PR). The plan
# depends on nothing of the machine running it (not its folder, home, memory or KVM), so what it
# shows is what the learner's `up` would do.
# Usage: scripts/preview.sh [--base REF] [STACK...]
#   --base REF  compare the work tree with REF: a change to Pulumi.<stack>.yaml alone previews that
#               stack; any other change previews every stack the backend has
#   STACK...    preview these stacks (created in the backend when missing, as `up` would)
# Environment: PULUMI_BACKEND_URL (where the stacks live), PULUMI_CONFIG_PASSPHRASE (their secrets)
# Prints one line `labstack-preview: STACK CHANGES` a stack (0: `up` would change nothing), then
# the resources that would change (`op name`), then the engine's diff.
set -euo pipefail
cd "$(dirname "$0")/.."

base="" stacks=()
while (($#)); do
  case "$1" in
    --base) base=${2:?--base needs a git ref}; shift 2 ;;
    -*) echo "preview.sh: unknown option $1" >&2; exit 2 ;;
    *) stacks+=("$1"); shift ;;
  esac
done

# A pull request from a fork gets no secrets: nothing to preview against, and no failure either.
if [[ -z "${PULUMI_BACKEND_URL:-}" || -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  echo "labstack-preview: skipped: no backend or passphrase (a pull request from a fork gets no secrets)"
  exit 0
fi

if ((${#stacks[@]} == 0)); then
  known=$(pulumi stack ls --json | node -e 'let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => JSON.parse(t).forEach((s) => console.log(s.name.split("/").pop())))')
  if [[ -n "$base" ]]; then
    touched=$(git diff --name-only "$base" --)
    if grep -qvE '^Pulumi\.[^/]+\.yaml$' <<< "$touched"; then
      mapfile -t stacks <<< "$known"
    else
      mapfile -t stacks < <(sed -nE 's/^Pulumi\.(.*)\.yaml$/\1/p' <<< "$touched")
    fi
  else
    mapfile -t stacks <<< "$known"
  fi
fi

for stack in "${stacks[@]}"; do
  [[ -n "$stack" ]] || continue
  pulumi stack select --create --non-interactive "$stack" >/dev/null
  json=$(pulumi preview --stack "$stack" --json --non-interactive)
  # A replacement is three steps (create-replacement, replace, delete-replaced): one change.
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const preview = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const ops = new Map();
    for (const s of preview.steps ?? []) if (s.op !== "same") ops.set(s.urn, /replace/.test(s.op) ? "replace" : s.op);
    console.log(`labstack-preview: ${process.argv[1]} ${ops.size}`);
    for (const [urn, op] of ops) console.log(`  ${op} ${urn.split("::").pop()}`);
  ' "$stack" <<< "$json"
  echo
  echo '```diff'
  pulumi preview --stack "$stack" --diff --non-interactive --suppress-progress --color never | sed -n '/^Previewing/,$p'
  echo '```'
done
