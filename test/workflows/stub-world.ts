import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { dispatchTaskQueue } from '../../domain/task-queues';
import type { ChannelKind } from '../../domain/types';
import { installRuntimeLogger } from '../../infra/runtime';

/**
 * Stub activities, typed against the real ones: the keys must be activities' names and each stub
 * must take and return what the real activity does, so a renamed or changed activity fails to
 * compile here rather than pass here and fail in production.
 */
export type StubActivities<K extends keyof Activities = keyof Activities> = Pick<Activities, K>;

/** Every call a stub got, by activity, in order: what the workflow asked of the outside world. */
export type CallLog = { [K in keyof Activities]?: Parameters<Activities[K]>[0][] };

/** Wraps stubs so that each records its input before answering. */
export function recorded<K extends keyof Activities>(
  stubs: StubActivities<K>,
): { activities: StubActivities<K>; calls: CallLog } {
  const calls: CallLog = {};
  const activities = Object.fromEntries(
    Object.entries(stubs).map(([name, stub]) => [
      name,
      (input: unknown) => {
        const list = ((calls as Record<string, unknown[]>)[name] ??= []);
        list.push(input);
        return (stub as (input: unknown) => Promise<unknown>)(input);
      },
    ]),
  ) as unknown as StubActivities<K>;
  return { activities, calls };
}

/** The worker settings each test runs under: the default cache, and none (every task replays). */
export const CACHE_SETTINGS = [
  { cache: 'the default workflow cache', maxCachedWorkflows: undefined },
  { cache: 'no workflow cache (maxCachedWorkflows: 0)', maxCachedWorkflows: 0 },
] as const;

export interface StubWorld {
  client: Client;
  /** Runs `test` while workers serve the workflows with these stubs, then shuts them down. */
  run<T>(
    stubs: Partial<Activities>,
    options: { maxCachedWorkflows: number | undefined },
    test: (taskQueue: string) => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

const KINDS: ChannelKind[] = ['email', 'whatsapp', 'telegram', 'livechat'];

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through jest (test/workflows/global-setup.ts)`);
  return value;
}

/**
 * A client and a worker connection to the workflow tests' Temporal server. Each `run` gets a task
 * queue of its own, with a worker for the workflows (and the database steps) and one per channel
 * kind's dispatch queue (where the dispatch step runs, as in production), all with the given stubs.
 */
export async function connectStubWorld(): Promise<StubWorld> {
  installRuntimeLogger('ERROR');
  const address = required('LIVECHAT_WF_TEST_TEMPORAL_ADDRESS');
  const bundle = required('LIVECHAT_WF_TEST_WORKFLOW_BUNDLE');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    client,
    async run(stubs, { maxCachedWorkflows }, test) {
      const taskQueue = `wf-${randomUUID()}`;
      const cache = maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows };
      const workers = [
        await Worker.create({
          connection: nativeConnection,
          taskQueue,
          workflowBundle: { codePath: bundle },
          activities: stubs,
          ...cache,
        }),
        ...(await Promise.all(
          KINDS.map((kind) =>
            Worker.create({
              connection: nativeConnection,
              taskQueue: dispatchTaskQueue(taskQueue, kind),
              activities: stubs,
            }),
          ),
        )),
      ];
      const [first, ...rest] = workers;
      return first!.runUntil(async () => {
        const others = rest.map((worker) => worker.run());
        try {
          return await test(taskQueue);
        } finally {
          for (const worker of rest) worker.shutdown();
          await Promise.all(others);
        }
      });
    },
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
