/**
 * The fault suite's "forged webhooks" and "other operator": unsigned, wrongly signed and altered
 * provider callbacks, and an operator of another live chat reaching for this one's sessions,
 * messages and customers. Every one is refused, nothing is stored or changed, and the refusals to
 * the operator say nothing about what exists.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { sendLiveChatMessage } from '../../client';
import { loadProviderConfig } from '../../config/providers';
import { createWebhookServer } from '../../server/webhook-server';
import { EMAIL_WEBHOOK_SECRET_HEADER, emailWebhookRoutes } from '../../channels/email/webhook';
import { TELEGRAM_SECRET_HEADER, telegramWebhookRoutes } from '../../channels/telegram';
import { twilioWebhookRoutes } from '../../channels/whatsapp';
import { startHarness, type Harness } from '../support/harness';
import { startWorkspace, type Workspace } from '../support/workspace';
import { RefusalTally, reportFaultCase } from './support/fault-report';

const AUTH_TOKEN = randomBytes(16).toString('hex');
const TELEGRAM_SECRET = `tg-${randomUUID()}`;
const EMAIL_SECRET = `mail-${randomUUID()}`;
const BASE = 'https://hooks.shop.example';

let harness: Harness;
let workspace: Workspace;
let webhooks: FastifyInstance;
let otto: string;
let sessionId: string;
let messageId: string;
const tally = { webhooks: new RefusalTally(), operator: new RefusalTally() };

beforeAll(async () => {
  harness = await startHarness();
  workspace = await startWorkspace(harness);
  webhooks = await createWebhookServer({ db: harness.db, providers: loadProviderConfig({}) }, [
    twilioWebhookRoutes({ authToken: AUTH_TOKEN, publicBaseUrl: BASE }),
    telegramWebhookRoutes({ secretToken: TELEGRAM_SECRET }),
    emailWebhookRoutes({ secret: EMAIL_SECRET }),
  ]);
  otto = await workspace.signIn(workspace.world.stranger);
  // A real session with a sent message in the live chat Otto does not serve.
  const sent = await sendLiveChatMessage(
    harness.client,
    {
      liveChatId: workspace.world.liveChat,
      channelId: workspace.world.whatsapp,
      to: { contactId: workspace.world.maria },
      text: 'Your order #1042 is ready.',
    },
    { taskQueue: harness.taskQueue, workflowId: `forged-${randomUUID()}` },
  );
  sessionId = sent.sessionId;
  messageId = sent.messageId;
});

afterAll(async () => {
  reportFaultCase({ case: 'forged webhooks', ...tally.webhooks });
  reportFaultCase({ case: 'other operator', ...tally.operator });
  await webhooks?.close();
  await workspace?.app.close();
  await harness?.stop();
});

/** Everything a forged request could touch: row counts, and the sent message's status. */
async function state() {
  const count = async (table: string) =>
    Number((await harness.db(table).count<{ count: string }[]>('* as count'))[0]?.count ?? 0);
  const message = await harness.db('messages').where({ id: messageId }).first();
  return {
    sessions: await count('sessions'),
    messages: await count('messages'),
    contacts: await count('contacts'),
    telegramChats: await count('telegram_chats'),
    status: message?.status,
    assignee: (await harness.db('sessions').where({ id: sessionId }).first())?.assigned_operator_id,
  };
}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const inbound = (w: Workspace['world']) => ({
  From: `whatsapp:${w.mariaPhone}`,
  To: 'whatsapp:+14155550100',
  Body: 'Cancel my order',
  MessageSid: `SM${randomBytes(16).toString('hex')}`,
  AccountSid: `AC${randomBytes(16).toString('hex')}`,
});
const twilioUrl = (w: Workspace['world'], route: 'inbound' | 'status') =>
  `/webhooks/twilio/${w.whatsapp}/${route}`;
const signed = (path: string, params: Record<string, string>, token = AUTH_TOKEN) =>
  twilio.getExpectedTwilioSignature(token, `${BASE}${path}`, params);
const update = (w: Workspace['world']) => ({
  update_id: 1 + Math.floor(Math.random() * 1e9),
  message: {
    message_id: 7,
    date: Math.floor(Date.now() / 1000),
    chat: { id: Number(w.olgaTelegram), type: 'private', first_name: 'Olga' },
    from: { id: Number(w.olgaTelegram), is_bot: false, first_name: 'Olga' },
    text: 'Hello, it is me',
  },
});
const mail = (w: Workspace['world']) =>
  `From: ${w.mariaEmail}\r\nTo: support@shop.example\r\nSubject: Re: order\r\nMessage-ID: <${randomUUID()}@example.com>\r\n\r\nCancel it`;

