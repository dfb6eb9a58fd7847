#!/usr/bin/env bash
# Starts the full Temporal server (all services in one process) on loopback, backed by PostgreSQL,
# in the background with a pid file and a log; registers the namespaces; returns once the frontend
# serves them. Builds the binaries and sets up the schema first when needed (install.sh,
# setup-db.sh). Idempotent: a server already running from this pid file is left alone.
# Prints the frontend address (host:port) on stdout, so: export TEMPORAL_ADDRESS=$(start.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

TEMPORAL_SERVER_LOG_LEVEL="${TEMPORAL_SERVER_LOG_LEVEL:-warn}"
START_TIMEOUT_S="${TEMPORAL_SERVER_START_TIMEOUT:-120}"

running_pid() {
  local pid
  pid="$(cat "$TEMPORAL_SERVER_PID_FILE" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "temporal-server" ] \
    && echo "$pid"
}

# The Temporal CLI (the same one the dev server comes from) registers and checks namespaces.
temporal_cli() {
  if [ ! -x "$TEMPORAL_CLI_BIN" ]; then
    if command -v temporal >/dev/null 2>&1; then
      TEMPORAL_CLI_BIN="$(command -v temporal)"
    else
      log "building the Temporal CLI with go install (once per machine)"
      GOBIN="$BIN_DIR" CGO_ENABLED=0 go install -ldflags='-s -w' github.com/temporalio/cli/cmd/temporal@v1.5.1
    fi
  fi
  "$TEMPORAL_CLI_BIN" --address "$TEMPORAL_SERVER_ADDRESS" "$@"
}

register_namespaces() {
  local ns
  IFS=',' read -ra namespaces <<<"$TEMPORAL_NAMESPACES"
  for ns in "${namespaces[@]}"; do
    if ! temporal_cli operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
      log "registering namespace $ns"
      temporal_cli operator namespace create --namespace "$ns" --retention 72h >/dev/null
    fi
  done
  # A new namespace reaches the frontend's namespace cache within ~10 s: wait until it serves it.
  for ns in "${namespaces[@]}"; do
    local deadline=$(( $(date +%s) + 60 ))
    until temporal_cli workflow count --namespace "$ns" >/dev/null 2>&1; do
      [ "$(date +%s)" -lt "$deadline" ] || die "namespace $ns is not served after 60 s"
      sleep 1
    done
    # The erasure finds a customer's executions through it (docs/operations.md, Consent and erasure).
    if ! temporal_cli operator search-attribute list --namespace "$ns" 2>/dev/null | grep -q LiveChatContacts; then
      log "registering search attribute LiveChatContacts in $ns"
      temporal_cli operator search-attribute create --namespace "$ns" --name LiveChatContacts \
        --type KeywordList >/dev/null
    fi
  done
}

if pid="$(running_pid)"; then
  log "already running (pid $pid) on $TEMPORAL_SERVER_ADDRESS"
  register_namespaces
  echo "$TEMPORAL_SERVER_ADDRESS"
  exit 0
fi

"$here/install.sh"
mkdir -p "$TEMPORAL_SERVER_STATE_DIR"
setup_log="$TEMPORAL_SERVER_STATE_DIR/setup-db.log"
"$here/setup-db.sh" >>"$setup_log" 2>&1 \
  || { tail -n 30 "$setup_log" >&2; die "schema setup failed (log: $setup_log)"; }

# Render the config template: every ${NAME} placeholder from the settings above.
mkdir -p "$TEMPORAL_SERVER_CONFIG_DIR"
config="$(cat "$here/config.template.yaml")"
for name in $(grep -o '\${[A-Z_]*}' "$here/config.template.yaml" | sort -u | tr -d '${}'); do
  [ -n "${!name+set}" ] || die "config.template.yaml uses \${$name}, which is not set"
  config="${config//\$\{$name\}/${!name}}"
done
printf '%s\n' "$config" >"$TEMPORAL_SERVER_CONFIG_DIR/temporal.yaml"
cp "$here/dynamicconfig.yaml" "$TEMPORAL_SERVER_CONFIG_DIR/dynamicconfig.yaml"

# Refuse early when a port is taken (another server, a dev server on the same ports).
for port in "$TEMPORAL_FRONTEND_PORT" "$TEMPORAL_HISTORY_PORT" "$TEMPORAL_MATCHING_PORT" "$TEMPORAL_WORKER_PORT" \
  "$TEMPORAL_FRONTEND_HTTP_PORT" "$TEMPORAL_METRICS_PORT"; do
  if (exec 3<>"/dev/tcp/$TEMPORAL_BIND_IP/$port") 2>/dev/null; then
    die "port $TEMPORAL_BIND_IP:$port is already in use (set TEMPORAL_*_PORT to move the server)"
  fi
done

log "starting temporal-server $TEMPORAL_SERVER_VERSION on $TEMPORAL_SERVER_ADDRESS (log: $TEMPORAL_SERVER_LOG)"
# setsid: its own session, so it outlives this shell and a Ctrl-C in the terminal that started it.
setsid "$TEMPORAL_SERVER_BIN" --config-file "$TEMPORAL_SERVER_CONFIG_DIR/temporal.yaml" --allow-no-auth start \
  >>"$TEMPORAL_SERVER_LOG" 2>&1 </dev/null &
echo $! >"$TEMPORAL_SERVER_PID_FILE"
pid=$!

deadline=$(( $(date +%s) + START_TIMEOUT_S ))
until temporal_cli operator cluster health >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$TEMPORAL_SERVER_PID_FILE"
    tail -n 30 "$TEMPORAL_SERVER_LOG" >&2
    die "temporal-server exited during start-up (log: $TEMPORAL_SERVER_LOG)"
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    tail -n 30 "$TEMPORAL_SERVER_LOG" >&2
    "$here/stop.sh" || true
    die "temporal-server did not answer on $TEMPORAL_SERVER_ADDRESS within ${START_TIMEOUT_S}s"
  fi
  sleep 1
done
register_namespaces
log "serving on $TEMPORAL_SERVER_ADDRESS (pid $pid, namespaces: $TEMPORAL_NAMESPACES)"
echo "$TEMPORAL_SERVER_ADDRESS"
