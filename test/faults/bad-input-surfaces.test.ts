/**
 * The fault suite's "bad input" through the two surfaces people type into: the `livechat` command
 * line (its `main`, in this process, with --json) and the operators' HTTP API. Each malformed
 * request gets a typed error (exit code 2 / a 4xx with `error.type`) and changes nothing: no
 * session, message or contact row, nothing handed to a provider. The client's own table is
 * bad-input.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { main } from '../../cli/main';
import { LIVE_CHAT_ERRORS } from '../../domain/errors';
import { startHarness, type Harness } from '../support/harness';
import { footprint } from '../support/refusals';
import { startWorkspace, type Workspace } from '../support/workspace';
import { RefusalTally, reportFaultCase } from './support/fault-report';

let harness: Harness;
let workspace: Workspace;
let cookie: string;
const saved: Record<string, string | undefined> = {};
const tally = { cli: new RefusalTally(), api: new RefusalTally() };

const SQL = "'; drop table sessions; --";
const MEGABYTE = 'x'.repeat(1024 * 1024);
const CONTROL = 'Order\u0000 ready\u001b[31m';
const TYPES = new Set<string>([...Object.keys(LIVE_CHAT_ERRORS), 'UsageError']);

beforeAll(async () => {
  harness = await startHarness();
  workspace = await startWorkspace(harness);
  cookie = await workspace.signIn(workspace.world.online);
  const env = {
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
  };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  reportFaultCase({ case: 'bad input: livechat CLI', ...tally.cli });
  reportFaultCase({ case: 'bad input: HTTP API', ...tally.api });
  await workspace.app.close();
  await harness.stop();
});

/** Runs the CLI with --json, capturing what it prints. */
async function livechat(args: string[]): Promise<{ code: number; printed: string }> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const error = jest
    .spyOn(console, 'error')
    .mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    return { code: await main([...args, '--json']), printed: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

type Args = () => string[];
const w = () => workspace.world;
const send = (...extra: string[]) => ['send', '--live-chat', w().liveChat, ...extra];
const initiate = (...extra: string[]) => ['initiate', '--live-chat', w().liveChat, ...extra];

const cliCases: [string, Args][] = [
  [
    'WhatsApp number without +',
    () => send('--channel', w().whatsapp, '--account', '4915123456789', '--text', 'Hi'),
  ],
  [
    'WhatsApp number with letters',
    () => send('--channel', w().whatsapp, '--account', '+49151CALLME', '--text', 'Hi'),
  ],
  ['phone number too short', () => send('--channel', w().whatsapp, '--account', '+491', '--text', 'Hi')],
  ['email without @', () => send('--channel', w().email, '--account', 'maria.example.com', '--text', 'Hi')],
  [
    'email with a header injection',
    () => send('--channel', w().email, '--account', 'a@b.example\r\nBcc: x@y.example', '--text', 'Hi'),
  ],
  ['empty text', () => send('--channel', w().whatsapp, '--contact', w().maria, '--text', '   ')],
  ['1 MB text', () => send('--channel', w().whatsapp, '--contact', w().maria, '--text', MEGABYTE)],
  [
    'SQL in the live chat id',
    () => ['send', '--live-chat', SQL, '--channel', w().whatsapp, '--contact', w().maria, '--text', 'Hi'],
  ],
  [
    'unknown channel',
    () => send('--channel', `no-such-${randomUUID()}`, '--contact', w().maria, '--text', 'Hi'),
  ],
  [
    'unknown contact',
    () => send('--channel', w().whatsapp, '--contact', `no-such-${randomUUID()}`, '--text', 'Hi'),
  ],
  [
    'two recipients at once',
    () =>
      send('--channel', w().whatsapp, '--contact', w().maria, '--account', '+4915123456789', '--text', 'Hi'),
  ],
  ['no recipient', () => send('--channel', w().whatsapp, '--text', 'Hi')],
  [
    'a template variable without =',
    () => send('--channel', w().whatsapp, '--contact', w().maria, '--text', 'Order {{n}}', '--var', 'n'),
  ],
  [
    'a missing template variable',
    () =>
      send(
        '--channel',
        w().whatsapp,
        '--contact',
        w().maria,
        '--text',
        'Order {{number}} is ready',
        '--var',
        'count=2',
      ),
  ],
  [
    'into an unknown session',
    () => send('--channel', w().whatsapp, '--session', randomUUID(), '--text', 'Hi'),
  ],
  [
    'an offline operator initiates',
    () => initiate('--operator', w().offline, '--channel', w().whatsapp, '--contact', w().maria),
  ],
  [
    'an operator of another live chat initiates',
    () => initiate('--operator', w().stranger, '--channel', w().whatsapp, '--contact', w().maria),
  ],
  [
    'initiate on the website widget',
    () => initiate('--operator', w().online, '--channel', w().widget, '--contact', w().maria),
  ],
  [
    'initiate Telegram with a stranger',
    () => initiate('--operator', w().online, '--channel', w().telegram, '--contact', w().olga),
  ],
  [
    'a new contact with a bad phone',
    () =>
      initiate(
        '--operator',
        w().online,
        '--channel',
        w().whatsapp,
        '--new-contact',
        'Jonas',
        '--phone',
        '0151 2345678',
      ),
  ],
  [
    'control characters in the account',
    () => send('--channel', w().whatsapp, '--account', CONTROL, '--text', 'Hi'),
  ],
];

test.each(cliCases)(
  'livechat: %s is refused with a typed error (exit 2) and changes nothing',
  async (_name, args) => {
    await tally.cli.expectRefused(
      () => footprint(harness),
      () => livechat(args()),
      (run) => {
        const answer = JSON.parse(run.printed) as { error?: { type?: string; message?: string } };
        expect({ code: run.code, typed: TYPES.has(answer.error?.type ?? '') }).toEqual({
          code: 2,
          typed: true,
        });
        expect(answer.error?.message).toEqual(expect.any(String));
      },
    );
  },
);

type Request = { method: 'POST' | 'PUT'; url: () => string; body: () => unknown; raw?: boolean };
const newSession = (change: Record<string, unknown>): Request => ({
  method: 'POST',
  url: () => '/api/sessions',
  body: () => ({
    liveChatId: w().liveChat,
    channelId: w().whatsapp,
    customer: { contactId: w().maria },
    ...change,
  }),
});

const apiCases: [string, Request][] = [
  [
    'malformed JSON',
    { method: 'POST', url: () => '/api/sessions', body: () => '{"liveChatId": ', raw: true },
  ],
  ['a body that is an array', { method: 'POST', url: () => '/api/sessions', body: () => [1, 2, 3] }],
  ['liveChatId a number', newSession({ liveChatId: 42 })],
  ['customer a string', newSession({ customer: '+4915123456789' })],
  ['an unknown field', newSession({ priority: 'high' })],
  ['SQL in the channel id', newSession({ channelId: SQL })],
  ['unknown live chat', newSession({ liveChatId: `no-such-${randomUUID()}` })],
  ["another live chat's channel", newSession({ liveChatId: 'x', channelId: 'y' })],
  ['WhatsApp number without +', newSession({ customer: { account: '4915123456789' } })],
  [
    'new contact with a landline-looking nonsense number',
    newSession({ customer: { newContact: { name: 'Jonas', phone: '12' } } }),
  ],
  [
    'new contact without a name',
    newSession({ customer: { newContact: { name: '  ', phone: '+4915123456789' } } }),
  ],
  [
    'email channel with a bad address',
    newSession({ channelId: 'email', customer: { account: 'not-an-address' } }),
  ],
  ['1 MB first message', newSession({ firstMessage: MEGABYTE })],
  ['requestId not a uuid', newSession({ requestId: 'again' })],
  ['the website widget', newSession({ channelId: 'widget' })],
  ['Telegram with a stranger', newSession({ channelId: 'telegram', customer: { contactId: 'olga' } })],
  [
    'reply to an unknown session',
    { method: 'POST', url: () => `/api/sessions/${randomUUID()}/messages`, body: () => ({ text: 'Hi' }) },
  ],
  [
    'reply with SQL as the session id',
    {
      method: 'POST',
      url: () => `/api/sessions/${encodeURIComponent(SQL)}/messages`,
      body: () => ({ text: 'Hi' }),
    },
  ],
  [
    'reply text a number',
    { method: 'POST', url: () => `/api/sessions/${randomUUID()}/messages`, body: () => ({ text: 7 }) },
  ],
  [
    'status not one of online/offline/busy',
    { method: 'PUT', url: () => '/api/me/status', body: () => ({ status: 'away' }) },
  ],
];

/** Ids in the cases that name the world's channels and contacts by their role. */
function resolve(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const world = w() as Record<string, unknown>;
  const record = { ...(body as Record<string, unknown>) };
  if (record.channelId === 'email' || record.channelId === 'widget' || record.channelId === 'telegram')
    record.channelId = world[record.channelId as string];
  const customer = record.customer as Record<string, unknown> | undefined;
  if (customer?.contactId === 'olga') record.customer = { contactId: world.olga };
  if (record.liveChatId === 'x') {
    record.liveChatId = world.liveChat;
    record.channelId = `${world.otherLiveChat as string}-channel`;
  }
  return record;
}

test.each(apiCases)(
  'HTTP API: %s is refused with a typed 4xx and changes nothing',
  async (_name, request) => {
    const body = request.raw ? (request.body() as string) : JSON.stringify(resolve(request.body()));
    await tally.api.expectRefused(
      () => footprint(harness),
      () =>
        workspace.app.inject({
          method: request.method,
          url: request.url(),
          headers: { cookie, 'content-type': 'application/json' },
          payload: body,
        }),
      (answer) => {
        expect(answer.statusCode).toBeGreaterThanOrEqual(400);
        expect(answer.statusCode).toBeLessThan(500);
        const parsed = answer.json<{ error?: { type?: string; message?: string } }>();
        expect(parsed.error?.type).toMatch(/^[A-Z][A-Za-z]+$/);
        expect(parsed.error?.message).toEqual(expect.any(String));
      },
    );
  },
);
