/**
 * The fault suite's "provider says no": an invalid number (Twilio 21211), a bot the person blocked
 * (Telegram 403) and an unknown mailbox (SMTP 550), through the real adapters and stand-ins. Each
 * message fails once: one call at the provider, the process gets a typed DeliveryFailed, and the
 * reason is in the history operators read through the workspace API.
 */
import { randomUUID } from 'node:crypto';
import { createChannelAdapters, type ConfiguredChannels } from '../../channels';
import { sendLiveChatMessage } from '../../client';
import { loadProviderConfig } from '../../config/providers';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { startHarness, type Harness } from '../support/harness';
import { refusalOf } from '../support/refusals';
import { startWorkspace, type Workspace } from '../support/workspace';
import { reportFaultCase } from './support/fault-report';

let sandbox: Sandbox;
let channels: ConfiguredChannels;
let harness: Harness;
let workspace: Workspace;
let cookie: string;
const outcomes: { kind: string; calls: number; failedOnce: boolean; typed: boolean; visible: boolean }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  channels = createChannelAdapters(loadProviderConfig(sandbox.providers));
  harness = await startHarness({ channels: channels.adapters });
  workspace = await startWorkspace(harness);
  const w = workspace.world;
  // The world's channels with what the real adapters need: a sender, a template.
  await harness
    .db('channels')
    .where({ id: w.email })
    .update({ settings: { from: 'support@shop.example' } });
  await harness
    .db('channels')
    .where({ id: w.whatsapp })
    .update({ settings: { from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' } });
  sandbox.telegram.knowChat(w.mariaTelegram, { first_name: 'Maria' });
  cookie = await workspace.signIn(w.online);
});

afterAll(async () => {
  const failedOnce = outcomes.filter((o) => o.failedOnce && o.calls === 1).length;
  reportFaultCase({
    case: 'provider says no (21211, 403, 550)',
    requests: outcomes.length,
    inHistory: failedOnce,
    refused: outcomes.filter((o) => o.typed).length,
    notes: outcomes
      .map((o) => `${o.kind}: ${o.calls} call(s), reason shown: ${o.visible ? 'yes' : 'no'}`)
      .join('; '),
  });
  await workspace?.app.close();
  await harness?.stop();
  await channels?.close();
  await sandbox?.stop();
});

const cases = [
  {
    kind: 'whatsapp' as const,
    refuse: () =>
      sandbox.twilio.faults.failNext(1, {
        status: 400,
        code: 21211,
        message: "The 'To' number +4915123456789 is not a valid phone number.",
      }),
    calls: () =>
      sandbox.twilio.attempts.filter((a) => a.to === `whatsapp:${workspace.world.mariaPhone}`).length,
    reason: /not a valid phone number/,
  },
  {
    kind: 'telegram' as const,
    refuse: () => sandbox.telegram.block(workspace.world.mariaTelegram),
    calls: () =>
      sandbox.telegram.calls.filter(
        (c) => c.method === 'sendMessage' && c.chatId === workspace.world.mariaTelegram,
      ).length,
    reason: /blocked/i,
  },
  {
    kind: 'email' as const,
    refuse: () => sandbox.smtp.faults.failNext(1, { code: 550, message: '5.1.1 Mailbox does not exist' }),
    calls: () => sandbox.smtp.attempts.filter((a) => a.to === workspace.world.mariaEmail).length,
    reason: /550|Mailbox does not exist/,
  },
];

test.each(cases)('$kind: the refusal fails the message once, typed, and operators see why', async (c) => {
  const w = workspace.world;
  c.refuse();
  const refusal = await refusalOf(
    sendLiveChatMessage(
      harness.client,
      {
        liveChatId: w.liveChat,
        channelId: w[c.kind],
        to: { contactId: w.maria },
        text: `Your order #1042 is ready (${c.kind}).`,
        ...(c.kind === 'email' ? { subject: 'Your order' } : {}),
      },
      { taskQueue: harness.taskQueue, workflowId: `refused-${c.kind}-${randomUUID()}` },
    ),
  );
  const { messageId, sessionId } = refusal.details as { messageId: string; sessionId: string };
  const row = await harness.db('messages').where({ id: messageId }).first();
  const page = await workspace.call('GET', `/api/sessions/${sessionId}/messages`, { cookie });
  const shown = page
    .json<{ messages: { id: string; status: string; failureReason: string | null }[] }>()
    .messages.find((m) => m.id === messageId);
  outcomes.push({
    kind: c.kind,
    calls: c.calls(),
    failedOnce: row?.status === 'failed',
    typed: refusal.type === 'DeliveryFailed' && refusal.nonRetryable,
    visible: c.reason.test(shown?.failureReason ?? ''),
  });

  expect(refusal).toMatchObject({
    type: 'DeliveryFailed',
    nonRetryable: true,
    activityType: 'dispatchMessage',
  });
  expect(c.calls()).toBe(1);
  expect(row).toMatchObject({ status: 'failed', failure_reason: expect.stringMatching(c.reason) });
  expect(page.statusCode).toBe(200);
  expect(shown).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(c.reason) });
});
