/**
 * Typed domain errors. Each class name is the Temporal `ApplicationFailure` type a process sees:
 * Temporal turns a thrown Error into a failure whose type is `error.constructor.name`, so the class
 * name, `type` and `name` are kept identical (a unit test checks it). Messages are written for the
 * workflow designer who reads them in the Temporal UI, not for us.
 */
import type { AccountKind, ChannelKind } from './types';

/** What may go into `details`: it travels through Temporal's JSON payload converter unchanged. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };
export type ErrorDetails = { [key: string]: JsonValue | undefined };

export abstract class LiveChatError<D extends ErrorDetails = ErrorDetails> extends Error {
  /** The failure type; equal to the class name. */
  readonly type: string;
  readonly details: D;
  /** Every domain error describes bad input or state: retrying the same request cannot fix it. */
  readonly nonRetryable: boolean;

  protected constructor(type: string, message: string, details: D, nonRetryable = true) {
    super(message);
    this.type = type;
    this.name = type;
    this.details = withoutUndefined(details);
    this.nonRetryable = nonRetryable;
  }
}

/** Drop `undefined` keys so that `details` compares equal before and after a JSON round trip. */
function withoutUndefined<D extends ErrorDetails>(details: D): D {
  return Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined)) as D;
}

const quote = (value: string): string => JSON.stringify(value);

export class OperatorOffline extends LiveChatError<{ userId: string; liveChatId?: string; status: string }> {
  constructor(details: { userId: string; liveChatId?: string; status: string }) {
    super(
      'OperatorOffline',
      `Operator ${quote(details.userId)} is ${details.status}; only an online operator can start a new session.`,
      details,
    );
  }
}

export class NotAnOperator extends LiveChatError<{ userId: string; liveChatId: string }> {
  constructor(details: { userId: string; liveChatId: string }) {
    super(
      'NotAnOperator',
      `User ${quote(details.userId)} is not an operator of live chat ${quote(details.liveChatId)}, so they cannot start a session in it.`,
      details,
    );
  }
}

export class NotAllowedAuthor extends LiveChatError<{ userId: string; liveChatId: string }> {
  constructor(details: { userId: string; liveChatId: string }) {
    super(
      'NotAllowedAuthor',
      `User ${quote(details.userId)} cannot author a process message in live chat ${quote(details.liveChatId)}: ` +
        'the author must be an operator or supervisor of that live chat, or the system.',
      details,
    );
  }
}

/** How an account kind is named in messages, with the kind itself in quotes so both readings are there. */
const ACCOUNT_KIND_WORDS: Record<AccountKind, string> = {
  phone: 'a phone number (account kind "phone")',
  email: 'an email address (account kind "email")',
  telegram: 'a Telegram chat id (account kind "telegram")',
};

export class AccountKindMismatch extends LiveChatError<{
  channelKind: ChannelKind;
  expected: AccountKind;
  given: AccountKind;
}> {
  constructor(details: { channelKind: ChannelKind; expected: AccountKind; given: AccountKind }) {
    super(
      'AccountKindMismatch',
      `The ${details.channelKind} channel expects ${ACCOUNT_KIND_WORDS[details.expected]}, ` +
        `but ${ACCOUNT_KIND_WORDS[details.given]} was given.`,
      details,
    );
  }
}

/** Machine-readable reasons; each has its own sentence below. */
export type PhoneNumberProblem =
  'empty' | 'missing-plus' | 'letters' | 'too-short' | 'too-long' | 'invalid-country-code' | 'invalid-number';

export class InvalidPhoneNumber extends LiveChatError<{
  value: string;
  reason: PhoneNumberProblem;
  hint?: string;
}> {
  constructor(details: { value: string; reason: PhoneNumberProblem; hint?: string }) {
    const problem: Record<PhoneNumberProblem, string> = {
      empty: 'is empty',
      'missing-plus':
        'must start with + and the country code, in full international format (for example +4915123456789)',
      letters: 'contains letters; only digits, spaces, dashes, dots and parentheses are allowed after the +',
      'too-short': 'has too few digits',
      'too-long': 'has too many digits',
      'invalid-country-code': 'does not start with a known country code after the +',
      'invalid-number': 'is not a valid number for its country',
    };
    const hint = details.hint ? ` ${details.hint}` : '';
    super(
      'InvalidPhoneNumber',
      `The phone number ${quote(details.value)} ${problem[details.reason]}.${hint}`,
      details,
    );
  }
}

