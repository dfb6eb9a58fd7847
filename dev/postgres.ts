import { freePort } from './free-port';

export interface Postgres {
  url: string;
  /** `external`: DATABASE_URL; `embedded`: PGlite in this process, served over the PostgreSQL wire protocol. */
  source: 'external' | 'embedded';
  /** Connections the pool should use: PGlite runs one session, so 1 there. */
  poolMax: number;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Embedded only: keep the data in this folder (default: in memory, gone at exit). */
  dataDir?: string;
}

/**
 * `DATABASE_URL` when set; otherwise PostgreSQL embedded in this process (PGlite), served on a
 * loopback port by pglite-socket so the same knex + pg code runs against it as in production.
 */
export async function provisionPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const poolMax = Number(process.env.DATABASE_POOL_MAX ?? 10);
    return { url: external, source: 'external', poolMax, stop: async () => undefined };
  }
  // Loaded lazily: only the embedded default needs the WebAssembly build of PostgreSQL.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = options.dataDir ? await PGlite.create(options.dataDir) : await PGlite.create();
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 4 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    source: 'embedded',
    poolMax: 1,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
