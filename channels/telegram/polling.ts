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

/** The Telegram channel a bot's updates go to: TELEGRAM_CHANNEL_ID, else the only telegram channel. */
export async function telegramChannelIdFor(
  db: Knex,
  providers: { TELEGRAM_CHANNEL_ID?: string | undefined },
): Promise<string | undefined> {
  if (providers.TELEGRAM_CHANNEL_ID) return providers.TELEGRAM_CHANNEL_ID;
  const rows = await db('channels')
    .where({ kind: 'telegram' })
    .orderBy('id')
    .limit(2)
    .select<{ id: string }[]>('id');
  if (rows.length > 1) {
    throw new Error(
      `several telegram channels (${rows.map((r) => r.id).join(', ')}…): set TELEGRAM_CHANNEL_ID to the one this bot serves`,
    );
  }
  return rows[0]?.id;
}

/** The webhook URL of a channel below the server's public base URL (WEBHOOK_BASE_URL). */
export function telegramWebhookUrl(baseUrl: string, channelId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/webhooks/telegram/${encodeURIComponent(channelId)}`;
}

/** The bot's id, the part of the token before the colon (not secret: it is the bot's user id). */
export function botIdOf(botToken: string): string {
  return /^(\d+):/.exec(botToken)?.[1] ?? 'unknown';
}

export interface LeasedPollingOptions extends TelegramPollingOptions {
  /** Who competes for the lease; default `host:pid:random`. */
  holder: string;
  /** How long a lease lasts unrenewed; renewed every third of it. Default 30 s. */
  leaseMs?: number;
  /** Told when this process starts or stops polling (for logs and tests). */
  onLeaseChange?: (polling: boolean) => void;
}

/**
 * Takes the bot's lease if it is free or expired (or already ours), and renews it: true while we
 * hold it. One statement, so two replicas asking at once cannot both win.
 */
export async function takePollLease(
  db: Knex,
  botId: string,
  holder: string,
  leaseMs: number,
): Promise<boolean> {
  const result = await db.raw<{ rows: { holder: string }[] }>(
    `insert into telegram_poll_leases (bot_id, holder, expires_at)
     values (?, ?, now() + make_interval(secs => ?))
     on conflict (bot_id) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where telegram_poll_leases.holder = excluded.holder or telegram_poll_leases.expires_at < now()
     returning holder`,
    [botId, holder, leaseMs / 1000],
  );
  return result.rows.length === 1;
}

async function releasePollLease(db: Knex, botId: string, holder: string): Promise<void> {
  await db('telegram_poll_leases').where({ bot_id: botId, holder }).delete();
}

/**
 * Long polling for a server that may run as several replicas: Telegram allows one getUpdates per
 * bot at a time, so each replica competes for a lease in PostgreSQL and only its holder polls. The
 * holder renews it every third of `leaseMs`; a replica that dies stops renewing, and another takes
 * over once it expires (an update fetched twice in between is recorded once). A replica that loses
 * the lease (a long pause, a database outage) stops polling before another can start.
 */
export function startLeasedTelegramPolling(options: LeasedPollingOptions): TelegramPolling {
  const { db, holder } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const botId = botIdOf(options.botToken);
  const report = (error: unknown) =>
    options.onError?.(
      safeTelegramError(error instanceof Error ? error : new Error(String(error)), options.botToken),
    );
  const stopping = new AbortController();
  let polling: TelegramPolling | undefined;

  async function setPolling(wanted: boolean): Promise<void> {
    if (wanted && !polling) {
      polling = await startTelegramPolling(options);
      options.onLeaseChange?.(true);
    } else if (!wanted && polling) {
      const current = polling;
      polling = undefined;
      await current.stop();
      options.onLeaseChange?.(false);
    }
  }

  async function run(): Promise<void> {
    while (!stopping.signal.aborted) {
      const renewedAt = Date.now();
      let held = false;
      try {
        held = await takePollLease(db, botId, holder, leaseMs);
      } catch (error) {
        report(error);
      }
      try {
        // A renewal that came too late to be trusted counts as lost.
        await setPolling(held && Date.now() - renewedAt < leaseMs / 2);
      } catch (error) {
        report(error);
      }
      await pause(leaseMs / 3, stopping.signal);
    }
  }

  const running = run();
  return {
    async stop(): Promise<void> {
      stopping.abort();
      await running;
      await setPolling(false).catch(report);
      await releasePollLease(db, botId, holder).catch(report);
    },
  };
}
