import { PAYLOAD_KEYS_VARIABLE } from '../codec/payload-keys';
import { secretsOf, type ProviderConfig } from './providers';

/**
 * Every secret a process is configured with: the providers' (see `secretsOf`), the payload
 * encryption keys, the consent key, the passwords of the database and of each mailbox
 * (`IMAP_URL_<CHANNEL>`), and Temporal's API key. The logger masks each of them wherever a line
 * would carry one.
 */
export function processSecrets(env: NodeJS.ProcessEnv, providers?: ProviderConfig): string[] {
  const secrets = providers ? secretsOf(providers) : [];
  for (const entry of (env[PAYLOAD_KEYS_VARIABLE] ?? '').split(',')) {
    const key = entry.slice(entry.indexOf(':') + 1).trim();
    if (entry.includes(':') && key) secrets.push(key);
  }
  const urls = [
    env.DATABASE_URL,
    ...Object.entries(env).flatMap(([k, v]) => (k.startsWith('IMAP_URL_') ? [v] : [])),
  ];
  for (const url of urls) {
    if (!url) continue;
    try {
      const password = decodeURIComponent(new URL(url).password);
      if (password) secrets.push(password);
    } catch {
      // Not a URL (a connection string of another form): nothing to take out of it here.
    }
  }
  if (env.TEMPORAL_API_KEY) secrets.push(env.TEMPORAL_API_KEY);
  if (env.LIVECHAT_CONSENT_KEY?.trim()) secrets.push(env.LIVECHAT_CONSENT_KEY.trim());
  return [...new Set(secrets)];
}
