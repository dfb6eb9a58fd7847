// A designer's own worker: their task queue, their workflows, and livechat-temporal as a plugin.
import { NativeConnection, Worker } from '@temporalio/worker';
import { LiveChatPlugin } from 'livechat-temporal';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue: 'orders',
    workflowsPath: require.resolve(process.env.DESIGNER_WORKFLOWS ?? './workflows'),
    plugins: [new LiveChatPlugin()], // DATABASE_URL, providers and payload keys from the environment
  });
  console.log('designer worker ready');
  await worker.run();
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