export type EmailProblem =
  | 'empty'
  | 'too-long'
  | 'control-characters'
  | 'display-name'
  | 'multiple-addresses'
  | 'non-ascii'
  | 'invalid-format';

export class InvalidEmail extends LiveChatError<{ value: string; reason: EmailProblem }> {
  constructor(details: { value: string; reason: EmailProblem }) {
    const problem: Record<EmailProblem, string> = {
      empty: 'is empty',
      'too-long': 'is longer than 254 characters',
      'control-characters': 'contains control characters such as line breaks',
      'display-name': 'contains a name or angle brackets; give only the address, like name@example.com',
      'multiple-addresses': 'contains more than one address; give exactly one',
      'non-ascii': 'contains non-ASCII characters; write an international domain in its xn-- form',
      'invalid-format': 'is not a valid email address (expected something like name@example.com)',
    };
    super('InvalidEmail', `The email address ${quote(details.value)} ${problem[details.reason]}.`, details);
  }
}

export class TelegramChatUnknown extends LiveChatError<{ chatId: string; channelId?: string }> {
  constructor(details: { chatId: string; channelId?: string }) {
    super(
      'TelegramChatUnknown',
      `Telegram chat ${quote(details.chatId)} has never written to this bot. ` +
        'A Telegram bot cannot start a chat: the person must send the bot a message first.',
      details,
    );
  }
}

export class TelegramChatBlocked extends LiveChatError<{
  chatId: string;
  channelId?: string;
  blockedAt?: string;
}> {
  constructor(details: { chatId: string; channelId?: string; blockedAt?: string }) {
    super(
      'TelegramChatBlocked',
      `Telegram chat ${quote(details.chatId)} has blocked this bot${details.blockedAt ? ` (since ${details.blockedAt})` : ''}, ` +
        'so nothing can be sent to it. It is unblocked when the person writes to the bot again.',
      details,
    );
  }
}

export class SessionAlreadyOpen extends LiveChatError<{
  sessionId: string;
  sessionName?: string;
  account: string;
  channelKind: ChannelKind;
}> {
  constructor(details: {
    sessionId: string;
    sessionName?: string;
    account: string;
    channelKind: ChannelKind;
  }) {
    const name = details.sessionName ? ` (${quote(details.sessionName)})` : '';
    super(
      'SessionAlreadyOpen',
      `Session ${quote(details.sessionId)}${name} is already open with ${quote(details.account)} on this ` +
        `${details.channelKind} channel; a messenger allows only one open session per account. Write into that session instead.`,
      details,
    );
  }
}

export class ChannelCannotInitiate extends LiveChatError<{ channelKind: ChannelKind; channelId?: string }> {
  constructor(details: { channelKind: ChannelKind; channelId?: string }) {
    const what =
      details.channelKind === 'livechat'
        ? 'The website widget (livechat)'
        : `A ${details.channelKind} channel`;
    super(
      'ChannelCannotInitiate',
      `${what} cannot be used to start a session: only customers start sessions there.`,
      details,
    );
  }
}

export class LiveChatNotFound extends LiveChatError<{ liveChatId: string }> {
  constructor(details: { liveChatId: string }) {
    super('LiveChatNotFound', `There is no live chat with id ${quote(details.liveChatId)}.`, details);
  }
}

export class ChannelNotFound extends LiveChatError<{ channelId: string }> {
  constructor(details: { channelId: string }) {
    super('ChannelNotFound', `There is no channel with id ${quote(details.channelId)}.`, details);
  }
}

export class ChannelNotInLiveChat extends LiveChatError<{ channelId: string; liveChatId: string }> {
  constructor(details: { channelId: string; liveChatId: string }) {
    super(
      'ChannelNotInLiveChat',
      `Channel ${quote(details.channelId)} does not belong to live chat ${quote(details.liveChatId)}.`,
      details,
    );
  }
}

