#!/usr/bin/env bash
# Exit 0 and print the frontend address when the server start.sh started is running; else exit 1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

pid="$(cat "$TEMPORAL_SERVER_PID_FILE" 2>/dev/null || true)"
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "temporal-server" ]; then
  echo "$TEMPORAL_SERVER_ADDRESS"
  exit 0
fi
exit 1
