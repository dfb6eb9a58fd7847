/**
 * Personal data in Temporal: with LIVECHAT_PAYLOAD_KEYS set (the whole suite runs so), histories as
 * Temporal stores them hold no phone number, address or text in the clear, not even in a failure's
 * message; the codec endpoint gives them back to whoever holds the key.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { EncryptionCodec } from '../../codec/encryption-codec';
import { PAYLOAD_KEYS_VARIABLE, parsePayloadKeys } from '../../codec/payload-keys';
import { sendLiveChatMessage } from '../../client';
import { registerCodecEndpoint } from '../../server/codec-endpoint';
import { createWorld, uniquePhone, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { historyText, storedText } from '../support/history-text';
import { reportFaultCase } from './support/fault-report';

let harness: Harness;
let world: World;
let codecServer: FastifyInstance;
const UI_ORIGIN = 'http://localhost:8233';
const AUTHORIZATION = `Bearer codec-${randomUUID()}`;

beforeAll(async () => {
  harness = await startHarness();
  world = await createWorld(harness.db);
  codecServer = Fastify();
  registerCodecEndpoint(codecServer, {
    codec: new EncryptionCodec(parsePayloadKeys(process.env[PAYLOAD_KEYS_VARIABLE])!),
    allowedOrigins: [UI_ORIGIN],
    authorization: AUTHORIZATION,
  });
});
afterAll(async () => {
  await codecServer.close();
  await harness.stop();
});

const send = (workflowId: string, input: Parameters<typeof sendLiveChatMessage>[1]) =>
  sendLiveChatMessage(harness.client, input, { taskQueue: harness.taskQueue, workflowId });

const storedHistory = async (workflowId: string) =>
  storedText(await harness.client.workflow.getHandle(workflowId).fetchHistory());

test('a delivered message: phone, address and text are ciphertext in the stored history', async () => {
  const text = `Your order #1042 is ready, Maria (${randomUUID()})`;
  const ids = { whatsapp: `pii-whatsapp-${randomUUID()}`, email: `pii-email-${randomUUID()}` };
  await send(ids.whatsapp, {
    liveChatId: world.liveChat,
    channelId: world.whatsapp,
    to: { account: world.mariaPhone },
    text,
  });
  await send(ids.email, {
    liveChatId: world.liveChat,
    channelId: world.email,
    to: { account: world.mariaEmail },
    text,
  });
  expect(harness.outbox.whatsapp.received.map((m) => m.text)).toContain(text);

  let searched = 0;
  let found = 0;
  for (const [channel, account] of [
    ['whatsapp', world.mariaPhone],
    ['email', world.mariaEmail],
  ] as const) {
    const stored = await storedHistory(ids[channel]);
    expect(stored).toContain('binary/encrypted');
    const readable = { phone: world.mariaPhone.slice(1), account, text: 'Your order #1042', name: 'Maria' };
    for (const [what, value] of Object.entries(readable)) {
      searched++;
      if (stored.includes(value)) found++;
      expect({ channel, what, inStoredHistory: stored.includes(value) }).toEqual({
        channel,
        what,
        inStoredHistory: false,
      });
    }
    // The same history through the key: everything is there (so the search above can find it).
    const decrypted = await historyText(harness.client, ids[channel]);
    expect(decrypted).toContain(text);
    expect(decrypted).toContain(account);
  }
  reportFaultCase({
    case: 'personal data in stored histories',
    requests: 2,
    notes: `${searched} contact values searched in 2 stored histories: ${found} found in plaintext (all found once decrypted)`,
  });
});

test("a refusal's message names the number, yet the stored failure does not; the process still reads it", async () => {
  const unknown = uniquePhone();
  const workflowId = `pii-refused-${randomUUID()}`;
  const refused = await send(workflowId, {
    liveChatId: world.liveChat,
    channelId: world.whatsapp,
    to: { account: `${unknown}x` },
    text: 'Your order #1042 is ready',
  }).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(WorkflowFailedError);
  // The workflow failed because its activity refused the account: that refusal's message names it.
  const refusal = (refused as WorkflowFailedError).cause?.cause as Error | undefined;
  expect(refusal?.message).toContain(unknown.slice(1));

  const stored = await storedHistory(workflowId);
  expect(stored).toContain('Encoded failure');
  expect(stored).not.toContain(unknown.slice(1));
  expect(await historyText(harness.client, workflowId)).toContain(unknown.slice(1));
});

describe('the codec endpoint (Temporal UI, temporal --codec-endpoint)', () => {
  async function storedInput(workflowId: string) {
    const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) throw new Error('the history has no input');
    return {
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    };
  }

  test('decodes a stored payload for the holder of the key, from Temporal UI origin', async () => {
    const workflowId = `pii-codec-${randomUUID()}`;
    const text = `Your order #1042 is ready (${randomUUID()})`;
    await send(workflowId, {
      liveChatId: world.liveChat,
      channelId: world.whatsapp,
      to: { account: world.mariaPhone },
      text,
    });
    const payload = await storedInput(workflowId);

    const answer = await codecServer.inject({
      method: 'POST',
      url: '/decode',
      headers: { origin: UI_ORIGIN, authorization: AUTHORIZATION, 'x-namespace': 'default' },
      payload: { payloads: [payload] },
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    const [decoded] = answer.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>()
      .payloads;
    expect(Buffer.from(decoded!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded!.data, 'base64').toString())).toMatchObject({ text });

    // encode then decode gives back the original: what the CLI does for `--input` with a codec.
    const encoded = await codecServer.inject({
      method: 'POST',
      url: '/encode',
      headers: { authorization: AUTHORIZATION },
      payload: { payloads: [decoded] },
    });
    expect(encoded.json<{ payloads: unknown[] }>().payloads[0]).not.toEqual(decoded);
  });

  test('refuses a wrong Authorization, gives other origins no CORS grant, and rejects malformed bodies', async () => {
    const payload = await (async () => {
      const workflowId = `pii-codec-${randomUUID()}`;
      await send(workflowId, {
        liveChatId: world.liveChat,
        channelId: world.whatsapp,
        to: { account: world.mariaPhone },
        text: 'Your order #1042 is ready',
      });
      return storedInput(workflowId);
    })();
    const wrong = await codecServer.inject({
      method: 'POST',
      url: '/decode',
      headers: { authorization: 'Bearer guess' },
      payload: { payloads: [payload] },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain('Your order');

    const preflight = await codecServer.inject({
      method: 'OPTIONS',
      url: '/decode',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();

    const malformed = await codecServer.inject({
      method: 'POST',
      url: '/decode',
      headers: { authorization: AUTHORIZATION },
      payload: { payloads: [{ data: 'not base64!' }] },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { type: 'InvalidPayloads' } });

    const tampered = { ...payload, data: Buffer.from('x'.repeat(64)).toString('base64') };
    const altered = await codecServer.inject({
      method: 'POST',
      url: '/decode',
      headers: { authorization: AUTHORIZATION },
      payload: { payloads: [tampered] },
    });
    expect(altered.statusCode).toBe(400);
    expect(altered.json()).toMatchObject({ error: { type: 'UndecodablePayload' } });
  });
});
