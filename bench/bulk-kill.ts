import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { startBulkNotify } from '../client/bulk-notify';
import { killNodeProcesses, startWorkerNodeProcess, type WorkerNodeProcess } from '../dev/node-process';
import type { Sandbox } from '../dev/sandbox/start-sandbox';
import { CHANNELS, LIVE_CHAT } from './world';

export interface BulkKillResult {
  scenario: 'bulk-kill';
  channel: 'whatsapp' | 'email';
  recipients: number;
  /** Worker processes SIGKILLed while the bulk ran (each replaced by a new one). */
  kills: number;
  seconds: number;
  /** Messages of the bulk in the chat history, and those there more than once. */
  inHistory: number;
  twiceInHistory: number;
  /** Recipients the stand-in took a message for, those it took more than one for, and those it never saw. */
  delivered: number;
  twiceAtProvider: number;
  /** Email: of those, the recipients whose copies all carry one Message-ID (a mail client shows one). */
  twiceUnderOneMessageId?: number;
  lost: number;
  /** From each kill to the stand-in's next acceptance: the lease of the killed pages running out. */
  recoverySeconds: number[];
}

/**
 * The benchmark's `bulk-kill`: one Bulk Notify over WhatsApp and one over email, run by worker
 * processes (`worker/main.ts`, as in production) against the stand-ins; the worker is SIGKILLed once
 * a third and again once two thirds of the recipients were accepted, a new one started each time.
 * Counted from the stand-ins and the history: none lost, none twice.
 */
export async function runBulkKill(options: {
  client: Client;
  db: Knex;
  sandbox: Sandbox;
  temporalAddress: string;
  databaseUrl: string;
  taskQueue: string;
  recipients: number;
}): Promise<BulkKillResult[]> {
  const { client, db, sandbox, recipients } = options;
  const taskQueue = `${options.taskQueue}-kill`;
  const env: NodeJS.ProcessEnv = {
    ...sandbox.providers,
    TEMPORAL_ADDRESS: options.temporalAddress,
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_MAX: '10',
    LIVECHAT_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'INFO',
  };
  // The stand-ins answer as a provider does, after a while, so that a kill finds pages in flight.
  const latencies = [sandbox.twilio.faults.latencyMs, sandbox.smtp.faults.latencyMs];
  sandbox.twilio.faults.latencyMs = 20;
  sandbox.smtp.faults.latencyMs = 20;
  const run = `bulk-kill-${Date.now()}`;
  const text = `Bench ${run}: our shop opens at 9:00 from Monday on.`;
  const phones = Array.from({ length: recipients }, (_, i) => `+49160${String(10_000_000 + i).slice(-8)}`);
  const addresses = Array.from({ length: recipients }, (_, i) => `kill-${i}@${run}.bench.example`);
  const atProvider = {
    whatsapp: () =>
      sandbox.twilio.received
        .filter((m) => m.body === text || m.contentVariables?.includes(text))
        .map((m) => m.to.replace(/^whatsapp:/, '')),
    email: () => sandbox.smtp.received.filter((m) => m.subject === run).flatMap((m) => m.to),
  };
  const accepted = () => atProvider.whatsapp().length + atProvider.email().length;
  const workers: WorkerNodeProcess[] = [];
  const startWorker = async () => {
    const worker = startWorkerNodeProcess(env);
    workers.push(worker);
    await worker.ready;
  };
  try {
    await startWorker();
    const t0 = Date.now();
    const handles = await Promise.all(
      (['whatsapp', 'email'] as const).map((kind) =>
        startBulkNotify(
          client,
          {
            liveChatId: LIVE_CHAT,
            channelId: CHANNELS[kind],
            audience: {
              recipients: (kind === 'whatsapp' ? phones : addresses).map((account) => ({ account })),
            },
            text,
            ...(kind === 'email' ? { subject: run } : {}),
            concurrency: 20,
            pageSize: 100,
            urgent: true,
          },
          { taskQueue, workflowId: `${run}-${kind}` },
        ),
      ),
    );
    const recoverySeconds: number[] = [];
    for (const share of [1 / 3, 2 / 3]) {
      await until(() => accepted() >= 2 * recipients * share, 600_000);
      const killed = workers[workers.length - 1]!;
      killed.child.kill('SIGKILL');
      await killed.exited;
      const killedAt = Date.now();
      const before = accepted();
      await startWorker();
      await until(() => accepted() > before, 600_000);
      recoverySeconds.push(Math.round((Date.now() - killedAt) / 100) / 10);
    }
    const results = await Promise.all(handles.map((handle) => handle.result()));
    const seconds = (Date.now() - t0) / 1_000;
    await sandbox.twilio.settled();
    return await Promise.all(
      (['whatsapp', 'email'] as const).map(async (kind, k) => {
        const result = results[k]!;
        if (result.state !== 'completed') throw new Error(`bulk-kill ${kind}: ${JSON.stringify(result)}`);
        const wanted = kind === 'whatsapp' ? phones : addresses;
        const times = new Map<string, number>();
        for (const to of atProvider[kind]()) times.set(to, (times.get(to) ?? 0) + 1);
        const idsPerRecipient = new Map<string, Set<string | undefined>>();
        if (kind === 'email')
          for (const mail of sandbox.smtp.received.filter((m) => m.subject === run))
            for (const to of mail.to)
              idsPerRecipient.set(to, (idsPerRecipient.get(to) ?? new Set()).add(mail.messageId));
        const twice = [...times].filter(([, n]) => n > 1).map(([to]) => to);
        const messages: { idempotency_key: string }[] = await db('messages')
          .where({ process_workflow_id: handles[k]!.workflowId })
          .select('idempotency_key');
        return {
          scenario: 'bulk-kill' as const,
          channel: kind,
          recipients,
          kills: recoverySeconds.length,
          seconds: Math.round(seconds * 10) / 10,
          inHistory: messages.length,
          twiceInHistory: messages.length - new Set(messages.map((m) => m.idempotency_key)).size,
          delivered: wanted.filter((to) => times.has(to)).length,
          twiceAtProvider: twice.length,
          ...(kind === 'email'
            ? { twiceUnderOneMessageId: twice.filter((to) => idsPerRecipient.get(to)?.size === 1).length }
            : {}),
          lost: wanted.filter((to) => !times.has(to)).length,
          recoverySeconds,
        };
      }),
    );
  } finally {
    await killNodeProcesses(workers);
    [sandbox.twilio.faults.latencyMs, sandbox.smtp.faults.latencyMs] = latencies as [number, number];
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('bulk-kill: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
