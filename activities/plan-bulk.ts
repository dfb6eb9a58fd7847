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
import { namesContact, renderMessageTemplate, templatePaths, unknownContactPaths } from '../domain/templates';
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
  if (request.subject !== undefined && !rules.hasSubject)
    throw new InvalidInput({
      path: 'subject',
      message: `only email channels take a subject, not ${channel.kind}`,
    });
  checkTemplates(request, rules.maxTextLength);

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

/**
 * The text and subject as templates, before anything is sent. Shared variables only: rendered and
 * checked once, as every recipient gets the same. With fields of each recipient's own (its
 * variables, its contact's `contact.name` or `contact.data.<field>`): a field no recipient can have
 * (`contact.nmae`, a variable neither shared nor given with any recipient) refuses the bulk; a
 * recipient that lacks one it could have is that recipient's failure, as its page renders it.
 */
function checkTemplates(request: BulkNotifyInput, maxTextLength: number): void {
  const templates = [request.text, ...(request.subject !== undefined ? [request.subject] : [])];
  const paths = templates.flatMap(templatePaths);
  const unknown = unknownContactPaths(paths);
  if (unknown.length > 0)
    throw new InvalidInput({
      path: 'text',
      message: `names {{${unknown[0]}}}, which no contact has (a contact offers contact.id, contact.name and contact.data.<field>)`,
    });
  const audience = request.audience;
  const recipients = 'recipients' in audience ? audience.recipients : undefined;
  const ownVariables = recipients?.some((r) => r.variables !== undefined) ?? false;
  if (namesContact(paths) && recipients?.every((r) => !('contactId' in r)))
    throw new InvalidInput({
      path: 'text',
      message: 'names contact fields, but every recipient is given by an account, without a contact',
    });
  if (!namesContact(paths) && !ownVariables) {
    const variables = request.variables;
    validateMessageText(
      variables ? renderMessageTemplate(request.text, variables) : request.text,
      maxTextLength,
    );
    if (request.subject !== undefined)
      validateSubject(variables ? renderMessageTemplate(request.subject, variables) : request.subject);
    return;
  }
  // What some recipient may have: every contact field named, every recipient's variable.
  const anyRecipient: Record<string, unknown> = { contact: contactStandIn(paths) };
  for (const r of recipients ?? []) Object.assign(anyRecipient, r.variables);
  const context = { ...anyRecipient, ...request.variables };
  for (const template of templates) renderMessageTemplate(template, context);
}

/** A contact with every `contact.…` field the template names, for checking it renders. */
function contactStandIn(paths: string[]): Record<string, unknown> {
  const contact: Record<string, unknown> = { id: '', name: '', data: {} };
  for (const path of paths) {
    const [head, ...rest] = path.split('.');
    if (head !== 'contact' || rest.length === 0) continue;
    let node = contact;
    rest.forEach((part, k) => {
      if (k === rest.length - 1) node[part] ??= '';
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return contact;
}
