// The worker process (worker/main.ts, as `npm run worker` runs it) reading a mailbox configured by
// IMAP_URL_<CHANNEL>: SIGKILLed while it reads, a new worker reads on, and each mail is recorded
// once; SIGTERM stops it cleanly and gives the mailbox up.
import { randomUUID } from 'node:crypto';
import { imapUrlVariable } from '../../channels/email/imap-config';
import type { MessageRow } from '../../db/rows';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { killWorkerProcesses, startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const MAILS = 60;

let dovecot: Dovecot;
let harness: Harness;
let world: World;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  dovecot = await startDovecot();
  harness = await startHarness({ workers: false });
  world = await createWorld(harness.db);
});
afterAll(async () => {
  await killWorkerProcesses(workers);
  await harness?.stop();
  await dovecot?.dispose();
});

const inbound = () =>
  harness
    .db<MessageRow>('messages as m')
    .join('sessions as s', 's.id', 'm.session_id')
    .where({ 's.channel_id': world.email, 'm.direction': 'inbound' })
    .select<MessageRow[]>('m.provider_message_id');

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

test(`a worker SIGKILLed while it reads ${MAILS} mails, then a new one: each mail recorded once, all marked \\Seen; SIGTERM gives the mailbox up`, async () => {
  const { user } = await dovecot.addUser(`worker-${randomUUID().slice(0, 8)}`);
  const ids = Array.from({ length: MAILS }, (_, i) => `<kill-${i}-${randomUUID()}@mail.example.net>`);
  for (const [i, id] of ids.entries()) {
    await dovecot.append(
      user,
      [
        `From: Customer ${i} <customer${i}.${randomUUID().slice(0, 6)}@example.net>`,
        'To: support@shop.example',
        `Subject: Question ${i}`,
        `Message-ID: ${id}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        `Question number ${i}`,
        '',
      ].join('\r\n'),
    );
  }
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    DATABASE_POOL_MAX: '5',
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
    LOG_LEVEL: 'INFO',
    IMAP_POLL_SECONDS: '0.5',
    IMAP_LEASE_SECONDS: '3',
    [imapUrlVariable(world.email)]: dovecot.plainUrl(user),
  };
  const first = startWorkerProcess(env);
  workers.push(first);
  await until('the first mails', async () => (await inbound()).length > 0, 60_000, 10);
  first.child.kill('SIGKILL');
  await first.exited;
  const atKill = (await inbound()).length;
  // The kill came while it read: some mails were still to come.
  expect(atKill).toBeLessThan(MAILS);

  const second = startWorkerProcess(env);
  workers.push(second);
  await until('every mail', async () => (await inbound()).length >= MAILS);
  await until('every mail \\Seen', async () =>
    [...(await dovecot.flags(user)).values()].every((flags) => flags.includes('\\Seen')),
  );
  const recorded = (await inbound()).map((m) => m.provider_message_id);
  expect(recorded).toHaveLength(MAILS);
  expect(new Set(recorded)).toEqual(new Set(ids));
  expect(second.output()).not.toContain(dovecot.plainMailbox(user).password);

  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  const row = await harness.db('email_mailboxes').where({ channel_id: world.email }).first();
  expect(row).toMatchObject({ lease_owner: null, connected: false, last_uid: String(MAILS) });
});
