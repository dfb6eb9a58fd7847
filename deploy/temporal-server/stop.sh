#!/usr/bin/env bash
# Stops the server start.sh started (from its pid file): SIGTERM, then SIGKILL after 20 s.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

pid="$(cat "$TEMPORAL_SERVER_PID_FILE" 2>/dev/null || true)"
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "temporal-server" ]; then
  log "not running"
  rm -f "$TEMPORAL_SERVER_PID_FILE"
  exit 0
fi
log "stopping pid $pid"
kill -TERM "$pid"
for _ in $(seq 1 20); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
  log "still running after 20 s: SIGKILL"
  kill -KILL "$pid"
fi
rm -f "$TEMPORAL_SERVER_PID_FILE"
log "stopped"
