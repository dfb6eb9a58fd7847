/**
 * Signing in to the operators' workspace: scrypt-hashed passwords, an HttpOnly SameSite=Strict
 * session cookie whose token is stored only as a hash, sessions that expire, and no /api route
 * answering without one.
 */
import { createHash } from 'node:crypto';
import { setOperatorPassword } from '../../server/operators/passwords';
import { startHarness, type Harness } from '../support/harness';
import { PASSWORD, startWorkspace, type Workspace } from '../support/workspace';

let harness: Harness;
let ws: Workspace;

beforeAll(async () => {
  harness = await startHarness();
  ws = await startWorkspace(harness);
});
afterAll(async () => {
  await ws?.app.close();
  await harness?.stop();
});

/** Every route of the API but sign-in, with a body where one is needed. */
const PROTECTED: { method: 'GET' | 'POST' | 'PUT'; url: string; body?: unknown }[] = [
  { method: 'POST', url: '/api/sign-out' },
  { method: 'GET', url: '/api/me' },
  { method: 'GET', url: '/api/me/status' },
  { method: 'PUT', url: '/api/me/status', body: { status: 'online' } },
  { method: 'GET', url: '/api/live-chats' },
  { method: 'GET', url: '/api/my-sessions' },
  { method: 'GET', url: '/api/sessions/00000000-0000-4000-8000-000000000000' },
  { method: 'GET', url: '/api/sessions/00000000-0000-4000-8000-000000000000/messages' },
  {
    method: 'POST',
    url: '/api/sessions',
    body: { liveChatId: 'x', channelId: 'y', customer: { account: 'z' } },
  },
  {
    method: 'POST',
    url: '/api/sessions/00000000-0000-4000-8000-000000000000/messages',
    body: { text: 'hi' },
  },
  { method: 'POST', url: '/api/sessions/00000000-0000-4000-8000-000000000000/close' },
  { method: 'GET', url: '/api/contacts?q=maria' },
  { method: 'GET', url: '/api/contacts/maria' },
  { method: 'GET', url: '/api/contacts/maria/history' },
  { method: 'GET', url: '/api/events' },
];

test('an operator signs in by id or by email and gets an HttpOnly, SameSite=Strict session cookie', async () => {
  await harness
    .db('operators')
    .where({ id: ws.world.online })
    .update({ email: `${ws.world.online}@Shop.Example` });

  const byId = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.online, password: PASSWORD },
  });
  expect(byId.statusCode).toBe(200);
  expect(byId.json()).toMatchObject({
    operator: { id: ws.world.online, name: 'Anna Weber', status: 'online' },
    expiresAt: expect.any(String),
  });
  const setCookie = String(byId.headers['set-cookie']);
  expect(setCookie).toMatch(/^livechat_session=[A-Za-z0-9_-]{43};/);
  expect(setCookie).toMatch(/; HttpOnly/);
  expect(setCookie).toMatch(/; SameSite=Strict/);
  expect(setCookie).toMatch(/; Path=\//);
  expect(setCookie).toMatch(/; Max-Age=43200/);

  // Email is matched without regard to case.
  const byEmail = await ws.call('POST', '/api/sign-in', {
    body: { email: `${ws.world.online}@shop.example`, password: PASSWORD },
  });
  expect(byEmail.statusCode).toBe(200);

  const me = await ws.call('GET', '/api/me', { cookie: `livechat_session=${byEmail.cookies[0]?.value}` });
  expect(me.statusCode).toBe(200);
  expect(me.json()).toMatchObject({
    operator: { id: ws.world.online },
    liveChats: [{ id: ws.world.liveChat, name: 'Tech Support', role: 'operator' }],
  });
});

test('the database keeps only a salted scrypt hash of the password and a SHA-256 of the session token', async () => {
  const response = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.supervisor, password: PASSWORD },
  });
  const token = response.cookies[0]?.value ?? '';
  expect(token).not.toBe('');

  const operator = await harness.db('operators').where({ id: ws.world.supervisor }).first();
  expect(operator.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  expect(operator.password_hash).not.toContain(PASSWORD);
  // A salt per hash: the same password gives another hash for another operator.
  const other = await harness.db('operators').where({ id: ws.world.online }).first();
  expect(other.password_hash).not.toBe(operator.password_hash);

  const sessions = await harness.db('operator_sessions').where({ operator_id: ws.world.supervisor });
  const hashes = sessions.map((s: { token_hash: string }) => s.token_hash);
  expect(hashes).toContain(createHash('sha256').update(token).digest('hex'));
  expect(JSON.stringify(sessions)).not.toContain(token);
});

test('a wrong password and an unknown operator get the same refusal, and no cookie', async () => {
  const wrong = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.online, password: 'nope-nope' },
  });
  const unknown = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: 'nobody-at-all', password: PASSWORD },
  });
  for (const response of [wrong, unknown]) {
    expect(response.statusCode).toBe(401);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.json()).toEqual({
      error: {
        type: 'InvalidCredentials',
        title: 'Sign-in failed.',
        message: 'The operator id, email or password is not right.',
        details: null,
      },
    });
  }
  // An operator with no password set cannot sign in with any.
  await harness.db('operators').where({ id: ws.world.stranger }).update({ password_hash: null });
  const noPassword = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.stranger, password: '' },
  });
  expect(noPassword.statusCode).toBe(400);
  const anyPassword = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.stranger, password: PASSWORD },
  });
  expect(anyPassword.statusCode).toBe(401);
  await setOperatorPassword(harness.db, ws.world.stranger, PASSWORD);
});

