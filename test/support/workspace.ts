import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { WorkspaceDeps } from '../../server/operators/deps';
import { setOperatorPassword } from '../../server/operators/passwords';
import { createWorkspaceServer } from '../../server/workspace-server';
import { createWorld, type World } from './fixtures';
import type { Harness } from './harness';

/** Every operator of a test world gets this password. */
export const PASSWORD = 'correct horse battery staple';

export interface Workspace {
  app: FastifyInstance;
  world: World;
  /** Signs an operator in and returns the Cookie header of their session. */
  signIn(operatorId: string): Promise<string>;
  /** A JSON request as the browser's page makes it. */
  call(
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    options?: { cookie?: string; body?: unknown },
  ): Promise<LightMyRequestResponse>;
}

/** The workspace server on the harness's database and Temporal (its worker runs the workflows). */
export async function startWorkspace(
  harness: Harness,
  overrides: Partial<WorkspaceDeps> = {},
): Promise<Workspace> {
  const world = await createWorld(harness.db);
  for (const id of [world.online, world.offline, world.supervisor, world.stranger]) {
    await setOperatorPassword(harness.db, id, PASSWORD);
  }
  const app = await createWorkspaceServer({
    db: harness.db,
    client: harness.client,
    taskQueue: harness.taskQueue,
    temporalUiUrl: 'http://temporal-ui.test:8233',
    // Unexpected errors fail the test that caused them through their 500 answer; keep output clean.
    log: () => undefined,
    ...overrides,
  });
  const call: Workspace['call'] = (method, url, options = {}) =>
    app.inject({
      method,
      url,
      headers: {
        ...(options.cookie ? { cookie: options.cookie } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
    });
  return {
    app,
    world,
    call,
    signIn: async (operatorId) => {
      const response = await call('POST', '/api/sign-in', { body: { operatorId, password: PASSWORD } });
      if (response.statusCode !== 200) throw new Error(`sign-in of ${operatorId}: ${response.body}`);
      return cookieHeader(response);
    },
  };
}

/** `name=value` of the Set-Cookie header of a response, as a Cookie header. */
export function cookieHeader(response: LightMyRequestResponse): string {
  const cookie = response.cookies[0];
  if (!cookie) throw new Error('the response set no cookie');
  return `${cookie.name}=${cookie.value}`;
}

/** Waits until `check` returns a value (not undefined), asking again every 100 ms, at most `limitMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  limitMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
