import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { ProviderConfig } from '../config/providers';
import { registerObservabilityRoutes, Readiness } from '../infra/health';
import { silentLogger, type Logger } from '../infra/logger';
import { createMetrics, type LiveChatMetrics } from '../infra/metrics';

export interface WebhookDeps {
  db: Knex;
  providers: ProviderConfig;
  /** Injected so tests can fix the time. */
  clock?: () => Date;
  /** The process's structured logger: one line per request (method, route, status), errors. */
  logger?: Logger;
  /** Our Prometheus series, served at `/metrics` (default: a registry of this server's own). */
  metrics?: LiveChatMetrics;
  /** What `/readyz` checks (default: nothing, so ready). */
  readiness?: Readiness;
}

/** A module that adds one provider's routes (inbound messages, delivery status) to the server. */
export type WebhookRoutes = (app: FastifyInstance, deps: Required<WebhookDeps>) => void;

/**
 * The HTTP server providers call: inbound customer messages and delivery status callbacks. Each
 * provider's routes verify the provider's signature or secret before anything is stored.
 */
export async function createWebhookServer(
  deps: WebhookDeps,
  routes: WebhookRoutes[],
): Promise<FastifyInstance> {
  const full: Required<WebhookDeps> = {
    clock: () => new Date(),
    logger: silentLogger,
    metrics: createMetrics(),
    readiness: new Readiness(),
    ...deps,
  };
  // Fastify's own request logging is off: URLs carry tokens (media links) and headers signatures.
  const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 });
  const requests = full.logger.child({ component: 'http' });
  // One line per request with the route's pattern (`/webhooks/twilio/:channelId/inbound`), never
  // the URL itself, a header or a body.
  app.addHook('onResponse', async (request, reply) => {
    requests.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  await app.register(formbody);
  registerObservabilityRoutes(app, { metrics: full.metrics, readiness: full.readiness });
  for (const register of routes) register(app, full);
  return app;
}
