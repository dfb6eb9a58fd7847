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
