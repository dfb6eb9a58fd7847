/**
 * The worker process: connects to Temporal and PostgreSQL from the environment (see the README's
 * configuration table), builds the provider adapters from the worker-only provider configuration,
 * runs the workflow worker and one dispatch worker per channel kind, and shuts down cleanly on
 * SIGINT / SIGTERM (the SDK lets in-flight tasks finish first).
 */
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { describeDataConverter, liveChatDataConverter } from '../codec/data-converter';
import { createChannelAdapters } from '../channels';
import { imapMailboxesOf } from '../channels/email/imap-config';
import { startImapReaders } from '../channels/email/imap-reader';
import { createDb, migrateLatest } from '../db/knex';
import { DEFAULT_DATABASE_URL, loadConfig } from '../config/environment';
import { loadProviderConfig } from '../config/providers';
import { installRuntimeLogger } from '../infra/runtime';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { parseHostAllowList } from '../infra/url-hosts';
import { createWorkers } from './create-worker';

async function run(): Promise<void> {
  const config = loadConfig();
  const providers = loadProviderConfig();
  installRuntimeLogger('INFO');
  const db = createDb(config.DATABASE_URL ?? DEFAULT_DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  await migrateLatest(db);
  const channels = createChannelAdapters(providers);
  if (channels.unconfigured.length > 0) {
    console.warn(
      `no provider configured for: ${channels.unconfigured.join(', ')} (their messages wait until one is)`,
    );
  }
  // Each email channel with IMAP_URL_<CHANNEL> set is read by this worker (one worker at a time).
  const emailChannels: { id: string }[] = await db('channels')
    .where({ kind: 'email', state: 'active' })
    .select('id');
  const mailboxes = imapMailboxesOf(
    emailChannels.map((c) => c.id),
    process.env,
  );
  const pollMs = providers.IMAP_POLL_SECONDS * 1_000;
  const imapReaders = startImapReaders(mailboxes, {
    db,
    pollMs,
    leaseMs: Math.max(providers.IMAP_LEASE_SECONDS * 1_000, pollMs * 2),
    // Kind and message only: no address, no text, never the password.
    onError: (error) => console.warn(`imap: ${error.name}: ${error.message}`),
  });
  if (mailboxes.length > 0)
    console.log(
      `reading ${mailboxes.length} mailbox(es) over IMAP: ${mailboxes.map((m) => m.channelId).join(', ')}`,
    );
  const temporal = temporalConnectionOptions(process.env);
  console.log(`connecting to ${temporal.summary}; ${describeDataConverter()}`);
  const connection = await NativeConnection.connect(temporal.worker);
  const workers = await createWorkers({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    activities: createActivities({
      db,
      channels: channels.adapters,
      attachmentUrlHosts: parseHostAllowList(config.ATTACHMENT_URL_HOSTS),
    }),
    dataConverter: liveChatDataConverter(),
    rateLimits: {
      email: providers.EMAIL_RATE_LIMIT,
      whatsapp: providers.WHATSAPP_RATE_LIMIT,
      telegram: providers.TELEGRAM_RATE_LIMIT,
    },
  });
  // Supervisors and tests wait for this line: from here on the worker polls.
  console.log(
    `worker ready: polling ${config.LIVECHAT_TASK_QUEUE} and its dispatch queues (pid ${process.pid})`,
  );
  try {
    await workers.run();
  } finally {
    await imapReaders.stop();
    await channels.close();
    await connection.close();
    await db.destroy();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
