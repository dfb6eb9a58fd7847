import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { TelegramError } from 'telegraf';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type OutboundMessage,
} from '../../../channels/adapter';
import { classifyTelegramError, createTelegramAdapter, withoutSecret } from '../../../channels/telegram';
import { freePort } from '../../../dev/free-port';
import {
  startTelegramStandIn,
  telegramFaults,
  type TelegramStandIn,
} from '../../../dev/sandbox/telegram-stand-in';

// Shaped like a real token ("<bot id>:<secret>"), which telegraf's own redaction expects …
const TOKEN = '123456789:AAHunit-test-secret_0123456789';
// … and one it does not, which only our scrubbing keeps out of errors.
const ODD_TOKEN = 'odd-token-SECRET-without-bot-id';

function outbound(to: string, text = 'Your order #1042 is ready for pickup.'): OutboundMessage {
  return {
    messageId: '0b7c3c52-5d0e-4f7e-9a57-1f4b3f0d2a11',
    sessionId: 'session-1',
    sessionName: 'Maria Schmidt, 25 Nov',
    channel: { id: 'support-telegram', kind: 'telegram', name: 'Telegram bot', settings: {} },
    to,
    text,
    earlierProviderMessageIds: [],
    lastInboundAt: null,
  };
}

async function failureOf(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

let standIn: TelegramStandIn;
beforeEach(async () => {
  standIn = await startTelegramStandIn({ token: TOKEN });
});
afterEach(() => standIn.stop());

describe('createTelegramAdapter against the Bot API stand-in', () => {
  test('sends the text to the chat and returns the message id prefixed with the chat id', async () => {
    await standIn.customerWrites('200100', 'Hello, is my order ready?');
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });

    const outcome = await adapter.send(outbound('200100'));

    // Message 1 of this chat is the customer's; ours is 2.
    expect(outcome).toEqual({ providerMessageId: '200100:2' });
    expect(standIn.sent.map(({ chatId, text, messageId }) => ({ chatId, text, messageId }))).toEqual([
      { chatId: '200100', text: 'Your order #1042 is ready for pickup.', messageId: 2 },
    ]);
  });

  test('two chats get the same message_id from Telegram, but distinct provider ids from us', async () => {
    standIn.knowChat('200201');
    standIn.knowChat('200202');
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });

    const first = await adapter.send(outbound('200201'));
    const second = await adapter.send(outbound('200202'));

    expect(standIn.sent.map((m) => m.messageId)).toEqual([1, 1]);
    expect(first.providerMessageId).not.toBe(second.providerMessageId);
  });

  test('text is sent as plain text: markup characters arrive unchanged', async () => {
    standIn.knowChat('200300');
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });
    await adapter.send(outbound('200300', 'Order *1042* <b>ready</b> _now_'));
    expect(standIn.sentTo('200300')[0]?.text).toBe('Order *1042* <b>ready</b> _now_');
  });

  test('429 with retry_after is transient and says how long to wait', async () => {
    standIn.knowChat('200400');
    standIn.faults.failNext(1, telegramFaults.tooManyRequests(7));
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });

    const error = await failureOf(adapter.send(outbound('200400')));

    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).retryAfterMs).toBe(7_000);
    expect(standIn.sentTo('200400')).toEqual([]);
  });

  test.each([
    ['500', telegramFaults.serverError()],
    ['502', telegramFaults.badGateway()],
  ])('a %s is transient', async (_code, fault) => {
    standIn.knowChat('200500');
    standIn.faults.failNext(1, fault);
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });
    const error = await failureOf(adapter.send(outbound('200500')));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
  });

  test('a person who blocked the bot: permanent, "bot was blocked by the user", code 403', async () => {
    await standIn.customerWrites('200600', 'Hi');
    standIn.block('200600');
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });

    const error = await failureOf(adapter.send(outbound('200600')));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ message: 'bot was blocked by the user', providerCode: '403' });
  });

  test('a chat Telegram does not know: permanent, "chat not found", code 400', async () => {
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });
    const error = await failureOf(adapter.send(outbound('200700')));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ message: 'chat not found', providerCode: '400' });
  });

  test('a text Telegram finds too long: permanent', async () => {
    standIn.knowChat('200750');
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });
    const error = await failureOf(adapter.send(outbound('200750', 'x'.repeat(4097))));
    expect(error).toMatchObject({ name: 'PermanentDeliveryError', message: 'message is too long' });
  });

  test('a wrong bot token is the worker misconfigured, not the message refused: transient, no token', async () => {
    standIn.knowChat('200800');
    const adapter = createTelegramAdapter({ botToken: `${TOKEN}-wrong`, apiUrl: standIn.url });
    const error = await failureOf(adapter.send(outbound('200800')));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as Error).message).toContain('TELEGRAM_BOT_TOKEN');
    expect(`${(error as Error).message} ${(error as Error).stack}`).not.toContain(TOKEN);
  });
});

