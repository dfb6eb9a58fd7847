/**
 * What the `livechat` CLI prints: one human-readable rendering and one JSON rendering per result,
 * and the exit code of a failure. Pure functions, unit-tested; the CLI only chooses and writes.
 */
import type {
  BulkProgress,
  FallbackAttempt,
  InitiateSessionResult,
  SendLiveChatMessageResult,
} from '../domain/types';
import type { ConfigSummary } from '../client/config-file';
import type { DescribedFailure, FailureReport } from '../client/failure';

/** `0` done; `1` something unexpected (unreachable server, a bug); `2` refused (a domain rule, wrong usage). */
export const EXIT_CODES = { ok: 0, unexpected: 1, refused: 2 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** A sent message as the CLI reports it: the workflow's result, its id, and where it went. */
export interface SentReport extends SendLiveChatMessageResult {
  workflowId: string;
  /** From the database; absent when the session could not be read after sending. */
  sessionName?: string;
  account?: string;
  /** With `--fallback`: every channel tried, in order, and the one that carried it. */
  channelId?: string;
  attempts?: FallbackAttempt[];
}

export interface InitiatedReport extends InitiateSessionResult {
  workflowId: string;
  account?: string;
}

/** JSON for `--json`: two-space indented; dates as ISO strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** e.g. `Sent to +4915123456789 in session "Maria Schmidt" (0b1c…): sent`. */
export function formatSent(report: SentReport): string {
  const to = report.account !== undefined ? ` to ${report.account}` : '';
  const name = report.sessionName !== undefined ? ` ${JSON.stringify(report.sessionName)}` : '';
  const refused = (report.attempts ?? [])
    .filter((a) => a.outcome === 'refused')
    .map((a) => `\n  not by ${a.channelId}: ${a.refusal?.type ?? 'refused'}: ${a.refusal?.message ?? ''}`)
    .join('');
  const by = report.attempts ? ` by ${report.channelId}` : '';
  return `Sent${to}${by} in session${name} (${report.sessionId}): ${report.status}${refused}`;
}

/** A message waiting for its time, e.g. `Scheduled for 2026-12-24T08:00:00.000Z: message 9d2f… (cancel: livechat cancel-send order-1042)`. */
export function formatScheduled(report: {
  workflowId: string;
  messageId?: string;
  scheduledFor?: string;
}): string {
  return (
    `Scheduled for ${report.scheduledFor ?? '(unknown)'}: message ${report.messageId ?? '(unknown)'} ` +
    `(cancel: livechat cancel-send ${report.workflowId})`
  );
}

/** e.g. `Started session "Order 1042" (0b1c…) with maria@example.com, assigned to anna; first message: sent`. */
export function formatInitiated(report: InitiatedReport): string {
  const withWhom = report.account !== undefined ? ` with ${report.account}` : '';
  const first = report.firstMessage ? `; first message: ${report.firstMessage.status}` : '';
  return (
    `Started session ${JSON.stringify(report.name)} (${report.sessionId})${withWhom}, ` +
    `assigned to ${report.assignedOperatorId}${first}`
  );
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** e.g. `Bulk spring-sale completed: 10000 recipients, 9990 sent, 10 failed (ContactHasNoAccount 10), 0 pending`. */
export function formatBulkProgress(progress: BulkProgress): string {
  const reasons = Object.entries(progress.failuresByType)
    .sort(([, a], [, b]) => b - a)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const pending = progress.state === 'cancelled' ? 'cancelled' : 'pending';
  return (
    `Bulk ${progress.bulkId} ${progress.state}: ${count(progress.total, 'recipient', 'recipients')}, ` +
    `${progress.sent} sent, ${progress.failed} failed${reasons ? ` (${reasons})` : ''}, ` +
    (progress.scheduled > 0 ? `${progress.scheduled} held for quiet hours, ` : '') +
    `${progress.pending} ${pending}`
  );
}

/** e.g. `Applied config.yaml: 2 operators, 1 live chat (2 members), 2 channels, 1 contact, 0 Telegram chats`. */
export function formatConfigSummary(file: string, summary: ConfigSummary): string {
  return (
    `Applied ${file}: ${count(summary.operators, 'operator', 'operators')}, ` +
    `${count(summary.liveChats, 'live chat', 'live chats')} ` +
    `(${count(summary.members, 'member', 'members')}), ` +
    `${count(summary.channels, 'channel', 'channels')}, ` +
    `${count(summary.contacts, 'contact', 'contacts')}, ` +
    `${count(summary.telegramChats, 'Telegram chat', 'Telegram chats')}`
  );
}

/** The one line a failure prints, starting with its type: `InvalidPhoneNumber: The phone number ...`. */
export function formatFailure(failure: FailureReport): string {
  return `${failure.type}: ${failure.message}`;
}

/** `{ "error": { type, message, details } }`, what `--json` prints on a failure. */
export function failureJson(failure: FailureReport): { error: FailureReport } {
  return { error: { type: failure.type, message: failure.message, details: failure.details } };
}

export function exitCodeOf(failure: DescribedFailure): ExitCode {
  return failure.refusal ? EXIT_CODES.refused : EXIT_CODES.unexpected;
}
