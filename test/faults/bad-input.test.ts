/**
 * Malformed requests to Send Live Chat Message and Initiate Session. Each one goes through the real
 * client and Temporal into our activity, which refuses it with a typed, non-retryable failure and
 * leaves the database (sessions, messages, contacts) and the providers' outboxes untouched.
 */
import { randomUUID } from 'node:crypto';
import { initiateSession, sendLiveChatMessage } from '../../client';
import type { InitiateSessionInput, SendLiveChatMessageInput } from '../../domain/types';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { footprint, refusalOf, type Refusal } from '../support/refusals';
import { RefusalTally, reportFaultCase } from './support/fault-report';

let harness: Harness;
/** The world the requests are aimed at, and another live chat's world for "not yours" cases. */
let w: World;
let other: World;

beforeAll(async () => {
  harness = await startHarness();
  w = await createWorld(harness.db);
  other = await createWorld(harness.db);
});
const tally = new RefusalTally();
afterAll(async () => {
  reportFaultCase({ case: 'bad input: client (workflows)', ...tally });
  await harness.stop();
});

/** Runs a request that must be refused, counting it for the suite's table, and checks it left nothing behind. */
function expectRefusedWithoutTrace(start: () => Promise<unknown>): Promise<Refusal> {
  return tally.expectRefused(
    () => footprint(harness),
    () => refusalOf(start()),
    () => undefined,
  );
}

const SQL = "'; drop table sessions; --";
const HEADER_INJECTION = 'maria@example.com\r\nBcc: everyone@example.com';
const UNKNOWN_SESSION = '6f1c1f9e-3b7a-4c55-9a2e-0d4d1c2b3a49';

type Workflow = 'sendLiveChatMessage' | 'initiateSession';
interface Case {
  workflow: Workflow;
  name: string;
  /** What is sent: deliberately not always the typed input, as a caller in JSON could send anything. */
  input: () => unknown;
  type: string;
}

/** A well-formed process message to Maria by WhatsApp; each case breaks one thing in it. */
const message = (change: Record<string, unknown> = {}): Record<string, unknown> => ({
  liveChatId: w.liveChat,
  channelId: w.whatsapp,
  to: { contactId: w.maria },
  text: 'Your order #1042 is ready for pickup.',
  ...change,
});

/** A well-formed request by Anna to start an email session with Maria; each case breaks one thing. */
const session = (change: Record<string, unknown> = {}): Record<string, unknown> => ({
  liveChatId: w.liveChat,
  operatorId: w.online,
  channelId: w.email,
  customer: { contactId: w.maria },
  ...change,
});

const without = (input: Record<string, unknown>, key: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).filter(([k]) => k !== key));

const send = (name: string, input: () => unknown, type: string): Case => ({
  workflow: 'sendLiveChatMessage',
  name,
  input,
  type,
});
const start = (name: string, input: () => unknown, type: string): Case => ({
  workflow: 'initiateSession',
  name,
  input,
  type,
});

