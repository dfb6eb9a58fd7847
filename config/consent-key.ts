import { ConfigError } from './environment';

export const CONSENT_KEY_VARIABLE = 'LIVECHAT_CONSENT_KEY';

/**
 * Used when `LIVECHAT_CONSENT_KEY` is unset: fine for the demo and tests, never for production (the
 * hashes and the signed unsubscribe links are then only as secret as this source file).
 */
const DEVELOPMENT_KEY = Buffer.from('livechat-temporal development consent key, not secret', 'utf8');

/**
 * The key of the keyed hashes (suppression entries, the contact search attribute) and of the signed
 * one-click unsubscribe links: `LIVECHAT_CONSENT_KEY`, base64 of at least 32 random bytes
 * (`openssl rand -base64 32`). Every worker, server and CLI of one deployment must share it.
 */
export function consentKeyFrom(env: NodeJS.ProcessEnv = process.env): Buffer {
  const value = env[CONSENT_KEY_VARIABLE]?.trim();
  if (!value) return DEVELOPMENT_KEY;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value))
    throw new ConfigError(`${CONSENT_KEY_VARIABLE}: the key is not base64`);
  const key = Buffer.from(value, 'base64');
  if (key.length < 32) {
    throw new ConfigError(
      `${CONSENT_KEY_VARIABLE}: the key must be at least 32 bytes, got ${key.length}; make one with openssl rand -base64 32`,
    );
  }
  return key;
}
