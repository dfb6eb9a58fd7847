/**
 * The worker process: connects to Temporal and PostgreSQL from the environment (see the README's
 * configuration table), builds the provider adapters from the worker-only provider configuration,
 * runs the workflow worker and one dispatch worker per channel kind, and shuts down cleanly on
 * SIGINT / SIGTERM (the SDK lets in-flight tasks finish first). It logs JSON lines (pino) and, with
 * `LIVECHAT_WORKER_HTTP_PORT` set, serves `/healthz`, `/readyz` and `/metrics`.
 */
import net from 'node:net';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { describeDataConverter, liveChatDataConverter } from '../codec/data-converter';
import { createChannelAdapters } from '../channels';
import { createDb, migrateLatest } from '../db/knex';
import { DEFAULT_DATABASE_URL, loadConfig } from '../config/environment';
import { loadProviderConfig } from '../config/providers';
import { processSecrets } from '../config/secrets';
import { databaseCheck, Readiness, runtimeMetricsFrom, temporalCheck } from '../infra/health';
import { createLogger, errorField, type Logger } from '../infra/logger';
import { createMetrics } from '../infra/metrics';
import { installRuntimeLogger } from '../infra/runtime';
import { tracingFromEnv } from '../infra/telemetry';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { parseHostAllowList } from '../infra/url-hosts';
import { createWorkers, type LiveChatWorkers } from './create-worker';
import { startWorkerHttp, workersRunning } from './http';

async function run(logger: Logger): Promise<void> {
  const config = loadConfig();
  const providers = loadProviderConfig();
  const listen = config.LIVECHAT_WORKER_HTTP_PORT !== undefined;
  const runtimeMetrics =
    config.TEMPORAL_METRICS_BIND_ADDRESS ?? (listen ? `127.0.0.1:${await freeLoopbackPort()}` : undefined);
  installRuntimeLogger('INFO', {
    logger,
    forwardCoreLogs: true,
    ...(runtimeMetrics ? { prometheusBindAddress: runtimeMetrics } : {}),
  });
  const metrics = createMetrics({ processMetrics: true });
  // Off unless OTEL_* asks for it (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER=otlp).
  const tracing = tracingFromEnv('livechat-worker');
  if (tracing) logger.info('traces on: spans go to the OTLP exporter');
  const db = createDb(config.DATABASE_URL ?? DEFAULT_DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  await migrateLatest(db);
  const channels = createChannelAdapters(providers);
  if (channels.unconfigured.length > 0) {
    logger.warn(
      { unconfigured: channels.unconfigured },
      `no provider configured for: ${channels.unconfigured.join(', ')} (their messages wait until one is)`,
    );
  }
  const temporal = temporalConnectionOptions(process.env);
  logger.info(`connecting to ${temporal.summary}; ${describeDataConverter()}`);
  const connection = await NativeConnection.connect(temporal.worker);
  const started: { workers?: LiveChatWorkers } = {};
  const readiness = new Readiness()
    .register('postgresql', databaseCheck(db))
    .register('temporal', temporalCheck(connection))
    .register(
      'workers',
      workersRunning(() => started.workers),
    );
  const http = listen
    ? await startWorkerHttp({
        host: config.LIVECHAT_WORKER_HTTP_HOST,
        port: config.LIVECHAT_WORKER_HTTP_PORT ?? 0,
        metrics,
        readiness,
        ...(runtimeMetrics ? { moreMetrics: runtimeMetricsFrom(runtimeMetrics) } : {}),
      })
    : undefined;
  if (http) logger.info({ url: http.address }, `health and metrics on ${http.address}`);
  const workers = await createWorkers({
    connection,
    namespace: temporal.namespace,
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    activities: createActivities({
      db,
      channels: channels.adapters,
      attachmentUrlHosts: parseHostAllowList(config.ATTACHMENT_URL_HOSTS),
      logger,
      metrics,
    }),
    dataConverter: liveChatDataConverter(),
    tracing,
    rateLimits: {
      email: providers.EMAIL_RATE_LIMIT,
      whatsapp: providers.WHATSAPP_RATE_LIMIT,
      telegram: providers.TELEGRAM_RATE_LIMIT,
    },
  });
  started.workers = workers;
  const running = workers.run();
  // Supervisors and tests wait for this line: from here on the worker polls.
  logger.info(
    { taskQueue: config.LIVECHAT_TASK_QUEUE },
    `worker ready: polling ${config.LIVECHAT_TASK_QUEUE} and its dispatch queues (pid ${process.pid})`,
  );
  try {
    await running;
  } finally {
    await http?.app.close();
    await channels.close();
    await connection.close();
    await db.destroy();
    await tracing?.shutdown();
    logger.info('worker stopped');
  }
}

/** A loopback port nothing listens on now, for the Temporal runtime's metrics. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function start(): void {
  let logger: Logger;
  try {
    logger = createLogger({
      base: { process: 'worker' },
      secrets: processSecrets(process.env, loadProviderConfig()),
    });
  } catch (error) {
    // The configuration itself is wrong: its error names the variable, never a value.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  run(logger).catch((error: unknown) => {
    logger.fatal({ error: errorField(error) }, 'the worker stopped on an error');
    process.exit(1);
  });
}

start();
