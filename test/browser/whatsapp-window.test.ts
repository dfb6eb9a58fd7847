/**
 * WhatsApp's 24-hour window in the workspace: the session says how long free text may still go;
 * outside the window the composer offers the channel's approved templates (Twilio Content SIDs) with
 * their variables filled in, instead of a free text that WhatsApp would refuse (63016).
 */
import type { Page } from 'playwright-core';
import { newSid } from '../../dev/sandbox/twilio-stand-in';
import { axeSummary, checkAccessibility } from '../support/axe';
import { screenshot } from '../support/browser';
import { startBrowserWorld, type BrowserWorld } from '../support/browser-world';
import { eventually } from '../support/workspace';

const ORDER_READY = newSid('HX');
const APPOINTMENT = newSid('HX');
let world: BrowserWorld;

beforeAll(async () => {
  world = await startBrowserWorld({
    whatsappSettings: {
      templates: [
        {
          contentSid: ORDER_READY,
          name: 'Order ready',
          body: 'Hello {{1}}, your order {{2}} is ready for pickup.',
        },
        { contentSid: APPOINTMENT, name: 'Appointment', body: 'Your appointment is on {{1}}.' },
      ],
    },
  });
});

afterAll(async () => {
  console.log(axeSummary());
  await world?.stop();
});

/** A session Anna opened with this customer (who never wrote), shown on a page of its own. */
async function sessionWith(customerIndex: number, locale = 'en-GB'): Promise<{ page: Page; id: string }> {
  const customer = world.ids.customers[customerIndex]!;
  const { status, data } = await world.api(world.ids.anna, 'POST', '/api/sessions', {
    liveChatId: world.ids.liveChat,
    channelId: world.ids.whatsapp,
    customer: { contactId: customer.id },
    firstMessage: `Hello ${customer.name}, this is the shop.`,
  });
  expect(status).toBe(201);
  const page = await world.newPage({ locale });
  await world.signIn(page, world.ids.anna);
  await page.goto(`${world.addresses[0]}/#/sessions/${data.session.id}`);
  await page.locator('#history .message').first().waitFor();
  return { page, id: data.session.id };
}

const toCustomer = (index: number) =>
  world.standIn.received.filter((m) => m.to === `whatsapp:${world.ids.customers[index]!.phone}`);

test('outside the window the composer offers the approved templates, their variables filled in; once the customer writes, free text again with the time left', async () => {
  const { page, id } = await sessionWith(3);
  const windowLine = page.locator('#wa-window');
  expect(await windowLine.textContent()).toBe(
    'WhatsApp window closed: the customer has not written yet; only approved templates go.',
  );
  expect(await page.locator('#reply-text').isVisible()).toBe(false);
  const choice = page.locator('#reply-template-choice');
  expect(await choice.locator('option').allTextContents()).toEqual(['Order ready', 'Appointment']);
  await page.getByLabel('Variable {{1}}').fill('Jonas');

  // A variable left empty is said before anything is sent.
  await page.getByRole('button', { name: 'Send' }).click();
  expect(await page.locator('#reply-error').textContent()).toBe('Fill in the variable {{2}}.');
  await page.getByLabel('Variable {{2}}').fill('1042');
  expect(await page.locator('#reply-template-preview').textContent()).toBe(
    'Hello Jonas, your order 1042 is ready for pickup.',
  );
  await screenshot(page, 'whatsapp-window-en-template');
  expect(await checkAccessibility(page, 'whatsapp-window-en-template')).toEqual([]);
  await page.getByRole('button', { name: 'Send' }).click();
  await page
    .locator('#history .message', { hasText: 'Hello Jonas, your order 1042 is ready for pickup.' })
    .waitFor();
  const sent = toCustomer(3).at(-1);
  expect(sent).toMatchObject({ contentSid: ORDER_READY });
  expect(JSON.parse(sent?.contentVariables ?? '{}')).toEqual({ '1': 'Jonas', '2': '1042' });

  // Jonas writes: the window opens for 24 hours, and the composer takes free text again.
  await world.standIn.sendInbound(`${world.addresses[0]}/webhooks/twilio/${world.ids.whatsapp}/inbound`, {
    from: world.ids.customers[3]!.phone,
    to: '+14155550100',
    body: 'Great, I will come at five.',
  });
  await page.locator('#history .message-inbound', { hasText: 'I will come at five' }).waitFor();
  await page.locator('#wa-window[data-window="open"]').waitFor();
  expect(await windowLine.textContent()).toMatch(
    /^WhatsApp window open: (23 h \d+|24 h 0) min left for free text\.$/,
  );
  await page.locator('#reply-text').fill('See you at five!');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('#history .message', { hasText: 'See you at five!' }).waitFor();
  // Free text, not a template, now that the window is open.
  const free = await eventually(
    () => toCustomer(3).find((m) => JSON.stringify(m).includes('See you at five!')),
    'the reply at the stand-in',
  );
  expect(free).toMatchObject({ body: 'See you at five!' });
  expect(free.contentSid).toBeUndefined();
  await screenshot(page, 'whatsapp-window-en-open');

  // The window shown after a reload comes from the database, as the customer's message left it.
  await page.reload();
  await page.locator('#wa-window[data-window="open"]').waitFor();
  const { data } = await world.api(world.ids.anna, 'GET', `/api/sessions/${id}`);
  expect(Date.parse(data.session.whatsappWindow.closesAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
});

test('in Russian, the closed window and the template composer, with no serious or critical accessibility violation', async () => {
  const { page } = await sessionWith(2, 'ru-RU');
  expect(await page.locator('#wa-window').textContent()).toBe(
    'Окно WhatsApp закрыто: клиент ещё не писал; можно только утверждённые шаблоны.',
  );
  await page.locator('#reply-template-choice').selectOption(APPOINTMENT);
  await page.getByLabel('Переменная {{1}}').fill('пятницу, 10:00');
  expect(await page.locator('#reply-template-preview').textContent()).toBe(
    'Your appointment is on пятницу, 10:00.',
  );
  await screenshot(page, 'whatsapp-window-ru-template');
  expect(await checkAccessibility(page, 'whatsapp-window-ru-template')).toEqual([]);
});

test('the API refuses a template that is not the channel’s, or with a variable missing, and sends nothing', async () => {
  const { id } = await sessionWith(1);
  const before = world.standIn.received.length;
  const foreign = await world.api(world.ids.anna, 'POST', `/api/sessions/${id}/messages`, {
    text: '',
    template: { contentSid: newSid('HX'), variables: { '1': 'x' } },
  });
  expect(foreign.status).toBe(400);
  expect(foreign.data.error.type).toBe('InvalidInput');
  const missing = await world.api(world.ids.anna, 'POST', `/api/sessions/${id}/messages`, {
    text: '',
    template: { contentSid: ORDER_READY, variables: { '1': 'Ivan' } },
  });
  expect(missing.status).toBe(400);
  expect(missing.data.error.message).toContain('missing: 2');
  expect(world.standIn.received.length).toBe(before);
});