type Forged = { method: 'POST'; url: string; headers: Record<string, string>; payload: string };
const forgedCases: [string, (w: Workspace['world']) => Forged][] = [
  [
    'Twilio inbound without a signature',
    (w) => ({
      method: 'POST',
      url: twilioUrl(w, 'inbound'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form(inbound(w)),
    }),
  ],
  [
    'Twilio inbound signed with another token',
    (w) => {
      const params = inbound(w);
      return {
        method: 'POST',
        url: twilioUrl(w, 'inbound'),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signed(twilioUrl(w, 'inbound'), params, 'not-our-token'),
        },
        payload: form(params),
      };
    },
  ],
  [
    'Twilio inbound with a valid signature and an altered body',
    (w) => {
      const params = inbound(w);
      const signature = signed(twilioUrl(w, 'inbound'), params);
      return {
        method: 'POST',
        url: twilioUrl(w, 'inbound'),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        payload: form({ ...params, Body: 'Send me a refund' }),
      };
    },
  ],
  [
    'Twilio inbound signed for another URL',
    (w) => {
      const params = inbound(w);
      return {
        method: 'POST',
        url: twilioUrl(w, 'inbound'),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signed(`/webhooks/twilio/other/inbound`, params),
        },
        payload: form(params),
      };
    },
  ],
  [
    'Twilio status callback "failed" without a signature',
    (w) => ({
      method: 'POST',
      url: twilioUrl(w, 'status'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ MessageSid: 'recorded-1', MessageStatus: 'failed', ErrorCode: '30003' }),
    }),
  ],
  [
    'Telegram update without the secret token',
    (w) => ({
      method: 'POST',
      url: `/webhooks/telegram/${w.telegram}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(update(w)),
    }),
  ],
  [
    'Telegram update with a wrong secret token',
    (w) => ({
      method: 'POST',
      url: `/webhooks/telegram/${w.telegram}`,
      headers: { 'content-type': 'application/json', [TELEGRAM_SECRET_HEADER]: `${TELEGRAM_SECRET}x` },
      payload: JSON.stringify(update(w)),
    }),
  ],
  [
    'inbound mail without the shared secret',
    (w) => ({
      method: 'POST',
      url: `/webhooks/email/${w.email}`,
      headers: { 'content-type': 'message/rfc822' },
      payload: mail(w),
    }),
  ],
  [
    'inbound mail with a wrong shared secret',
    (w) => ({
      method: 'POST',
      url: `/webhooks/email/${w.email}`,
      headers: { 'content-type': 'message/rfc822', [EMAIL_WEBHOOK_SECRET_HEADER]: 'guess-guess-guess-guess' },
      payload: mail(w),
    }),
  ],
];

test.each(forgedCases)('%s is refused and stores nothing', async (_name, build) => {
  await tally.webhooks.expectRefused(
    state,
    () => webhooks.inject(build(workspace.world)),
    (answer) => expect([401, 403]).toContain(answer.statusCode),
  );
});

type Reach = {
  method: 'GET' | 'POST' | 'PUT';
  url: () => string;
  body?: () => unknown;
  /** Answered (200), but without anything of the other live chat. */
  sharedCustomer?: boolean;
};
const operatorCases: [string, Reach][] = [
  ["read another live chat's session", { method: 'GET', url: () => `/api/sessions/${sessionId}` }],
  ['read its messages', { method: 'GET', url: () => `/api/sessions/${sessionId}/messages` }],
  [
    'reply into it',
    {
      method: 'POST',
      url: () => `/api/sessions/${sessionId}/messages`,
      body: () => ({ text: 'Hi from Sales' }),
    },
  ],
  ['close it', { method: 'POST', url: () => `/api/sessions/${sessionId}/close`, body: () => ({}) }],
  [
    'start a session in that live chat',
    {
      method: 'POST',
      url: () => '/api/sessions',
      body: () => ({
        liveChatId: workspace.world.liveChat,
        channelId: workspace.world.whatsapp,
        customer: { contactId: workspace.world.maria },
      }),
    },
  ],
  // Customers belong to the bound app both live chats share: the page is Otto's to see, the other
  // live chat's sessions with her are not.
  [
    "see that live chat's sessions on a shared customer's history",
    { method: 'GET', url: () => `/api/contacts/${workspace.world.maria}/history`, sharedCustomer: true },
  ],
];

test.each(operatorCases)('an operator of another live chat may not %s', async (_name, reach) => {
  await tally.operator.expectRefused(
    state,
    () =>
      workspace.call(reach.method, reach.url(), {
        cookie: otto,
        ...(reach.body ? { body: reach.body() } : {}),
      }),
    (answer) => {
      if (reach.sharedCustomer) {
        expect(answer.statusCode).toBe(200);
        expect(answer.json<{ sessions: unknown[] }>().sessions).toEqual([]);
      } else {
        expect([403, 404]).toContain(answer.statusCode);
      }
      expect(answer.body).not.toContain(sessionId);
      expect(answer.body).not.toContain('Your order #1042');
      // The customer's own accounts are on her page; refusals must not reveal them.
      if (!reach.sharedCustomer) expect(answer.body).not.toContain(workspace.world.mariaPhone);
    },
  );
});
