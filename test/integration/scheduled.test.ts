/**
 * Scheduled sends and quiet hours on the real Temporal server and PostgreSQL: a message given a time
 * waits for it on a durable timer, in the history as scheduled (operators see it so), and goes then,
 * not before; one cancelled before its time is marked cancelled and never sent; a time that has
 * passed is refused and leaves nothing behind. A live chat's quiet hours, in the contact's time zone
 * (else the live chat's), hold a process message until they end, unless it is urgent; a bulk holds
 * each such recipient, sends it when its time comes and completes after it; a cancel cancels them.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import {
  bulkProgress,
  bulkResult,
  cancelBulk,
  cancelScheduledSend,
  getHistory,
  formatHistory,
  sendOrSchedule,
  startBulkNotify,
  startSendLiveChatMessage,
} from '../../client';
import { applyConfig } from '../../db/apply-config';
import type { SendLiveChatMessageInput } from '../../domain/types';
import { uniquePhone } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { expectRefusedWithoutTrace } from '../support/refusals';
import { eventually, startWorkspace, type Workspace } from '../support/workspace';

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

const start = (input: Omit<SendLiveChatMessageInput, 'liveChatId'> & { liveChatId?: string }) => {
  const workflowId = `scheduled-${randomUUID()}`;
  return {
    workflowId,
    run: () =>
      sendOrSchedule(
        harness.client,
        { liveChatId: ws.world.liveChat, ...input },
        { taskQueue: harness.taskQueue, workflowId },
      ),
  };
};
const sentWith = (text: string) => harness.outbox.whatsapp.received.filter((m) => m.text === text);
const inSeconds = (s: number) => new Date(Date.now() + s * 1_000).toISOString();

test('a message given a time is in the history as scheduled until then, and goes then, once', async () => {
  const text = `Your appointment ${randomUUID()} is tomorrow at 10:00.`;
  const sendAt = inSeconds(3);
  const send = start({ channelId: ws.world.whatsapp, to: { contactId: ws.world.maria }, text, sendAt });
  const first = await send.run();

  expect(first).toMatchObject({ kind: 'scheduled', state: { state: 'scheduled', scheduledFor: sendAt } });
  const messageId = first.kind === 'scheduled' ? first.state.messageId : undefined;
  const row = await harness.db('messages').where({ id: messageId }).first();
  expect(row).toMatchObject({ status: 'pending', process_workflow_id: send.workflowId });
  expect(row.scheduled_for.toISOString()).toBe(sendAt);
  expect(sentWith(text)).toHaveLength(0);

  // Operators see it as scheduled: the workspace API and `livechat history`.
  const sofia = await ws.signIn(ws.world.supervisor);
  const view = (await ws.call('GET', `/api/sessions/${row.session_id}/messages`, { cookie: sofia })).json();
  expect(view.messages.find((m: { id: string }) => m.id === messageId)).toMatchObject({
    status: 'pending',
    scheduledFor: sendAt,
  });
  expect(formatHistory((await getHistory(harness.db, row.session_id))!)).toContain(
    `[scheduled for ${sendAt}]`,
  );

  const result = await harness.client.workflow.getHandle(send.workflowId).result();
  expect(result).toMatchObject({ messageId, status: 'sent', scheduledFor: sendAt });
  const delivered = sentWith(text);
  expect(delivered).toHaveLength(1);
  // Not before its time: the stand-in's clock when it took the message.
  const at = harness.outbox.whatsapp.receivedAt[harness.outbox.whatsapp.received.indexOf(delivered[0]!)]!;
  expect(at).toBeGreaterThanOrEqual(Date.parse(sendAt));
});

/** A message to Maria scheduled an hour ahead, once it waits for its time. */
async function scheduledInAnHour(text: string) {
  const send = start({
    channelId: ws.world.whatsapp,
    to: { contactId: ws.world.maria },
    text,
    sendAt: inSeconds(3_600),
  });
  const first = await send.run();
  expect(first.kind).toBe('scheduled');
  return { send, first };
}

test('a scheduled message cancelled before its time is marked cancelled and never sent; a second cancel is refused', async () => {
  const text = `Reminder ${randomUUID()}: your order waits for pickup.`;
  const { send } = await scheduledInAnHour(text);

  const cancelled = await cancelScheduledSend(harness.client, send.workflowId);
  expect(cancelled).toMatchObject({ state: 'done', status: 'cancelled' });
  const result = await harness.client.workflow.getHandle(send.workflowId).result();
  expect(result).toMatchObject({ status: 'cancelled' });
  const row = await harness.db('messages').where({ id: result.messageId }).first();
  expect(row).toMatchObject({ status: 'cancelled', failure_reason: null, sent_at: null });
  expect(sentWith(text)).toHaveLength(0);

  await expect(cancelScheduledSend(harness.client, send.workflowId)).rejects.toMatchObject({
    type: 'SendNotScheduled',
    details: { workflowId: send.workflowId, status: 'cancelled' },
  });
});

