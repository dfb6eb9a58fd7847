#!/bin/sh
# One-shot (temporalio/admin-tools): creates Temporal's two databases on the compose PostgreSQL and
# brings their schemas to the version of the admin-tools image, which matches the server's. Safe to
# run again: an existing database is only updated.
set -eu

sql() {
  temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS}" -p "${DB_PORT:-5432}" \
    -u "${POSTGRES_USER}" --pw "${POSTGRES_PWD}" "$@"
}

setup() {
  db="$1"
  versioned="/etc/temporal/schema/postgresql/v12/$2/versioned"
  if sql --db "$db" update-schema -d "$versioned" 2>/dev/null; then
    echo "$db: schema up to date"
    return
  fi
  echo "$db: creating the database and its schema"
  sql --db "$db" create
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$versioned"
}

setup temporal temporal
setup temporal_visibility visibility
