/**
 * Two real worker OS processes on one Temporal server (in `npm run test:cluster`, the full server
 * on PostgreSQL): the production entry point `worker/main.ts`, with its real nodemailer / twilio /
 * telegraf adapters pointed at the protocol stand-ins of `dev/sandbox/`, as in the fault suite's kill
 * case. Both take work; then one is SIGKILLed with messages in flight (the stand-ins answer after
 * a second, so sends are caught mid-call) and the other finishes everything once Temporal gives up on
 * the dead worker's attempts (the dispatch step's 20 s heartbeat timeout) and their 30 s leases run
 * out.
 *
 * What must hold, and is asserted: every workflow completes; every message is in the history once
 * (one row per idempotency key, sent, with the provider id of a delivery the stand-in holds) and
 * none is lost. At the providers: WhatsApp gets each message exactly once (after an attempt whose
 * outcome is unknown, dispatch asks Twilio, `findDelivered`); email reaches the SMTP stand-in under
 * exactly one Message-ID per message (a re-sent email carries the same one, so a mail client shows
 * it once); Telegram, whose Bot API takes no idempotency key and lists nothing, may get a second
 * copy, but only of a message whose dispatch the kill interrupted: one the killed worker was
 * sending (Temporal's pending dispatch attempts started by it), which the stand-in had and whose
 * row was still pending after the kill. Raw receipts, second copies, the interrupted sends, the
 * time to recover and each worker's share of the sends are counted and written to
 * test/artifacts/cluster-two-workers.json.
 *
 * Measured on the full server (2026-12-01, four runs of 200): all done 31 s after the kill, each
 * message once in the history, none lost; the killed worker had 4 to 18 sends in flight, 0 to 6
 * caught between provider and database; second copies: WhatsApp 0, email 0 or 3 (same Message-ID),
 * Telegram 0 or 1, every one a send the kill caught; the killed worker's share 12 to 39 sends.
 * README.md, "Scaling workers", has the figures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { MessageRow, SessionRow } from '../../db/rows';
import type { Sandbox } from '../../dev/sandbox/start-sandbox';
import type { Harness } from '../support/harness';
import {
  deliveredCount,
  PROVIDER_KINDS,
  providerWorld,
  receiptsOf,
  startAll,
  waitFor,
  type ProviderKind,
  type Receipt,
} from '../support/provider-world';
import {
  killWorkerProcesses,
  startProcessWorld,
  startWorkerProcess,
  type WorkerProcess,
} from '../support/worker-process';

const ROOT = path.join(__dirname, '..', '..');
const MESSAGES = Number(process.env.LIVECHAT_CLUSTER_WORKFLOWS ?? 200);
/** Kill the first worker once this many messages have reached the stand-ins. */
const KILL_AFTER = Math.ceil(MESSAGES / 3);
/**
 * The stand-ins answer this long after a call arrives: the window a kill can hit. A second keeps
 * several of the dead worker's sends in it at the kill, so the test always has interrupted sends to
 * check (at 150 ms, one run in four had none).
 */
const LATENCY_MS = 1_000;
const DISPATCH = 'dispatchMessage';
const { EventType, PendingActivityState } = temporal.api.enums.v1;

let sandbox: Sandbox;
let harness: Harness;
const workers: WorkerProcess[] = [];
const world = providerWorld(50);

/** What one provider's stand-in holds at the end. */
interface ChannelCounts {
  /** Messages of ours on this channel. */
  messages: number;
  /** Messages the stand-in took, second copies included. */
  received: number;
  /** Messages of ours it took at least once. */
  distinct: number;
  /** Email: distinct Message-IDs among what it took (what the customer's mail client shows). */
  distinctMessageIds?: number;
  /** Messages of ours it took more than once. */
  twice: number;
  /** Messages of this channel the kill caught between the provider and the database. */
  interrupted: number;
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Runs `work` over `items`, `width` at a time (a few hundred describes or histories at once is rude). */
async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width)
    results.push(...(await Promise.all(items.slice(i, i + width).map(work))));
  return results;
}

