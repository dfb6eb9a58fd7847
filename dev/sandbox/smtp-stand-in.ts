import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { FaultPlan } from './faults';

/** How the stand-in answers a message instead of accepting it, e.g. 451 (try later) or 550 (no such mailbox). */
export interface SmtpFailure {
  code: number;
  message: string;
  /**
   * Where it answers: at RCPT TO (default: an unknown mailbox, greylisting), or after the whole
   * message was sent, at the end of DATA (content refused, a full queue).
   */
  stage?: 'rcpt' | 'data';
}

/** One message the stand-in accepted, as a mail client would read it. */
export interface ReceivedEmail {
  /** The Message-ID header, angle brackets included. */
  messageId: string | undefined;
  /** The From address. */
  from: string | undefined;
  /** The To addresses. */
  to: string[];
  subject: string | undefined;
  text: string | undefined;
  /** False when the message has no HTML part. */
  html: string | false;
  /** The Content-Type of the message's top part, e.g. `text/plain`. */
  contentType: string | undefined;
  inReplyTo: string | undefined;
  /** The References header as a list, oldest first. */
  references: string[];
  /** The attached files as the recipient's mail client sees them, with the SHA-256 of their bytes. */
  attachments: { filename: string | undefined; contentType: string; size: number; sha256: string }[];
  /** The SMTP envelope: who the client said it is and whom it gave the message to. */
  envelope: { mailFrom: string | undefined; rcptTo: string[] };
  /** Each header as it arrived (unfolded), by lower-cased name; the first of a repeated one. */
  headers: Record<string, string>;
  receivedAt: Date;
}

/** One try to hand over a message to one recipient: accepted (250) or refused by the fault plan. */
export interface SmtpAttempt {
  to: string;
  code: number;
  at: Date;
}

export interface SmtpStandIn {
  port: number;
  /** `smtp://user:password@127.0.0.1:port`: the password is generated per stand-in. */
  url: string;
  /** Every message accepted, in order. */
  received: ReceivedEmail[];
  /** Every recipient the client tried, with the answer it got (one entry per message and recipient). */
  attempts: SmtpAttempt[];
  /** Answers the next recipients with a failure (`failNext`), adds latency, limits the rate. */
  faults: FaultPlan<SmtpFailure>;
  stop(): Promise<void>;
}

export interface SmtpStandInOptions {
  /** Default: generated. */
  username?: string;
  /** Default: generated. */
  password?: string;
  /** Largest message accepted, in bytes; default 25 MB (what common providers take). */
  maxMessageBytes?: number;
  /** Port on 127.0.0.1; default: a free one. */
  port?: number;
}

/**
 * A local SMTP server that speaks real SMTP (smtp-server) with authentication, so nodemailer is
 * exercised exactly as against a provider, and keeps what it receives (parsed with mailparser). The
 * fault plan is asked once per recipient (our adapter sends one per message) whether to refuse it;
 * over the rate limit it answers 451.
 */
export async function startSmtpStandIn(options: SmtpStandInOptions = {}): Promise<SmtpStandIn> {
  const username = options.username ?? `standin-${randomBytes(4).toString('hex')}`;
  const password = options.password ?? randomBytes(16).toString('hex');
  const expectedUser = digest(username);
  const expectedPassword = digest(password);
  const received: ReceivedEmail[] = [];
  const attempts: SmtpAttempt[] = [];
  const faults = new FaultPlan<SmtpFailure>();
  // Failures the plan chose at RCPT TO for the end of DATA, per SMTP session.
  const atData = new Map<string, SmtpFailure>();

  const server = new SMTPServer({
    name: 'smtp-stand-in.invalid',
    secure: false,
    // Plain text on loopback only; the client must still log in.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    authMethods: ['PLAIN', 'LOGIN'],
    size: options.maxMessageBytes ?? 25 * 1024 * 1024,
    rejectOversized: true,
    disableReverseLookup: true,
    logger: false,
    // Pooled client connections stay open; do not hold stop() for the default 30 s.
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      const userOk = timingSafeEqual(digest(auth.username ?? ''), expectedUser);
      const passwordOk = timingSafeEqual(digest(auth.password ?? ''), expectedPassword);
      if (userOk && passwordOk) return callback(null, { user: username });
      callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
    },
    onRcptTo(address, session, callback) {
      faults.next().then(
        ({ failure, rateLimited }) => {
          if (failure?.stage === 'data') {
            atData.set(session.id, failure);
            return callback(null);
          }
          const refusal =
            failure ??
            (rateLimited ? { code: 451, message: '4.7.1 Rate limit exceeded, try again later' } : undefined);
          attempts.push({ to: address.address, code: refusal?.code ?? 250, at: new Date() });
          callback(refusal ? smtpError(refusal.code, refusal.message) : null);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
    onData(stream, session, callback) {
      simpleParser(stream, { skipTextToHtml: true, skipImageLinks: true, checksumAlgo: false }).then(
        (mail) => {
          if (stream.sizeExceeded) return callback(smtpError(552, '5.3.4 Message too big'));
          const refusal = atData.get(session.id);
          if (refusal) {
            atData.delete(session.id);
            for (const rcpt of session.envelope.rcptTo)
              attempts.push({ to: rcpt.address, code: refusal.code, at: new Date() });
            return callback(smtpError(refusal.code, refusal.message));
          }
          received.push({
            messageId: mail.messageId,
            from: addresses(mail.from)[0],
            to: addresses(mail.to),
            subject: mail.subject,
            text: mail.text,
            html: mail.html ?? false,
            contentType: contentTypeOf(mail.headers.get('content-type')),
            inReplyTo: mail.inReplyTo,
            references: mail.references === undefined ? [] : [mail.references].flat(),
            attachments: mail.attachments.map((file) => ({
              filename: file.filename,
              contentType: file.contentType,
              size: file.content.length,
              sha256: createHash('sha256').update(file.content).digest('hex'),
            })),
            envelope: {
              mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
              rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            },
            headers: rawHeaders(mail.headerLines),
            receivedAt: new Date(),
          });
          callback(null, `Message queued as ${mail.messageId ?? 'unknown'}`);
        },
        (error: unknown) =>
          callback(
            smtpError(
              451,
              `4.3.0 Could not read the message: ${error instanceof Error ? error.message : String(error)}`,
            ),
          ),
      );
    },
  });

  // A client that vanishes mid-session (a worker killed with pooled connections open) is the
  // client's failure, not the stand-in's: without a listener the reset would crash the process.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    url: `smtp://${encodeURIComponent(username)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    received,
    attempts,
    faults,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Fixed-length digests, so timingSafeEqual compares secrets of any length in constant time. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function smtpError(code: number, message: string): SMTPServerError {
  const error: SMTPServerError = new Error(message);
  error.responseCode = code;
  return error;
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  if (header === undefined) return [];
  return [header]
    .flat()
    .flatMap((object) => object.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .map((entry) => entry.address)
    .filter((address): address is string => typeof address === 'string');
}

function contentTypeOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'value' in value && typeof value.value === 'string')
    return value.value;
  return undefined;
}

/** Header lines as `name: value`, unfolded, the first of each name. */
function rawHeaders(lines: readonly { key: string; line: string }[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of lines) {
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    headers[key] ??= value;
  }
  return headers;
}