const cases: Case[] = [
  // Things that do not exist, or are not this live chat's.
  send('unknown live chat', () => message({ liveChatId: `nowhere-${randomUUID()}` }), 'LiveChatNotFound'),
  send('unknown channel', () => message({ channelId: `nochannel-${randomUUID()}` }), 'ChannelNotFound'),
  send(
    'a subject on a WhatsApp channel (email only)',
    () => message({ subject: 'Your order' }),
    'InvalidInput',
  ),
  send(
    'a WhatsApp template that is not a content SID',
    () => message({ whatsappTemplate: { contentSid: "HX'; drop table messages; --" } }),
    'InvalidInput',
  ),
  send('channel of another live chat', () => message({ channelId: other.whatsapp }), 'ChannelNotInLiveChat'),
  send('unknown contact', () => message({ to: { contactId: `nobody-${randomUUID()}` } }), 'ContactNotFound'),
  send('contact of another app', () => message({ to: { contactId: w.supplier } }), 'ContactNotFound'),
  send(
    'unknown session',
    () => message({ channelId: undefined, to: { sessionId: UNKNOWN_SESSION } }),
    'SessionNotFound',
  ),
  send('session id that is not a UUID', () => message({ to: { sessionId: 'session-1' } }), 'InvalidInput'),
  send(
    'unknown author',
    () => message({ author: { kind: 'user', userId: `ghost-${randomUUID()}` } }),
    'NotAllowedAuthor',
  ),
  start('unknown live chat', () => session({ liveChatId: `nowhere-${randomUUID()}` }), 'LiveChatNotFound'),
  start('unknown operator', () => session({ operatorId: `ghost-${randomUUID()}` }), 'OperatorNotFound'),
  start('unknown channel', () => session({ channelId: `nochannel-${randomUUID()}` }), 'ChannelNotFound'),
  start('channel of another live chat', () => session({ channelId: other.email }), 'ChannelNotInLiveChat'),
  start(
    'unknown contact',
    () => session({ customer: { contactId: `nobody-${randomUUID()}` } }),
    'ContactNotFound',
  ),

  // Accounts of the wrong kind, or malformed.
  send('email address on WhatsApp', () => message({ to: { account: w.mariaEmail } }), 'AccountKindMismatch'),
  send(
    'phone number on email',
    () => message({ channelId: w.email, to: { account: w.mariaPhone } }),
    'AccountKindMismatch',
  ),
  start(
    'phone number on email',
    () => session({ customer: { account: w.mariaPhone } }),
    'AccountKindMismatch',
  ),
  start(
    'email address on WhatsApp',
    () => session({ channelId: w.whatsapp, customer: { account: w.mariaEmail } }),
    'AccountKindMismatch',
  ),
  send('phone without +', () => message({ to: { account: '4915123456789' } }), 'InvalidPhoneNumber'),
  send('phone with letters', () => message({ to: { account: '+49 151 CALL NOW' } }), 'InvalidPhoneNumber'),
  send('phone too short', () => message({ to: { account: '+49 151' } }), 'InvalidPhoneNumber'),
  start(
    'phone without +',
    () => session({ channelId: w.whatsapp, customer: { account: '0151 2345 6789' } }),
    'InvalidPhoneNumber',
  ),
  start(
    'new contact whose phone has no +',
    () =>
      session({
        channelId: w.whatsapp,
        customer: { newContact: { name: 'Karl', accounts: [{ kind: 'phone', value: '015123456789' }] } },
      }),
    'InvalidPhoneNumber',
  ),
  send('malformed email', () => message({ channelId: w.email, to: { account: 'maria@' } }), 'InvalidEmail'),
  send(
    'email without @',
    () => message({ channelId: w.email, to: { account: 'maria.example.com' } }),
    'InvalidEmail',
  ),
  send(
    'email with CR/LF header injection',
    () => message({ channelId: w.email, to: { account: HEADER_INJECTION } }),
    'InvalidEmail',
  ),
  start(
    'email with CR/LF header injection',
    () => session({ customer: { account: HEADER_INJECTION } }),
    'InvalidEmail',
  ),
  start(
    'new contact with CR/LF in the email',
    () => session({ customer: { newContact: { name: 'Eve', emails: [HEADER_INJECTION] } } }),
    'InvalidEmail',
  ),
  send(
    'Telegram @username instead of a chat id',
    () => message({ channelId: w.telegram, to: { account: '@maria' } }),
    'InvalidInput',
  ),
  send(
    'contact without an address for the channel',
    () => message({ channelId: w.email, to: { contactId: w.olga } }),
    'ContactHasNoAccount',
  ),
  start(
    // The contact is created inside the refused transaction, so it must not remain either.
    'new contact with only a phone, on email',
    () =>
      session({
        customer: { newContact: { name: 'Paul', accounts: [{ kind: 'phone', value: '+4915123456789' }] } },
      }),
    'ContactHasNoAccount',
  ),
  start(
    'website widget',
    () => session({ channelId: w.widget, customer: { account: 'visitor-7' } }),
    'ChannelCannotInitiate',
  ),

  // Text and subject.
  send('empty text', () => message({ text: '' }), 'EmptyMessage'),
  send('whitespace-only text', () => message({ text: ' \n\t  ' }), 'EmptyMessage'),
  send(
    'text over 4096 characters',
    () => message({ channelId: w.email, text: 'a'.repeat(4097) }),
    'MessageTooLong',
  ),
  send('text over WhatsApp’s 1600 characters', () => message({ text: 'a'.repeat(1601) }), 'MessageTooLong'),
  send('text with a control character', () => message({ text: 'Your order\u0007 is ready' }), 'InvalidInput'),
  send(
    'subject with CR/LF header injection',
    () => message({ channelId: w.email, subject: 'Hi\r\nBcc: x@example.com' }),
    'InvalidInput',
  ),
  send(
    'template using a variable that was not given',
    () => message({ text: 'Order {{number}} is ready', variables: { store: 'Berlin' } }),
    'TemplateVariableMissing',
  ),
  start('whitespace-only first message', () => session({ firstMessage: '   ' }), 'EmptyMessage'),
  start(
    'first message over WhatsApp’s 1600 characters',
    () => session({ channelId: w.whatsapp, firstMessage: 'a'.repeat(1601) }),
    'MessageTooLong',
  ),
  start(
    'first message with a control character',
    () => session({ firstMessage: 'Hello\u0000Maria' }),
    'InvalidInput',
  ),
  start('subject on WhatsApp', () => session({ channelId: w.whatsapp, subject: 'Hello' }), 'InvalidInput'),

  // SQL injection attempts are data, never SQL: they find nothing.
  send('SQL injection as live chat id', () => message({ liveChatId: SQL }), 'LiveChatNotFound'),
  send('SQL injection as contact id', () => message({ to: { contactId: SQL } }), 'ContactNotFound'),
  send(
    'SQL injection as channel id, with SQL as text',
    () => message({ channelId: SQL, text: "'); delete from messages; --" }),
    'ChannelNotFound',
  ),
  send('SQL injection as phone number', () => message({ to: { account: SQL } }), 'InvalidPhoneNumber'),
  start('SQL injection as operator id', () => session({ operatorId: SQL }), 'OperatorNotFound'),
  start(
    'SQL injection as email address',
    () => session({ customer: { account: `x@example.com'; drop table contacts; --` } }),
    'InvalidEmail',
  ),

  // Wrong JSON: types, missing and extra fields.
  send('number as text', () => message({ text: 42 }), 'InvalidInput'),
  send('missing text', () => without(message(), 'text'), 'InvalidInput'),
  send('missing recipient', () => without(message(), 'to'), 'InvalidInput'),
  send('missing live chat id', () => without(message(), 'liveChatId'), 'InvalidInput'),
  send('missing channel for a contact', () => without(message(), 'channelId'), 'InvalidInput'),
  send('extra field', () => message({ priority: 'high' }), 'InvalidInput'),
  send(
    'two recipient forms at once',
    () => message({ to: { contactId: w.maria, account: w.mariaPhone } }),
    'InvalidInput',
  ),
  send('unknown author kind', () => message({ author: { kind: 'robot' } }), 'InvalidInput'),
  send('number as idempotency key', () => message({ idempotencyKey: 7 }), 'InvalidInput'),
  send('blank live chat id', () => message({ liveChatId: '   ' }), 'InvalidInput'),
  start('number as operator id', () => session({ operatorId: 17 }), 'InvalidInput'),
  start('missing customer', () => without(session(), 'customer'), 'InvalidInput'),
  start('extra field', () => session({ assignTo: w.supervisor }), 'InvalidInput'),
  start(
    'new contact with an empty name',
    () => session({ customer: { newContact: { name: ' ' } } }),
    'InvalidInput',
  ),
  start(
    'account kind that does not exist',
    () => session({ customer: { newContact: { name: 'Ada', accounts: [{ kind: 'fax', value: '123' }] } } }),
    'InvalidInput',
  ),
];

