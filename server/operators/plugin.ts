import cookie from '@fastify/cookie';
import type { FastifyError, FastifyInstance, FastifyPluginAsync } from 'fastify';
import { registerApi } from './api';
import type { WorkspaceDeps } from './deps';
import { ApiError, refusalToApiError } from './errors';
import { registerWeb, SECURITY_HEADERS } from './web';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).statusCode === 'number';
}

/**
 * The operators' workspace as a fastify plugin: the page at `/` and the API under `/api`. Mounted by
 * the server process next to the provider webhooks, and on its own by the workspace script and tests.
 */
export const workspacePlugin: FastifyPluginAsync<WorkspaceDeps> = async (app, deps) => {
  await app.register(cookie);
  // JSON only: a cross-site form can post text/plain without asking, but not application/json.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/') || SAFE_METHODS.has(request.method)) return;
    // SameSite=Strict keeps the cookie off cross-site requests; an Origin check is the second lock.
    const origin = request.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, request.headers.host)) {
      throw new ApiError('CrossOriginRequest', 'Requests to the workspace API must come from its own page.');
    }
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/')) {
      reply.header('cache-control', 'no-store');
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    }
  });

  app.setErrorHandler(async (error, _request, reply) => {
    const known = error instanceof ApiError ? error : refusalToApiError(error);
    if (known) return reply.code(known.statusCode).send(known.body());
    // fastify's own 4xx: malformed JSON, a body too large, an unsupported content type.
    if (isFastifyError(error) && error.statusCode !== undefined && error.statusCode < 500) {
      return reply
        .code(error.statusCode)
        .send(new ApiError('BadRequest', error.message, { statusCode: error.statusCode }).body());
    }
    (deps.log ?? console.error)(
      `workspace request failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return reply
      .code(500)
      .send(new ApiError('InternalError', 'Something went wrong on our side; try again.').body());
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .send(
        new ApiError('RouteNotFound', `There is no ${request.method} ${request.url.split('?')[0]}.`).body(),
      ),
  );

  registerApi(app, deps);
  registerWeb(app);
};

/** Compares as URLs do, so `http://shop.example:80` and a Host of `shop.example` are one origin. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const from = new URL(origin);
    return from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/** Adds the workspace to a fastify app (fastify's encapsulation keeps its hooks to its own routes). */
export async function registerWorkspace(app: FastifyInstance, deps: WorkspaceDeps): Promise<void> {
  await app.register(workspacePlugin, deps);
}
