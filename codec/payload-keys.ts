import { ConfigError } from '../config/environment';

/** One AES-256 key and the id stored beside every payload it encrypted. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** The key that encrypts new payloads, and every key that may still decrypt old ones. */
export interface PayloadKeyRing {
  active: PayloadKey;
  byId: ReadonlyMap<string, PayloadKey>;
}

export const PAYLOAD_KEYS_VARIABLE = 'LIVECHAT_PAYLOAD_KEYS';
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses `LIVECHAT_PAYLOAD_KEYS`: comma-separated `id:base64` pairs, each key 32 random bytes
 * (`openssl rand -base64 32`). The first encrypts; all decrypt, so a key is rotated by putting a
 * new one first and keeping the old ones until no history that needs them is retained. Undefined
 * when the variable is unset or empty. Errors name the entry by position, never print a key.
 */
export function parsePayloadKeys(value: string | undefined): PayloadKeyRing | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const keys: PayloadKey[] = value.split(',').map((entry, index) => {
    const where = `${PAYLOAD_KEYS_VARIABLE} entry ${index + 1}`;
    const separator = entry.indexOf(':');
    if (separator < 0) throw new ConfigError(`${where}: must be id:base64-key`);
    const id = entry.slice(0, separator).trim();
    const encoded = entry.slice(separator + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new ConfigError(`${where}: the id must be 1-64 letters, digits, ".", "_" or "-"`);
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded))
      throw new ConfigError(`${where} (${id}): the key is not base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32) {
      throw new ConfigError(
        `${where} (${id}): the key must be 32 bytes (AES-256), got ${key.length}; make one with openssl rand -base64 32`,
      );
    }
    return { id, key };
  });
  const byId = new Map<string, PayloadKey>();
  for (const key of keys) {
    if (byId.has(key.id)) throw new ConfigError(`${PAYLOAD_KEYS_VARIABLE}: the id ${key.id} is given twice`);
    byId.set(key.id, key);
  }
  return { active: keys[0]!, byId };
}
