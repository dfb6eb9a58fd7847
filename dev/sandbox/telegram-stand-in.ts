import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan } from './faults';

/**
 * A local server speaking enough of the Telegram Bot API for our adapter, webhook and long polling to
 * run against it unchanged (telegraf's `Telegram` pointed at `url` with its `apiRoot` option):
 * `/bot<TOKEN>/<method>` with JSON, form or multipart bodies (or query parameters), answering with the
 * real envelope `{ ok: true, result }` / `{ ok: false, error_code, description, parameters? }` and the
 * matching HTTP status.
 *
 * Like Telegram it knows which chats exist: a chat exists once its person wrote to the bot
 * (`customerWrites`), and a bot cannot write to any other (400 "chat not found"). A person can block
 * the bot (403). Faults (`faults`) apply to the sending methods: fail the next calls with a 429 and
 * `retry_after`, a 5xx, or any other answer, and a rate limit that answers 429.
 *
 * Webhooks: after setWebhook, each new update is POSTed to the URL with the secret in
 * `X-Telegram-Bot-Api-Secret-Token`, in order; an update the webhook did not accept with a 2xx stays
 * pending and is tried again at the next delivery (the next update, setWebhook or `redeliver()`),
 * not on a timer as Telegram does. Without a webhook, updates wait for getUpdates.
 */

/** How a call should fail instead of succeeding. */
export interface TelegramFault {
  /** The Bot API error code, also the HTTP status; 0 drops the connection without an answer. */
  errorCode: number;
  description: string;
  /** Seconds, sent as `parameters.retry_after` (Telegram does so with 429). */
  retryAfter?: number;
}

export const telegramFaults = {
  tooManyRequests: (retryAfterSeconds: number): TelegramFault => ({
    errorCode: 429,
    description: `Too Many Requests: retry after ${retryAfterSeconds}`,
    retryAfter: retryAfterSeconds,
  }),
  serverError: (): TelegramFault => ({ errorCode: 500, description: 'Internal Server Error' }),
  badGateway: (): TelegramFault => ({ errorCode: 502, description: 'Bad Gateway' }),
  /** The connection is closed with no answer: the client sees a network error ("socket hang up"). */
  connectionDropped: (): TelegramFault => ({ errorCode: 0, description: 'connection dropped' }),
};

export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
}

export interface TelegramChat {
  id: number;
  /** Absent only when a test plays a gateway that drops it (`customerWrites` with `chatWithoutType`). */
  type?: 'private' | 'group';
  title?: string;
  first_name?: string;
  last_name?: string;
  username?: string;
}

export interface TelegramMessage {
  message_id: number;
  date: number;
  chat: TelegramChat;
  from: TelegramUser;
  text?: string;
  caption?: string;
  document?: TelegramFile & { file_name?: string; mime_type?: string };
  photo?: (TelegramFile & { width: number; height: number })[];
  voice?: TelegramFile & { duration: number; mime_type?: string };
  edit_date?: number;
}

export interface TelegramFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
}

/** One update as the Bot API sends it: exactly one of the optional fields is set. */
export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
  edited_message?: TelegramMessage;
  my_chat_member?: {
    chat: TelegramChat;
    from: TelegramUser;
    date: number;
    old_chat_member: { status: string; user: TelegramUser };
    new_chat_member: { status: string; user: TelegramUser };
  };
  callback_query?: {
    id: string;
    from: TelegramUser;
    message?: TelegramMessage;
    chat_instance: string;
    data?: string;
  };
}

/** A file a customer sends (`customerSendsFile`). */
export interface CustomerFile {
  kind: 'photo' | 'document' | 'voice';
  content: Buffer;
  fileName?: string;
  mimeType?: string;
  caption?: string;
}

/** What the bot sent, as the stand-in accepted it. */
export interface SentTelegramMessage {
  chatId: string;
  /** The text, or a document's caption. */
  text: string;
  messageId: number;
  /** The stand-in's own clock, in milliseconds. */
  at: number;
  /** sendDocument: the file_id or URL given, or `upload:<name>` for an uploaded file. */
  document?: string;
  /** An uploaded file (sendDocument, or one document of a sendMediaGroup album) as it arrived. */
  upload?: { filename: string; size: number; sha256: string };
  /** sendMediaGroup: the album this message belongs to. */
  mediaGroupId?: string;
}

