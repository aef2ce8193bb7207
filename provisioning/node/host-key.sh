#!/usr/bin/env bash
# A node's SSH host key: the pair the lab generated for it with its credentials, so that every
# connection after this step (the engine's steps, the lab's provider, ssh_config, the CLI) checks
# the node against the key it pinned. Installs the pair as /etc/ssh/ssh_host_ed25519_key(.pub),
# root's, 0600 and 0644; makes sshd offer that key alone (a drop-in, where sshd_config includes
# sshd_config.d/ as Debian's and Ubuntu's do: sshd offers every HostKey it is given, and the
# defaults only when it is given none); and when anything changed, checks the configuration
# (`sshd -t`), reloads sshd (sessions, this one too, stay up: Debian's ssh.service and Ubuntu
# 24.04's socket-activated one alike) and waits until sshd offers the key; when nothing changed
# but sshd does not offer it (a run that failed half-way), reloads it all the same. A pair that
# does not belong together changes nothing; a configuration sshd refuses is put back as it was,
# sshd left alone. Prints nothing when everything already was so.
# Usage: host-key.sh up
# Environment: HOST_KEY (the private key, OpenSSH's format, unencrypted), HOST_PUBLIC_KEY (its
#              public key line: ssh-ed25519 BASE64 [comment]), ROOT (tests only: a folder that
#              stands in for /; the files go under it, sshd_config names them as on the node)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"

action=${1:?usage: host-key.sh up}
[[ "$action" == up ]] || { echo "host-key.sh: unknown action '$action'" >&2; exit 2; }
: "${HOST_KEY:?}" "${HOST_PUBLIC_KEY:?}"
root=${ROOT:-}
key_path=/etc/ssh/ssh_host_ed25519_key
ssh_dir=$root/etc/ssh key_file=$root$key_path pub_file=$root$key_path.pub
drop_in=$ssh_dir/sshd_config.d/10-labstack-host-key.conf

# The pair first, before anything is touched: the private key must give the public one.
read -r type blob _ <<< "$HOST_PUBLIC_KEY"
[[ "$type" == ssh-ed25519 && "$blob" =~ ^[A-Za-z0-9+/]+=*$ ]] || { echo "host-key.sh: HOST_PUBLIC_KEY is not an ssh-ed25519 public key line: nothing changed" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The shell's reading of the key (trailing newlines aside), with one newline, as put writes it.
private=$(printf '%s' "$HOST_KEY")
(umask 077 && printf '%s\n' "$private" > "$work/key")
derived=$(ssh-keygen -y -P '' -f "$work/key" 2>/dev/null) || { echo "host-key.sh: HOST_KEY is not an unencrypted OpenSSH private key: nothing changed" >&2; exit 2; }
read -r derived_type derived_blob _ <<< "$derived"
[[ "$derived_type $derived_blob" == "$type $blob" ]] || { echo "host-key.sh: HOST_KEY and HOST_PUBLIC_KEY are not one key pair: nothing changed" >&2; exit 2; }

# What is there now, to be put back if sshd refuses what this run makes.
files=("$key_file" "$pub_file" "$drop_in")
for i in "${!files[@]}"; do
  if [[ -e "${files[i]}" ]]; then cp -p -- "${files[i]}" "$work/was.$i"; fi
done
put_back() {
  local i
  for i in "${!files[@]}"; do
    if [[ -e "$work/was.$i" ]]; then cp -p -- "$work/was.$i" "${files[i]}"; else rm -f -- "${files[i]}"; fi
  done
}

changes=0
# owned FILE MODE: the file is this user's (root's, on a node) with MODE; says so when it was not.
owned() {
  [[ "$(stat -c '%u %a' "$1")" != "$EUID ${2#0}" ]] || return 0
  chown "$EUID" "$1"
  chmod "$2" "$1"
  changed "$1: owner and mode"
  changes=1
}
if put "$key_file" "$private" 0600; then changes=1; fi
owned "$key_file" 0600
if put "$pub_file" "$HOST_PUBLIC_KEY" 0644; then changes=1; fi
owned "$pub_file" 0644
# Only where sshd_config reads the folder: elsewhere sshd offers its default keys, this one among them.
if [[ -d "$ssh_dir/sshd_config.d" ]] && grep -Eqi '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' "$ssh_dir/sshd_config" 2>/dev/null; then
  if put "$drop_in" "# Written by labstack (node/host-key.sh): the host key the lab pinned, and no other.
HostKey $key_path" 0644; then changes=1; fi
fi
# The key offered (by 127.0.0.1:22, where the node's forward leads).
offered() { ssh-keyscan -T 5 -t ed25519 127.0.0.1 2>/dev/null | awk -v key="$type $blob" '$2 " " $3 == key { found = 1 } END { exit !found }'; }
# Nothing to do when the files were so and sshd offers the key; sshd is reloaded when it does not,
# as after a run that failed between the files and the reload.
if ((!changes)) && offered; then exit 0; fi

# sshd -t wants its privilege separation folder, which only a running ssh.service makes.
[[ -n "$root" || -d /run/sshd ]] || mkdir -m 0755 /run/sshd
if ! refused=$(sshd -t -f "$ssh_dir/sshd_config" 2>&1); then
  put_back
  echo "host-key.sh: sshd refuses its configuration with the lab's host key, put back as it was (sshd not reloaded): $refused" >&2
  exit 1
fi
# Reloaded, not restarted: sshd reads its configuration and keys again, and every session,
# this one too, goes on.
systemctl try-reload-or-restart ssh.service
# The next step checks the key at once: it is offered before this step ends.
if ! wait_for 20 "sshd to offer the lab's host key" offered >/dev/null; then
  echo "host-key.sh: sshd still does not offer the lab's host key after its reload" >&2
  exit 1
fi
changed "sshd offers the lab's host key ($type)"
