import Fastify, { type FastifyInstance } from 'fastify';
import { registerObservabilityRoutes, type ObservabilityRoutes } from '../infra/health';

/**
 * The worker's small HTTP listener: `/healthz`, `/readyz` and `/metrics` only (the worker takes no
 * other requests). Loopback unless `host` says otherwise.
 */
export async function startWorkerHttp(
  options: ObservabilityRoutes & { host: string; port: number },
): Promise<{ app: FastifyInstance; address: string }> {
  const app = Fastify({ logger: false });
  registerObservabilityRoutes(app, options);
  const address = await app.listen({ host: options.host, port: options.port });
  return { app, address };
}
