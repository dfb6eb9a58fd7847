#!/usr/bin/env node
/**
 * The worker process: our workflows and the LiveChatPlugin on one Temporal worker, connected from
 * the standard Temporal settings (`@temporalio/envconfig`: a `temporal.toml` profile and the
 * environment) and PostgreSQL (`DATABASE_URL`); the plugin builds the provider adapters from the
 * worker-only provider configuration, migrates the database, runs one dispatch worker per channel
 * kind, and everything shuts down cleanly on SIGINT / SIGTERM (in-flight tasks finish first).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../config/environment';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { installRuntimeLogger } from '../infra/runtime';
import { LiveChatPlugin } from './plugin';

async function run(): Promise<void> {
  const config = loadConfig();
  installRuntimeLogger('INFO');
  const temporal = temporalConnectionOptions(process.env);
  const plugin = new LiveChatPlugin();
  console.log(`connecting to ${temporal.summary}; ${plugin.describe()}`);
  const connection = await NativeConnection.connect(temporal.worker);
  try {
    const worker = await Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue: config.LIVECHAT_TASK_QUEUE,
      workflowsPath: require.resolve('../workflows'),
      plugins: [plugin],
    });
    // Supervisors and tests wait for this line: from here on the worker polls.
    console.log(
      `worker ready: polling ${config.LIVECHAT_TASK_QUEUE} and its dispatch queues (pid ${process.pid})`,
    );
    await worker.run();
  } finally {
    await connection.close();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
