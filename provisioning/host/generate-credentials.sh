#!/usr/bin/env bash
# Generate the lab's credentials and print them as one JSON object on stdout. Run once per
# rotation where Pulumi runs; the output only ever lives in Pulumi's secrets.
# Alphanumeric passwords: they pass through SQL, YAML and AMQP URLs without quoting trouble.
# With `host-key`: an SSH host key pair for a lab host the lab creates (a droplet), so that the
# very first connection to it is already verified: {"privateKey": ..., "publicKey": ...}.
set -euo pipefail

password() { LC_ALL=C tr -dc 'A-Za-z0-9' < /dev/urandom | head -c "${1:-24}"; }
json_string() { awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); if (NR > 1) print "\\n"; print }'; }

keydir=$(mktemp -d)
trap 'rm -rf "$keydir"' EXIT

if [[ "${1:-}" == host-key ]]; then
  ssh-keygen -q -t ed25519 -N '' -C 'labstack host' -f "$keydir/key" >/dev/null
  printf '{"privateKey":"%s\\n","publicKey":"%s"}\n' "$(json_string < "$keydir/key")" "$(json_string < "$keydir/key.pub")"
  exit 0
fi

ssh-keygen -q -t ed25519 -N '' -C labstack -f "$keydir/key" >/dev/null
printf '{"mariadbRootPassword":"%s","rabbitmqPassword":"%s","osAdminPassword":"%s","osDemoPassword":"%s","osSharedSecret":"%s","sshPrivateKey":"%s\\n","sshPublicKey":"%s"}\n' \
  "$(password)" "$(password)" "$(password)" "$(password)" "$(password 32)" \
  "$(json_string < "$keydir/key")" "$(json_string < "$keydir/key.pub")"
