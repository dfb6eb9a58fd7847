/**
 * Reading a Bot API update (from the webhook or from getUpdates) into what we record: a customer's
 * message (with the files it carries), an edit of one, a block or unblock of the bot, a button press.
 */
import { z } from 'zod';
import type { InboundFileRef } from '../../inbound/inbound-files';
import type { InboundMessage } from '../../inbound/record-inbound-message';
import { telegramMessageId } from './adapter';

/** What a message may carry instead of text; shown to operators as "[photo]" and so on. */
const MEDIA_KINDS = [
  'photo',
  'document',
  'sticker',
  'voice',
  'audio',
  'video',
  'video_note',
  'animation',
  'location',
  'venue',
  'contact',
  'poll',
  'dice',
] as const;

/** The update kinds we read; polling asks Telegram for exactly these. */
export const TELEGRAM_UPDATE_KINDS = [
  'message',
  'edited_message',
  'my_chat_member',
  'callback_query',
] as const;

const telegramId = z
  .number()
  .int()
  .refine((n) => Number.isSafeInteger(n) && n !== 0, 'not a Telegram id');

const ChatSchema = z.looseObject({
  id: telegramId,
  // Telegram always sends it, but some gateways and older self-hosted servers drop it: a chat
  // without a type is read as a private chat (the kind a bot's customers write from).
  type: z.string().optional(),
  title: z.string().optional(),
  username: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
});

const UserSchema = z.looseObject({
  id: telegramId,
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});

const FileSchema = z.looseObject({
  file_id: z.string().min(1),
  file_unique_id: z.string().optional(),
  file_size: z.number().int().nonnegative().optional(),
  file_name: z.string().optional(),
  mime_type: z.string().optional(),
});

const MessageSchema = z.looseObject({
  message_id: z.number().int().positive(),
  date: z.number().int().nonnegative(),
  edit_date: z.number().int().nonnegative().optional(),
  chat: ChatSchema,
  from: UserSchema.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  photo: z
    .array(FileSchema.extend({ width: z.number().optional(), height: z.number().optional() }))
    .optional(),
  document: FileSchema.optional(),
  voice: FileSchema.optional(),
  audio: FileSchema.optional(),
  video: FileSchema.optional(),
  video_note: FileSchema.optional(),
  animation: FileSchema.optional(),
});

const MemberSchema = z.looseObject({ status: z.string() });

const MyChatMemberSchema = z.looseObject({
  chat: ChatSchema,
  from: UserSchema,
  date: z.number().int().nonnegative(),
  new_chat_member: MemberSchema,
});

const CallbackQuerySchema = z.looseObject({
  id: z.string().min(1),
  from: UserSchema,
  message: z.looseObject({ message_id: z.number().int(), chat: ChatSchema }).optional(),
  data: z.string().optional(),
  game_short_name: z.string().optional(),
});

const UpdateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: z.unknown().optional(),
  edited_message: z.unknown().optional(),
  my_chat_member: z.unknown().optional(),
  callback_query: z.unknown().optional(),
});

/** The customer edited a message: its new text, and the message to find by its provider id. */
export interface TelegramEdit {
  channelId: string;
  providerMessageId: string;
  text: string;
  editedAt: Date;
  /** The whole message as it is now, to record when we never had the original. */
  inbound: InboundMessage;
}

/** The person blocked the bot (my_chat_member `kicked`) or unblocked / restarted it (`member`). */
export interface TelegramMembership {
  channelId: string;
  chatId: string;
  blocked: boolean;
  at: Date;
  sender: { username?: string; displayName?: string };
}

export type TelegramUpdateReading =
  | { kind: 'message'; updateId: number; inbound: InboundMessage }
  | { kind: 'edit'; updateId: number; edit: TelegramEdit }
  | { kind: 'membership'; updateId: number; change: TelegramMembership }
  /** A press of an inline-keyboard button: recorded as an inbound message; Telegram wants an answer. */
  | { kind: 'button'; updateId: number; callbackQueryId: string; inbound: InboundMessage }
  | { kind: 'ignored'; updateId: number; reason: string; callbackQueryId?: string }
  | { kind: 'malformed'; problem: string };

/**
 * Reads one update:
 * - `message`: a customer writing (text, or a photo, document, voice… by its caption or kind, with
 *   the file to fetch through getFile); the person wrote to the bot and must be remembered (rule 9);
 * - `edited_message`: the customer changed the text of a message;
 * - `my_chat_member` in a private chat: `kicked` is the person blocking the bot, `member` unblocking
 *   or restarting it (the bot's status in groups is not the customer's);
 * - `callback_query` with `data`: a button press, recorded as a message whose text is the button's
 *   data (Telegram's documented payload; a game's button has none and is only answered).
 * Anything else (channel posts, polls, reactions) is acknowledged and dropped.
 */
