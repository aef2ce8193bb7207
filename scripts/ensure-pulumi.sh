#!/usr/bin/env bash
# Make the Pulumi engine available without downloads from pulumi.com: when no usable `pulumi` is
# on PATH, build the CLI, the nodejs language host, the command provider and the providers asked
# for from Go modules (or from their unmodified source beside the repository where the Go proxy
# refuses them), at the versions package.json pins, into a cache (a second run takes seconds).
# Prints the folder to put on PATH as its last line. Users with internet install Pulumi as usual
# and never need this.
# Usage: ensure-pulumi.sh [--provider kubernetes] [--provider digitalocean] [--allow-missing-command-provider]
#
# Every built provider is also installed into the plugin cache of a Pulumi home kept in the same
# cache (pulumi-home/plugins): an engine whose PULUMI_HOME has those plugins and that runs with
# PULUMI_IGNORE_AMBIENT_PLUGINS=true takes them from there instead of from PATH, without the
# engine's "using pulumi-resource-X from $PATH" warning.
#
# `go install` refuses these modules (their go.mod has replace lines), so each binary is built
# from a small wrapper module that requires the real one and copies the replaces it needs.
set -euo pipefail

usage() { echo "usage: ensure-pulumi.sh [--provider kubernetes|digitalocean]... [--allow-missing-command-provider]" >&2; exit 2; }
providers=()
allow_missing_command=false
while (($# > 0)); do
  case "$1" in
    --provider)
      (($# >= 2)) || usage
      case "$2" in
        kubernetes | digitalocean) providers+=("$2") ;;
        *) echo "ensure-pulumi: unknown provider '$2' (known: kubernetes, digitalocean)" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --allow-missing-command-provider) allow_missing_command=true; shift ;;
    *) usage ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
sdk_version() { node -p "require('$root/node_modules/@pulumi/$1/package.json').version"; }
pulumi_version=$(sdk_version pulumi)
command_version=$(sdk_version command)
out=${LABSTACK_CACHE:-$HOME/.cache/labstack}/pulumi/v$pulumi_version-command-v$command_version
bin="$out/bin"
plugin_home="$out/pulumi-home"
mkdir -p "$bin"
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

log() { echo "ensure-pulumi: $*" >&2; }
# shellcheck source=../provisioning/lib/progress.sh
source "$root/provisioning/lib/progress.sh"
# A cold build is minutes of `go` saying nothing: every go command says it is still at work.
go() { progress "running go $1 (a cold build takes minutes)" command go "$@"; }
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
  local kubernetes_version; kubernetes_version=$(sdk_version kubernetes)
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

# The plugin's version must equal the SDK's: the SDK asks the engine for exactly its own version.
build_digitalocean_provider() {
  [[ -x "$bin/pulumi-resource-digitalocean" ]] && return 0
  local version; version=$(sdk_version digitalocean)
  build_digitalocean_provider_from_proxy "$version" || build_digitalocean_provider_from_source "$version"
}

