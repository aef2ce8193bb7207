#!/usr/bin/env bash
# Every shell script of the project through shellcheck (CI runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.sh' .ci/run; git ls-files --others --exclude-standard '*.sh')
shellcheck -x "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
