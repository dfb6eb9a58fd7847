import { ConfigError } from '../../config/environment';

/** How one email channel's mailbox is reached: from `IMAP_URL_<CHANNEL>` in the worker's environment. */
export interface ImapMailboxConfig {
  host: string;
  port: number;
  /** `imaps://`: TLS from the first byte. */
  secure: boolean;
  /** `imap://`: STARTTLS is required, unless the URL says `?tls=none` (cleartext, loopback tests). */
  starttls: boolean;
  user: string;
  /** Secret: never logged, never in Temporal. */
  password: string;
  /** The mailbox read (the URL's path; default INBOX). */
  mailbox: string;
  /** `?processed=<folder>`: where a recorded mail is moved; without it, it is marked \Seen. */
  processedMailbox?: string;
}

/**
 * The variable that configures a channel's mailbox: `IMAP_URL_` and the channel id in upper case,
 * every character other than a letter or digit made `_` (`support-email` → `IMAP_URL_SUPPORT_EMAIL`).
 */
export function imapUrlVariable(channelId: string): string {
  return `IMAP_URL_${channelId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Reads `imaps://user:password@host[:993][/mailbox][?processed=folder]` or
 * `imap://user:password@host[:143][/mailbox][?tls=none][&processed=folder]`. User and password are
 * percent-encoded as in any URL. The error names the variable, never its value (it holds the password).
 */
export function parseImapUrl(variable: string, value: string): ImapMailboxConfig {
  const fail = (why: string): never => {
    throw new ConfigError(`${variable}: ${why} (expected imaps://user:password@host:993/INBOX)`);
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('not a valid URL');
  }
  if (url.protocol !== 'imaps:' && url.protocol !== 'imap:') fail(`must start with imaps:// or imap://`);
  const secure = url.protocol === 'imaps:';
  if (url.hostname === '') fail('has no host');
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (user === '' || password === '') fail('needs a user and a password');
  const tls = url.searchParams.get('tls');
  if (tls !== null && tls !== 'none' && tls !== 'starttls') fail('tls= may only be none or starttls');
  if (secure && tls === 'none') fail('imaps:// is TLS; tls=none only goes with imap://');
  for (const key of url.searchParams.keys()) {
    if (key !== 'tls' && key !== 'processed') fail(`unknown parameter ${key}`);
  }
  const mailbox = decodeURIComponent(url.pathname.replace(/^\/+/, '')) || 'INBOX';
  const processed = url.searchParams.get('processed');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    secure,
    starttls: !secure && tls !== 'none',
    user,
    password,
    mailbox,
    ...(processed ? { processedMailbox: processed } : {}),
  };
}

/** The email channels among `channelIds` with a mailbox configured in `env`, with their settings. */
export function imapMailboxesOf(
  channelIds: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { channelId: string; mailbox: ImapMailboxConfig }[] {
  return channelIds.flatMap((channelId) => {
    const variable = imapUrlVariable(channelId);
    const value = env[variable];
    return value ? [{ channelId, mailbox: parseImapUrl(variable, value) }] : [];
  });
}
