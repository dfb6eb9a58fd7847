/**
 * The Live Chats workspace in a real Chromium, against the real Temporal server and PostgreSQL, with
 * WhatsApp going through the twilio SDK to the Twilio stand-in and its signed status callbacks coming
 * back to the same server that serves the page (as `npm run server` composes them).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createWhatsAppAdapter } from '../../channels/whatsapp';
import { applyConfig } from '../../db/apply-config';
import { freePort } from '../../dev/free-port';
import { loadProviderConfig } from '../../config/providers';
import { newSid, TwilioStandIn } from '../../dev/sandbox/twilio-stand-in';
import { setOperatorPassword } from '../../server/operators/passwords';
import { registerWorkspace } from '../../server/operators/plugin';
import { createWebhookServer } from '../../server/webhook-server';
import { twilioWebhookRoutes } from '../../channels/whatsapp';
import { cancelScheduledSend, sendState, startSendLiveChatMessage } from '../../client';
import { orderReadyNotification, orderReadySignal } from '../../dev/workflows';
import { launchChromium, screenshot } from '../support/browser';
import { uniquePhone } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { eventually } from '../support/workspace';

const ACCOUNT_SID = newSid('AC');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const TEMPLATE_SID = newSid('HX');
const PASSWORD = 'correct horse battery staple';
const s = randomUUID().slice(0, 8);
const ids = {
  liveChat: `shop-${s}`,
  /** A bound app of this file's own: the customer search finds only its customers. */
  app: `shop-customers-${s}`,
  whatsapp: `shop-wa-${s}`,
  widget: `shop-widget-${s}`,
  anna: `anna-${s}`,
  boris: `boris-${s}`,
  maria: `maria-${s}`,
  mariaPhone: uniquePhone(),
};

let standIn: TwilioStandIn;
let harness: Harness;
let app: FastifyInstance;
let address: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  // The status callback URL goes into the adapter before the server listens: choose its port first.
  const port = await freePort();
  address = `http://127.0.0.1:${port}`;
  standIn = new TwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  await standIn.start();
  harness = await startHarness({
    channels: {
      whatsapp: createWhatsAppAdapter({
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        apiUrl: standIn.url,
        statusCallbackUrl: address,
      }),
    },
  });
  await applyConfig(harness.db, {
    operators: [
      { id: ids.anna, name: 'Anna Weber', status: 'offline' },
      { id: ids.boris, name: 'Boris Petrov', status: 'offline' },
    ],
    liveChats: [
      {
        id: ids.liveChat,
        name: 'Shop Support',
        boundApp: ids.app,
        operators: [ids.anna, ids.boris],
        channels: [
          {
            id: ids.whatsapp,
            kind: 'whatsapp',
            name: 'Shop WhatsApp',
            settings: { from: '+14155550100', templateContentSid: TEMPLATE_SID },
          },
          { id: ids.widget, kind: 'livechat', name: 'Website widget' },
        ],
      },
    ],
    contacts: [
      {
        id: ids.maria,
        app: ids.app,
        name: 'Maria Schmidt',
        accounts: [{ kind: 'phone', value: ids.mariaPhone }],
      },
    ],
  });
  for (const id of [ids.anna, ids.boris]) await setOperatorPassword(harness.db, id, PASSWORD);

  app = await createWebhookServer({ db: harness.db, providers: loadProviderConfig({}) }, [
    twilioWebhookRoutes({ authToken: AUTH_TOKEN, publicBaseUrl: () => address }),
  ]);
  await registerWorkspace(app, {
    db: harness.db,
    client: harness.client,
    taskQueue: harness.taskQueue,
    temporalUiUrl: 'http://127.0.0.1:8233',
    feed: { intervalMs: 250 },
  });
  await app.listen({ host: '127.0.0.1', port });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await app?.close();
  await harness?.stop();
  await standIn?.stop();
});

/** A page of its own (cookies and all) with the operator signed in. */
async function signedIn(operatorId: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(address);
  await page.getByLabel(/operator id or email/i).fill(operatorId);
  await page.getByLabel(/password/i).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#workspace').waitFor({ state: 'visible' });
  await page.locator('body[data-live="true"]').waitFor();
  return page;
}

/** Opens +New Session and fills it for Maria on WhatsApp. */
async function fillNewSession(page: Page, firstMessage: string): Promise<void> {
  await page.getByRole('button', { name: '+New Session' }).first().click();
  const dialog = page.locator('#new-session-dialog');
  await dialog.waitFor({ state: 'visible' });
  await dialog.locator('#ns-channel').selectOption(ids.whatsapp);
  await dialog.locator('#ns-search').fill('Maria');
  await dialog.getByRole('button', { name: 'Search customers' }).click();
  await dialog.getByRole('radio', { name: /Maria Schmidt/ }).check();
  await dialog.locator('#ns-first-message').fill(firstMessage);
  await dialog.getByRole('button', { name: 'Create' }).click();
}

