/**
 * The main job on embedded defaults: starts PostgreSQL (or uses DATABASE_URL), a Temporal dev
 * server (or TEMPORAL_ADDRESS) and a worker, sends one "order ready" message through the Send Live
 * Chat Message process, prints the chat history operators see, and exits 0.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { formatHistory, getHistory } from '../client/history';
import { applyConfig } from '../db/apply-config';
import { createDb, migrateLatest } from '../db/knex';
import { demoConfig } from '../db/seeds/demo';
import { loadConfig } from '../infra/config';
import { provisionPostgres } from '../infra/postgres';
import { installRuntimeLogger } from '../infra/runtime';
import { provisionTemporal } from '../infra/temporal-server';
import { RecordingAdapter } from '../sandbox/recording-adapter';
import { createWorker } from '../worker/create-worker';
import { sendLiveChatMessage } from '../workflows';

async function run(): Promise<void> {
  const config = loadConfig();
  installRuntimeLogger('WARN');
  const say = (line: string): void => console.log(line);

  const postgres = await provisionPostgres(
    config.LIVECHAT_DATA_DIR ? { dataDir: config.LIVECHAT_DATA_DIR } : {},
  );
  say(`PostgreSQL: ${postgres.source === 'embedded' ? 'embedded (PGlite)' : 'DATABASE_URL'}`);
  const db = createDb(postgres.url, { poolMax: postgres.poolMax });
  await migrateLatest(db);
  await applyConfig(db, demoConfig);

  const temporal = await provisionTemporal({ log: say });
  say(`Temporal: ${temporal.address} (${temporal.source})`);
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const provider = new RecordingAdapter();
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: temporal.namespace,
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    activities: createActivities({
      db,
      channels: { email: provider, whatsapp: provider, telegram: provider },
    }),
  });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });

  try {
    await worker.runUntil(async () => {
      const result = await client.workflow.execute(sendLiveChatMessage, {
        taskQueue: config.LIVECHAT_TASK_QUEUE,
        workflowId: `order-1042-ready-${Date.now()}`,
        args: [
          {
            liveChatId: 'tech-support',
            channelId: 'support-whatsapp',
            to: { contactId: 'maria' },
            text: 'Hello Maria, your order #1042 is ready for pickup at our Berlin store.',
          },
        ],
      });
      say(`\nSent: message ${result.messageId} is ${result.status}.\n`);
      const history = await getHistory(db, result.sessionId);
      if (history) say(formatHistory(history));
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    await temporal.stop();
    await db.destroy();
    await postgres.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
