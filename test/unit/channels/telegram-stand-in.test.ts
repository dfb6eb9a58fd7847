import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Input, Telegram, TelegramError } from 'telegraf';
import {
  startTelegramStandIn,
  telegramFaults,
  type TelegramStandIn,
  type TelegramUpdate,
} from '../../../dev/sandbox/telegram-stand-in';

const TOKEN = '987654321:AAFstand-in-test-token';

let standIn: TelegramStandIn;
let bot: Telegram;
beforeEach(async () => {
  standIn = await startTelegramStandIn({ token: TOKEN, now: () => 1_764_000_000_000 });
  bot = new Telegram(TOKEN, { apiRoot: standIn.url });
});
afterEach(() => standIn.stop());

async function raw(path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${standIn.url}${path}`, init);
  return { status: response.status, body: await response.json() };
}

async function refusalOf(run: Promise<unknown>): Promise<TelegramError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof TelegramError) return error;
    throw error;
  }
  throw new Error('expected a Bot API refusal');
}

/** A webhook receiver of our own, answering with `status` and keeping what it got. */
async function receiver(status: () => number) {
  const received: { secret: string | undefined; update: TelegramUpdate }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const secret = req.headers['x-telegram-bot-api-secret-token'];
      received.push({
        secret: typeof secret === 'string' ? secret : undefined,
        update: JSON.parse(Buffer.concat(chunks).toString('utf8')) as TelegramUpdate,
      });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the Bot API envelope', () => {
  test('success is { ok: true, result }', async () => {
    expect(await raw(`/bot${TOKEN}/getMe`)).toEqual({
      status: 200,
      body: { ok: true, result: expect.objectContaining({ id: 987654321, is_bot: true }) },
    });
  });

  test('a wrong token is 401 Unauthorized', async () => {
    expect(await raw('/bot1:wrong/getMe')).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    expect(standIn.callsOf('getMe')).toEqual([expect.objectContaining({ status: 401 })]);
  });

  test('an unknown method is 404 Not Found', async () => {
    expect(await raw(`/bot${TOKEN}/launchRockets`)).toMatchObject({
      status: 404,
      body: { ok: false, error_code: 404, description: 'Not Found' },
    });
  });

  test('parameters come as JSON, as a form, or in the query string', async () => {
    standIn.knowChat(301);
    await raw(`/bot${TOKEN}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: 301, text: 'json' }),
    });
    await raw(`/bot${TOKEN}/sendMessage`, {
      method: 'POST',
      body: new URLSearchParams({ chat_id: '301', text: 'form' }),
    });
    await raw(`/bot${TOKEN}/sendMessage?chat_id=301&text=query`);
    expect(standIn.sentTo(301).map((m) => m.text)).toEqual(['json', 'form', 'query']);
  });
});

describe('chats', () => {
  test('a bot cannot write to a chat that never wrote to it: 400 chat not found', async () => {
    const error = await refusalOf(bot.sendMessage(302, 'hello'));
    expect(error.response).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: chat not found',
    });
    expect(standIn.sent).toEqual([]);
  });

  test('after the person wrote, the bot can; message ids count per chat in both directions', async () => {
    await standIn.customerWrites(303, 'hi', { first_name: 'Ivan', username: 'ivan' });
    const message = await bot.sendMessage(303, 'Welcome!');
    expect(message).toMatchObject({ message_id: 2, chat: { id: 303, type: 'private' }, text: 'Welcome!' });
    expect(standIn.sent).toEqual([{ chatId: '303', text: 'Welcome!', messageId: 2, at: 1_764_000_000_000 }]);
  });

  test('a person who blocked the bot: 403 bot was blocked by the user', async () => {
    await standIn.customerWrites(304, 'hi');
    standIn.block(304);
    const error = await refusalOf(bot.sendMessage(304, 'hello'));
    expect(error.response).toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
    standIn.unblock(304);
    await expect(bot.sendMessage(304, 'hello again')).resolves.toMatchObject({ text: 'hello again' });
  });

  test('sendDocument takes an uploaded file (multipart) or a file_id / URL', async () => {
    standIn.knowChat(305);
    await bot.sendDocument(305, Input.fromBuffer(Buffer.from('%PDF-1.4 invoice'), 'invoice-1042.pdf'), {
      caption: 'Your invoice',
    });
    await bot.sendDocument(305, 'https://shop.example/invoices/1042.pdf');
    expect(standIn.sentTo(305).map(({ text, document }) => ({ text, document }))).toEqual([
      { text: 'Your invoice', document: 'upload:invoice-1042.pdf' },
      { text: '', document: 'https://shop.example/invoices/1042.pdf' },
    ]);
  });
});

