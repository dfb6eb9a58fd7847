/**
 * `pages`: many operators' pages connected to one workspace server, and a customer's message reaching
 * every one of them. The server runs in a process of its own (bench/pages-server.ts) so its memory is
 * measured alone; each page is what the browser's EventSource holds, one `GET /api/events` stream with
 * a sign-in of its own. A message is recorded as a webhook records it (`recordInboundMessage`), and the
 * time from its commit to its arrival at the first and at the last page is noted. Run with the feed
 * listening (LISTEN/NOTIFY) and polling (the 1 s look it replaced), each on the same pages.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import type { Knex } from 'knex';
import { applyConfig } from '../db/apply-config';
import { recordInboundMessage } from '../inbound/record-inbound-message';
import { createOperatorSession, SESSION_COOKIE } from '../server/operators/auth';

const LIVE_CHAT = 'bench-pages';
const CHANNEL = 'bench-pages-whatsapp';
const OPERATORS = 10;

export interface PagesResult {
  scenario: 'pages';
  mode: 'listen' | 'poll';
  pages: number;
  messages: number;
  /** From the first page asking to the last one hearing `ready`. */
  connectMs: number;
  /** The server process: resident and heap, idle and with every page connected (after a GC). */
  serverMemoryMiB: { idleRss: number; connectedRss: number; idleHeap: number; connectedHeap: number };
  /** What each connected page costs the server, from the heap after a GC. */
  heapPerPageKiB: number;
  /** From the message's commit to the first page, and to the last page, over the messages. */
  toFirstPageMs: { p50: number; p95: number; max: number };
  toEveryPageMs: { p50: number; p95: number; max: number };
  /** Messages some page never got within 10 s (should be none). */
  missed: number;
}

const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentiles(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}

/** The live chat, its operators and one WhatsApp channel, once per database. */
export async function seedPagesWorld(db: Knex): Promise<void> {
  const operators = Array.from({ length: OPERATORS }, (_, i) => `bench-page-op-${i}`);
  await applyConfig(db, {
    operators: operators.map((id) => ({ id, name: `Operator ${id.slice(-1)}`, status: 'online' as const })),
    liveChats: [
      {
        id: LIVE_CHAT,
        name: 'Benchmark pages',
        operators,
        channels: [
          { id: CHANNEL, kind: 'whatsapp', name: 'Pages WhatsApp', settings: { from: '+14155550199' } },
        ],
      },
    ],
  });
}

/** One page's live feed: resolves `ready` once the server listens for it, notes each message's arrival. */
function openPage(port: number, cookie: string, agent: http.Agent, arrived: (messageId: string) => void) {
  let request: http.ClientRequest | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    request = http.get(
      {
        host: '127.0.0.1',
        port,
        path: '/api/events',
        agent,
        headers: { cookie, accept: 'text/event-stream' },
      },
      (response) => {
        if (response.statusCode !== 200) return reject(new Error(`events answered ${response.statusCode}`));
        response.setEncoding('utf8');
        let buffer = '';
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event === 'ready') resolve();
            if (event === 'message' && data)
              arrived((JSON.parse(data) as { message: { id: string } }).message.id);
          }
        });
      },
    );
    request.on('error', reject);
  });
  return { ready, close: () => request?.destroy() };
}

export async function runPages(options: {
  db: Knex;
  databaseUrl: string;
  pages: number;
  messages: number;
  mode: 'listen' | 'poll';
}): Promise<PagesResult> {
  const { db, pages, messages, mode } = options;
  const server = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'pages-server.ts'), options.databaseUrl, mode],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = readline.createInterface({ input: server.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const memory = async () => {
    const answer = next();
    server.stdin.write('mem\n');
    return JSON.parse((await answer).replace(/^mem /, '')) as NodeJS.MemoryUsage;
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const opened: { close: () => void }[] = [];
  try {
    const port = Number((await next()).replace(/^listening /, ''));
    const cookies: string[] = [];
    for (let i = 0; i < pages; i++) {
      const { token } = await createOperatorSession(
        db,
        `bench-page-op-${i % OPERATORS}`,
        new Date(),
        3_600_000,
      );
      cookies.push(`${SESSION_COOKIE}=${token}`);
    }
    await sleep(500);
    const idle = await memory();

    const arrivals = new Map<string, number[]>();
    const arrived = (id: string) => arrivals.get(id)?.push(Date.now());
    const started = Date.now();
    // In batches, as pages of a shift come and go, not as one burst of 500 sign-in checks.
    for (let i = 0; i < pages; i += 50) {
      const batch = cookies.slice(i, i + 50).map((cookie) => openPage(port, cookie, agent, arrived));
      opened.push(...batch);
      await Promise.all(batch.map((p) => p.ready));
    }
    const connectMs = Date.now() - started;
    await sleep(1_000);
    const connected = await memory();

    const toFirst: number[] = [];
    const toEvery: number[] = [];
    let missed = 0;
    for (let m = 0; m < messages; m++) {
      const times: number[] = [];
      const receivedAt = new Date();
      const committed = recordInboundMessage(db, {
        channelId: CHANNEL,
        from: `+4915100${String(m % 100).padStart(6, '0')}`,
        text: `Message ${m} to every page`,
        providerMessageId: `bench-pages-${mode}-${Date.now()}-${m}`,
        receivedAt,
      });
      // The clock starts at the commit: what the feed can see, not the webhook's own work.
      const { messageId } = await committed;
      const at = Date.now();
      arrivals.set(messageId, times);
      const deadline = at + 10_000;
      while (times.length < pages && Date.now() < deadline) await sleep(2);
      if (times.length < pages) missed += 1;
      if (times.length > 0) {
        toFirst.push(Math.max(0, Math.min(...times) - at));
        toEvery.push(Math.max(0, Math.max(...times) - at));
      }
      await sleep(100);
    }
    return {
      scenario: 'pages',
      mode,
      pages,
      messages,
      connectMs,
      serverMemoryMiB: {
        idleRss: MiB(idle.rss),
        connectedRss: MiB(connected.rss),
        idleHeap: MiB(idle.heapUsed),
        connectedHeap: MiB(connected.heapUsed),
      },
      heapPerPageKiB: Math.round((connected.heapUsed - idle.heapUsed) / 1024 / pages),
      toFirstPageMs: percentiles(toFirst),
      toEveryPageMs: percentiles(toEvery),
      missed,
    };
  } finally {
    for (const page of opened) page.close();
    agent.destroy();
    server.stdin.end();
    await new Promise((resolve) => {
      server.once('exit', resolve);
      setTimeout(() => server.kill('SIGKILL'), 10_000).unref();
    });
  }
}
