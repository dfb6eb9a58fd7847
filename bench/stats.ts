import v8 from 'node:v8';
import vm from 'node:vm';

/** The q-th quantile (0..1) of some numbers, nearest-rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function inPool<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

let collectGarbage: (() => void) | undefined;

/**
 * The JavaScript heap this process keeps after a full garbage collection, in MiB: what a scenario
 * left retained, unlike peak RSS, which also counts garbage not yet collected and heap V8 keeps
 * reserved. (Workflow code runs in the worker's threads, whose heaps RSS includes and this does not.)
 */
export function retainedHeapMiB(): number {
  if (!collectGarbage) {
    v8.setFlagsFromString('--expose-gc');
    collectGarbage = vm.runInNewContext('gc') as () => void;
  }
  collectGarbage();
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
}

/** Samples this process's resident memory while a scenario runs; `stop()` gives the peak in MiB. */
export function sampleMemory(everyMs = 50): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round((Math.max(peak, process.memoryUsage().rss) / 1024 / 1024) * 10) / 10;
    },
  };
}
