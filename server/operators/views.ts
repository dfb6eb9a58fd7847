/**
 * What the API returns: sessions, messages and contacts in camelCase, with the labels the workspace
 * shows (who wrote a message, a link to the process in Temporal UI).
 */
import type {
  AccountKind,
  ChannelKind,
  DeliveryStatus,
  MemberRole,
  MessageDirection,
  OperatorStatus,
  SessionOrigin,
  SessionState,
} from '../../domain/types';
import type { InboundKind } from '../../db/rows';
import { WHATSAPP_WINDOW_MS } from '../../channels/whatsapp/adapter';
import type { ConsentMethod, ConsentState } from '../../domain/consent';
import type { ConsentRecord, ContactRecord, MessageRecord, SessionRecord } from './queries';

export interface ViewOptions {
  /** Base URL of Temporal UI, e.g. `http://localhost:8233`; no links without it. */
  temporalUiUrl?: string | undefined;
  temporalNamespace: string;
}

export interface SessionView {
  id: string;
  name: string;
  state: SessionState;
  origin: SessionOrigin;
  liveChat: { id: string; name: string };
  channel: { id: string; kind: ChannelKind; name: string };
  accountKind: AccountKind;
  account: string;
  contact: { id: string; name: string } | null;
  assignedOperator: { id: string; name: string } | null;
  openedAt: string;
  closedAt: string | null;
  lastMessageAt: string;
  lastMessage: { text: string; direction: MessageDirection; status: DeliveryStatus } | null;
  /**
   * Telegram: the customer blocked the bot at this time; until they write again, sends and new
   * sessions to them are refused (`TelegramChatBlocked`). Null otherwise.
   */
  customerBlockedAt: string | null;
  /**
   * WhatsApp only (null elsewhere): when the customer last wrote in this session and when the 24-hour
   * window for free-form text closes (both null when they never wrote: only templates go then).
   */
  whatsappWindow: { lastInboundAt: string | null; closesAt: string | null } | null;
  /**
   * The account's consent in this live chat: `opted-out` (nothing but an answer in a conversation
   * the customer started, where the live chat allows it, reaches them), `opted-in`, or null (neither).
   */
  consent: ConsentView | null;
}

export interface ConsentView {
  state: ConsentState;
  /** keyword, telegram-block, list-unsubscribe, mailto, config, cli. */
  method: ConsentMethod;
  channelId: string | null;
  at: string;
}

/** One account's consent on the customer's page. */
export interface AccountConsentView extends ConsentView {
  liveChatId: string;
  accountKind: AccountKind;
  account: string;
}

export function accountConsentView(c: ConsentRecord): AccountConsentView {
  return {
    liveChatId: c.live_chat_id,
    accountKind: c.account_kind,
    account: c.account,
    state: c.state,
    method: c.method,
    channelId: c.channel_id,
    at: c.changed_at.toISOString(),
  };
}

export function sessionView(r: SessionRecord): SessionView {
  return {
    id: r.id,
    name: r.name,
    state: r.state,
    origin: r.origin,
    liveChat: { id: r.live_chat_id, name: r.live_chat_name },
    channel: { id: r.channel_id, kind: r.channel_kind, name: r.channel_name },
    accountKind: r.account_kind,
    account: r.account,
    contact: r.contact_id ? { id: r.contact_id, name: r.contact_name ?? r.contact_id } : null,
    assignedOperator: r.assigned_operator_id
      ? { id: r.assigned_operator_id, name: r.assigned_operator_name ?? r.assigned_operator_id }
      : null,
    openedAt: r.opened_at.toISOString(),
    closedAt: r.closed_at ? r.closed_at.toISOString() : null,
    lastMessageAt: r.last_message_at.toISOString(),
    lastMessage:
      r.last_text !== null && r.last_direction !== null && r.last_status !== null
        ? { text: excerpt(r.last_text), direction: r.last_direction, status: r.last_status }
        : null,
    customerBlockedAt: r.blocked_at ? r.blocked_at.toISOString() : null,
    whatsappWindow:
      r.channel_kind === 'whatsapp'
        ? {
            lastInboundAt: r.last_inbound_at ? r.last_inbound_at.toISOString() : null,
            closesAt: r.last_inbound_at
              ? new Date(r.last_inbound_at.getTime() + WHATSAPP_WINDOW_MS).toISOString()
              : null,
          }
        : null,
    consent:
      r.consent_state && r.consent_method && r.consent_changed_at
        ? {
            state: r.consent_state,
            method: r.consent_method,
            channelId: r.consent_channel_id,
            at: r.consent_changed_at.toISOString(),
          }
        : null,
  };
}

