import { randomBytes, randomUUID } from 'node:crypto';
import { buildMail } from '../../../channels/email/adapter';
import { unsubscribeToken, verifyUnsubscribeToken } from '../../../channels/email/unsubscribe';
import type { OutboundMessage } from '../../../channels/adapter';

const key = randomBytes(32);
const links = { baseUrl: 'https://chat.shop.example/', key };

const message = (fromProcess: boolean): OutboundMessage => ({
  messageId: randomUUID(),
  sessionId: randomUUID(),
  sessionName: 'Order 1042',
  channel: { id: 'mail', kind: 'email', name: 'Shop', settings: { from: 'Shop <shop@shop.example>' } },
  to: 'maria@example.com',
  text: 'Your order is ready.',
  earlierProviderMessageIds: [],
  lastInboundAt: null,
  ...(fromProcess ? { fromProcess: true } : {}),
});

test('a process’s mail carries List-Unsubscribe (mailto and the signed one-click URL) and List-Unsubscribe-Post', () => {
  const m = message(true);
  const headers = buildMail(m, [], links).options.headers as Record<string, string>;
  expect(headers).toEqual({
    'List-Unsubscribe': `<mailto:shop@shop.example?subject=unsubscribe>, <https://chat.shop.example/unsubscribe/${unsubscribeToken(key, m.messageId)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  });
});

test('an operator’s reply, or a worker without a public URL, sends no List-Unsubscribe', () => {
  expect(buildMail(message(false), [], links).options.headers).toBeUndefined();
  expect(buildMail(message(true), []).options.headers).toBeUndefined();
});

test('a token names its message only with our signature', () => {
  const id = randomUUID();
  const token = unsubscribeToken(key, id);
  expect(verifyUnsubscribeToken(key, token)).toBe(id);
  expect(verifyUnsubscribeToken(randomBytes(32), token)).toBeUndefined();
  expect(verifyUnsubscribeToken(key, `${randomUUID()}.${token.split('.')[1]}`)).toBeUndefined();
  expect(verifyUnsubscribeToken(key, id)).toBeUndefined();
  expect(verifyUnsubscribeToken(key, `${token}x`)).toBeUndefined();
  expect(verifyUnsubscribeToken(key, `../${token}`)).toBeUndefined();
});
