/**
 * Every screen of the workspace in both languages (English and Russian, chosen from the browser's
 * language and switchable), each checked by axe-core and photographed, and +New Session by keyboard
 * alone; in Debian's Chromium against the real Temporal server and PostgreSQL.
 */
import type { Page } from 'playwright-core';
import { axeSummary, checkAccessibility } from '../support/axe';
import { screenshot } from '../support/browser';
import { startBrowserWorld, type BrowserWorld } from '../support/browser-world';

let world: BrowserWorld;
let sessionId: string;
const maria = () => world.ids.customers[0]!;
const ivan = () => world.ids.customers[1]!;

beforeAll(async () => {
  world = await startBrowserWorld();
  // Maria has an open session with Anna, with a first message in it.
  const { status, data } = await world.api(world.ids.anna, 'POST', '/api/sessions', {
    liveChatId: world.ids.liveChat,
    channelId: world.ids.whatsapp,
    customer: { contactId: maria().id },
    firstMessage: 'Hello Maria, your order is ready.',
  });
  expect(status).toBe(201);
  sessionId = data.session.id;
});

afterAll(async () => {
  // The accessibility report of every screen, in the test output.
  console.log(axeSummary());
  await world?.stop();
});

/** Photographs the screen and checks it with axe: no serious or critical violation. */
async function screen(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await checkAccessibility(page, name)).toEqual([]);
}

const TEXT = {
  en: {
    signIn: 'Sign in',
    newSession: '+New Session',
    online: 'Online',
    assigned: 'assigned to Anna Weber',
    widget: 'Live Chat Messages',
    dialog: 'New session',
    statuses: ['Pending', 'Sent', 'Delivered', 'Read'],
  },
  ru: {
    signIn: 'Войти',
    newSession: '+Новая сессия',
    online: 'В сети',
    assigned: 'назначена: Anna Weber',
    widget: 'Сообщения живых чатов',
    dialog: 'Новая сессия',
    statuses: ['Ожидает', 'Отправлено', 'Доставлено', 'Прочитано'],
  },
} as const;

for (const language of ['en', 'ru'] as const) {
  test(`every screen in ${language === 'en' ? 'English' : 'Russian'}, as the browser's language chooses, with no serious or critical accessibility violation`, async () => {
    const text = TEXT[language];
    const page = await world.newPage({ locale: language === 'en' ? 'en-GB' : 'ru-RU' });
    await page.locator('#sign-in-view').waitFor({ state: 'visible' });
    expect(await page.locator('html').getAttribute('lang')).toBe(language);
    expect(await page.locator('#sign-in-title').textContent()).toBe(text.signIn);
    expect(await page.locator('#language').inputValue()).toBe(language);
    await screen(page, `screens-${language}-1-sign-in`);

    await world.signIn(page, world.ids.anna);
    expect(await page.locator('#new-session').textContent()).toBe(text.newSession);
    expect(await page.locator('#status-text').textContent()).toBe(text.online);
    await page.locator(`#session-list a[data-session-id="${sessionId}"]`).waitFor();
    await screen(page, `screens-${language}-2-my-sessions`);

    await page.locator('#new-session').click();
    await page.locator('#new-session-dialog').waitFor({ state: 'visible' });
    expect(await page.locator('#new-session-title').textContent()).toBe(text.dialog);
    await screen(page, `screens-${language}-3-new-session`);
    await page.keyboard.press('Escape');
    await page.locator('#new-session-dialog').waitFor({ state: 'hidden' });

    await page.locator(`#session-list a[data-session-id="${sessionId}"]`).click();
    const first = page.locator('#history .message', { hasText: 'Hello Maria, your order is ready.' });
    await first.waitFor();
    expect(await page.locator('#session-meta').textContent()).toContain(text.assigned);
    expect(text.statuses).toContain((await first.locator('.badge').textContent())?.trim());
    await screen(page, `screens-${language}-4-session`);

    await page.locator('#session-meta a', { hasText: maria().name }).click();
    await page.locator('#contact-view').waitFor({ state: 'visible' });
    await page.locator('#contact-title', { hasText: maria().name }).waitFor();
    expect(await page.locator('#widget-title').textContent()).toBe(text.widget);
    await page.locator('#contact-sessions .message').first().waitFor();
    await screen(page, `screens-${language}-5-customer`);
  });
}

test('the operator switches the language on the page, and the page keeps the choice', async () => {
  const page = await world.newPage({ locale: 'ru-RU' });
  await world.signIn(page, world.ids.anna);
  expect(await page.locator('#my-sessions-title').textContent()).toBe('Мои сессии');
  await page.locator('#language').selectOption('en');
  await page.locator('#my-sessions-title', { hasText: 'My Sessions' }).waitFor();
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  expect(await page.locator('#status-text').textContent()).toBe('Online');
  await page.reload();
  await page.locator('#workspace').waitFor({ state: 'visible' });
  expect(await page.locator('#my-sessions-title').textContent()).toBe('My Sessions');
  await page.locator('#language').selectOption('ru');
  await page.locator('#new-session', { hasText: '+Новая сессия' }).waitFor();
});

/** Presses Tab until the element matching `selector` has the focus. */
async function tabTo(page: Page, selector: string, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate<boolean>(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`))
      return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

const focused = (page: Page) => page.evaluate<string>("document.activeElement?.id ?? ''");

test('+New Session by keyboard alone: Tab to it, search the customer, choose them, write, create; Escape closes the dialog and gives the focus back', async () => {
  const page = await world.newPage();
  await world.signIn(page, world.ids.boris);

  await tabTo(page, '#new-session');
  await page.keyboard.press('Enter');
  await page.locator('#new-session-dialog').waitFor({ state: 'visible' });
  expect(await focused(page)).toBe('ns-live-chat');
  await page.keyboard.press('Escape');
  await page.locator('#new-session-dialog').waitFor({ state: 'hidden' });
  expect(await focused(page)).toBe('new-session');

  await page.keyboard.press('Enter');
  await page.locator('#new-session-dialog').waitFor({ state: 'visible' });
  await tabTo(page, '#ns-search');
  await page.keyboard.type('Ivan');
  await page.keyboard.press('Enter');
  const choice = page.getByRole('radio', { name: new RegExp(ivan().name) });
  await choice.waitFor();
  await tabTo(page, 'input[name="ns-contact"]');
  await page.keyboard.press('Space');
  expect(await choice.isChecked()).toBe(true);
  await tabTo(page, '#ns-first-message');
  await page.keyboard.type('Hello Ivan, this is Boris.');
  await screen(page, 'keyboard-new-session-filled');
  await tabTo(page, '#ns-create');
  await page.keyboard.press('Enter');

  await page.locator('#session-view').waitFor({ state: 'visible' });
  await page.locator('#history .message', { hasText: 'Hello Ivan, this is Boris.' }).waitFor();
  expect(await page.locator('#session-meta').textContent()).toContain('assigned to Boris Petrov');
  expect(world.standIn.received.filter((m) => m.to === `whatsapp:${ivan().phone}`)).toHaveLength(1);
});
