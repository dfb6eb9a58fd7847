/**
 * The catalogue of typed errors: each is declared once here, with `defineError`, and everything
 * that makes a failure (activities, workflows, the client, the operators' API) builds it from here.
 * A declaration gives the failure type (the class's name, its `type` and `name`: Temporal turns a
 * thrown Error into a failure whose type is `error.constructor.name`, a unit test checks they are
 * one), the details' type, the message made from them (written for the workflow designer who reads
 * it in the Temporal UI), whether a later attempt may succeed, the HTTP status of the operators'
 * API answer, and the title the operators' page shows above the message.
 *
 * Imported inside the workflow sandbox: nothing here may import Node modules.
 */
import { ApplicationFailure, type Duration } from '@temporalio/common';
import type { AccountKind, ChannelKind } from './types';

/** What may go into `details`: it travels through Temporal's JSON payload converter unchanged. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };
export type ErrorDetails = { [key: string]: JsonValue | undefined };

/** One entry of the catalogue, as `defineError` takes it. */
export interface ErrorSpec<D extends ErrorDetails, A extends unknown[]> {
  /** The HTTP status the operators' API answers with. */
  status: number;
  /** A short heading for people (the operators' page shows it above the message). */
  title: string;
  /**
   * True for a passing condition a later attempt may not meet (a provider down for now): Temporal
   * retries the step. Default false: bad input or state, which retrying the same request cannot fix.
   */
  retryable?: boolean;
  /** How long Temporal waits before the next attempt, for a retryable error that knows. */
  nextRetryDelay?: (details: D) => Duration | undefined;
  message: (details: D) => string;
  /** The details from the constructor's arguments, when these are not the details themselves. */
  details?: (...args: A) => D;
}

export abstract class LiveChatError<D extends ErrorDetails = ErrorDetails> extends Error {
  /** The failure type; equal to the class name. */
  readonly type: string;
  readonly details: D;
  /** False only for the catalogue's retryable errors: retrying a refused request cannot fix it. */
  readonly nonRetryable: boolean;
  /** The HTTP status of the operators' API answer. */
  readonly status: number;
  /** The heading the operators' page shows. */
  readonly title: string;
  readonly nextRetryDelay?: Duration;

  protected constructor(type: string, spec: ErrorSpec<D, never>, details: D) {
    const kept = withoutUndefined(details);
    super(spec.message(kept));
    this.type = type;
    this.name = type;
    this.details = kept;
    this.nonRetryable = spec.retryable !== true;
    this.status = spec.status;
    this.title = spec.title;
    const delay = spec.nextRetryDelay?.(kept);
    if (delay !== undefined) this.nextRetryDelay = delay;
  }

  /**
   * The `ApplicationFailure` a process sees: thrown by a workflow (a plain Error would fail its
   * workflow task, retried for ever) and by the activities for every error of ours.
   */
  toFailure(): ApplicationFailure {
    return ApplicationFailure.create({
      type: this.type,
      message: this.message,
      details: [this.details],
      nonRetryable: this.nonRetryable,
      ...(this.nextRetryDelay !== undefined ? { nextRetryDelay: this.nextRetryDelay } : {}),
    });
  }
}

/** A catalogue entry: a class of `LiveChatError` with what its declaration said. */
export interface LiveChatErrorClass<T extends string, D extends ErrorDetails, A extends unknown[]> {
  new (...args: A): LiveChatError<D> & { readonly type: T };
  readonly type: T;
  readonly status: number;
  readonly title: string;
  readonly retryable: boolean;
  /** The error again from the details of its failure (a client that caught the failure). */
  fromDetails(details: D): LiveChatError<D> & { readonly type: T };
}

/** Marks a construction from details (`fromDetails`); never exported. */
const FROM_DETAILS: unique symbol = Symbol('fromDetails');

