import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { contactAccounts, refuseIfOptedOut } from '../db/consent';
import { insertContact } from '../db/contacts';
import { getChannel, getLiveChat, getMembership, getOperator } from '../db/live-chats';
import { checkStoredFiles, linkStoredFiles } from '../db/attachments';
import { findByIdempotencyKey, insertOperatorMessage } from '../db/messages';
import type { ChannelRow, LiveChatRow, SessionRow } from '../db/rows';
import { findOpenSession, findSessionByIdempotencyKey, insertSession } from '../db/sessions';
import { telegramChatState } from '../db/telegram-chats';
import { channelRules, normaliseAccount } from '../domain/channels';
import {
  ChannelCannotInitiate,
  InvalidInput,
  LiveChatNotFound,
  NotAnOperator,
  OperatorNotFound,
  OperatorOffline,
  SessionAlreadyOpen,
  TelegramChatBlocked,
  TelegramChatUnknown,
} from '../domain/errors';
import { parseInitiateSessionInput } from '../domain/inputs';
import { validateMessageText, validateSubject } from '../domain/limits';
import type { ChannelKind, DeliveryStatus, InitiateSessionInput, SessionCustomer } from '../domain/types';
import { databaseLookups, resolveAccount } from './accounts';
import { channelOf } from './channel-of';
import { sessionName } from './sessions';

export interface StartOperatorSessionInput extends InitiateSessionInput {
  idempotencyKey: string;
}

export interface StartedSession {
  sessionId: string;
  name: string;
  assignedOperatorId: string;
  contactId: string | null;
  firstMessage?: { messageId: string; status: DeliveryStatus };
  /** Which dispatch queue (and so which rate limit) a first message goes through. */
  channelKind: ChannelKind;
}

// Its own prefix, so it cannot equal a Send Live Chat Message key (those start with `workflow:`).
const firstMessageKey = (sessionKey: string): string => `first-message:${sessionKey}`;

/**
 * An operator starts a session (rules 1–13), in one transaction: the operator must serve the live
 * chat and be online, the channel must allow starting sessions, the account must fit it, and a
 * messenger account must not have an open session already. The session is assigned to the operator;
 * an optional first message is recorded as pending for dispatch.
 */
export async function startOperatorSession(
  db: Knex,
  raw: StartOperatorSessionInput,
  now: Date,
): Promise<StartedSession> {
  const input = parseInitiateSessionInput(raw);
  const key = raw.idempotencyKey;
  const subject = validateSubject(input.subject);
  if (input.firstMessage !== undefined) validateMessageText(input.firstMessage);

  const existing = await findSessionByIdempotencyKey(db, key);
  if (existing) return fromExisting(db, existing, key);

  return db.transaction(async (trx) => {
    const liveChat = await getLiveChat(trx, input.liveChatId);
    if (!liveChat) throw new LiveChatNotFound({ liveChatId: input.liveChatId });
    await checkOperator(trx, liveChat, input.operatorId);
    const channel = await channelOf(trx, liveChat, input.channelId);
    const rules = channelRules(channel.kind);
    if (!rules.canInitiate)
      throw new ChannelCannotInitiate({ channelKind: channel.kind, channelId: channel.id });
    if (subject !== undefined && !rules.hasSubject) {
      throw new InvalidInput({
        path: 'subject',
        message: `only email channels take a subject, not ${channel.kind}`,
      });
    }
    if (input.firstMessage !== undefined) validateMessageText(input.firstMessage, rules.maxTextLength);
    const files = input.firstMessageFiles ?? [];
    if (files.length > 0 && input.firstMessage === undefined) {
      throw new InvalidInput({ path: 'firstMessageFiles', message: 'files go with a first message' });
    }
    await checkStoredFiles(trx, files, channel.kind);

    const to = await customerRecipient(trx, liveChat, input.customer);
    const recipient = await resolveAccount(databaseLookups(trx), liveChat, channel, to);
    if (rules.requiresKnownChat) {
      const state = await telegramChatState(trx, channel.id, recipient.account);
      if (state === 'unknown')
        throw new TelegramChatUnknown({ chatId: recipient.account, channelId: channel.id });
      // Before the provider, and before anything is written: the person blocked the bot.
      if (state === 'blocked')
        throw new TelegramChatBlocked({ chatId: recipient.account, channelId: channel.id });
    }

    // An operator does not start a conversation with a customer who opted out of the live chat.
    await refuseIfOptedOut(trx, {
      liveChatId: liveChat.id,
      channelId: channel.id,
      settings: liveChat.consent ?? {},
      account: { kind: recipient.accountKind, value: recipient.account },
      otherAccounts: recipient.contactId ? await contactAccounts(trx, recipient.contactId) : [],
    });

    const exclusive = rules.openSessionPolicy === 'one-per-account';
    if (exclusive) await refuseIfOpen(trx, channel, recipient.account);
    const session = await insertSession(trx, {
      live_chat_id: liveChat.id,
      channel_id: channel.id,
      contact_id: recipient.contactId,
      account_kind: recipient.accountKind,
      account: recipient.account,
      exclusive,
      assigned_operator_id: input.operatorId,
      origin: 'operator',
      started_by: input.operatorId,
      name: sessionName({ liveChat, channel, recipient, ...(subject ? { subject } : {}), now }),
      idempotency_key: key,
    });
    // Lost a race with another start for the same messenger account: report the winner (rule 7).
    if (!session) {
      await refuseIfOpen(trx, channel, recipient.account);
      throw new Error(`could not open a session for ${recipient.account}; try again`);
    }

    const started: StartedSession = {
      sessionId: session.id,
      name: session.name,
      assignedOperatorId: input.operatorId,
      contactId: session.contact_id,
      channelKind: channel.kind,
    };
    if (input.firstMessage === undefined) return started;
    const message = await insertOperatorMessage(trx, {
      sessionId: session.id,
      operatorId: input.operatorId,
      text: input.firstMessage,
      ...(subject !== undefined ? { subject } : {}),
      idempotencyKey: firstMessageKey(key),
    });
    if (!message) throw new Error(`first message of ${key} already exists`);
    await linkStoredFiles(trx, message.id, files);
    return { ...started, firstMessage: { messageId: message.id, status: message.status } };
  });
}

