#!/usr/bin/env bash
# From a fresh clone to a running lab in one command (README's first line: `npm ci && npm run up`).
# A thin wrapper around what a Pulumi user would do by hand, keeping no state of its own:
#   1. the Pulumi CLI: the one on PATH, else Pulumi's installer (~/.pulumi/bin), else, where
#      pulumi.com cannot be reached, the engine built from Go modules (scripts/ensure-pulumi.sh);
#   2. a local state backend (`pulumi login --local`) unless already logged in somewhere;
#   3. the secrets passphrase: PULUMI_CONFIG_PASSPHRASE(_FILE) if set, else one generated once
#      into ${XDG_CONFIG_HOME:-~/.config}/labstack/passphrase (0600);
#   4. the stack, created when missing (its Pulumi.<stack>.yaml is the lab's config);
#   5. `pulumi up --yes`, then the stack's `next` output.
# Host packages (QEMU, ...) come from the lab's own host preparation during `up`. Afterwards drive
# the lab with plain `pulumi up -s STACK` / `pulumi destroy -s STACK` (the last lines say what to
# export for that).
# Usage: scripts/up.sh [STACK]   (or: npm run up [-- STACK]; default dev)
# Environment: LABSTACK_PULUMI_INSTALLER (default https://get.pulumi.com), LABSTACK_CACHE
set -euo pipefail

stack=${1:-dev}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { echo "labstack: $*" >&2; }
die() { log "$*"; exit 1; }
# What a later shell needs to run `pulumi` on this stack the same way.
exports=()

# The CLI version @pulumi/pulumi pins, so the installer and the Go build agree with the SDK.
pulumi_version() { node -p "require('./node_modules/@pulumi/pulumi/package.json').version"; }

install_with_installer() {
  local script
  script=$(mktemp)
  # Short timeouts: offline, or where only a package mirror is reachable, fail fast to the build.
  if ! curl -fsSL --connect-timeout 10 --max-time 60 -o "$script" "${LABSTACK_PULUMI_INSTALLER:-https://get.pulumi.com}"; then
    rm -f "$script"
    return 1
  fi
  log "installing the Pulumi CLI v$(pulumi_version) with Pulumi's installer into ~/.pulumi/bin"
  local status=0
  timeout 600 sh "$script" --version "$(pulumi_version)" >&2 || status=$?
  rm -f "$script"
  return "$status"
}

# The engine build makes only the command provider unless asked: the stack's config says which
# other providers its program uses (a droplet host: DigitalOcean; the minikube lab: Kubernetes).
# One flag a line.
provider_flags() {
  # The lab as the program reads it: the template with the stack's own config (Pulumi.yaml's
  # stackConfigDir) laid over it, by the program's own stacks/template.ts.
  (cd "$root" && node --import tsx --input-type=module - "$stack" <<'JS'
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { stackLab } from "./stacks/template.ts";
const stack = process.argv[2];
const own = `.labstack/stacks/Pulumi.${stack}.yaml`;
const lab = stackLab(".", stack, existsSync(own) ? parse(readFileSync(own, "utf8"))?.config?.["labstack:lab"] : undefined) ?? {};
if (lab.host?.kind === "digitalocean") console.log("--provider\ndigitalocean");
if (lab.kind === "minikube") console.log("--provider\nkubernetes");
JS
  )
}

ensure_pulumi() {
  command -v pulumi >/dev/null && return 0
  # Pulumi's installer puts the CLI here; a shell started before it ran may not have it on PATH.
  if [[ -x "$HOME/.pulumi/bin/pulumi" ]] || install_with_installer; then
    export PATH="$HOME/.pulumi/bin:$PATH"
    exports+=("PATH=\"$HOME/.pulumi/bin:\$PATH\"")
    return 0
  fi
  if ! command -v go >/dev/null; then
    die "no pulumi on PATH, Pulumi's installer could not be downloaded, and there is no Go to build the engine from Go modules; install one of them: the Pulumi CLI (https://www.pulumi.com/docs/install/) or Go (apt-get install golang-go), then run this again"
  fi
  log "Pulumi's installer could not be downloaded: building the engine from Go modules (cached in ${LABSTACK_CACHE:-~/.cache/labstack}/pulumi)"
  local bin flags
  mapfile -t flags < <(provider_flags)
  bin=$(bash "$root/scripts/ensure-pulumi.sh" "${flags[@]}" | tail -n1) || die "building the engine failed (see above)"
  export PATH="$bin:$PATH"
  # Its plugins lie beside it; nothing could be downloaded anyway.
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  exports+=("PATH=\"$bin:\$PATH\"" PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true NODE_OPTIONS=--import=tsx)
}

