import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type OutboundMessage,
} from '../../../channels/adapter';
import { createWhatsAppAdapter } from '../../../channels/whatsapp';
import { newSid, TwilioStandIn } from '../../../dev/sandbox/twilio-stand-in';

/**
 * The real twilio SDK, through our adapter, against the stand-in: what Twilio would receive and
 * answer, without Temporal or a database. A small HTTP server stands for our webhook server.
 */
const ACCOUNT_SID = newSid('AC');
const AUTH_TOKEN = 'unit-test-token-0123456789abcdef';
const FROM = '+4930901820';

let standIn: TwilioStandIn;
let hooks: Server;
let hooksUrl: string;
const hooksReceived: Array<{ path: string; signature: string | undefined; params: Record<string, string> }> =
  [];

beforeAll(async () => {
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const signature = req.headers['x-twilio-signature'];
      hooksReceived.push({
        path: req.url ?? '',
        signature: typeof signature === 'string' ? signature : undefined,
        params: Object.fromEntries(new URLSearchParams(body)),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hooksUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hooks.closeAllConnections();
  await new Promise((resolve) => hooks.close(resolve));
});

beforeEach(async () => {
  standIn = new TwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, readReceipts: true });
  await standIn.start();
  hooksReceived.length = 0;
});
afterEach(() => standIn.stop());

function adapter(overrides: { authToken?: string; statusCallbackUrl?: string } = {}) {
  return createWhatsAppAdapter({
    accountSid: ACCOUNT_SID,
    authToken: overrides.authToken ?? AUTH_TOKEN,
    apiUrl: standIn.url,
    ...(overrides.statusCallbackUrl ? { statusCallbackUrl: overrides.statusCallbackUrl } : {}),
  });
}

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    messageId: 'm1',
    sessionId: 's1',
    sessionName: 'Maria',
    channel: { id: 'wa-1', kind: 'whatsapp', name: 'WhatsApp', settings: { from: FROM } },
    to: '+4915123456789',
    text: 'Your order #1042 is ready.',
    earlierProviderMessageIds: [],
    lastInboundAt: new Date(),
    ...overrides,
  };
}

async function rejection(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('expected the send to fail');
}

test("a free-form message reaches the stand-in once and the SID it returns is Twilio's", async () => {
  const outcome = await adapter({ statusCallbackUrl: `${hooksUrl}/` }).send(message());

  expect(standIn.received).toHaveLength(1);
  expect(standIn.received[0]).toMatchObject({
    sid: outcome.providerMessageId,
    from: `whatsapp:${FROM}`,
    to: 'whatsapp:+4915123456789',
    body: 'Your order #1042 is ready.',
    contentSid: undefined,
    statusCallback: `${hooksUrl}/webhooks/twilio/wa-1/status`,
  });
  expect(outcome.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
});

test('status callbacks arrive in order, signed as Twilio signs them', async () => {
  const { providerMessageId } = await adapter({ statusCallbackUrl: hooksUrl }).send(message());
  await standIn.settled();

  expect(hooksReceived.map((h) => [h.path, h.params['MessageStatus']])).toEqual([
    ['/webhooks/twilio/wa-1/status', 'sent'],
    ['/webhooks/twilio/wa-1/status', 'delivered'],
    ['/webhooks/twilio/wa-1/status', 'read'],
  ]);
  expect(standIn.callbacksSent.map((c) => [c.params['MessageStatus'], c.responseStatus])).toEqual([
    ['sent', 204],
    ['delivered', 204],
    ['read', 204],
  ]);
  for (const hook of hooksReceived) {
    expect(hook.params).toMatchObject({ MessageSid: providerMessageId, AccountSid: ACCOUNT_SID });
    expect(
      twilio.validateRequest(AUTH_TOKEN, hook.signature ?? '', `${hooksUrl}${hook.path}`, hook.params),
    ).toBe(true);
    expect(
      twilio.validateRequest('another-token', hook.signature ?? '', `${hooksUrl}${hook.path}`, hook.params),
    ).toBe(false);
  }
});

test('a wrong auth token is refused with 401 / 20003, permanently', async () => {
  const error = await rejection(adapter({ authToken: 'wrong-token' }).send(message()));
  expect(error).toBeInstanceOf(PermanentDeliveryError);
  expect(error).toMatchObject({ providerCode: '20003' });
  expect(standIn.attempts.map((a) => a.status)).toEqual([401]);
  expect(standIn.received).toHaveLength(0);
});

test("an invalid To is refused with Twilio's 21211", async () => {
  const error = await rejection(adapter().send(message({ to: '4915123456789' })));
  expect(error).toBeInstanceOf(PermanentDeliveryError);
  expect(error).toMatchObject({
    providerCode: '21211',
    message: "Invalid 'To' Phone Number: whatsapp:4915123456789",
  });
});

test('the rate limit answers 429 / 20429 with Retry-After, which the adapter passes on', async () => {
  standIn.faults.rateLimit(1);
  await adapter().send(message());
  const error = await rejection(adapter().send(message()));
  expect(error).toBeInstanceOf(TransientDeliveryError);
  expect(error).toMatchObject({ retryAfterMs: 1000 });
  expect(standIn.attempts.map((a) => [a.status, a.code])).toEqual([
    [201, null],
    [429, 20429],
  ]);
});

test('a planned failure is answered as planned, then the stand-in accepts again', async () => {
  standIn.faults.failNext(1, {
    status: 503,
    code: 20503,
    message: 'Service Unavailable',
    retryAfterSeconds: 4,
  });
  const error = await rejection(adapter().send(message()));
  expect(error).toBeInstanceOf(TransientDeliveryError);
  expect(error).toMatchObject({ retryAfterMs: 4000 });
  await expect(adapter().send(message())).resolves.toMatchObject({ providerMessageId: expect.any(String) });
});

test('outside the window the template goes out as ContentSid and ContentVariables', async () => {
  const contentSid = newSid('HX');
  await adapter().send(
    message({ lastInboundAt: null, whatsappTemplate: { contentSid, variables: { '1': 'Maria' } } }),
  );
  expect(standIn.received[0]).toMatchObject({
    contentSid,
    contentVariables: '{"1":"Maria"}',
    body: undefined,
  });
});

test('a channel without a sender number fails visibly without calling Twilio', async () => {
  const error = await rejection(
    adapter().send(message({ channel: { id: 'wa-2', kind: 'whatsapp', name: 'WhatsApp', settings: {} } })),
  );
  expect(error).toBeInstanceOf(PermanentDeliveryError);
  expect((error as Error).message).toContain('settings.from');
  expect(standIn.attempts).toHaveLength(0);
});

test('a customer writing is posted as a signed inbound webhook', async () => {
  const answer = await standIn.sendInbound(`${hooksUrl}/webhooks/twilio/wa-1/inbound`, {
    from: '+4915123456789',
    to: FROM,
    body: 'Hello!',
    profileName: 'Maria',
  });
  expect(answer.status).toBe(204);
  const [hook] = hooksReceived;
  expect(hook?.params).toMatchObject({
    From: 'whatsapp:+4915123456789',
    To: `whatsapp:${FROM}`,
    Body: 'Hello!',
    ProfileName: 'Maria',
    WaId: '4915123456789',
    MessageSid: answer.messageSid,
  });
  expect(
    twilio.validateRequest(
      AUTH_TOKEN,
      hook?.signature ?? '',
      `${hooksUrl}${hook?.path ?? ''}`,
      hook?.params ?? {},
    ),
  ).toBe(true);
});
