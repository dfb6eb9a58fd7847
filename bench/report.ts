import type { BulkScenarioResult } from './bulk-scenario';
import type { ScenarioResult } from './scenarios';

export interface BenchReport {
  date: string;
  machine: string;
  temporal: string;
  database: string;
  n: number;
  concurrency: number;
  scenarios: ScenarioResult[];
  ratios?: Record<string, number>;
  bulk: BulkScenarioResult;
}

const byName = (report: BenchReport, name: string): ScenarioResult => {
  const found = report.scenarios.find((s) => s.scenario === name);
  if (!found) throw new Error(`scenario ${name} is missing`);
  return found;
};

/** The figures the targets are stated in, computed from scenarios measured side by side. */
export function ratios(report: BenchReport): Record<string, number> {
  const [noop, send, direct, big] = ['noop', 'send', 'direct', 'scale-16N'].map((name) =>
    byName(report, name),
  ) as [ScenarioResult, ScenarioResult, ScenarioResult, ScenarioResult];
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    'send/noop throughput': round(send.messagesPerSecond / noop.messagesPerSecond),
    'send/noop p99 latency': round(send.latencyMs.p99 / noop.latencyMs.p99),
    'send/direct throughput': round(send.messagesPerSecond / direct.messagesPerSecond),
    'cost per message 16N/N': round(big.seconds / big.messages / (send.seconds / send.messages)),
    'bulk/send throughput': round(report.bulk.messagesPerSecond / send.messagesPerSecond),
  };
}

export function printReport(report: BenchReport): void {
  report.ratios = ratios(report);
  console.log(`\n${report.date}  ${report.machine}  temporal: ${report.temporal}  db: ${report.database}`);
  console.log(`N = ${report.n}, concurrency = ${report.concurrency}\n`);
  const rows = report.scenarios.map((s) => ({
    scenario: s.scenario,
    messages: s.messages,
    'msg/s': s.messagesPerSecond,
    'p50 ms': s.latencyMs.p50,
    'p95 ms': s.latencyMs.p95,
    'p99 ms': s.latencyMs.p99,
    'db trips/msg': s.dbRoundTripsPerMessage,
    'activities/msg': s.activityTasksPerMessage,
    'peak RSS MiB': s.peakRssMiB,
    'heap after GC MiB': s.retainedHeapMiB,
  }));
  console.table(rows);
  console.table(report.ratios);
  const { scenario: _, ...bulk } = report.bulk;
  console.log('bulk: one Bulk Notify process');
  console.table([bulk]);
}
