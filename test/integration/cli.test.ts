import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLivechat } from '../support/cli-process';
import { startHarness, type Harness } from '../support/harness';

/**
 * The `livechat` CLI as a user runs it: a subprocess (tsx cli/main.ts) talking to the real Temporal
 * server and PostgreSQL of the integration run, with this file's worker (and its stand-in provider
 * outboxes) serving the task queue. tsx costs about a second per start, so the invocations are few
 * and each checks several things.
 */

const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let harness: Harness;
let dir: string;

function livechat(...args: string[]): Promise<Run> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: 'default',
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
  };
  return new Promise((resolve, reject) => {
    execFile(tsx, ['cli/main.ts', ...args], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`livechat ${args.join(' ')} did not exit normally: ${error.message}\n${stderr}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Reads the exit code with the output, so a failing expectation shows what the CLI said. */
const outcome = (run: Run) => ({ code: run.code, stderr: run.stderr });

// A world of this file's own: unique ids, and a phone number no other test file's contact has (a
// message to a bare account is filed under the oldest contact with that account).
const s = randomUUID().slice(0, 8);
const ids = {
  liveChat: `cli-support-${s}`,
  whatsapp: `cli-whatsapp-${s}`,
  email: `cli-email-${s}`,
  anna: `cli-anna-${s}`,
  boris: `cli-boris-${s}`,
  maria: `cli-maria-${s}`,
  phone: `+49151${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
  jonasEmail: `jonas.${s}@example.com`,
};

const configYaml = `
operators:
  - { id: ${ids.anna}, name: Anna Weber, status: online }
  - { id: ${ids.boris}, name: Boris Petrov, status: offline }
liveChats:
  - id: ${ids.liveChat}
    name: Tech Support
    operators: [${ids.anna}, ${ids.boris}]
    channels:
      - { id: ${ids.whatsapp}, kind: whatsapp, name: WhatsApp }
      - { id: ${ids.email}, kind: email, name: support@shop.example }
contacts:
  - id: ${ids.maria}
    name: Maria Schmidt
    accounts:
      - { kind: phone, value: "${ids.phone}" }
`;

beforeAll(async () => {
  harness = await startHarness();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-cli-'));
});
afterAll(async () => {
  await harness.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sessionsOn = (channelId: string) => harness.db('sessions').where({ channel_id: channelId });
const messagesOn = (channelId: string) =>
  harness.db('messages').whereIn('session_id', sessionsOn(channelId).select('id'));

test('config apply reads YAML, then send, a refusal, a second send as JSON and the contact history', async () => {
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, configYaml);
  const applied = await livechat('config', 'apply', '-f', file);
  expect(outcome(applied)).toEqual({ code: 0, stderr: '' });
  expect(applied.stdout.trim()).toBe(
    `Applied ${file}: 2 operators, 1 live chat (2 members), 2 channels, 1 contact, 0 Telegram chats`,
  );
  expect(await harness.db('operators').where({ id: ids.boris }).first()).toMatchObject({ status: 'offline' });

  // A business-process message to the contact, with a template variable.
  const sent = await livechat(
    'send',
    '--live-chat',
    ids.liveChat,
    '--channel',
    ids.whatsapp,
    '--contact',
    ids.maria,
    '--text',
    'Your order #{{number}} is ready for pickup.',
    '--var',
    'number=1042',
  );
  expect(outcome(sent)).toEqual({ code: 0, stderr: '' });
  expect(sent.stdout.trim()).toMatch(
    new RegExp(`^Sent to \\${ids.phone} in session "[^"]+" \\(([0-9a-f-]{36})\\): sent$`),
  );
  const firstSessionId = /\(([0-9a-f-]{36})\)/.exec(sent.stdout)?.[1];
  expect(harness.outbox.whatsapp.received.map((m) => [m.to, m.text, m.sessionId])).toEqual([
    [ids.phone, 'Your order #1042 is ready for pickup.', firstSessionId],
  ]);

  // Refused: a WhatsApp number without + and country code. Exit 2, the type first, nothing left behind.
  const before = {
    sessions: (await sessionsOn(ids.whatsapp)).length,
    messages: (await messagesOn(ids.whatsapp)).length,
  };
  const refused = await livechat(
    'send',
    '--live-chat',
    ids.liveChat,
    '--channel',
    ids.whatsapp,
    '--account',
    '015123456789',
    '--text',
    'Hello',
  );
  expect(refused.code).toBe(2);
  expect(refused.stdout).toBe('');
  expect(refused.stderr).toMatch(/^InvalidPhoneNumber: The phone number "015123456789" must start with \+/);
  expect({
    sessions: (await sessionsOn(ids.whatsapp)).length,
    messages: (await messagesOn(ids.whatsapp)).length,
  }).toEqual(before);
  expect(harness.outbox.whatsapp.received).toHaveLength(1);

  // The operator closes the session; the next message opens a new one (rule 13's setting).
  await harness
    .db('sessions')
    .where({ id: firstSessionId })
    .update({ state: 'closed', closed_at: new Date() });
  const workflowId = `cli-parcel-${s}`;
  const asJson = await livechat(
    '--json',
    'send',
    '--live-chat',
    ids.liveChat,
    '--channel',
    ids.whatsapp,
    '--account',
    ids.phone,
    '--text',
    'Your parcel has left the warehouse.',
    '--id',
    workflowId,
  );
  expect(outcome(asJson)).toEqual({ code: 0, stderr: '' });
  const result = JSON.parse(asJson.stdout) as Record<string, unknown>;
  expect(result).toEqual({
    sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    status: 'sent',
    sessionReused: false,
    workflowId,
    sessionName: expect.any(String),
    account: ids.phone,
  });
  expect(result.sessionId).not.toBe(firstSessionId);
  expect(await harness.db('messages').where({ id: result.messageId }).first()).toMatchObject({
    session_id: result.sessionId,
    process_workflow_id: workflowId,
    status: 'sent',
  });

  // The contact's history: both sessions, the new one first, the closed one still there.
  const history = await livechat('history', '--contact', ids.maria);
  expect(outcome(history)).toEqual({ code: 0, stderr: '' });
  const lines = history.stdout.split('\n');
  expect(lines[0]).toBe(`Contact "Maria Schmidt" [${ids.maria}]: 2 sessions`);
  const newer = lines.findIndex((l) => l.includes(`(open) with ${ids.phone} [${String(result.sessionId)}]`));
  const older = lines.findIndex((l) => l.includes(`(closed) with ${ids.phone} [${firstSessionId}]`));
  expect(newer).toBeGreaterThan(0);
  expect(older).toBeGreaterThan(newer);
  expect(lines.slice(newer, older).join('\n')).toContain('Your parcel has left the warehouse.');
  expect(lines.slice(older).join('\n')).toContain('Your order #1042 is ready for pickup.');
  expect(history.stdout).toContain(`process ${workflowId}  [sent]`);
});

test('initiate: an offline operator is refused with exit 2; an online one starts an email session', async () => {
  const offline = await livechat(
    'initiate',
    '--live-chat',
    ids.liveChat,
    '--operator',
    ids.boris,
    '--channel',
    ids.email,
    '--contact',
    ids.maria,
  );
  expect(offline.code).toBe(2);
  expect(offline.stderr).toMatch(new RegExp(`^OperatorOffline: Operator "${ids.boris}" is offline`));

  const started = await livechat(
    'initiate',
    '--json',
    '--live-chat',
    ids.liveChat,
    '--operator',
    ids.anna,
    '--channel',
    ids.email,
    '--new-contact',
    'Jonas Weber',
    '--email',
    ids.jonasEmail,
    '--subject',
    'Your repair',
    '--message',
    'Hello Jonas, your laptop is repaired.',
  );
  expect(outcome(started)).toEqual({ code: 0, stderr: '' });
  const result = JSON.parse(started.stdout) as Record<string, unknown>;
  expect(result).toMatchObject({
    name: 'Your repair',
    assignedOperatorId: ids.anna,
    account: ids.jonasEmail,
    contactId: expect.any(String),
    firstMessage: { messageId: expect.any(String), status: 'sent' },
  });
  expect(await harness.db('contacts').where({ id: result.contactId }).first()).toMatchObject({
    name: 'Jonas Weber',
  });
  expect(harness.outbox.email.received.map((m) => [m.to, m.subject, m.text])).toEqual([
    [ids.jonasEmail, 'Your repair', 'Hello Jonas, your laptop is repaired.'],
  ]);
});

test('config apply refuses a config that names an operator that does not exist, as JSON, with exit 2', async () => {
  const file = path.join(dir, 'broken.json');
  const liveChat = `cli-broken-${s}`;
  fs.writeFileSync(
    file,
    JSON.stringify({ liveChats: [{ id: liveChat, name: 'Broken', operators: [`ghost-${s}`] }] }),
  );

  const run = await livechat('config', 'apply', '--json', '-f', file);
  expect(run.code).toBe(2);
  expect(JSON.parse(run.stdout)).toEqual({
    error: {
      type: 'InvalidInput',
      message: expect.stringContaining(`(operator_id)=(ghost-${s}) is not present in table "operators"`),
      details: { issues: [expect.objectContaining({ path: '' })] },
    },
  });
  // One transaction: the live chat was not half-created.
  expect(await harness.db('live_chats').where({ id: liveChat })).toEqual([]);
});

test('bulk start: a list from a file, followed to the end with a summary; status, and a cancel of the ended bulk refused', async () => {
  // Two more contacts of this file's world, and a recipients file naming them and Maria.
  const more = [`cli-ines-${ids.liveChat}`, `cli-karl-${ids.liveChat}`];
  const phones = more.map(() => `+49151${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`);
  const file = path.join(dir, 'more.yaml');
  fs.writeFileSync(
    file,
    `contacts:\n${more.map((id, i) => `  - { id: ${id}, name: Customer, accounts: [{ kind: phone, value: "${phones[i]}" }] }`).join('\n')}\n`,
  );
  expect(outcome(await livechat('config', 'apply', '-f', file))).toEqual({ code: 0, stderr: '' });
  const list = path.join(dir, 'recipients.txt');
  fs.writeFileSync(list, `# spring sale\n${ids.maria}\n${more.join('\n')}\n\n`);
  const bulkId = `cli-bulk-${randomUUID()}`;
  const text = `Spring sale ${bulkId}: 20% off until Sunday.`;
  const args = ['--live-chat', ids.liveChat, '--channel', ids.whatsapp, '--text', text, '--id', bulkId];

  const started = await livechat('bulk', 'start', ...args, '--contacts-file', list);
  expect(outcome(started)).toEqual({ code: 0, stderr: '' });
  expect(started.stdout.trim()).toBe(`Bulk ${bulkId} completed: 3 recipients, 3 sent, 0 failed, 0 pending`);
  const reached = harness.outbox.whatsapp.received.filter((m) => m.text === text).map((m) => m.to);
  expect(reached.sort()).toEqual([ids.phone, ...phones].sort());

  const status = await livechat('bulk', 'status', bulkId, '--json');
  expect(outcome(status)).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(status.stdout)).toMatchObject({ bulkId, state: 'completed', total: 3, sent: 3 });

  const cancel = await livechat('bulk', 'cancel', bulkId, '--json');
  expect(cancel.code).toBe(2);
  expect(JSON.parse(cancel.stdout)).toMatchObject({
    error: { type: 'BulkAlreadyFinished', details: { bulkId, state: 'completed' } },
  });

  // Without recipients the command line is refused before anything starts.
  const usage = await livechat('bulk', 'start', ...args.slice(0, -2));
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('UsageError: give the recipients');
  expect(harness.outbox.whatsapp.received.filter((m) => m.text === text)).toHaveLength(3);
});

test('send --at prints the scheduled time and returns; cancel-send cancels it; a second cancel is refused', async () => {
  const workflowId = `cli-at-${randomUUID()}`;
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const text = `Your appointment ${workflowId} is tomorrow.`;
  const base = ['--live-chat', ids.liveChat, '--channel', ids.whatsapp, '--contact', ids.maria];

  const scheduled = await livechat('send', ...base, '--text', text, '--at', at, '--id', workflowId);
  expect(outcome(scheduled)).toEqual({ code: 0, stderr: '' });
  expect(scheduled.stdout.trim()).toMatch(
    new RegExp(
      `^Scheduled for ${at}: message [0-9a-f-]{36} \\(cancel: livechat cancel-send ${workflowId}\\)$`,
    ),
  );

  const cancelled = await livechat('cancel-send', workflowId, '--json');
  expect(outcome(cancelled)).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(cancelled.stdout)).toMatchObject({ workflowId, state: 'done', status: 'cancelled' });
  const again = await livechat('cancel-send', workflowId);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/^SendNotScheduled: /);
  expect(harness.outbox.whatsapp.received.filter((m) => m.text === text)).toHaveLength(0);
});

test('--text-file takes a long text from a file or from stdin (-); with --text as well it is a usage error', async () => {
  const env = {
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
  };
  const lines = Array.from(
    { length: 30 },
    (_, i) => `Line ${i + 1}: "quoted", $dollar, \`ticks\` and émoji ✓`,
  );
  const longText = lines.join('\n');
  const send = ['send', '--live-chat', ids.liveChat, '--channel', ids.whatsapp, '--contact', ids.maria];
  const before = harness.outbox.whatsapp.received.length;

  const fromStdin = await runLivechat(env, [...send, '--text-file', '-'], `${longText}\n`);
  expect({ code: fromStdin.code, stderr: fromStdin.stderr }).toEqual({ code: 0, stderr: '' });
  const file = path.join(dir, 'message.txt');
  fs.writeFileSync(file, `Second: ${longText}\n`);
  const fromFile = await runLivechat(env, [...send, '--text-file', file]);
  expect({ code: fromFile.code, stderr: fromFile.stderr }).toEqual({ code: 0, stderr: '' });
  expect(harness.outbox.whatsapp.received.slice(before).map((m) => m.text)).toEqual([
    longText,
    `Second: ${longText}`,
  ]);

  const both = await runLivechat(env, [...send, '--text', 'Hi', '--text-file', file]);
  expect(both.code).toBe(2);
  expect(both.stderr).toBe('UsageError: give only one of --text, --text-file\n');
  const missing = await runLivechat(env, [...send, '--text-file', path.join(dir, 'nope.txt')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/^UsageError: --text-file: cannot read .*nope\.txt \(ENOENT\)/);
  expect(harness.outbox.whatsapp.received).toHaveLength(before + 2);
});