/** Every call, refused or not: lets a test count attempts. */
export interface TelegramApiCall {
  method: string;
  chatId?: string;
  /** The HTTP status answered (200, 429, 403…); 0 when the connection was dropped. */
  status: number;
  at: number;
}

export interface WebhookDelivery {
  updateId: number;
  /** The webhook's HTTP status; 0 when it could not be reached. */
  status: number;
  at: number;
}

export interface CustomerWriteResult {
  update: TelegramUpdate & { message: TelegramMessage };
  /** When a webhook is set: how it answered this update (undefined if an earlier one is still stuck). */
  webhookStatus?: number;
}

export interface TelegramStandInOptions {
  token: string;
  /** The stand-in's clock in milliseconds (message dates, `sent[].at`). Default: the wall clock. */
  now?: () => number;
  botUsername?: string;
  /** `retry_after` sent when the rate limit is hit. Default 1 second. */
  rateLimitRetryAfterSeconds?: number;
  /** Port on 127.0.0.1; default: a free one. */
  port?: number;
}

interface ChatState {
  chat: TelegramChat;
  user: TelegramUser;
  blocked: boolean;
  /** Message ids are per chat in Telegram, shared by both directions. */
  lastMessageId: number;
}

type Params = Record<string, unknown>;

class ApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

const MAX_BODY_BYTES = 50 * 1024 * 1024; // Telegram's upload limit for bots
const MAX_TEXT_LENGTH = 4096;
const MAX_CAPTION_LENGTH = 1024;
const SECRET_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
const SEND_METHODS = new Set(['sendmessage', 'senddocument', 'sendmediagroup']);

export class TelegramStandIn {
  readonly faults = new FaultPlan<TelegramFault>();
  readonly sent: SentTelegramMessage[] = [];
  readonly calls: TelegramApiCall[] = [];
  readonly webhookDeliveries: WebhookDelivery[] = [];
  /** The callback query ids the bot answered (answerCallbackQuery). */
  readonly answeredCallbacks: string[] = [];
  /** Downloads of files at /file/bot<token>/<path>, with the status answered. */
  readonly fileDownloads: { path: string; status: number }[] = [];
  webhook: { url: string; secretToken?: string } | undefined;

  private readonly token: string;
  private readonly now: () => number;
  private readonly rateLimitRetryAfter: number;
  private readonly bot: TelegramUser & { username: string };
  private readonly chats = new Map<string, ChatState>();
  /** Files customers sent, by file_id, with the path getFile gives for them. */
  private readonly files = new Map<string, { content: Buffer; path: string; uniqueId: string }>();
  /** Updates not yet confirmed (getUpdates offset) or not yet accepted by the webhook. */
  private pending: TelegramUpdate[] = [];
  private lastUpdateId = 100_000;
  private readonly wakeUps = new Set<() => void>();
  private poll: { supersede(): void } | undefined;
  private delivery: Promise<void> = Promise.resolve();
  private stopped = false;

  private readonly server: http.Server;
  private port = 0;

