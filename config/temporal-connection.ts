import fs from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { z } from 'zod';
import { ConfigError, DEFAULT_TEMPORAL_ADDRESS } from './environment';

/**
 * How the client (`Connection.connect`) and the worker (`NativeConnection.connect`) reach Temporal
 * in a real deployment, from the environment:
 *
 * | variable                   | meaning                                                                     |
 * | -------------------------- | --------------------------------------------------------------------------- |
 * | `TEMPORAL_ADDRESS`         | frontend `host:port` (default `127.0.0.1:7233`)                             |
 * | `TEMPORAL_NAMESPACE`       | namespace (default `default`)                                               |
 * | `TEMPORAL_TLS`             | `true` / `false`; default: on when any setting below is given, else off     |
 * | `TEMPORAL_TLS_CERT`        | client certificate (PEM file) for mTLS; needs `TEMPORAL_TLS_KEY`            |
 * | `TEMPORAL_TLS_KEY`         | its private key (PEM file); needs `TEMPORAL_TLS_CERT`                       |
 * | `TEMPORAL_TLS_CA`          | CA that signed the server's certificate (PEM file); default: the system's   |
 * | `TEMPORAL_TLS_SERVER_NAME` | name to verify the server's certificate against (SNI), if not the address's |
 * | `TEMPORAL_API_KEY`         | API key (Temporal Cloud), sent as `Authorization: Bearer`; implies TLS      |
 *
 * Empty values count as unset (a compose file's `TEMPORAL_TLS_CA: ''`). Files are read once, here;
 * errors name the variable and never print the API key or a key file's content.
 */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  /** For `Connection.connect` from `@temporalio/client` (the CLI, the server, tests). */
  client: ConnectionOptions;
  /** For `NativeConnection.connect` from `@temporalio/worker` (the worker process). */
  worker: NativeConnectionOptions;
  /** A one-line description without secrets, for a start-up log line. */
  summary: string;
}

export interface TemporalConnectionOptionsDeps {
  /** Reads a certificate or key file (tests pass a fake). */
  readFile?: (path: string) => Buffer;
  /** The address when `TEMPORAL_ADDRESS` is unset. */
  defaultAddress?: string;
}

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), schema);

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  on: true,
  false: false,
  '0': false,
  no: false,
  off: false,
};

const booleanFlag = z
  .string()
  .transform((value, ctx) => {
    const parsed = BOOLEAN_WORDS[value.trim().toLowerCase()];
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be true or false, got "${value}"` });
      return z.NEVER;
    }
    return parsed;
  })
  .optional();

/** host:port, host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

const EnvSchema = z
  .object({
    TEMPORAL_ADDRESS: optional(
      z
        .string()
        .trim()
        .refine((value) => HOST_PORT.test(value) && Number(value.split(':').pop()) <= 65_535, {
          message: 'must be host:port, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233 (no scheme)',
        })
        .optional(),
    ),
    TEMPORAL_NAMESPACE: optional(z.string().trim().min(1).default('default')),
    TEMPORAL_TLS: optional(booleanFlag),
    TEMPORAL_TLS_CERT: optional(z.string().min(1).optional()),
    TEMPORAL_TLS_KEY: optional(z.string().min(1).optional()),
    TEMPORAL_TLS_CA: optional(z.string().min(1).optional()),
    TEMPORAL_TLS_SERVER_NAME: optional(z.string().trim().min(1).optional()),
    TEMPORAL_API_KEY: optional(
      z
        .string()
        .trim()
        .min(1)
        .refine((value) => !/\s/.test(value), { message: 'must be one token without spaces or newlines' })
        .optional(),
    ),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.TEMPORAL_TLS_CERT) !== Boolean(env.TEMPORAL_TLS_KEY)) {
      const missing = env.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY',
      });
    }
    if (env.TEMPORAL_TLS === false) {
      const tlsOnly = (
        ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_NAME'] as const
      ).filter((name) => env[name] !== undefined);
      for (const name of tlsOnly) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is set but TEMPORAL_TLS=false' });
      }
      if (env.TEMPORAL_API_KEY !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['TEMPORAL_API_KEY'],
          message: 'an API key is only sent over TLS: unset TEMPORAL_TLS=false',
        });
      }
    }
  });

/** A PEM file's bytes, or a ConfigError that names the variable and the problem. */
function readPem(
  name: string,
  path: string,
  readFile: (path: string) => Buffer,
  kind: 'certificate' | 'key',
): Buffer {
  let content: Buffer;
  try {
    content = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${name}: cannot read ${path}${code ? ` (${code})` : ''}`);
  }
  const text = content.toString('utf8');
  const marker = kind === 'key' ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/ : /-----BEGIN CERTIFICATE-----/;
  if (!marker.test(text)) {
    throw new ConfigError(
      `${name}: ${path} is not a PEM ${kind === 'key' ? 'private key' : 'certificate'} (no "-----BEGIN ${
        kind === 'key' ? '... PRIVATE KEY' : 'CERTIFICATE'
      }-----" line)`,
    );
  }
  return content;
}