test('a scheduled send whose workflow is cancelled (Temporal UI, handle.cancel) marks its message cancelled', async () => {
  const text = `Cancelled from Temporal ${randomUUID()}.`;
  const { send, first } = await scheduledInAnHour(text);
  const handle = harness.client.workflow.getHandle(send.workflowId);
  await handle.cancel();
  await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
  const messageId = first.kind === 'scheduled' ? first.state.messageId : undefined;
  expect(await harness.db('messages').where({ id: messageId }).first()).toMatchObject({
    status: 'cancelled',
  });
  expect(sentWith(text)).toHaveLength(0);
});

test('a cancel of a message that went at once is refused with SendNotScheduled', async () => {
  const send = start({
    channelId: ws.world.whatsapp,
    to: { contactId: ws.world.maria },
    text: `Now ${randomUUID()}`,
  });
  expect(await send.run()).toMatchObject({ kind: 'sent', result: { status: 'sent' } });
  await expect(cancelScheduledSend(harness.client, send.workflowId)).rejects.toMatchObject({
    type: 'SendNotScheduled',
    details: { status: 'sent' },
  });
});

test.each([
  ['a time that has passed', inSeconds(-60), 'ScheduledTimeInPast'],
  ['more than a year ahead', inSeconds(400 * 24 * 3600), 'InvalidInput'],
  ['not a time', 'tomorrow morning', 'InvalidInput'],
])('refused, leaving nothing behind: %s', async (_, sendAt, type) => {
  const refusal = await expectRefusedWithoutTrace(harness, () =>
    startSendLiveChatMessage(
      harness.client,
      {
        liveChatId: ws.world.liveChat,
        channelId: ws.world.whatsapp,
        to: { contactId: ws.world.maria },
        text: 'Hi',
        sendAt,
      },
      { taskQueue: harness.taskQueue, workflowId: `scheduled-${randomUUID()}` },
    ).then((h) => h.result()),
  );
  expect(refusal).toMatchObject({ type, nonRetryable: true });
  if (type === 'ScheduledTimeInPast')
    expect(refusal.details).toMatchObject({ sendAt: new Date(sendAt).toISOString() });
});

