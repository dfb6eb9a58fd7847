import { Client, Connection, type ClientInterceptors, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createDb, type Db } from '../db/knex';
import { DEFAULT_DATABASE_URL } from '../config/environment';

/** Where to connect; see `loadConfig()` and `temporalConnectionOptions()` in config/. */
export interface ConnectionSettings {
  /** PostgreSQL URL; default `DEFAULT_DATABASE_URL`. */
  databaseUrl?: string | undefined;
  /**
   * Temporal's address, namespace and client options (TLS, API key), asked for on first use only,
   * so a command that needs no Temporal never reads (or fails on) its settings.
   */
  temporal: () => {
    address: string;
    namespace: string;
    client: ConnectionOptions;
    /** Payload encryption, the same the workers use (`liveChatDataConverter()`). */
    dataConverter?: DataConverter | undefined;
    /** The client's interceptors (`telemetryClientInterceptors()` when traces are on). */
    interceptors?: ClientInterceptors | undefined;
  };
}

/** A server the tool needs does not answer. Its message names the server, never credentials. */
export class ServerUnreachable extends Error {
  constructor(
    override readonly name: 'TemporalUnreachable' | 'DatabaseUnreachable',
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** `host:port/database` of a PostgreSQL URL: what may be shown of it (no user, no password). */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the DATABASE_URL (which is not a valid URL)';
  }
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** knex's own warnings would land on stdout, in the middle of `--json` output: failures are reported anyway. */
const quiet = {
  warn: () => undefined,
  error: () => undefined,
  deprecate: () => undefined,
  debug: () => undefined,
};

/**
 * A tool's connections to Temporal and PostgreSQL, each opened on first use (so `livechat history`
 * never dials Temporal) and all closed by `close()`. A server that does not answer is a
 * `ServerUnreachable` naming it; nothing here prints credentials.
 */
export class Connections {
  private database: Promise<Db> | undefined;
  private temporalConnection: Promise<Connection> | undefined;
  private opened: { db?: Db; connection?: Connection } = {};

  constructor(private readonly settings: ConnectionSettings) {}

  /** The database, checked once with a round trip so an unreachable server is reported as such. */
  db(): Promise<Db> {
    this.database ??= (async () => {
      const url = this.settings.databaseUrl ?? DEFAULT_DATABASE_URL;
      // A command does a few queries one after another: two connections are plenty.
      const db = createDb(url, { poolMax: 2, log: quiet });
      this.opened.db = db;
      try {
        await db.raw('select 1');
      } catch (error) {
        const message = `cannot use PostgreSQL at ${describeDatabaseUrl(url)}: ${reason(error)}`;
        throw new ServerUnreachable('DatabaseUnreachable', message, { cause: error });
      }
      return db;
    })();
    return this.database;
  }

  async temporal(): Promise<Client> {
    const { address, namespace, client, dataConverter, interceptors } = this.settings.temporal();
    this.temporalConnection ??= (async () => {
      try {
        const connection = await Connection.connect(client);
        this.opened.connection = connection;
        return connection;
      } catch (error) {
        const message = `cannot reach Temporal at ${address}: ${reason(error)}`;
        throw new ServerUnreachable('TemporalUnreachable', message, { cause: error });
      }
    })();
    return new Client({
      connection: await this.temporalConnection,
      namespace,
      ...(dataConverter ? { dataConverter } : {}),
      ...(interceptors ? { interceptors } : {}),
    });
  }

  async close(): Promise<void> {
    const { db, connection } = this.opened;
    this.opened = {};
    this.database = undefined;
    this.temporalConnection = undefined;
    await Promise.allSettled([connection?.close(), db?.destroy()]);
  }
}