/**
 * Builds the options for both connections from the environment (see the table above). Throws a
 * `ConfigError` that names each variable at fault (all of them when their values are malformed).
 */
export function temporalConnectionOptions(
  env: NodeJS.ProcessEnv = process.env,
  deps: TemporalConnectionOptionsDeps = {},
): TemporalConnectionSettings {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid Temporal connection settings: ${problems.join('; ')}`);
  }
  const settings = parsed.data;
  const readFile = deps.readFile ?? ((path: string) => fs.readFileSync(path));
  const address = settings.TEMPORAL_ADDRESS ?? deps.defaultAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = settings.TEMPORAL_NAMESPACE ?? 'default';
  const apiKey = settings.TEMPORAL_API_KEY;

  const tlsImplied =
    apiKey !== undefined ||
    settings.TEMPORAL_TLS_CERT !== undefined ||
    settings.TEMPORAL_TLS_CA !== undefined ||
    settings.TEMPORAL_TLS_SERVER_NAME !== undefined;
  const tlsEnabled = settings.TEMPORAL_TLS ?? tlsImplied;

  let tls: NonNullable<ConnectionOptions['tls']> | undefined;
  const described: string[] = [];
  if (tlsEnabled) {
    const config: Exclude<NonNullable<ConnectionOptions['tls']>, boolean> = {};
    if (settings.TEMPORAL_TLS_CERT && settings.TEMPORAL_TLS_KEY) {
      config.clientCertPair = {
        crt: readPem('TEMPORAL_TLS_CERT', settings.TEMPORAL_TLS_CERT, readFile, 'certificate'),
        key: readPem('TEMPORAL_TLS_KEY', settings.TEMPORAL_TLS_KEY, readFile, 'key'),
      };
    }
    if (settings.TEMPORAL_TLS_CA) {
      config.serverRootCACertificate = readPem(
        'TEMPORAL_TLS_CA',
        settings.TEMPORAL_TLS_CA,
        readFile,
        'certificate',
      );
    }
    if (settings.TEMPORAL_TLS_SERVER_NAME) config.serverNameOverride = settings.TEMPORAL_TLS_SERVER_NAME;
    tls = config;
    described.push(config.clientCertPair ? 'mTLS' : 'TLS');
    if (config.serverRootCACertificate) described.push('own CA');
    if (config.serverNameOverride) described.push(`server name ${config.serverNameOverride}`);
  } else {
    described.push('plaintext');
  }
  if (apiKey !== undefined) described.push('API key');

  const common = {
    address,
    ...(tls !== undefined ? { tls } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
  };
  return {
    address,
    namespace,
    client: { ...common },
    worker: { ...common },
    summary: `${address}, namespace ${namespace}, ${described.join(', ')}`,
  };
}
