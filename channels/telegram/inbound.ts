import type { Knex } from 'knex';
import type { Telegram } from 'telegraf';
import { setTelegramChatBlocked, telegramChatState } from '../../db/telegram-chats';
import { liftTelegramBlock, recordConsent } from '../../db/consent';
import { getChannel } from '../../db/live-chats';
import { markFailed, markSent } from '../../db/messages';
import { telegramMessageId } from './adapter';
import { applyInboundEdit } from '../../db/message-versions';
import { fetchInboundFiles, type InboundFileFetcher } from '../../inbound/inbound-files';
import { recordInboundMessage } from '../../inbound/record-inbound-message';
import type { TelegramUpdateReading } from './updates';

export interface TelegramInboundDeps {
  db: Knex;
  /** Downloads files through getFile (`telegramFileFetcher`); without it they wait, pending. */
  fetchFile?: InboundFileFetcher;
  /** The bot's Bot API client, to answer button presses (answerCallbackQuery). */
  telegram?: Telegram;
  onError?: (error: unknown) => void;
  clock?: () => Date;
}

export type TelegramUpdateOutcome =
  | { kind: 'recorded'; messageId: string; duplicate: boolean }
  | { kind: 'edited'; messageId: string; changed: boolean }
  | { kind: 'membership'; blocked: boolean }
  | { kind: 'ignored'; reason: string };

/**
 * Does what one update says, the same for the webhook and for long polling. Storing comes first;
 * what follows (fetching files, answering a button press) cannot undo it, and a failure there is
 * reported, not thrown: the files stay pending for the retries, and a button Telegram hears no
 * answer for stops spinning on its own.
 */
export async function handleTelegramUpdate(
  deps: TelegramInboundDeps,
  reading: Exclude<TelegramUpdateReading, { kind: 'malformed' }>,
): Promise<TelegramUpdateOutcome> {
  const now = deps.clock ?? (() => new Date());
  switch (reading.kind) {
    case 'message': {
      const recorded = await recordInboundMessage(deps.db, reading.inbound);
      if (recorded.consent) await confirm(deps, reading.inbound.from, recorded.consent.confirmation, now);
      // New or repeated (Telegram's retry): whatever is still pending is fetched.
      if (reading.inbound.files?.length) await fetchFiles(deps, recorded.messageId);
      return { kind: 'recorded', messageId: recorded.messageId, duplicate: recorded.duplicate };
    }
    case 'edit': {
      const edited = await applyInboundEdit(deps.db, reading.edit);
      if (edited) return { kind: 'edited', messageId: edited.messageId, changed: edited.changed };
      // An edit of a message we never got (sent while the webhook was down): kept as it is now.
      const recorded = await recordInboundMessage(deps.db, reading.edit.inbound);
      if (reading.edit.inbound.files?.length) await fetchFiles(deps, recorded.messageId);
      return { kind: 'recorded', messageId: recorded.messageId, duplicate: recorded.duplicate };
    }
    case 'membership':
      await deps.db.transaction(async (trx) => {
        await setTelegramChatBlocked(trx, { ...reading.change, ...reading.change.sender });
        await recordBlockConsent(trx, reading.change);
      });
      return { kind: 'membership', blocked: reading.change.blocked };
    case 'button': {
      const recorded = await recordInboundMessage(deps.db, { ...reading.inbound, receivedAt: now() });
      await answer(deps, reading.callbackQueryId);
      return { kind: 'recorded', messageId: recorded.messageId, duplicate: recorded.duplicate };
    }
    case 'ignored':
      if (reading.callbackQueryId !== undefined) await answer(deps, reading.callbackQueryId);
      return { kind: 'ignored', reason: reading.reason };
  }
}

/** A block counts as an opt-out of that bot; an unblock lifts that (and only that) opt-out. */
async function recordBlockConsent(
  db: Knex,
  change: { channelId: string; chatId: string; blocked: boolean; at: Date },
): Promise<void> {
  const channel = await getChannel(db, change.channelId);
  if (!channel) return;
  if (!change.blocked) {
    await liftTelegramBlock(db, channel.live_chat_id, channel.id, change.chatId);
    return;
  }
  // Only a chat we know (setTelegramChatBlocked keeps the same rule).
  if ((await telegramChatState(db, channel.id, change.chatId)) !== 'blocked') return;
  await recordConsent(db, {
    liveChatId: channel.live_chat_id,
    account: { kind: 'telegram', value: change.chatId },
    state: 'opted-out',
    method: 'telegram-block',
    channelId: channel.id,
    at: change.at,
  });
}

/** The bot answers a keyword with its confirmation, recorded as sent (or failed) in the history. */
async function confirm(
  deps: TelegramInboundDeps,
  chatId: string,
  confirmation: { messageId: string; text: string },
  now: () => Date,
): Promise<void> {
  if (!deps.telegram) return;
  try {
    const sent = await deps.telegram.sendMessage(chatId, confirmation.text);
    await markSent(deps.db, confirmation.messageId, telegramMessageId(sent.chat.id, sent.message_id), now());
  } catch (error) {
    deps.onError?.(error);
    await markFailed(
      deps.db,
      confirmation.messageId,
      error instanceof Error ? error.message : String(error),
      now(),
    ).catch((e: unknown) => deps.onError?.(e));
  }
}

async function fetchFiles(deps: TelegramInboundDeps, messageId: string): Promise<void> {
  if (!deps.fetchFile) return;
  await fetchInboundFiles(deps.db, { telegram: deps.fetchFile }, { messageId }).catch((error: unknown) =>
    deps.onError?.(error),
  );
}

/** Telegram shows a spinner on the button until the bot answers the query. */
async function answer(deps: TelegramInboundDeps, callbackQueryId: string): Promise<void> {
  if (!deps.telegram) return;
  await deps.telegram.answerCbQuery(callbackQueryId).catch((error: unknown) => deps.onError?.(error));
}
