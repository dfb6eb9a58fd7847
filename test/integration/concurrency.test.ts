/**
 * Processes racing for the same messenger account: the database allows one open session per
 * account (rule 7, `sessions_one_open_per_account`), so every racer must end up in the same one.
 */
import { randomUUID } from 'node:crypto';
import { sendLiveChatMessage } from '../../client';
import type { MessageRow, SessionRow } from '../../db/rows';
import { createWorld } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.stop());

test('20 simultaneous sends to one WhatsApp account end with exactly one open session holding 20 messages', async () => {
  const w = await createWorld(harness.db);
  const texts = Array.from({ length: 20 }, (_, i) => `Update ${i + 1} of 20 on your order #4242.`);
  const run = randomUUID();

  const results = await Promise.all(
    texts.map((text, i) =>
      sendLiveChatMessage(
        harness.client,
        { liveChatId: w.liveChat, channelId: w.whatsapp, to: { account: w.olgaPhone }, text },
        { taskQueue: harness.taskQueue, workflowId: `burst-${run}-${i}` },
      ),
    ),
  );

  const sessions = await harness
    .db<SessionRow>('sessions')
    .where({ channel_id: w.whatsapp, account: w.olgaPhone });
  expect(sessions).toHaveLength(1);
  const [session] = sessions;
  if (!session) throw new Error('no session');
  expect(session).toMatchObject({ state: 'open', contact_id: w.olga, origin: 'process' });

  // Every process reports that session; exactly one of them opened it.
  expect(new Set(results.map((r) => r.sessionId))).toEqual(new Set([session.id]));
  expect(results.filter((r) => !r.sessionReused)).toHaveLength(1);
  expect(results.map((r) => r.status)).toEqual(texts.map(() => 'sent'));

  const messages = await harness.db<MessageRow>('messages').where({ session_id: session.id });
  expect(messages.map((m) => m.text).sort()).toEqual([...texts].sort());
  expect(new Set(messages.map((m) => m.id))).toEqual(new Set(results.map((r) => r.messageId)));
  expect(messages.every((m) => m.status === 'sent' && m.author_kind === 'process')).toBe(true);

  // Twenty deliveries, one per message, all to Olga's number.
  const delivered = harness.outbox.whatsapp.received.filter((m) => m.sessionId === session.id);
  expect(delivered).toHaveLength(20);
  expect(delivered.every((m) => m.to === w.olgaPhone)).toBe(true);
  expect(new Set(delivered.map((m) => m.messageId))).toEqual(new Set(messages.map((m) => m.id)));
});
