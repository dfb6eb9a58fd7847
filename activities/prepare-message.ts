import type { Knex } from 'knex';
import { contactFields, findContactByAccount, getContact } from '../db/contacts';
import { getChannel } from '../db/live-chats';
import { getMessage } from '../db/messages';
import { storeMessageAttachments, type StoredFile } from '../db/attachments';
import {
  dropEmptySession,
  recordProcessMessage,
  type ProcessMessageRow,
  type RecordOutcome,
  type SessionChoice,
} from '../db/record-process-message';
import { getSession } from '../db/sessions';
import { consentKeyFrom } from '../config/consent-key';
import { refuseIfOptedOut, type ConsentAccount } from '../db/consent';
import type { ContactFieldRow } from '../db/rows';
import { loadSendContext, type SendContext } from '../db/send-context';
import { telegramChatState } from '../db/telegram-chats';
import { channelRules } from '../domain/channels';
import {
  ChannelCannotInitiate,
  ChannelNotFound,
  ChannelNotInLiveChat,
  InvalidInput,
  LiveChatNotFound,
  NotAllowedAuthor,
  SessionClosed,
  SessionNotFound,
  TelegramChatBlocked,
  TelegramChatUnknown,
} from '../domain/errors';
import { parseSendLiveChatMessageInput } from '../domain/inputs';
import { checkAttachmentInputs } from '../domain/attachments';
import { validateMessageText, validateSubject } from '../domain/limits';
import { renderMessageTemplate, renderSessionName } from '../domain/templates';
import type { ChannelKind, DeliveryStatus, SendLiveChatMessageInput } from '../domain/types';
import { resolveAccount, type ContactLookups } from './accounts';
import { resolveAttachments, type FetchPolicy } from './attachments';
import { checkSendAt, scheduleOf } from './schedule';

export interface PrepareMessageInput extends SendLiveChatMessageInput {
  idempotencyKey: string;
  /** The workflow that sends it, shown to operators and linked to Temporal UI. */
  process: { workflowId: string; runId: string };
}

export interface PreparedMessage {
  sessionId: string;
  messageId: string;
  status: DeliveryStatus;
  sessionReused: boolean;
  /** Which dispatch queue (and so which rate limit) the message goes through. */
  channelKind: ChannelKind;
  /** ISO time the message is held until (a given time, or the end of quiet hours); absent: now. */
  scheduledFor?: string;
}

type Channel = NonNullable<SendContext['channel']>;

/**
 * Checks every rule, opens or reuses the session and records the message as pending. Two round
 * trips on the usual path: one query reads everything the rules need, one statement writes the
 * session and the message together, so a refusal leaves nothing behind (rule 18) and the unique
 * idempotency key makes a retried or repeated request find the message it already made (rule 19).
 */
