import { Client } from 'pg';
import { provisionPostgres } from './postgres';

export interface ScratchDatabase {
  url: string;
  /** Connections a test may open: 1 on the embedded fallback, which serves one session. */
  poolMax: number;
  source: 'server' | 'embedded';
  drop(): Promise<void>;
}

/** The PostgreSQL server tests make their own database on: DATABASE_URL's server, else the local one. */
function adminUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, uniquely named database (for a test run, a benchmark run) on a real PostgreSQL server,
 * dropped by `drop()`. `prefix` must be a plain identifier. On a laptop with no server on
 * 127.0.0.1:5432 and no DATABASE_URL, it falls back to embedded PostgreSQL (PGlite) and says so.
 */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now()}_${process.pid}`;
  try {
    await onAdmin((client) => client.query(`create database ${name}`));
  } catch (error) {
    const refused = (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
    if (!refused || process.env.DATABASE_URL) throw error;
    console.warn('No PostgreSQL server on 127.0.0.1:5432: running on embedded PostgreSQL (PGlite).');
    const embedded = await provisionPostgres();
    return { url: embedded.url, poolMax: embedded.poolMax, source: 'embedded', drop: () => embedded.stop() };
  }
  return {
    url: withDatabase(adminUrl(), name),
    poolMax: 10,
    source: 'server',
    drop: () =>
      onAdmin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