/** Declares one error of the catalogue; see `ErrorSpec`. */
function defineError<T extends string, D extends ErrorDetails, A extends unknown[] = [details: D]>(
  type: T,
  spec: ErrorSpec<D, A>,
): LiveChatErrorClass<T, D, A> {
  const base = spec as unknown as ErrorSpec<D, never>;
  const Defined = class extends LiveChatError<D> {
    static readonly type = type;
    static readonly status = spec.status;
    static readonly title = spec.title;
    static readonly retryable = spec.retryable === true;
    declare readonly type: T;

    constructor(...args: A | [typeof FROM_DETAILS, D]) {
      const details =
        args[0] === FROM_DETAILS
          ? (args[1] as D)
          : spec.details
            ? spec.details(...(args as A))
            : (args[0] as D);
      super(type, base, details);
    }

    static fromDetails(details: D) {
      return new Defined(FROM_DETAILS, details);
    }
  };
  Object.defineProperty(Defined, 'name', { value: type });
  return Defined as unknown as LiveChatErrorClass<T, D, A>;
}

/** Drop `undefined` keys so that `details` compares equal before and after a JSON round trip. */
function withoutUndefined<D extends ErrorDetails>(details: D): D {
  return Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined)) as D;
}

const quote = (value: string): string => JSON.stringify(value);

type OperatorOfflineDetails = { userId: string; liveChatId?: string; status: string };
export const OperatorOffline = defineError('OperatorOffline', {
  status: 409,
  title: 'You are offline.',
  message: (d: OperatorOfflineDetails) =>
    `Operator ${quote(d.userId)} is ${d.status}; only an online operator can start a new session.`,
});
export type OperatorOffline = InstanceType<typeof OperatorOffline>;

export const NotAnOperator = defineError('NotAnOperator', {
  status: 403,
  title: 'You are not an operator of this live chat.',
  message: (d: { userId: string; liveChatId: string }) =>
    `User ${quote(d.userId)} is not an operator of live chat ${quote(d.liveChatId)}, so they cannot start a session in it.`,
});
export type NotAnOperator = InstanceType<typeof NotAnOperator>;

export const NotAllowedAuthor = defineError('NotAllowedAuthor', {
  status: 403,
  title: 'This author cannot write here.',
  message: (d: { userId: string; liveChatId: string }) =>
    `User ${quote(d.userId)} cannot author a process message in live chat ${quote(d.liveChatId)}: ` +
    'the author must be an operator or supervisor of that live chat, or the system.',
});
export type NotAllowedAuthor = InstanceType<typeof NotAllowedAuthor>;

/** How an account kind is named in messages, with the kind itself in quotes so both readings are there. */
const ACCOUNT_KIND_WORDS: Record<AccountKind, string> = {
  phone: 'a phone number (account kind "phone")',
  email: 'an email address (account kind "email")',
  telegram: 'a Telegram chat id (account kind "telegram")',
};

export const AccountKindMismatch = defineError('AccountKindMismatch', {
  status: 422,
  title: 'This account does not fit the channel.',
  message: (d: { channelKind: ChannelKind; expected: AccountKind; given: AccountKind }) =>
    `The ${d.channelKind} channel expects ${ACCOUNT_KIND_WORDS[d.expected]}, ` +
    `but ${ACCOUNT_KIND_WORDS[d.given]} was given.`,
});
export type AccountKindMismatch = InstanceType<typeof AccountKindMismatch>;

/** Machine-readable reasons; each has its own sentence below. */
export type PhoneNumberProblem =
  'empty' | 'missing-plus' | 'letters' | 'too-short' | 'too-long' | 'invalid-country-code' | 'invalid-number';

const PHONE_PROBLEMS: Record<PhoneNumberProblem, string> = {
  empty: 'is empty',
  'missing-plus':
    'must start with + and the country code, in full international format (for example +4915123456789)',
  letters: 'contains letters; only digits, spaces, dashes, dots and parentheses are allowed after the +',
  'too-short': 'has too few digits',
  'too-long': 'has too many digits',
  'invalid-country-code': 'does not start with a known country code after the +',
  'invalid-number': 'is not a valid number for its country',
};

export const InvalidPhoneNumber = defineError('InvalidPhoneNumber', {
  status: 422,
  title: 'The phone number is not valid.',
  message: (d: { value: string; reason: PhoneNumberProblem; hint?: string }) =>
    `The phone number ${quote(d.value)} ${PHONE_PROBLEMS[d.reason]}.${d.hint ? ` ${d.hint}` : ''}`,
});
export type InvalidPhoneNumber = InstanceType<typeof InvalidPhoneNumber>;

export type EmailProblem =
  | 'empty'
  | 'too-long'
  | 'control-characters'
  | 'display-name'
  | 'multiple-addresses'
  | 'non-ascii'
  | 'invalid-format';

