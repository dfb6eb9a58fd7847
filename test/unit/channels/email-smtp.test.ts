// The email adapter (real nodemailer pool) against the SMTP stand-in (real smtp-server) on loopback.
import { types } from 'node:util';
import { createTransport } from 'nodemailer';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type ChannelAdapter,
  type OutboundMessage,
} from '../../../channels/adapter';
import { createEmailAdapter } from '../../../channels/email';
import { startSmtpStandIn, type SmtpStandIn } from '../../../dev/sandbox/smtp-stand-in';

let standIn: SmtpStandIn;
let adapter: ChannelAdapter;
let counter = 0;

beforeAll(async () => {
  standIn = await startSmtpStandIn();
  adapter = createEmailAdapter({ smtpUrl: standIn.url, poolMax: 2 });
});
afterAll(async () => {
  await adapter.close?.();
  await standIn.stop();
});
afterEach(() => standIn.faults.reset());

/** A message to an address no other test uses, so each test reads only its own mail. */
function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  counter += 1;
  return {
    messageId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    sessionId: 'session-1',
    sessionName: 'Order #1042',
    channel: {
      id: 'support-email',
      kind: 'email',
      name: 'Support inbox',
      settings: { from: 'Support <support@shop.example>' },
    },
    to: `customer${counter}@example.com`,
    text: 'Your order #1042 is ready.\nSee you soon.',
    earlierProviderMessageIds: [],
    lastInboundAt: null,
    ...overrides,
  };
}

const receivedBy = (to: string) => standIn.received.filter((mail) => mail.envelope.rcptTo.includes(to));
const attemptsFor = (to: string) =>
  standIn.attempts.filter((attempt) => attempt.to === to).map((a) => a.code);

test('a message arrives as text/plain with our Message-ID, subject, sender and threading headers', async () => {
  const message = outbound({
    subject: 'Your order',
    earlierProviderMessageIds: ['<first@shop.example>', '<reply@example.com>'],
  });
  const outcome = await adapter.send(message);

  expect(outcome.providerMessageId).toBe(`<${message.messageId}@shop.example>`);
  expect(receivedBy(message.to)).toEqual([
    expect.objectContaining({
      messageId: outcome.providerMessageId,
      from: 'support@shop.example',
      to: [message.to],
      subject: 'Your order',
      text: 'Your order #1042 is ready.\nSee you soon.\n',
      html: false,
      contentType: 'text/plain',
      inReplyTo: '<reply@example.com>',
      references: ['<first@shop.example>', '<reply@example.com>'],
      envelope: { mailFrom: 'support@shop.example', rcptTo: [message.to] },
    }),
  ]);
});

test('sending the same message again carries the same Message-ID', async () => {
  const message = outbound();
  const first = await adapter.send(message);
  const second = await adapter.send(message);
  expect(second.providerMessageId).toBe(first.providerMessageId);
  expect(receivedBy(message.to).map((mail) => mail.messageId)).toEqual([
    first.providerMessageId,
    first.providerMessageId,
  ]);
});

test('550 is a permanent refusal carrying the server text; nothing is delivered', async () => {
  const message = outbound();
  standIn.faults.failNext(1, { code: 550, message: '5.1.1 Mailbox unavailable' });

  const error: unknown = await adapter.send(message).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PermanentDeliveryError);
  expect(error).toMatchObject({ providerCode: '550' });
  expect((error as Error).message).toContain('550 5.1.1 Mailbox unavailable');
  expect(receivedBy(message.to)).toEqual([]);
  expect(attemptsFor(message.to)).toEqual([550]);
});

test('a refusal at the end of DATA (554) is permanent too; nothing is kept', async () => {
  const message = outbound();
  standIn.faults.failNext(1, { code: 554, message: '5.7.1 Message rejected as spam', stage: 'data' });

  const error: unknown = await adapter.send(message).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PermanentDeliveryError);
  expect(error).toMatchObject({ providerCode: '554' });
  expect(receivedBy(message.to)).toEqual([]);
  expect(attemptsFor(message.to)).toEqual([554]);
});

test('451 asks to come back later; the next attempt delivers', async () => {
  const message = outbound();
  standIn.faults.failNext(1, { code: 451, message: '4.7.1 Greylisted, try again later' });

  const error: unknown = await adapter.send(message).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TransientDeliveryError);
  expect((error as Error).message).toContain('451 4.7.1 Greylisted');
  expect(receivedBy(message.to)).toEqual([]);

  await adapter.send(message);
  expect(receivedBy(message.to)).toHaveLength(1);
  expect(attemptsFor(message.to)).toEqual([451, 250]);
});

test('the rate limit answers 451, a transient error', async () => {
  standIn.faults.rateLimit(1);
  await adapter.send(outbound());
  const error: unknown = await adapter.send(outbound()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TransientDeliveryError);
});

test('a wrong password is a plain error that does not carry the password', async () => {
  const password = decodeURIComponent(new URL(standIn.url).password);
  const wrong = new URL(standIn.url);
  wrong.password = 'wrong-password-123';
  const badAdapter = createEmailAdapter({ smtpUrl: wrong.toString() });
  try {
    const message = outbound();
    const error: unknown = await badAdapter.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(error).not.toBeInstanceOf(TransientDeliveryError);
    expect(String(error)).not.toContain('wrong-password-123');
    expect(String(error)).not.toContain(password);
    expect(receivedBy(message.to)).toEqual([]);
  } finally {
    await badAdapter.close?.();
  }
});

test('the stand-in refuses mail from a client that did not log in', async () => {
  const { port } = standIn;
  const anonymous = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    const error: unknown = await anonymous
      .sendMail({ from: 'x@shop.example', to: 'anonymous@example.com', text: 'hi' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ responseCode: 530 });
    expect(receivedBy('anonymous@example.com')).toEqual([]);
  } finally {
    anonymous.close();
  }
});

test('a server that is not there gives a plain (retried) error', async () => {
  const gone = await startSmtpStandIn();
  await gone.stop();
  const orphan = createEmailAdapter({ smtpUrl: gone.url, connectionTimeoutMs: 2_000 });
  try {
    const error: unknown = await orphan.send(outbound()).catch((e: unknown) => e);
    // The socket error is made by Node itself, outside Jest's realm: not `instanceof` this Error.
    expect(types.isNativeError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ESOCKET' });
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(error).not.toBeInstanceOf(TransientDeliveryError);
  } finally {
    await orphan.close?.();
  }
});
