/**
 * The server process on WEBHOOK_PORT: the operators' Live Chats workspace (the page at `/`, its API
 * under `/api`) and the provider webhooks (Twilio inbound + status, Telegram updates, inbound mail).
 * Each provider's routes are mounted only when its secret is configured, so an unconfigured
 * provider cannot be fed unsigned data. It logs JSON lines (pino) and serves `/healthz`, `/readyz`
 * (PostgreSQL and Temporal reachable) and `/metrics`.
 */
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { liveChatDataConverter } from '../codec/data-converter';
import { createDb } from '../db/knex';
import { DEFAULT_DATABASE_URL, loadConfig } from '../config/environment';
import { loadProviderConfig } from '../config/providers';
import { processSecrets } from '../config/secrets';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { databaseCheck, Readiness, temporalCheck } from '../infra/health';
import { createLogger, errorField, scrub, type Logger } from '../infra/logger';
import { createMetrics } from '../infra/metrics';
import { telemetryClientInterceptors, tracingFromEnv } from '../infra/telemetry';
import { registerWorkspace } from './operators/plugin';
import { startTelegramInbound } from './telegram-inbound';
import { mediaRoutes } from './media';
import { unsubscribeRoutes } from './unsubscribe';
import { createWebhookServer, type WebhookRoutes } from './webhook-server';
import { emailWebhookRoutes } from '../channels/email/webhook';
import { telegramFileFetcher, telegramWebhookRoutes } from '../channels/telegram';
import { twilioMediaFetcher, twilioWebhookRoutes } from '../channels/whatsapp';
import { retryInboundFiles, type InboundFileFetchers } from '../inbound/inbound-files';

async function run(logger: Logger): Promise<void> {
  const config = loadConfig();
  const providers = loadProviderConfig();
  const metrics = createMetrics({ processMetrics: true });
  // Off unless OTEL_* asks for it: then the workflows operators start begin their traces here.
  const tracing = tracingFromEnv('livechat-server');
  const db = createDb(config.DATABASE_URL ?? DEFAULT_DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  const temporal = temporalConnectionOptions(process.env);
  console.log(`connecting to ${temporal.summary}`);
  const connection = await Connection.connect(temporal.client);
  const routes: WebhookRoutes[] = [];
  // Customers' files: fetched by the webhooks once the message is stored, and retried from here.
  const fetchers: InboundFileFetchers = {};
  if (providers.TWILIO_ACCOUNT_SID && providers.TWILIO_AUTH_TOKEN) {
    fetchers.whatsapp = twilioMediaFetcher({
      accountSid: providers.TWILIO_ACCOUNT_SID,
      authToken: providers.TWILIO_AUTH_TOKEN,
      ...(providers.TWILIO_API_URL ? { apiUrl: providers.TWILIO_API_URL } : {}),
    });
  }
  if (providers.TELEGRAM_BOT_TOKEN) {
    fetchers.telegram = telegramFileFetcher({
      botToken: providers.TELEGRAM_BOT_TOKEN,
      ...(providers.TELEGRAM_API_URL ? { apiUrl: providers.TELEGRAM_API_URL } : {}),
    });
  }
  const report = (error: unknown) =>
    console.error(`inbound: ${error instanceof Error ? `${error.name}: ${error.message}` : 'failed'}`);
  if (providers.TWILIO_AUTH_TOKEN && providers.WEBHOOK_BASE_URL) {
    routes.push(
      twilioWebhookRoutes({
        authToken: providers.TWILIO_AUTH_TOKEN,
        publicBaseUrl: providers.WEBHOOK_BASE_URL,
        ...(fetchers.whatsapp ? { mediaFetcher: fetchers.whatsapp } : {}),
        onError: report,
      }),
    );
  }
  if (providers.TELEGRAM_WEBHOOK_SECRET) {
    routes.push(
      telegramWebhookRoutes({
        secretToken: providers.TELEGRAM_WEBHOOK_SECRET,
        ...(providers.TELEGRAM_BOT_TOKEN ? { botToken: providers.TELEGRAM_BOT_TOKEN } : {}),
        ...(providers.TELEGRAM_API_URL ? { apiUrl: providers.TELEGRAM_API_URL } : {}),
        onError: report,
      }),
    );
  }
  if (providers.EMAIL_WEBHOOK_SECRET)
    routes.push(emailWebhookRoutes({ secret: providers.EMAIL_WEBHOOK_SECRET }));
  const providerCount = routes.length;
  // The one-click unsubscribe of process mail: the worker signs the links for WEBHOOK_BASE_URL.
  if (providers.WEBHOOK_BASE_URL) routes.push(unsubscribeRoutes());
  if (providers.MEDIA_URL_SECRET) routes.push(mediaRoutes({ secret: providers.MEDIA_URL_SECRET }));
  const readiness = new Readiness()
    .register('postgresql', databaseCheck(db))
    .register('temporal', temporalCheck(connection));
  const app = await createWebhookServer({ db, providers, logger, metrics, readiness }, routes);
  await registerWorkspace(app, {
    db,
    client: new Client({
      connection,
      namespace: temporal.namespace,
      dataConverter: liveChatDataConverter(),
      ...(tracing ? { interceptors: telemetryClientInterceptors() } : {}),
    }),
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    secureCookies: providers.WEBHOOK_BASE_URL?.startsWith('https://') ?? false,
    log: (line) => logger.error(scrub(line)),
  });
  await app.listen({ host: providers.WEBHOOK_HOST, port: providers.WEBHOOK_PORT });
  const url = listeningOn(app.server.address());
  logger.info(
    { url, providers: providerCount },
    `workspace and webhooks listening on ${url} (${providerCount} provider(s) mounted${providers.MEDIA_URL_SECRET ? ', media URLs served' : ''})`,
  );
  const telegram = await startTelegramInbound({ db, providers, log: console });
  const retries = retryInboundFiles(db, fetchers, { onError: report });
  const stop = async () => {
    await telegram.stop();
    await retries.stop();
    await app.close();
    await connection.close();
    await db.destroy();
    await tracing?.shutdown();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** `http://host:port` of where the server really listens (`[::1]` bracketed). */
function listeningOn(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') return String(address);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function start(): void {
  let logger: Logger;
  try {
    logger = createLogger({
      base: { process: 'server' },
      secrets: processSecrets(process.env, loadProviderConfig()),
    });
  } catch (error) {
    // The configuration itself is wrong: its error names the variable, never a value.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  run(logger).catch((error: unknown) => {
    logger.fatal({ error: errorField(error) }, 'the server stopped on an error');
    process.exit(1);
  });
}

start();
