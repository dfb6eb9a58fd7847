/**
 * Files both ways in the workspace: an operator attaches a file to a reply (the same limits as a
 * process's files, refused before anything is sent), and downloads what the customer sent; WhatsApp
 * through the twilio SDK to the Twilio stand-in, which fetches our signed media URL as Twilio does.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { axeSummary, checkAccessibility } from '../support/axe';
import { screenshot } from '../support/browser';
import { startBrowserWorld, type BrowserWorld } from '../support/browser-world';
import { eventually } from '../support/workspace';

let world: BrowserWorld;
let sessionId: string;
const ivan = () => world.ids.customers[1]!;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const pdf = (label: string) =>
  Buffer.from(`%PDF-1.4\n% ${label}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n`);

beforeAll(async () => {
  world = await startBrowserWorld();
  const { status, data } = await world.api(world.ids.anna, 'POST', '/api/sessions', {
    liveChatId: world.ids.liveChat,
    channelId: world.ids.whatsapp,
    customer: { contactId: ivan().id },
    firstMessage: 'Hello Ivan, we need your signed form.',
  });
  expect(status).toBe(201);
  sessionId = data.session.id;
  // Ivan answers with a file: the window opens, and his file is in the history.
  const answer = await world.standIn.sendInbound(
    `${world.addresses[0]}/webhooks/twilio/${world.ids.whatsapp}/inbound`,
    {
      from: ivan().phone,
      to: '+14155550100',
      body: 'Here is my form.',
      media: [{ contentType: 'application/pdf', content: pdf('ivan'), filename: 'form-ivan.pdf' }],
    },
  );
  expect(answer.status).toBe(200);
});

afterAll(async () => {
  console.log(axeSummary());
  await world?.stop();
});

async function annasSession(): Promise<Page> {
  const page = await world.newPage();
  await world.signIn(page, world.ids.anna);
  await page.goto(`${world.addresses[0]}/#/sessions/${sessionId}`);
  await page.locator('#history .message').first().waitFor();
  return page;
}

test('the operator downloads the file the customer sent, byte for byte', async () => {
  const page = await annasSession();
  const link = page.locator('#history .message-inbound .message-attachment a', { hasText: 'form-ivan.pdf' });
  await link.waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe('form-ivan.pdf');
  expect(sha256(fs.readFileSync(await download.path()))).toBe(sha256(pdf('ivan')));
});

test('the operator attaches a file to a reply: it is in the history and reaches WhatsApp as the same bytes', async () => {
  const page = await annasSession();
  const invoice = pdf('invoice 1042');
  await page.locator('#reply-text').fill('Thank you! Here is your invoice.');
  await page.locator('#reply-form').getByLabel('Attach files').setInputFiles({
    name: 'invoice-1042.pdf',
    mimeType: 'application/pdf',
    buffer: invoice,
  });
  await screenshot(page, 'files-reply-attached');
  expect(await checkAccessibility(page, 'files-reply-attached')).toEqual([]);
  await page.getByRole('button', { name: 'Send' }).click();
  const sent = page.locator('#history .message-outbound', { hasText: 'Here is your invoice.' });
  await sent.locator('.message-attachment a', { hasText: 'invoice-1042.pdf' }).waitFor();
  const atTwilio = await eventually(
    () =>
      world.standIn.received.find((m) => m.body === 'Thank you! Here is your invoice.' && m.media.length > 0),
    'the reply with its media at the stand-in',
  );
  expect(atTwilio.media.map((m) => m.sha256)).toEqual([sha256(invoice)]);
  expect(atTwilio.media[0]?.status).toBe(200);
  await sent.locator('[data-status="delivered"]').waitFor();
});

test('files a WhatsApp message cannot carry are refused before anything is sent, with the reason', async () => {
  const page = await annasSession();
  const before = world.standIn.received.length;
  await page.locator('#reply-text').fill('Two files at once?');
  await page
    .locator('#reply-form')
    .getByLabel('Attach files')
    .setInputFiles([
      { name: 'a.pdf', mimeType: 'application/pdf', buffer: pdf('a') },
      { name: 'b.pdf', mimeType: 'application/pdf', buffer: pdf('b') },
    ]);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('#reply-error', { hasText: /at most 1|1 file/i }).waitFor();

  await page
    .locator('#reply-form')
    .getByLabel('Attach files')
    .setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('plain text notes'),
    });
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('#reply-error', { hasText: /text\/plain/ }).waitFor();
  await page.waitForTimeout(300);
  expect(world.standIn.received.length).toBe(before);
  expect(await page.locator('#history .message', { hasText: 'Two files at once?' }).count()).toBe(0);
});

test('+New Session by email with a file: the first message carries it, in the history and at the provider', async () => {
  const page = await world.newPage();
  await world.signIn(page, world.ids.boris);
  const olga = world.ids.customers[2]!;
  const contract = pdf('contract for Olga');
  await page.locator('#new-session').click();
  const dialog = page.locator('#new-session-dialog');
  await dialog.waitFor({ state: 'visible' });
  await dialog.locator('#ns-channel').selectOption(world.ids.email);
  await dialog.locator('#ns-search').fill('Olga');
  await dialog.getByRole('button', { name: 'Search customers' }).click();
  await dialog.getByRole('radio', { name: /Olga Berg/ }).check();
  expect(await dialog.locator('#ns-account-field option:checked').textContent()).toContain(olga.email);
  await dialog.locator('#ns-subject').fill('Your contract');
  await dialog.locator('#ns-first-message').fill('Dear Olga, your contract is attached.');
  await dialog.getByLabel('Attach files').setInputFiles({
    name: 'contract.pdf',
    mimeType: 'application/pdf',
    buffer: contract,
  });
  await screenshot(page, 'files-new-session');
  expect(await checkAccessibility(page, 'files-new-session')).toEqual([]);
  await dialog.getByRole('button', { name: 'Create' }).click();

  await page.locator('#session-view').waitFor({ state: 'visible' });
  const first = page.locator('#history .message', { hasText: 'your contract is attached' });
  await first.locator('.message-attachment a', { hasText: 'contract.pdf' }).waitFor();
  const mail = await eventually(
    () => world.harness.outbox.email.received.find((m) => m.text === 'Dear Olga, your contract is attached.'),
    'the first message at the email provider',
  );
  expect(mail.attachments?.map((a) => ({ filename: a.filename, sha256: a.sha256 }))).toEqual([
    { filename: 'contract.pdf', sha256: sha256(contract) },
  ]);
});

test('in Russian: the reply form with a file chosen and the customer’s file, with no serious or critical accessibility violation', async () => {
  const page = await world.newPage({ locale: 'ru-RU' });
  await world.signIn(page, world.ids.anna);
  await page.goto(`${world.addresses[0]}/#/sessions/${sessionId}`);
  await page.locator('#history .message-attachment a', { hasText: 'form-ivan.pdf' }).waitFor();
  await page
    .locator('#reply-form')
    .getByLabel('Прикрепить файлы')
    .setInputFiles({
      name: 'счёт-1042.pdf',
      mimeType: 'application/pdf',
      buffer: pdf('счёт'),
    });
  await screenshot(page, 'files-ru-reply-attached');
  expect(await checkAccessibility(page, 'files-ru-reply-attached')).toEqual([]);
});