const excerpt = (text: string): string => (text.length > 140 ? `${text.slice(0, 139)}…` : text);

export type AuthorView =
  | {
      kind: 'operator';
      id: string | null;
      name: string;
      label: string;
    }
  | {
      kind: 'process';
      workflowId: string | null;
      runId: string | null;
      /** The user on whose behalf the process wrote, if not the system. */
      onBehalfOf: { id: string; name: string } | null;
      /** The process's run in Temporal UI, when TEMPORAL_UI_URL is configured. */
      temporalUrl: string | null;
      label: string;
    }
  | { kind: 'customer'; name: string; label: string };

export interface MessageView {
  id: string;
  sessionId: string;
  direction: MessageDirection;
  author: AuthorView;
  /** What was written; for a customer's email reply, the new part (its quoted history set apart). */
  text: string;
  /** The whole mail's text, quoted history included, when `text` is only its new part; else null. */
  fullText: string | null;
  subject: string | null;
  status: DeliveryStatus;
  failureReason: string | null;
  /**
   * The files sent with it, in order: what operators see of them (name, type, size in bytes) and
   * where to download each (`GET` with the operator's sign-in).
   */
  attachments: { position: number; filename: string; contentType: string; size: number; url: string }[];
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
  /** A scheduled message: when it is due (while `pending`, it waits for that time). */
  scheduledFor: string | null;
  /** What an inbound message is when not written text: `button` (a Telegram button's data). */
  inboundKind: InboundKind | null;
  /** When the customer last edited it; its earlier texts, oldest first, are in `earlierVersions`. */
  editedAt: string | null;
  earlierVersions: { text: string; replacedAt: string }[];
  /**
   * What the provider last said about an outbound message: WhatsApp's own words (Twilio's
   * ChannelStatusMessage) and Twilio's ErrorCode.
   */
  providerStatusMessage: string | null;
  providerErrorCode: string | null;
  /** A customer's files not in `attachments` yet: `pending` (being fetched) or `failed` (with why). */
  unstoredFiles: {
    position: number;
    state: 'pending' | 'failed';
    contentType: string | null;
    filename: string | null;
    failureReason: string | null;
  }[];
}

