#!/usr/bin/env bash
# MariaDB for the lab (the seed's mariaDB role): bound to the management address, root with the
# generated password (root@localhost keeps socket login for the OS root), root@'%' as in the
# seed, no anonymous users, no test database.
# Environment: BIND_ADDRESS, ROOT_PASSWORD (secret)
set -euo pipefail
# shellcheck source=../lib/common.sh
source "${LABSTACK_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}/lib/common.sh"
: "${BIND_ADDRESS:?}" "${ROOT_PASSWORD:?}"
# Generated passwords are alphanumeric; refusing others keeps them out of SQL quoting trouble.
[[ "$ROOT_PASSWORD" =~ ^[A-Za-z0-9]+$ ]] || { echo "ROOT_PASSWORD must be alphanumeric" >&2; exit 1; }

ensure_packages mariadb-server python3-pymysql
was=0
put /etc/mysql/mariadb.conf.d/99-openstack.cnf "[mysqld]
bind-address = $BIND_ADDRESS

default-storage-engine = innodb
innodb_file_per_table = on
max_connections = 4096
collation-server = utf8_general_ci
character-set-server = utf8" && was=1
restart_if mariadb "$was"

sql() { mysql --protocol=socket -u root -N -B; }
state=$(sql <<SQL
SELECT CONCAT(
  (SELECT COUNT(*) FROM mysql.user WHERE User = 'root' AND Host IN ('localhost', '%') AND authentication_string = PASSWORD('$ROOT_PASSWORD')),
  ' ', (SELECT COUNT(*) FROM mysql.user WHERE User = ''),
  ' ', (SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'test'),
  ' ', (SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'root' AND Host = '%' AND JSON_VALUE(Priv, '$.access') + 0 > 0));
SQL
)
read -r root_ok anonymous test_db remote_root_grants <<< "$state"

if [[ "$root_ok" != 2 || "$remote_root_grants" != 1 ]]; then
  sql <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('$ROOT_PASSWORD');
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$ROOT_PASSWORD';
ALTER USER 'root'@'%' IDENTIFIED BY '$ROOT_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
  changed "MariaDB root password and remote root"
fi
if [[ "$anonymous" != 0 ]]; then
  sql <<< "SELECT CONCAT('DROP USER ''', User, '''@''', Host, ''';') FROM mysql.user WHERE User = '';" | sql
  changed "dropped anonymous MariaDB users"
fi
if [[ "$test_db" != 0 ]]; then
  sql <<< "DROP DATABASE test;"
  changed "dropped test database"
fi
