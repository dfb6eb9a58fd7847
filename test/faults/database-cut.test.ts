/**
 * The fault suite's "database connections cut": every backend of the run's database is terminated
 * at the worst moment, right after the provider accepted a message and before the worker recorded
 * it. The write is retried, so each message is in the history once and reached the provider once.
 */
import type { ChannelAdapter, OutboundMessage } from '../../channels/adapter';
import { createDb, type Db } from '../../db/knex';
import { sendLiveChatMessage } from '../../workflows';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { reportFaultCase } from './support/fault-report';

const embedded = process.env.LIVECHAT_TEST_DATABASE_POOL_MAX === '1';
if (embedded) console.warn('database-cut.test.ts: not run: embedded PostgreSQL has no backends to terminate');
const onAServer = embedded ? describe.skip : describe;

onAServer('database connections cut', () => {
  let harness: Harness;
  let cutter: Db;
  let world: World;
  const received: OutboundMessage[] = [];
  let cuts = 0;

  /** Terminates every other connection to the run's database: the worker's whole pool. */
  async function cutConnections(): Promise<void> {
    await cutter.raw(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    cuts++;
  }

  /** A provider that accepts the message, and then the worker's database connections are gone. */
  const cuttingProvider: ChannelAdapter = {
    send: async (message) => {
      received.push(message);
      await cutConnections();
      return { providerMessageId: `accepted-${received.length}` };
    },
  };

  beforeAll(async () => {
    cutter = createDb(process.env.LIVECHAT_TEST_DATABASE_URL ?? '', { poolMax: 1 });
    harness = await startHarness({ channels: { email: cuttingProvider } });
    world = await createWorld(harness.db);
  });
  afterAll(async () => {
    await harness?.stop();
    await cutter?.destroy();
  });

  test('connections cut after the provider accepted: recorded once as sent, delivered once', async () => {
    const result = await harness.client.workflow.execute(sendLiveChatMessage, {
      taskQueue: harness.taskQueue,
      workflowId: `cut-one-${world.liveChat}`,
      args: [
        {
          liveChatId: world.liveChat,
          channelId: world.email,
          to: { account: `cut.one.${world.liveChat}@example.com` },
          subject: 'Your order',
          text: 'Your order #1042 is ready.',
        },
      ],
    });
    expect(result.status).toBe('sent');
    expect(received.filter((m) => m.messageId === result.messageId)).toHaveLength(1);
    const row = await harness.db('messages').where({ id: result.messageId }).first();
    expect(row).toMatchObject({ status: 'sent', provider_message_id: expect.stringMatching(/^accepted-/) });
    expect(cuts).toBeGreaterThanOrEqual(1);
  });

  test('ten messages, the connections cut after each one: ten rows, ten deliveries, none twice', async () => {
    const before = received.length;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        harness.client.workflow.execute(sendLiveChatMessage, {
          taskQueue: harness.taskQueue,
          workflowId: `cut-many-${world.liveChat}-${i}`,
          args: [
            {
              liveChatId: world.liveChat,
              channelId: world.email,
              to: { account: `cut.${i}.${world.liveChat}@example.com` },
              subject: `Update ${i}`,
              text: `Update ${i} on your order.`,
            },
          ],
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill('sent'));
    const ids = results.map((r) => r.messageId);
    expect(new Set(ids).size).toBe(10);
    const deliveries = received.slice(before).map((m) => m.messageId);
    expect(deliveries.sort()).toEqual([...ids].sort());
    const rows = await harness.db('messages').whereIn('id', ids).select('status');
    expect(rows.map((r: { status: string }) => r.status)).toEqual(Array(10).fill('sent'));
    const deliveredIds = new Set(deliveries);
    reportFaultCase({
      case: 'database connections cut (after each send)',
      requests: 10,
      inHistory: rows.length,
      doubledInHistory: rows.length - new Set(ids).size,
      delivered: deliveredIds.size,
      doubledAtProvider: deliveries.length - deliveredIds.size,
      lost: ids.filter((id) => !deliveredIds.has(id)).length,
      notes: `${cuts} cuts (pg_terminate_backend)`,
    });
  });

  test('connections cut again and again while 60 messages flow: each once in the history and once at the provider', async () => {
    const cutsBefore = cuts;
    let flowing = true;
    const cutting = (async () => {
      while (flowing) {
        await cutConnections();
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const kinds = ['whatsapp', 'telegram'] as const;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        harness.client.workflow.execute(sendLiveChatMessage, {
          taskQueue: harness.taskQueue,
          workflowId: `cut-flow-${world.liveChat}-${i}`,
          args: [
            {
              liveChatId: world.liveChat,
              channelId: world[kinds[i % 2]!],
              to: { contactId: world.maria },
              text: `Flowing update ${i} on your order.`,
            },
          ],
        }),
      ),
    ).finally(() => {
      flowing = false;
    });
    await cutting;
    const ids = results.map((r) => r.messageId);
    const deliveries = [...harness.outbox.whatsapp.received, ...harness.outbox.telegram.received]
      .map((m) => m.messageId)
      .filter((id) => ids.includes(id));
    const rows = await harness.db('messages').whereIn('id', ids).select('id', 'status');
    const delivered = new Set(deliveries);
    reportFaultCase({
      case: 'database connections cut (mid-run, every 250 ms)',
      requests: 60,
      inHistory: rows.length,
      doubledInHistory: rows.length - new Set(ids).size,
      delivered: delivered.size,
      doubledAtProvider: deliveries.length - delivered.size,
      lost: ids.filter((id) => !delivered.has(id)).length,
      notes: `${cuts - cutsBefore} cuts (pg_terminate_backend)`,
    });
    expect(results.map((r) => r.status)).toEqual(Array(60).fill('sent'));
    expect(new Set(ids).size).toBe(60);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(Array(60).fill('sent'));
    expect(deliveries.sort()).toEqual([...ids].sort());
    expect(cuts - cutsBefore).toBeGreaterThanOrEqual(2);
  });
});
