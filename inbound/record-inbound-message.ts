import type { Knex } from 'knex';
import { storeMessageAttachments, type StoredFile } from '../db/attachments';
import { openOrReuseSession } from '../activities/sessions';
import { findContactByAccount } from '../db/contacts';
import { getChannel, getLiveChat } from '../db/live-chats';
import { findByIdempotencyKey, insertMessage, sessionOfProviderMessage } from '../db/messages';
import type { ChannelRow, LiveChatRow, MessageRow, SessionRow } from '../db/rows';
import { getSession, recordCustomerActivity } from '../db/sessions';
import { rememberTelegramChat } from '../db/telegram-chats';
import { liftTelegramBlock, recordConsent } from '../db/consent';
import {
  consentConfirmation,
  consentKeyword,
  DEFAULT_OPT_IN_KEYWORDS,
  keywordOf,
  type ConsentState,
} from '../domain/consent';
import { UNSUBSCRIBE_SUBJECT } from '../channels/email/unsubscribe';
import { channelRules } from '../domain/channels';
import { ChannelNotFound } from '../domain/errors';
import { validateSubject } from '../domain/limits';
import type { InboundKind } from '../db/rows';
import { insertInboundFiles, type InboundFileRef } from './inbound-files';

/** A customer's message as a provider delivered it (webhook, long polling, inbound mail). */
export interface InboundMessage {
  channelId: string;
  /** The sender on that channel: a phone number, an email address, a Telegram chat id. */
  from: string;
  text: string;
  /** The whole text when `text` is only the new part of a reply (email: its quoted history set apart). */
  fullText?: string;
  subject?: string;
  /** The files the customer sent, stored by SHA-256 in the transaction that records the message. */
  attachments?: readonly StoredFile[];
  /** The provider's id of this message: a repeated delivery of the same id is recorded once. */
  providerMessageId: string;
  /** Email: the Message-IDs it answers (In-Reply-To, then References), to find its session. */
  inReplyTo?: string[];
  /** Telegram: who wrote, remembered with their chat so operators may write to them later (rule 9). */
  sender?: { username?: string; displayName?: string };
  receivedAt: Date;
  /** Files the message carries, as the provider named them: fetched after it is recorded. */
  files?: InboundFileRef[];
  /** Not written text: `button` (a Telegram button press, its data as the text). */
  kind?: InboundKind;
  /** The customer edited it before we first saw it (Telegram: an edit of a message we never got). */
  editedAt?: Date;
}

export interface RecordedInbound {
  sessionId: string;
  messageId: string;
  /** True when this delivery had been recorded before. */
  duplicate: boolean;
  /**
   * The message was an opt-out or opt-in keyword (WhatsApp, Telegram), recorded with it: the channel
   * answers with the confirmation, recorded as a pending outbound message of the session.
   */
  consent?: { state: ConsentState; confirmation: { messageId: string; text: string } };
}

/**
 * Puts a customer's message into the right session, in one transaction: an email reply into the
 * session of the message it answers (reopened if it was closed); otherwise the open session of that
 * account on a messenger, or a new session started by the customer. The customer's activity is
 * recorded on the session, which opens WhatsApp's 24-hour window for free-form replies.
 */
export async function recordInboundMessage(db: Knex, inbound: InboundMessage): Promise<RecordedInbound> {
  const key = `inbound:${inbound.channelId}:${inbound.providerMessageId}`;
  const seen = await findByIdempotencyKey(db, key);
  if (seen) return { sessionId: seen.session_id, messageId: seen.id, duplicate: true };

  return db.transaction(async (trx) => {
    const channel = await getChannel(trx, inbound.channelId);
    if (!channel) throw new ChannelNotFound({ channelId: inbound.channelId });
    const liveChat = await getLiveChat(trx, channel.live_chat_id);
    if (!liveChat) throw new Error(`channel ${channel.id} has no live chat`);
    const account = channelRules(channel.kind).normaliseAddress(inbound.from);
    if (channel.kind === 'telegram') {
      await rememberTelegramChat(trx, {
        channelId: channel.id,
        chatId: account,
        ...inbound.sender,
        at: inbound.receivedAt,
      });
      // Writing to the bot again unblocks it, and so lifts the block's opt-out (not a keyword's).
      await liftTelegramBlock(trx, liveChat.id, channel.id, account);
    }
    const subject = validateSubject(inbound.subject);

    const session = await sessionFor(trx, liveChat, channel, account, inbound, subject);
    const message = await insertMessage(trx, {
      session_id: session.id,
      direction: 'inbound',
      author_kind: 'customer',
      author_id: null,
      process_workflow_id: null,
      process_run_id: null,
      text: inbound.text,
      full_text: inbound.fullText ?? null,
      subject: subject ?? null,
      idempotency_key: key,
      status: 'delivered',
      provider_message_id: inbound.providerMessageId,
      ...(inbound.kind ? { inbound_kind: inbound.kind } : {}),
      ...(inbound.editedAt ? { edited_at: inbound.editedAt } : {}),
    });
    if (!message) throw new Error(`inbound message ${key} was recorded concurrently; retry to read it`);
    await insertInboundFiles(trx, message.id, inbound.files ?? []);
    await storeMessageAttachments(trx, message.id, inbound.attachments ?? []);
    await recordCustomerActivity(trx, session.id, inbound.receivedAt);
    const consent = await applyConsentKeyword(trx, liveChat, channel, account, inbound, session.id, key);
    return {
      sessionId: session.id,
      messageId: message.id,
      duplicate: false,
      ...(consent ? { consent } : {}),
    };
  });
}

