#!/usr/bin/env bash
# The lab's credentials on the lab host, as the seed's ~/.os_credentials: credentials.yaml and the
# SSH key pair, in the lab's own folder. Prints the credentials file's path.
# The folder is created only its owner can enter; an existing folder (the seed's ~/.os_credentials,
# shared with other tools) is used as it is and never chmod-ed: the files themselves are 0600.
# A folder may be shared on purpose (credentialsDir set alike in two stacks): a file another lab
# wrote is never overwritten nor removed. credentials.yaml names the lab that wrote it on its first
# line (a YAML comment); a file is this lab's when it names this lab, or holds exactly what this
# lab writes (a file of an older labstack, which named no lab); the keys and known_hosts go with
# credentials.yaml.
# `up` refuses to overwrite another lab's file, naming it; `down` removes only this lab's files,
# and the folder only if the lab made it.
# Usage: credentials-file.sh up|down
# Environment: CREDENTIALS_DIR (absolute, or ~/... for the host user's home), PASSWORDS (records
#              name= value=: credentials.yaml's lines), SSH_PRIVATE_KEY, SSH_PUBLIC_KEY, LAB (the
#              stack's name, recorded in credentials.yaml; optional), KNOWN_HOSTS (the nodes' host
#              keys as known_hosts lines, written beside the key; optional)
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
case "$action" in up | down) ;; *) echo "credentials-file.sh: unknown action '$action'" >&2; exit 2 ;; esac
lab=${LAB:-}
[[ -z "$lab" || "$lab" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "credentials-file.sh: LAB '$lab' must be a stack name (letters, digits, . _ -)" >&2; exit 2; }
yaml_file=$dir/credentials.yaml key_file=$dir/lab-key pub_file=$dir/lab-key.pub known_hosts_file=$dir/known_hosts
stamp_prefix="# labstack lab "

# What this lab writes, from its parameters (also given to `down`); empty when they are not there
# (a `down` of a lab made before they were), so nothing can match.
yaml="" stamp=""
if [[ -n "${PASSWORDS:-}" ]]; then
  while read -r line; do
    record "$line"
    # Generated passwords are alphanumeric: nothing to quote in YAML.
    [[ "${field[name]}" =~ ^[A-Z][A-Z0-9_]*$ && "${field[value]}" =~ ^[A-Za-z0-9]+$ ]] || { echo "credentials-file.sh: a password name or value is not plain (${field[name]})" >&2; exit 2; }
    yaml+="${field[name]}: ${field[value]}"$'\n'
  done < <(records "$PASSWORDS")
  yaml=${yaml%$'\n'}
  if [[ -n "$lab" ]]; then stamp="$stamp_prefix$lab (written by labstack; removed when the lab is destroyed)"; fi
fi

# The lab that credentials.yaml names on its first line, if any.
named=$(sed -n "1s/^$stamp_prefix\([A-Za-z0-9._-]*\).*/\1/p" "$yaml_file" 2>/dev/null || true)
# Whether file $1 holds exactly $2 (as the shell reads both: trailing newlines aside).
holds() { [[ -f "$1" && -n "$2" ]] && [[ "$(cat "$1")" == "$2" ]]; }
# credentials.yaml is this lab's when it names this lab, or names none and holds this lab's values;
# the keys beside it go with it.
yaml_ours=0
if [[ -n "$named" ]]; then
  [[ "$named" != "$lab" ]] || yaml_ours=1
elif holds "$yaml_file" "$yaml"; then
  yaml_ours=1
fi
# known_hosts: one line a node, ending with the last (put adds the newline).
known_hosts=$(printf '%s' "${KNOWN_HOSTS:-}")
files=("$yaml_file" "$key_file" "$pub_file" "$known_hosts_file")
contents=("$yaml" "${SSH_PRIVATE_KEY:-}" "${SSH_PUBLIC_KEY:-}" "$known_hosts")

if [[ "$action" == down ]]; then
  # Decided for all before any goes: the keys' fate hangs on credentials.yaml.
  remove=()
  for i in "${!files[@]}"; do
    [[ -e "${files[i]}" ]] || continue
    if ((yaml_ours)) || holds "${files[i]}" "${contents[i]}"; then
      remove+=("${files[i]}")
    else
      echo "credentials-file.sh: left ${files[i]}: ${named:+lab $named wrote it}${named:-it holds what another lab (or the learner) wrote}" >&2
    fi
  done
  rm -f -- "${remove[@]}"
  if [[ -f "$dir/$LAB_MARKER" ]]; then
    rm -f "$dir/$LAB_MARKER"
    rmdir "$dir" 2>/dev/null || true
  fi
  exit 0
fi

: "${PASSWORDS:?}" "${SSH_PRIVATE_KEY:?}" "${SSH_PUBLIC_KEY:?}"
refuse() {
  echo "credentials-file.sh: $1 was written by $2, not by this lab${lab:+ ($lab)}: two labs cannot share one credentials file. Give this stack a credentialsDir of its own (pulumi config set --path 'labstack:lab.credentialsDir' '~/.local/share/labstack/${lab:-STACK}/credentials'), or move the file away if nobody needs it" >&2
  exit 1
}
if [[ -n "$named" && "$named" != "$lab" ]]; then refuse "$yaml_file" "lab $named"; fi
# Without the lab's name (a plan that passes none) a file naming no lab may be this lab's own of
# before a credentialsRotation: it is overwritten, as it always was.
if [[ -n "$lab" ]] && ((!yaml_ours)); then
  for i in "${!files[@]}"; do
    if [[ -e "${files[i]}" ]] && ! holds "${files[i]}" "${contents[i]}"; then refuse "${files[i]}" "another lab or the learner (it names no lab and holds other values)"; fi
  done
fi
umask 077
if [[ ! -d "$dir" ]]; then own_dir "$dir" 0700; fi
put "$yaml_file" "${stamp:+$stamp$'\n'}$yaml" 0600 >/dev/null || true
put "$key_file" "$SSH_PRIVATE_KEY" 0600 >/dev/null || true
put "$pub_file" "$SSH_PUBLIC_KEY" 0644 >/dev/null || true
if [[ -n "$known_hosts" ]]; then put "$known_hosts_file" "$known_hosts" 0644 >/dev/null || true; fi
echo "$yaml_file"
