import type { Knex } from 'knex';
import { getChannel, getLiveChat, getMembership } from '../db/live-chats';
import { channelOf } from './channel-of';
import { findByIdempotencyKey, insertMessage } from '../db/messages';
import type { ChannelRow, LiveChatRow, MessageRow, SessionRow } from '../db/rows';
import { getSession, touchSession } from '../db/sessions';
import { isKnownTelegramChat } from '../db/telegram-chats';
import { channelRules } from '../domain/channels';
import {
  InvalidInput,
  LiveChatNotFound,
  NotAllowedAuthor,
  SessionClosed,
  SessionNotFound,
  TelegramChatUnknown,
} from '../domain/errors';
import { parseSendLiveChatMessageInput } from '../domain/inputs';
import { validateMessageText, validateSubject } from '../domain/limits';
import { renderMessageTemplate } from '../domain/templates';
import type { ChannelKind, DeliveryStatus, ProcessAuthor, SendLiveChatMessageInput } from '../domain/types';
import { resolveAccount } from './accounts';
import { openOrReuseSession } from './sessions';

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
}

/** Another request with the same idempotency key committed first: use its message. */
class DuplicateRequest extends Error {}

/**
 * Checks every rule, opens or reuses the session and records the message as pending, in one
 * transaction: a refusal leaves nothing behind (rule 18), and the unique idempotency key makes a
 * retried or repeated request find the message it already made (rule 19).
 */
export async function prepareMessage(
  db: Knex,
  raw: PrepareMessageInput,
  now: Date,
): Promise<PreparedMessage> {
  const { process, ...request } = raw;
  const parsed = parseSendLiveChatMessageInput(request);
  const idempotencyKey = raw.idempotencyKey;
  const input = withVariables(parsed);
  validateMessageText(input.text);
  const subject = validateSubject(input.subject);

  const existing = await findByIdempotencyKey(db, idempotencyKey);
  if (existing) return fromExisting(db, existing);
  try {
    return await db.transaction(async (trx) => {
      const liveChat = await getLiveChat(trx, input.liveChatId);
      if (!liveChat) throw new LiveChatNotFound({ liveChatId: input.liveChatId });
      const author = input.author ?? { kind: 'system' };
      await checkProcessAuthor(trx, liveChat, author);

      const { session, reused, channel } = await sessionFor(trx, liveChat, { ...input, subject }, now);
      const rules = channelRules(channel.kind);
      validateMessageText(input.text, rules.maxTextLength);
      if (subject !== undefined && !rules.hasSubject) {
        throw new InvalidInput({
          path: 'subject',
          message: `only email channels take a subject, not ${channel.kind}`,
        });
      }
      const message = await insertMessage(trx, {
        session_id: session.id,
        direction: 'outbound',
        author_kind: 'process',
        author_id: author.kind === 'user' ? author.userId : null,
        process_workflow_id: process.workflowId,
        process_run_id: process.runId,
        text: input.text,
        subject: subject ?? null,
        idempotency_key: idempotencyKey,
      });
      if (!message) throw new DuplicateRequest();
      await touchSession(trx, session.id, now);
      return {
        sessionId: session.id,
        messageId: message.id,
        status: message.status,
        sessionReused: reused,
        channelKind: channel.kind,
      };
    });
  } catch (error) {
    if (!(error instanceof DuplicateRequest)) throw error;
    const winner = await findByIdempotencyKey(db, idempotencyKey);
    if (!winner) throw new Error(`message with idempotency key ${idempotencyKey} vanished`, { cause: error });
    return fromExisting(db, winner);
  }
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

async function fromExisting(db: Knex, message: MessageRow): Promise<PreparedMessage> {
  // A session opened by this very request shares the transaction's now() with its message; a reused
  // one was opened by an earlier transaction.
  const session = await getSession(db, message.session_id);
  const channel = session && (await getChannel(db, session.channel_id));
  if (!session || !channel) throw new Error(`message ${message.id} has no session or channel`);
  return {
    sessionId: message.session_id,
    messageId: message.id,
    status: message.status,
    sessionReused: session.opened_at.getTime() !== message.created_at.getTime(),
    channelKind: channel.kind,
  };
}

/** Rule 16: the system, or the user who started the process if they serve this live chat. */
async function checkProcessAuthor(db: Knex, liveChat: LiveChatRow, author: ProcessAuthor): Promise<void> {
  if (author.kind === 'system') return;
  const membership = await getMembership(db, liveChat.id, author.userId);
  if (!membership) throw new NotAllowedAuthor({ userId: author.userId, liveChatId: liveChat.id });
}

async function sessionFor(
  db: Knex,
  liveChat: LiveChatRow,
  input: SendLiveChatMessageInput,
  now: Date,
): Promise<{ session: SessionRow; reused: boolean; channel: ChannelRow }> {
  const to = input.to;
  if ('sessionId' in to) {
    const session = await getSession(db, to.sessionId);
    if (!session || session.live_chat_id !== liveChat.id)
      throw new SessionNotFound({ sessionId: to.sessionId });
    if (input.channelId !== undefined && input.channelId !== session.channel_id) {
      throw new InvalidInput({ path: 'channelId', message: 'differs from the channel of the given session' });
    }
    if (session.state === 'closed') throw new SessionClosed({ sessionId: session.id });
    const channel = await getChannel(db, session.channel_id);
    if (!channel) throw new Error(`session ${session.id} has no channel`);
    return { session, reused: true, channel };
  }
  if (input.channelId === undefined) {
    throw new InvalidInput({
      path: 'channelId',
      message: 'is required unless the message goes into a session',
    });
  }
  const channel = await channelOf(db, liveChat, input.channelId);
  const recipient = await resolveAccount(db, liveChat, channel, to);
  if (
    channelRules(channel.kind).requiresKnownChat &&
    !(await isKnownTelegramChat(db, channel.id, recipient.account))
  ) {
    throw new TelegramChatUnknown({ chatId: recipient.account, channelId: channel.id });
  }
  const opened = await openOrReuseSession(db, {
    liveChat,
    channel,
    recipient,
    origin: 'process',
    startedBy: input.author?.kind === 'user' ? input.author.userId : null,
    assignedOperatorId: null,
    ...(input.subject !== undefined ? { subject: input.subject } : {}),
    reuseOpenSession: input.reuseOpenSession ?? false,
    now,
  });
  return { ...opened, channel };
}