export class ContactNotFound extends LiveChatError<{ contactId: string; liveChatId?: string }> {
  constructor(details: { contactId: string; liveChatId?: string }) {
    const where = details.liveChatId ? ` in the app bound to live chat ${quote(details.liveChatId)}` : '';
    super('ContactNotFound', `There is no contact with id ${quote(details.contactId)}${where}.`, details);
  }
}

export class ContactHasNoAccount extends LiveChatError<{
  contactId: string;
  accountKind: AccountKind;
  field?: string;
}> {
  constructor(details: { contactId: string; accountKind: AccountKind; field?: string }) {
    const where = details.field ? ` in field ${quote(details.field)}` : '';
    super(
      'ContactHasNoAccount',
      `Contact ${quote(details.contactId)} has no account of the kind this channel needs: ` +
        `${ACCOUNT_KIND_WORDS[details.accountKind]}${where}.`,
      details,
    );
  }
}

export class OperatorNotFound extends LiveChatError<{ userId: string }> {
  constructor(details: { userId: string }) {
    super('OperatorNotFound', `There is no operator with user id ${quote(details.userId)}.`, details);
  }
}

export class SessionNotFound extends LiveChatError<{ sessionId: string }> {
  constructor(details: { sessionId: string }) {
    super('SessionNotFound', `There is no session with id ${quote(details.sessionId)}.`, details);
  }
}

export class SessionClosed extends LiveChatError<{ sessionId: string }> {
  constructor(details: { sessionId: string }) {
    super(
      'SessionClosed',
      `Session ${quote(details.sessionId)} is closed; send to the contact or account instead to start a new one.`,
      details,
    );
  }
}

export class SessionAssignedToAnother extends LiveChatError<{
  sessionId: string;
  assignedOperatorId: string;
}> {
  constructor(details: { sessionId: string; assignedOperatorId: string }) {
    super(
      'SessionAssignedToAnother',
      `Session ${quote(details.sessionId)} is assigned to operator ${quote(details.assignedOperatorId)}; ` +
        'only they or a supervisor of its live chat can write in it.',
      details,
    );
  }
}

export interface InputIssue {
  /** Where the problem is, e.g. `to.account` or `text`; empty for the input as a whole. */
  path: string;
  message: string;
}

export class InvalidInput extends LiveChatError<{ issues: { path: string; message: string }[] }> {
  constructor(issues: InputIssue[] | InputIssue) {
    const list = Array.isArray(issues) ? issues : [issues];
    const text = list.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('InvalidInput', `The input is not valid: ${text}.`, { issues: list.map((i) => ({ ...i })) });
  }
}

export class MessageTooLong extends LiveChatError<{ length: number; max: number }> {
  constructor(details: { length: number; max: number }) {
    super(
      'MessageTooLong',
      `The message is ${details.length} characters long; the most this channel accepts is ${details.max}.`,
      details,
    );
  }
}

export class EmptyMessage extends LiveChatError<Record<string, never>> {
  constructor() {
    super('EmptyMessage', 'The message text is empty; write something to send.', {});
  }
}

export class TemplateVariableMissing extends LiveChatError<{
  variable: string;
  line?: number;
  column?: number;
}> {
  constructor(details: { variable: string; line?: number; column?: number }) {
    const at = details.line !== undefined ? ` (line ${details.line}, column ${details.column ?? 0})` : '';
    super(
      'TemplateVariableMissing',
      `The template uses {{${details.variable}}}${at}, but no variable "${details.variable}" was given.`,
      details,
    );
  }
}

export class TemplateInvalid extends LiveChatError<{ reason: string }> {
  constructor(details: { reason: string }) {
    super(
      'TemplateInvalid',
      `The template cannot be used: ${details.reason.replace(/[\s.:]+$/, '')}.`,
      details,
    );
  }
}

