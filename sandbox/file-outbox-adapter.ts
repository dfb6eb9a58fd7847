import fs from 'node:fs';
import type { ChannelAdapter, ChannelAdapters, OutboundMessage, SendOutcome } from '../channels/adapter';
import { CHANNEL_KINDS } from '../domain/channels';

/** One delivery as the file outbox records it: a JSON line. */
export interface FileOutboxLine {
  /** When the stand-in accepted the message (ISO time, the worker's clock). */
  at: string;
  /** The worker process that delivered it: deliveries can be counted per process. */
  pid: number;
  /** A label of the worker process (LIVECHAT_SANDBOX_OUTBOX_LABEL), when it has one. */
  worker?: string;
  messageId: string;
  sessionId: string;
  channelId: string;
  kind: string;
  to: string;
  text: string;
  providerMessageId: string;
}

export interface FileOutboxOptions {
  /** Recorded in every line, to tell worker processes apart beyond their pid. */
  label?: string;
  /**
   * How long the stand-in takes to answer after it has recorded the message, like a provider whose
   * response is slow to come back. A worker killed in that window has delivered the message but
   * not recorded it: the retry on another worker delivers it a second time (at-least-once at the
   * provider boundary). 0 by default.
   */
  answerDelayMs?: number;
}

/**
 * A stand-in provider for several worker processes at once: every delivery is appended as one
 * JSON line to a shared file, so a test (or a person with `tail -f`) can count deliveries across
 * processes. Each line is written with a single `write` on a file opened with O_APPEND, which
 * Linux performs atomically for lines this small: lines from concurrent processes never
 * interleave. Not a provider: nothing leaves the machine.
 */
export class FileOutboxAdapter implements ChannelAdapter {
  private sent = 0;

  constructor(
    readonly file: string,
    private readonly options: FileOutboxOptions = {},
  ) {}

  async send(message: OutboundMessage): Promise<SendOutcome> {
    this.sent += 1;
    const providerMessageId = `outbox-${process.pid}-${this.sent}`;
    const line: FileOutboxLine = {
      at: new Date().toISOString(),
      pid: process.pid,
      ...(this.options.label !== undefined ? { worker: this.options.label } : {}),
      messageId: message.messageId,
      sessionId: message.sessionId,
      channelId: message.channel.id,
      kind: message.channel.kind,
      to: message.to,
      text: message.text,
      providerMessageId,
    };
    await fs.promises.appendFile(this.file, `${JSON.stringify(line)}\n`, { flag: 'a' });
    const delay = this.options.answerDelayMs ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return { providerMessageId };
  }
}

/** Every delivery recorded in an outbox file so far (none when it does not exist yet). */
export function readFileOutbox(file: string): FileOutboxLine[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FileOutboxLine);
}

/**
 * The file outbox for every channel kind when `LIVECHAT_SANDBOX_OUTBOX` names a file, else
 * undefined. `LIVECHAT_SANDBOX_OUTBOX_LABEL` labels the lines, `LIVECHAT_SANDBOX_OUTBOX_DELAY_MS`
 * sets the stand-in's answer delay.
 */
export function fileOutboxFromEnv(env: NodeJS.ProcessEnv = process.env): ChannelAdapters | undefined {
  const file = env.LIVECHAT_SANDBOX_OUTBOX?.trim();
  if (!file) return undefined;
  const delay = env.LIVECHAT_SANDBOX_OUTBOX_DELAY_MS?.trim();
  const answerDelayMs = delay ? Number(delay) : 0;
  if (!Number.isInteger(answerDelayMs) || answerDelayMs < 0) {
    throw new Error(
      `LIVECHAT_SANDBOX_OUTBOX_DELAY_MS must be a whole number of milliseconds, got "${delay}"`,
    );
  }
  const label = env.LIVECHAT_SANDBOX_OUTBOX_LABEL?.trim();
  const adapter = new FileOutboxAdapter(file, { ...(label ? { label } : {}), answerDelayMs });
  return Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind, adapter])) as ChannelAdapters;
}
