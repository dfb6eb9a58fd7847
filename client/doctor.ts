/**
 * `livechat doctor`: checks what a deployment needs, one verdict per line: the configuration, the
 * PostgreSQL database and its migrations, Temporal (and a worker polling the task queue), each
 * provider through its SDK, each channel's settings, and the Telegram webhook. Run it with the
 * environment of the worker and server. Nothing it prints is a secret.
 */
import { Connection } from '@temporalio/client';
import { senderOf } from '../channels/email';
import { loadConfig, DEFAULT_DATABASE_URL, type Config } from '../config/environment';
import { loadProviderConfig, type ProviderConfig } from '../config/providers';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { createDb, type Db } from '../db/knex';
import { telegramChannelIdFor } from '../channels/telegram/polling';
import { describeDatabaseUrl } from './connections';
import { migrationStatus } from './migrations';
import {
  CHECK_TIMEOUT_MS,
  checkProvider,
  checkTelegramWebhook,
  providerConfigured,
  scrub,
} from './provider-checks';

export type VerdictState = 'ok' | 'fail' | 'skip';

export interface Verdict {
  /** What was checked, e.g. `postgresql`, `provider whatsapp`, `channel support-email`. */
  check: string;
  state: VerdictState;
  message: string;
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const quietLog = {
  warn: () => undefined,
  error: () => undefined,
  deprecate: () => undefined,
  debug: () => undefined,
};

interface ChannelRow {
  id: string;
  kind: string;
  name: string;
  settings: Record<string, unknown>;
}

function channelSettingsVerdict(channel: ChannelRow): Verdict {
  const check = `channel ${channel.id}`;
  try {
    if (channel.kind === 'email') {
      const sender = senderOf(channel);
      return { check, state: 'ok', message: `email, sends as ${sender.address}` };
    }
    if (channel.kind === 'whatsapp') {
      const from = channel.settings['from'];
      if (typeof from !== 'string' || !/^\+[1-9]\d{6,14}$/.test(from))
        return {
          check,
          state: 'fail',
          message: 'whatsapp, no settings.from (the business number, E.164): it cannot send',
        };
      const template = channel.settings['templateContentSid']
        ? ', with a template'
        : ', no template outside the 24-hour window';
      return { check, state: 'ok', message: `whatsapp, sends from ${from}${template}` };
    }
    return { check, state: 'ok', message: channel.kind };
  } catch (error) {
    return { check, state: 'fail', message: reason(error) };
  }
}

/** Every check, in order; a check that depends on a failed one is skipped, saying so. */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  const add = (check: string, state: VerdictState, message: string) =>
    verdicts.push({ check, state, message });

  let config: Config | undefined;
  let providers: ProviderConfig | undefined;
  try {
    config = loadConfig(env);
    providers = loadProviderConfig(env);
    add('configuration', 'ok', 'environment variables valid');
  } catch (error) {
    add('configuration', 'fail', reason(error));
  }

  const databaseUrl = config?.DATABASE_URL ?? env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  let db: Db | undefined = createDb(databaseUrl, { poolMax: 1, log: quietLog });
  let channels: ChannelRow[] = [];
  try {
    try {
      await db.raw('select 1');
      add('postgresql', 'ok', `${describeDatabaseUrl(databaseUrl)} answers`);
    } catch (error) {
      add(
        'postgresql',
        'fail',
        `cannot use PostgreSQL at ${describeDatabaseUrl(databaseUrl)}: ${reason(error)}`,
      );
      await db.destroy();
      db = undefined;
    }
    if (db) {
      const status = await migrationStatus(db);
      if (status.pending.length > 0) {
        add(
          'migrations',
          'fail',
          `${status.pending.length} not applied (${status.pending.join(', ')}): run \`livechat migrate\``,
        );
      } else {
        add('migrations', 'ok', `all ${status.applied.length} applied`);
        channels = await db('channels').orderBy('id').select<ChannelRow[]>('id', 'kind', 'name', 'settings');
      }
    } else add('migrations', 'skip', 'PostgreSQL is not reachable');

    await checkTemporal(env, config, add);

    if (providers) {
      const used = new Set(channels.map((c) => c.kind));
      for (const kind of ['email', 'whatsapp', 'telegram'] as const) {
        const check = `provider ${kind}`;
        if (!providerConfigured(kind, providers)) {
          if (used.has(kind))
            add(
              check,
              'fail',
              `not configured, but channels of this kind exist: their messages wait until it is`,
            );
          else add(check, 'skip', 'not configured, and no channel of this kind');
          continue;
        }
        const result = await checkProvider(kind, providers);
        add(check, result.ok ? 'ok' : 'fail', result.message);
      }
      for (const channel of channels) {
        const verdict = channelSettingsVerdict(channel);
        verdicts.push(verdict);
      }
      if (providers.TELEGRAM_BOT_TOKEN) {
        const channelId = db ? await telegramChannelIdFor(db, providers).catch(() => undefined) : undefined;
        const result = await checkTelegramWebhook(providers, channelId);
        add('telegram webhook', result.ok ? 'ok' : 'fail', result.message);
      } else add('telegram webhook', 'skip', 'no Telegram bot configured');
    } else {
      add('providers', 'skip', 'the provider configuration is not valid');
    }
  } finally {
    await db?.destroy();
  }
  return verdicts.map((v) => (providers ? { ...v, message: scrub(v.message, providers) } : v));
}

async function checkTemporal(
  env: NodeJS.ProcessEnv,
  config: Config | undefined,
  add: (check: string, state: VerdictState, message: string) => void,
): Promise<void> {
  let options;
  try {
    options = temporalConnectionOptions(env);
  } catch (error) {
    add('temporal', 'fail', reason(error));
    add('worker', 'skip', 'Temporal is not reachable');
    return;
  }
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options.client, connectTimeout: CHECK_TIMEOUT_MS });
    await connection.workflowService.describeNamespace({ namespace: options.namespace });
    add('temporal', 'ok', `${options.address}, namespace ${options.namespace}`);
  } catch (error) {
    add(
      'temporal',
      'fail',
      `cannot use Temporal at ${options.address} (namespace ${options.namespace}): ${reason(error)}`,
    );
    add('worker', 'skip', 'Temporal is not reachable');
    await connection?.close();
    return;
  }
  try {
    const taskQueue = config?.LIVECHAT_TASK_QUEUE ?? 'livechat';
    const described = await connection.workflowService.describeTaskQueue({
      namespace: options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // workflow
    });
    const pollers = described.pollers?.length ?? 0;
    if (pollers === 0)
      add('worker', 'fail', `no worker polls task queue ${taskQueue}: start one (npm run worker)`);
    else add('worker', 'ok', `${pollers} worker(s) poll task queue ${taskQueue}`);
  } catch (error) {
    add('worker', 'fail', reason(error));
  } finally {
    await connection.close();
  }
}
