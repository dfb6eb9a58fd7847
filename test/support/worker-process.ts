import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { applyConfig } from '../../db/apply-config';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { startHarness, type Harness } from './harness';
import { knowTelegramChats, type providerWorld } from './provider-world';

const ROOT = path.join(__dirname, '..', '..');

/** A worker OS process of a test's own (the fault suite's kill case, the cluster test). */
export interface WorkerProcess extends TestProcess {
  /** The identity Temporal records for this process's pollers: the SDK's default, `pid@host`. */
  identity: string;
}

/** A process of a test's own, with what it printed and a promise for the line that says it is ready. */
export interface TestProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves once the process printed `readyLine` on stdout. */
  ready: Promise<void>;
  /** The signal that ended it, else its exit code. */
  exited: Promise<NodeJS.Signals | number | null>;
  /** Everything it printed on stdout and stderr so far. */
  output: () => string;
}

/** Every process a test file started that has not ended yet. */
const running = new Set<ChildProcess>();
// Whatever a test left running (it failed or timed out before its `finally`) ends with its file:
// a process left over would keep Jest, and CI, from ever finishing.
afterAll(async () => {
  const left = [...running];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((child) => new Promise((resolve) => child.once('exit', resolve))));
});

/** How long a process may take to print its ready line before `ready` rejects with its output. */
const READY_WITHIN_MS = 90_000;

/** Starts `node …args` in `cwd` with `env` on top of this process's environment. */
export function startTestProcess(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; readyLine: string },
): TestProcess {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${args.join(' ')} did not start`);
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const keep = (chunk: Buffer) => void (output += chunk.toString('utf8'));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const late = setTimeout(
      () =>
        reject(
          new Error(
            `${args.join(' ')} did not print "${options.readyLine}" within ${READY_WITHIN_MS} ms:\n${output}`,
          ),
        ),
      READY_WITHIN_MS,
    );
    const check = () => {
      if (!output.includes(options.readyLine)) return;
      clearTimeout(late);
      resolve();
    };
    child.stdout?.on('data', check);
    void exited.then((how) => {
      clearTimeout(late);
      reject(new Error(`${args.join(' ')} exited (${String(how)}) before it was ready:\n${output}`));
    });
  });
  // A test that never awaits `ready` (it kills the process first) is not failed by its rejection.
  ready.catch(() => undefined);
  return { child, pid: child.pid, ready, exited, output: () => output };
}

/**
 * The production worker entry point, `worker/main.ts`, as `npm run worker` runs it, with `env` on
 * top of this process's environment; through tsx's loader (`node --import tsx`) rather than the
 * tsx CLI, whose child process would survive a SIGKILL sent to the CLI.
 */
export function startWorkerProcess(env: NodeJS.ProcessEnv): WorkerProcess {
  const started = startTestProcess(['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env,
    readyLine: 'worker ready:',
  });
  return { ...started, identity: `${started.pid}@${os.hostname()}` };
}

/** SIGKILLs every one of these processes still running and waits for them to end. */
export async function killWorkerProcesses(workers: WorkerProcess[]): Promise<void> {
  for (const worker of workers)
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
}

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