const activityOf: Record<Workflow, string> = {
  sendLiveChatMessage: 'prepareMessage',
  initiateSession: 'startOperatorSession',
};

function run(workflow: Workflow, input: unknown): Promise<unknown> {
  const options = { taskQueue: harness.taskQueue, workflowId: `bad-input-${randomUUID()}` };
  return workflow === 'sendLiveChatMessage'
    ? sendLiveChatMessage(harness.client, input as SendLiveChatMessageInput, options)
    : initiateSession(harness.client, input as InitiateSessionInput, options);
}

test.each(cases)(
  '$workflow: $name is refused with $type and changes nothing',
  async ({ workflow, input, type }) => {
    const refusal = await expectRefusedWithoutTrace(() => run(workflow, input()));
    expect(refusal).toMatchObject({ type, nonRetryable: true, activityType: activityOf[workflow] });
  },
);

test('SQL in a message text is stored and sent as text, and the tables are all still there', async () => {
  const text = "Robert'); drop table messages; -- says hi";
  const result = await sendLiveChatMessage(
    harness.client,
    message({ text }) as unknown as SendLiveChatMessageInput,
    {
      taskQueue: harness.taskQueue,
      workflowId: `sql-text-${randomUUID()}`,
    },
  );
  expect((await harness.db('messages').where({ id: result.messageId }).first())?.text).toBe(text);
  expect(
    harness.outbox.whatsapp.received.filter((m) => m.messageId === result.messageId).map((m) => m.text),
  ).toEqual([text]);
  for (const table of ['sessions', 'messages', 'contacts'])
    expect(await harness.db.schema.hasTable(table)).toBe(true);
});

test.each(['sendLiveChatMessage', 'initiateSession'] as const)(
  '%s: an input that is not an object fails the workflow with InvalidInput instead of hanging',
  async (workflow) => {
    for (const input of [null, 'hello', [1, 2]]) {
      const refusal = await expectRefusedWithoutTrace(() => run(workflow, input));
      expect(refusal).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    }
  },
);
