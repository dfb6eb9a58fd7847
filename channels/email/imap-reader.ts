import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { ImapFlow } from 'imapflow';
import type { Knex } from 'knex';
import {
  acquireMailboxLease,
  advanceCursor,
  cursorOfHolder,
  releaseMailboxLease,
  renewMailboxLease,
  reportMailboxStatus,
} from '../../db/email-mailboxes';
import { isLiveChatError } from '../../domain/errors';
import type { ImapMailboxConfig } from './imap-config';
import { acceptInboundMail } from './inbound';

export interface ImapReaderOptions {
  db: Knex;
  /** The email channel whose mailbox this is. */
  channelId: string;
  mailbox: ImapMailboxConfig;
  /**
   * How often the mailbox is checked besides IDLE's notices (and the only way on a server without
   * IDLE). Default 60 s.
   */
  pollMs?: number;
  /** How long the mailbox stays this reader's without a renewal. Default 90 s; more than `pollMs`. */
  leaseMs?: number;
  /** The first pause after a failure; it doubles up to a minute. Default 1 s. */
  retryDelayMs?: number;
  /** Extra TLS options (a private CA in tests; in the worker, NODE_EXTRA_CA_CERTS does this). */
  tls?: ConnectionOptions;
  /** Told about failures and mails that were skipped. Errors never carry the password. */
  onError?: (error: Error) => void;
  /** Names this reader in the lease; default host, pid and a random part. */
  owner?: string;
}

export type ImapReaderState =
  'starting' | 'standby' | 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** What a health check reads of one reader in this process. */
export interface ImapReaderStatus {
  channelId: string;
  mailbox: string;
  /** `standby`: another worker holds the mailbox; `disconnected`: failing, retrying. */
  state: ImapReaderState;
  connected: boolean;
  /** The last time the mailbox was read to its end. */
  lastPollAt: Date | null;
  /** The last failure (cleared by the next successful read), without personal data or secrets. */
  lastError: string | null;
  lastErrorAt: Date | null;
}

export interface ImapReader {
  status(): ImapReaderStatus;
  /** Finishes the mail in hand, logs out, gives the mailbox up; resolves when stopped. */
  stop(): Promise<void>;
}

/** The lease was taken over (this reader was paused past it): stop reading, another reader has it. */
class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/**
 * Reads one email channel's mailbox over IMAP into the chat history, through the same pipeline as
 * the webhook (`acceptInboundMail`). Each mail is read once, in UID order: the mailbox's
 * UIDVALIDITY and the last UID recorded are kept in PostgreSQL and moved only after the mail is
 * recorded, so a restart or a reconnect reads on from there (a mail read again after a crash is
 * recorded once, by its Message-ID); a new UIDVALIDITY reads the mailbox from its start, again
 * recording each mail once. A mail is marked \Seen (or moved to the `processed` folder) only after
 * it is recorded. IDLE wakes the reader when mail arrives, and it checks every `pollMs` anyway.
 * One reader per mailbox across all workers: the mailbox is leased in PostgreSQL.
 */
