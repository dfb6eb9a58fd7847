// A designer's client: starts their process, then reads what operators see.
import { Client, Connection } from '@temporalio/client';
import { LiveChatPlugin, createDb } from 'livechat-temporal';
import { describeWorkflowFailure, getContactHistory } from 'livechat-temporal/client';
import type { OrderOutcome, OrderReady } from './workflows';

async function main(): Promise<void> {
  const [orderId, input] = [process.argv[2] ?? 'order-1', JSON.parse(process.argv[3] ?? '{}') as OrderReady];
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, plugins: [new LiveChatPlugin()] });
  const db = createDb(process.env.DATABASE_URL ?? '');
  try {
    const outcome: OrderOutcome = await client.workflow.execute('orderReady', {
      taskQueue: 'orders',
      workflowId: orderId,
      args: [input],
    });
    const contactId = 'contactId' in input.message.to ? input.message.to.contactId : undefined;
    const history = contactId ? await getContactHistory(db, contactId) : undefined;
    console.log(JSON.stringify({ outcome, history }));
  } catch (error) {
    console.log(JSON.stringify({ failure: describeWorkflowFailure(error) ?? String(error) }));
  } finally {
    await db.destroy();
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
