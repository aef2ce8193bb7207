# Building Go programs from the module proxy when `go install` refuses them (their go.mod has
# replace lines): an empty wrapper module requires the real one and takes over the replaces it
# needs. Sourced by ensure-pulumi.sh and ensure-kube-apiserver.sh.
# shellcheck shell=bash

# wrapper DIR REQUIRE...: an empty module in DIR requiring the given MODULE@VERSIONs.
wrapper() {
  local dir=$1; shift
  rm -rf "$dir"; mkdir -p "$dir"
  printf 'module labstack/wrapper\n\ngo 1.25\n' > "$dir/go.mod"
  (cd "$dir" && for m in "$@"; do go mod edit -require="$m"; done)
}

# module_replaces MODULE@VERSION: the module's replace directives as "old => new" lines.
module_replaces() {
  local gomod
  gomod=$(go mod download -json "$1" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  awk '/^replace \(/ { inblock = 1; next } inblock && /^\)/ { inblock = 0; next }
       inblock { sub(/^[ \t]+/, ""); print; next } /^replace [^(]/ { sub(/^replace /, ""); print }' "$gomod"
}
