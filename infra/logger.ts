import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger };

const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * Keys whose values are personal data or secrets wherever they appear in a log line's fields (at the
 * top or one level down): they are replaced by `[redacted]`. The code does not log such values in
 * the first place; this is the net under it.
 */
const SENSITIVE_KEYS = [
  'to',
  'from',
  'text',
  'body',
  'subject',
  'caption',
  'phone',
  'email',
  'address',
  'account',
  'name',
  'firstName',
  'lastName',
  'password',
  'token',
  'secret',
  'authToken',
  'apiKey',
  'authorization',
  'cookie',
  'set-cookie',
  'x-twilio-signature',
  'x-telegram-bot-api-secret-token',
];
const REDACTED_PATHS = SENSITIVE_KEYS.flatMap((key) => [`["${key}"]`, `*["${key}"]`]);

export interface LoggerOptions {
  /** `trace` … `fatal` or `silent`; default `LOG_LEVEL` (any case), else `info`. */
  level?: string;
  /** Where the JSON lines go (default stdout). */
  destination?: DestinationStream;
  /**
   * Configured secrets (provider tokens, passwords, keys): any line that would contain one has it
   * replaced by `[redacted]`, whichever field or message carries it.
   */
  secrets?: readonly string[];
  /** Fields on every line, e.g. `{ process: 'worker' }`. */
  base?: Record<string, unknown>;
}

/** The level `LOG_LEVEL` names (any case; `WARNING` for `warn`), else `fallback`. */
export function logLevelFrom(value: string | undefined, fallback: Level | 'silent'): Level | 'silent' {
  const wanted = value?.trim().toLowerCase();
  if (wanted === 'silent' || wanted === 'off') return 'silent';
  if (wanted === 'warning') return 'warn';
  return LEVELS.find((level) => level === wanted) ?? fallback;
}

/**
 * The process's structured logger: one JSON object per line (pino), with the ids that identify the
 * work (workflowId, messageId, sessionId) as fields, never a contact's values, a text or a secret.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = [...new Set(options.secrets ?? [])].filter((s) => s.length >= 4);
  return pino(
    {
      level: options.level ?? logLevelFrom(process.env.LOG_LEVEL, 'info'),
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      ...(secrets.length > 0
        ? { hooks: { streamWrite: (line: string) => withoutSecrets(line, secrets) } }
        : {}),
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that writes nothing: the default where a caller gives none (tests, the benchmark). */
export const silentLogger: Logger = pino({ level: 'silent' });

function withoutSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    // As it appears inside a JSON string (a secret with a quote or a backslash).
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join('[redacted]');
  }
  return out;
}

const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
/** Phone numbers and chat ids: 6 digits or more, possibly with `+`, spaces, dots, dashes or brackets between them. */
const NUMBER = /\+?\d(?:[\s().-]?\d){5,}/g;

/**
 * A provider's or library's error text with what could identify a person taken out: email
 * addresses and long numbers (phone numbers, Telegram chat ids) become `[email]` and `[number]`.
 * For free text only (a provider's refusal, an exception's message), never for our ids.
 */
export function scrub(text: string): string {
  return text.replace(EMAIL, '[email]').replace(NUMBER, '[number]');
}

/**
 * An error as a log field: its class (`type`: `name` is a redacted key) and scrubbed message, no
 * stack (stacks can quote inputs).
 */
export function errorField(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name, message: scrub(error.message) };
  return { type: typeof error, message: scrub(String(error)) };
}