test('an operator signs in, goes online and starts a WhatsApp session; a process message then appears live, marked as the process’s, with its delivery status', async () => {
  const page = await signedIn(ids.anna);
  await screenshot(page, '01-signed-in-offline');
  const toggle = page.locator('#status-toggle');
  expect(await toggle.getAttribute('aria-checked')).toBe('false');
  await toggle.click();
  await page.locator('#status-toggle[aria-checked="true"]').waitFor();
  expect((await harness.db('operators').where({ id: ids.anna }).first()).status).toBe('online');

  await fillNewSession(page, 'Hello Maria, this is Anna from the shop.');
  await page.locator('#session-view').waitFor({ state: 'visible' });
  const first = page.locator('#history .message', { hasText: 'Hello Maria, this is Anna from the shop.' });
  await first.waitFor();
  expect(await first.locator('.author').textContent()).toBe('Anna Weber');
  expect(await page.locator('#session-meta').textContent()).toContain('assigned to Anna Weber');
  await screenshot(page, '02-session-started');

  // The WhatsApp stand-in got it once, through the approved template (Maria never wrote: no window).
  const toMaria = () => standIn.received.filter((m) => m.to === `whatsapp:${ids.mariaPhone}`);
  expect(toMaria()).toHaveLength(1);
  expect(toMaria()[0]).toMatchObject({ contentSid: TEMPLATE_SID });
  expect(JSON.parse(toMaria()[0]?.contentVariables ?? '{}')).toEqual({
    '1': 'Hello Maria, this is Anna from the shop.',
  });

  // A business process notifies Maria: the message goes into her open session, and the open page
  // shows it without a reload.
  const order = await harness.client.workflow.start(orderReadyNotification, {
    taskQueue: harness.taskQueue,
    workflowId: `order-1042-${s}`,
    args: [
      {
        orderNumber: '1042',
        liveChatId: ids.liveChat,
        channelId: ids.whatsapp,
        customer: { contactId: ids.maria },
      },
    ],
  });
  await order.signal(orderReadySignal, { store: 'our Berlin store' });
  const result = await order.result();
  expect(result.sessionReused).toBe(true);

  const fromProcess = page.locator('#history .message-by-process', { hasText: 'order #1042' });
  await fromProcess.waitFor();
  expect(await fromProcess.locator('.author').textContent()).toMatch(/^Sent by process order-1042-/);
  expect(await fromProcess.locator('a.temporal-link').getAttribute('href')).toContain(
    `/namespaces/default/workflows/order-1042-${s}`,
  );
  // The stand-in's signed status callbacks move it on to delivered, and the page follows.
  await page.locator(`#history .message-by-process[data-status="delivered"]`).waitFor();
  expect((await fromProcess.locator('.badge').textContent())?.toLowerCase()).toContain('delivered');
  expect(toMaria()).toHaveLength(2);
  await screenshot(page, '03-process-message-live');
});

test('a scheduled process message shows as scheduled with its time, and as cancelled once cancelled; it is never sent', async () => {
  const page = await signedIn(ids.anna);
  const sendAt = new Date(Date.now() + 3_600_000).toISOString();
  const text = `Your appointment ${s} is tomorrow at 10:00.`;
  const { workflowId } = await startSendLiveChatMessage(
    harness.client,
    { liveChatId: ids.liveChat, channelId: ids.whatsapp, to: { contactId: ids.maria }, text, sendAt },
    { taskQueue: harness.taskQueue, workflowId: `appointment-${s}` },
  );
  // Maria's open session (started by the test before) holds it; open it from the list.
  await page.locator('#session-list li', { hasText: 'Maria Schmidt' }).first().click();
  const message = page.locator('#history .message-by-process', { hasText: text });
  await message.locator('.badge[data-status="scheduled"]').waitFor();
  expect(await message.locator('.badge').textContent()).toContain('Scheduled for');
  await screenshot(page, '04-scheduled-message');

  // The update is taken once the process waits for the time (not while it records the message).
  await eventually(
    async () => ((await sendState(harness.client, workflowId)).state === 'scheduled' ? true : undefined),
    'the send to wait for its time',
  );
  await cancelScheduledSend(harness.client, workflowId);
  await message.locator('.badge[data-status="cancelled"]').waitFor();
  expect(await message.locator('.badge').textContent()).toBe('Cancelled');
  expect(standIn.received.filter((m) => JSON.stringify(m).includes(text))).toHaveLength(0);
});

test('an offline operator sees the refusal, and nothing is started', async () => {
  const page = await signedIn(ids.boris);
  expect(await page.locator('#status-toggle').getAttribute('aria-checked')).toBe('false');
  const sessionsBefore = await harness.db('sessions').where({ channel_id: ids.whatsapp }).count('* as n');
  const sentBefore = standIn.received.length;

  await fillNewSession(page, 'Hello from Boris');
  const error = page.locator('#ns-error');
  await error.getByText('You are offline.').waitFor();
  expect(await error.textContent()).toMatch(/offline/i);
  await screenshot(page, '04-offline-refused');

  expect(await harness.db('sessions').where({ channel_id: ids.whatsapp }).count('* as n')).toEqual(
    sessionsBefore,
  );
  expect(standIn.received.length).toBe(sentBefore);
});

test('a session already open with the customer is refused with a link that opens it', async () => {
  const page = await signedIn(ids.anna);
  await fillNewSession(page, 'A second session?');
  const error = page.locator('#ns-error');
  await error.getByText('A session is already open.').waitFor();
  await error.getByRole('link', { name: 'Open that session' }).click();
  await page.locator('#session-view').waitFor({ state: 'visible' });
  await eventually(
    async () => ((await page.locator('#history .message-by-process').count()) > 0 ? true : undefined),
    'the open session’s history',
  );
  await screenshot(page, '05-already-open');
});