export function readTelegramUpdate(channelId: string, body: unknown): TelegramUpdateReading {
  const update = UpdateSchema.safeParse(body);
  if (!update.success) return { kind: 'malformed', problem: problemOf(update.error) };
  const { update_id: updateId } = update.data;

  if (update.data.message !== undefined) {
    const parsed = MessageSchema.safeParse(update.data.message);
    if (!parsed.success) return { kind: 'malformed', problem: problemOf(parsed.error) };
    const inbound = inboundOf(channelId, parsed.data);
    if (!inbound) return { kind: 'ignored', updateId, reason: 'a service message, not written' };
    return { kind: 'message', updateId, inbound };
  }

  if (update.data.edited_message !== undefined) {
    const parsed = MessageSchema.safeParse(update.data.edited_message);
    if (!parsed.success) return { kind: 'malformed', problem: problemOf(parsed.error) };
    const message = parsed.data;
    const editedAt = new Date((message.edit_date ?? message.date) * 1000);
    const inbound = inboundOf(channelId, message);
    if (!inbound) return { kind: 'ignored', updateId, reason: 'an edit without text' };
    return {
      kind: 'edit',
      updateId,
      edit: {
        channelId,
        providerMessageId: inbound.providerMessageId,
        text: inbound.text,
        editedAt,
        inbound: { ...inbound, editedAt },
      },
    };
  }

  if (update.data.my_chat_member !== undefined) {
    const parsed = MyChatMemberSchema.safeParse(update.data.my_chat_member);
    if (!parsed.success) return { kind: 'malformed', problem: problemOf(parsed.error) };
    const { chat, from, date, new_chat_member: member } = parsed.data;
    if ((chat.type ?? 'private') !== 'private') {
      return { kind: 'ignored', updateId, reason: "the bot's membership of a group" };
    }
    const blocked = member.status === 'kicked';
    if (!blocked && member.status !== 'member') {
      return { kind: 'ignored', updateId, reason: `membership status ${member.status}` };
    }
    return {
      kind: 'membership',
      updateId,
      change: {
        channelId,
        chatId: String(chat.id),
        blocked,
        at: new Date(date * 1000),
        sender: senderOf(chat, from),
      },
    };
  }

  if (update.data.callback_query !== undefined) {
    const parsed = CallbackQuerySchema.safeParse(update.data.callback_query);
    if (!parsed.success) return { kind: 'malformed', problem: problemOf(parsed.error) };
    const query = parsed.data;
    if (query.data === undefined || query.data === '') {
      return { kind: 'ignored', updateId, reason: 'a button without data', callbackQueryId: query.id };
    }
    // The chat of the message the button was under; a button of an inline message has none, and
    // then the person's own private chat with the bot is where they are.
    const chat = query.message?.chat ?? { id: query.from.id, type: 'private' };
    return {
      kind: 'button',
      updateId,
      callbackQueryId: query.id,
      inbound: {
        channelId,
        from: String(chat.id),
        text: query.data,
        kind: 'button',
        // Unique per bot: Telegram's id of the query.
        providerMessageId: `callback:${query.id}`,
        sender: senderOf(chat, query.from),
        // A callback query carries no date: it happens now.
        receivedAt: new Date(),
      },
    };
  }

  const kinds = Object.keys(update.data).filter((key) => key !== 'update_id');
  return { kind: 'ignored', updateId, reason: `not read here (${kinds.join(', ') || 'empty'})` };
}

type ParsedMessage = z.infer<typeof MessageSchema>;
type ParsedChat = z.infer<typeof ChatSchema>;
type ParsedUser = z.infer<typeof UserSchema>;

function inboundOf(channelId: string, message: ParsedMessage): InboundMessage | undefined {
  const media = MEDIA_KINDS.find((kind) => message[kind] !== undefined);
  const text = message.text ?? message.caption ?? (media ? `[${media}]` : undefined);
  if (text === undefined) return undefined;
  const files = filesOf(message);
  return {
    channelId,
    from: String(message.chat.id),
    text,
    providerMessageId: telegramMessageId(message.chat.id, message.message_id),
    sender: senderOf(message.chat, message.from),
    receivedAt: new Date(message.date * 1000),
    ...(files.length > 0 ? { files } : {}),
  };
}

/** Who wrote: in a private chat the person; in a group, the group, named by its title. */
function senderOf(
  chat: ParsedChat,
  from: ParsedUser | undefined,
): { username?: string; displayName?: string } {
  const person = (chat.type ?? 'private') === 'private' ? (from ?? chat) : undefined;
  const displayName = person
    ? [person.first_name, person.last_name].filter((part) => part).join(' ')
    : (chat.title ?? '');
  const username = person ? person.username : chat.username;
  return { ...(username ? { username } : {}), ...(displayName ? { displayName } : {}) };
}

/**
 * The files to fetch through getFile: a photo's largest size (Telegram lists them smallest first),
 * a document under its own name and type, a voice note (OGG/Opus), audio, video, a video note, an
 * animation. Names are made up where Telegram gives none.
 */
function filesOf(message: ParsedMessage): InboundFileRef[] {
  const ref = (
    file: z.infer<typeof FileSchema>,
    fallbackType: string,
    fallbackName: string,
  ): InboundFileRef => ({
    source: file.file_id,
    contentType: file.mime_type ?? fallbackType,
    filename: file.file_name ?? fallbackName,
    ...(file.file_size !== undefined ? { size: file.file_size } : {}),
  });
  const files: InboundFileRef[] = [];
  const largest = message.photo?.at(-1);
  if (largest) files.push(ref(largest, 'image/jpeg', `photo-${message.message_id}.jpg`));
  if (message.document)
    files.push(ref(message.document, 'application/octet-stream', `document-${message.message_id}`));
  if (message.voice) files.push(ref(message.voice, 'audio/ogg', `voice-${message.message_id}.ogg`));
  if (message.audio) files.push(ref(message.audio, 'audio/mpeg', `audio-${message.message_id}.mp3`));
  if (message.video) files.push(ref(message.video, 'video/mp4', `video-${message.message_id}.mp4`));
  if (message.video_note)
    files.push(ref(message.video_note, 'video/mp4', `video-note-${message.message_id}.mp4`));
  if (message.animation)
    files.push(ref(message.animation, 'video/mp4', `animation-${message.message_id}.mp4`));
  return files;
}

function problemOf(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'update'}: ${issue.message}`).join('; ');
}
