/**
 * Two workspace servers on one database, each with its own pool, as two `npm run server` would be:
 * what happens through one (an operator's reply, a customer's WhatsApp message through its webhook, a
 * delivery callback) reaches a page served by the other at once, through PostgreSQL's LISTEN/NOTIFY.
 * Both feeds look over the database only once a minute here, so nothing arrives by polling.
 */
import { screenshot } from '../support/browser';
import { startBrowserWorld, type BrowserWorld } from '../support/browser-world';
import { eventually } from '../support/workspace';

let world: BrowserWorld;
let sessionId: string;
const olga = () => world.ids.customers[2]!;
const [first, second] = [0, 1];

beforeAll(async () => {
  world = await startBrowserWorld({
    servers: 2,
    workspace: { feed: { intervalMs: 60_000, safetyIntervalMs: 60_000, reconnectMs: 200 } },
  });
  const { status, data } = await world.api(world.ids.anna, 'POST', '/api/sessions', {
    liveChatId: world.ids.liveChat,
    channelId: world.ids.whatsapp,
    customer: { contactId: olga().id },
    firstMessage: 'Hello Olga, your parcel left our store.',
  });
  expect(status).toBe(201);
  sessionId = data.session.id;
});

afterAll(async () => {
  await world?.stop();
});

/** Boris's page on the second server, showing Olga's session. */
async function borisOnSecond() {
  const page = await world.newPage({ address: world.addresses[second] });
  await world.signIn(page, world.ids.boris);
  await page.goto(`${world.addresses[second]}/#/sessions/${sessionId}`);
  await page.locator('#history .message', { hasText: 'Hello Olga' }).waitFor();
  return page;
}

test('an operator’s reply through one server appears at once on a page the other server serves, and its delivery status follows', async () => {
  const page = await borisOnSecond();
  const text = 'Your parcel arrives tomorrow between 9 and 12.';
  const sent = Date.now();
  const reply = world.api(
    world.ids.anna,
    'POST',
    `/api/sessions/${sessionId}/messages`,
    { text },
    world.addresses[first],
  );
  const message = page.locator('#history .message', { hasText: text });
  await message.waitFor({ timeout: 5_000 });
  const latency = Date.now() - sent;
  expect((await reply).status).toBe(201);
  console.log(`reply through server 1 shown by server 2's page after ${latency} ms`);
  // The stand-in's signed status callbacks go to the first server; the page on the second follows.
  await page
    .locator('#history .message[data-status="delivered"]', { hasText: text })
    .waitFor({ timeout: 5_000 });
  await screenshot(page, 'scale-out-second-server');
});

test('a customer’s message through the first server’s webhook reaches the second server’s page at once', async () => {
  const page = await borisOnSecond();
  const body = 'Can I pick it up myself instead?';
  const sent = Date.now();
  const answer = await world.standIn.sendInbound(
    `${world.addresses[first]}/webhooks/twilio/${world.ids.whatsapp}/inbound`,
    { from: olga().phone, to: '+14155550100', body },
  );
  expect(answer.status).toBe(200);
  await page.locator('#history .message-inbound', { hasText: body }).waitFor({ timeout: 5_000 });
  console.log(`customer's message shown by server 2's page after ${Date.now() - sent} ms`);
});

test('when the listener’s connection is cut, the feed connects again and delivers what was written meanwhile', async () => {
  const page = await borisOnSecond();
  const listeners = async (): Promise<number> => {
    const { rows } = await world.harness.db.raw(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and query = 'listen livechat_message'`,
    );
    return rows[0].n;
  };
  const before = await listeners();
  // Every listening connection of this database is ended, as a restarted PostgreSQL or a proxy would.
  const cut = await world.harness.db.raw(
    `select pg_terminate_backend(pid) as ended from pg_stat_activity
      where datname = current_database() and query = 'listen livechat_message' and pid <> pg_backend_pid()`,
  );
  expect(cut.rows.length).toBe(before);
  expect(before).toBeGreaterThanOrEqual(1);
  const text = `Written while the listeners were away ${Date.now()}`;
  await world.api(
    world.ids.anna,
    'POST',
    `/api/sessions/${sessionId}/messages`,
    { text },
    world.addresses[first],
  );
  await page.locator('#history .message', { hasText: text }).waitFor({ timeout: 10_000 });
  await eventually(
    async () => ((await listeners()) === before ? true : undefined),
    'the feeds to listen again',
  );
});
