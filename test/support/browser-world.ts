/**
 * A world for the workspace's browser tests: the Twilio stand-in, a harness whose worker sends
 * WhatsApp through the twilio SDK to it, one live chat with two operators and a few customers, and
 * one or more workspace servers (each with a database pool of its own, as separate `npm run server`
 * processes would have) that also take the stand-in's signed status callbacks.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createWhatsAppAdapter, twilioWebhookRoutes } from '../../channels/whatsapp';
import { twilioMediaFetcher } from '../../channels/whatsapp/media';
import { loadProviderConfig } from '../../config/providers';
import { applyConfig } from '../../db/apply-config';
import { createDb, type Db } from '../../db/knex';
import { freePort } from '../../dev/free-port';
import { newSid, TwilioStandIn } from '../../dev/sandbox/twilio-stand-in';
import type { WorkspaceDeps } from '../../server/operators/deps';
import { setOperatorPassword } from '../../server/operators/passwords';
import { registerWorkspace } from '../../server/operators/plugin';
import { mediaRoutes } from '../../server/media';
import { createWebhookServer } from '../../server/webhook-server';
import { launchChromium } from './browser';
import { uniquePhone } from './fixtures';
import { startHarness, type Harness } from './harness';

export const PASSWORD = 'correct horse battery staple';

export interface BrowserWorldOptions {
  /** How many workspace servers on the one database (default 1). */
  servers?: number;
  /** What every server's workspace gets besides the world's own deps. */
  workspace?: Partial<WorkspaceDeps>;
  /** WhatsApp channel settings besides `from` (approved templates, …). */
  whatsappSettings?: Record<string, unknown>;
}