beforeAll(async () => {
  ({ sandbox, harness } = await startProcessWorld(world, LATENCY_MS));
});

afterAll(async () => {
  await killWorkerProcesses(workers);
  await harness?.stop();
  await sandbox?.stop();
});

test(`two worker processes share ${MESSAGES} sends over the real adapters; one is SIGKILLed mid-flight: each message once in the history, none lost; WhatsApp once, email under one Message-ID, Telegram twice only where the kill caught the send`, async () => {
  const env: NodeJS.ProcessEnv = {
    ...sandbox.providers,
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    DATABASE_POOL_MAX: '10',
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
    LOG_LEVEL: 'INFO',
  };
  const victim = startWorkerProcess(env);
  const survivor = startWorkerProcess(env);
  workers.push(victim, survivor);
  await Promise.all([victim.ready, survivor.ready]);

  // 1. Every workflow at once: WhatsApp, email and Telegram in turn, each text its own.
  const requests = world.requests(MESSAGES, 'Cluster run');
  const startedAt = Date.now();
  await startAll(harness, requests);

  // 2. Once a third of the messages have arrived, kill the first worker.
  await waitFor(`${KILL_AFTER} deliveries`, 300_000, () => deliveredCount(sandbox) >= KILL_AFTER);
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  expect(await victim.exited).toBe('SIGKILL');
  const deliveredAtKill = deliveredCount(sandbox);

  // The dead worker's sends in flight: dispatch attempts Temporal still holds as started by it (it
  // does until their heartbeat timeout). Then, once the stand-ins have answered what reached them,
  // those of them the stand-in has and whose row is still pending are the ones the kill caught
  // between provider and database; only these may reach a provider that cannot be asked twice.
  const [inFlight] = await Promise.all([
    inBatches(requests, 50, async (r) => {
      const { raw } = await harness.client.workflow.getHandle(r.workflowId).describe();
      const sending = (raw.pendingActivities ?? []).some(
        (a) =>
          a.activityType?.name === DISPATCH &&
          a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
          a.lastWorkerIdentity === victim.identity,
      );
      return sending ? [r] : [];
    }).then((found) => found.flat()),
    new Promise((resolve) => setTimeout(resolve, 1_000 + LATENCY_MS)),
  ]);
  const atKill = new Set(receiptsOf(sandbox).map((receipt) => receipt.text));
  const pendingAtKill = new Set(
    await harness
      .db<MessageRow>('messages')
      .whereIn(
        'text',
        inFlight.map((r) => r.text),
      )
      .where({ status: 'pending' })
      .pluck('text'),
  );
  const interrupted = inFlight.filter((r) => atKill.has(r.text) && pendingAtKill.has(r.text));
  const interruptedTexts = new Set(interrupted.map((r) => r.text));

  // 3. The survivor finishes everything, the dead worker's attempts too once they time out.
  const results = await Promise.all(
    requests.map((r) => harness.client.workflow.getHandle(r.workflowId).result()),
  );
  const finishedAt = Date.now();
  await sandbox.twilio.settled();
  survivor.child.kill('SIGTERM');
  const survivorExit = await survivor.exited;

  // Which process completed each message's send step, and when (from Temporal's histories).
  const histories = await inBatches(requests, 50, async (r) => {
    const events = (await harness.client.workflow.getHandle(r.workflowId).fetchHistory()).events ?? [];
    const dispatches = new Set(
      events
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === DISPATCH)
        .map((e) => String(e.eventId)),
    );
    return {
      sends: events.filter((e) =>
        dispatches.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
      ),
      completed: events.at(-1)?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    };
  });
  const sendsBy = (worker: WorkerProcess, before = Infinity) =>
    histories
      .flatMap((h) => h.sends)
      .filter(
        (e) =>
          e.activityTaskCompletedEventAttributes?.identity === worker.identity &&
          tsToMs(e.eventTime) < before,
      ).length;
  const share = {
    killed: { pid: victim.pid, sends: sendsBy(victim) },
    survivor: { pid: survivor.pid, sends: sendsBy(survivor), sendsBeforeKill: sendsBy(survivor, killedAt) },
  };

  // The history: message rows per idempotency key, and their sessions.
  const keys = requests.map((r) => `workflow:${r.workflowId}`);
  const rows = await harness.db<MessageRow>('messages').whereIn('idempotency_key', keys);
  const rowsPerKey = countBy(rows, (row) => row.idempotency_key ?? '');
  const settled = new Set(
    rows
      .filter((row) => ['sent', 'delivered', 'read'].includes(row.status))
      .map((row) => row.idempotency_key),
  );
  const onceInHistory = keys.filter((key) => rowsPerKey.get(key) === 1 && settled.has(key)).length;
  const rowOfText = new Map(rows.map((row) => [row.text, row]));
  const sessions = await harness
    .db<SessionRow>('sessions')
    .whereIn('id', [...new Set(rows.map((row) => row.session_id))]);
  const messenger = sessions.filter((s) => s.channel_id !== world.channelId('email'));

  // The providers: what each stand-in took, per message.
  const receipts = receiptsOf(sandbox);
  const receiptsOfText = new Map<string, Receipt[]>();
  for (const receipt of receipts)
    receiptsOfText.set(receipt.text, [...(receiptsOfText.get(receipt.text) ?? []), receipt]);
  const timesOf = (r: { text: string }) => receiptsOfText.get(r.text)?.length ?? 0;
  const idsOf = (r: { text: string }) => new Set(receiptsOfText.get(r.text)?.map((x) => x.providerId));
  const lost = requests.filter((r) => timesOf(r) === 0);
  const secondCopies = (kind: ProviderKind) => requests.filter((r) => r.kind === kind && timesOf(r) > 1);
  const textsOf = (some: { text: string }[]) => some.map((r) => r.text);
  const channels = Object.fromEntries(
    PROVIDER_KINDS.map((kind): [ProviderKind, ChannelCounts] => {
      const ofKind = requests.filter((r) => r.kind === kind);
      const received = receipts.filter((receipt) => receipt.kind === kind);
      return [
        kind,
        {
          messages: ofKind.length,
          received: received.length,
          distinct: ofKind.filter((r) => timesOf(r) >= 1).length,
          ...(kind === 'email'
            ? { distinctMessageIds: new Set(received.map((receipt) => receipt.providerId)).size }
            : {}),
          twice: secondCopies(kind).length,
          interrupted: interrupted.filter((r) => r.kind === kind).length,
        },
      ];
    }),
  ) as Record<ProviderKind, ChannelCounts>;

  const report = {
    temporalAddress: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    messages: MESSAGES,
    onceInHistory,
    lost: lost.length,
    channels,
    killAfterDelivered: KILL_AFTER,
    deliveredAtKill,
    standInLatencyMs: LATENCY_MS,
    killedWorkerInFlight: inFlight.length,
    interrupted: interrupted.length,
    workers: share,
    secondsToKill: (killedAt - startedAt) / 1_000,
    secondsToRecoverAfterKill: (finishedAt - killedAt) / 1_000,
    secondsTotal: (finishedAt - startedAt) / 1_000,
  };
  fs.mkdirSync(path.join(ROOT, 'test', 'artifacts'), { recursive: true });
  fs.writeFileSync(
    path.join(ROOT, 'test', 'artifacts', 'cluster-two-workers.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  const cell = (value: number | string, width: number) => String(value).padStart(width);
  console.log(
    [
      `two workers, one killed: ${MESSAGES} messages, ${onceInHistory} once in the history, ${lost.length} lost`,
      `killed after ${deliveredAtKill} deliveries with ${inFlight.length} sends in flight, ${interrupted.length} caught between provider and database`,
      'channel   messages  received  distinct  twice  interrupted',
      ...PROVIDER_KINDS.map((kind) => {
        const c = channels[kind];
        const distinct = c.distinctMessageIds === undefined ? c.distinct : `${c.distinctMessageIds} ids`;
        return `${kind.padEnd(8)}  ${cell(c.messages, 8)}  ${cell(c.received, 8)}  ${cell(distinct, 8)}  ${cell(c.twice, 5)}  ${cell(c.interrupted, 11)}`;
      }),
      `sends: killed worker ${share.killed.sends}, survivor ${share.survivor.sends} (${share.survivor.sendsBeforeKill} before the kill)`,
      `all done ${report.secondsToRecoverAfterKill} s after the kill (${report.secondsTotal} s in all)`,
    ].join('\n'),
  );

  // Every workflow completed, its message sent, by exactly one completed send step.
  expect(results.every((r) => r.status === 'sent')).toBe(true);
  expect(histories.every((h) => h.completed && h.sends.length === 1)).toBe(true);
  // Both processes took work: the killed one before it died, the survivor before the kill too.
  expect(share.killed.sends).toBeGreaterThan(0);
  // The kill must have caught sends between provider and database, or the checks below prove little.
  expect(interrupted.length).toBeGreaterThan(0);
  expect(share.survivor.sendsBeforeKill).toBeGreaterThan(0);
  expect(share.killed.sends + share.survivor.sends).toBe(MESSAGES);
  // A SIGTERM is a graceful stop: in-flight tasks finish and the process exits by itself.
  expect(survivorExit).toBe(0);

  // Every message exactly once in the history: one row per idempotency key, sent.
  expect(rows).toHaveLength(MESSAGES);
  expect(onceInHistory).toBe(MESSAGES);
  expect(new Set(rows.map((row) => row.id))).toEqual(new Set(results.map((r) => r.messageId)));
  // On a messenger one session per account, however the two processes raced to open it; on email
  // a session per message.
  const accounts = requests
    .filter((r) => r.kind !== 'email')
    .map((r) => `${r.input.channelId} ${r.contactId}`);
  expect(messenger.map((s) => `${s.channel_id} ${s.contact_id}`).sort()).toEqual(
    [...new Set(accounts)].sort(),
  );
  expect(sessions.length - messenger.length).toBe(channels.email.messages);

  // None lost, nothing delivered that was not asked for, and each row records the provider id of a
  // delivery the stand-in holds.
  expect(textsOf(lost)).toEqual([]);
  expect(textsOf(receipts.filter((receipt) => !rowOfText.has(receipt.text)))).toEqual([]);
  expect(
    textsOf(requests.filter((r) => !idsOf(r).has(rowOfText.get(r.text)?.provider_message_id ?? ''))),
  ).toEqual([]);
  // WhatsApp: exactly once at Twilio, interrupted or not (the survivor asked Twilio first).
  expect(textsOf(secondCopies('whatsapp'))).toEqual([]);
  // Email: one Message-ID per message however often it was handed over, so the customer sees it
  // once; handed over again only where the kill interrupted the first hand-over.
  expect(textsOf(requests.filter((r) => r.kind === 'email' && idsOf(r).size !== 1))).toEqual([]);
  expect(channels.email.distinctMessageIds).toBe(channels.email.messages);
  expect(textsOf(secondCopies('email').filter((r) => !interruptedTexts.has(r.text)))).toEqual([]);
  // Telegram: a second copy only of a message whose dispatch the kill interrupted, never a third.
  expect(textsOf(secondCopies('telegram').filter((r) => !interruptedTexts.has(r.text)))).toEqual([]);
  expect(textsOf(requests.filter((r) => timesOf(r) > 2))).toEqual([]);
});