describe('errors never carry the bot token', () => {
  test.each([TOKEN, ODD_TOKEN])(
    'an unreachable API: a plain (retried) error without the token %#',
    async (token) => {
      const port = await freePort();
      const adapter = createTelegramAdapter({ botToken: token, apiUrl: `http://127.0.0.1:${port}` });

      const error = await failureOf(adapter.send(outbound('200900')));

      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PermanentDeliveryError);
      expect(error).not.toBeInstanceOf(TransientDeliveryError);
      const everything = JSON.stringify({
        message: (error as Error).message,
        stack: (error as Error).stack,
        cause: (error as Error).cause,
        own: Object.entries(error as Error),
      });
      expect(everything).toContain('ECONNREFUSED');
      expect(everything).not.toContain(token);
    },
  );

  test('a dropped connection: a plain (retried) error without the token, nothing sent', async () => {
    standIn.knowChat('200950');
    standIn.faults.failNext(1, telegramFaults.connectionDropped());
    const adapter = createTelegramAdapter({ botToken: TOKEN, apiUrl: standIn.url });
    const error = await failureOf(adapter.send(outbound('200950')));
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect((error as Error).message).toContain('socket hang up');
    // Logs print the stack: its first line is our scrubbed message, not the original one.
    expect((error as Error).stack?.split('\n')[0]).toBe(`FetchError: ${(error as Error).message}`);
    expect(`${(error as Error).message} ${(error as Error).stack}`).not.toContain(TOKEN);
    expect(standIn.sentTo('200950')).toEqual([]);
    expect(standIn.callsOf('sendMessage', '200950').map((c) => c.status)).toEqual([0]);
  });

  test('a server that never answers: the call gives up after requestTimeoutMs, retryable', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const adapter = createTelegramAdapter({
        botToken: ODD_TOKEN,
        apiUrl: `http://127.0.0.1:${port}`,
        requestTimeoutMs: 200,
      });
      const error = await failureOf(adapter.send(outbound('201000')));
      expect(error).not.toBeInstanceOf(PermanentDeliveryError);
      expect(`${(error as Error).message} ${(error as Error).stack}`).not.toContain(ODD_TOKEN);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('withoutSecret replaces every occurrence, plain and URL-encoded', () => {
    const token = '42:a/b c';
    const text = `GET /bot${token}/x and /bot${encodeURIComponent(token)}/y`;
    expect(withoutSecret(text, token)).toBe('GET /bot[REDACTED]/x and /bot[REDACTED]/y');
  });
});

describe('classifyTelegramError', () => {
  const refusal = (error_code: number, description: string, retry_after?: number) =>
    new TelegramError({
      error_code,
      description,
      ...(retry_after !== undefined ? { parameters: { retry_after } } : {}),
    });

  test('429 without retry_after is transient with no wait given', () => {
    const error = classifyTelegramError(refusal(429, 'Too Many Requests'), TOKEN);
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).retryAfterMs).toBeUndefined();
  });

  test('429 retry_after is turned from seconds into milliseconds', () => {
    const error = classifyTelegramError(refusal(429, 'Too Many Requests: retry after 3', 3), TOKEN);
    expect((error as TransientDeliveryError).retryAfterMs).toBe(3_000);
  });

  test.each([
    [403, 'Forbidden: bot was blocked by the user', 'bot was blocked by the user'],
    [403, 'Forbidden: user is deactivated', 'user is deactivated'],
    [400, 'Bad Request: chat not found', 'chat not found'],
    [400, 'Bad Request: message is too long', 'message is too long'],
  ])('%i %s → permanent "%s"', (code, description, reason) => {
    const error = classifyTelegramError(refusal(code, description), TOKEN);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ message: reason, providerCode: String(code) });
  });

  test.each([500, 502, 503, 401, 404])('%i is transient', (code) => {
    expect(classifyTelegramError(refusal(code, 'whatever'), TOKEN)).toBeInstanceOf(TransientDeliveryError);
  });

  test('something that is not an Error is wrapped, without the token', () => {
    const error = classifyTelegramError(`boom at /bot${TOKEN}/sendMessage`, TOKEN);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).not.toContain(TOKEN);
  });
});
