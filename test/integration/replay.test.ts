import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';

// Histories recorded from real runs (dev/record-histories.ts) must replay against today's
// workflow code: a change that would break running workflows fails here, not in production.
const dir = path.join(__dirname, '..', 'replay', 'histories');
const workflowIds = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as Record<
  string,
  string
>;
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'index.json');

test('a history of every workflow is checked in', () => {
  expect(Object.keys(workflowIds).sort()).toEqual(files.sort());
  expect(files.sort()).toEqual(
    [
      'bulk-notify-held-cancelled.json',
      'bulk-notify.json',
      'initiate-session.json',
      'operator-reply.json',
      'order-ready-child.json',
      'order-ready.json',
      'send-live-chat-message-cancelled.json',
      'send-live-chat-message-refused.json',
      'send-live-chat-message-scheduled.json',
      'send-live-chat-message.json',
      'send-with-fallback.json',
    ].sort(),
  );
});

test.each(files)('%s replays without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  const codePath = process.env.LIVECHAT_TEST_WORKFLOW_BUNDLE;
  if (!codePath)
    throw new Error('LIVECHAT_TEST_WORKFLOW_BUNDLE is not set: run through the integration project');
  await Worker.runReplayHistory({ workflowBundle: { codePath } }, history, workflowIds[file]);
});