ensure_backend() {
  [[ -n "${PULUMI_BACKEND_URL:-}" ]] && return 0
  pulumi whoami --non-interactive >/dev/null 2>&1 && return 0
  log "changed pulumi login --local (stacks are kept in ~/.pulumi)"
  pulumi login --local >&2
}

ensure_passphrase() {
  [[ -n "${PULUMI_CONFIG_PASSPHRASE+set}" || -n "${PULUMI_CONFIG_PASSPHRASE_FILE+set}" ]] && return 0
  local config=${XDG_CONFIG_HOME:-$HOME/.config}
  local dir=$config/labstack file=$config/labstack/passphrase tmp
  if [[ ! -d "$dir" ]]; then
    mkdir -p "$config"
    # Another first run may make it at the same moment.
    mkdir -m 0700 "$dir" 2>/dev/null || [[ -d "$dir" ]] || die "could not make $dir"
  fi
  if [[ ! -f "$file" ]]; then
    # Two first runs at the same moment (two stacks brought up at once) must end with one
    # passphrase that both use: each writes its own file whole, and only the first link to the
    # name wins (ln never replaces a file); the other run uses the winner's.
    tmp=$(umask 077 && mktemp "$file.XXXXXX")
    if ! head -c 24 /dev/urandom | base64 > "$tmp"; then rm -f "$tmp"; die "could not write $tmp"; fi
    # (A file system without hard links: mv -n, which replaces no file either.)
    if ln "$tmp" "$file" 2>/dev/null || { [[ ! -e "$file" ]] && mv -n "$tmp" "$file" && [[ ! -e "$tmp" ]]; }; then
      log "changed generated the secrets passphrase into $file (keep it: it decrypts the stack's secrets)"
    fi
    rm -f "$tmp"
    [[ -s "$file" ]] || die "$file is empty: remove it and run again"
  elif [[ $(stat -c %a "$file") != 600 ]]; then
    chmod 0600 "$file"
    log "changed $file to mode 0600"
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE=$file
  exports+=("PULUMI_CONFIG_PASSPHRASE_FILE=$file")
}

ensure_pulumi
# Pulumi.yaml's nodeargs loads the TypeScript program; an older language host (the Go-built one,
# an old pulumi on PATH) ignores that option. Loading tsx twice is harmless.
[[ " ${NODE_OPTIONS:-} " == *" --import=tsx "* ]] || export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--import=tsx"
# The program's gRPC client (grpc-js) sends even its loopback connection to the engine through
# grpc_proxy/https_proxy/http_proxy, and a proxy refuses it (403); Go's clients skip loopback.
if [[ -n "${grpc_proxy:-}${https_proxy:-}${http_proxy:-}" && ",${no_grpc_proxy-${no_proxy:-}}," != *,127.0.0.1,* ]]; then
  no_grpc_proxy="${no_grpc_proxy-${no_proxy:-}}"
  export no_grpc_proxy="${no_grpc_proxy:+$no_grpc_proxy,}127.0.0.1,localhost"
  exports+=("no_grpc_proxy=$no_grpc_proxy")
fi
ensure_backend
ensure_passphrase
pulumi stack select --create --non-interactive "$stack" >&2
status=0
pulumi up --yes -s "$stack" || status=$?
((status != 0)) || pulumi stack output next -s "$stack"
# Also after a failed up: `pulumi destroy` or another `pulumi up` needs the same environment.
if ((${#exports[@]} > 0)); then
  echo "To drive this lab with plain pulumi from a new shell in this folder, first: export ${exports[*]}"
fi
exit "$status"