const EMAIL_PROBLEMS: Record<EmailProblem, string> = {
  empty: 'is empty',
  'too-long': 'is longer than 254 characters',
  'control-characters': 'contains control characters such as line breaks',
  'display-name': 'contains a name or angle brackets; give only the address, like name@example.com',
  'multiple-addresses': 'contains more than one address; give exactly one',
  'non-ascii': 'contains non-ASCII characters; write an international domain in its xn-- form',
  'invalid-format': 'is not a valid email address (expected something like name@example.com)',
};

export const InvalidEmail = defineError('InvalidEmail', {
  status: 422,
  title: 'The email address is not valid.',
  message: (d: { value: string; reason: EmailProblem }) =>
    `The email address ${quote(d.value)} ${EMAIL_PROBLEMS[d.reason]}.`,
});
export type InvalidEmail = InstanceType<typeof InvalidEmail>;

export const TelegramChatUnknown = defineError('TelegramChatUnknown', {
  status: 422,
  title: 'This person has not written to the bot.',
  message: (d: { chatId: string; channelId?: string }) =>
    `Telegram chat ${quote(d.chatId)} has never written to this bot. ` +
    'A Telegram bot cannot start a chat: the person must send the bot a message first.',
});
export type TelegramChatUnknown = InstanceType<typeof TelegramChatUnknown>;

export const TelegramChatBlocked = defineError('TelegramChatBlocked', {
  status: 422,
  title: 'This person has blocked the bot.',
  message: (d: { chatId: string; channelId?: string; blockedAt?: string }) =>
    `Telegram chat ${quote(d.chatId)} has blocked this bot${d.blockedAt ? ` (since ${d.blockedAt})` : ''}, ` +
    'so nothing can be sent to it. It is unblocked when the person writes to the bot again.',
});
export type TelegramChatBlocked = InstanceType<typeof TelegramChatBlocked>;

type SessionAlreadyOpenDetails = {
  sessionId: string;
  sessionName?: string;
  account: string;
  channelKind: ChannelKind;
};
export const SessionAlreadyOpen = defineError('SessionAlreadyOpen', {
  status: 409,
  title: 'A session is already open.',
  message: (d: SessionAlreadyOpenDetails) =>
    `Session ${quote(d.sessionId)}${d.sessionName ? ` (${quote(d.sessionName)})` : ''} is already open with ` +
    `${quote(d.account)} on this ${d.channelKind} channel; a messenger allows only one open session per ` +
    'account. Write into that session instead.',
});
export type SessionAlreadyOpen = InstanceType<typeof SessionAlreadyOpen>;

export const ChannelCannotInitiate = defineError('ChannelCannotInitiate', {
  status: 422,
  title: 'Sessions cannot be started on this channel.',
  message: (d: { channelKind: ChannelKind; channelId?: string }) =>
    `${d.channelKind === 'livechat' ? 'The website widget (livechat)' : `A ${d.channelKind} channel`} ` +
    'cannot be used to start a session: only customers start sessions there.',
});
export type ChannelCannotInitiate = InstanceType<typeof ChannelCannotInitiate>;

export const LiveChatNotFound = defineError('LiveChatNotFound', {
  status: 404,
  title: 'No such live chat.',
  message: (d: { liveChatId: string }) => `There is no live chat with id ${quote(d.liveChatId)}.`,
});
export type LiveChatNotFound = InstanceType<typeof LiveChatNotFound>;

export const ChannelNotFound = defineError('ChannelNotFound', {
  status: 404,
  title: 'No such channel.',
  message: (d: { channelId: string }) => `There is no channel with id ${quote(d.channelId)}.`,
});
export type ChannelNotFound = InstanceType<typeof ChannelNotFound>;

export const ChannelNotInLiveChat = defineError('ChannelNotInLiveChat', {
  status: 422,
  title: 'This channel is not in the live chat.',
  message: (d: { channelId: string; liveChatId: string }) =>
    `Channel ${quote(d.channelId)} does not belong to live chat ${quote(d.liveChatId)}.`,
});
export type ChannelNotInLiveChat = InstanceType<typeof ChannelNotInLiveChat>;

