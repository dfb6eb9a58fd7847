/**
 * The server process on WEBHOOK_PORT: the operators' Live Chats workspace (the page at `/`, its API
 * under `/api`) and the provider webhooks (Twilio inbound + status, Telegram updates, inbound mail).
 * Each provider's routes are mounted only when its secret is configured, so an unconfigured
 * provider cannot be fed unsigned data.
 */
import { Client, Connection } from '@temporalio/client';
import { liveChatDataConverter } from '../codec/data-converter';
import { createDb } from '../db/knex';
import { DEFAULT_DATABASE_URL, loadConfig } from '../config/environment';
import { loadProviderConfig } from '../config/providers';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { registerWorkspace } from './operators/plugin';
import { mediaRoutes } from './media';
import { createWebhookServer, type WebhookRoutes } from './webhook-server';
import { emailWebhookRoutes } from '../channels/email/webhook';
import { telegramWebhookRoutes } from './webhooks/telegram';
import { twilioWebhookRoutes } from './webhooks/twilio';

async function run(): Promise<void> {
  const config = loadConfig();
  const providers = loadProviderConfig();
  const db = createDb(config.DATABASE_URL ?? DEFAULT_DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  const temporal = temporalConnectionOptions(process.env);
  const connection = await Connection.connect(temporal.client);
  const routes: WebhookRoutes[] = [];
  if (providers.TWILIO_AUTH_TOKEN && providers.WEBHOOK_BASE_URL) {
    routes.push(
      twilioWebhookRoutes({
        authToken: providers.TWILIO_AUTH_TOKEN,
        publicBaseUrl: providers.WEBHOOK_BASE_URL,
      }),
    );
  }
  if (providers.TELEGRAM_WEBHOOK_SECRET)
    routes.push(telegramWebhookRoutes({ secretToken: providers.TELEGRAM_WEBHOOK_SECRET }));
  if (providers.EMAIL_WEBHOOK_SECRET)
    routes.push(emailWebhookRoutes({ secret: providers.EMAIL_WEBHOOK_SECRET }));
  const providerCount = routes.length;
  if (providers.MEDIA_URL_SECRET) routes.push(mediaRoutes({ secret: providers.MEDIA_URL_SECRET }));
  const app = await createWebhookServer({ db, providers }, routes);
  await registerWorkspace(app, {
    db,
    client: new Client({ connection, namespace: temporal.namespace, dataConverter: liveChatDataConverter() }),
    taskQueue: config.LIVECHAT_TASK_QUEUE,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    secureCookies: providers.WEBHOOK_BASE_URL?.startsWith('https://') ?? false,
  });
  const address = await app.listen({ host: '0.0.0.0', port: providers.WEBHOOK_PORT });
  console.log(
    `workspace and webhooks listening on ${address} (${providerCount} provider(s) mounted${providers.MEDIA_URL_SECRET ? ', media URLs served' : ''})`,
  );
  const stop = async () => {
    await app.close();
    await connection.close();
    await db.destroy();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
