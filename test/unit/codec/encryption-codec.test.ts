import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec, PayloadDecryptionError } from '../../../codec/encryption-codec';
import { parsePayloadKeys } from '../../../codec/payload-keys';

const key = () => randomBytes(32).toString('base64');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const input = { to: { account: '+4915123456789' }, text: 'Your order #1042 is ready, Maria' };

test('a payload is sealed (nothing readable, the key id beside it) and opens to the same value', async () => {
  const codec = new EncryptionCodec(parsePayloadKeys(`k1:${key()}`)!);
  const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(input)]);
  expect(text(sealed!.metadata!.encoding)).toBe('binary/encrypted');
  expect(text(sealed!.metadata!['encryption-key-id'])).toBe('k1');
  expect(text(sealed!.data)).not.toContain('4915123456789');
  expect(text(sealed!.data)).not.toContain('Maria');
  const [opened] = await codec.decode([sealed!]);
  expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(input);
});

test('the same value encrypts differently each time (a fresh IV)', async () => {
  const codec = new EncryptionCodec(parsePayloadKeys(`k1:${key()}`)!);
  const payload = defaultPayloadConverter.toPayload(input);
  const [a, b] = await codec.encode([payload, payload]);
  expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
});

test('after a rotation, new payloads use the new key and old ones still open', async () => {
  const [oldKey, newKey] = [key(), key()];
  const before = new EncryptionCodec(parsePayloadKeys(`old:${oldKey}`)!);
  const after = new EncryptionCodec(parsePayloadKeys(`new:${newKey},old:${oldKey}`)!);
  const [written] = await before.encode([defaultPayloadConverter.toPayload(input)]);
  expect(defaultPayloadConverter.fromPayload((await after.decode([written!]))[0]!)).toEqual(input);
  const [rewritten] = await after.encode([defaultPayloadConverter.toPayload(input)]);
  expect(text(rewritten!.metadata!['encryption-key-id'])).toBe('new');
  // A worker that only has the old key cannot read what the new key wrote, and says why.
  await expect(before.decode([rewritten!])).rejects.toThrow(
    /key "new", which is not in LIVECHAT_PAYLOAD_KEYS/,
  );
});

test('an altered or truncated payload is refused, not decoded to garbage', async () => {
  const codec = new EncryptionCodec(parsePayloadKeys(`k1:${key()}`)!);
  const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(input)]);
  const altered = Buffer.from(sealed!.data!);
  altered[20] = altered[20]! ^ 0xff;
  await expect(codec.decode([{ ...sealed!, data: altered }])).rejects.toThrow(PayloadDecryptionError);
  await expect(codec.decode([{ ...sealed!, data: altered.subarray(0, 10) }])).rejects.toThrow(/truncated/);
});

test('a payload written before encryption was switched on is read as it is', async () => {
  const codec = new EncryptionCodec(parsePayloadKeys(`k1:${key()}`)!);
  const plain = defaultPayloadConverter.toPayload(input);
  expect(defaultPayloadConverter.fromPayload((await codec.decode([plain]))[0]!)).toEqual(input);
});
