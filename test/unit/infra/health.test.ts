import Fastify from 'fastify';
import { createDb } from '../../../db/knex';
import { databaseCheck, Readiness, registerObservabilityRoutes } from '../../../infra/health';
import { createMetrics } from '../../../infra/metrics';
import { parseMetrics, valueOf } from '../../support/metrics-text';

function appWith(readiness: Readiness, more?: () => Promise<string>) {
  const app = Fastify();
  const metrics = createMetrics();
  registerObservabilityRoutes(app, { metrics, readiness, ...(more ? { moreMetrics: more } : {}) });
  return { app, metrics };
}

test('/readyz answers 200 when every check passes and 503 naming the one that failed', async () => {
  const readiness = new Readiness()
    .register('postgresql', async () => undefined)
    .register('mailbox', async () => {
      throw new Error('IMAP connection closed');
    });
  const { app } = appWith(readiness);
  const response = await app.inject({ method: 'GET', url: '/readyz' });
  expect({ status: response.statusCode, body: response.json() as unknown }).toEqual({
    status: 503,
    body: { ready: false, checks: { postgresql: 'ok', mailbox: 'IMAP connection closed' } },
  });
  const alive = await app.inject({ method: 'GET', url: '/healthz' });
  expect({ status: alive.statusCode, body: alive.json() as unknown }).toEqual({
    status: 200,
    body: { ok: true },
  });
});

test('a check registered later is asked too; a name is registered once', async () => {
  const readiness = new Readiness();
  const { app } = appWith(readiness);
  expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  readiness.register('mailbox', async () => undefined);
  expect(() => readiness.register('mailbox', async () => undefined)).toThrow(/registered already/);
  expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({
    ready: true,
    checks: { mailbox: 'ok' },
  });
});

test('a PostgreSQL that refuses connections makes the process not ready', async () => {
  const db = createDb('postgres://postgres@127.0.0.1:1/livechat', { poolMax: 1 });
  try {
    const report = await new Readiness().register('postgresql', databaseCheck(db)).report();
    expect(report.ready).toBe(false);
    expect(report.checks.postgresql).toMatch(/ECONNREFUSED|connect/);
  } finally {
    await db.destroy();
  }
});

test("/metrics serves our series and appends the runtime's, and still answers when the runtime's cannot be read", async () => {
  const { app, metrics } = appWith(
    new Readiness(),
    async () => '# TYPE temporal_x_total counter\ntemporal_x_total 3\n',
  );
  metrics.messages.inc({ channel: 'email', status: 'sent' }, 2);
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  const samples = parseMetrics(response.body);
  expect(valueOf(samples, 'livechat_messages_total', { channel: 'email', status: 'sent' })).toBe(2);
  expect(valueOf(samples, 'temporal_x_total')).toBe(3);

  const broken = appWith(new Readiness(), async () => {
    throw new Error('connection refused');
  });
  const alone = await broken.app.inject({ method: 'GET', url: '/metrics' });
  expect(alone.statusCode).toBe(200);
  expect(alone.body).toContain('# TYPE livechat_messages_total counter');
});
