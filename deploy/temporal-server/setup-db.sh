#!/usr/bin/env bash
# Creates Temporal's own databases (default store and visibility) in PostgreSQL and brings their
# schema to the version this server release ships, with temporal-sql-tool. Idempotent: existing
# databases are kept, the versioning tables are set up once, and update-schema applies only the
# versions not applied yet.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

[ -x "$TEMPORAL_SQL_TOOL_BIN" ] || die "$TEMPORAL_SQL_TOOL_BIN is missing: run install.sh first"

export PGPASSWORD="$TEMPORAL_DB_PASSWORD"
psql_admin() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$TEMPORAL_DB_HOST" -p "$TEMPORAL_DB_PORT" -U "$TEMPORAL_DB_USER" "$@"
}
sql_tool() {
  "$TEMPORAL_SQL_TOOL_BIN" --plugin postgres12 --ep "$TEMPORAL_DB_HOST" -p "$TEMPORAL_DB_PORT" \
    -u "$TEMPORAL_DB_USER" --pw "$TEMPORAL_DB_PASSWORD" "$@"
}

# The versioned schema files ship in the server module's source, which go install left in the
# module cache; the tool also embeds the same files, used when the cache was cleaned.
modcache="$(go env GOMODCACHE 2>/dev/null || true)"
schema_root="$modcache/$TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION/schema/postgresql/v12"

setup_database() {
  local db="$1" kind="$2" # kind: temporal | visibility
  if [ "$(psql_admin -d postgres -tAc "select 1 from pg_database where datname = '$db'")" != 1 ]; then
    log "creating database $db"
    sql_tool --db "$db" create-database
  fi
  if [ "$(psql_admin -d "$db" -tAc "select count(*) from information_schema.tables where table_name = 'schema_version'")" = 0 ]; then
    log "$db: setting up schema versioning (setup-schema -v 0.0)"
    sql_tool --db "$db" setup-schema -v 0.0
  fi
  if [ -d "$schema_root/$kind/versioned" ]; then
    sql_tool --db "$db" update-schema -d "$schema_root/$kind/versioned"
  else
    sql_tool --db "$db" update-schema --schema-name "postgresql/v12/$kind"
  fi
  log "$db: schema version $(psql_admin -d "$db" -tAc "select curr_version from schema_version where db_name = '$db'")"
}

pg_isready -q -h "$TEMPORAL_DB_HOST" -p "$TEMPORAL_DB_PORT" \
  || die "no PostgreSQL answers on $TEMPORAL_DB_HOST:$TEMPORAL_DB_PORT"
setup_database "$TEMPORAL_DB_NAME" temporal
setup_database "$TEMPORAL_VISIBILITY_DB_NAME" visibility
