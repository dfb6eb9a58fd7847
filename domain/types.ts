/**
 * The nouns of the domain (the rules they serve: docs/rules.md). Pure types: no I/O here.
 * Workflows, activities, the database layer and the client all speak these.
 */

/** How a live chat is connected to the outside. Open to more kinds: add a row to the channel table. */
export type ChannelKind = 'email' | 'whatsapp' | 'telegram' | 'livechat';

/** How a customer is reached on one channel. */
export type AccountKind = 'phone' | 'email' | 'telegram';

export type OperatorStatus = 'online' | 'offline' | 'busy';
export type MemberRole = 'operator' | 'supervisor';

export type SessionState = 'open' | 'closed';
/** Who started a session. */
export type SessionOrigin = 'operator' | 'process' | 'customer';

export type MessageDirection = 'outbound' | 'inbound';
/** Who wrote a message: an operator, a business process (optionally on behalf of a user), or the customer. */
export type AuthorKind = 'operator' | 'process' | 'customer';
/** `cancelled`: a scheduled message cancelled before its time; it was never sent. */
export type DeliveryStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'cancelled';

/** A value of a contact field of type Account: `{ kind, value }`. */
export interface AccountValue {
  kind: AccountKind;
  value: string;
}

/** Where a process message goes: a contact (+ optionally which of its fields), an account value, or a session. */
export type Recipient = { contactId: string; field?: string } | { account: string } | { sessionId: string };

/** Who a process message is written by: the system, or the user who started the process. */
export type ProcessAuthor = { kind: 'system' } | { kind: 'user'; userId: string };

/**
 * A file sent with a process message: its bytes inline (base64, small files: 256 KiB each, 1 MiB in
 * all) or an http(s) URL the worker fetches once (larger files, up to the channel's limit). The
 * media type defaults to the server's Content-Type (URL) or the filename's extension.
 */
export type AttachmentInput =
  | { filename: string; contentType?: string; content: string; url?: never }
  | { url: string; filename?: string; contentType?: string; content?: never };

export interface SendLiveChatMessageInput {
  liveChatId: string;
  /** The channel of the live chat to send through. Required unless sending into an existing session. */
  channelId?: string;
  to: Recipient;
  /** The text; with `variables`, a template such as "Your order {{number}} is ready". */
  text: string;
  /** Email only: the subject, which also names a new session (a template too, with `variables`). */
  subject?: string;
  /**
   * WhatsApp only: the pre-approved template (Twilio content SID and its variables) to use when the
   * customer has not written in the last 24 hours; inside the window the text is sent as it is.
   * Without one, the channel's own template is used, if it has one.
   */
  whatsappTemplate?: { contentSid: string; variables?: Record<string, string> };
  /** The process's variables for `text` and `subject`; a variable the template uses but is missing is an error. */
  variables?: Record<string, string | number | boolean>;
  /** Default: the system. */
  author?: ProcessAuthor;
  /**
   * Files sent with the text (email attachments, a WhatsApp media file, Telegram documents); stored
   * once and shown in the chat history. Limits per channel: `ATTACHMENT_LIMITS` (domain/attachments.ts).
   */
  attachments?: AttachmentInput[];
  /** Email only: put the message into the open session of that address instead of opening a new one. */
  reuseOpenSession?: boolean;
  /**
   * Makes the send idempotent across retries, replays and repeated starts. Default: derived from the
   * workflow id, so starting the same workflow id twice sends once.
   */
  idempotencyKey?: string;
  /**
   * Send at this time (ISO 8601 with a zone, e.g. `2026-12-24T09:00:00+01:00`), not now: the message is
   * in the history as scheduled until then, and the process waits on a durable timer. At most a year ahead.
   */
  sendAt?: string;
  /**
   * Send even in the customer's quiet hours (a one-time code, an outage). Otherwise a message due in
   * the live chat's quiet hours, in the contact's time zone, waits until they end.
   */
  urgent?: boolean;
}

/** An operator writes into a session of a live chat they serve (a reply from the workspace). */
/** A file stored before the workflow that sends it starts: its SHA-256, name and type, no bytes. */
export interface StoredFileRef {
  sha256: string;
  filename: string;
  contentType: string;
}

export interface OperatorReplyInput {
  sessionId: string;
  operatorId: string;
  /** The text; with `whatsappTemplate`, the template's text with its variables filled in (as shown). */
  text: string;
  /**
   * WhatsApp only: the approved template (Twilio content SID and variables) sent when the customer
   * has not written in the last 24 hours; inside the window `text` is sent as it is.
   */
  whatsappTemplate?: { contentSid: string; variables?: Record<string, string> };
  /**
   * Files the operator attached, already stored by the workspace (`POST /api/files`): only their
   * SHA-256, name and type travel in the workflow's history, never their bytes.
   */
  files?: StoredFileRef[];
  /** Default: derived from the workflow id, so the same request started twice sends once. */
  idempotencyKey?: string;
}

export interface OperatorReplyResult {
  sessionId: string;
  messageId: string;
  status: DeliveryStatus;
}

export interface SendLiveChatMessageResult {
  sessionId: string;
  messageId: string;
  status: DeliveryStatus;
  sessionReused: boolean;
  /** When it was held for (a given time, or the end of quiet hours); absent when it went at once. */
  scheduledFor?: string;
}

