/**
 * The worker process: connects to Temporal and PostgreSQL from the environment (see the README's
 * configuration table), registers the workflows and activities, and shuts down cleanly on SIGINT /
 * SIGTERM (the SDK finishes in-flight tasks first).
 */
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createDb, migrateLatest } from '../db/knex';
import { DEFAULT_DATABASE_URL, DEFAULT_TEMPORAL_ADDRESS, loadConfig } from '../infra/config';
import { installRuntimeLogger } from '../infra/runtime';
import { RecordingAdapter } from '../sandbox/recording-adapter';
import { createWorkers } from './create-worker';

async function run(): Promise<void> {
  const config = loadConfig();
  installRuntimeLogger('INFO');
  const databaseUrl = config.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const db = createDb(databaseUrl, { poolMax: config.DATABASE_POOL_MAX });
  await migrateLatest(db);
  const connection = await NativeConnection.connect({
    address: config.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS,
  });
  // Until the provider adapters land, messages go to an in-memory stand-in.
  const provider = new RecordingAdapter();
  const worker = await createWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    activities: createActivities({
      db,
      channels: { email: provider, whatsapp: provider, telegram: provider },
    }),
  });
  try {
    await worker.run();
  } finally {
    await connection.close();
    await db.destroy();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
