import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

/** Where each fault case leaves its counts for the suite's table (test/faults/support/counts-reporter.js). */
export const FAULT_REPORT_DIR = path.join(__dirname, '..', '..', 'artifacts', 'faults');

/** What one fault case counted at its end, from the history (our database) and the stand-ins. */
export interface FaultCounts {
  /** The case, as QUALITY.md names it. */
  case: string;
  /** Requests (messages, calls) the case made. */
  requests: number;
  /** In the history: messages recorded, and how many of them are recorded more than once. */
  inHistory?: number;
  doubledInHistory?: number;
  /** At the provider stand-ins: messages delivered, delivered twice or more, never delivered. */
  delivered?: number;
  doubledAtProvider?: number;
  lost?: number;
  /** Refused with a clear typed error / with anything else; rows or state changed by refusals. */
  refused?: number;
  changed?: number;
  /** Anything else worth a column: retries seen, secrets found, … */
  notes?: string;
}

/** Records one case's counts; the reporter prints every case of the run as one table. */
export function reportFaultCase(counts: FaultCounts): void {
  fs.mkdirSync(FAULT_REPORT_DIR, { recursive: true });
  const slug = counts.case.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  fs.writeFileSync(path.join(FAULT_REPORT_DIR, `${slug}.json`), `${JSON.stringify(counts, null, 2)}\n`);
}

/**
 * The refusal cases' counts (requests, refused, changed), spread into `reportFaultCase`. Each request
 * goes through `expectRefused`, which also asserts that it changed nothing.
 */
export class RefusalTally {
  requests = 0;
  refused = 0;
  changed = 0;

  /**
   * Runs one request that must be refused and leave everything as it was: `snapshot` reads what
   * it must not touch, before and after; `check` asserts on the answer. Returns the answer.
   */
  async expectRefused<T>(
    snapshot: () => Promise<unknown>,
    run: () => Promise<T>,
    check: (answer: T) => void,
  ): Promise<T> {
    this.requests++;
    const before = await snapshot();
    const answer = await run();
    const after = await snapshot();
    if (!isDeepStrictEqual(after, before)) this.changed++;
    check(answer);
    expect(after).toEqual(before);
    this.refused++;
    return answer;
  }
}
