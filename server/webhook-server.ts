import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { ProviderConfig } from '../config/providers';

export interface WebhookDeps {
  db: Knex;
  providers: ProviderConfig;
  /** Injected so tests can fix the time. */
  clock?: () => Date;
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
  // No request logging: bodies carry customers' messages and headers carry signatures.
  const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 });
  await app.register(formbody);
  app.get('/healthz', async () => ({ ok: true }));
  const full: Required<WebhookDeps> = { clock: () => new Date(), ...deps };
  for (const register of routes) register(app, full);
  return app;
}
