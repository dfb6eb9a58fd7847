import { DefaultLogger, Runtime, type LogLevel, type LogEntry } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
let installed = false;

/**
 * Our dispatch workers poll activity queues only, by design; the SDK warns about that at start.
 * Those warnings say nothing a user can act on, so they are dropped.
 */
const EXPECTED = ['No workflows registered, not polling for workflow tasks'];

/**
 * Sets the Temporal worker runtime's log level once per process (LOG_LEVEL, default `fallback`),
 * for the SDK's logger and for Core's native logs alike: the worker logs every state change at
 * INFO, which drowns the demo's and tests' own output.
 */
export function installRuntimeLogger(fallback: LogLevel): void {
  if (installed) return;
  const wanted = process.env.LOG_LEVEL?.toUpperCase();
  const level = LEVELS.find((l) => l === wanted) ?? fallback;
  const print = new DefaultLogger(level);
  const logger = new DefaultLogger(level, (entry: LogEntry) => {
    if (!EXPECTED.includes(entry.message)) print.log(entry.level, entry.message, entry.meta);
  });
  // Core's own lines (gRPC retries while a server is away, …) get the same level. They are not
  // forwarded to our logger: a forwarding runtime holds the process open until its last worker or
  // connection closes, and a process that installs it and never opens one would never exit.
  Runtime.install({ logger, telemetryOptions: { logging: { filter: { core: level, other: level } } } });
  installed = true;
}
