import { Telegram } from 'telegraf';
import type { Knex } from 'knex';
import { asTelegrafSignal, safeTelegramError } from './adapter';
import { telegramFileFetcher } from './files';
import { handleTelegramUpdate } from './inbound';
import { readTelegramUpdate, TELEGRAM_UPDATE_KINDS } from './updates';
import { getChannel } from '../../db/live-chats';
import { ChannelNotFound, isLiveChatError } from '../../domain/errors';

export interface TelegramPollingOptions {
  db: Knex;
  /** The bot's token (worker configuration only). */
  botToken: string;
  /** Another server speaking the Bot API (the sandbox stand-in). */
  apiUrl?: string;
  /** The Telegram channel whose bot this is. */
  channelId: string;
  /** How long one getUpdates waits for an update, in seconds. Default 25. */
  timeoutSeconds?: number;
  /** The first pause after a failed round; it doubles up to a minute. Default 1 s. */
  retryDelayMs?: number;
  /** Told about failed rounds and updates that were skipped. Errors never carry the token. */
  onError?: (error: Error) => void;
}

export interface TelegramPolling {
  /** Ends the current long poll, confirms what was recorded to Telegram, and resolves when stopped. */
  stop(): Promise<void>;
}

/**
 * Inbound Telegram for a deployment without a public URL: long-polls getUpdates and does with each
 * update what the webhook does (messages and their files, edits, blocks, button presses; rule 9's
 * memory included). An update is confirmed to
 * Telegram (the next call's `offset`) only after it is stored, so a database outage delays updates
 * instead of losing them; an update seen twice (after a crash) is recorded once. Telegram refuses
 * getUpdates while a webhook is set (409): this reports it and keeps trying rather than delete the
 * webhook of another deployment.
 */
export async function startTelegramPolling(options: TelegramPollingOptions): Promise<TelegramPolling> {
  const { db, botToken, channelId } = options;
  const channel = await getChannel(db, channelId);
  if (!channel) throw new ChannelNotFound({ channelId });
  if (channel.kind !== 'telegram') throw new Error(`channel ${channelId} is a ${channel.kind} channel`);

  const telegram = new Telegram(botToken, { apiRoot: options.apiUrl ?? 'https://api.telegram.org' });
  const fetchFile = telegramFileFetcher({ botToken, ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
  const timeoutSeconds = options.timeoutSeconds ?? 25;
  const firstDelay = options.retryDelayMs ?? 1_000;
  const report = (error: unknown) => options.onError?.(safeTelegramError(error, botToken));
  const stopping = new AbortController();
  let offset: number | undefined;
  let confirmed: number | undefined;

  async function record(update: unknown): Promise<void> {
    const reading = readTelegramUpdate(channelId, update);
    if (reading.kind === 'malformed') {
      report(new Error(`skipped an update Telegram sent that we cannot read: ${reading.problem}`));
      return;
    }
    try {
      await handleTelegramUpdate({ db, telegram, fetchFile, onError: report }, reading);
    } catch (error) {
      // A broken rule will not get better by reading the update again; anything else will.
      if (!isLiveChatError(error)) throw error;
      report(error);
    }
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        // Our own deadline too: a connection that hangs must not hang the loop.
        const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout((timeoutSeconds + 15) * 1000)]);
        confirmed = offset;
        const updates = await telegram.callApi(
          'getUpdates',
          {
            ...(offset !== undefined ? { offset } : {}),
            timeout: timeoutSeconds,
            allowed_updates: [...TELEGRAM_UPDATE_KINDS],
          },
          { signal: asTelegrafSignal(signal) },
        );
        for (const update of updates) {
          await record(update);
          offset = update.update_id + 1;
        }
        failures = 0;
      } catch (error) {
        if (stopping.signal.aborted) return;
        failures += 1;
        report(error);
        await pause(Math.min(firstDelay * 2 ** (failures - 1), 60_000), stopping.signal);
      }
    }
  }

  const running = run();
  return {
    async stop(): Promise<void> {
      stopping.abort();
      await running;
      if (offset === undefined || offset === confirmed) return;
      // Tell Telegram what we stored, so a restart does not fetch it again (it would be recorded once anyway).
      await telegram
        .callApi(
          'getUpdates',
          { offset, limit: 1, timeout: 0 },
          { signal: asTelegrafSignal(AbortSignal.timeout(5_000)) },
        )
        .catch(report);
    },
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
