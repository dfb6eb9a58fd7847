import Fastify, { type FastifyInstance } from 'fastify';
import { registerObservabilityRoutes, type ObservabilityRoutes } from '../infra/health';
import type { LiveChatWorkers } from './create-worker';

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

/** Ready while every worker of the process runs (a failed or stopping one is not). */
export function workersRunning(workers: () => LiveChatWorkers | undefined): () => Promise<void> {
  return async () => {
    const running = workers();
    if (!running) throw new Error('the workers have not started yet');
    const states = running.workers.map((worker) => worker.getState());
    const notRunning = states.filter((state) => state !== 'RUNNING');
    if (notRunning.length > 0) throw new Error(`workers not running: ${notRunning.join(', ')}`);
  };
}
