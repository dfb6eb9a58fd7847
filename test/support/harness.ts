import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities, type Activities, type ActivityDeps } from '../../activities';
import type { ChannelAdapters } from '../../channels/adapter';
import { liveChatDataConverter } from '../../codec/data-converter';
import { createDb, type Db } from '../../db/knex';
import { installRuntimeLogger } from '../../infra/runtime';
import { RecordingAdapter } from '../../dev/sandbox/recording-adapter';
import { createWorkers, type WorkerOptions } from '../../worker/create-worker';
import { hasContactSearchAttribute } from '../../worker/contact-search-attribute';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest's integration project`);
  return value;
}

export interface Harness {
  db: Db;
  client: Client;
  taskQueue: string;
  /** What the stand-in provider received, per channel kind. */
  outbox: {
    email: RecordingAdapter;
    whatsapp: RecordingAdapter;
    telegram: RecordingAdapter;
    livechat: RecordingAdapter;
  };
  stop(): Promise<void>;
}

/**
 * One test file's world: a database handle, a Temporal client, and a worker running on a task queue
 * of the file's own (so files never take each other's tasks), all on the real server and database
 * that the global setup provisioned.
 */
export interface HarnessOptions {
  /** Lets a test wrap the real activities, e.g. to crash after a commit. */
  wrapActivities?: (activities: Activities) => Activities;
  /** Real channel adapters (pointed at the sandbox stand-ins) instead of the recording ones. */
  channels?: ChannelAdapters;
  rateLimits?: WorkerOptions['rateLimits'];
  /** Another Temporal server than the run's (a test that restarts its own). */
  temporalAddress?: string;
  /** False: no worker in this process (the test runs worker processes of its own on `taskQueue`). */
  workers?: boolean;
  /** See `ActivityDeps`: a test of a file server that keeps failing lowers it. */
  attachmentFetchAttempts?: number;
  /** See `ActivityDeps`: a bulk page's budget and in-page retry. */
  bulkPage?: ActivityDeps['bulkPage'];
  /** See `ActivityDeps`: the activities' structured logger (a test that reads every line). */
  logger?: ActivityDeps['logger'];
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  // Refusals are what many tests provoke; the worker's warning for each would bury the results.
  installRuntimeLogger('ERROR');
  const address = options.temporalAddress ?? required('LIVECHAT_TEST_TEMPORAL_ADDRESS');
  const db = createDb(required('LIVECHAT_TEST_DATABASE_URL'), {
    poolMax: Number(required('LIVECHAT_TEST_DATABASE_POOL_MAX')),
  });
  const outbox = {
    email: new RecordingAdapter(),
    whatsapp: new RecordingAdapter(),
    telegram: new RecordingAdapter(),
    livechat: new RecordingAdapter(),
  };
  const channels: ChannelAdapters = { ...outbox, ...options.channels };
  const taskQueue = `test-${randomUUID()}`;
  const dataConverter = liveChatDataConverter();
  const stopWorkers = options.workers === false ? async () => undefined : await startWorkers();
  async function startWorkers(): Promise<() => Promise<void>> {
    const nativeConnection = await NativeConnection.connect({ address });
    // The run's dev server registers it (dev/temporal-server.ts); a server given from outside may not.
    const contactSearchAttribute = await hasContactSearchAttribute(
      nativeConnection.operatorService,
      'default',
    );
    const workers = await createWorkers({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: (options.wrapActivities ?? ((a) => a))(
        // The tests' file servers are on loopback.
        createActivities({
          db,
          channels,
          attachmentUrlHosts: ['127.0.0.1'],
          contactSearchAttribute,
          ...(options.logger ? { logger: options.logger } : {}),
          ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
          ...(options.bulkPage ? { bulkPage: options.bulkPage } : {}),
          ...(options.attachmentFetchAttempts
            ? { attachmentFetchAttempts: options.attachmentFetchAttempts }
            : {}),
        }),
      ),
      workflowBundlePath: required('LIVECHAT_TEST_WORKFLOW_BUNDLE'),
      dataConverter,
      ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    });
    const running = workers.run();
    return async () => {
      workers.shutdown();
      await running;
      await nativeConnection.close();
    };
  }
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default', dataConverter });
  return {
    db,
    client,
    taskQueue,
    outbox,
    stop: async () => {
      await stopWorkers();
      await connection.close();
      await db.destroy();
    },
  };
}