export async function prepareMessage(
  db: Knex,
  raw: PrepareMessageInput,
  now: Date,
  fetchPolicy: FetchPolicy = { allowedHosts: [] },
  consentKey: Buffer = consentKeyFrom(),
): Promise<PreparedMessage> {
  const { process, ...request } = raw;
  const input = withVariables(parseSendLiveChatMessageInput(request));
  validateMessageText(input.text);
  const subject = validateSubject(input.subject);
  const to = input.to;
  const author = input.author ?? { kind: 'system' };
  const attachments = input.attachments ?? [];
  checkAttachmentInputs(attachments);

  const context = await loadSendContext(db, {
    idempotencyKey: raw.idempotencyKey,
    liveChatId: input.liveChatId,
    ...(input.channelId !== undefined ? { channelId: input.channelId } : {}),
    ...('sessionId' in to ? { sessionId: to.sessionId } : {}),
    ...('contactId' in to ? { contactId: to.contactId } : {}),
    ...(author.kind === 'user' ? { authorId: author.userId } : {}),
  });
  if (context.existing) return fromExisting(db, context.existing.id);
  // After the look for an earlier request: its retry, once the time has passed, finds the message.
  const sendAt = checkSendAt(input.sendAt, now);

  const liveChat = context.liveChat;
  if (!liveChat) throw new LiveChatNotFound({ liveChatId: input.liveChatId });
  // Rule 16: the system, or the user who started the process if they serve this live chat.
  if (author.kind === 'user' && context.authorRole === null) {
    throw new NotAllowedAuthor({ userId: author.userId, liveChatId: liveChat.id });
  }
  const { channel, choice } = await sessionChoice(db, context, input, now, consentKey);
  const rules = channelRules(channel.kind);
  validateMessageText(input.text, rules.maxTextLength);
  if (subject !== undefined && !rules.hasSubject) {
    throw new InvalidInput({
      path: 'subject',
      message: `only email channels take a subject, not ${channel.kind}`,
    });
  }

  // Fetched and checked against the channel's limits before anything is written (rule 18).
  const files = await resolveAttachments(attachments, channel.kind, fetchPolicy);
  const scheduledFor = await scheduleOf(
    db,
    liveChat,
    'sessionId' in choice ? { sessionId: choice.sessionId } : { contactId: choice.contactId },
    input,
    sendAt,
    now,
  );

  const row = {
    author_id: author.kind === 'user' ? author.userId : null,
    process_workflow_id: process.workflowId,
    process_run_id: process.runId,
    text: input.text,
    subject: subject ?? null,
    idempotency_key: raw.idempotencyKey,
    // Kept with the message, so a retried dispatch sends the same template.
    whatsapp_template: input.whatsappTemplate ? JSON.stringify(input.whatsappTemplate) : null,
    scheduled_for: scheduledFor?.toISOString() ?? null,
  };
  // A concurrent request may open the account's session between our look and our insert; the
  // second try then reuses it.
  for (let attempt = 0; attempt < 2; attempt++) {
    const outcome = await recordWithFiles(db, choice, row, files);
    if (outcome.kind === 'recorded') {
      return {
        sessionId: outcome.sessionId,
        messageId: outcome.messageId,
        status: outcome.status,
        sessionReused: outcome.reused,
        channelKind: channel.kind,
        ...(scheduledFor ? { scheduledFor: scheduledFor.toISOString() } : {}),
      };
    }
    if (outcome.kind === 'duplicate') {
      // The same request, run concurrently, recorded the message first: drop what this try opened.
      if (outcome.openedSession) await dropEmptySession(db, outcome.sessionId);
      const winner = await db('messages').where({ idempotency_key: raw.idempotencyKey }).first('id');
      if (!winner) throw new Error(`message with idempotency key ${raw.idempotencyKey} vanished`);
      return fromExisting(db, winner.id as string);
    }
    if ('sessionId' in choice) throw new SessionClosed({ sessionId: choice.sessionId });
    if (!choice.mayOpen)
      throw new ChannelCannotInitiate({ channelKind: channel.kind, channelId: channel.id });
  }
  throw new Error(
    `the open session for ${'account' in choice ? choice.account : ''} kept changing; try again`,
  );
}

/**
 * The message, and its files in the same transaction: a message is never seen without its files,
 * and a request that made no message (a duplicate, no session) stores none. Without files it is the
 * one statement of the hot path.
 */
async function recordWithFiles(
  db: Knex,
  choice: SessionChoice,
  row: ProcessMessageRow,
  files: StoredFile[],
): Promise<RecordOutcome> {
  if (files.length === 0) return recordProcessMessage(db, choice, row);
  return db.transaction(async (trx) => {
    const outcome = await recordProcessMessage(trx, choice, row);
    if (outcome.kind === 'recorded') await storeMessageAttachments(trx, outcome.messageId, files);
    return outcome;
  });
}

