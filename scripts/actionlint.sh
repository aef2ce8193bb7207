#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint, built once from its Go module into the cache
# (no binary downloads); actionlint runs shellcheck on the workflows' run: scripts too.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.7.12
bin=${LABSTACK_CACHE:-$HOME/.cache/labstack}/actionlint-$version
if [[ ! -x "$bin/actionlint" ]]; then
  echo "building actionlint $version" >&2
  GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
workflows=(.github/workflows/*.yml)
"$bin/actionlint" -no-color "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflow(s) clean"
