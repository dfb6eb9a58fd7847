import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { errorField, scrub, type Logger } from './logger';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
let installed = false;

/**
 * Our dispatch workers poll activity queues only, by design; the SDK warns about that at start.
 * Those warnings say nothing a user can act on, so they are dropped.
 */
const EXPECTED = ['No workflows registered, not polling for workflow tasks'];

export interface RuntimeTelemetry {
  /**
   * The process's structured logger: the SDK's lines (worker state, activity and workflow logs) go
   * to it as JSON, their metadata scrubbed of contact values. Without it they go to stderr as text.
   */
  logger?: Logger;
  /**
   * Also forward Core's native lines (gRPC retries while a server is away, …) to `logger`. Only for
   * a process that opens a worker or a connection and closes it: a forwarding runtime holds the
   * process open until its last worker or connection closes.
   */
  forwardCoreLogs?: boolean;
  /** `host:port` where the Temporal runtime serves its own Prometheus metrics (`/metrics`). */
  prometheusBindAddress?: string;
}

/**
 * Installs the Temporal worker runtime once per process, at the log level `LOG_LEVEL` names (default
 * `fallback`), for the SDK's logger and for Core's native logs alike (the worker logs every state
 * change at INFO, which drowns the demo's and tests' own output), with the runtime's metrics served
 * on `prometheusBindAddress` when given.
 */
export function installRuntimeLogger(fallback: LogLevel, telemetry: RuntimeTelemetry = {}): void {
  if (installed) return;
  const wanted = process.env.LOG_LEVEL?.toUpperCase();
  const level = LEVELS.find((l) => l === wanted) ?? (wanted === 'WARNING' ? 'WARN' : fallback);
  const sink = telemetry.logger ? temporalToPino(telemetry.logger) : new DefaultLogger(level);
  const logger = new DefaultLogger(level, (entry: LogEntry) => {
    if (!EXPECTED.includes(entry.message)) sink.log(entry.level, entry.message, entry.meta);
  });
  const forward = telemetry.logger !== undefined && telemetry.forwardCoreLogs === true;
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { filter: { core: level, other: level }, ...(forward ? { forward: {} } : {}) },
      ...(telemetry.prometheusBindAddress
        ? {
            metrics: {
              prometheus: {
                bindAddress: telemetry.prometheusBindAddress,
                countersTotalSuffix: true,
                unitSuffix: true,
                useSecondsForDurations: true,
              },
            },
          }
        : {}),
    },
  });
  installed = true;
}

/** Fields of the SDK's log metadata that are ids or counts, kept as they are. */
const ID_FIELDS = new Set([
  'sdkComponent',
  'namespace',
  'taskQueue',
  'workflowId',
  'runId',
  'workflowRunId',
  'workflowType',
  'activityId',
  'activityType',
  'attempt',
  'isLocal',
  'workerId',
  'identity',
  'buildId',
  'messageId',
  'sessionId',
  'bulkId',
  'channel',
  'code',
  'state',
]);

/**
 * The SDK's logger interface over a pino logger. Errors in the metadata (an activity's failure
 * carries the provider's refusal, which can quote the phone number or the address) keep their name
 * and a scrubbed message; other free-text fields are scrubbed too.
 */
export function temporalToPino(logger: Logger): TemporalLogger {
  const toPino = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta ?? {})) {
      if (value === undefined) continue;
      if (ID_FIELDS.has(key)) fields[key] = value;
      else if (value instanceof Error || key === 'error' || key === 'err' || key === 'failure')
        fields[key] = errorField(value);
      else if (typeof value === 'string') fields[key] = scrub(value);
      else if (typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
      else fields[key] = scrub(JSON.stringify(value) ?? '');
    }
    logger[toPino[level]](fields, scrub(message));
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
