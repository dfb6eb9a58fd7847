import type { Knex } from 'knex';
import { bulkRunSummary, dropBulkRun, getBulkRun, planBulkRun } from '../db/bulk-runs';
import { getChannel, getLiveChat, getMembership } from '../db/live-chats';
import { channelRules } from '../domain/channels';
import {
  ChannelCannotInitiate,
  ChannelNotFound,
  ChannelNotInLiveChat,
  EmptyAudience,
  InvalidInput,
  LiveChatNotFound,
  NotAllowedAuthor,
} from '../domain/errors';
import { parseBulkNotifyInput } from '../domain/inputs';
import { validateMessageText, validateSubject } from '../domain/limits';
import { renderMessageTemplate } from '../domain/templates';
import type { BulkNotifyInput, ChannelKind } from '../domain/types';

export interface PlanBulkInput {
  /** The workflow id: the run's id, the same across continue-as-new. */
  bulkId: string;
  request: BulkNotifyInput;
}

export interface PlannedBulk {
  total: number;
  channelKind: ChannelKind;
  /** Set when a run with this id has already ended: what it did. Nothing more is sent. */
  ended?: {
    state: 'completed' | 'cancelled';
    sent: number;
    failed: number;
    scheduled: number;
    cancelled: number;
    failuresByType: Record<string, number>;
  };
}

/**
 * Checks what every recipient's message shares (live chat, channel, author, text and subject with
 * their variables) once, before anything is sent, then records the audience. A broken rule refuses
 * the whole run and leaves nothing behind; what only one recipient can break (no account, an
 * invalid number) is that recipient's failure, counted as the run goes.
 */
export async function planBulk(db: Knex, input: PlanBulkInput): Promise<PlannedBulk> {
  const request = parseBulkNotifyInput(input.request);
  const liveChat = await getLiveChat(db, request.liveChatId);
  if (!liveChat) throw new LiveChatNotFound({ liveChatId: request.liveChatId });
  const channel = await getChannel(db, request.channelId);
  if (!channel) throw new ChannelNotFound({ channelId: request.channelId });
  if (channel.live_chat_id !== liveChat.id)
    throw new ChannelNotInLiveChat({ channelId: channel.id, liveChatId: liveChat.id });
  const rules = channelRules(channel.kind);
  if (!rules.canInitiate || rules.accountKind === null)
    throw new ChannelCannotInitiate({ channelKind: channel.kind, channelId: channel.id });
  const author = request.author;
  if (author?.kind === 'user' && !(await getMembership(db, liveChat.id, author.userId)))
    throw new NotAllowedAuthor({ userId: author.userId, liveChatId: liveChat.id });
  const variables = request.variables ?? {};
  validateMessageText(
    request.variables ? renderMessageTemplate(request.text, variables) : request.text,
    rules.maxTextLength,
  );
  if (request.subject !== undefined) {
    if (!rules.hasSubject)
      throw new InvalidInput({
        path: 'subject',
        message: `only email channels take a subject, not ${channel.kind}`,
      });
    validateSubject(request.variables ? renderMessageTemplate(request.subject, variables) : request.subject);
  }

  const existing = await getBulkRun(db, input.bulkId);
  if (existing && existing.state !== 'running') {
    const { byStatus, failuresByType } = await bulkRunSummary(db, existing.id);
    return {
      total: existing.total,
      channelKind: channel.kind,
      ended: {
        state: existing.state,
        sent: byStatus.sent ?? 0,
        failed: byStatus.failed ?? 0,
        scheduled: byStatus.scheduled ?? 0,
        cancelled: byStatus.cancelled ?? 0,
        failuresByType,
      },
    };
  }
  const audience = request.audience;
  const { total } = await planBulkRun(
    db,
    { id: input.bulkId, liveChatId: liveChat.id, channelId: channel.id },
    'recipients' in audience
      ? { recipients: audience.recipients }
      : { app: liveChat.bound_app, accountKind: rules.accountKind, where: audience.query.where ?? {} },
  );
  if (total === 0) {
    await dropBulkRun(db, input.bulkId);
    throw new EmptyAudience({
      liveChatId: liveChat.id,
      channelId: channel.id,
      ...('query' in audience && audience.query.where ? { where: audience.query.where } : {}),
    });
  }
  return { total, channelKind: channel.kind };
}