test('a malformed sign-in is InvalidInput', async () => {
  const both = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.online, email: 'a@b.example', password: PASSWORD },
  });
  expect(both.statusCode).toBe(400);
  expect(both.json().error.type).toBe('InvalidInput');
  const extra = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.online, password: PASSWORD, admin: true },
  });
  expect(extra.statusCode).toBe(400);
});

test.each(PROTECTED)('$method $url answers 401 without a session', async ({ method, url, body }) => {
  const response = await ws.call(method, url, body === undefined ? {} : { body });
  expect(response.statusCode).toBe(401);
  expect(response.json()).toEqual({
    error: {
      type: 'Unauthenticated',
      title: 'Please sign in.',
      message: 'Sign in to use the workspace; your session may have expired.',
      details: null,
    },
  });
});

test('a made-up session token is refused like none', async () => {
  const response = await ws.call('GET', '/api/my-sessions', {
    cookie: 'livechat_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  });
  expect(response.statusCode).toBe(401);
});

test('an expired session is refused', async () => {
  const cookie = await ws.signIn(ws.world.online);
  expect((await ws.call('GET', '/api/me', { cookie })).statusCode).toBe(200);
  const token = cookie.split('=')[1] ?? '';
  await harness
    .db('operator_sessions')
    .where({ token_hash: createHash('sha256').update(token).digest('hex') })
    .update({ expires_at: new Date(Date.now() - 1000) });
  expect((await ws.call('GET', '/api/me', { cookie })).statusCode).toBe(401);
});

test('a session lasts as long as configured, by the server clock', async () => {
  let now = new Date('2030-01-01T08:00:00Z');
  const timed = await startWorkspace(harness, { clock: () => now, sessionTtlMs: 60 * 60 * 1000 });
  try {
    const cookie = await timed.signIn(timed.world.online);
    now = new Date('2030-01-01T08:59:59Z');
    expect((await timed.call('GET', '/api/me', { cookie })).statusCode).toBe(200);
    now = new Date('2030-01-01T09:00:00Z');
    expect((await timed.call('GET', '/api/me', { cookie })).statusCode).toBe(401);
  } finally {
    await timed.app.close();
  }
});

test('signing out ends the session and clears the cookie', async () => {
  const cookie = await ws.signIn(ws.world.online);
  const out = await ws.call('POST', '/api/sign-out', { cookie });
  expect(out.statusCode).toBe(204);
  expect(String(out.headers['set-cookie'])).toMatch(/^livechat_session=;/);
  expect((await ws.call('GET', '/api/me', { cookie })).statusCode).toBe(401);
});

test('setting a new password signs the operator out everywhere', async () => {
  const cookie = await ws.signIn(ws.world.offline);
  await setOperatorPassword(harness.db, ws.world.offline, 'a brand new password');
  expect((await ws.call('GET', '/api/me', { cookie })).statusCode).toBe(401);
  const old = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.offline, password: PASSWORD },
  });
  expect(old.statusCode).toBe(401);
  const fresh = await ws.call('POST', '/api/sign-in', {
    body: { operatorId: ws.world.offline, password: 'a brand new password' },
  });
  expect(fresh.statusCode).toBe(200);
  await setOperatorPassword(harness.db, ws.world.offline, PASSWORD);
});

test('setOperatorPassword refuses a short password and an unknown operator', async () => {
  await expect(setOperatorPassword(harness.db, ws.world.online, 'short')).rejects.toMatchObject({
    type: 'InvalidInput',
  });
  await expect(setOperatorPassword(harness.db, 'no-such-operator', PASSWORD)).rejects.toMatchObject({
    type: 'OperatorNotFound',
  });
});

test('repeated failed sign-ins for one login are throttled, even with the right password then', async () => {
  const throttled = await startWorkspace(harness, { maxFailedSignIns: 3 });
  try {
    const attempt = (password: string) =>
      throttled.call('POST', '/api/sign-in', { body: { operatorId: throttled.world.online, password } });
    for (let i = 0; i < 3; i++) expect((await attempt('wrong password')).statusCode).toBe(401);
    const blocked = await attempt(PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.type).toBe('TooManySignInAttempts');
    // Another login is not affected.
    const other = await throttled.call('POST', '/api/sign-in', {
      body: { operatorId: throttled.world.supervisor, password: PASSWORD },
    });
    expect(other.statusCode).toBe(200);
  } finally {
    await throttled.app.close();
  }
});

test('a state-changing request from another origin is refused, and so is a text/plain body', async () => {
  const cookie = await ws.signIn(ws.world.online);
  const cross = await ws.app.inject({
    method: 'PUT',
    url: '/api/me/status',
    headers: {
      cookie,
      origin: 'https://evil.example',
      'content-type': 'application/json',
      host: 'localhost:80',
    },
    payload: JSON.stringify({ status: 'offline' }),
  });
  expect(cross.statusCode).toBe(403);
  expect(cross.json().error.type).toBe('CrossOriginRequest');

  const sameOrigin = await ws.app.inject({
    method: 'PUT',
    url: '/api/me/status',
    headers: {
      cookie,
      origin: 'http://localhost:80',
      host: 'localhost:80',
      'content-type': 'application/json',
    },
    payload: JSON.stringify({ status: 'online' }),
  });
  expect(sameOrigin.statusCode).toBe(200);

  const plain = await ws.app.inject({
    method: 'PUT',
    url: '/api/me/status',
    headers: { cookie, 'content-type': 'text/plain' },
    payload: '{"status":"offline"}',
  });
  expect(plain.statusCode).toBe(415);
  expect((await harness.db('operators').where({ id: ws.world.online }).first()).status).toBe('online');
});

test('API answers are not cached and carry the security headers', async () => {
  const cookie = await ws.signIn(ws.world.online);
  const response = await ws.call('GET', '/api/me', { cookie });
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(String(response.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
});
