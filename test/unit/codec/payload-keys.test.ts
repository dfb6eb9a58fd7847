import { randomBytes } from 'node:crypto';
import { parsePayloadKeys } from '../../../codec/payload-keys';
import { ConfigError } from '../../../config/environment';

const key = () => randomBytes(32).toString('base64');

test('the first key encrypts and every listed key decrypts', () => {
  const [newer, older] = [key(), key()];
  const ring = parsePayloadKeys(`2026-12:${newer}, 2026-06:${older}`)!;
  expect(ring.active.id).toBe('2026-12');
  expect([...ring.byId.keys()]).toEqual(['2026-12', '2026-06']);
  expect(ring.byId.get('2026-06')!.key.toString('base64')).toBe(older);
});

test('unset or empty means no encryption', () => {
  expect(parsePayloadKeys(undefined)).toBeUndefined();
  expect(parsePayloadKeys('  ')).toBeUndefined();
});

test.each([
  ['no separator', 'just-a-key', /entry 1: must be id:base64-key/],
  ['a short key', `k1:${randomBytes(16).toString('base64')}`, /must be 32 bytes \(AES-256\), got 16/],
  ['not base64', 'k1:not base64!', /the key is not base64/],
  ['a bad id', `k 1:${key()}`, /the id must be/],
  ['an id twice', `k1:${key()},k1:${key()}`, /the id k1 is given twice/],
])('%s is a ConfigError that never prints the key', (_case, value, message) => {
  let error: unknown;
  try {
    parsePayloadKeys(value);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toMatch(message);
  const secret = value.split(',')[0]!.split(':')[1];
  if (secret && secret.length > 8) expect((error as Error).message).not.toContain(secret);
});
