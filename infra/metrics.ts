import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Our Prometheus series, on a registry of their own (a test or a process may hold several). Labels
 * are channel kinds, statuses and provider codes only: never an id, an address or a text, so the
 * number of series stays small.
 */
export interface LiveChatMetrics {
  registry: Registry;
  /** Messages that reached a status in this process: `sent`/`failed` at dispatch (worker), `delivered`/`read`/`failed` from status callbacks (server). */
  messages: Counter<'channel' | 'status'>;
  /** Provider errors at dispatch: `kind` permanent (the message failed; `code` the provider's own) or transient (retried; `code` `unavailable`, `outcome_unknown` or `error`: no answer). */
  providerErrors: Counter<'channel' | 'kind' | 'code'>;
  /** Time of the provider call of a dispatch (the adapter's send), by outcome `sent`, `refused`, `error`. */
  dispatchDuration: Histogram<'channel' | 'outcome'>;
  /** Customers' messages recorded (a provider's repeated delivery counts once). */
  inbound: Counter<'channel'>;
  /** Bulk recipients whose outcome was recorded: `sent`, `failed`, `scheduled` (held for quiet hours). */
  bulkRecipients: Counter<'status'>;
  /** Bulk runs that ended, by `state` (`completed`, `cancelled`). */
  bulkRuns: Counter<'state'>;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): LiveChatMetrics {
  const registry = new Registry();
  // The process's own (CPU, memory, event loop lag), in the entry points only.
  if (options.processMetrics) {
    collectDefaultMetrics({ register: registry, prefix: 'livechat_' });
    // Gauges that prom-client names `…_total`, which Prometheus keeps for counters (promtool's lint
    // refuses them); the `…_active_handles` / `…_active_requests` gauges without it say the same.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
      registry.removeSingleMetric(`livechat_nodejs_${name}`);
  }
  const registers = [registry];
  return {
    registry,
    messages: new Counter({
      name: 'livechat_messages_total',
      help: 'Messages that reached a delivery status, by channel kind and status.',
      labelNames: ['channel', 'status'],
      registers,
    }),
    providerErrors: new Counter({
      name: 'livechat_provider_errors_total',
      help: 'Provider errors at dispatch, by channel kind, permanent or transient, and provider code.',
      labelNames: ['channel', 'kind', 'code'],
      registers,
    }),
    dispatchDuration: new Histogram({
      name: 'livechat_dispatch_duration_seconds',
      help: "Time of the provider's call when a message is dispatched, by channel kind and outcome.",
      labelNames: ['channel', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    inbound: new Counter({
      name: 'livechat_inbound_messages_total',
      help: "Customers' messages recorded, by channel kind.",
      labelNames: ['channel'],
      registers,
    }),
    bulkRecipients: new Counter({
      name: 'livechat_bulk_recipients_total',
      help: 'Bulk recipients whose outcome was recorded, by status.',
      labelNames: ['status'],
      registers,
    }),
    bulkRuns: new Counter({
      name: 'livechat_bulk_runs_finished_total',
      help: 'Bulk runs that ended, by final state.',
      labelNames: ['state'],
      registers,
    }),
  };
}
