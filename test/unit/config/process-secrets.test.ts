import { randomBytes } from 'node:crypto';
import { consentKeyFrom } from '../../../config/consent-key';
import { processSecrets } from '../../../config/secrets';
import { createLogger } from '../../../infra/logger';

test("each mailbox's IMAP password is a secret the logger masks, decoded as the reader uses it", () => {
  const env = {
    IMAP_URL_SUPPORT_EMAIL: 'imaps://support%40shop.example:p%40ss%2Fw0rd@imap.shop.example/INBOX',
    IMAP_URL_SALES: 'not a url',
    DATABASE_URL: 'postgres://app:db-secret@127.0.0.1:5432/livechat',
  };
  const secrets = processSecrets(env);
  expect(secrets).toEqual(expect.arrayContaining(['p@ss/w0rd', 'db-secret']));
  expect(secrets).not.toContain('support@shop.example');

  const lines: string[] = [];
  const logger = createLogger({
    secrets,
    destination: { write: (line: string) => void lines.push(line) },
  });
  logger.warn({ error: 'login failed for p@ss/w0rd' }, 'imap reader failed');
  expect(lines.join('')).toContain('imap reader failed');
  expect(lines.join('')).not.toContain('p@ss/w0rd');
});

test('the consent key is a secret the logger masks; a short or malformed one is refused at start', () => {
  const key = randomBytes(32).toString('base64');
  expect(processSecrets({ LIVECHAT_CONSENT_KEY: key })).toContain(key);
  expect(consentKeyFrom({ LIVECHAT_CONSENT_KEY: key })).toEqual(Buffer.from(key, 'base64'));
  expect(() => consentKeyFrom({ LIVECHAT_CONSENT_KEY: randomBytes(16).toString('base64') })).toThrow(
    /at least 32 bytes, got 16/,
  );
  expect(() => consentKeyFrom({ LIVECHAT_CONSENT_KEY: 'not base64!' })).toThrow(/not base64/);
  // Unset: the development key, the same in every process of the run.
  expect(consentKeyFrom({})).toEqual(consentKeyFrom({}));
});
