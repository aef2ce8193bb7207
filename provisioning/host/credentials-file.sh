#!/usr/bin/env bash
# The lab's credentials on the lab host, as the seed's ~/.os_credentials: credentials.yaml and the
# SSH key pair, in the lab's own folder. Prints the credentials file's path.
# The folder is created only its owner can enter; an existing folder (the seed's ~/.os_credentials,
# shared with other tools) is used as it is and never chmod-ed: the files themselves are 0600.
# `down` removes the lab's three files, and the folder only if the lab made it.
# Usage: credentials-file.sh up|down
# Environment: CREDENTIALS_DIR (absolute, or ~/... for the host user's home), PASSWORDS (records
#              name= value=: credentials.yaml's lines), SSH_PRIVATE_KEY, SSH_PUBLIC_KEY
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: credentials-file.sh up|down}
dir=${CREDENTIALS_DIR:-}
# Labs made before the folder was per stack recorded none: theirs was the seed's.
# shellcheck disable=SC2088 # expanded below
[[ -n "$dir" || "$action" != down ]] || dir="~/.os_credentials"
[[ -n "$dir" ]] || { echo "CREDENTIALS_DIR is required: the plan passes the folder of this lab" >&2; exit 2; }
dir=$(expand_home "$dir")
[[ "$dir" == /* ]] || { echo "credentialsDir must be an absolute path or start with ~/ (got '$CREDENTIALS_DIR')" >&2; exit 2; }

case "$action" in
  down)
    rm -f "$dir/credentials.yaml" "$dir/lab-key" "$dir/lab-key.pub"
    if [[ -f "$dir/$LAB_MARKER" ]]; then
      rm -f "$dir/$LAB_MARKER"
      rmdir "$dir" 2>/dev/null || true
    fi
    exit 0 ;;
  up) ;;
  *) echo "credentials-file.sh: unknown action '$action'" >&2; exit 2 ;;
esac

: "${PASSWORDS:?}" "${SSH_PRIVATE_KEY:?}" "${SSH_PUBLIC_KEY:?}"
umask 077
if [[ ! -d "$dir" ]]; then own_dir "$dir" 0700; fi
yaml=""
while read -r line; do
  record "$line"
  # Generated passwords are alphanumeric: nothing to quote in YAML.
  [[ "${field[name]}" =~ ^[A-Z][A-Z0-9_]*$ && "${field[value]}" =~ ^[A-Za-z0-9]+$ ]] || { echo "credentials-file.sh: a password name or value is not plain (${field[name]})" >&2; exit 2; }
  yaml+="${field[name]}: ${field[value]}"$'\n'
done < <(records "$PASSWORDS")
put "$dir/credentials.yaml" "${yaml%$'\n'}" 0600 >/dev/null || true
put "$dir/lab-key" "$SSH_PRIVATE_KEY" 0600 >/dev/null || true
put "$dir/lab-key.pub" "$SSH_PUBLIC_KEY" 0644 >/dev/null || true
echo "$dir/credentials.yaml"