export class DeliveryFailed extends LiveChatError<{
  messageId: string;
  sessionId: string;
  reason: string;
  providerCode?: string;
}> {
  constructor(details: { messageId: string; sessionId: string; reason: string; providerCode?: string }) {
    super(
      'DeliveryFailed',
      `The provider refused message ${quote(details.messageId)} for good: ${details.reason}. ` +
        'It is marked failed in the chat history.',
      details,
    );
  }
}

/** Which limit a file broke: one file or all of a message's, given inline or on the channel. */
export type AttachmentLimitScope = 'inline-file' | 'inline-total' | 'file' | 'total';

const bytes = (n: number): string => `${n.toLocaleString('en-US')} bytes`;

type TooLargeDetails = {
  filename: string;
  size: number;
  limit: number;
  scope: AttachmentLimitScope;
  limitLabel: string;
  channelKind?: ChannelKind;
  contentType?: string;
};

export class AttachmentTooLarge extends LiveChatError<TooLargeDetails> {
  constructor(details: TooLargeDetails) {
    const file = quote(details.filename);
    const sentences: Record<AttachmentLimitScope, string> = {
      'inline-file':
        `The attachment ${file} is ${bytes(details.size)}; inline content (base64) is limited to ` +
        `${details.limitLabel} per file: give a larger file by url instead.`,
      'inline-total':
        `The inline attachments add up to ${bytes(details.size)} (at ${file}); inline content (base64) ` +
        `is limited to ${details.limitLabel} per message: give larger files by url instead.`,
      file:
        `The attachment ${file} is ${bytes(details.size)}; a ${details.channelKind ?? ''} message takes ` +
        `${details.contentType ? `${details.contentType} ` : ''}files of at most ${details.limitLabel}.`,
      total:
        `The attachments add up to ${bytes(details.size)} (at ${file}); a ${details.channelKind ?? ''} ` +
        `message takes at most ${details.limitLabel} of files in all.`,
    };
    super('AttachmentTooLarge', sentences[details.scope], details);
  }
}

export class AttachmentTypeNotAllowed extends LiveChatError<{
  filename: string;
  contentType: string;
  channelKind: ChannelKind;
  allowed: string[];
}> {
  constructor(details: {
    filename: string;
    contentType: string;
    channelKind: ChannelKind;
    allowed: string[];
  }) {
    super(
      'AttachmentTypeNotAllowed',
      `The attachment ${quote(details.filename)} is of type ${quote(details.contentType)}, which a ` +
        `${details.channelKind} message cannot carry; allowed: ${details.allowed.join(', ')}.`,
      details,
    );
  }
}

export class TooManyAttachments extends LiveChatError<{
  count: number;
  max: number;
  channelKind?: ChannelKind;
}> {
  constructor(details: { count: number; max: number; channelKind?: ChannelKind }) {
    const where = details.channelKind ? `a ${details.channelKind} message` : 'a message';
    super(
      'TooManyAttachments',
      `The message has ${details.count} attachments; ${where} takes at most ${details.max}.`,
      details,
    );
  }
}

/** A file given by URL could not be fetched for good (404, not http, too slow is retried instead). */
export class AttachmentUnavailable extends LiveChatError<{ url: string; reason: string; status?: number }> {
  constructor(details: { url: string; reason: string; status?: number }) {
    super(
      'AttachmentUnavailable',
      `The attachment at ${quote(details.url)} could not be fetched: ${details.reason.replace(/[\s.]+$/, '')}.`,
      details,
    );
  }
}

/**
 * Send With Fallback tried every channel it was given and none reached the customer. The workflow
 * builds it for its message and details and throws it as an ApplicationFailure of this type.
 */
export class AllChannelsFailed extends LiveChatError<{ attempts: FallbackAttemptDetails[] }> {
  constructor(details: { attempts: FallbackAttemptDetails[] }) {
    super(
      'AllChannelsFailed',
      `None of the ${details.attempts.length} channels reached the customer: ${details.attempts
        .map((a) => `${a.channelId} (${a.refusal?.type ?? 'refused'})`)
        .join(', ')}.`,
      details,
    );
  }
}

type AudienceDetails = {
  liveChatId: string;
  channelId: string;
  where?: Record<string, string | number | boolean>;
};

