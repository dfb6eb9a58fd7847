// The email channel read over IMAP: a real Dovecot of the test's own (plaintext, STARTTLS and TLS
// on loopback), real PostgreSQL, the real worker's Temporal workflows sending through nodemailer to
// the SMTP stand-in, and the customer's mail delivered into the mailbox with IMAP APPEND.
import { randomUUID } from 'node:crypto';
import type { ChannelAdapter } from '../../channels/adapter';
import { createEmailAdapter } from '../../channels/email';
import { startImapReader, type ImapReader, type ImapReaderOptions } from '../../channels/email/imap-reader';
import { sendLiveChatMessage } from '../../client';
import { storedMailboxStatuses } from '../../db/email-mailboxes';
import type { MessageRow, SessionRow } from '../../db/rows';
import { startSmtpStandIn, type SmtpStandIn } from '../../dev/sandbox/smtp-stand-in';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

const FROM = 'support@shop.example';

let dovecot: Dovecot;
let standIn: SmtpStandIn;
let email: ChannelAdapter;
let harness: Harness;
let world: World;
const readers: ImapReader[] = [];

beforeAll(async () => {
  dovecot = await startDovecot();
  standIn = await startSmtpStandIn();
  email = createEmailAdapter({ smtpUrl: standIn.url, poolMax: 2 });
  harness = await startHarness({ channels: { email } });
});
beforeEach(async () => {
  // A live chat and email channel per test: each test has its own mailbox cursor and lease.
  world = await createWorld(harness.db);
  await harness
    .db('channels')
    .where({ id: world.email })
    .update({ settings: { from: `Tech Support <${FROM}>` } });
});
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.stop()));
  // A test that stopped the server leaves it running again for the next.
  await dovecot.start();
});
afterAll(async () => {
  await harness?.stop();
  await email?.close?.();
  await standIn?.stop();
  await dovecot?.dispose();
});

function read(user: string, overrides: Partial<ImapReaderOptions> = {}, errors: Error[] = []): ImapReader {
  const reader = startImapReader({
    db: harness.db,
    channelId: world.email,
    mailbox: dovecot.plainMailbox(user),
    pollMs: 500,
    leaseMs: 3_000,
    retryDelayMs: 200,
    onError: (error) => errors.push(error),
    ...overrides,
  });
  readers.push(reader);
  return reader;
}

const mailbox = async (label: string) => (await dovecot.addUser(`${label}-${randomUUID().slice(0, 8)}`)).user;