/** Rules 1 and 2: only an operator of this live chat, and only while not offline. */
async function checkOperator(db: Knex, liveChat: LiveChatRow, operatorId: string): Promise<void> {
  const operator = await getOperator(db, operatorId);
  if (!operator) throw new OperatorNotFound({ userId: operatorId });
  const membership = await getMembership(db, liveChat.id, operatorId);
  if (membership?.role !== 'operator')
    throw new NotAnOperator({ userId: operatorId, liveChatId: liveChat.id });
  if (operator.status === 'offline') {
    throw new OperatorOffline({ userId: operatorId, liveChatId: liveChat.id, status: operator.status });
  }
}

async function refuseIfOpen(db: Knex, channel: ChannelRow, account: string): Promise<void> {
  const open = await findOpenSession(db, channel.id, account);
  if (open) {
    throw new SessionAlreadyOpen({
      sessionId: open.id,
      sessionName: open.name,
      account,
      channelKind: channel.kind,
    });
  }
}

/** Rule 3: a contact created on the spot (in the bound app) is used at once. */
async function customerRecipient(
  db: Knex,
  liveChat: LiveChatRow,
  customer: SessionCustomer,
): Promise<{ contactId: string; field?: string } | { account: string }> {
  if (!('newContact' in customer)) return customer;
  const { name, accounts = [], emails = [] } = customer.newContact;
  const contact = await insertContact(db, { id: randomUUID(), app: liveChat.bound_app, name }, [
    ...accounts.map((a) => ({
      field: 'accounts',
      type: 'account' as const,
      kind: a.kind,
      value: normaliseAccount(a.kind, a.value),
    })),
    ...emails.map((e) => ({
      field: 'email',
      type: 'email' as const,
      kind: 'email' as const,
      value: normaliseAccount('email', e),
    })),
  ]);
  return { contactId: contact.id };
}

async function fromExisting(db: Knex, session: SessionRow, key: string): Promise<StartedSession> {
  const channel = await getChannel(db, session.channel_id);
  if (!channel) throw new Error(`session ${session.id} has no channel`);
  const started: StartedSession = {
    channelKind: channel.kind,
    sessionId: session.id,
    name: session.name,
    assignedOperatorId: session.assigned_operator_id ?? '',
    contactId: session.contact_id,
  };
  const first = await findByIdempotencyKey(db, firstMessageKey(key));
  return first ? { ...started, firstMessage: { messageId: first.id, status: first.status } } : started;
}