function temporalUrl(options: ViewOptions, workflowId: string | null): string | null {
  if (!options.temporalUiUrl || !workflowId) return null;
  const base = options.temporalUiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(options.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function authorView(m: MessageRecord, options: ViewOptions): AuthorView {
  switch (m.author_kind) {
    case 'operator': {
      const name = m.author_name ?? m.author_id ?? 'Operator';
      return { kind: 'operator', id: m.author_id, name, label: name };
    }
    case 'customer': {
      const name = m.contact_name ?? m.account;
      return { kind: 'customer', name, label: name };
    }
    case 'process': {
      const workflowId = m.process_workflow_id;
      const onBehalfOf = m.author_id ? { id: m.author_id, name: m.author_name ?? m.author_id } : null;
      const label =
        `Sent by process ${workflowId ?? '(unknown)'}` + (onBehalfOf ? ` for ${onBehalfOf.name}` : '');
      return {
        kind: 'process',
        workflowId,
        runId: m.process_run_id,
        onBehalfOf,
        temporalUrl: temporalUrl(options, workflowId),
        label,
      };
    }
  }
}

export function messageView(m: MessageRecord, options: ViewOptions): MessageView {
  return {
    id: m.id,
    sessionId: m.session_id,
    direction: m.direction,
    author: authorView(m, options),
    text: m.text,
    fullText: m.full_text ?? null,
    subject: m.subject,
    status: m.status,
    failureReason: m.failure_reason,
    attachments: (m.attachments ?? []).map((a) => ({
      position: a.position,
      url: `/api/sessions/${m.session_id}/messages/${m.id}/attachments/${a.position}`,
      filename: a.filename,
      contentType: a.contentType,
      size: Number(a.size),
    })),
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
    sentAt: m.sent_at ? m.sent_at.toISOString() : null,
    scheduledFor: m.scheduled_for ? m.scheduled_for.toISOString() : null,
    inboundKind: m.inbound_kind,
    editedAt: m.edited_at ? m.edited_at.toISOString() : null,
    earlierVersions: (m.versions ?? []).map((v) => ({
      text: v.text,
      replacedAt: new Date(v.replacedAt).toISOString(),
    })),
    providerStatusMessage: m.provider_status_message,
    providerErrorCode: m.provider_error_code,
    unstoredFiles: m.unstored_files ?? [],
  };
}

export interface ContactView {
  id: string;
  name: string;
  app: string;
  accounts: { field: string; type: 'account' | 'email'; kind: AccountKind; value: string }[];
}

export function contactView(c: ContactRecord): ContactView {
  return { id: c.id, name: c.name, app: c.app, accounts: c.fields };
}

/** `POST /api/files`: a file stored for a reply, named by its SHA-256. */
export interface UploadedFileView {
  sha256: string;
  filename: string;
  contentType: string;
  size: number;
}

/** A session in the shift's list: with how many of the customer's messages the operator has not read. */
export interface ShiftSessionView extends SessionView {
  unread: number;
}

/** `GET /api/sessions`: the list asked for, and the unread counts of every tab. */
export interface ShiftListView {
  sessions: ShiftSessionView[];
  unread: { mine: number; unassigned: number; all: number };
}

/** A channel of a live chat as `GET /api/live-chats` gives it, with what its rules allow. */
export interface ChannelView {
  id: string;
  kind: ChannelKind;
  name: string;
  state: string;
  label: string;
  /** The kind of account it reaches; null for the website widget (no account of a kind). */
  accountKind: AccountKind | null;
  /** Operators may start sessions on it (its rules allow it and it is active). */
  canInitiate: boolean;
  hasSubject: boolean;
  maxTextLength: number;
  /** WhatsApp: the approved templates operators may send outside the 24-hour window (else empty). */
  templates: TemplateView[];
}

/** An approved WhatsApp template (Twilio Content), its variables as `{{1}}`, `{{2}}`, … in `body`. */
export interface TemplateView {
  contentSid: string;
  name: string;
  body: string;
  /** The variables' names in order of first appearance (`"1"`, `"2"`, …). */
  variables: string[];
}

/** The variables a template's text uses, in order of first appearance. */
export function templateVariables(body: string): string[] {
  return [...new Set([...body.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1] ?? ''))];
}

/** The template's text with its variables filled in (what the customer reads). */
export function renderTemplate(body: string, variables: Record<string, string>): string {
  return body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_whole, name: string) => variables[name] ?? '');
}

/** A channel's approved templates from its settings (WhatsApp's `templates`). */
export function templatesOf(settings: Record<string, unknown>): TemplateView[] {
  const list = settings['templates'];
  if (!Array.isArray(list)) return [];
  return list
    .filter(
      (t): t is { contentSid: string; name: string; body: string } =>
        typeof t === 'object' &&
        t !== null &&
        typeof t.contentSid === 'string' &&
        typeof t.name === 'string' &&
        typeof t.body === 'string',
    )
    .map((t) => ({
      contentSid: t.contentSid,
      name: t.name,
      body: t.body,
      variables: templateVariables(t.body),
    }));
}

/** A live chat the operator serves (`GET /api/live-chats`). */
export interface LiveChatView {
  id: string;
  name: string;
  role: MemberRole;
  boundApp: string;
  channels: ChannelView[];
}

/** `GET /api/me`: who is signed in, and until when. */
export interface MeView {
  operator: { id: string; name: string; email: string | null; status: OperatorStatus };
  liveChats: { id: string; name: string; role: MemberRole }[];
  expiresAt: string;
}

/** A `message` event of the live feed (`GET /api/events`): a new or changed message. */
export interface FeedMessageEvent {
  sessionId: string;
  liveChatId: string;
  message: MessageView;
}

/** `GET /api/contacts/:id/history`: the customer's page. */
export interface ContactHistoryView {
  contact: ContactView;
  /** Each account's opt-out or opt-in in the live chats the operator serves. */
  consent: AccountConsentView[];
  account: string | null;
  sessions: { session: SessionView; messages: MessageView[] }[];
}
