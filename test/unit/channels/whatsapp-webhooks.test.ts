import type { FastifyInstance } from 'fastify';
import knex, { type Knex } from 'knex';
import twilio from 'twilio';
import { loadProviderConfig } from '../../../config/providers';
import { createWebhookServer } from '../../../server/webhook-server';
import { deliveryReportOf, twilioWebhookRoutes } from '../../../channels/whatsapp';

const AUTH_TOKEN = 'unit-test-token-0123456789abcdef';
const BASE = 'https://hooks.example.com';

/**
 * The signature check comes before anything else: the database here is unreachable, so a request
 * that got past the check would answer 500, not 403.
 */
let db: Knex;
let app: FastifyInstance;

beforeAll(async () => {
  db = knex({
    client: 'pg',
    connection: 'postgres://nobody@127.0.0.1:1/none',
    acquireConnectionTimeout: 500,
    // The refused connections are expected here.
    log: {
      warn: () => undefined,
      error: () => undefined,
      debug: () => undefined,
      deprecate: () => undefined,
    },
  });
  app = await createWebhookServer({ db, providers: loadProviderConfig({}) }, [
    twilioWebhookRoutes({ authToken: AUTH_TOKEN, publicBaseUrl: `${BASE}/` }),
  ]);
});
afterAll(async () => {
  await app.close();
  await db.destroy();
});

const inbound = {
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  From: 'whatsapp:+4915123456789',
  To: 'whatsapp:+4930901820',
  Body: 'Hello',
};

function post(path: string, params: Record<string, string>, signature?: string) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature !== undefined ? { 'x-twilio-signature': signature } : {}),
    },
    payload: new URLSearchParams(params).toString(),
  });
}

describe.each(['/webhooks/twilio/wa-1/inbound', '/webhooks/twilio/wa-1/status'])('%s', (path) => {
  test('without a signature: 403', async () => {
    expect((await post(path, inbound)).statusCode).toBe(403);
  });

  test('signed with another token: 403', async () => {
    const signature = twilio.getExpectedTwilioSignature('other-token', `${BASE}${path}`, inbound);
    expect((await post(path, inbound, signature)).statusCode).toBe(403);
  });

  test('signed for another URL: 403', async () => {
    const signature = twilio.getExpectedTwilioSignature(
      AUTH_TOKEN,
      `${BASE}/webhooks/twilio/wa-2/inbound`,
      inbound,
    );
    expect((await post(path, inbound, signature)).statusCode).toBe(403);
  });

  test('signed for other parameters: 403', async () => {
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${BASE}${path}`, inbound);
    expect((await post(path, { ...inbound, Body: 'changed' }, signature)).statusCode).toBe(403);
  });

  test('a valid signature gets past the check (and here on to the unreachable database)', async () => {
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${BASE}${path}`, inbound);
    expect((await post(path, inbound, signature)).statusCode).toBe(500);
  });
});

describe("Twilio's MessageStatus in our terms", () => {
  test.each(['sent', 'delivered', 'read'] as const)('%s stays %s', (status) => {
    expect(deliveryReportOf({ MessageStatus: status })).toEqual({ status });
  });

  test.each(['queued', 'accepted', 'sending', 'scheduled', 'receiving', 'received', 'nonsense'])(
    '%s changes nothing',
    (status) => {
      expect(deliveryReportOf({ MessageStatus: status })).toBeUndefined();
    },
  );

  test('failed and undelivered carry the reason with the error code', () => {
    expect(
      deliveryReportOf({
        MessageStatus: 'undelivered',
        ErrorCode: '63024',
        ErrorMessage: 'Invalid message recipient',
      }),
    ).toEqual({
      status: 'failed',
      reason: 'Invalid message recipient (Twilio error 63024)',
      providerErrorCode: '63024',
    });
    expect(deliveryReportOf({ MessageStatus: 'failed', ErrorCode: '30008' })).toEqual({
      status: 'failed',
      reason: 'WhatsApp message failed (Twilio error 30008)',
      providerErrorCode: '30008',
    });
    expect(deliveryReportOf({ MessageStatus: 'failed' })).toEqual({
      status: 'failed',
      reason: 'WhatsApp message failed',
    });
  });

  test('ChannelStatusMessage is kept with any status, and names a failure Twilio gave no message for', () => {
    expect(
      deliveryReportOf({ MessageStatus: 'delivered', ChannelStatusMessage: ' Delivered to handset ' }),
    ).toEqual({
      status: 'delivered',
      providerStatusMessage: 'Delivered to handset',
    });
    expect(
      deliveryReportOf({
        MessageStatus: 'failed',
        ErrorCode: '63049',
        ChannelStatusMessage: 'Meta chose not to deliver',
      }),
    ).toEqual({
      status: 'failed',
      reason: 'Meta chose not to deliver (Twilio error 63049)',
      providerStatusMessage: 'Meta chose not to deliver',
      providerErrorCode: '63049',
    });
  });
});
