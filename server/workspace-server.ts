import Fastify, { type FastifyInstance } from 'fastify';
import type { WorkspaceDeps } from './operators/deps';
import { registerWorkspace } from './operators/plugin';

export type { WorkspaceDeps } from './operators/deps';
export { setOperatorPassword } from './operators/passwords';

/** The operators' workspace on a server of its own: the page at `/`, the API under `/api`. */
export async function createWorkspaceServer(deps: WorkspaceDeps): Promise<FastifyInstance> {
  // No request logging: bodies carry passwords and customers' messages, cookies carry sessions.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.get('/healthz', async () => ({ ok: true }));
  await registerWorkspace(app, deps);
  return app;
}
