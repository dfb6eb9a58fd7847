import type { ConnectionOptions } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError, DEFAULT_TEMPORAL_ADDRESS } from './environment';

/**
 * How the client (`Connection.connect`) and the worker (`NativeConnection.connect`) reach Temporal,
 * read by `@temporalio/envconfig`: the same settings the `temporal` CLI and every Temporal SDK read.
 * A profile of a TOML file (`TEMPORAL_CONFIG_FILE`, default `~/.config/temporalio/temporal.toml`;
 * `TEMPORAL_PROFILE`, default `default`) with the environment on top of it:
 *
 * | variable                                                          | meaning                                        |
 * | ----------------------------------------------------------------- | ---------------------------------------------- |
 * | `TEMPORAL_ADDRESS`                                                | frontend `host:port` (default `127.0.0.1:7233`) |
 * | `TEMPORAL_NAMESPACE`                                              | namespace (default `default`)                  |
 * | `TEMPORAL_API_KEY`                                                | API key (Temporal Cloud); implies TLS          |
 * | `TEMPORAL_TLS`                                                    | `true` / `false`                               |
 * | `TEMPORAL_TLS_CLIENT_CERT_PATH`, `TEMPORAL_TLS_CLIENT_KEY_PATH`   | client certificate and key (mTLS), PEM files   |
 * | `TEMPORAL_TLS_SERVER_CA_CERT_PATH`                                | CA of the server's certificate, PEM file       |
 * | `TEMPORAL_TLS_SERVER_NAME`                                        | name the server's certificate must carry       |
 * | `TEMPORAL_GRPC_META_*`                                            | gRPC headers sent with every call              |
 *
 * Empty values count as unset (a compose file's `TEMPORAL_API_KEY: ''`). Errors name the setting
 * and never print the API key or a key file's content.
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
  /** The address when neither the profile nor `TEMPORAL_ADDRESS` gives one. */
  defaultAddress?: string;
}

/** Names of our own that earlier versions read, and the standard names that replace them. */
export const RENAMED_TEMPORAL_VARIABLES: Readonly<Record<string, string>> = {
  TEMPORAL_TLS_CERT: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
};

/** host:port, host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

function problemOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const path = (error as NodeJS.ErrnoException).path;
  if (code && path) return `cannot read ${path} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** A certificate or key that is not PEM fails here, named, instead of deep in the TLS handshake. */
function checkPem(tls: Exclude<NonNullable<ConnectionOptions['tls']>, boolean>): void {
  const wrong: string[] = [];
  if (tls.clientCertPair && !CERTIFICATE.test(Buffer.from(tls.clientCertPair.crt).toString('utf8'))) {
    wrong.push('the client certificate is not a PEM certificate');
  }
  if (tls.clientCertPair && !PRIVATE_KEY.test(Buffer.from(tls.clientCertPair.key).toString('utf8'))) {
    wrong.push('the client key is not a PEM private key');
  }
  if (
    tls.serverRootCACertificate &&
    !CERTIFICATE.test(Buffer.from(tls.serverRootCACertificate).toString('utf8'))
  ) {
    wrong.push('the server CA is not a PEM certificate');
  }
  if (wrong.length > 0) throw new ConfigError(`invalid Temporal connection settings: ${wrong.join('; ')}`);
}

/**
 * Builds the options of both connections from the profile and the environment (see above). Throws a
 * `ConfigError` that names what is at fault: an old variable name (with the one to use instead), a
 * malformed address, an unreadable certificate file or profile, an API key with TLS turned off.
 */
export function temporalConnectionOptions(
  env: NodeJS.ProcessEnv = process.env,
  deps: TemporalConnectionOptionsDeps = {},
): TemporalConnectionSettings {
  const renamed = Object.entries(RENAMED_TEMPORAL_VARIABLES).filter(([old]) => present(env[old]));
  if (renamed.length > 0) {
    throw new ConfigError(
      `invalid Temporal connection settings: ${renamed
        .map(([old, current]) => `${old} is no longer read, set ${current} instead`)
        .join('; ')} (the names the temporal CLI and every Temporal SDK share)`,
    );
  }
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (present(value)) given[name] = value.trim();

  let loaded: ReturnType<typeof toClientOptions>;
  try {
    const profile = loadClientConfigProfile({ overrideEnvVars: given });
    if (profile.tls && Boolean(profile.tls.clientCert) !== Boolean(profile.tls.clientKey)) {
      throw new ConfigError(
        `invalid Temporal connection settings: mTLS needs both the client certificate and its key (TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, or client_cert_path and client_key_path in the profile); ${profile.tls.clientCert ? 'the key' : 'the certificate'} is missing`,
      );
    }
    loaded = toClientOptions(profile);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`invalid Temporal connection settings: ${problemOf(error)}`);
  }
  const { address: profileAddress, apiKey, tls, metadata } = loaded.connectionOptions;
  if (tls && typeof tls === 'object') checkPem(tls);
  const address = profileAddress ?? deps.defaultAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  if (!HOST_PORT.test(address) || Number(address.split(':').pop()) > 65_535) {
    throw new ConfigError(
      `invalid Temporal connection settings: TEMPORAL_ADDRESS: must be host:port, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233 (no scheme), got "${address}"`,
    );
  }
  if (typeof apiKey === 'string' && /\s/.test(apiKey)) {
    throw new ConfigError(
      'invalid Temporal connection settings: TEMPORAL_API_KEY: must be one token without spaces or newlines',
    );
  }
  if (apiKey !== undefined && tls === false) {
    throw new ConfigError(
      'invalid Temporal connection settings: TEMPORAL_API_KEY: an API key is only sent over TLS: unset TEMPORAL_TLS=false',
    );
  }
  const namespace = loaded.namespace ?? 'default';
  const described: string[] = [];
  if (!tls) described.push('plaintext');
  else if (tls === true) described.push('TLS');
  else {
    described.push(tls.clientCertPair ? 'mTLS' : 'TLS');
    if (tls.serverRootCACertificate) described.push('own CA');
    if (tls.serverNameOverride) described.push(`server name ${tls.serverNameOverride}`);
  }
  if (apiKey !== undefined) described.push('API key');
  const profile = present(env.TEMPORAL_PROFILE) ? `, profile ${env.TEMPORAL_PROFILE.trim()}` : '';

  const common = {
    address,
    ...(tls ? { tls } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(metadata !== undefined && Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
  return {
    address,
    namespace,
    client: { ...common },
    worker: { ...common },
    summary: `${address}, namespace ${namespace}${profile}, ${described.join(', ')}`,
  };
}