export function startImapReader(options: ImapReaderOptions): ImapReader {
  const { db, channelId, mailbox: config } = options;
  const pollMs = options.pollMs ?? 60_000;
  const leaseMs = options.leaseMs ?? Math.max(90_000, pollMs * 3);
  if (leaseMs <= pollMs) throw new Error('the IMAP lease must last longer than the poll interval');
  const firstDelay = options.retryDelayMs ?? 1_000;
  const owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const stopping = new AbortController();
  let wake: () => void = () => undefined;
  let client: ImapFlow | undefined;
  let connecting = false;
  const status: ImapReaderStatus = {
    channelId,
    mailbox: config.mailbox,
    state: 'starting',
    connected: false,
    lastPollAt: null,
    lastError: null,
    lastErrorAt: null,
  };

  const scrub = (text: string): string =>
    config.password.length >= 3 ? text.split(config.password).join('***') : text;

  function report(error: unknown): void {
    const safe = safeError(error, scrub);
    status.lastError = safe.message;
    status.lastErrorAt = new Date();
    options.onError?.(safe);
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        const cursor = await acquireMailboxLease(db, { channelId, mailbox: config.mailbox, owner, leaseMs });
        if (!cursor) {
          status.state = 'standby';
          status.connected = false;
          await pause(Math.min(pollMs, leaseMs / 3), stopping.signal);
          continue;
        }
        await session();
        failures = 0;
      } catch (error) {
        if (stopping.signal.aborted) break;
        failures += 1;
        status.state = 'disconnected';
        status.connected = false;
        report(error);
        await reportMailboxStatus(db, {
          channelId,
          owner,
          leaseMs,
          connected: false,
          lastPollAt: status.lastPollAt,
          lastError: status.lastError,
        }).catch(() => undefined);
        await pause(Math.min(firstDelay * 2 ** (failures - 1), 60_000), stopping.signal);
      }
    }
    status.state = 'stopped';
    status.connected = false;
    await releaseMailboxLease(db, channelId, owner).catch(report);
  }

  /** One connection: open the mailbox, read what is new, wait for more; until stopped or cut. */
  async function session(): Promise<void> {
    status.state = 'connecting';
    const imap = new ImapFlow({
      host: config.host,
      port: config.port,
      secure: config.secure,
      doSTARTTLS: config.secure ? undefined : config.starttls,
      auth: { user: config.user, pass: config.password },
      ...(options.tls ? { tls: options.tls } : {}),
      // Never log: the traffic carries the login and customers' mail.
      logger: false,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: Math.max(5 * 60_000, pollMs * 2),
      maxIdleTime: pollMs,
      // IDLE soon after each read, so new mail is noticed at once.
      autoIdleDelay: 1_000,
      clientInfo: { name: 'livechat-temporal' },
    });
    let closed = false;
    let failure: Error | undefined;
    imap.on('exists', () => wake());
    imap.on('error', (error: Error) => {
      failure = error;
    });
    imap.on('close', () => {
      closed = true;
      wake();
    });
    client = imap;
    // The lease is renewed on a clock of its own, so a slow connect or a long read keeps it; when
    // it is lost all the same (this process was stalled past it), the connection ends.
    let lost = false;
    const renewal = setInterval(() => {
      renewMailboxLease(db, { channelId, owner, leaseMs })
        .then((held) => {
          if (held) return;
          lost = true;
          imap.close();
        })
        .catch(() => undefined);
    }, leaseMs / 3);
    try {
      connecting = true;
      try {
        await imap.connect();
      } finally {
        connecting = false;
      }
      if (stopping.signal.aborted) return;
      await imap.mailboxOpen(config.mailbox);
      while (!stopping.signal.aborted && !closed) {
        await readNewMail(imap);
        if (closed) break;
        status.state = 'connected';
        status.connected = true;
        status.lastPollAt = new Date();
        status.lastError = null;
        const held = await reportMailboxStatus(db, {
          channelId,
          owner,
          leaseMs,
          connected: true,
          lastPollAt: status.lastPollAt,
          lastError: null,
        });
        if (!held) throw new LeaseLost('another reader took the mailbox over');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, pollMs);
          stopping.signal.addEventListener('abort', done, { once: true });
          wake = done;
          function done() {
            clearTimeout(timer);
            stopping.signal.removeEventListener('abort', done);
            wake = () => undefined;
            resolve();
          }
        });
      }
      if (lost) throw new LeaseLost('another reader took the mailbox over');
      if (closed && !stopping.signal.aborted)
        throw failure ?? new Error('the IMAP server closed the connection');
    } finally {
      clearInterval(renewal);
      client = undefined;
      if (!closed) await imap.logout().catch(() => imap.close());
    }
  }

  /** Every mail after the cursor, in UID order; each recorded, then marked, then the cursor moved. */
  async function readNewMail(imap: ImapFlow): Promise<void> {
    const opened = imap.mailbox;
    if (!opened) throw new Error('the mailbox is not open');
    const uidValidity = String(opened.uidValidity);
    const cursor = await cursorOfHolder(db, channelId, owner);
    if (!cursor) throw new LeaseLost('another reader took the mailbox over');
    // Another UIDVALIDITY (or another mailbox) means the stored UID says nothing any more: read it
    // all again from its start; what was recorded before is recorded once, by its Message-ID.
    const fresh = cursor.uidValidity !== uidValidity || cursor.mailbox !== config.mailbox;
    let lastUid = fresh ? 0 : cursor.lastUid;
    if (fresh) await moveCursor(uidValidity, 0);
    const found = await imap.search({ uid: `${lastUid + 1}:*` }, { uid: true });
    // `n:*` also matches the last mail when every UID is below n (RFC 9051 §6.4.8).
    const uids = (found || []).filter((uid) => uid > lastUid).sort((a, b) => a - b);
    for (const uid of uids) {
      if (stopping.signal.aborted) return;
      const mail = await imap.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      // A mail expunged since the search is gone: nothing to record.
      const recorded = mail && mail.source ? await accept(mail.source) : false;
      // Marked before the cursor moves past it: a reader killed in between reads the mail again,
      // records it once (by its Message-ID) and marks it then; the other order left it unmarked.
      if (recorded) await markRecorded(imap, uid);
      lastUid = uid;
      await moveCursor(uidValidity, lastUid);
    }
  }

  async function moveCursor(uidValidity: string, lastUid: number): Promise<void> {
    const held = await advanceCursor(db, {
      channelId,
      owner,
      leaseMs,
      mailbox: config.mailbox,
      uidValidity,
      lastUid,
    });
    if (!held) throw new LeaseLost('another reader took the mailbox over');
  }

  async function accept(raw: Buffer): Promise<boolean> {
    try {
      await acceptInboundMail(db, channelId, raw, new Date());
      return true;
    } catch (error) {
      // A mail that breaks a rule (no sender, several senders) will not get better by reading it
      // again: it is reported and left in the mailbox, unmarked, for a person to look at. Anything
      // else (the database is down) is retried, the cursor left where it was.
      if (!isLiveChatError(error)) throw error;
      report(new Error(`skipped a mail of channel ${channelId} that cannot be recorded: ${error.type}`));
      return false;
    }
  }

  async function markRecorded(imap: ImapFlow, uid: number): Promise<void> {
    if (config.processedMailbox) {
      await imap.messageMove(String(uid), config.processedMailbox, { uid: true });
    } else {
      await imap.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    }
  }

  const running = run();
  return {
    status: () => ({ ...status }),
    async stop(): Promise<void> {
      stopping.abort();
      wake();
      // A connection attempt to a server that does not answer would hold shutdown for its timeout.
      if (connecting) client?.close();
      await running;
    },
  };
}