describe('faults', () => {
  test('the next call can be made to fail with 429 and retry_after, then it works', async () => {
    standIn.knowChat(306);
    standIn.faults.failNext(1, telegramFaults.tooManyRequests(5));
    const error = await refusalOf(bot.sendMessage(306, 'one'));
    expect(error.response).toEqual({
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 5',
      parameters: { retry_after: 5 },
    });
    await bot.sendMessage(306, 'one');
    expect(standIn.callsOf('sendMessage', 306).map((c) => c.status)).toEqual([429, 200]);
    expect(standIn.sentTo(306)).toHaveLength(1);
  });

  test('over the rate limit, calls get 429 with retry_after', async () => {
    standIn.knowChat(307);
    standIn.faults.rateLimit(2);
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => bot.sendMessage(307, `n${n}`)));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      response: { error_code: 429, parameters: { retry_after: 1 } },
    });
  });
});

describe('getUpdates', () => {
  test('long polling waits for a customer message; the next offset confirms it', async () => {
    const polling = bot.getUpdates(30, 100, 0, undefined);
    const { update } = await standIn.customerWrites(308, 'Where is my order?', {
      first_name: 'Olga',
      last_name: 'Ivanova',
      username: 'olga_i',
    });
    const updates = await polling;
    expect(updates).toEqual([update]);
    expect(update).toMatchObject({
      message: {
        message_id: 1,
        date: 1_764_000_000,
        chat: { id: 308, type: 'private', first_name: 'Olga' },
        from: { id: 308, is_bot: false, first_name: 'Olga', last_name: 'Ivanova', username: 'olga_i' },
        text: 'Where is my order?',
      },
    });
    expect(await bot.getUpdates(0, 100, update.update_id + 1, undefined)).toEqual([]);
    expect(standIn.pendingUpdates()).toEqual([]);
  });

  test('updates not confirmed come again', async () => {
    await standIn.customerWrites(309, 'one');
    await standIn.customerWrites(309, 'two');
    const first = await bot.getUpdates(0, 1, 0, undefined);
    expect(first.map((u) => u.update_id)).toHaveLength(1);
    const again = await bot.getUpdates(0, 100, 0, undefined);
    expect(again).toHaveLength(2);
  });

  test('a newer getUpdates ends an older one with 409 Conflict', async () => {
    const older = refusalOf(bot.getUpdates(30, 100, 0, undefined));
    // Let the older request reach the stand-in and start waiting before the newer one comes.
    while (!standIn.longPolling) await new Promise((resolve) => setTimeout(resolve, 10));
    const newer = bot.getUpdates(0, 100, 0, undefined);
    expect((await older).response).toMatchObject({ error_code: 409 });
    await expect(newer).resolves.toEqual([]);
  });
});

describe('webhooks', () => {
  test('with a webhook set, updates are POSTed with the secret header and getUpdates is refused', async () => {
    const hook = await receiver(() => 200);
    try {
      await bot.setWebhook(hook.url, { secret_token: 'shared-secret_1' });
      const { update, webhookStatus } = await standIn.customerWrites(310, 'hello');
      expect(webhookStatus).toBe(200);
      expect(hook.received).toEqual([{ secret: 'shared-secret_1', update }]);
      expect(standIn.pendingUpdates()).toEqual([]);
      const error = await refusalOf(bot.getUpdates(0, 100, 0, undefined));
      expect(error.response).toMatchObject({ error_code: 409 });

      await bot.deleteWebhook();
      const next = await standIn.customerWrites(310, 'again');
      expect(next.webhookStatus).toBeUndefined();
      expect(await bot.getUpdates(0, 100, 0, undefined)).toEqual([next.update]);
    } finally {
      await hook.close();
    }
  });

  test('an update the webhook refused stays pending and is delivered first when it accepts again', async () => {
    let status = 500;
    const hook = await receiver(() => status);
    try {
      await bot.setWebhook(hook.url, { secret_token: 'secret' });
      const refused = await standIn.customerWrites(311, 'first');
      expect(refused.webhookStatus).toBe(500);
      expect(standIn.pendingUpdates()).toEqual([refused.update]);

      status = 200;
      const accepted = await standIn.customerWrites(311, 'second');
      expect(accepted.webhookStatus).toBe(200);
      expect(hook.received.map((r) => r.update.message?.text)).toEqual(['first', 'first', 'second']);
      expect(standIn.pendingUpdates()).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  test('a secret token with characters Telegram does not allow is refused', async () => {
    const error = await refusalOf(bot.setWebhook('http://127.0.0.1:1/hook', { secret_token: 'no spaces!' }));
    expect(error.response).toMatchObject({ error_code: 400 });
    expect(standIn.webhook).toBeUndefined();
  });
});
