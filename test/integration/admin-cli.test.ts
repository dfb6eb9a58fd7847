import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createDb, type Db } from '../../db/knex';
import { createScratchDatabase, type ScratchDatabase } from '../../dev/scratch-database';
import { createWorkspaceServer } from '../../server/workspace-server';
import { runLivechat, type CliRun } from '../support/cli-process';

/**
 * The administrator's first hour, on a database of this file's own that starts empty: what a fresh
 * database says before it is migrated, `livechat migrate`, a config file with typos (refused, nothing
 * changed), then an operator created and given a password on the command line who signs in through
 * the workspace API.
 */

let database: ScratchDatabase;
let db: Db;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  database = await createScratchDatabase('livechat_admin');
  db = createDb(database.url, { poolMax: 2 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-admin-'));
  env = { DATABASE_URL: database.url, TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS };
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const outcome = (run: CliRun) => ({ code: run.code, stderr: run.stderr });
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

const goodConfig = `# yaml-language-server: $schema=../schema/live-chats.schema.json
operators:
  - { id: anna, name: Anna Weber, status: online }
liveChats:
  - id: support
    name: Tech Support
    operators: [anna]
    channels:
      - id: support-email
        kind: email
        name: Support
        settings: { from: "Tech Support <support@shop.example>" }
      - id: support-whatsapp
        kind: whatsapp
        name: WhatsApp
        settings: { from: "+14155550100", templateContentSid: HX0a1b2c3d4e5f60718293a4b5c6d7e8f9 }
      - { id: support-telegram, kind: telegram, name: Bot, settings: { botUsername: ShopSupportBot } }
contacts:
  - id: maria
    name: Maria Schmidt
    accounts: [{ kind: phone, value: "+4915123456789" }]
`;

/** Rows of every table the config writes, to prove a refusal changed nothing. */
async function counts(): Promise<Record<string, number>> {
  const tables = ['operators', 'live_chats', 'live_chat_members', 'channels', 'contacts', 'contact_fields'];
  const result: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await db(table).count<{ count: string }[]>({ count: '*' });
    result[table] = Number(row?.count);
  }
  return result;
}

test('a fresh database: config apply says to migrate (exit 2, no SQL), migrate sets it up, once', async () => {
  const status = await runLivechat(env, ['migrate', 'status']);
  expect(outcome(status)).toEqual({ code: 0, stderr: '' });
  expect(status.stdout).toMatch(/^pending {2}001-schema-v1$/m);
  expect(status.stdout).toMatch(/: \d+ pending: run `livechat migrate`$/m);
  // Reading the status created nothing.
  expect(await db.schema.hasTable('knex_migrations')).toBe(false);

  const early = await runLivechat(env, ['config', 'apply', '-f', write('early.yaml', goodConfig)]);
  expect(early.code).toBe(2);
  expect(early.stderr).toMatch(/^DatabaseNotMigrated: .*Run `livechat migrate` first\.\n$/);
  expect(early.stderr).not.toMatch(/select|insert|relation/i);
  const earlyJson = await runLivechat(env, ['--json', 'config', 'apply', '-f', path.join(dir, 'early.yaml')]);
  expect(JSON.parse(earlyJson.stdout)).toMatchObject({ error: { type: 'DatabaseNotMigrated' } });

  const migrated = await runLivechat(env, ['--json', 'migrate']);
  expect(outcome(migrated)).toEqual({ code: 0, stderr: '' });
  const result = JSON.parse(migrated.stdout) as { ran: string[]; pending: string[]; applied: string[] };
  expect(result.pending).toEqual([]);
  expect(result.ran).toEqual(result.applied);
  expect(result.ran).toContain('009-telegram-poll-lease');
  expect(await db.schema.hasTable('operators')).toBe(true);

  const again = await runLivechat(env, ['migrate']);
  expect(outcome(again)).toEqual({ code: 0, stderr: '' });
  expect(again.stdout).toMatch(/already up to date \(\d+ applied, 0 pending\)/);
});

test('a config file with typos is refused with exit 2, each path and line named, and zero rows changed', async () => {
  const applied = await runLivechat(env, ['config', 'apply', '-f', write('good.yaml', goodConfig)]);
  expect(outcome(applied)).toEqual({ code: 0, stderr: '' });
  const before = await counts();

  const typos = goodConfig
    .replace('status: online', 'stauts: online')
    .replace('contacts:', 'contacs:')
    .replace('botUsername: ShopSupportBot', 'botUsername: 42')
    .replace('operators: [anna]', 'operators: [anna]\n    timezone: Europe/Berlin');
  const refused = await runLivechat(env, ['--json', 'config', 'apply', '-f', write('typos.yaml', typos)]);
  expect(refused.code).toBe(2);
  const { error } = JSON.parse(refused.stdout) as {
    error: { type: string; details: { issues: { path: string; line: number }[] } };
  };
  expect(error.type).toBe('InvalidInput');
  expect(error.details.issues.map(({ path, line }) => [path, line])).toEqual([
    ['operators.0.stauts', 3],
    ['liveChats.0.timezone', 8],
    ['liveChats.0.channels.2.settings.botUsername', 18],
    ['contacs', 19],
  ]);
  const text = await runLivechat(env, ['config', 'apply', '-f', path.join(dir, 'typos.yaml')]);
  expect(text.code).toBe(2);
  expect(text.stderr).toContain('operators.0.stauts (line 3): unknown key "stauts"');
  expect(await counts()).toEqual(before);
  expect(await db('operators').where({ id: 'anna' }).first()).toMatchObject({ status: 'online' });
});

test('operator add and set-password on the command line, then a sign-in through the workspace API', async () => {
  const added = await runLivechat(env, [
    'operator',
    'add',
    'boris',
    '--name',
    'Boris Petrov',
    '--email',
    'boris@shop.example',
  ]);
  expect(outcome(added)).toEqual({ code: 0, stderr: '' });
  expect(added.stdout.trim()).toBe(
    'Added Operator boris (Boris Petrov, boris@shop.example): offline, no password set',
  );

  // No terminal and no --password-stdin: refused, nothing set.
  const noTty = await runLivechat(env, ['operator', 'set-password', 'boris']);
  expect(noTty.code).toBe(2);
  expect(noTty.stderr).toMatch(/^UsageError: no terminal/);
  const tooShort = await runLivechat(
    env,
    ['operator', 'set-password', 'boris', '--password-stdin'],
    'short\n',
  );
  expect(tooShort.code).toBe(2);
  expect(tooShort.stderr).toMatch(/^InvalidInput: .*password/);
  const unknown = await runLivechat(env, ['operator', 'set-password', 'nobody', '--password-stdin'], 'x\n');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/^OperatorNotFound/);

  const password = 'a long and secret passphrase';
  const set = await runLivechat(
    env,
    ['operator', 'set-password', 'boris', '--password-stdin'],
    `${password}\n`,
  );
  expect(outcome(set)).toEqual({ code: 0, stderr: '' });
  expect(set.stdout).not.toContain(password);
  const online = await runLivechat(env, ['operator', 'status', 'boris', 'online']);
  expect(online.stdout.trim()).toBe('Operator boris (Boris Petrov, boris@shop.example): online, can sign in');

  const connection = await Connection.connect({ address: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS! });
  const app = await createWorkspaceServer({
    db,
    client: new Client({ connection }),
    taskQueue: 'unused',
    log: () => undefined,
  });
  try {
    const signIn = (body: unknown) =>
      app.inject({
        method: 'POST',
        url: '/api/sign-in',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
    expect((await signIn({ operatorId: 'boris', password: 'wrong password!' })).statusCode).toBe(401);
    const signedIn = await signIn({ email: 'boris@shop.example', password });
    expect(signedIn.statusCode).toBe(200);
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
    const me = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ operator: { id: 'boris', status: 'online' } });
  } finally {
    await app.close();
    await connection.close();
  }
});
