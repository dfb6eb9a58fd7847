import type { Knex } from 'knex';
import type { ChannelRow, LiveChatRow, SessionRow } from '../db/rows';
import { findOpenSession, insertSession } from '../db/sessions';
import { channelRules } from '../domain/channels';
import { ChannelCannotInitiate } from '../domain/errors';
import { renderSessionName } from '../domain/templates';
import type { SessionOrigin } from '../domain/types';
import type { ResolvedAccount } from './accounts';

export interface SessionRequest {
  liveChat: LiveChatRow;
  channel: ChannelRow;
  recipient: ResolvedAccount;
  origin: SessionOrigin;
  startedBy: string | null;
  assignedOperatorId: string | null;
  subject?: string;
  /** Email: reuse the open session of that address instead of opening a new one. */
  reuseOpenSession: boolean;
  /** The customer wrote first: allowed on every channel, including those we cannot initiate on. */
  customerStarted?: boolean;
  now: Date;
}

/** Someone else opened the session for this account between our look and our insert: try again. */
export class SessionRaceLost extends Error {
  override readonly name = 'SessionRaceLost';
}

/**
 * Opens or reuses a session for a process message (rule 15): on a messenger the open session of the
 * account if there is one, else a new one; on email a new one unless asked to reuse. Safe under
 * concurrency: the partial unique index lets only one open messenger session per account exist.
 */
export async function openOrReuseSession(
  db: Knex,
  request: SessionRequest,
): Promise<{ session: SessionRow; reused: boolean }> {
  const { channel, recipient } = request;
  const rules = channelRules(channel.kind);
  const exclusive = rules.openSessionPolicy === 'one-per-account';
  if (exclusive || request.reuseOpenSession) {
    const open = await findOpenSession(db, channel.id, recipient.account);
    if (open) return { session: open, reused: true };
  }
  if (!rules.canInitiate && !request.customerStarted)
    throw new ChannelCannotInitiate({ channelKind: channel.kind, channelId: channel.id });

  const inserted = await insertSession(db, {
    live_chat_id: request.liveChat.id,
    channel_id: channel.id,
    contact_id: recipient.contactId,
    account_kind: recipient.accountKind,
    account: recipient.account,
    exclusive,
    assigned_operator_id: request.assignedOperatorId,
    origin: request.origin,
    started_by: request.startedBy,
    name: sessionName(request),
  });
  if (inserted) return { session: inserted, reused: false };
  const winner = await findOpenSession(db, channel.id, recipient.account);
  if (winner) return { session: winner, reused: true };
  throw new SessionRaceLost(`the open session for ${recipient.account} changed while opening one`);
}

export function sessionName(
  request: Pick<SessionRequest, 'liveChat' | 'channel' | 'recipient' | 'subject' | 'now'>,
): string {
  return renderSessionName(request.liveChat.session_name_template, {
    ...(request.recipient.contactName ? { contactName: request.recipient.contactName } : {}),
    account: request.recipient.account,
    date: request.now,
    liveChatName: request.liveChat.name,
    channelKind: request.channel.kind,
    channelName: request.channel.name,
    ...(request.subject ? { subject: request.subject } : {}),
  });
}
