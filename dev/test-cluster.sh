#!/usr/bin/env bash
# `npm run test:cluster`: the integration suite, then the cluster tests (two worker processes, one
# killed), against the full Temporal server on PostgreSQL (deploy/temporal-server/). Uses the
# server TEMPORAL_ADDRESS names when set; else starts ours unless it is already running, and stops
# it afterwards only if this script started it. Extra arguments go to both jest runs.
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - started ))s)"; }

we_started=0
if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  if address="$(deploy/temporal-server/status.sh)"; then
    step "Temporal server already running on $address"
  else
    step "starting the full Temporal server (deploy/temporal-server/start.sh)"
    address="$(deploy/temporal-server/start.sh)" || exit 1
    we_started=1
  fi
  export TEMPORAL_ADDRESS="$address"
else
  step "using the Temporal server at TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS"
fi
cleanup() {
  if [ "$we_started" = 1 ]; then
    step "stopping the Temporal server this run started"
    deploy/temporal-server/stop.sh
  fi
}
trap cleanup EXIT

summaries=()
run_jest() {
  local name="$1" output status
  shift
  output="$(mktemp)"
  step "$name"
  npx jest "$@" 2>&1 | tee "$output"
  status=${PIPESTATUS[0]}
  summaries+=("$name: $(grep -E '^Tests:' "$output" | tail -n1 | sed 's/^Tests: *//')")
  rm -f "$output"
  return "$status"
}

run_jest "integration suite" --selectProjects integration --runInBand "$@"
integration=$?
run_jest "cluster tests" -c test/cluster/jest.config.js --runInBand "$@"
cluster=$?

step "done"
printf '%s\n' "${summaries[@]}"
[ -f test/artifacts/cluster-two-workers.json ] && echo "kill report: test/artifacts/cluster-two-workers.json"
[ "$integration" = 0 ] && [ "$cluster" = 0 ]
