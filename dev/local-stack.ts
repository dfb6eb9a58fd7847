import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ChannelAdapters } from '../channels/adapter';
import { liveChatDataConverter } from '../codec/data-converter';
import { applyConfig, type LiveChatsConfig } from '../db/apply-config';
import { createDb, migrateLatest, type Db } from '../db/knex';
import { loadConfig } from '../config/environment';
import { provisionPostgres } from './postgres';
import { installRuntimeLogger } from '../infra/runtime';
import { provisionTemporal } from './temporal-server';
import { createWorkers, type LiveChatWorkers } from '../worker/create-worker';

export interface LocalStack {
  db: Db;
  client: Client;
  worker: LiveChatWorkers;
  taskQueue: string;
  describe: { postgres: string; temporal: string };
  stop(): Promise<void>;
}

/**
 * Everything the demo and the tools need on one machine, on embedded defaults unless the
 * environment names servers: PostgreSQL (migrated, seeded), a Temporal server, a worker (not yet
 * running: use `worker.runUntil`) and a client.
 */
export async function startLocalStack(options: {
  channels: ChannelAdapters;
  seed: LiveChatsConfig;
}): Promise<LocalStack> {
  const config = loadConfig();
  installRuntimeLogger('WARN');
  const postgres = await provisionPostgres(
    config.LIVECHAT_DATA_DIR ? { dataDir: config.LIVECHAT_DATA_DIR } : {},
  );
  const db = createDb(postgres.url, { poolMax: postgres.poolMax });
  await migrateLatest(db);
  await applyConfig(db, options.seed);

  const temporal = await provisionTemporal({ log: (line) => console.log(line) });
  const dataConverter = liveChatDataConverter();
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const worker = await createWorkers({
    connection: nativeConnection,
    namespace: temporal.namespace,
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    activities: createActivities({ db, channels: options.channels }),
    workflowsPath: require.resolve('./workflows'),
    dataConverter,
  });
  const connection = await Connection.connect({ address: temporal.address });
  return {
    db,
    client: new Client({ connection, namespace: temporal.namespace, dataConverter }),
    worker,
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    describe: {
      postgres: postgres.source === 'embedded' ? 'embedded (PGlite)' : 'DATABASE_URL',
      temporal: `${temporal.address} (${temporal.source})`,
    },
    stop: async () => {
      await connection.close();
      await nativeConnection.close();
      await temporal.stop();
      await db.destroy();
      await postgres.stop();
    },
  };
}
