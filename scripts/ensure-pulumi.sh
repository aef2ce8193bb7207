#!/usr/bin/env bash
# Make the Pulumi engine available without downloads from pulumi.com: when no usable `pulumi` is
# on PATH, build the CLI, the nodejs language host, the command provider and the Kubernetes
# provider from Go modules, at the versions package.json pins, into a cache (a second run takes
# seconds). Prints the folder to put on PATH. Users with internet install Pulumi as usual and
# never need this.
# Usage: ensure-pulumi.sh [--allow-missing-command-provider]
#
# `go install` refuses these modules (their go.mod has replace lines), so each binary is built
# from a small wrapper module that requires the real one and copies the replaces it needs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pulumi_version=$(node -p "require('$root/node_modules/@pulumi/pulumi/package.json').version")
command_version=$(node -p "require('$root/node_modules/@pulumi/command/package.json').version")
kubernetes_version=$(node -p "require('$root/node_modules/@pulumi/kubernetes/package.json').version")
out=${LABSTACK_CACHE:-$HOME/.cache/labstack}/pulumi/v$pulumi_version-command-v$command_version
bin="$out/bin"
mkdir -p "$bin"
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
# Test files and helpers may ask at the same time; the builds share their source folders.
exec 8>"$out/.lock"
flock 8

log() { echo "ensure-pulumi: $*" >&2; }
command_ldflags=(-ldflags "-X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$command_version")

# shellcheck source=go-wrapper.sh
source "$root/scripts/go-wrapper.sh"

# replaces MODULE@VERSION: the module's replace lines that point at other modules (relative paths
# only make sense inside its repository).
replaces() {
  module_replaces "$1" | { grep -v '=> \.' || true; } | sed 's/^/replace /'
}

build_cli() {
  [[ -x "$bin/pulumi" ]] && return 0
  log "building the Pulumi CLI v$pulumi_version"
  local dir="$out/src/cli"
  wrapper "$dir" "github.com/pulumi/pulumi/pkg/v3@v$pulumi_version" "github.com/pulumi/pulumi/sdk/v3@v$pulumi_version"
  replaces "github.com/pulumi/pulumi/pkg/v3@v$pulumi_version" >> "$dir/go.mod"
  (cd "$dir" && go mod tidy -e >/dev/null 2>&1
   go build -o "$bin/pulumi" \
     -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version" \
     github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_language_host() {
  [[ -x "$bin/pulumi-language-nodejs" ]] && return 0
  log "building pulumi-language-nodejs"
  local dir="$out/src/language-nodejs"
  # Since it became its own module it has no tags, only pseudo-versions; before that it was a
  # package of the tagged sdk/v3 module, which is the route the Go proxy here serves.
  local legacy=${PULUMI_LANGUAGE_NODEJS_SDK:-v3.52.0}
  wrapper "$dir" "github.com/pulumi/pulumi/sdk/v3@$legacy"
  replaces "github.com/pulumi/pulumi/sdk/v3@$legacy" >> "$dir/go.mod"
  (cd "$dir" && go build -o "$bin/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
}

build_command_provider() {
  [[ -x "$bin/pulumi-resource-command" ]] && return 0
  build_command_provider_from_proxy || build_command_provider_from_source
}

# The provider module has no tags; its commit is the one the sdk/vX tag points at.
build_command_provider_from_proxy() {
  log "building pulumi-resource-command v$command_version from the Go module proxy"
  local dir="$out/src/command" info hash
  info=$(go mod download -json "github.com/pulumi/pulumi-command/sdk@v$command_version") || return 1
  hash=$(sed -n 's/^\t\t"Hash": "\(.*\)",*$/\1/p' <<< "$info" | head -n1)
  [[ -n "$hash" ]] || { log "no commit found for pulumi-command v$command_version"; return 1; }
  wrapper "$dir"
  (cd "$dir" && go get "github.com/pulumi/pulumi-command/provider@${hash:0:12}" \
     && go build -o "$bin/pulumi-resource-command" "${command_ldflags[@]}" \
       github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command)
}

# Where the proxy refuses the provider module, its unmodified upstream source sits beside the
# repository (shared/third_party); its own go.mod pins every dependency, which the proxy serves.
build_command_provider_from_source() {
  local src=${PULUMI_COMMAND_SOURCE:-$root/../shared/third_party/pulumi-command} found
  if [[ ! -f "$src/provider/go.mod" ]]; then
    log "the Go module proxy refuses the command provider and its source is not at $src (set PULUMI_COMMAND_SOURCE)"
    return 1
  fi
  found=$(sed -n 's/.*github.com\/pulumi\/pulumi-command at tag .v\([0-9.]*\).*/\1/p' "$src/README.md" 2>/dev/null)
  if [[ "$found" != "$command_version" ]]; then
    log "the command provider source at $src is version '${found:-unknown}', but @pulumi/command is $command_version; bring the matching source"
    return 1
  fi
  log "building pulumi-resource-command v$command_version from $src"
  # The source tree is read-only and must stay unmodified: build from a copy.
  local dir="$out/src/command-source"
  rm -rf "$dir"; mkdir -p "$dir"
  cp -r "$src/provider/." "$dir/"
  chmod -R u+w "$dir"
  (cd "$dir" && go build -o "$bin/pulumi-resource-command" "${command_ldflags[@]}" ./cmd/pulumi-resource-command)
}

build_kubernetes_provider() {
  [[ -x "$bin/pulumi-resource-kubernetes" ]] && return 0
  # The provider module has no tags; this is the newest pseudo-version the Go proxy here serves.
  local module=github.com/pulumi/pulumi-kubernetes/provider/v4 version=${PULUMI_KUBERNETES_PROVIDER:-v4.0.0-20260115033456-f47bc2d6f199}
  log "building pulumi-resource-kubernetes ($module@$version, reporting $kubernetes_version)"
  local dir="$out/src/kubernetes"
  wrapper "$dir" "$module@$version"
  replaces "$module@$version" >> "$dir/go.mod"
  # Its main package embeds a versioned copy of the schema that `make` generates; make it here.
  local src; src=$(cd "$dir" && go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$dir/cmd"
  cp "$src/cmd/pulumi-resource-kubernetes/main.go" "$dir/cmd/"
  python3 - "$src/cmd/pulumi-resource-kubernetes" "$dir/cmd" "$kubernetes_version" <<'PY'
import json, sys
src, dst, version = sys.argv[1:]
schema = json.load(open(f"{src}/schema.json"))
schema["version"] = version
json.dump(schema, open(f"{dst}/schema-embed.json", "w"), separators=(",", ":"))
json.dump(json.load(open(f"{src}/terraform-mapping.json")), open(f"{dst}/terraform-mapping-embed.json", "w"), separators=(",", ":"))
PY
  (cd "$dir" && go build -o "$bin/pulumi-resource-kubernetes" \
     -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$kubernetes_version" ./cmd)
}

if command -v pulumi >/dev/null && pulumi version >/dev/null 2>&1 && command -v pulumi-language-nodejs >/dev/null; then
  dirname "$(command -v pulumi)"
  exit 0
fi
build_cli
build_language_host
# Every lab needs it; `--allow-missing-command-provider` is for programs without command
# resources (config validation, the Kubernetes test).
if ! build_command_provider; then
  log "pulumi-resource-command could not be built (see above); stacks with command resources cannot run on this engine"
  [[ "${1:-}" == --allow-missing-command-provider ]] || exit 1
fi
build_kubernetes_provider
echo "$bin"
