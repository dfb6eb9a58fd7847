/**
 * The session list for a shift: mine / unassigned / all, open / closed, unread counts that go once the
 * session is read, the page's title badge and the optional sound for a new customer message, and a
 * search over customers and sessions; in Debian's Chromium against the real Temporal server and
 * PostgreSQL, the customers writing through the Twilio stand-in's signed webhooks.
 */
import type { Page } from 'playwright-core';
import { axeSummary, checkAccessibility } from '../support/axe';
import { screenshot } from '../support/browser';
import { startBrowserWorld, type BrowserWorld } from '../support/browser-world';

let world: BrowserWorld;
let mariaSession: string;
const maria = () => world.ids.customers[0]!;
const olga = () => world.ids.customers[2]!;

beforeAll(async () => {
  world = await startBrowserWorld();
  const { status, data } = await world.api(world.ids.anna, 'POST', '/api/sessions', {
    liveChatId: world.ids.liveChat,
    channelId: world.ids.whatsapp,
    customer: { contactId: maria().id },
    firstMessage: 'Hello Maria, your repair is done.',
  });
  expect(status).toBe(201);
  mariaSession = data.session.id;
});

afterAll(async () => {
  console.log(axeSummary());
  await world?.stop();
});

const writes = (phone: string, body: string) =>
  world.standIn.sendInbound(`${world.addresses[0]}/webhooks/twilio/${world.ids.whatsapp}/inbound`, {
    from: phone,
    to: '+14155550100',
    body,
  });

const chimes = async (page: Page) => Number((await page.locator('body').getAttribute('data-chimes')) ?? 0);
/** The little of the page's DOM these waits read (this project's types know no DOM). */
type PageGlobals = { document: { title: string; querySelectorAll(selector: string): { length: number } } };
const titleIs = (page: Page, title: string) =>
  page.waitForFunction(
    (expected) => (globalThis as unknown as PageGlobals).document.title === expected,
    title,
  );
const listed = (page: Page, count: number) =>
  page.waitForFunction(
    (expected) =>
      (globalThis as unknown as PageGlobals).document.querySelectorAll('#session-list .session-link')
        .length === expected,
    count,
  );
const link = (page: Page, name: string) => page.locator('#session-list .session-link', { hasText: name });

test('a customer’s new message: counted on its tab and in the title, a tone if asked for; reading the session clears both', async () => {
  const page = await world.newPage();
  await world.signIn(page, world.ids.anna);
  await link(page, 'Maria Schmidt').waitFor();
  expect(await page.title()).toBe('Live Chats');
  await page.getByLabel('Sound for new customer messages').check();

  // Olga writes for the first time: a session nobody has taken yet.
  await writes(olga().phone, 'Hello, is my bike ready?');
  await page.locator('#count-unassigned', { hasText: '(1)' }).waitFor();
  await titleIs(page, '(1) Live Chats');
  expect(await chimes(page)).toBe(1);
  expect(await link(page, 'Olga Berg').count()).toBe(0);

  await page.getByText('Unassigned', { exact: true }).click();
  const olgas = link(page, 'Olga Berg');
  await olgas.waitFor();
  expect(await olgas.getAttribute('data-unread')).toBe('1');
  expect(await olgas.locator('.unread').textContent()).toContain('1 unread');
  await screenshot(page, 'shift-unassigned-unread');
  expect(await checkAccessibility(page, 'shift-unassigned-unread')).toEqual([]);

  await olgas.click();
  await page.locator('#history .message-inbound', { hasText: 'is my bike ready' }).waitFor();
  await titleIs(page, 'Live Chats');
  await page.locator('#session-list .session-link[data-unread="0"]', { hasText: 'Olga Berg' }).waitFor();
  expect(await page.locator('#count-unassigned').textContent()).toBe('');

  // Olga writes again while her session is in front: read at once, no tone.
  await writes(olga().phone, 'I can come today.');
  await page.locator('#history .message-inbound', { hasText: 'I can come today.' }).waitFor();
  await page.waitForTimeout(500);
  expect(await chimes(page)).toBe(1);
  expect(await page.title()).toBe('Live Chats');

  // Maria writes in Anna's own session while Anna reads Olga's: the Mine tab counts it, a tone sounds.
  await writes(maria().phone, 'Thank you! When can I pick it up?');
  await page.locator('#count-mine', { hasText: '(1)' }).waitFor();
  await titleIs(page, '(1) Live Chats');
  expect(await chimes(page)).toBe(2);
  await page.getByText('Mine', { exact: true }).click();
  await page.locator('#session-list .session-link[data-unread="1"]', { hasText: 'Maria Schmidt' }).waitFor();
});

test('all sessions of the live chat, found by customer name, account or session name; closed ones apart', async () => {
  const page = await world.newPage();
  await world.signIn(page, world.ids.boris);
  // Boris sees none as his own; All shows Anna's and the one nobody has taken yet.
  await page.locator('#sessions-empty').waitFor({ state: 'visible' });
  await page.getByText('All', { exact: true }).click();
  await link(page, 'Maria Schmidt').waitFor();
  await link(page, 'Olga Berg').waitFor();
  expect(await link(page, 'Maria Schmidt').textContent()).toContain('Anna Weber');

  const search = page.getByLabel('Search sessions');
  await search.fill('olga');
  await listed(page, 1);
  await link(page, 'Olga Berg').waitFor();
  await search.fill(maria().phone.slice(-6));
  await listed(page, 1);
  await link(page, 'Maria Schmidt').waitFor();
  expect(await link(page, 'Olga Berg').count()).toBe(0);
  await search.fill('');

  expect((await world.api(world.ids.anna, 'POST', `/api/sessions/${mariaSession}/close`)).status).toBe(200);
  await page.getByLabel('Open or closed').selectOption('closed');
  await link(page, 'Maria Schmidt').waitFor();
  expect(await link(page, 'Olga Berg').count()).toBe(0);
  await screenshot(page, 'shift-all-closed');
  expect(await checkAccessibility(page, 'shift-all-closed')).toEqual([]);
  await page.getByLabel('Open or closed').selectOption('open');
  await link(page, 'Olga Berg').waitFor();
  expect(await link(page, 'Maria Schmidt').count()).toBe(0);
});

test('in Russian: the tabs, the unread count and the title badge, with no serious or critical accessibility violation', async () => {
  const page = await world.newPage({ locale: 'ru-RU' });
  await world.signIn(page, world.ids.boris);
  // Boris has read nothing: both of Olga's messages wait for him in the session nobody has taken.
  await page.locator('#count-unassigned', { hasText: '(2)' }).waitFor();
  await titleIs(page, '(2) Живые чаты');
  await page.getByText('Без оператора', { exact: true }).click();
  const olgas = link(page, 'Olga Berg');
  await olgas.waitFor();
  expect(await olgas.locator('.unread').textContent()).toContain('непрочитанных: 2');
  expect(await page.getByLabel('Звук при новом сообщении клиента').isChecked()).toBe(false);
  await screenshot(page, 'shift-ru-unassigned-unread');
  expect(await checkAccessibility(page, 'shift-ru-unassigned-unread')).toEqual([]);
});
