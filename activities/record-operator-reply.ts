import type { Knex } from 'knex';
import { contactAccounts, liveChatConsent, refuseIfOptedOut } from '../db/consent';
import { getMembership } from '../db/live-chats';
import { findByIdempotencyKey, insertOperatorMessage, operatorReplyKey } from '../db/messages';
import type { SessionRow } from '../db/rows';
import { touchSession } from '../db/sessions';
import { channelRules } from '../domain/channels';
import { checkStoredFiles, linkStoredFiles } from '../db/attachments';
import { NotAnOperator, SessionAssignedToAnother, SessionClosed, SessionNotFound } from '../domain/errors';
import { parseOperatorReplyInput } from '../domain/inputs';
import { validateMessageText } from '../domain/limits';
import type { ChannelKind, OperatorReplyInput } from '../domain/types';

export interface RecordOperatorReplyInput extends OperatorReplyInput {
  idempotencyKey: string;
}

export interface RecordedReply {
  sessionId: string;
  messageId: string;
  /** Which dispatch queue (and so which rate limit) the reply goes through. */
  channelKind: ChannelKind;
}

/**
 * An operator's reply, recorded as pending for dispatch in one transaction: the operator must serve
 * the session's live chat (an operator writes in sessions assigned to them or to no one, and takes an
 * unassigned one by answering; a supervisor writes in any), and the session must be open. The message
 * is the operator's own (author kind `operator`), not a process's. A repeated request finds its reply.
 */
export async function recordOperatorReply(
  db: Knex,
  raw: RecordOperatorReplyInput,
  now: Date,
): Promise<RecordedReply> {
  const input = parseOperatorReplyInput(raw);
  const key = operatorReplyKey(raw.idempotencyKey);
  validateMessageText(input.text);

  return db.transaction(async (trx) => {
    // Locked, so closing the session or another operator taking it cannot slip in between.
    const session = await trx<SessionRow & { channel_kind: ChannelKind }>('sessions as s')
      .join('channels as c', 'c.id', 's.channel_id')
      .where('s.id', input.sessionId)
      .forUpdate('s')
      .first('s.*', 'c.kind as channel_kind');
    if (!session) throw new SessionNotFound({ sessionId: input.sessionId });

    const earlier = await findByIdempotencyKey(trx, key);
    if (earlier) return { sessionId: session.id, messageId: earlier.id, channelKind: session.channel_kind };

    const membership = await getMembership(trx, session.live_chat_id, input.operatorId);
    if (!membership) throw new NotAnOperator({ userId: input.operatorId, liveChatId: session.live_chat_id });
    if (session.state === 'closed') throw new SessionClosed({ sessionId: session.id });
    const assigned = session.assigned_operator_id;
    if (membership.role === 'operator' && assigned !== null && assigned !== input.operatorId) {
      throw new SessionAssignedToAnother({ sessionId: session.id, assignedOperatorId: assigned });
    }
    validateMessageText(input.text, channelRules(session.channel_kind).maxTextLength);
    const files = input.files ?? [];
    // The same limits as a process's files, by the sizes stored (the workspace checked them too).
    await checkStoredFiles(trx, files, session.channel_kind);
    // An opted-out customer hears from an operator only in a conversation they started, where the
    // live chat allows that.
    const consent = await liveChatConsent(trx, session.live_chat_id);
    if (!(consent.operatorMayAnswerOptedOut && session.origin === 'customer')) {
      await refuseIfOptedOut(trx, {
        liveChatId: session.live_chat_id,
        channelId: session.channel_id,
        settings: consent,
        account: { kind: session.account_kind, value: session.account },
        otherAccounts: session.contact_id ? await contactAccounts(trx, session.contact_id) : [],
      });
    }

    if (assigned === null && membership.role === 'operator') {
      await trx('sessions').where({ id: session.id }).update({ assigned_operator_id: input.operatorId });
    }
    const message = await insertOperatorMessage(trx, {
      sessionId: session.id,
      operatorId: input.operatorId,
      text: input.text,
      idempotencyKey: key,
      whatsappTemplate: input.whatsappTemplate,
    });
    if (!message) throw new Error(`reply ${key} was recorded concurrently; try again`);
    await linkStoredFiles(trx, message.id, files);
    await touchSession(trx, session.id, now);
    return { sessionId: session.id, messageId: message.id, channelKind: session.channel_kind };
  });
}
