import type { PagesResult } from './pages-scenario';
import type { BulkKillResult } from './bulk-kill';
import type { BulkRateResult } from './bulk-rate';
import type { BulkScenarioResult } from './bulk-scenario';
import type { ScenarioResult } from './scenarios';

/** A figure over the rounds: their median, and the smallest and largest. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    median: round(median),
    min: round(sorted[0] ?? NaN),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

export interface BenchReport {
  date: string;
  machine: string;
  temporal: string;
  database: string;
  n: number;
  concurrency: number;
  rounds: number;
  scenarios: (ScenarioResult & { rounds?: number[] })[];
  /** bare, noop and send interleaved: each ratio over the rounds. */
  roundRatios: Record<string, Spread>;
  /** Figures of scenarios run once, side by side (direct, scale, bulk), with the round medians. */
  ratios?: Record<string, Spread>;
  bulk: BulkScenarioResult;
  bulkRate: BulkRateResult[];
  bulkKill: BulkKillResult[];
  /** Operators' pages on one workspace server, the feed listening and polling. */
  pages?: PagesResult[];
}

/** The pages scenario's table (also printed alone by `--only pages`). */
export function printPages(results: readonly PagesResult[]): void {
  console.log("pages: operators' pages on one workspace server, a customer's message to every page");
  console.table(
    results.map((p) => ({
      feed: p.mode,
      pages: p.pages,
      messages: p.messages,
      'connect all ms': p.connectMs,
      'RSS idle MiB': p.serverMemoryMiB.idleRss,
      'RSS connected MiB': p.serverMemoryMiB.connectedRss,
      'heap/page KiB': p.heapPerPageKiB,
      'first page p50 ms': p.toFirstPageMs.p50,
      'every page p50 ms': p.toEveryPageMs.p50,
      'every page p95 ms': p.toEveryPageMs.p95,
      'every page max ms': p.toEveryPageMs.max,
      missed: p.missed,
    })),
  );
}

const byName = (report: BenchReport, name: string): ScenarioResult => {
  const found = report.scenarios.find((s) => s.scenario === name);
  if (!found) throw new Error(`scenario ${name} is missing`);
  return found;
};

/** The figures the targets are stated in, computed from scenarios measured side by side. */
export function ratios(report: BenchReport): Record<string, Spread> {
  const [noop, send, direct, big] = ['noop', 'send', 'direct', 'scale-16N'].map((name) =>
    byName(report, name),
  ) as [ScenarioResult, ScenarioResult, ScenarioResult, ScenarioResult];
  const once = (x: number) => spread([x]);
  return {
    ...report.roundRatios,
    'send/noop p99 latency (median round)': once(send.latencyMs.p99 / noop.latencyMs.p99),
    'send/direct throughput': once(send.messagesPerSecond / direct.messagesPerSecond),
    'cost per message 16N/N': once(big.seconds / big.messages / (send.seconds / send.messages)),
    'bulk/send throughput': once(report.bulk.messagesPerSecond / send.messagesPerSecond),
  };
}

export function printReport(report: BenchReport): void {
  report.ratios = ratios(report);
  console.log(`\n${report.date}  ${report.machine}  temporal: ${report.temporal}  db: ${report.database}`);
  console.log(`N = ${report.n}, concurrency = ${report.concurrency}, rounds = ${report.rounds}\n`);
  const rows = report.scenarios.map((s) => ({
    scenario: s.scenario,
    messages: s.messages,
    'msg/s': s.messagesPerSecond,
    'p50 ms': s.latencyMs.p50,
    'p95 ms': s.latencyMs.p95,
    'p99 ms': s.latencyMs.p99,
    'db trips/msg': s.dbRoundTripsPerMessage,
    'activities/msg': s.activityTasksPerMessage,
    'actions/msg': s.actionsPerMessage,
    'peak RSS MiB': s.peakRssMiB,
    'heap after GC MiB': s.retainedHeapMiB,
  }));
  console.table(rows);
  console.table(report.ratios);
  const { scenario: _, ...bulk } = report.bulk;
  console.log('bulk: one Bulk Notify process');
  console.table([bulk]);
  console.log('bulk-rate: a bulk against a stand-in limited to the configured rate');
  console.table(report.bulkRate.map(({ scenario: _s, ...r }) => r));
  if (report.pages) printPages(report.pages);
  console.log('bulk-kill: a bulk per channel, its worker process SIGKILLed twice');
  console.table(
    report.bulkKill.map(({ scenario: _s, recoverySeconds, ...r }) => ({
      ...r,
      recoverySeconds: recoverySeconds.join(', '),
    })),
  );
}
