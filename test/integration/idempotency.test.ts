import { Context } from '@temporalio/activity';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import type { Activities } from '../../activities';
import { sendLiveChatMessage } from '../../client';
import { sendLiveChatMessage as sendWorkflow } from '../../workflows';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

// In workflows whose id starts with "crash-", each activity crashes once right after its work
// committed, before Temporal hears of it: the retry must find the work done, not do it again.
const crashes: string[] = [];
function crashOnceAfterCommit(activities: Activities): Activities {
  const once =
    <I, O>(name: string, work: (input: I) => Promise<O>) =>
    async (input: I): Promise<O> => {
      const result = await work(input);
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      const crash = `${workflowId}:${name}`;
      if (workflowId.startsWith('crash-') && !crashes.includes(crash)) {
        crashes.push(crash);
        throw new Error(`simulated crash after ${name} committed`);
      }
      return result;
    };
  return {
    ...activities,
    prepareMessage: once('prepareMessage', activities.prepareMessage),
    dispatchMessage: once('dispatchMessage', activities.dispatchMessage),
  };
}

let harness: Harness;
let world: World;

beforeAll(async () => {
  harness = await startHarness({ wrapActivities: crashOnceAfterCommit });
  world = await createWorld(harness.db);
});
afterAll(() => harness.stop());

const messagesWithKey = (key: string) => harness.db('messages').where({ idempotency_key: key });

test('rule 19: an activity retried after its commit leaves one message in the history and one delivery', async () => {
  const workflowId = `crash-after-commit-${world.maria}`;
  const result = await sendLiveChatMessage(
    harness.client,
    {
      liveChatId: world.liveChat,
      channelId: world.email,
      to: { contactId: world.maria },
      subject: 'Your invoice',
      text: 'Invoice #77 is attached to your account.',
    },
    { taskQueue: harness.taskQueue, workflowId },
  );
  expect(result.status).toBe('sent');
  expect(crashes).toEqual([`${workflowId}:prepareMessage`, `${workflowId}:dispatchMessage`]);
  expect(await messagesWithKey(`workflow:${workflowId}`)).toHaveLength(1);
  expect(
    await harness.db('sessions').where({ channel_id: world.email, account: world.mariaEmail }),
  ).toHaveLength(1);
  expect(harness.outbox.email.received.filter((m) => m.messageId === result.messageId)).toHaveLength(1);
});

test('rule 19: the same request started twice sends once', async () => {
  const workflowId = `twice-${world.maria}`;
  const input = {
    liveChatId: world.liveChat,
    channelId: world.telegram,
    to: { contactId: world.maria },
    text: 'Your parcel has left the warehouse.',
  };
  const options = {
    taskQueue: harness.taskQueue,
    workflowId,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  };
  const first = await harness.client.workflow.execute(sendWorkflow, { ...options, args: [input] });
  const second = await harness.client.workflow.execute(sendWorkflow, { ...options, args: [input] });

  expect(second.messageId).toBe(first.messageId);
  expect(await messagesWithKey(`workflow:${workflowId}`)).toHaveLength(1);
  expect(harness.outbox.telegram.received.filter((m) => m.messageId === first.messageId)).toHaveLength(1);
});
