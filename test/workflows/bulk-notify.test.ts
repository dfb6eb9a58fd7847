/**
 * Bulk Notify's own logic, fast: the real workflow on the real Temporal dev server, its activities
 * typed stubs that keep an in-memory audience (no PostgreSQL, no provider). Pages in order, each
 * recipient once, failures counted, pause and resume, cancel mid-page, continue-as-new carrying the
 * counters, and recipients held for quiet hours sent when their time comes (or cancelled). Each case
 * runs twice: with the worker's workflow cache, and with `maxCachedWorkflows: 0`, where every
 * workflow task replays the history from the start (a side effect hidden by the cache shows there).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities, BulkPageInput, BulkPageProgress } from '../../activities';
import { bulkProgress, bulkResult, cancelBulk, pauseBulk, resumeBulk, startBulkNotify } from '../../client';
import { dispatchTaskQueue } from '../../domain/task-queues';
import type { BulkNotifyInput, BulkProgress } from '../../domain/types';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through jest's workflows project`);
  return value;
}

/** One bulk's in-memory world: its audience, what reached "the provider", what the workflow asked. */
class StubBulk {
  /** Positions handed to the provider, in order. */
  readonly sends: number[] = [];
  readonly pages: { after: number; limit: number }[] = [];
  plans = 0;
  finished: 'completed' | 'cancelled' | undefined;
  heldCancelled = 0;
  heldOutcomes: (readonly [number, string])[] = [];
  /** Pages wait for this before doing their work. */
  pageGate: Promise<void> = Promise.resolve();
  private releaseGate: (() => void) | undefined;

  constructor(
    readonly total: number,
    /** Recipients that fail, with their refusal's type. */
    readonly failures: Map<number, string> = new Map(),
    /** Recipients held for quiet hours, until this time (ms). */
    readonly held: Map<number, number> = new Map(),
  ) {}

  holdPages(): void {
    this.pageGate = new Promise((resolve) => (this.releaseGate = resolve));
  }
  releasePages(): void {
    this.releaseGate?.();
    this.pageGate = Promise.resolve();
  }
}

const bulks = new Map<string, StubBulk>();
const bulkOf = (id: string): StubBulk => {
  const bulk = bulks.get(id);
  if (!bulk) throw new Error(`no stub bulk ${id}`);
  return bulk;
};
const messageIdOf = (bulkId: string, position: number) => `${bulkId}#${position}`;

const unexpected = (name: string) => () => Promise.reject(new Error(`${name} is not part of Bulk Notify`));

/** The activities Bulk Notify calls, as stubs over `bulks`; the others throw. */
const stubs: Activities = {
  prepareMessage: unexpected('prepareMessage'),
  contactTagsOf: unexpected('contactTagsOf'),
  startOperatorSession: unexpected('startOperatorSession'),
  recordOperatorReply: unexpected('recordOperatorReply'),
  cancelScheduledMessage: unexpected('cancelScheduledMessage'),
  // Only runs started before batched dispatch read their audience page by page in the workflow.
  bulkRecipientsAfter: unexpected('bulkRecipientsAfter'),
  planBulk: async ({ bulkId }) => {
    const bulk = bulkOf(bulkId);
    bulk.plans++;
    return { total: bulk.total, channelKind: 'whatsapp' };
  },
  sendBulkPage: async (input: BulkPageInput): Promise<BulkPageProgress> => {
    const bulk = bulkOf(input.bulkId);
    bulk.pages.push({ after: input.after, limit: input.limit });
    await bulk.pageGate;
    const progress: BulkPageProgress = {
      done: input.after,
      taken: 0,
      sent: 0,
      failed: 0,
      scheduled: 0,
      failuresByType: {},
    };
    for (let p = input.after + 1; p <= Math.min(bulk.total, input.after + input.limit); p++) {
      const failure = bulk.failures.get(p);
      if (failure) {
        progress.failed++;
        progress.failuresByType[failure] = (progress.failuresByType[failure] ?? 0) + 1;
      } else if (bulk.held.has(p)) progress.scheduled++;
      else {
        bulk.sends.push(p);
        progress.sent++;
      }
      progress.taken++;
      progress.done = p;
    }
    return progress;
  },
  heldRecipientsDue: async ({ bulkId, limit }) => {
    const bulk = bulkOf(bulkId);
    const now = Date.now();
    const due = [...bulk.held]
      .filter(([, at]) => at <= now)
      .slice(0, limit)
      .map(([position]) => ({ position, messageId: messageIdOf(bulkId, position) }));
    const next = Math.min(...bulk.held.values());
    return { due, nextAt: due.length === 0 && bulk.held.size > 0 ? new Date(next).toISOString() : null };
  },
  dispatchMessage: async ({ messageId }) => {
    const [bulkId, position] = messageId.split('#') as [string, string];
    const bulk = bulkOf(bulkId);
    bulk.held.delete(Number(position));
    bulk.sends.push(Number(position));
    return { status: 'sent', providerMessageId: `SM${messageId}` };
  },
  // The held pass records the outcomes of the held recipients it dispatched.
  recordBulkOutcomes: async ({ bulkId, outcomes }) => {
    bulkOf(bulkId).heldOutcomes.push(...outcomes.map((o) => [o.position, o.status] as const));
  },
  cancelHeldRecipients: async ({ bulkId }) => {
    const bulk = bulkOf(bulkId);
    const cancelled = bulk.held.size;
    bulk.held.clear();
    bulk.heldCancelled += cancelled;
    return { cancelled };
  },
  finishBulk: async ({ bulkId, state }) => {
    bulkOf(bulkId).finished = state;
  },
};

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

