import type { ChildProcess } from 'node:child_process';
import { applyConfig } from '../../db/apply-config';
import {
  killNodeProcesses,
  startNodeProcess,
  startWorkerNodeProcess,
  type NodeProcess,
  type WorkerNodeProcess,
} from '../../dev/node-process';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { startHarness, type Harness } from './harness';
import { knowTelegramChats, type providerWorld } from './provider-world';

/** A process of a test's own: see `startNodeProcess`. */
export type TestProcess = NodeProcess;
/** A worker OS process of a test's own (the fault suite's kill case, the cluster test). */
export type WorkerProcess = WorkerNodeProcess;

/** Every process a test file started that has not ended yet. */
const running = new Set<ChildProcess>();
// Whatever a test left running (it failed or timed out before its `finally`) ends with its file:
// a process left over would keep Jest, and CI, from ever finishing.
afterAll(async () => {
  const left = [...running];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((child) => new Promise((resolve) => child.once('exit', resolve))));
});

function tracked<P extends NodeProcess>(started: P): P {
  running.add(started.child);
  started.child.once('exit', () => running.delete(started.child));
  return started;
}

/** `node …args` in `cwd` with `env` on top of this process's environment, ended with the test file at the latest. */
export function startTestProcess(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; readyLine: string },
): TestProcess {
  return tracked(startNodeProcess(args, options));
}

/** The production worker entry point, `worker/main.ts`, with `env` on top of this process's environment. */
export function startWorkerProcess(env: NodeJS.ProcessEnv): WorkerProcess {
  return tracked(startWorkerNodeProcess(env));
}

export const killWorkerProcesses = killNodeProcesses;

/**
 * What a test of worker processes starts in its own process: the provider stand-ins, answering after
 * `latencyMs` as a real provider does (so a kill finds sends in flight), and a harness with no
 * worker (this process only starts workflows and reads results), with the provider world applied.
 */
export async function startProcessWorld(
  world: ReturnType<typeof providerWorld>,
  latencyMs: number,
): Promise<{ sandbox: Sandbox; harness: Harness }> {
  const sandbox = await startSandbox();
  for (const faults of [sandbox.twilio.faults, sandbox.telegram.faults, sandbox.smtp.faults])
    faults.latencyMs = latencyMs;
  const harness = await startHarness({ workers: false });
  knowTelegramChats(sandbox, world);
  await applyConfig(harness.db, world.config);
  return { sandbox, harness };
}
