import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { CONTACT_SEARCH_ATTRIBUTE } from '../domain/search-attributes';
import { freePort } from './free-port';
import { locateTemporalCli } from './temporal-cli';

export interface TemporalServer {
  /** host:port of the frontend gRPC service. */
  address: string;
  namespace: string;
  /** Where the server came from: given by the environment, started from a CLI binary, or the SDK's download. */
  source: 'external' | 'cli' | 'sdk-download';
  /** The Temporal Web UI, when started with `ui: true`. */
  uiUrl?: string;
  stop(): Promise<void>;
}

export interface TemporalServerOptions {
  /** Keep workflow state in this SQLite file, so it survives a restart of the server. */
  dbFile?: string;
  /** The frontend's port (default: a free one); with `dbFile`, a restart on it resumes the same server. */
  port?: number;
  /** Serve the Temporal Web UI too (on a free port). */
  ui?: boolean;
  /** How long to wait for the server to answer; the default allows for a busy 2-core machine. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * The one way this project gets a Temporal server, used by the demo, the tests and the benchmark:
 * `TEMPORAL_ADDRESS` when set; else a dev server started from a Temporal CLI binary (see
 * `locateTemporalCli`); else the SDK's downloaded test server (needs internet).
 */
export async function provisionTemporal(options: TemporalServerOptions = {}): Promise<TemporalServer> {
  const log = options.log ?? (() => undefined);
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const external = process.env.TEMPORAL_ADDRESS;
  if (external) {
    return { address: external, namespace, source: 'external', stop: async () => undefined };
  }
  const cli = await locateTemporalCli(log);
  if (cli) return startDevServer(cli, options);
  log('no Temporal CLI and no Go toolchain: letting the Temporal SDK download its dev server');
  return startSdkDownloadedServer();
}

/**
 * A dev server of the caller's own, from the Temporal CLI, whatever `TEMPORAL_ADDRESS` says: for
 * tests that stop and start a server (with `dbFile` and `port`, it comes back with its workflows).
 */
export async function startTemporalDevServer(options: TemporalServerOptions = {}): Promise<TemporalServer> {
  const cli = await locateTemporalCli(options.log ?? (() => undefined));
  if (!cli)
    throw new Error(
      'no Temporal CLI (TEMPORAL_CLI, temporal on PATH, or Go to build one) to start a dev server with',
    );
  return startDevServer(cli, options);
}

/**
 * The ports a dev server gets are free when chosen and taken when it binds them: anything on the
 * machine may take one in between (an outgoing connection's ephemeral port). Then it starts again on
 * new ones (the caller's own `port` stays what it is).
 */
async function startDevServer(cli: string, options: TemporalServerOptions): Promise<TemporalServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(cli, options);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('address already in use')) throw error;
      options.log?.(
        `a port was taken before the dev server bound it; starting again (attempt ${attempt + 1})`,
      );
    }
  }
}

async function startDevServerOnce(cli: string, options: TemporalServerOptions): Promise<TemporalServer> {
  const [port, httpPort, metricsPort] = [
    options.port ?? (await freePort()),
    await freePort(),
    await freePort(),
  ];
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--http-port', String(httpPort), '--metrics-port', String(metricsPort), '--log-level', 'warn');
  let uiUrl: string | undefined;
  if (options.ui) {
    const uiPort = await freePort();
    args.push('--ui-port', String(uiPort));
    uiUrl = `http://127.0.0.1:${uiPort}`;
  } else {
    args.push('--headless');
  }
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  // The erasure finds a customer's executions through it (domain/search-attributes.ts).
  args.push('--search-attribute', `${CONTACT_SEARCH_ATTRIBUTE}=KeywordList`);

  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = keepTail(child);
  // If our process dies first, take the server with it rather than leave it running.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(address, child, stderr, options.startTimeoutMs ?? 90_000);
  } catch (error) {
    process.off('exit', killOnExit);
    await stopChild(child);
    throw error;
  }
  return {
    address,
    namespace: 'default',
    source: 'cli',
    ...(uiUrl ? { uiUrl } : {}),
    stop: async () => {
      process.off('exit', killOnExit);
      await stopChild(child);
    },
  };
}

/** Polls the frontend until the default namespace answers, failing fast if the process exits. */
async function waitUntilServing(
  address: string,
  child: ChildProcess,
  stderr: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Temporal dev server exited (${child.exitCode ?? child.signalCode}): ${stderr()}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(
    `Temporal dev server did not answer on ${address} within ${timeoutMs} ms: ${String(lastError)}`,
  );
}

function keepTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4_000);
  });
  return () => tail;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function startSdkDownloadedServer(): Promise<TemporalServer> {
  // Loaded lazily: only a machine without a CLI and without Go needs the testing package's download.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { extraArgs: ['--search-attribute', `${CONTACT_SEARCH_ATTRIBUTE}=KeywordList`] },
  });
  return {
    address: env.address,
    namespace: env.namespace ?? 'default',
    source: 'sdk-download',
    stop: () => env.teardown(),
  };
}
