import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
let installed = false;

/**
 * Sets the Temporal worker runtime's log level once per process (LOG_LEVEL, default `fallback`):
 * the worker logs every state change at INFO, which drowns the demo's and tests' own output.
 */
export function installRuntimeLogger(fallback: LogLevel): void {
  if (installed) return;
  const wanted = process.env.LOG_LEVEL?.toUpperCase();
  const level = LEVELS.find((l) => l === wanted) ?? fallback;
  Runtime.install({ logger: new DefaultLogger(level) });
  installed = true;
}
