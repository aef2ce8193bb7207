#!/usr/bin/env bash
# The lab's credentials on the lab host, as the seed's ~/.os_credentials: credentials.yaml and the
# SSH key pair, in a folder only its owner can enter. Prints the credentials file's path.
# Usage: credentials-file.sh up|down
# Environment: CREDENTIALS_DIR (default ~/.os_credentials), the passwords, SSH_PRIVATE_KEY, SSH_PUBLIC_KEY
set -euo pipefail

action=${1:?usage: credentials-file.sh up|down}
dir=${CREDENTIALS_DIR:-}
dir=${dir:-$HOME/.os_credentials}

case "$action" in
  down)
    rm -f "$dir/credentials.yaml" "$dir/lab-key" "$dir/lab-key.pub"
    rmdir "$dir" 2>/dev/null || true
    exit 0 ;;
  up) ;;
  *) echo "credentials-file.sh: unknown action '$action'" >&2; exit 2 ;;
esac

: "${MARIADB_ROOT_PASSWORD:?}" "${RABBITMQ_PASSWORD:?}" "${OS_ADMIN_PASSWORD:?}" "${OS_DEMO_PASSWORD:?}" "${OS_SHARED_SECRET:?}" "${SSH_PRIVATE_KEY:?}" "${SSH_PUBLIC_KEY:?}"
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"
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
