import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');

/** A Node process of our own (a worker, a server), with what it printed and a promise for its ready line. */
export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves once the process printed `readyLine` on stdout; rejects with its output if it ends first or is late. */
  ready: Promise<void>;
  /** The signal that ended it, else its exit code. */
  exited: Promise<NodeJS.Signals | number | null>;
  /** Everything it printed on stdout and stderr so far. */
  output: () => string;
}

/** Starts `node …args` in `cwd` with `env` on top of this process's environment. */
export function startNodeProcess(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; readyLine: string; readyWithinMs?: number },
): NodeProcess {
  const readyWithinMs = options.readyWithinMs ?? 90_000;
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${args.join(' ')} did not start`);
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
            `${args.join(' ')} did not print "${options.readyLine}" within ${readyWithinMs} ms:\n${output}`,
          ),
        ),
      readyWithinMs,
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
  // A caller that never awaits `ready` (it kills the process first) gets no unhandled rejection.
  ready.catch(() => undefined);
  return { child, pid: child.pid, ready, exited, output: () => output };
}

/** A worker process: the production entry point `worker/main.ts`, as `npm run worker` runs it. */
export interface WorkerNodeProcess extends NodeProcess {
  /** The identity Temporal records for this process's pollers: the SDK's default, `pid@host`. */
  identity: string;
}

/**
 * `worker/main.ts` with `env` on top of this process's environment; through tsx's loader
 * (`node --import tsx`) rather than the tsx CLI, whose child process would survive a SIGKILL sent to
 * the CLI. Ready once it says it polls.
 */
export function startWorkerNodeProcess(env: NodeJS.ProcessEnv): WorkerNodeProcess {
  const started = startNodeProcess(['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env,
    readyLine: 'worker ready:',
  });
  return { ...started, identity: `${started.pid}@${os.hostname()}` };
}

/** SIGKILLs every one of these processes still running and waits for them to end. */
export async function killNodeProcesses(processes: NodeProcess[]): Promise<void> {
  for (const p of processes)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
}