export interface BrowserWorld {
  ids: {
    liveChat: string;
    app: string;
    whatsapp: string;
    widget: string;
    email: string;
    anna: string;
    boris: string;
    customers: { id: string; name: string; phone: string; email: string }[];
  };
  templateSid: string;
  standIn: TwilioStandIn;
  harness: Harness;
  /** `http://127.0.0.1:port` of each server, in order. */
  addresses: string[];
  browser: Browser;
  /** A page of its own (cookies and all) in this locale (default `en-US`), on `address`. */
  newPage(options?: { locale?: string; address?: string }): Promise<Page>;
  /** Signs in through the form and waits for the live feed. */
  signIn(page: Page, operatorId: string): Promise<void>;
  /** The API as the page calls it, signed in as the operator, on a server (default the first). */
  api(
    operatorId: string,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    address?: string,
  ): Promise<{ status: number; data: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

export async function startBrowserWorld(options: BrowserWorldOptions = {}): Promise<BrowserWorld> {
  const accountSid = newSid('AC');
  const authToken = randomBytes(16).toString('hex');
  const mediaSecret = randomBytes(32).toString('hex');
  const templateSid = newSid('HX');
  const s = randomUUID().slice(0, 8);
  const customers = ['Maria Schmidt', 'Ivan Sokolov', 'Olga Berg', 'Jonas Klein'].map((name) => ({
    id: `${name.split(' ')[0]?.toLowerCase()}-${s}`,
    name,
    phone: uniquePhone(),
    email: `${name.split(' ')[0]?.toLowerCase()}.${s}@customers.example`,
  }));
  const ids = {
    liveChat: `shop-${s}`,
    app: `shop-customers-${s}`,
    whatsapp: `shop-wa-${s}`,
    widget: `shop-widget-${s}`,
    email: `shop-mail-${s}`,
    anna: `anna-${s}`,
    boris: `boris-${s}`,
    customers,
  };
  const ports = await Promise.all(Array.from({ length: options.servers ?? 1 }, () => freePort()));
  const addresses = ports.map((port) => `http://127.0.0.1:${port}`);
  const standIn = new TwilioStandIn({ accountSid, authToken });
  await standIn.start();
  const harness = await startHarness({
    channels: {
      whatsapp: createWhatsAppAdapter({
        accountSid,
        authToken,
        apiUrl: standIn.url,
        statusCallbackUrl: addresses[0] ?? '',
        // Files go out as signed media URLs on the first server, as WEBHOOK_BASE_URL would give them.
        media: { baseUrl: addresses[0] ?? '', secret: mediaSecret },
      }),
    },
  });
  await applyConfig(harness.db, {
    operators: [
      { id: ids.anna, name: 'Anna Weber', status: 'online' },
      { id: ids.boris, name: 'Boris Petrov', status: 'online' },
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
            settings: { from: '+14155550100', templateContentSid: templateSid, ...options.whatsappSettings },
          },
          { id: ids.widget, kind: 'livechat', name: 'Website widget' },
          // Sends land in the harness's recording adapter (harness.outbox.email).
          { id: ids.email, kind: 'email', name: 'Support mail', settings: { from: 'support@shop.example' } },
        ],
      },
    ],
    contacts: customers.map((c) => ({
      id: c.id,
      app: ids.app,
      name: c.name,
      accounts: [{ kind: 'phone' as const, value: c.phone }],
      emails: [{ value: c.email }],
    })),
  });
  for (const id of [ids.anna, ids.boris]) await setOperatorPassword(harness.db, id, PASSWORD);

  const servers: FastifyInstance[] = [];
  const pools: Db[] = [];
  for (const [index, port] of ports.entries()) {
    // The first server shares the harness's pool; every other has one of its own.
    const db =
      index === 0
        ? harness.db
        : createDb(process.env.LIVECHAT_TEST_DATABASE_URL ?? '', {
            poolMax: Number(process.env.LIVECHAT_TEST_DATABASE_POOL_MAX ?? 4),
          });
    if (index > 0) pools.push(db);
    const address = addresses[index] ?? '';
    const app = await createWebhookServer({ db, providers: loadProviderConfig({}) }, [
      twilioWebhookRoutes({
        authToken,
        publicBaseUrl: () => address,
        mediaFetcher: twilioMediaFetcher({ accountSid, authToken, apiUrl: standIn.url }),
      }),
      mediaRoutes({ secret: mediaSecret }),
    ]);
    await registerWorkspace(app, {
      db,
      client: harness.client,
      taskQueue: harness.taskQueue,
      temporalUiUrl: 'http://127.0.0.1:8233',
      ...options.workspace,
    });
    await app.listen({ host: '127.0.0.1', port });
    servers.push(app);
  }
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const cookies = new Map<string, string>();

  const world: BrowserWorld = {
    ids,
    templateSid,
    standIn,
    harness,
    addresses,
    browser,
    async newPage({ locale = 'en-US', address = addresses[0] ?? '' } = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(address);
      return page;
    },
    async signIn(page, operatorId) {
      await page.locator('#sign-in-login').fill(operatorId);
      await page.locator('#sign-in-password').fill(PASSWORD);
      await page.locator('#sign-in-form button[type="submit"]').click();
      await page.locator('#workspace').waitFor({ state: 'visible' });
      await page.locator('body[data-live="true"]').waitFor();
    },
    async api(operatorId, method, path, body, address = addresses[0] ?? '') {
      const key = `${address} ${operatorId}`;
      let cookie = cookies.get(key);
      if (!cookie) {
        const response = await fetch(`${address}/api/sign-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ operatorId, password: PASSWORD }),
        });
        if (!response.ok) throw new Error(`sign-in of ${operatorId}: ${await response.text()}`);
        cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
        cookies.set(key, cookie);
      }
      const response = await fetch(`${address}${path}`, {
        method,
        headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, data: text ? JSON.parse(text) : null };
    },
    async stop() {
      for (const context of contexts) await context.close();
      await browser.close();
      for (const app of servers) await app.close();
      for (const db of pools) await db.destroy();
      await harness.stop();
      await standIn.stop();
    },
  };
  return world;
}