describe('quiet hours', () => {
  // Quiet from an hour ago to an hour ahead in Tokyo; New York is more than twelve hours away.
  const s = randomUUID().slice(0, 8);
  const tokyoNow = DateTime.now().setZone('Asia/Tokyo');
  const quietHours = {
    start: tokyoNow.minus({ hours: 1 }).toFormat('HH:mm'),
    end: tokyoNow.plus({ hours: 1 }).toFormat('HH:mm'),
  };
  const endsAt = tokyoNow.plus({ hours: 1 }).set({ second: 0, millisecond: 0 }).toUTC().toISO();
  const ids = {
    liveChat: `quiet-${s}`,
    whatsapp: `quiet-wa-${s}`,
    tokyo: `quiet-tokyo-${s}`, // no time zone of their own: the live chat's (Asia/Tokyo)
    newYork: `quiet-ny-${s}`,
  };
  const phones = { tokyo: uniquePhone(), newYork: uniquePhone() };

  beforeAll(async () => {
    await applyConfig(harness.db, {
      liveChats: [
        {
          id: ids.liveChat,
          name: 'Shop',
          quietHours,
          timeZone: 'Asia/Tokyo',
          channels: [{ id: ids.whatsapp, kind: 'whatsapp', name: 'WhatsApp' }],
        },
      ],
      contacts: [
        { id: ids.tokyo, name: 'Yuki', accounts: [{ kind: 'phone', value: phones.tokyo }] },
        {
          id: ids.newYork,
          name: 'Ann',
          timeZone: 'America/New_York',
          accounts: [{ kind: 'phone', value: phones.newYork }],
        },
      ],
    });
  });

  const sendTo = (contactId: string, text: string, extra: Partial<SendLiveChatMessageInput> = {}) =>
    start({ liveChatId: ids.liveChat, channelId: ids.whatsapp, to: { contactId }, text, ...extra });

  test('a message due in the customer’s quiet hours waits until they end; outside them, or urgent, it goes now', async () => {
    const text = `Quiet ${s}: your parcel has shipped.`;
    const held = sendTo(ids.tokyo, text);
    expect(await held.run()).toMatchObject({ kind: 'scheduled', state: { scheduledFor: endsAt } });
    expect(harness.outbox.whatsapp.received.filter((m) => m.to === phones.tokyo)).toHaveLength(0);

    expect(await sendTo(ids.newYork, text).run()).toMatchObject({ kind: 'sent', result: { status: 'sent' } });
    const urgent = await sendTo(ids.tokyo, `Your code ${s} is 481 516.`, { urgent: true }).run();
    expect(urgent).toMatchObject({ kind: 'sent', result: { status: 'sent' } });
    expect(urgent.kind === 'sent' ? urgent.result.scheduledFor : 'held').toBeUndefined();
    expect(harness.outbox.whatsapp.received.filter((m) => m.to === phones.tokyo).map((m) => m.text)).toEqual([
      `Your code ${s} is 481 516.`,
    ]);

    expect(await cancelScheduledSend(harness.client, held.workflowId)).toMatchObject({ status: 'cancelled' });
  });

  test('a bulk sends to those outside their quiet hours, holds the others and waits for them; a cancel then cancels the held ones', async () => {
    const text = `Bulk quiet ${s}: new opening hours.`;
    const bulkId = `bulk-quiet-${s}`;
    await startBulkNotify(
      harness.client,
      {
        liveChatId: ids.liveChat,
        channelId: ids.whatsapp,
        audience: { recipients: [{ contactId: ids.tokyo }, { contactId: ids.newYork }] },
        text,
      },
      { taskQueue: harness.taskQueue, workflowId: bulkId },
    );
    const waiting = await eventually(async () => {
      const progress = await bulkProgress(harness.client, bulkId);
      return progress.state === 'waiting' ? progress : undefined;
    }, 'the bulk to wait for the held recipient');
    expect(waiting).toMatchObject({
      total: 2,
      sent: 1,
      scheduled: 1,
      failed: 0,
      pending: 0,
      waitingUntil: endsAt,
    });
    expect(sentWith(text).map((m) => m.to)).toEqual([phones.newYork]);
    const rows = await harness.db('bulk_recipients').where({ bulk_id: bulkId }).orderBy('position');
    expect(rows.map((r) => r.status)).toEqual(['scheduled', 'sent']);

    expect(await cancelBulk(harness.client, bulkId)).toMatchObject({ state: 'cancelling' });
    const result = await bulkResult(harness.client, bulkId);
    expect(result).toMatchObject({ state: 'cancelled', sent: 1, scheduled: 0, pending: 1 });
    expect(await harness.db('messages').where({ id: rows[0].message_id }).first()).toMatchObject({
      status: 'cancelled',
      scheduled_for: new Date(endsAt!),
    });
    expect(
      (await harness.db('bulk_recipients').where({ bulk_id: bulkId }).orderBy('position')).map(
        (r) => r.status,
      ),
    ).toEqual(['cancelled', 'sent']);
    expect(sentWith(text).map((m) => m.to)).toEqual([phones.newYork]);
  });

  test('a held bulk recipient is sent when their quiet hours end, and then the bulk completes', async () => {
    // Quiet hours in Tokyo that end at the next full minute (at least 10 s away).
    const now = DateTime.now().setZone('Asia/Tokyo');
    let end = now.plus({ minutes: 1 }).startOf('minute');
    if (end.diff(now).as('seconds') < 10) end = end.plus({ minutes: 1 });
    const t = randomUUID().slice(0, 8);
    const phone = uniquePhone();
    await applyConfig(harness.db, {
      liveChats: [
        {
          id: `soon-${t}`,
          name: 'Shop',
          quietHours: { start: now.minus({ hours: 1 }).toFormat('HH:mm'), end: end.toFormat('HH:mm') },
          timeZone: 'Asia/Tokyo',
          channels: [{ id: `soon-wa-${t}`, kind: 'whatsapp', name: 'WhatsApp' }],
        },
      ],
      contacts: [{ id: `soon-${t}`, name: 'Yuki', accounts: [{ kind: 'phone', value: phone }] }],
    });
    const text = `Soon ${t}: good morning.`;
    const bulkId = `bulk-soon-${t}`;
    await startBulkNotify(
      harness.client,
      {
        liveChatId: `soon-${t}`,
        channelId: `soon-wa-${t}`,
        audience: { recipients: [{ contactId: `soon-${t}` }] },
        text,
      },
      { taskQueue: harness.taskQueue, workflowId: bulkId },
    );
    const result = await bulkResult(harness.client, bulkId);
    expect(result).toMatchObject({ state: 'completed', total: 1, sent: 1, scheduled: 0, pending: 0 });
    const delivered = sentWith(text);
    expect(delivered.map((m) => m.to)).toEqual([phone]);
    // Not before the quiet hours ended.
    const at = harness.outbox.whatsapp.receivedAt[harness.outbox.whatsapp.received.indexOf(delivered[0]!)]!;
    expect(at).toBeGreaterThanOrEqual(end.toMillis());
  });

  test('a config with quiet hours or a time zone that is not one is refused', async () => {
    await expect(
      applyConfig(harness.db, {
        liveChats: [{ id: `bad-${s}`, name: 'Bad', quietHours: { start: '25:00', end: '08:00' } }],
      }),
    ).rejects.toMatchObject({ type: 'InvalidInput' });
    await expect(
      applyConfig(harness.db, { contacts: [{ id: `bad-${s}`, name: 'Bad', timeZone: 'Mars/Olympus' }] }),
    ).rejects.toMatchObject({ type: 'InvalidInput', message: expect.stringContaining('IANA time zone') });
    expect(
      await harness
        .db('live_chats')
        .where({ id: `bad-${s}` })
        .first(),
    ).toBeUndefined();
  });
});