/**
 * Send Live Chat Message over the first of several channels that reaches the customer: `channels`
 * in order of preference (1 to 5, no repeats); the next one is tried when one cannot reach them (no
 * account of its kind, an invalid number, a bot the person never wrote to or blocked, a provider's
 * permanent refusal). A request that is wrong in itself (an unknown live chat, an empty text) is
 * refused at once, not tried on the other channels.
 */
export interface SendWithFallbackInput extends Omit<SendLiveChatMessageInput, 'channelId'> {
  channels: string[];
}

/** One channel tried by Send With Fallback, in order. */
export interface FallbackAttempt {
  channelId: string;
  outcome: 'sent' | 'refused';
  /** Why it could not be used: the refusal's type (`DeliveryFailed`, `ContactHasNoAccount`, …) and message. */
  refusal?: { type: string; message: string };
  /** The attempt's message, when it got as far as one (a refused delivery is in the history as failed). */
  messageId?: string;
}

export interface SendWithFallbackResult extends SendLiveChatMessageResult {
  /** The channel that carried the message. */
  channelId: string;
  attempts: FallbackAttempt[];
}

/**
 * The customer an operator starts a session with: a contact of the bound app (optionally which of its
 * fields), an account value, or a contact created on the spot (rule 3).
 */
export type SessionCustomer =
  | { contactId: string; field?: string }
  | { account: string }
  | { newContact: { name: string; accounts?: AccountValue[]; emails?: string[] } };

export interface InitiateSessionInput {
  liveChatId: string;
  /** The operator who starts it; the session is assigned to them (rule 6). */
  operatorId: string;
  channelId: string;
  customer: SessionCustomer;
  /** Email only: the subject, which is also the session's name (rule 5). */
  subject?: string;
  /** Sent at once as the operator's first message. */
  firstMessage?: string;
  /** Files of the first message, stored by the workspace beforehand (see `OperatorReplyInput.files`). */
  firstMessageFiles?: StoredFileRef[];
  /** Default: derived from the workflow id. */
  idempotencyKey?: string;
}

export interface InitiateSessionResult {
  sessionId: string;
  name: string;
  assignedOperatorId: string;
  contactId: string | null;
  /** The first message, when one was given. */
  firstMessage?: { messageId: string; status: DeliveryStatus };
}

/** One recipient of a bulk notification: a contact of the bound app (optionally which field), or an account. */
/** `variables`: this recipient's own template variables, over the request's shared ones. */
export type BulkRecipient = ({ contactId: string; field?: string } | { account: string }) & {
  variables?: Record<string, string | number | boolean>;
};

/**
 * Who a bulk notification goes to: a list (at most 10 000; more through a query), or every
 * contact of the live chat's bound app that has an account of the channel's kind, optionally only
 * those whose other fields (`contacts.data`) equal every value of `where`.
 */
export type BulkAudience =
  { recipients: BulkRecipient[] } | { query: { where?: Record<string, string | number | boolean> } };

/**
 * Bulk Notify: the same message (a template with shared `variables`) to many customers on one
 * channel, each as its own Send Live Chat Message step (own session rules, own idempotency key), at
 * most `concurrency` at a time. Pausable, resumable and cancellable while it runs.
 */
export interface BulkNotifyInput {
  liveChatId: string;
  channelId: string;
  audience: BulkAudience;
  text: string;
  subject?: string;
  variables?: Record<string, string | number | boolean>;
  whatsappTemplate?: { contentSid: string; variables?: Record<string, string> };
  author?: ProcessAuthor;
  /** Sends in flight at once, 1 to 200 (default 20); the channel's rate limit still holds. */
  concurrency?: number;
  /**
   * Recipients one step prepares and dispatches, 1 to 1 000 (default 500): a pause or a cancel
   * takes effect when the page in flight ends (at most 30 seconds).
   */
  pageSize?: number;
  /** Send even to customers in their quiet hours; otherwise each of them is held until they end. */
  urgent?: boolean;
  /** Default: the workflow id; each recipient's key is this plus its position. */
  idempotencyKey?: string;
  /**
   * The process continues as new when its history nears this many events (default 8 000, from 100
   * to 40 000): lower it where histories must stay small; each run then covers fewer recipients.
   */
  continueAsNewAfterEvents?: number;
}

/** `waiting`: every recipient is done but those held for their quiet hours, whose time has not come. */
export type BulkState = 'running' | 'waiting' | 'paused' | 'cancelling' | 'cancelled' | 'completed';

/** What the progress query and every pause / resume / cancel answer with. */
export interface BulkProgress {
  bulkId: string;
  state: BulkState;
  total: number;
  sent: number;
  failed: number;
  /**
   * Recorded, and held until their customer's quiet hours end: the process sends each then (and
   * waits for them before it completes); a cancel cancels those not gone yet.
   */
  scheduled: number;
  /** While `waiting`: when the next held recipient's quiet hours end. */
  waitingUntil?: string;
  /** Not sent yet (including those in flight); after a cancel, those that never will be. */
  pending: number;
  /** Refusals by type (`ContactHasNoAccount`, `DeliveryFailed`, …). */
  failuresByType: Record<string, number>;
  /** How many times the process continued as new to keep its history small. */
  continuedAsNew: number;
}

export interface BulkNotifyResult extends BulkProgress {
  state: 'completed' | 'cancelled';
}