  private constructor(options: TelegramStandInOptions) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.token = options.token;
    this.now = options.now ?? Date.now;
    this.rateLimitRetryAfter = options.rateLimitRetryAfterSeconds ?? 1;
    const botId = Number(/^(\d+):/.exec(options.token)?.[1] ?? 1);
    this.bot = {
      id: botId,
      is_bot: true,
      first_name: 'Live Chat Bot',
      username: options.botUsername ?? 'livechat_test_bot',
    };
  }

  static async start(options: TelegramStandInOptions): Promise<TelegramStandIn> {
    if (!options.token) throw new Error('the stand-in needs the bot token it accepts');
    const standIn = new TelegramStandIn(options);
    await new Promise<void>((resolve, reject) => {
      standIn.server.once('error', reject);
      standIn.server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    standIn.port = (standIn.server.address() as AddressInfo).port;
    return standIn;
  }

  /** The Bot API root to give telegraf as `apiRoot`, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * A person writes to the bot: the chat starts to exist, and the update goes to the webhook (awaited)
   * or waits for getUpdates. `chatId` negative: a group chat, `from` then names the member writing.
   */
  async customerWrites(
    chatId: string | number,
    text: string,
    from: {
      id?: number;
      first_name?: string;
      last_name?: string;
      username?: string;
      /** Sends the chat without its `type`, as some gateways do. */
      chatWithoutType?: boolean;
    } = {},
  ): Promise<CustomerWriteResult> {
    const state = this.chatState(chatId, from);
    const message = this.newCustomerMessage(state, { text });
    if (from.chatWithoutType) {
      const { type: _type, ...chat } = message.chat;
      message.chat = chat;
    }
    return this.deliver({ message }) as Promise<CustomerWriteResult>;
  }

  /** A person sends a photo, a document or a voice note: downloadable through getFile, as on Telegram. */
  async customerSendsFile(chatId: string | number, file: CustomerFile): Promise<CustomerWriteResult> {
    const state = this.chatState(chatId, {});
    const fileId = `AgAC${createHash('sha256').update(file.content).update(String(this.files.size)).digest('hex').slice(0, 24)}`;
    const uniqueId = `AQAD${this.files.size + 1}`;
    const folder = file.kind === 'photo' ? 'photos' : file.kind === 'voice' ? 'voice' : 'documents';
    const ext =
      file.kind === 'photo'
        ? 'jpg'
        : file.kind === 'voice'
          ? 'oga'
          : (file.fileName?.split('.').at(-1) ?? 'bin');
    this.files.set(fileId, {
      content: file.content,
      path: `${folder}/file_${this.files.size}.${ext}`,
      uniqueId,
    });
    const base = { file_id: fileId, file_unique_id: uniqueId, file_size: file.content.length };
    const content: Partial<TelegramMessage> =
      file.kind === 'photo'
        ? {
            // Telegram lists a photo's sizes smallest first; the stand-in's thumbnail is not a real file.
            photo: [
              {
                file_id: `${fileId}-thumb`,
                file_unique_id: `${uniqueId}-thumb`,
                file_size: 100,
                width: 90,
                height: 90,
              },
              { ...base, width: 1280, height: 960 },
            ],
          }
        : file.kind === 'voice'
          ? { voice: { ...base, duration: 3, mime_type: file.mimeType ?? 'audio/ogg' } }
          : {
              document: {
                ...base,
                ...(file.fileName ? { file_name: file.fileName } : {}),
                ...(file.mimeType ? { mime_type: file.mimeType } : {}),
              },
            };
    const message = this.newCustomerMessage(state, {
      ...content,
      ...(file.caption !== undefined ? { caption: file.caption } : {}),
    });
    return this.deliver({ message }) as Promise<CustomerWriteResult>;
  }

  /** The person edits a message they sent: an `edited_message` update with the new text. */
  async customerEdits(
    chatId: string | number,
    messageId: number,
    text: string,
  ): Promise<{ update: TelegramUpdate; webhookStatus?: number }> {
    const state = this.chatState(chatId, {});
    const now = Math.floor(this.now() / 1000);
    return this.deliver({
      edited_message: {
        message_id: messageId,
        date: now - 60,
        edit_date: now,
        chat: state.chat,
        from: state.user,
        text,
      },
    });
  }

  /**
   * The person blocks the bot: sends to them answer 403, and a `my_chat_member` update (status
   * `kicked`) goes out, as Telegram sends one. `unblocks` is the reverse (`member`).
   */
  async customerBlocksBot(
    chatId: string | number,
  ): Promise<{ update: TelegramUpdate; webhookStatus?: number }> {
    const state = this.chatState(chatId, {});
    state.blocked = true;
    return this.deliver({ my_chat_member: this.membership(state, 'member', 'kicked') });
  }

  async customerUnblocksBot(
    chatId: string | number,
  ): Promise<{ update: TelegramUpdate; webhookStatus?: number }> {
    const state = this.chatState(chatId, {});
    state.blocked = false;
    return this.deliver({ my_chat_member: this.membership(state, 'kicked', 'member') });
  }

  /** The person presses an inline-keyboard button with this callback data under one of the bot's messages. */
  async customerPresses(
    chatId: string | number,
    data: string,
    underMessageId?: number,
  ): Promise<{ update: TelegramUpdate; webhookStatus?: number; queryId: string }> {
    const state = this.chatState(chatId, {});
    const queryId = String(4_000_000_000_000 + this.lastUpdateId);
    const result = await this.deliver({
      callback_query: {
        id: queryId,
        from: state.user,
        chat_instance: `ci-${state.chat.id}`,
        data,
        ...(underMessageId !== undefined
          ? {
              message: {
                message_id: underMessageId,
                date: Math.floor(this.now() / 1000),
                chat: state.chat,
                from: this.bot,
                text: '(the message with the buttons)',
              },
            }
          : {}),
      },
    });
    return { ...result, queryId };
  }

  private newCustomerMessage(state: ChatState, content: Partial<TelegramMessage>): TelegramMessage {
    state.lastMessageId += 1;
    return {
      message_id: state.lastMessageId,
      date: Math.floor(this.now() / 1000),
      chat: { ...state.chat },
      from: state.user,
      ...content,
    };
  }

  private membership(
    state: ChatState,
    from: string,
    to: string,
  ): NonNullable<TelegramUpdate['my_chat_member']> {
    return {
      chat: state.chat,
      from: state.user,
      date: Math.floor(this.now() / 1000),
      old_chat_member: { status: from, user: this.bot },
      new_chat_member: { status: to, user: this.bot },
    };
  }

  /** Queues one update (to the webhook, awaited, or for getUpdates). */
  private async deliver(
    content: Omit<TelegramUpdate, 'update_id'>,
  ): Promise<{ update: TelegramUpdate; webhookStatus?: number }> {
    const update: TelegramUpdate = { update_id: ++this.lastUpdateId, ...content };
    this.pending.push(update);
    for (const wake of this.wakeUps) wake();
    if (!this.webhook) return { update };
    await this.redeliver();
    const answer = this.webhookDeliveries.filter((d) => d.updateId === update.update_id).at(-1);
    return { update, ...(answer ? { webhookStatus: answer.status } : {}) };
  }

  /**
   * The chat exists on Telegram's side, but no update about it reached anyone (the person wrote
   * while the webhook was down, or to the same bot of another deployment).
   */
  knowChat(chatId: string | number, from: { first_name?: string; username?: string } = {}): void {
    this.chatState(chatId, from);
  }

  /** The person blocks the bot: sends to them answer 403 until `unblock`. */
  block(chatId: string | number): void {
    this.chatState(chatId, {}).blocked = true;
  }

  unblock(chatId: string | number): void {
    this.chatState(chatId, {}).blocked = false;
  }

  /** What the bot sent to one chat. */
  sentTo(chatId: string | number): SentTelegramMessage[] {
    const id = String(chatId);
    return this.sent.filter((m) => m.chatId === id);
  }

  /** Calls of one method (to one chat), refused or not. */
  callsOf(method: string, chatId?: string | number): TelegramApiCall[] {
    return this.calls.filter(
      (c) => c.method === method && (chatId === undefined || c.chatId === String(chatId)),
    );
  }

  /** Updates not yet confirmed by getUpdates or accepted by the webhook. */
  pendingUpdates(): readonly TelegramUpdate[] {
    return this.pending;
  }

  /** Whether a getUpdates call is waiting for an update right now. */
  get longPolling(): boolean {
    return this.poll !== undefined;
  }

  /** Tries the pending updates on the webhook again, in order, stopping at the first refused. */
  redeliver(): Promise<void> {
    this.delivery = this.delivery.then(() => this.pushToWebhook());
    return this.delivery;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakeUps) wake();
    await this.delivery;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // -------------------------------------------------------------------------------------------

  private chatState(
    chatId: string | number,
    from: { id?: number; first_name?: string; last_name?: string; username?: string },
  ): ChatState {
    const id = canonicalChatId(chatId);
    if (id === undefined) throw new Error(`${String(chatId)} is not a Telegram chat id`);
    const known = this.chats.get(id);
    if (known) return known;
    const numericId = Number(id);
    const user: TelegramUser = {
      // In a private chat the chat id is the person's user id.
      id: numericId > 0 ? numericId : (from.id ?? 777_000),
      is_bot: false,
      first_name: from.first_name ?? 'Customer',
      ...(from.last_name ? { last_name: from.last_name } : {}),
      ...(from.username ? { username: from.username } : {}),
    };
    const chat: TelegramChat =
      numericId > 0
        ? {
            id: numericId,
            type: 'private',
            first_name: user.first_name,
            ...(user.last_name ? { last_name: user.last_name } : {}),
            ...(user.username ? { username: user.username } : {}),
          }
        : { id: numericId, type: 'group', title: 'Customers group' };
    const state: ChatState = { chat, user, blocked: false, lastMessageId: 0 };
    this.chats.set(id, state);
    return state;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download) {
      this.serveFile(res, decodeURIComponent(download[1] ?? ''), download[2] ?? '');
      return;
    }
    const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const method = route?.[2] ?? '';
    let params: Params = {};
    let answer: { status: number; body: unknown };
    try {
      if (!route) throw new ApiError(404, 'Not Found');
      if (decodeURIComponent(route[1] ?? '') !== this.token) throw new ApiError(401, 'Unauthorized');
      params = await readParams(req, url);
      const result = await this.call(method.toLowerCase(), params);
      answer = { status: 200, body: { ok: true, result } };
    } catch (error) {
      const refusal =
        error instanceof ApiError ? error : new ApiError(500, `Internal Server Error: ${String(error)}`);
      answer = {
        status: refusal.errorCode,
        body: {
          ok: false,
          error_code: refusal.errorCode,
          description: refusal.description,
          ...(refusal.retryAfter !== undefined ? { parameters: { retry_after: refusal.retryAfter } } : {}),
        },
      };
    }
    const chatId = canonicalChatId(params.chat_id);
    this.calls.push({
      method,
      ...(chatId !== undefined ? { chatId } : {}),
      status: answer.status,
      at: this.now(),
    });
    if (answer.status === 0) {
      req.socket.destroy();
      return;
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private async call(method: string, params: Params): Promise<unknown> {
    if (SEND_METHODS.has(method)) {
      const { failure, rateLimited } = await this.faults.next(this.now());
      if (failure) throw new ApiError(failure.errorCode, failure.description, failure.retryAfter);
      if (rateLimited) {
        const after = this.rateLimitRetryAfter;
        throw new ApiError(429, `Too Many Requests: retry after ${after}`, after);
      }
    }
    switch (method) {
      case 'getme':
        return { ...this.bot, can_join_groups: true, can_read_all_group_messages: false };
      case 'sendmessage':
        return this.sendMessage(params);
      case 'senddocument':
        return this.sendDocument(params);
      case 'sendmediagroup':
        return this.sendMediaGroup(params);
      case 'getupdates':
        return this.getUpdates(params);
      case 'getfile':
        return this.getFile(params);
      case 'answercallbackquery': {
        const id = typeof params.callback_query_id === 'string' ? params.callback_query_id : '';
        if (id === '')
          throw new ApiError(
            400,
            'Bad Request: query is too old and response timeout expired or query ID is invalid',
          );
        this.answeredCallbacks.push(id);
        return true;
      }
      case 'setwebhook':
        return this.setWebhook(params);
      case 'deletewebhook':
        this.webhook = undefined;
        if (truthy(params.drop_pending_updates)) this.pending = [];
        return true;
      case 'getwebhookinfo':
        return {
          url: this.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.pending.length,
        };
      default:
        throw new ApiError(404, 'Not Found');
    }
  }

  private recipient(params: Params): { id: string; state: ChatState } {
    if (params.chat_id === undefined || params.chat_id === '') {
      throw new ApiError(400, 'Bad Request: chat_id is empty');
    }
    const id = canonicalChatId(params.chat_id);
    const state = id === undefined ? undefined : this.chats.get(id);
    if (id === undefined || !state) throw new ApiError(400, 'Bad Request: chat not found');
    if (state.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    return { id, state };
  }

  private sendMessage(params: Params): TelegramMessage {
    const { id, state } = this.recipient(params);
    const text = typeof params.text === 'string' ? params.text : '';
    if (text.trim() === '') throw new ApiError(400, 'Bad Request: message text is empty');
    if (text.length > MAX_TEXT_LENGTH) throw new ApiError(400, 'Bad Request: message is too long');
    return this.record(id, state, { text });
  }

  private sendDocument(params: Params): TelegramMessage {
    const { id, state } = this.recipient(params);
    const document = params.document;
    if (!(isUpload(document) || (typeof document === 'string' && document !== '')))
      throw new ApiError(400, 'Bad Request: there is no document in the request');
    return this.recordDocument(id, state, document, captionOf(params.caption));
  }

  /** An album of 2-10 documents, each uploaded as `attach://<name>`; one message per document. */
  private sendMediaGroup(params: Params): TelegramMessage[] {
    const { id, state } = this.recipient(params);
    let media: unknown;
    try {
      media = typeof params.media === 'string' ? JSON.parse(params.media) : params.media;
    } catch {
      throw new ApiError(400, "Bad Request: can't parse media JSON object");
    }
    if (!Array.isArray(media) || media.length < 2 || media.length > 10) {
      throw new ApiError(400, 'Bad Request: media must include 2-10 items');
    }
    const items = media.map((item: unknown) => {
      const entry = item as { type?: unknown; media?: unknown; caption?: unknown };
      if (entry.type !== 'document')
        throw new ApiError(400, 'Bad Request: only documents are supported here');
      const ref = typeof entry.media === 'string' ? /^attach:\/\/(.+)$/.exec(entry.media)?.[1] : undefined;
      const upload = ref !== undefined ? params[ref] : undefined;
      if (!isUpload(upload)) throw new ApiError(400, 'Bad Request: wrong file identifier/HTTP URL specified');
      return { upload, caption: captionOf(entry.caption) };
    });
    const mediaGroupId = `group-${this.sent.length + 1}`;
    return items.map(({ upload, caption }) => this.recordDocument(id, state, upload, caption, mediaGroupId));
  }

  /** A document the bot sent: uploaded (its name, size and digest kept) or by file id / URL. */
  private recordDocument(
    chatId: string,
    state: ChatState,
    document: Upload | string,
    caption: string | undefined,
    mediaGroupId?: string,
  ): TelegramMessage {
    const upload = typeof document === 'string' ? undefined : document;
    return this.record(
      chatId,
      state,
      {
        ...(caption !== undefined ? { caption } : {}),
        document: {
          file_id: `file-${this.sent.length + 1}`,
          file_unique_id: `unique-${this.sent.length + 1}`,
          ...(upload ? { file_name: upload.name, file_size: upload.size } : {}),
        },
      },
      typeof document === 'string' ? document : `upload:${document.name}`,
      upload ? { filename: upload.name, size: upload.size, sha256: upload.sha256 } : undefined,
      mediaGroupId,
    );
  }

  private record(
    chatId: string,
    state: ChatState,
    content: Pick<TelegramMessage, 'text' | 'caption' | 'document'>,
    document?: string,
    upload?: SentTelegramMessage['upload'],
    mediaGroupId?: string,
  ): TelegramMessage {
    state.lastMessageId += 1;
    const at = this.now();
    this.sent.push({
      chatId,
      text: content.text ?? content.caption ?? '',
      messageId: state.lastMessageId,
      at,
      ...(document !== undefined ? { document } : {}),
      ...(upload !== undefined ? { upload } : {}),
      ...(mediaGroupId !== undefined ? { mediaGroupId } : {}),
    });
    return {
      message_id: state.lastMessageId,
      date: Math.floor(at / 1000),
      chat: state.chat,
      from: this.bot,
      ...content,
    };
  }

  private async getUpdates(params: Params): Promise<TelegramUpdate[]> {
    if (this.webhook) {
      throw new ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = integer(params.offset);
    // Asking from `offset` confirms every update before it: they are forgotten.
    if (offset !== undefined && offset > 0) this.pending = this.pending.filter((u) => u.update_id >= offset);
    const limit = Math.min(Math.max(integer(params.limit) ?? 100, 1), 100);
    const timeoutSeconds = Math.max(integer(params.timeout) ?? 0, 0);

    // Only one poller at a time, as in Telegram: a newer request ends the older one with 409.
    let superseded = false;
    let wake = (): void => undefined;
    const poll = {
      supersede: () => {
        superseded = true;
        wake();
      },
    };
    this.poll?.supersede();
    this.poll = poll;
    if (this.pending.length === 0 && timeoutSeconds > 0 && !this.stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => wake(), timeoutSeconds * 1000);
        wake = () => {
          clearTimeout(timer);
          this.wakeUps.delete(wake);
          resolve();
        };
        this.wakeUps.add(wake);
      });
    }
    if (this.poll === poll) this.poll = undefined;
    if (superseded) {
      throw new ApiError(
        409,
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      );
    }
    return this.pending.slice(0, limit);
  }

  /** getFile: the file's path for the download URL (the Bot API lets bots download up to 20 MB). */
  private getFile(params: Params): TelegramFile & { file_path: string } {
    const fileId = typeof params.file_id === 'string' ? params.file_id : '';
    const file = this.files.get(fileId);
    if (!file) throw new ApiError(400, 'Bad Request: invalid file_id');
    if (file.content.length > 20 * 1024 * 1024) throw new ApiError(400, 'Bad Request: file is too big');
    return {
      file_id: fileId,
      file_unique_id: file.uniqueId,
      file_size: file.content.length,
      file_path: file.path,
    };
  }

  /** GET /file/bot<token>/<file_path>: the bytes, as api.telegram.org serves them. */
  private serveFile(res: http.ServerResponse, token: string, path: string): void {
    const file = token === this.token ? [...this.files.values()].find((f) => f.path === path) : undefined;
    const status = token !== this.token ? 401 : file ? 200 : 404;
    this.fileDownloads.push({ path, status });
    if (!file) {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ok: false,
          error_code: status,
          description: status === 401 ? 'Unauthorized' : 'Not Found',
        }),
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(file.content.length),
    });
    res.end(file.content);
  }

  private setWebhook(params: Params): true {
    const url = typeof params.url === 'string' ? params.url : '';
    if (url === '') {
      // Telegram's own meaning of an empty URL: remove the webhook.
      this.webhook = undefined;
      return true;
    }
    if (!/^https?:\/\//.test(url)) throw new ApiError(400, 'Bad Request: invalid webhook URL specified');
    const secret = params.secret_token;
    if (secret !== undefined && (typeof secret !== 'string' || !SECRET_TOKEN_PATTERN.test(secret))) {
      throw new ApiError(400, 'Bad Request: secret token contains unallowed characters');
    }
    if (truthy(params.drop_pending_updates)) this.pending = [];
    this.webhook = { url, ...(typeof secret === 'string' ? { secretToken: secret } : {}) };
    void this.redeliver();
    return true;
  }

  private async pushToWebhook(): Promise<void> {
    while (this.webhook && !this.stopped) {
      const update = this.pending[0];
      if (!update) return;
      const { url, secretToken } = this.webhook;
      let status: number;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(secretToken !== undefined ? { 'X-Telegram-Bot-Api-Secret-Token': secretToken } : {}),
          },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(30_000),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      this.webhookDeliveries.push({ updateId: update.update_id, status, at: this.now() });
      if (status < 200 || status > 299) return;
      this.pending = this.pending.filter((u) => u !== update);
    }
  }
}

