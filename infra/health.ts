import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { LiveChatMetrics } from './metrics';

/** A readiness check: resolves when its dependency is usable, rejects (with the reason) when not. */
export type ReadinessCheck = () => Promise<void>;

/** How long one check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 3_000;

export interface ReadinessReport {
  ready: boolean;
  /** `ok`, or why the check failed, per check. */
  checks: Record<string, string>;
}

/**
 * What `/readyz` asks: named checks run side by side, each within a few seconds. The process adds
 * its own (PostgreSQL, Temporal, its workers); other parts register theirs (a mailbox reader's
 * connection) with `register`.
 */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): this {
    if (this.checks.has(name)) throw new Error(`a readiness check named ${name} is registered already`);
    this.checks.set(name, check);
    return this;
  }

  async report(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await verdict(check)] as const),
    );
    return { ready: entries.every(([, v]) => v === 'ok'), checks: Object.fromEntries(entries) };
  }
}

async function verdict(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (error) {
    // The reason only (a driver's message names the host, never a credential: URLs are not echoed).
    return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** PostgreSQL answers a query. */
export function databaseCheck(db: Knex): ReadinessCheck {
  return async () => {
    await db.raw('select 1');
  };
}

/** The Temporal frontend answers (client `Connection` or worker `NativeConnection`). */
export function temporalCheck(connection: {
  workflowService: { getSystemInfo(request: object): Promise<unknown> };
}): ReadinessCheck {
  return async () => {
    await connection.workflowService.getSystemInfo({});
  };
}

export interface ObservabilityRoutes {
  metrics: LiveChatMetrics;
  readiness: Readiness;
  /** More exposition text appended to `/metrics` (the Temporal runtime's own series). */
  moreMetrics?: () => Promise<string>;
}

/**
 * `/healthz` (the process answers), `/readyz` (every readiness check passes: 200, else 503, with
 * each check's verdict) and `/metrics` (Prometheus text) on a Fastify app.
 */
export function registerObservabilityRoutes(app: FastifyInstance, routes: ObservabilityRoutes): void {
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    const report = await routes.readiness.report();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_request, reply) => {
    const ours = await routes.metrics.registry.metrics();
    const more = routes.moreMetrics ? await routes.moreMetrics().catch(() => '') : '';
    return reply
      .header('content-type', routes.metrics.registry.contentType)
      .send(more ? `${ours.trimEnd()}\n${more}` : ours);
  });
}

/** The Temporal runtime's Prometheus text from where it serves it (`host:port`), for `/metrics`. */
export function runtimeMetricsFrom(bindAddress: string): () => Promise<string> {
  return async () => {
    const response = await fetch(`http://${bindAddress}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) throw new Error(`the Temporal runtime's metrics answered ${response.status}`);
    return response.text();
  };
}