export const ContactNotFound = defineError('ContactNotFound', {
  status: 404,
  title: 'No such customer.',
  message: (d: { contactId: string; liveChatId?: string }) =>
    `There is no contact with id ${quote(d.contactId)}` +
    `${d.liveChatId ? ` in the app bound to live chat ${quote(d.liveChatId)}` : ''}.`,
});
export type ContactNotFound = InstanceType<typeof ContactNotFound>;

export const ContactHasNoAccount = defineError('ContactHasNoAccount', {
  status: 422,
  title: 'The customer has no such account.',
  message: (d: { contactId: string; accountKind: AccountKind; field?: string }) =>
    `Contact ${quote(d.contactId)} has no account of the kind this channel needs: ` +
    `${ACCOUNT_KIND_WORDS[d.accountKind]}${d.field ? ` in field ${quote(d.field)}` : ''}.`,
});
export type ContactHasNoAccount = InstanceType<typeof ContactHasNoAccount>;

export const OperatorNotFound = defineError('OperatorNotFound', {
  status: 404,
  title: 'No such operator.',
  message: (d: { userId: string }) => `There is no operator with user id ${quote(d.userId)}.`,
});
export type OperatorNotFound = InstanceType<typeof OperatorNotFound>;

export const SessionNotFound = defineError('SessionNotFound', {
  status: 404,
  title: 'No such session.',
  message: (d: { sessionId: string }) => `There is no session with id ${quote(d.sessionId)}.`,
});
export type SessionNotFound = InstanceType<typeof SessionNotFound>;

export const SessionClosed = defineError('SessionClosed', {
  status: 409,
  title: 'The session is closed.',
  message: (d: { sessionId: string }) =>
    `Session ${quote(d.sessionId)} is closed; send to the contact or account instead to start a new one.`,
});
export type SessionClosed = InstanceType<typeof SessionClosed>;

export const SessionAssignedToAnother = defineError('SessionAssignedToAnother', {
  status: 403,
  title: 'Another operator has this session.',
  message: (d: { sessionId: string; assignedOperatorId: string }) =>
    `Session ${quote(d.sessionId)} is assigned to operator ${quote(d.assignedOperatorId)}; ` +
    'only they or a supervisor of its live chat can write in it.',
});
export type SessionAssignedToAnother = InstanceType<typeof SessionAssignedToAnother>;

export type InputIssue = {
  /** Where the problem is, e.g. `to.account` or `text`; empty for the input as a whole. */
  path: string;
  message: string;
  /** In a file (a config file): the line, from 1, of the value or key the issue is about. */
  line?: number;
};

/** Input of the wrong shape; its details always list the issues (`details.issues`), one or more. */
export const InvalidInput = defineError('InvalidInput', {
  status: 400,
  title: 'The request is not valid.',
  details: (issues: InputIssue[] | InputIssue): { issues: InputIssue[] } => ({
    issues: (Array.isArray(issues) ? issues : [issues]).map((i) => ({
      path: i.path,
      message: i.message,
      ...(i.line !== undefined ? { line: i.line } : {}),
    })),
  }),
  message: (d: { issues: InputIssue[] }) => {
    const where = (i: InputIssue) =>
      [i.path, i.line !== undefined ? `(line ${i.line})` : ''].filter(Boolean).join(' ');
    return `The input is not valid: ${d.issues.map((i) => (where(i) ? `${where(i)}: ${i.message}` : i.message)).join('; ')}.`;
  },
});
export type InvalidInput = InstanceType<typeof InvalidInput>;

export const MessageTooLong = defineError('MessageTooLong', {
  status: 422,
  title: 'The message is too long.',
  message: (d: { length: number; max: number }) =>
    `The message is ${d.length} characters long; the most this channel accepts is ${d.max}.`,
});
export type MessageTooLong = InstanceType<typeof MessageTooLong>;

export const EmptyMessage = defineError('EmptyMessage', {
  status: 422,
  title: 'The message is empty.',
  details: (): Record<string, never> => ({}),
  message: () => 'The message text is empty; write something to send.',
});
export type EmptyMessage = InstanceType<typeof EmptyMessage>;

export const TemplateVariableMissing = defineError('TemplateVariableMissing', {
  status: 422,
  title: 'A template variable is missing.',
  message: (d: { variable: string; line?: number; column?: number }) =>
    `The template uses {{${d.variable}}}` +
    `${d.line !== undefined ? ` (line ${d.line}, column ${d.column ?? 0})` : ''}, ` +
    `but no variable "${d.variable}" was given.`,
});
export type TemplateVariableMissing = InstanceType<typeof TemplateVariableMissing>;