export function startTelegramStandIn(options: TelegramStandInOptions): Promise<TelegramStandIn> {
  return TelegramStandIn.start(options);
}

/** An uploaded file as `FormData` gives it, with the SHA-256 of its bytes. */
interface Upload {
  name: string;
  size: number;
  sha256: string;
}

/** A caption as the Bot API takes it: at most 1024 characters. */
function captionOf(value: unknown): string | undefined {
  const caption = typeof value === 'string' ? value : undefined;
  if (caption !== undefined && caption.length > MAX_CAPTION_LENGTH)
    throw new ApiError(400, 'Bad Request: message caption is too long');
  return caption;
}

function isUpload(value: unknown): value is Upload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Upload>).name === 'string' &&
    typeof (value as Partial<Upload>).size === 'number'
  );
}

function canonicalChatId(raw: unknown): string | undefined {
  const value =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(value) && value !== 0 ? String(value) : undefined;
}

function integer(raw: unknown): number | undefined {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw !== '' ? Number(raw) : NaN;
  return Number.isInteger(value) ? value : undefined;
}

function truthy(raw: unknown): boolean {
  return raw === true || raw === 'true' || raw === '1' || raw === 1;
}

/** Parameters from the query string and from a JSON, urlencoded or multipart body, as the Bot API takes them. */
async function readParams(req: http.IncomingMessage, url: URL): Promise<Params> {
  const params: Params = Object.fromEntries(url.searchParams);
  const body = await readBody(req);
  if (body.length === 0) return params;
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ApiError(400, "Bad Request: can't parse JSON object");
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ApiError(400, "Bad Request: can't parse JSON object");
    }
    return { ...params, ...(parsed as Params) };
  }
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      // The platform's own form parser (undici), for urlencoded and multipart alike.
      form = await new Response(body, { headers: { 'content-type': type } }).formData();
    } catch {
      throw new ApiError(400, "Bad Request: can't parse request body");
    }
    for (const [key, value] of form.entries()) {
      params[key] =
        typeof value === 'string'
          ? value
          : {
              name: value.name,
              size: value.size,
              sha256: createHash('sha256')
                .update(Buffer.from(await value.arrayBuffer()))
                .digest('hex'),
            };
    }
    return params;
  }
  throw new ApiError(400, 'Bad Request: unsupported content type');
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'Request Entity Too Large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
