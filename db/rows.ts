import type { LiveChatConsent } from '../domain/consent';
import type { QuietHours } from '../domain/quiet-hours';
import type {
  AccountKind,
  AuthorKind,
  BulkRecipient,
  ChannelKind,
  DeliveryStatus,
  MemberRole,
  MessageDirection,
  OperatorStatus,
  SessionOrigin,
  SessionState,
} from '../domain/types';

/** Rows as PostgreSQL returns them (snake_case, timestamps as Date). */
export interface LiveChatRow {
  id: string;
  name: string;
  bound_app: string;
  session_name_template: string | null;
  /** `{ start, end }` (`HH:mm`, the customer's local time), or none. */
  quiet_hours: QuietHours | null;
  /** IANA time zone of customers whose contact names none. */
  time_zone: string;
  /** Consent settings (`requireOptIn`, `operatorMayAnswerOptedOut`, keywords); `{}`: the defaults. */
  consent: LiveChatConsent;
  created_at: Date;
}

export interface OperatorRow {
  id: string;
  name: string;
  email: string | null;
  status: OperatorStatus;
  created_at: Date;
}

export interface MemberRow {
  live_chat_id: string;
  operator_id: string;
  role: MemberRole;
}

export interface ChannelRow {
  id: string;
  live_chat_id: string;
  kind: ChannelKind;
  name: string;
  settings: Record<string, unknown>;
  state: 'active' | 'disabled';
  created_at: Date;
}

export interface ContactRow {
  id: string;
  app: string;
  name: string;
  data: Record<string, unknown>;
  /** IANA time zone, for quiet hours; null: the live chat's. */
  time_zone: string | null;
  created_at: Date;
}

export interface ContactFieldRow {
  id: string;
  contact_id: string;
  field: string;
  type: 'account' | 'email';
  kind: AccountKind;
  value: string;
  position: number;
}

export interface SessionRow {
  id: string;
  live_chat_id: string;
  channel_id: string;
  contact_id: string | null;
  account_kind: AccountKind;
  account: string;
  state: SessionState;
  exclusive: boolean;
  assigned_operator_id: string | null;
  origin: SessionOrigin;
  started_by: string | null;
  name: string;
  idempotency_key: string | null;
  opened_at: Date;
  closed_at: Date | null;
  last_message_at: Date;
  last_inbound_at: Date | null;
}

export interface MessageRow {
  id: string;
  session_id: string;
  direction: MessageDirection;
  author_kind: AuthorKind;
  author_id: string | null;
  process_workflow_id: string | null;
  process_run_id: string | null;
  text: string;
  /** The whole text when `text` is only the new part of a customer's reply (quoted history set apart). */
  full_text: string | null;
  subject: string | null;
  files: unknown[];
  whatsapp_template: { contentSid: string; variables?: Record<string, string> } | null;
  status: DeliveryStatus;
  failure_reason: string | null;
  provider_message_id: string | null;
  idempotency_key: string | null;
  dispatch_lease_until: Date | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  /** A scheduled message: not sent before this time. */
  scheduled_for: Date | null;
  /** When the customer last edited it (its earlier texts are in message_versions). */
  edited_at: Date | null;
  /** An inbound message that is not written text: `button` (a Telegram button press). */
  inbound_kind: InboundKind | null;
  /** What the provider last said about an outbound message (Twilio's ChannelStatusMessage). */
  provider_status_message: string | null;
  /** The provider's error code with its last report (Twilio's ErrorCode). */
  provider_error_code: string | null;
}

export type InboundKind = 'button';

/** A file a customer's message carries, as the provider named it, until it is fetched and stored. */
export interface InboundFileRow {
  message_id: string;
  position: number;
  /** A Twilio MediaUrl, a Telegram file_id. */
  source: string;
  content_type: string | null;
  filename: string | null;
  declared_size: string | number | null;
  state: 'pending' | 'stored' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  failure_reason: string | null;
  stored_at: Date | null;
}

export interface BulkRunRow {
  id: string;
  live_chat_id: string;
  channel_id: string;
  total: number;
  state: 'running' | 'completed' | 'cancelled';
  created_at: Date;
  finished_at: Date | null;
}

export interface BulkRecipientRow {
  bulk_id: string;
  position: number;
  recipient: BulkRecipient;
  status: 'pending' | 'sent' | 'failed' | 'scheduled' | 'cancelled';
  message_id: string | null;
  failure_type: string | null;
  failure_reason: string | null;
}
