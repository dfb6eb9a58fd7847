#!/usr/bin/env bash
# Builds the full Temporal server and its SQL tool with `go install` (no replace directives at this
# tag) into $LIVECHAT_CACHE_DIR/bin as temporal-server and temporal-sql-tool. Once per machine:
# a second run finds the binaries and returns at once. Takes several minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

stamp="$BIN_DIR/.temporal-server-version"
if [ -x "$TEMPORAL_SERVER_BIN" ] && [ -x "$TEMPORAL_SQL_TOOL_BIN" ] \
  && [ "$(cat "$stamp" 2>/dev/null)" = "$TEMPORAL_SERVER_VERSION" ]; then
  log "temporal-server $TEMPORAL_SERVER_VERSION already built in $BIN_DIR"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "Go is needed to build the Temporal server (go install)"

# The module's commands are called `server` and `sql`; build them in a staging folder, then rename.
staging="$BIN_DIR/.build-$TEMPORAL_SERVER_VERSION"
mkdir -p "$staging"
log "building $TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION (server + sql tool) with go install; several minutes, once..."
began=$(date +%s)
GOBIN="$staging" CGO_ENABLED=0 go install -ldflags='-s -w' \
  "$TEMPORAL_SERVER_MODULE/cmd/server@$TEMPORAL_SERVER_VERSION" \
  "$TEMPORAL_SERVER_MODULE/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
mv -f "$staging/server" "$TEMPORAL_SERVER_BIN"
mv -f "$staging/sql" "$TEMPORAL_SQL_TOOL_BIN"
rmdir "$staging" 2>/dev/null || true
echo "$TEMPORAL_SERVER_VERSION" >"$stamp"
log "built in $(( $(date +%s) - began ))s: $TEMPORAL_SERVER_BIN, $TEMPORAL_SQL_TOOL_BIN"
