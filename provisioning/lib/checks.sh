# Helpers for the learner's checks. A check prints what it ran and what it saw, and exits non-zero
# with a one-line reason, so a red `pulumi up` says exactly what is wrong.
# shellcheck shell=bash

fail() { echo "CHECK FAILED on $(hostname): $*" >&2; exit 1; }

# A missing tool must not read as "no answer": an isolation check would pass without testing.
require() { local tool; for tool in "$@"; do command -v "$tool" >/dev/null || fail "$tool is not installed"; done; }
pass() { echo "ok: $*"; }

# retry SECONDS COMMAND...: some facts (NTP sync, a service after restart) take a while to hold.
retry() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 3
  done
}

# tcp_exchange HOST PORT REQUEST: send REQUEST, print the reply (bash's /dev/tcp, no netcat needed):
# its lines until the peer closes, a memcached reply ends (END, STORED, NOT_STORED, EXISTS,
# NOT_FOUND, ERROR, CLIENT_ERROR ..., SERVER_ERROR ...) or no further line comes for
# TCP_ANSWER_SECONDS (30). No line at all in that time fails, saying so: a guest under emulation
# that resumed a moment ago, with every check of its lab at once, can be seconds late (more than
# the 5 s this allowed before), never that late. A reply that came is the caller's to judge.
tcp_exchange() {
  local host=$1 port=$2 request=$3 line lines=0 status=0 wait=${TCP_ANSWER_SECONDS:-30}
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf '%b' "$request" >&3
  while IFS= read -r -t "$wait" line <&3 || { status=$?; false; }; do
    line=${line%$'\r'}
    printf '%s\n' "$line"
    lines=$((lines + 1))
    case "$line" in END | STORED | NOT_STORED | EXISTS | NOT_FOUND | ERROR | "CLIENT_ERROR "* | "SERVER_ERROR "*) break ;; esac
  done
  exec 3>&-
  if ((status > 128 && lines == 0)); then
    echo "no answer from $host:$port within $wait s" >&2
    return 1
  fi
}

# mysql_with_password PASSWORD MYSQL_ARGS...: the MariaDB client with PASSWORD in an option file
# of its own (--defaults-extra-file, mysql's first option): on mysql's command line (-p) the
# password would be anyone's to read in `ps`, and MYSQL_PWD is deprecated. The file is mktemp's,
# readable by its owner only, and goes when mysql is done, or when the script exits before (an
# EXIT trap: a script that uses this sets none of its own).
declare -ga LABSTACK_TEMP_FILES=()
mysql_with_password() {
  local password=$1 file status=0
  shift
  # Generated passwords are alphanumeric: nothing to quote in an option file.
  [[ "$password" =~ ^[A-Za-z0-9._-]+$ ]] || fail "a MariaDB password must be letters, digits, '.', '_' or '-' (the lab's generated ones are)"
  file=$(mktemp) || fail "could not make a private file for the MariaDB password"
  LABSTACK_TEMP_FILES+=("$file")
  trap 'rm -f -- "${LABSTACK_TEMP_FILES[@]}"' EXIT
  printf '[client]\npassword=%s\n' "$password" > "$file"
  mysql --defaults-extra-file="$file" "$@" || status=$?
  rm -f -- "$file"
  return "$status"
}

# judge EXPECT REACHED SUBJECT: a reachability check read both ways. EXPECT is reach or isolated,
# REACHED 1 or 0; what must not connect is checked as carefully as what must.
judge() {
  local expect=$1 reached=$2 subject=$3
  case "$expect:$reached" in
    reach:1) pass "$subject: reached" ;;
    isolated:0) pass "$subject: not reachable, as it must not be" ;;
    reach:0) fail "$subject: no answer" ;;
    isolated:1) fail "$subject: answered, but it must be isolated" ;;
    *) fail "unknown expectation '$expect'" ;;
  esac
}

# ping_check EXPECT TARGET FROM: ping TARGET and judge the answer (see judge). Reaching stops at the
# first answer within 10 s: a VM under TCG beside busy ones can stall for seconds and lose a few
# packets. Isolation is judged on three packets and 2 s of waiting.
ping_check() {
  local expect=$1 target=$2 from=$3 out reached=0 probe=(-c 3 -W 2)
  [[ "$expect" == reach ]] && probe=(-c 1 -w 10)
  if out=$(ping "${probe[@]}" -i 0.3 -- "$target" 2>&1); then reached=1; fi
  echo "\$ ping $target (from $from)"; echo "$out" | tail -n 2
  judge "$expect" "$reached" "ping $target from $from"
}
