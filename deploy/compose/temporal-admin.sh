#!/bin/sh
# Long-running (temporalio/admin-tools): waits until the Temporal server answers, through the
# Temporal CLI, registers the namespace our worker and server use if it is missing (and our
# LiveChatContacts search attribute in it), then stays up
# for `docker compose exec temporal-admin-tools temporal …`. Its health check asks the same CLI.
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"
until temporal operator cluster health --address "${TEMPORAL_ADDRESS}" 2>/dev/null | grep -q SERVING; do
  echo "waiting for the Temporal server at ${TEMPORAL_ADDRESS}"
  sleep 2
done
if temporal operator namespace describe --address "${TEMPORAL_ADDRESS}" -n "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --address "${TEMPORAL_ADDRESS}" -n "$namespace" --retention 7d
fi
# The erasure finds a customer's executions through it (docs/operations.md, Consent and erasure).
if temporal operator search-attribute list --address "${TEMPORAL_ADDRESS}" -n "$namespace" | grep -q LiveChatContacts; then
  echo "search attribute LiveChatContacts exists"
else
  temporal operator search-attribute create --address "${TEMPORAL_ADDRESS}" -n "$namespace" \
    --name LiveChatContacts --type KeywordList
fi
exec tail -f /dev/null
