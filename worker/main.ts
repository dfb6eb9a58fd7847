#!/usr/bin/env node
/**
 * The worker process: our workflows and the LiveChatPlugin on one Temporal worker, connected from
 * the standard Temporal settings (`@temporalio/envconfig`: a `temporal.toml` profile and the
 * environment) and PostgreSQL (`DATABASE_URL`); the plugin builds the provider adapters from the
 * worker-only provider configuration, migrates the database, runs one dispatch worker per channel
 * kind, and everything shuts down cleanly on SIGINT / SIGTERM (in-flight tasks finish first). It
 * logs JSON lines (pino) and, with `LIVECHAT_WORKER_HTTP_PORT` set, serves `/healthz`, `/readyz`
 * and `/metrics`; with OTEL_* set, it exports traces.
 */
import net from 'node:net';
import { NativeConnection, Worker } from '@temporalio/worker';
import { imapMailboxesOf } from '../channels/email/imap-config';
import { startImapReaders } from '../channels/email/imap-reader';
import { DEFAULT_DATABASE_URL, loadConfig } from '../config/environment';
import { loadProviderConfig } from '../config/providers';
import { processSecrets } from '../config/secrets';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { createDb, migrateLatest } from '../db/knex';
import { databaseCheck, Readiness, runtimeMetricsFrom, temporalCheck } from '../infra/health';
import { createLogger, errorField, type Logger } from '../infra/logger';
import { createMetrics } from '../infra/metrics';
import { installRuntimeLogger } from '../infra/runtime';
import { tracingFromEnv } from '../infra/telemetry';
import { startWorkerHttp } from './http';
import { LiveChatPlugin } from './plugin';

async function run(logger: Logger): Promise<void> {
  const config = loadConfig();
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
  // The plugin's activities and the readiness check share one pool.
  const db = createDb(config.DATABASE_URL ?? DEFAULT_DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  await migrateLatest(db);
  // Each email channel with IMAP_URL_<CHANNEL> set is read by this worker (one worker at a time).
  const providers = loadProviderConfig();
  const emailChannels: { id: string }[] = await db('channels')
    .where({ kind: 'email', state: 'active' })
    .select('id');
  const mailboxes = imapMailboxesOf(
    emailChannels.map((c) => c.id),
    process.env,
  );
  const pollMs = providers.IMAP_POLL_SECONDS * 1_000;
  const imapReaders =
    mailboxes.length > 0
      ? startImapReaders(mailboxes, {
          db,
          pollMs,
          leaseMs: Math.max(providers.IMAP_LEASE_SECONDS * 1_000, pollMs * 2),
          // Kind and message only: no address, no text, never the password.
          onError: (error) => logger.warn({ error: errorField(error) }, 'imap reader failed; it retries'),
        })
      : undefined;
  if (mailboxes.length > 0)
    logger.info(
      { channels: mailboxes.map((m) => m.channelId) },
      `reading ${mailboxes.length} mailbox(es) over IMAP`,
    );
  const temporal = temporalConnectionOptions(process.env);
  const plugin = new LiveChatPlugin({ db, logger, metrics, ...(tracing ? { tracing } : {}) });
  logger.info(`connecting to ${temporal.summary}; ${plugin.describe()}`);
  const connection = await NativeConnection.connect(temporal.worker);
  let http: Awaited<ReturnType<typeof startWorkerHttp>> | undefined;
  try {
    const worker = await Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue: config.LIVECHAT_TASK_QUEUE,
      workflowsPath: require.resolve('../workflows'),
      plugins: [plugin],
    });
    const readiness = new Readiness()
      .register('postgresql', databaseCheck(db))
      .register('temporal', temporalCheck(connection))
      .register('workers', async () => {
        const states = [worker.getState(), ...plugin.dispatchWorkerStates()];
        const notRunning = states.filter((state) => state !== 'RUNNING');
        if (notRunning.length > 0) throw new Error(`workers not running: ${notRunning.join(', ')}`);
        if (states.length === 1) throw new Error('the dispatch workers have not started yet');
      });
    // Only a worker that reads mailboxes reports them.
    if (imapReaders) {
      const readers = imapReaders;
      readiness.register('imap', async () => {
        const failing = readers.statuses().filter((r) => r.state === 'disconnected');
        if (failing.length > 0)
          throw new Error(
            `IMAP not connected: ${failing.map((r) => `${r.channelId} (${r.lastError ?? 'unknown'})`).join(', ')}`,
          );
      });
    }
    if (listen) {
      http = await startWorkerHttp({
        host: config.LIVECHAT_WORKER_HTTP_HOST,
        port: config.LIVECHAT_WORKER_HTTP_PORT ?? 0,
        metrics,
        readiness,
        ...(runtimeMetrics ? { moreMetrics: runtimeMetricsFrom(runtimeMetrics) } : {}),
      });
      logger.info({ url: http.address }, `health and metrics on ${http.address}`);
    }
    // Supervisors and tests wait for this line: from here on the worker polls.
    logger.info(
      { taskQueue: config.LIVECHAT_TASK_QUEUE },
      `worker ready: polling ${config.LIVECHAT_TASK_QUEUE} and its dispatch queues (pid ${process.pid})`,
    );
    await worker.run();
  } finally {
    await imapReaders?.stop();
    await http?.app.close();
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
