import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type OutboundMessage,
} from '../../../channels/adapter';
import {
  EmailChannelMisconfigured,
  MAX_REFERENCES,
  buildMail,
  classifySmtpError,
  createEmailAdapter,
  senderOf,
} from '../../../channels/email';

function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    messageId: '0b7c3c52-5d0e-4f7e-9a57-1f4b3f0d2a11',
    sessionId: 'session-1',
    sessionName: 'Maria Schmidt, 25 Nov',
    channel: {
      id: 'support-email',
      kind: 'email',
      name: 'Support inbox',
      settings: { from: 'support@shop.example' },
    },
    to: 'maria@example.com',
    text: 'Your order #1042 is ready for pickup.',
    earlierProviderMessageIds: [],
    lastInboundAt: null,
    ...overrides,
  };
}

function smtpError(fields: { code?: string; responseCode?: number; response?: string }, message = 'failed') {
  return Object.assign(new Error(message), fields);
}

describe('buildMail', () => {
  test('the Message-ID is our message id at the sender domain, the same on every attempt', () => {
    const first = buildMail(outbound());
    const again = buildMail(outbound());
    expect(first.messageId).toBe('<0b7c3c52-5d0e-4f7e-9a57-1f4b3f0d2a11@shop.example>');
    expect(again.messageId).toBe(first.messageId);
    expect(first.options.messageId).toBe(first.messageId);
  });

  test('the subject is the message subject, else the session name', () => {
    expect(buildMail(outbound({ subject: 'Order #1042' })).options.subject).toBe('Order #1042');
    expect(buildMail(outbound()).options.subject).toBe('Maria Schmidt, 25 Nov');
  });

  test('text only, addressed with an address object, from the configured sender', () => {
    const { options } = buildMail(
      outbound({
        channel: {
          id: 'c',
          kind: 'email',
          name: 'Support inbox',
          settings: { from: 'Tech Support <support@shop.example>' },
        },
      }),
    );
    expect(options.text).toBe('Your order #1042 is ready for pickup.');
    expect(options.html).toBeUndefined();
    expect(options.to).toEqual({ name: '', address: 'maria@example.com' });
    expect(options.from).toEqual({ name: 'Tech Support', address: 'support@shop.example' });
  });

  test('a first message answers nothing', () => {
    const { options } = buildMail(outbound());
    expect(options.inReplyTo).toBeUndefined();
    expect(options.references).toBeUndefined();
  });

  test('a later message answers the last earlier message and references them all, oldest first', () => {
    const { options } = buildMail(
      outbound({ earlierProviderMessageIds: ['<first@shop.example>', '<reply@mail.example.com>'] }),
    );
    expect(options.inReplyTo).toBe('<reply@mail.example.com>');
    expect(options.references).toEqual(['<first@shop.example>', '<reply@mail.example.com>']);
  });

  test('ids without brackets get them, blanks and repeats and its own id are dropped', () => {
    const own = '<0b7c3c52-5d0e-4f7e-9a57-1f4b3f0d2a11@shop.example>';
    const { options } = buildMail(
      outbound({ earlierProviderMessageIds: ['a@x.example', ' ', '<a@x.example>', own, '<b@y.example>'] }),
    );
    expect(options.references).toEqual(['<a@x.example>', '<b@y.example>']);
    expect(options.inReplyTo).toBe('<b@y.example>');
  });

  test('a long thread keeps the first id and the most recent ones', () => {
    const ids = Array.from({ length: MAX_REFERENCES + 30 }, (_, i) => `<m${i}@shop.example>`);
    const references = buildMail(outbound({ earlierProviderMessageIds: ids })).options.references;
    expect(references).toHaveLength(MAX_REFERENCES);
    expect(Array.isArray(references) && references[0]).toBe('<m0@shop.example>');
    expect(Array.isArray(references) && references[MAX_REFERENCES - 1]).toBe(ids[ids.length - 1]);
    expect(Array.isArray(references) && references[1]).toBe(ids[ids.length - (MAX_REFERENCES - 1)]);
  });
});