function mail(options: {
  from: string;
  messageId?: string;
  inReplyTo?: string;
  subject?: string;
  text: string;
}): string {
  return [
    `From: Customer <${options.from}>`,
    `To: Tech Support <${FROM}>`,
    `Subject: ${options.subject ?? 'Question'}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${options.messageId ?? `<${randomUUID()}@mail.example.net>`}`,
    ...(options.inReplyTo ? [`In-Reply-To: ${options.inReplyTo}`, `References: ${options.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.text,
    '',
  ].join('\r\n');
}

const inboundOf = (channelId: string) =>
  harness
    .db<MessageRow>('messages as m')
    .join('sessions as s', 's.id', 'm.session_id')
    .where({ 's.channel_id': channelId, 'm.direction': 'inbound' })
    .orderBy('m.created_at')
    .select<MessageRow[]>('m.*');

async function inboundCount(): Promise<number> {
  return (await inboundOf(world.email)).length;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sendToPeter(subject: string, text: string) {
  return sendLiveChatMessage(
    harness.client,
    { liveChatId: world.liveChat, channelId: world.email, to: { contactId: world.peter }, subject, text },
    { taskQueue: harness.taskQueue, workflowId: `imap-${randomUUID()}` },
  );
}

test("a customer's reply delivered into the mailbox lands once, in the session of our message, and is marked \\Seen", async () => {
  const user = await mailbox('reply');
  const sent = await sendToPeter('Delivery slot', 'Does 10:00 suit you?');
  const ourId = `<${sent.messageId}@shop.example>`;
  const replyId = `<reply-${randomUUID()}@mail.example.org>`;
  const uid = await dovecot.append(
    user,
    mail({
      from: world.peterEmail,
      messageId: replyId,
      inReplyTo: ourId,
      subject: 'Re: Delivery slot',
      text: 'Yes, 10:00 is fine.',
    }),
  );
  const reader = read(user);
  await until('the reply', async () => (await inboundCount()) === 1);
  await until('the reader to have read to the end', async () => reader.status().lastPollAt !== null);
  const [reply] = await inboundOf(world.email);
  expect(reply).toMatchObject({
    session_id: sent.sessionId,
    author_kind: 'customer',
    text: 'Yes, 10:00 is fine.',
    provider_message_id: replyId,
  });
  await until('\\Seen', async () => (await dovecot.flags(user)).get(uid)?.includes('\\Seen') === true);
  expect(reader.status()).toMatchObject({ state: 'connected', connected: true, lastError: null });

  // Read again from the start by a new reader (a restart): nothing is recorded twice.
  await reader.stop();
  const again = read(user);
  await until('the second reader to poll', async () => again.status().lastPollAt !== null);
  expect(await inboundCount()).toBe(1);
});

test('a new mail opens a session started by the customer; later mail arrives through IDLE', async () => {
  const user = await mailbox('new');
  const reader = read(user, { pollMs: 60_000, leaseMs: 180_000 });
  await until('connected', async () => reader.status().connected);
  await dovecot.append(
    user,
    mail({ from: world.peterEmail, subject: 'Opening hours', text: 'When are you open?' }),
  );
  // With a minute between polls, only IDLE's notice can bring it in within the wait.
  await until('the new mail', async () => (await inboundCount()) === 1, 20_000);
  const [message] = await inboundOf(world.email);
  const session = await harness.db<SessionRow>('sessions').where({ id: message?.session_id }).first();
  expect(session).toMatchObject({
    origin: 'customer',
    account: world.peterEmail,
    name: 'Opening hours',
    state: 'open',
  });
  expect(message?.text).toBe('When are you open?');
});

test('a new UIDVALIDITY (the mailbox rebuilt) is read from its start: new mail is recorded, earlier mail not twice', async () => {
  const user = await mailbox('uidvalidity');
  const earlier = [0, 1, 2].map((i) => ({
    messageId: `<early-${i}-${randomUUID()}@mail.example.net>`,
    text: `Earlier mail ${i}`,
  }));
  for (const m of earlier) await dovecot.append(user, mail({ from: world.peterEmail, ...m }));
  const first = read(user);
  await until('the earlier mail', async () => (await inboundCount()) === 3);
  await first.stop();
  const before = await dovecot.uidValidity(user);

  // The mailbox is rebuilt: its UIDs start at 1 again, below the 3 we had read.
  await new Promise((r) => setTimeout(r, 1_100));
  await dovecot.rebuildInbox(user);
  const [again] = earlier;
  if (!again) throw new Error('no earlier mail');
  await dovecot.append(user, mail({ from: world.peterEmail, ...again }));
  await dovecot.append(user, mail({ from: world.peterEmail, text: 'New mail 1' }));
  await dovecot.append(user, mail({ from: world.peterEmail, text: 'New mail 2' }));
  expect(await dovecot.uidValidity(user)).not.toBe(before);

  read(user);
  await until('the new mail', async () => (await inboundCount()) === 5);
  const texts = (await inboundOf(world.email)).map((m) => m.text).sort();
  expect(texts).toEqual(['Earlier mail 0', 'Earlier mail 1', 'Earlier mail 2', 'New mail 1', 'New mail 2']);
  const [row] = await harness
    .db('email_mailboxes')
    .where({ channel_id: world.email })
    .select('uid_validity', 'last_uid');
  expect(String(row.uid_validity)).toBe(await dovecot.uidValidity(user));
  expect(Number(row.last_uid)).toBe(3);
});

test('a bounce delivered into the mailbox marks our message failed and adds nothing to the history', async () => {
  const user = await mailbox('bounce');
  const sent = await sendToPeter('Your invoice', 'Invoice attached soon.');
  const ourId = `<${sent.messageId}@shop.example>`;
  const bounce = [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
    `To: ${FROM}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <bounce-${randomUUID()}@mx.example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'I could not deliver your message.',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    '',
    `Final-Recipient: rfc822; ${world.peterEmail}`,
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
    '',
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    `From: Tech Support <${FROM}>`,
    `Message-ID: ${ourId}`,
    '',
    '--B--',
    '',
  ].join('\r\n');
  const uid = await dovecot.append(user, bounce);
  read(user);
  await until(
    'the bounce',
    async () =>
      (await harness.db<MessageRow>('messages').where({ id: sent.messageId }).first())?.status === 'failed',
  );
  expect(await harness.db<MessageRow>('messages').where({ id: sent.messageId }).first()).toMatchObject({
    status: 'failed',
    failure_reason: 'the mail bounced: 550 5.1.1 User unknown',
  });
  await until('\\Seen', async () => (await dovecot.flags(user)).get(uid)?.includes('\\Seen') === true);
  expect(await inboundCount()).toBe(0);
});

test('IMAP down: the reader retries and reports it (here and in PostgreSQL); after it comes back nothing is lost', async () => {
  const user = await mailbox('down');
  const errors: Error[] = [];
  const reader = read(user, {}, errors);
  await until('connected', async () => reader.status().connected);
  await dovecot.append(user, mail({ from: world.peterEmail, text: 'Just before the outage' }));
  await dovecot.stop();
  await until('the outage reported', async () => reader.status().state === 'disconnected');
  expect(reader.status()).toMatchObject({ connected: false, lastError: expect.any(String) });
  const [stored] = (await storedMailboxStatuses(harness.db)).filter((s) => s.channelId === world.email);
  expect(stored).toMatchObject({ held: true, connected: false, lastError: expect.any(String) });
  expect(errors.length).toBeGreaterThan(0);

  await dovecot.start();
  await dovecot.append(user, mail({ from: world.peterEmail, text: 'After the outage' }));
  await until('both mails', async () => (await inboundCount()) === 2);
  await until('reconnected', async () => reader.status().connected && reader.status().lastError === null);
  expect((await inboundOf(world.email)).map((m) => m.text).sort()).toEqual([
    'After the outage',
    'Just before the outage',
  ]);
  const [back] = (await storedMailboxStatuses(harness.db)).filter((s) => s.channelId === world.email);
  expect(back).toMatchObject({ connected: true, lastError: null });
});

test('two readers of one mailbox (two workers): one holds it, the other stands by and takes over when it stops', async () => {
  const user = await mailbox('lease');
  const a = read(user, { owner: 'worker-a' });
  await until('a connected', async () => a.status().connected);
  const b = read(user, { owner: 'worker-b' });
  for (let i = 0; i < 5; i += 1)
    await dovecot.append(user, mail({ from: world.peterEmail, text: `Mail ${i}` }));
  await until('five mails', async () => (await inboundCount()) === 5);
  await until('b standing by', async () => b.status().state === 'standby');
  expect(a.status().state).toBe('connected');

  await a.stop();
  await until('b took over', async () => b.status().connected, 20_000);
  await dovecot.append(user, mail({ from: world.peterEmail, text: 'Mail 5' }));
  await until('six mails', async () => (await inboundCount()) === 6);
  const texts = (await inboundOf(world.email)).map((m) => m.text);
  expect(new Set(texts).size).toBe(6);
});

test('a mail that cannot be recorded (no sender) is skipped, reported and left unread; the next one is read', async () => {
  const user = await mailbox('skip');
  const errors: Error[] = [];
  const bad = await dovecot.append(
    user,
    ['Subject: no sender', 'Message-ID: <nosender@x.example>', '', 'hello', ''].join('\r\n'),
  );
  const good = await dovecot.append(user, mail({ from: world.peterEmail, text: 'A proper mail' }));
  read(user, {}, errors);
  await until('the good mail', async () => (await inboundCount()) === 1);
  await until(
    '\\Seen on the good one',
    async () => (await dovecot.flags(user)).get(good)?.includes('\\Seen') === true,
  );
  expect((await dovecot.flags(user)).get(bad)).not.toContain('\\Seen');
  expect(errors.map((e) => e.message)).toContainEqual(expect.stringContaining('InvalidInput'));
});

test('over TLS (imaps) and STARTTLS with the server certificate checked; an untrusted certificate is refused', async () => {
  const user = await mailbox('tls');
  await dovecot.append(user, mail({ from: world.peterEmail, text: 'Over TLS' }));
  const tls = { ca: dovecot.ca, servername: 'localhost' };
  const imaps = read(user, {
    mailbox: { ...dovecot.plainMailbox(user), port: dovecot.tlsPort, secure: true },
    tls,
  });
  await until('read over imaps', async () => (await inboundCount()) === 1);
  expect(imaps.status().connected).toBe(true);
  await imaps.stop();

  await dovecot.append(user, mail({ from: world.peterEmail, text: 'Over STARTTLS' }));
  const starttls = read(user, { mailbox: { ...dovecot.plainMailbox(user), starttls: true }, tls });
  await until('read after STARTTLS', async () => (await inboundCount()) === 2);
  expect(starttls.status().connected).toBe(true);
  await starttls.stop();

  const errors: Error[] = [];
  const untrusted = read(
    user,
    { mailbox: { ...dovecot.plainMailbox(user), port: dovecot.tlsPort, secure: true } },
    errors,
  );
  await until('the refusal', async () => untrusted.status().state === 'disconnected');
  expect(untrusted.status().lastError).toMatch(/certificate/i);
});