# Asked once: the proxy here refuses this module (403). Where it serves it, this is the
# Kubernetes provider's route; a failed build falls back to the source.
build_digitalocean_provider_from_proxy() {
  local version=$1 module=github.com/pulumi/pulumi-digitalocean/provider/v4
  if ! go mod download -json "$module@v$version" >/dev/null 2>&1; then
    log "the Go module proxy does not serve $module@v$version; building from its source instead"
    return 1
  fi
  log "building pulumi-resource-digitalocean v$version from the Go module proxy"
  local dir="$out/src/digitalocean" src
  wrapper "$dir" "$module@v$version"
  replaces "$module@v$version" >> "$dir/go.mod"
  src=$(cd "$dir" && go mod download -json "$module@v$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$dir/cmd"
  cp "$src/cmd/pulumi-resource-digitalocean/main.go" "$dir/cmd/"
  python3 - "$src/cmd/pulumi-resource-digitalocean/schema.json" "$dir/cmd/schema-embed.json" "$version" <<'PY'
import json, sys
src, dst, version = sys.argv[1:]
schema = json.load(open(src))
schema["version"] = version
json.dump(schema, open(dst, "w"), separators=(",", ":"))
PY
  (cd "$dir" && go build -o "$bin/pulumi-resource-digitalocean" -ldflags "-X $module/pkg/version.Version=$version -s -w" ./cmd) && return 0
  log "the build from the Go module proxy failed; building from its source instead"
  return 1
}

# Its unmodified upstream source (with the Terraform provider it wraps, and the parts of two
# modules the proxy refuses) sits beside the repository; built by the recipe of its README.
build_digitalocean_provider_from_source() {
  local version=$1 src=${PULUMI_DIGITALOCEAN_SOURCE:-$root/../shared/third_party/pulumi-digitalocean} found
  if [[ ! -f "$src/provider/go.mod" ]]; then
    log "the Go module proxy refuses the DigitalOcean provider and its source is not at $src (set PULUMI_DIGITALOCEAN_SOURCE)"
    return 1
  fi
  found=$(sed -n '1s/^# pulumi-digitalocean provider source, v\([0-9.]*\) .*/\1/p' "$src/README.md" 2>/dev/null)
  if [[ "$found" != "$version" ]]; then
    log "the DigitalOcean provider source at $src is version '${found:-unknown}', but @pulumi/digitalocean is $version; the plugin must equal the SDK: pin @pulumi/digitalocean to the source's version or bring the source of $version"
    return 1
  fi
  log "building pulumi-resource-digitalocean v$version from $src (cold: minutes)"
  # The source stays unmodified: the patch and `go generate` write into a copy.
  local w="$out/src/digitalocean-source"
  rm -rf "$w"; mkdir -p "$w"
  cp -r "$src/." "$w/"
  chmod -R u+w "$w"
  # The README's `patch -p1`, not `git apply`: inside another git work tree (a cache under a
  # checkout) git apply would skip the patch without a word.
  (cd "$w/upstream" && for p in ../patches/*.patch; do patch -p1 -s < "$p"; done)
  cp "$w/provider/go.mod" "$w/build.mod"; cp "$w/provider/go.sum" "$w/build.sum"
  cat >> "$w/build.mod" <<'EOR'

replace github.com/pulumi/pulumi-terraform-bridge/v3 v3.130.0 => ../deps/pulumi-terraform-bridge

replace github.com/pulumi/pulumi/pkg/v3 v3.242.0 => ../deps/pulumi-pkg
EOR
  # No -mod=mod: it would resolve modules the build does not use, which the proxy refuses. The
  # modfile goes through GOFLAGS so that the `go run` of `go generate` sees it too.
  (cd "$w/provider" && export GOFLAGS="-buildvcs=false -modfile=$w/build.mod"
   log "building pulumi-resource-digitalocean: go generate (the schema with its version)"
   VERSION=$version progress "generating the DigitalOcean provider's schema" nice -n 19 go generate ./cmd/pulumi-resource-digitalocean/main.go
   log "building pulumi-resource-digitalocean: go build"
   CGO_ENABLED=0 progress "building the DigitalOcean provider" nice -n 19 go build -o "$bin/.pulumi-resource-digitalocean.new" \
     -ldflags "-X github.com/pulumi/pulumi-digitalocean/provider/v4/pkg/version.Version=$version -s -w" \
     ./cmd/pulumi-resource-digitalocean)
  found=$("$bin/.pulumi-resource-digitalocean.new" -version)
  if [[ "$found" != "$version" ]]; then
    log "the built pulumi-resource-digitalocean reports version '$found', not $version"
    return 1
  fi
  # Only a whole, checked binary gets the name the next run takes as built.
  mv "$bin/.pulumi-resource-digitalocean.new" "$bin/pulumi-resource-digitalocean"
}

# install_plugin NAME VERSION: the built provider into the plugin cache of $plugin_home (a copy,
# made again only after a rebuild).
install_plugin() {
  local name=$1 version=$2 file="$bin/pulumi-resource-$1"
  local dir="$plugin_home/plugins/resource-$name-v$version"
  [[ -x "$dir/pulumi-resource-$name" && ! -e "$dir.partial" && "$dir/pulumi-resource-$name" -nt "$file" ]] && return 0
  log "installing pulumi-resource-$name v$version into the plugin cache $plugin_home/plugins"
  PULUMI_HOME=$plugin_home PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" plugin install resource "$name" "$version" --file "$file" --reinstall >&2
}

# Every provider built so far, asked for this time or not: an engine that takes its plugins from
# this cache and ignores PATH must find each one a program may use.
install_plugins() {
  [[ ! -x "$bin/pulumi-resource-command" ]] || install_plugin command "$command_version"
  [[ ! -x "$bin/pulumi-resource-kubernetes" ]] || install_plugin kubernetes "$(sdk_version kubernetes)"
  [[ ! -x "$bin/pulumi-resource-digitalocean" ]] || install_plugin digitalocean "$(sdk_version digitalocean)"
}

if command -v pulumi >/dev/null && pulumi version >/dev/null 2>&1 && command -v pulumi-language-nodejs >/dev/null; then
  dirname "$(command -v pulumi)"
  exit 0
fi
# Test files and helpers may ask at the same time; the builds share their source folders.
exec 8>"$out/.lock"
flock 8
build_cli
build_language_host
# Every lab needs it; `--allow-missing-command-provider` is for programs without command
# resources (config validation, the Kubernetes test).
if ! build_command_provider; then
  log "pulumi-resource-command could not be built (see above); stacks with command resources cannot run on this engine"
  [[ "$allow_missing_command" == true ]] || exit 1
fi
for provider in "${providers[@]}"; do
  "build_${provider}_provider" || { log "pulumi-resource-$provider could not be built (see above)"; exit 1; }
done
install_plugins
echo "$bin"
