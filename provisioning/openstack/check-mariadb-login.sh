#!/usr/bin/env bash
# This node logs into MariaDB on the database node by name with the generated root password.
# Environment: DB_HOST, ROOT_PASSWORD (secret)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${DB_HOST:?}" "${ROOT_PASSWORD:?}"

# The password reaches mysql in a private option file, never on its command line.
version=$(mysql_with_password "$ROOT_PASSWORD" -h "$DB_HOST" -u root -N -B -e 'SELECT VERSION()') \
  || fail "mysql -h $DB_HOST -u root -e 'SELECT VERSION()' failed"
pass "logged into MariaDB $version on $DB_HOST as root"
