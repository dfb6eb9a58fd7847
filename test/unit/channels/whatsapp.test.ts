import twilio from 'twilio';
import TwilioServiceException from 'twilio/lib/base/TwilioServiceException';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type OutboundMessage,
} from '../../../channels/adapter';
import {
  classifyTwilioError,
  contentFor,
  parseRetryAfter,
  WHATSAPP_WINDOW_MS,
} from '../../../channels/whatsapp';

const NOW = new Date('2026-03-02T12:00:00Z');
const HOUR = 60 * 60 * 1000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    messageId: 'm1',
    sessionId: 's1',
    sessionName: 'Maria',
    channel: { id: 'wa', kind: 'whatsapp', name: 'WhatsApp', settings: { from: '+4930901820' } },
    to: '+4915123456789',
    text: 'Your order #1042 is ready.',
    earlierProviderMessageIds: [],
    lastInboundAt: null,
    ...overrides,
  };
}

const withChannelTemplate = { from: '+4930901820', templateContentSid: 'HXchannel' };

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe("WhatsApp's 24-hour window", () => {
  test('inside the window the text goes out free-form, even when templates exist', () => {
    const content = contentFor(
      message({
        lastInboundAt: ago(2 * HOUR),
        channel: { id: 'wa', kind: 'whatsapp', name: 'WhatsApp', settings: withChannelTemplate },
      }),
      NOW,
    );
    expect(content).toEqual({ body: 'Your order #1042 is ready.' });
  });

  test("outside the window the message's own template wins, with its variables as JSON", () => {
    const content = contentFor(
      message({
        lastInboundAt: ago(25 * HOUR),
        channel: { id: 'wa', kind: 'whatsapp', name: 'WhatsApp', settings: withChannelTemplate },
        whatsappTemplate: { contentSid: 'HXown', variables: { '1': 'Maria', '2': '#1042' } },
      }),
      NOW,
    );
    expect(content).toEqual({ contentSid: 'HXown', contentVariables: '{"1":"Maria","2":"#1042"}' });
  });

  test("with no message template, the channel's template carries the text as variable 1", () => {
    const content = contentFor(
      message({ channel: { id: 'wa', kind: 'whatsapp', name: 'WhatsApp', settings: withChannelTemplate } }),
      NOW,
    );
    expect(content).toEqual({
      contentSid: 'HXchannel',
      contentVariables: JSON.stringify({ '1': 'Your order #1042 is ready.' }),
    });
  });

  test('a customer who never wrote and no template: a permanent refusal with 63016', () => {
    const error = thrown(() => contentFor(message(), NOW));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ providerCode: '63016' });
    expect((error as Error).message).toContain(
      "outside WhatsApp's 24-hour window and no approved template is configured",
    );
  });

  test('exactly 24 hours after the last message the window is closed', () => {
    expect(thrown(() => contentFor(message({ lastInboundAt: ago(WHATSAPP_WINDOW_MS) }), NOW))).toBeInstanceOf(
      PermanentDeliveryError,
    );
  });

  test('in the last minutes of the window a template is preferred, free-form text is still tried without one', () => {
    const lastInboundAt = ago(WHATSAPP_WINDOW_MS - 60_000);
    expect(
      contentFor(
        message({
          lastInboundAt,
          channel: { id: 'wa', kind: 'whatsapp', name: 'WhatsApp', settings: withChannelTemplate },
        }),
        NOW,
      ),
    ).toMatchObject({ contentSid: 'HXchannel' });
    expect(contentFor(message({ lastInboundAt }), NOW)).toEqual({ body: 'Your order #1042 is ready.' });
  });

  test('a blank channel template counts as none', () => {
    const settings = { from: '+4930901820', templateContentSid: '  ' };
    expect(
      thrown(() =>
        contentFor(message({ channel: { id: 'wa', kind: 'whatsapp', name: 'WhatsApp', settings } }), NOW),
      ),
    ).toBeInstanceOf(PermanentDeliveryError);
  });
});

function restException(statusCode: number, body: Record<string, unknown> | string): Error {
  return new twilio.RestException({ statusCode, body, headers: {} });
}

describe("classifying Twilio's answers", () => {
  test('429 is transient and honours Retry-After', () => {
    const error = classifyTwilioError(
      restException(429, { code: 20429, message: 'Too Many Requests', status: 429 }),
      { 'retry-after': '7' },
    );
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ retryAfterMs: 7000 });
  });

  test('code 20429 is transient whatever the status, and without Retry-After leaves the delay to Temporal', () => {
    const error = classifyTwilioError(restException(400, { code: 20429, message: 'Too Many Requests' }));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ retryAfterMs: undefined });
  });

  test.each([500, 502, 503])('%i is transient', (status) => {
    expect(classifyTwilioError(restException(status, 'Service Unavailable'))).toBeInstanceOf(
      TransientDeliveryError,
    );
  });

  test.each([
    [400, 21211, "Invalid 'To' Phone Number: whatsapp:+1555"],
    [400, 21408, 'Permission to send an SMS has not been enabled for the region'],
    [400, 21610, 'Attempt to send to unsubscribed recipient'],
    [400, 21614, "'To' number is not a valid mobile number"],
    [400, 63016, 'Failed to send freeform message because you are outside the allowed window.'],
    [400, 63003, 'Channel could not find To address'],
    [401, 20003, 'Authenticate'],
    [404, 20404, 'The requested resource was not found'],
  ])("%i with code %i is permanent, with Twilio's message as the reason", (status, code, text) => {
    const error = classifyTwilioError(restException(status, { code, message: text, status }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ message: text, providerCode: String(code) });
  });

  test('a permanent code is permanent even when it comes with a 5xx', () => {
    expect(classifyTwilioError(restException(503, { code: 21610, message: 'unsubscribed' }))).toBeInstanceOf(
      PermanentDeliveryError,
    );
  });

  test("Twilio's newer RFC 9457 errors are classified the same way", () => {
    const body = {
      type: 'https://www.twilio.com/docs/errors/21211',
      title: 'Invalid To',
      status: 400,
      code: 21211,
      detail: 'bad number',
    };
    const error = classifyTwilioError(new TwilioServiceException({ statusCode: 400, body, headers: {} }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ message: 'bad number', providerCode: '21211' });
  });

  test('network errors are transient and keep nothing of the request (its Authorization header)', () => {
    const network = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      isAxiosError: true,
      config: { headers: { Authorization: 'Basic c2VjcmV0' } },
    });
    const error = classifyTwilioError(network);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error.message).toBe('Twilio could not be reached (ECONNREFUSED)');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('c2VjcmV0');
  });

  test('our own bugs are not disguised as provider errors', () => {
    const bug = new TypeError('x is undefined');
    expect(classifyTwilioError(bug)).toBe(bug);
  });
});

describe('Retry-After', () => {
  const now = new Date('2026-03-02T12:00:00Z');
  test.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    [['2'], 2000],
    ['Mon, 02 Mar 2026 12:00:10 GMT', 10_000],
    ['Mon, 02 Mar 2026 11:00:00 GMT', 0],
    ['999999', 60 * 60 * 1000],
  ])('%j → %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  test.each([undefined, '', 'soon', '-5'])('%j is ignored', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