/**
 * A whole message that is an opt-out or opt-in keyword of the live chat (WhatsApp and Telegram:
 * there the customer types it) is recorded as their decision for the account, and the confirmation
 * the messenger expects is recorded as an outbound message for the channel to send.
 */
async function applyConsentKeyword(
  trx: Knex,
  liveChat: LiveChatRow,
  channel: ChannelRow,
  account: string,
  inbound: InboundMessage,
  sessionId: string,
  key: string,
): Promise<RecordedInbound['consent']> {
  const settings = liveChat.consent ?? {};
  if (channel.kind === 'email') {
    // The mailto of List-Unsubscribe: a mail to us whose subject is "unsubscribe" (or an opt-out
    // keyword). Mail expects no confirmation.
    const said = consentKeyword(inbound.subject ?? '', settings);
    const subject = keywordOf(inbound.subject ?? '');
    if (subject === keywordOf(UNSUBSCRIBE_SUBJECT) || said?.state === 'opted-out') {
      await recordConsent(trx, {
        liveChatId: liveChat.id,
        account: { kind: 'email', value: account },
        state: 'opted-out',
        method: 'mailto',
        channelId: channel.id,
        at: inbound.receivedAt,
      });
    }
    return undefined;
  }
  if (channel.kind !== 'whatsapp' && channel.kind !== 'telegram') return undefined;
  if (inbound.kind === 'button') return undefined;
  const said = consentKeyword(inbound.text, settings);
  const accountKind = channelRules(channel.kind).accountKind;
  if (!said || accountKind === null) return undefined;
  await recordConsent(trx, {
    liveChatId: liveChat.id,
    account: { kind: accountKind, value: account },
    state: said.state,
    method: 'keyword',
    channelId: channel.id,
    keyword: said.keyword,
    at: inbound.receivedAt,
  });
  const optIn = (settings.optInKeywords ?? DEFAULT_OPT_IN_KEYWORDS)[0] ?? 'START';
  const text = consentConfirmation(said.state, liveChat.name, optIn);
  // After the customer's message in the history: the transaction's now() is the same for both.
  const [confirmation] = await trx<MessageRow>('messages')
    .insert({
      session_id: sessionId,
      direction: 'outbound',
      author_kind: 'process',
      text,
      idempotency_key: `consent-confirmation:${key}`,
      status: 'pending',
      created_at: trx.raw('clock_timestamp()'),
      updated_at: trx.raw('clock_timestamp()'),
    } as unknown as MessageRow)
    .onConflict('idempotency_key')
    .ignore()
    .returning('*');
  if (!confirmation) return undefined;
  return { state: said.state, confirmation: { messageId: confirmation.id, text } };
}

async function sessionFor(
  db: Knex,
  liveChat: LiveChatRow,
  channel: ChannelRow,
  account: string,
  inbound: InboundMessage,
  subject: string | undefined,
): Promise<SessionRow> {
  const answered = await sessionOfProviderMessage(db, channel.id, inbound.inReplyTo ?? []);
  const thread = answered ? await getSession(db, answered) : undefined;
  if (thread && thread.account === account) return thread;

  const accountKind = channelRules(channel.kind).accountKind;
  // The website widget keeps its visitors' conversations itself; providers reach us for the others.
  if (accountKind === null)
    throw new Error(`inbound messages of ${channel.kind} channels are not taken here`);
  const contact = await findContactByAccount(db, liveChat.bound_app, accountKind, account);
  const { session } = await openOrReuseSession(db, {
    liveChat,
    channel,
    recipient: { contactId: contact?.id ?? null, contactName: contact?.name ?? null, accountKind, account },
    origin: 'customer',
    startedBy: null,
    assignedOperatorId: null,
    ...(subject ? { subject } : {}),
    reuseOpenSession: false,
    customerStarted: true,
    now: inbound.receivedAt,
  });
  return session;
}