/** An error fit for logs and health checks: its kind and message, the password scrubbed. */
function safeError(error: unknown, scrub: (text: string) => string): Error {
  if (isLiveChatError(error)) return new Error(scrub(`${error.type}`));
  if (error instanceof Error) {
    const details = error as Error & { responseText?: unknown; code?: unknown };
    const extra =
      typeof details.responseText === 'string' && details.responseText !== ''
        ? ` (${details.responseText})`
        : typeof details.code === 'string'
          ? ` (${details.code})`
          : '';
    const safe = new Error(scrub(`${error.message}${extra}`).slice(0, 500));
    safe.name = error.name;
    return safe;
  }
  return new Error(scrub(String(error)).slice(0, 500));
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** The readers of one worker process, and their statuses for its health check. */
export interface ImapReaders {
  /** One entry per configured mailbox: what `/readyz` reports. */
  statuses(): ImapReaderStatus[];
  stop(): Promise<void>;
}

export function startImapReaders(
  mailboxes: readonly { channelId: string; mailbox: ImapMailboxConfig }[],
  options: Omit<ImapReaderOptions, 'channelId' | 'mailbox'>,
): ImapReaders {
  const readers = mailboxes.map((m) => startImapReader({ ...options, ...m }));
  return {
    statuses: () => readers.map((r) => r.status()),
    stop: async () => {
      await Promise.all(readers.map((r) => r.stop()));
    },
  };
}
