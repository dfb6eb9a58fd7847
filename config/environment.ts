import { z } from 'zod';

/**
 * Every environment variable the worker and tools read, validated once at start-up.
 * The README's configuration table lists the same names.
 */
const ConfigSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  LIVECHAT_TASK_QUEUE: z.string().min(1).default('livechat'),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  LIVECHAT_DATA_DIR: z.string().min(1).optional(),
  /** Base URL of Temporal UI: the workspace links each process message to its run there. */
  TEMPORAL_UI_URL: z.url().optional(),
  /** Port of the demo's workspace (`npm run demo`); taken: a free one. */
  LIVECHAT_WORKSPACE_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Hosts the worker may fetch attachments given by URL from, comma-separated (`*.example.com`). */
  ATTACHMENT_URL_HOSTS: z.string().optional(),
  /** Port of the worker's `/healthz`, `/readyz` and `/metrics` (unset: no listener; 0: a free one). */
  LIVECHAT_WORKER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Address the worker's listener binds (loopback unless production opens it). */
  LIVECHAT_WORKER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * `host:port` where the worker's Temporal runtime serves its own Prometheus metrics; default a free
   * loopback port when the worker's listener is on (its `/metrics` includes them either way).
   */
  TEMPORAL_METRICS_BIND_ADDRESS: z.string().min(1).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Where the worker and the `livechat` CLI find Temporal when `TEMPORAL_ADDRESS` is unset. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
/** Where the worker and the `livechat` CLI find PostgreSQL when `DATABASE_URL` is unset. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/livechat';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
