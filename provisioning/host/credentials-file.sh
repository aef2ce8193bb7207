#!/usr/bin/env bash
# The lab's credentials on the lab host, as the seed's ~/.os_credentials: credentials.yaml and the
# SSH key pair, in the lab's own folder. Prints the credentials file's path.
# The folder is created only its owner can enter; an existing folder (the seed's ~/.os_credentials,
# shared with other tools) is used as it is and never chmod-ed: the files themselves are 0600.
# `down` removes the lab's three files, and the folder only if the lab made it.
# Usage: credentials-file.sh up|down
# Environment: CREDENTIALS_DIR (absolute, or ~/... for the host user's home), the passwords,
#              SSH_PRIVATE_KEY, SSH_PUBLIC_KEY
set -euo pipefail
# shellcheck source=owned.sh
source "$(dirname "${BASH_SOURCE[0]}")/owned.sh"

action=${1:?usage: credentials-file.sh up|down}
dir=${CREDENTIALS_DIR:-}
# Labs made before the folder was per stack recorded none: theirs was the seed's.
# shellcheck disable=SC2088 # expanded below
[[ -n "$dir" || "$action" != down ]] || dir="~/.os_credentials"
[[ -n "$dir" ]] || { echo "CREDENTIALS_DIR is required: the plan passes the folder of this lab" >&2; exit 2; }
# `~` is the home of the user the script runs as on the lab host, never a folder named `~`.
# shellcheck disable=SC2088 # the tilde is matched literally on purpose
[[ "$dir" == "~/"* ]] && dir="$HOME/${dir#"~/"}"
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

: "${MARIADB_ROOT_PASSWORD:?}" "${RABBITMQ_PASSWORD:?}" "${OS_ADMIN_PASSWORD:?}" "${OS_DEMO_PASSWORD:?}" "${OS_SHARED_SECRET:?}" "${SSH_PRIVATE_KEY:?}" "${SSH_PUBLIC_KEY:?}"
umask 077
if [[ ! -d "$dir" ]]; then own_dir "$dir" 0700; fi
cat > "$dir/credentials.yaml" <<YAML
MARIADB_ROOT_PASSWORD: $MARIADB_ROOT_PASSWORD
RABBITMQ_PASSWORD: $RABBITMQ_PASSWORD
OS_ADMIN_PASSWORD: $OS_ADMIN_PASSWORD
OS_DEMO_PASSWORD: $OS_DEMO_PASSWORD
OS_SHARED_SECRET: $OS_SHARED_SECRET
YAML
printf '%s\n' "$SSH_PRIVATE_KEY" > "$dir/lab-key"
printf '%s\n' "$SSH_PUBLIC_KEY" > "$dir/lab-key.pub"
chmod 0600 "$dir/credentials.yaml" "$dir/lab-key"
chmod 0644 "$dir/lab-key.pub"
echo "$dir/credentials.yaml"
