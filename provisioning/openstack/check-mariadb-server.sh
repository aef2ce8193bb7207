#!/usr/bin/env bash
# MariaDB: root has a password (and the generated one works), no anonymous users, and the server
# listens on the management address only.
# Environment: BIND_ADDRESS, ROOT_PASSWORD (secret)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${BIND_ADDRESS:?}" "${ROOT_PASSWORD:?}"

q() { mysql --protocol=socket -u root -N -B -e "$1"; }
[[ "$(q "SELECT COUNT(*) FROM mysql.user WHERE User = 'root' AND authentication_string = ''")" == 0 ]] \
  || fail "a MariaDB root account has no password"
[[ "$(q "SELECT COUNT(*) FROM mysql.user WHERE User = ''")" == 0 ]] || fail "MariaDB has anonymous users"
# The passwords reach mysql in private option files, never on its command line.
mysql_with_password "$ROOT_PASSWORD" -h "$BIND_ADDRESS" -u root -N -B -e 'SELECT 1' >/dev/null \
  || fail "mysql -h $BIND_ADDRESS -u root with the generated password was refused"
if mysql_with_password wrong-password -h "$BIND_ADDRESS" -u root -e 'SELECT 1' >/dev/null 2>&1; then
  fail "mysql -h $BIND_ADDRESS -u root accepted a wrong password"
fi
listen=$(ss -Hltn 'sport = :3306' | awk '{ print $4 }' | sort -u | tr '\n' ' ')
[[ "$listen" == "$BIND_ADDRESS:3306 " ]] || fail "MariaDB listens on '$listen', expected only $BIND_ADDRESS:3306"
pass "MariaDB root has a password, no anonymous users, listens on $BIND_ADDRESS:3306 only"