export const TemplateInvalid = defineError('TemplateInvalid', {
  status: 422,
  title: 'The template cannot be used.',
  message: (d: { reason: string }) => `The template cannot be used: ${d.reason.replace(/[\s.:]+$/, '')}.`,
});
export type TemplateInvalid = InstanceType<typeof TemplateInvalid>;

export const DeliveryFailed = defineError('DeliveryFailed', {
  status: 422,
  title: 'The provider refused the message.',
  message: (d: { messageId: string; sessionId: string; reason: string; providerCode?: string }) =>
    `The provider refused message ${quote(d.messageId)} for good: ${d.reason}. ` +
    'It is marked failed in the chat history.',
});
export type DeliveryFailed = InstanceType<typeof DeliveryFailed>;

/**
 * The provider did not take the message for now (down, overloaded, rate-limited): retryable, after
 * the provider's retry-after when it gave one.
 */
export const ProviderUnavailable = defineError('ProviderUnavailable', {
  status: 503,
  title: 'The provider is unavailable for now.',
  retryable: true,
  nextRetryDelay: (d) => d.retryAfterMs,
  message: (d: { messageId: string; reason: string; retryAfterMs?: number }) =>
    `The provider did not take message ${quote(d.messageId)} for now (${d.reason.replace(/[\s.]+$/, '')}); ` +
    'it is tried again.',
});
export type ProviderUnavailable = InstanceType<typeof ProviderUnavailable>;

/** Another attempt holds the message's dispatch lease: retryable, soon (by then it has recorded the outcome). */
export const DispatchInProgress = defineError('DispatchInProgress', {
  status: 503,
  title: 'The message is being sent.',
  retryable: true,
  nextRetryDelay: () => '2 seconds',
  message: (d: { messageId: string }) =>
    `Message ${quote(d.messageId)} is being handed to the provider by another attempt.`,
});
export type DispatchInProgress = InstanceType<typeof DispatchInProgress>;

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

function tooLargeSentence(d: TooLargeDetails): string {
  const file = quote(d.filename);
  switch (d.scope) {
    case 'inline-file':
      return (
        `The attachment ${file} is ${bytes(d.size)}; inline content (base64) is limited to ` +
        `${d.limitLabel} per file: give a larger file by url instead.`
      );
    case 'inline-total':
      return (
        `The inline attachments add up to ${bytes(d.size)} (at ${file}); inline content (base64) ` +
        `is limited to ${d.limitLabel} per message: give larger files by url instead.`
      );
    case 'file':
      return (
        `The attachment ${file} is ${bytes(d.size)}; a ${d.channelKind ?? ''} message takes ` +
        `${d.contentType ? `${d.contentType} ` : ''}files of at most ${d.limitLabel}.`
      );
    case 'total':
      return (
        `The attachments add up to ${bytes(d.size)} (at ${file}); a ${d.channelKind ?? ''} ` +
        `message takes at most ${d.limitLabel} of files in all.`
      );
  }
}

export const AttachmentTooLarge = defineError('AttachmentTooLarge', {
  status: 422,
  title: 'An attachment is too large.',
  message: (d: TooLargeDetails) => tooLargeSentence(d),
});
export type AttachmentTooLarge = InstanceType<typeof AttachmentTooLarge>;

export const AttachmentTypeNotAllowed = defineError('AttachmentTypeNotAllowed', {
  status: 422,
  title: 'This kind of file cannot be sent here.',
  message: (d: { filename: string; contentType: string; channelKind: ChannelKind; allowed: string[] }) =>
    `The attachment ${quote(d.filename)} is of type ${quote(d.contentType)}, which a ` +
    `${d.channelKind} message cannot carry; allowed: ${d.allowed.join(', ')}.`,
});
export type AttachmentTypeNotAllowed = InstanceType<typeof AttachmentTypeNotAllowed>;

export const TooManyAttachments = defineError('TooManyAttachments', {
  status: 422,
  title: 'Too many attachments.',
  message: (d: { count: number; max: number; channelKind?: ChannelKind }) =>
    `The message has ${d.count} attachments; ` +
    `${d.channelKind ? `a ${d.channelKind} message` : 'a message'} takes at most ${d.max}.`,
});
export type TooManyAttachments = InstanceType<typeof TooManyAttachments>;

