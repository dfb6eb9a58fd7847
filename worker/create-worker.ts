import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions as SdkWorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import { CHANNEL_KINDS } from '../domain/channels';
import { dispatchTaskQueue } from '../domain/task-queues';
import type { ChannelKind } from '../domain/types';
import { telemetryInterceptors, telemetrySinks, type Tracing } from '../infra/telemetry';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A prebuilt workflow bundle (tests, benchmark); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
  /** The workflows module to bundle at start (default: the product's workflows). */
  workflowsPath?: string;
  /** Dispatches per second per channel kind; Temporal holds it across all workers of the queue. */
  rateLimits?: Partial<Record<ChannelKind, number>>;
  /** Payload encryption (`liveChatDataConverter()`); clients of the same queue must use the same. */
  dataConverter?: DataConverter | undefined;
  /** OpenTelemetry traces (`tracingFromEnv()`): spans for workflow runs and activities. */
  tracing?: Tracing | undefined;
}

/**
 * The workers one process runs: one for the workflows and the database steps on the main task
 * queue, and one per channel kind for dispatch on that kind's queue, where its rate limit holds.
 */
export class LiveChatWorkers {
  constructor(readonly workers: Worker[]) {}

  /** Runs until shut down (SIGINT / SIGTERM are handled by the SDK: in-flight tasks finish first). */
  async run(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.run()));
  }

  shutdown(): void {
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  /** Runs the workers while `work` runs, then shuts them down and waits for them to stop. */
  async runUntil<T>(work: () => Promise<T>): Promise<T> {
    const running = this.run();
    try {
      return await work();
    } finally {
      this.shutdown();
      await running;
    }
  }
}

type ActivityFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

interface QueueOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataConverter?: DataConverter | undefined;
  tracing?: Tracing | undefined;
}

/** The worker for the workflows and the database steps, on the main task queue. */
export function createWorkflowWorker(
  options: QueueOptions & {
    activities: ActivityFunctions;
    workflowBundlePath?: string;
    workflowsPath?: string;
  },
): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.tracing
      ? { interceptors: telemetryInterceptors(), sinks: telemetrySinks(options.tracing) }
      : {}),
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: options.workflowsPath ?? require.resolve('../workflows') }),
  });
}

/** One dispatch worker per channel kind, each on its kind's queue with its rate limit. */
export function createDispatchWorkers(
  options: QueueOptions & {
    activities: ActivityFunctions;
    rateLimits?: WorkerOptions['rateLimits'];
    interceptors?: SdkWorkerOptions['interceptors'];
    workerDeploymentOptions?: SdkWorkerOptions['workerDeploymentOptions'];
  },
): Promise<Worker[]> {
  return Promise.all(
    CHANNEL_KINDS.map((kind) => {
      const rate = options.rateLimits?.[kind];
      return Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: dispatchTaskQueue(options.taskQueue, kind),
        activities: options.activities,
        ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
        ...(options.tracing ? { interceptors: telemetryInterceptors({ workflows: false }) } : {}),
        ...(rate !== undefined ? { maxTaskQueueActivitiesPerSecond: rate } : {}),
        ...(options.interceptors ? { interceptors: options.interceptors } : {}),
        ...(options.workerDeploymentOptions
          ? { workerDeploymentOptions: options.workerDeploymentOptions }
          : {}),
      });
    }),
  );
}

export async function createWorkers(options: WorkerOptions): Promise<LiveChatWorkers> {
  const { dispatchMessage, sendBulkPage, ...databaseSteps } = options.activities;
  const main = await createWorkflowWorker({
    ...options,
    activities: databaseSteps,
  });
  const dispatchers = await createDispatchWorkers({
    ...options,
    // A bulk's page hands messages to the provider too: it runs where the channel's adapters are.
    activities: { dispatchMessage, sendBulkPage },
  });
  return new LiveChatWorkers([main, ...dispatchers]);
}
