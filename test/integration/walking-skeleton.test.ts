import { sendLiveChatMessage } from '../../client';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

let harness: Harness;
let world: World;

beforeAll(async () => {
  harness = await startHarness();
  world = await createWorld(harness.db);
});
afterAll(() => harness.stop());

test('a process message goes from the workflow through the worker into PostgreSQL and out to the provider', async () => {
  const result = await sendLiveChatMessage(
    harness.client,
    {
      liveChatId: world.liveChat,
      channelId: world.whatsapp,
      to: { contactId: world.maria },
      text: 'Your order #1042 is ready for pickup.',
    },
    { taskQueue: harness.taskQueue, workflowId: `skeleton-${world.maria}` },
  );

  expect(result).toMatchObject({ status: 'sent', sessionReused: false });
  const session = await harness.db('sessions').where({ id: result.sessionId }).first();
  expect(session).toMatchObject({
    live_chat_id: world.liveChat,
    channel_id: world.whatsapp,
    contact_id: world.maria,
    account: world.mariaPhone,
    state: 'open',
    origin: 'process',
  });
  const messages = await harness.db('messages').where({ session_id: result.sessionId });
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatchObject({
    id: result.messageId,
    direction: 'outbound',
    author_kind: 'process',
    author_id: null,
    process_workflow_id: `skeleton-${world.maria}`,
    text: 'Your order #1042 is ready for pickup.',
    status: 'sent',
    provider_message_id: expect.any(String),
  });
  expect(harness.outbox.whatsapp.received.map((m) => [m.to, m.text])).toEqual([
    [world.mariaPhone, 'Your order #1042 is ready for pickup.'],
  ]);
});