/** A file given by URL could not be fetched for good (404, not http, too slow is retried instead). */
export const AttachmentUnavailable = defineError('AttachmentUnavailable', {
  status: 422,
  title: 'An attachment could not be fetched.',
  message: (d: { url: string; reason: string; status?: number }) =>
    `The attachment at ${quote(d.url)} could not be fetched: ${d.reason.replace(/[\s.]+$/, '')}.`,
});
export type AttachmentUnavailable = InstanceType<typeof AttachmentUnavailable>;

type FallbackAttemptDetails = {
  channelId: string;
  outcome: string;
  refusal?: { type: string; message: string };
  messageId?: string;
};

/** Send With Fallback tried every channel it was given and none reached the customer. */
export const AllChannelsFailed = defineError('AllChannelsFailed', {
  status: 422,
  title: 'No channel reached the customer.',
  message: (d: { attempts: FallbackAttemptDetails[] }) =>
    `None of the ${d.attempts.length} channels reached the customer: ${d.attempts
      .map((a) => `${a.channelId} (${a.refusal?.type ?? 'refused'})`)
      .join(', ')}.`,
});
export type AllChannelsFailed = InstanceType<typeof AllChannelsFailed>;

type AudienceDetails = {
  liveChatId: string;
  channelId: string;
  where?: Record<string, string | number | boolean>;
};

export const EmptyAudience = defineError('EmptyAudience', {
  status: 422,
  title: 'Nobody to notify.',
  message: (d: AudienceDetails) =>
    `No contact of live chat ${quote(d.liveChatId)}'s bound app has an account for channel ` +
    `${quote(d.channelId)}${d.where ? ` and matches ${JSON.stringify(d.where)}` : ''}: ` +
    'the bulk notification would send nothing.',
});
export type EmptyAudience = InstanceType<typeof EmptyAudience>;

export const BulkNotFound = defineError('BulkNotFound', {
  status: 404,
  title: 'No such bulk notification.',
  message: (d: { bulkId: string }) => `There is no bulk notification ${quote(d.bulkId)}.`,
});
export type BulkNotFound = InstanceType<typeof BulkNotFound>;

/** Pause, resume or cancel of a bulk notification that has already ended. */
export const BulkAlreadyFinished = defineError('BulkAlreadyFinished', {
  status: 409,
  title: 'The bulk notification has ended.',
  message: (d: { bulkId: string; state: string }) =>
    `Bulk notification ${quote(d.bulkId)} has already ended (${d.state}); ` +
    'there is nothing left to pause, resume or cancel.',
});
export type BulkAlreadyFinished = InstanceType<typeof BulkAlreadyFinished>;

export const ScheduledTimeInPast = defineError('ScheduledTimeInPast', {
  status: 422,
  title: 'The time has passed.',
  message: (d: { sendAt: string; now: string }) =>
    `The message is scheduled for ${d.sendAt}, which has passed (it is ${d.now}); ` +
    'give a later time, or none to send it now.',
});
export type ScheduledTimeInPast = InstanceType<typeof ScheduledTimeInPast>;

/** A cancel of a scheduled send whose message has already gone, or whose process has ended. */
export const SendNotScheduled = defineError('SendNotScheduled', {
  status: 409,
  title: 'The message is not waiting any more.',
  message: (d: { workflowId: string; status: string }) =>
    `The send ${quote(d.workflowId)} is not waiting for its time any more (${d.status}); ` +
    'only a scheduled message that has not gone yet can be cancelled.',
});
export type SendNotScheduled = InstanceType<typeof SendNotScheduled>;

/** Why a recipient is refused for consent: they opted out, or the live chat needs an opt-in they never gave. */
export type ConsentRefusal = 'opted-out' | 'opt-in-required';

type RecipientOptedOutDetails = {
  liveChatId: string;
  reason: ConsentRefusal;
  /** How they opted out (keyword, telegram-block, list-unsubscribe, mailto, erased…). */
  method?: string;
  /** When they opted out, ISO. */
  optedOutAt?: string;
  /** The channel it came through, when there was one. */
  channelId?: string;
};