export class EmptyAudience extends LiveChatError<AudienceDetails> {
  constructor(details: AudienceDetails) {
    super(
      'EmptyAudience',
      `No contact of live chat ${quote(details.liveChatId)}'s bound app has an account for channel ` +
        `${quote(details.channelId)}${details.where ? ` and matches ${JSON.stringify(details.where)}` : ''}: ` +
        'the bulk notification would send nothing.',
      details,
    );
  }
}

export class BulkNotFound extends LiveChatError<{ bulkId: string }> {
  constructor(details: { bulkId: string }) {
    super('BulkNotFound', `There is no bulk notification ${quote(details.bulkId)}.`, details);
  }
}

/** Pause, resume or cancel of a bulk notification that has already ended. */
export class BulkAlreadyFinished extends LiveChatError<{ bulkId: string; state: string }> {
  constructor(details: { bulkId: string; state: string }) {
    super(
      'BulkAlreadyFinished',
      `Bulk notification ${quote(details.bulkId)} has already ended (${details.state}); ` +
        'there is nothing left to pause, resume or cancel.',
      details,
    );
  }
}

export class ScheduledTimeInPast extends LiveChatError<{ sendAt: string; now: string }> {
  constructor(details: { sendAt: string; now: string }) {
    super(
      'ScheduledTimeInPast',
      `The message is scheduled for ${details.sendAt}, which has passed (it is ${details.now}); ` +
        'give a later time, or none to send it now.',
      details,
    );
  }
}

/** A cancel of a scheduled send whose message has already gone, or whose process has ended. */
export class SendNotScheduled extends LiveChatError<{ workflowId: string; status: string }> {
  constructor(details: { workflowId: string; status: string }) {
    super(
      'SendNotScheduled',
      `The send ${quote(details.workflowId)} is not waiting for its time any more (${details.status}); ` +
        'only a scheduled message that has not gone yet can be cancelled.',
      details,
    );
  }
}

type FallbackAttemptDetails = {
  channelId: string;
  outcome: string;
  refusal?: { type: string; message: string };
  messageId?: string;
};

/**
 * Every domain error, by type: the one list the rest is derived from. Add a class above, add it here;
 * a unit test checks that each key equals its class's name and `type`.
 */
export const LIVE_CHAT_ERRORS = {
  OperatorOffline,
  NotAnOperator,
  NotAllowedAuthor,
  AccountKindMismatch,
  InvalidPhoneNumber,
  InvalidEmail,
  TelegramChatUnknown,
  TelegramChatBlocked,
  SessionAlreadyOpen,
  ChannelCannotInitiate,
  LiveChatNotFound,
  ChannelNotFound,
  ChannelNotInLiveChat,
  ContactNotFound,
  ContactHasNoAccount,
  OperatorNotFound,
  SessionNotFound,
  SessionClosed,
  SessionAssignedToAnother,
  InvalidInput,
  MessageTooLong,
  EmptyMessage,
  TemplateVariableMissing,
  TemplateInvalid,
  DeliveryFailed,
  AllChannelsFailed,
  EmptyAudience,
  BulkNotFound,
  BulkAlreadyFinished,
  ScheduledTimeInPast,
  SendNotScheduled,
  AttachmentTooLarge,
  AttachmentTypeNotAllowed,
  TooManyAttachments,
  AttachmentUnavailable,
} as const;

export type LiveChatErrorType = keyof typeof LIVE_CHAT_ERRORS;

/** For `RetryPolicy.nonRetryableErrorTypes`: none of these gets better by trying again. */
export const NON_RETRYABLE_ERROR_TYPES: readonly LiveChatErrorType[] = Object.freeze(
  Object.keys(LIVE_CHAT_ERRORS) as LiveChatErrorType[],
);

export function isLiveChatError(e: unknown): e is LiveChatError {
  return e instanceof LiveChatError;
}

/** For a workflow that caught an `ApplicationFailure` and wants to know whether it is one of ours. */
export function isLiveChatErrorType(type: unknown): type is LiveChatErrorType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(LIVE_CHAT_ERRORS, type);
}