/** Where the message goes, after the rules of the session or of the channel and account. */
async function sessionChoice(
  db: Knex,
  context: SendContext,
  input: SendLiveChatMessageInput,
  now: Date,
  consentKey: Buffer,
): Promise<{ channel: Channel; choice: SessionChoice }> {
  const liveChat = context.liveChat;
  if (!liveChat) throw new LiveChatNotFound({ liveChatId: input.liveChatId });
  const to = input.to;
  if ('sessionId' in to) {
    const session = context.session;
    if (!session || session.live_chat_id !== liveChat.id)
      throw new SessionNotFound({ sessionId: to.sessionId });
    if (input.channelId !== undefined && input.channelId !== session.channel_id) {
      throw new InvalidInput({ path: 'channelId', message: 'differs from the channel of the given session' });
    }
    if (session.state === 'closed') throw new SessionClosed({ sessionId: session.id });
    if (!context.channel) throw new Error(`session ${session.id} has no channel`);
    if (channelRules(context.channel.kind).requiresKnownChat) {
      if ((await telegramChatState(db, context.channel.id, session.account)) === 'blocked') {
        throw new TelegramChatBlocked({ chatId: session.account, channelId: context.channel.id });
      }
    }
    await refuseIfOptedOut(
      db,
      {
        liveChatId: liveChat.id,
        channelId: context.channel.id,
        settings: liveChat.consent ?? {},
        account: { kind: session.account_kind, value: session.account },
        otherAccounts: session.contact_id ? accountsOf(await contactFields(db, session.contact_id)) : [],
        process: true,
      },
      consentKey,
    );
    return { channel: context.channel, choice: { sessionId: session.id } };
  }
  if (input.channelId === undefined) {
    throw new InvalidInput({
      path: 'channelId',
      message: 'is required unless the message goes into a session',
    });
  }
  const channel = context.channel;
  if (!channel) throw new ChannelNotFound({ channelId: input.channelId });
  if (channel.live_chat_id !== liveChat.id) {
    throw new ChannelNotInLiveChat({ channelId: channel.id, liveChatId: liveChat.id });
  }
  const recipient = await resolveAccount(lookupsFrom(db, context), liveChat, channel, to);
  const rules = channelRules(channel.kind);
  if (rules.requiresKnownChat) {
    // Rule 9, and a chat that blocked the bot since: refused here, before the provider is asked.
    const blocked = context.blockedTelegramChats.find((c) => c.chatId === recipient.account);
    const state =
      'contactId' in to
        ? blocked
          ? 'blocked'
          : context.knownTelegramChats.includes(recipient.account)
            ? 'known'
            : 'unknown'
        : await telegramChatState(db, channel.id, recipient.account);
    if (state === 'unknown')
      throw new TelegramChatUnknown({ chatId: recipient.account, channelId: channel.id });
    if (state === 'blocked') {
      throw new TelegramChatBlocked({
        chatId: recipient.account,
        channelId: channel.id,
        ...(blocked ? { blockedAt: new Date(blocked.blockedAt).toISOString() } : {}),
      });
    }
  }
  // Before anything is written: the customer said no (or never said yes where that is needed).
  const otherFields =
    recipient.contactId === null
      ? []
      : context.contact?.id === recipient.contactId
        ? context.fields
        : await contactFields(db, recipient.contactId);
  await refuseIfOptedOut(
    db,
    {
      liveChatId: liveChat.id,
      channelId: channel.id,
      settings: liveChat.consent ?? {},
      account: { kind: recipient.accountKind, value: recipient.account },
      otherAccounts: accountsOf(otherFields),
      process: true,
    },
    consentKey,
  );
  const exclusive = rules.openSessionPolicy === 'one-per-account';
  return {
    channel,
    choice: {
      liveChatId: liveChat.id,
      channelId: channel.id,
      contactId: recipient.contactId,
      accountKind: recipient.accountKind,
      account: recipient.account,
      reuseOpen: exclusive || (input.reuseOpenSession ?? false),
      mayOpen: rules.canInitiate,
      exclusive,
      startedBy: input.author?.kind === 'user' ? input.author.userId : null,
      name: renderSessionName(liveChat.session_name_template, {
        ...(recipient.contactName ? { contactName: recipient.contactName } : {}),
        account: recipient.account,
        date: now,
        liveChatName: liveChat.name,
        channelKind: channel.kind,
        channelName: channel.name,
        ...(input.subject !== undefined ? { subject: input.subject } : {}),
      }),
    },
  };
}

/** A contact's fields as the accounts consent is kept for. */
function accountsOf(fields: Pick<ContactFieldRow, 'kind' | 'value'>[]): ConsentAccount[] {
  return fields.map((f) => ({ kind: f.kind, value: f.value }));
}

/** Contact look-ups answered from the context already read, or the database for an account value. */
function lookupsFrom(db: Knex, context: SendContext): ContactLookups {
  return {
    contact: async (id) => (context.contact?.id === id ? context.contact : getContact(db, id)),
    fields: async (id) => (context.contact?.id === id ? context.fields : contactFields(db, id)),
    byAccount: (app, kind, value) => findContactByAccount(db, app, kind, value),
  };
}

/** Renders `text` and `subject` as templates when the process gave variables. */
function withVariables(input: SendLiveChatMessageInput): SendLiveChatMessageInput {
  const variables = input.variables;
  if (variables === undefined) return input;
  return {
    ...input,
    text: renderMessageTemplate(input.text, variables),
    ...(input.subject !== undefined ? { subject: renderMessageTemplate(input.subject, variables) } : {}),
  };
}

/** What an earlier request with the same idempotency key made, reported as it was then. */
async function fromExisting(db: Knex, messageId: string): Promise<PreparedMessage> {
  const message = await getMessage(db, messageId);
  const session = message && (await getSession(db, message.session_id));
  const channel = session && (await getChannel(db, session.channel_id));
  if (!message || !session || !channel) throw new Error(`message ${messageId} has no session or channel`);
  return {
    sessionId: message.session_id,
    messageId: message.id,
    status: message.status,
    // A session opened by that request shares its statement's now() with the message.
    sessionReused: session.opened_at.getTime() !== message.created_at.getTime(),
    channelKind: channel.kind,
    ...(message.scheduled_for ? { scheduledFor: message.scheduled_for.toISOString() } : {}),
  };
}
