/**
 * The workspace server of the `pages` benchmark, in a process of its own so its memory is its own:
 * `tsx bench/pages-server.ts <database-url> <listen|poll>`. Prints `listening <port>`; answers every
 * `mem` line on stdin with its `process.memoryUsage()` as one JSON line (after a garbage collection
 * when run with --expose-gc).
 */
import readline from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../db/knex';
import { createWorkspaceServer } from '../server/workspace-server';

async function main(): Promise<void> {
  const [url, mode] = process.argv.slice(2);
  if (!url || (mode !== 'listen' && mode !== 'poll'))
    throw new Error('usage: pages-server <database-url> <listen|poll>');
  const db = createDb(url, { poolMax: 10 });
  // The events route never starts a workflow: a lazy connection that is never used.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = await createWorkspaceServer({
    db,
    client,
    taskQueue: 'bench-pages',
    feed: { listen: mode === 'listen' },
    log: (line) => console.error(line),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'mem') return;
    (globalThis as { gc?: () => void }).gc?.();
    console.log(`mem ${JSON.stringify(process.memoryUsage())}`);
  });
  process.stdin.on('end', () => {
    void app
      .close()
      .then(() => db.destroy())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