async function until<T>(what: string, probe: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each([
  { cache: 'with the workflow cache', maxCachedWorkflows: undefined },
  { cache: 'with maxCachedWorkflows: 0', maxCachedWorkflows: 0 },
])('Bulk Notify with stub activities, $cache', ({ maxCachedWorkflows }) => {
  const taskQueue = `wf-bulk-${randomUUID()}`;
  let client: Client;
  let connection: Connection;
  let native: NativeConnection;
  let running: Promise<unknown>;
  let workers: Worker[];

  beforeAll(async () => {
    const address = required('LIVECHAT_WF_TEST_TEMPORAL_ADDRESS');
    native = await NativeConnection.connect({ address });
    const common = { connection: native, namespace: 'default', activities: stubs };
    workers = [
      await Worker.create({
        ...common,
        taskQueue,
        workflowBundle: { codePath: required('LIVECHAT_WF_TEST_WORKFLOW_BUNDLE') },
        ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
      }),
      await Worker.create({ ...common, taskQueue: dispatchTaskQueue(taskQueue, 'whatsapp') }),
    ];
    running = Promise.all(workers.map((w) => w.run()));
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: 'default' });
  });

  afterAll(async () => {
    for (const w of workers ?? []) w.shutdown();
    await running;
    await connection?.close();
    await native?.close();
  });

  const start = (bulk: StubBulk, input: Partial<BulkNotifyInput> = {}) => {
    const bulkId = `bulk-${randomUUID()}`;
    bulks.set(bulkId, bulk);
    return startBulkNotify(
      client,
      {
        liveChatId: 'shop',
        channelId: 'whatsapp-main',
        audience: { query: {} },
        text: 'The shop is closed on Monday.',
        ...input,
      },
      { taskQueue, workflowId: bulkId },
    );
  };
  const progressOf = (bulkId: string, done: (p: BulkProgress) => boolean) =>
    until(`progress of ${bulkId}`, () => bulkProgress(client, bulkId), done);

  test('pages in order, each recipient once; a recipient’s failure is counted by type', async () => {
    const bulk = new StubBulk(
      25,
      new Map([
        [3, 'DeliveryFailed'],
        [4, 'ContactHasNoAccount'],
        [17, 'DeliveryFailed'],
      ]),
    );
    const handle = await start(bulk, { pageSize: 10 });
    const result = await handle.result();

    expect(result).toMatchObject({
      state: 'completed',
      total: 25,
      sent: 22,
      failed: 3,
      scheduled: 0,
      pending: 0,
      failuresByType: { DeliveryFailed: 2, ContactHasNoAccount: 1 },
      continuedAsNew: 0,
    });
    expect(bulk.pages).toEqual([
      { after: 0, limit: 10 },
      { after: 10, limit: 10 },
      { after: 20, limit: 10 },
    ]);
    expect(bulk.sends).toEqual(range(1, 25).filter((p) => ![3, 4, 17].includes(p)));
    expect(bulk.finished).toBe('completed');
  });

  test('a pause lets the page in flight finish and starts no other until resumed', async () => {
    const bulk = new StubBulk(30);
    bulk.holdPages();
    const handle = await start(bulk, { pageSize: 10 });
    await until(
      'the first page started',
      () => bulk.pages.length,
      (n) => n === 1,
    );

    expect(await pauseBulk(client, handle.workflowId)).toMatchObject({
      state: 'paused',
      sent: 0,
      pending: 30,
    });
    bulk.releasePages();
    expect(await progressOf(handle.workflowId, (p) => p.sent === 10)).toMatchObject({
      state: 'paused',
      sent: 10,
      pending: 20,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bulk.pages).toHaveLength(1);

    expect(await resumeBulk(client, handle.workflowId)).toMatchObject({ state: 'running' });
    expect(await handle.result()).toMatchObject({ state: 'completed', sent: 30, pending: 0 });
    expect(bulk.sends).toEqual(range(1, 30));
  });

  test('a cancel mid-page: the page finishes, no other starts, the rest are counted as cancelled', async () => {
    const bulk = new StubBulk(30);
    bulk.holdPages();
    const handle = await start(bulk, { pageSize: 10 });
    await until(
      'the first page started',
      () => bulk.pages.length,
      (n) => n === 1,
    );

    expect(await cancelBulk(client, handle.workflowId)).toMatchObject({ state: 'cancelling' });
    bulk.releasePages();
    expect(await bulkResult(client, handle.workflowId)).toMatchObject({
      state: 'cancelled',
      total: 30,
      sent: 10,
      pending: 20,
    });
    expect(bulk.pages).toHaveLength(1);
    expect(bulk.sends).toEqual(range(1, 10));
    expect(bulk.finished).toBe('cancelled');
  });

  test('continue-as-new keeps each run short and carries the counters; the audience is planned once', async () => {
    const bulk = new StubBulk(60, new Map([[33, 'DeliveryFailed']]));
    const handle = await start(bulk, { pageSize: 1, continueAsNewAfterEvents: 100 });
    const result = await handle.result();

    expect(result).toMatchObject({ state: 'completed', total: 60, sent: 59, failed: 1, pending: 0 });
    expect(result.failuresByType).toEqual({ DeliveryFailed: 1 });
    expect(result.continuedAsNew).toBeGreaterThanOrEqual(1);
    expect(bulk.plans).toBe(1);
    expect(bulk.pages.map((p) => p.after)).toEqual(range(0, 59));
    expect(bulk.sends).toEqual(range(1, 60).filter((p) => p !== 33));
  });

  test('recipients held for quiet hours are sent once their time comes; the run waits for them', async () => {
    const at = Date.now() + 4_000;
    const bulk = new StubBulk(
      6,
      new Map(),
      new Map([
        [2, at],
        [5, at],
      ]),
    );
    const handle = await start(bulk, { pageSize: 10 });
    const waiting = await progressOf(handle.workflowId, (p) => p.state === 'waiting');
    expect(waiting).toMatchObject({ sent: 4, scheduled: 2, pending: 0 });
    expect(Date.parse(waiting.waitingUntil ?? '')).toBe(at);

    expect(await handle.result()).toMatchObject({ state: 'completed', sent: 6, scheduled: 0, pending: 0 });
    expect([...bulk.sends].sort((a, b) => a - b)).toEqual(range(1, 6));
    expect(bulk.sends.slice(4).sort()).toEqual([2, 5]);
    expect(bulk.heldOutcomes.sort()).toEqual([
      [2, 'sent'],
      [5, 'sent'],
    ]);
  });

  test('a cancel while waiting for held recipients cancels them; none is sent', async () => {
    const bulk = new StubBulk(4, new Map(), new Map([[3, Date.now() + 60 * 60_000]]));
    const handle = await start(bulk, { pageSize: 10 });
    await progressOf(handle.workflowId, (p) => p.state === 'waiting');

    await cancelBulk(client, handle.workflowId);
    expect(await bulkResult(client, handle.workflowId)).toMatchObject({
      state: 'cancelled',
      sent: 3,
      scheduled: 0,
    });
    expect(bulk.heldCancelled).toBe(1);
    expect(bulk.sends).toEqual([1, 2, 4]);
    expect(bulk.finished).toBe('cancelled');
  });
});