/**
 * The customer asked not to be contacted (a keyword, a block, an unsubscribe) in this live chat, or
 * it requires an opt-in they never gave: refused before anything is written or sent. Never carries
 * the account itself (it may name an erased customer).
 */
export const RecipientOptedOut = defineError('RecipientOptedOut', {
  status: 409,
  title: 'The customer does not want to be contacted.',
  message: (d: RecipientOptedOutDetails) =>
    d.reason === 'opt-in-required'
      ? `Live chat ${quote(d.liveChatId)} sends process messages only to customers who opted in, and this one has not.`
      : `The customer opted out of live chat ${quote(d.liveChatId)}` +
        `${d.method ? ` (${d.method}${d.optedOutAt ? `, ${d.optedOutAt}` : ''})` : ''}; ` +
        'nothing is sent to them until they opt back in.',
});
export type RecipientOptedOut = InstanceType<typeof RecipientOptedOut>;

/** A one-click unsubscribe URL whose signature does not hold (forged, altered, or of another key). */
export const UnsubscribeLinkInvalid = defineError('UnsubscribeLinkInvalid', {
  status: 403,
  title: 'This unsubscribe link is not valid.',
  details: (): Record<string, never> => ({}),
  message: () =>
    'This unsubscribe link is not one we sent (its signature does not match); nothing was changed.',
});
export type UnsubscribeLinkInvalid = InstanceType<typeof UnsubscribeLinkInvalid>;

/** An erasure asked for by someone who supervises no live chat of the customer's app. */
export const NotASupervisor = defineError('NotASupervisor', {
  status: 403,
  title: 'Only a supervisor can do this.',
  message: (d: { userId: string; action: string }) =>
    `User ${quote(d.userId)} cannot ${d.action}: only a supervisor of a live chat bound to the customer's app can.`,
});
export type NotASupervisor = InstanceType<typeof NotASupervisor>;

/**
 * The catalogue, by type: the one list the rest is derived from. Declare an error above, add it
 * here; a unit test checks that each key equals its class's name and `type`.
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
  ProviderUnavailable,
  DispatchInProgress,
  AllChannelsFailed,
  EmptyAudience,
  BulkNotFound,
  BulkAlreadyFinished,
  ScheduledTimeInPast,
  SendNotScheduled,
  RecipientOptedOut,
  UnsubscribeLinkInvalid,
  NotASupervisor,
  AttachmentTooLarge,
  AttachmentTypeNotAllowed,
  TooManyAttachments,
  AttachmentUnavailable,
} as const;

export type LiveChatErrorType = keyof typeof LIVE_CHAT_ERRORS;

/**
 * For `RetryPolicy.nonRetryableErrorTypes`: every type of the catalogue that trying again cannot
 * help (all but the retryable ones, `ProviderUnavailable` and `DispatchInProgress`).
 */
export const NON_RETRYABLE_ERROR_TYPES: readonly LiveChatErrorType[] = Object.freeze(
  (Object.keys(LIVE_CHAT_ERRORS) as LiveChatErrorType[]).filter((type) => !LIVE_CHAT_ERRORS[type].retryable),
);

export function isLiveChatError(e: unknown): e is LiveChatError {
  return e instanceof LiveChatError;
}

/** For a workflow that caught an `ApplicationFailure` and wants to know whether it is one of ours. */
export function isLiveChatErrorType(type: unknown): type is LiveChatErrorType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(LIVE_CHAT_ERRORS, type);
}

/** A refusal: a non-retryable type of the catalogue (bad input or state, final). */
export function isRefusalType(type: unknown): type is LiveChatErrorType {
  return isLiveChatErrorType(type) && !LIVE_CHAT_ERRORS[type].retryable;
}

/**
 * The catalogue's error again from a failure of its type (an `ApplicationFailure` a client caught):
 * the same message and details the process saw. Undefined for a type not in the catalogue or a
 * failure without details.
 */
export function liveChatErrorOf(failure: {
  type?: string | null;
  details?: unknown[] | null;
}): LiveChatError | undefined {
  const details = failure.details?.[0];
  if (!isLiveChatErrorType(failure.type) || typeof details !== 'object' || details === null) return undefined;
  const Class = LIVE_CHAT_ERRORS[failure.type] as unknown as { fromDetails(d: unknown): LiveChatError };
  return Class.fromDetails(details);
}