describe('senderOf', () => {
  const channel = (settings: Record<string, unknown>, name?: string) => ({
    id: 'support-email',
    settings,
    ...(name !== undefined ? { name } : {}),
  });

  test('settings.from, bare or with a display name; the domain is lower-cased', () => {
    expect(senderOf(channel({ from: 'support@Shop.Example' }))).toEqual({
      address: 'support@shop.example',
      domain: 'shop.example',
    });
    expect(senderOf(channel({ from: '"Shop, Support" <help@shop.example>' }))).toEqual({
      name: 'Shop, Support',
      address: 'help@shop.example',
      domain: 'shop.example',
    });
  });

  test('falls back to the channel name when it is an address', () => {
    expect(senderOf(channel({}, 'support@shop.example')).address).toBe('support@shop.example');
  });

  test('settings.from wins over the name', () => {
    expect(senderOf(channel({ from: 'orders@shop.example' }, 'support@shop.example')).address).toBe(
      'orders@shop.example',
    );
  });

  test.each([
    ['no from and a name that is no address', channel({}, 'Support inbox')],
    ['no from and no name', channel({})],
    ['a from that is no address', channel({ from: 'support' })],
    ['a from with two addresses', channel({ from: 'a@shop.example, b@shop.example' })],
    ['a from that is not a string', channel({ from: 42 })],
    ['a from with a line break', channel({ from: 'support@shop.example\r\nBcc: x@evil.example' })],
    [
      'a from whose name has a line break',
      channel({ from: 'Support\r\nBcc: x@evil.example <s@shop.example>' }),
    ],
  ])('%s is a configuration error naming settings.from', (_, given) => {
    expect(() => senderOf(given)).toThrow(EmailChannelMisconfigured);
    expect(() => senderOf(given)).toThrow(/settings\.from/);
  });
});

describe('classifySmtpError', () => {
  test.each([550, 551, 552, 553, 554])('%i is a permanent refusal with the server text and code', (code) => {
    const error = classifySmtpError(
      smtpError({ code: 'EENVELOPE', responseCode: code, response: `${code} 5.1.1 Mailbox unavailable` }),
    );
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as PermanentDeliveryError).providerCode).toBe(String(code));
    expect((error as PermanentDeliveryError).message).toContain(`${code} 5.1.1 Mailbox unavailable`);
  });

  test.each([421, 450, 451, 452, 503])('%i asks to come back later', (code) => {
    const error = classifySmtpError(
      smtpError({ code: 'EMESSAGE', responseCode: code, response: `${code} try again later` }),
    );
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toContain(`${code} try again later`);
  });

  test('a refused login is a plain (retried) error, not a refusal of the message', () => {
    const error = classifySmtpError(
      smtpError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication failed' }),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(error).not.toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toMatch(/SMTP_URL/);
  });

  test('a connection error stays a plain error', () => {
    const original = smtpError({ code: 'ESOCKET' }, 'connect ECONNREFUSED 127.0.0.1:25');
    expect(classifySmtpError(original)).toBe(original);
  });

  test('a long server reply is shortened in the reason', () => {
    const error = classifySmtpError(
      smtpError({ responseCode: 550, response: `550 ${'x'.repeat(5000)}` }),
    ) as PermanentDeliveryError;
    expect(error.message.length).toBeLessThan(600);
  });
});

describe('createEmailAdapter', () => {
  test.each(['not a url with p4ssw0rd-secret', 'http://user:p4ssw0rd-secret@mail.example.com'])(
    'refuses %j without echoing it',
    (smtpUrl) => {
      let thrown: unknown;
      try {
        createEmailAdapter({ smtpUrl });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(EmailChannelMisconfigured);
      expect(JSON.stringify(thrown)).not.toContain('p4ssw0rd-secret');
      expect(String(thrown)).not.toContain('p4ssw0rd-secret');
    },
  );
});
