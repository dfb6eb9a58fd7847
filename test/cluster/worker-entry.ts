/**
 * Test-only worker process for the cluster tests: the same as worker/main.ts (configuration from
 * the environment, our migrations, the workflows and activities on LIVECHAT_TASK_QUEUE and its
 * dispatch queues) with two differences: deliveries go to the file outbox
 * (LIVECHAT_SANDBOX_OUTBOX, one JSON line per delivery with this process's pid), so they can be
 * counted across processes; and LIVECHAT_WORKFLOW_BUNDLE may name a prebuilt workflow bundle, so
 * two processes do not each spend seconds bundling. The Temporal connection comes from
 * temporalConnectionOptions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key).
 *
 * Prints `LIVECHAT_WORKER_READY <pid>` on stdout once its workers are created and about to poll.
 */
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createDb, migrateLatest } from '../../db/knex';
import { DEFAULT_DATABASE_URL, loadConfig } from '../../infra/config';
import { installRuntimeLogger } from '../../infra/runtime';
import { temporalConnectionOptions } from '../../infra/temporal-connection';
import { fileOutboxFromEnv } from '../../sandbox/file-outbox-adapter';
import { createWorkers } from '../../worker/create-worker';

async function run(): Promise<void> {
  const config = loadConfig();
  const temporal = temporalConnectionOptions(process.env);
  const channels = fileOutboxFromEnv(process.env);
  if (!channels) throw new Error('LIVECHAT_SANDBOX_OUTBOX must name the outbox file');
  installRuntimeLogger('WARN');
  const db = createDb(config.DATABASE_URL ?? DEFAULT_DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  await migrateLatest(db);
  const connection = await NativeConnection.connect(temporal.worker);
  const bundle = process.env.LIVECHAT_WORKFLOW_BUNDLE;
  const workers = await createWorkers({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    activities: createActivities({ db, channels }),
    ...(bundle ? { workflowBundlePath: bundle } : {}),
  });
  console.log(`LIVECHAT_WORKER_READY ${process.pid} ${temporal.summary}`);
  try {
    await workers.run();
  } finally {
    await connection.close();
    await db.destroy();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
