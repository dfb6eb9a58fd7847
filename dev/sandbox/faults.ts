/**
 * Fault knobs shared by the provider stand-ins: added latency, "fail the next N calls with this",
 * and a rate limit. Tests and the benchmark turn them; the stand-ins consult them per call.
 */
export class FaultPlan<Failure> {
  /** Added to every call, in milliseconds. */
  latencyMs = 0;
  private failures: Failure[] = [];
  private randomly:
    { share: number; pick: (random: () => number) => Failure; random: () => number } | undefined;
  /** How many calls the random knob failed. */
  randomFailures = 0;
  private limit: { perSecond: number; windowStart: number; used: number } | undefined;

  /** The next `count` calls answer with `failure` instead of succeeding. */
  failNext(count: number, failure: Failure): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /**
   * From now on a `share` (0..1) of calls fail with what `pick` chooses, decided by `random` (seed it
   * with `seededRandom` for a run that can be repeated); `undefined` lifts it.
   */
  failRandomly(
    options: { share: number; pick: (random: () => number) => Failure; random?: () => number } | undefined,
  ): void {
    this.randomly = options && { random: Math.random, ...options };
  }

  /** At most `perSecond` calls in each second of the stand-in's own clock; `undefined` lifts it. */
  rateLimit(perSecond: number | undefined): void {
    this.limit = perSecond === undefined ? undefined : { perSecond, windowStart: 0, used: 0 };
  }

  /** Clears every knob. */
  reset(): void {
    this.latencyMs = 0;
    this.failures = [];
    this.limit = undefined;
    this.randomly = undefined;
    this.randomFailures = 0;
  }

  /** Waits the configured latency, then says how this call should fail, if it should. */
  async next(now: number = Date.now()): Promise<{ failure?: Failure; rateLimited: boolean }> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const failure = this.failures.shift();
    if (failure !== undefined) return { failure, rateLimited: false };
    const randomly = this.randomly;
    if (randomly && randomly.random() < randomly.share) {
      this.randomFailures++;
      return { failure: randomly.pick(randomly.random), rateLimited: false };
    }
    return { rateLimited: this.overLimit(now) };
  }

  private overLimit(now: number): boolean {
    const limit = this.limit;
    if (!limit) return false;
    if (now - limit.windowStart >= 1_000) {
      limit.windowStart = now;
      limit.used = 0;
    }
    limit.used += 1;
    return limit.used > limit.perSecond;
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same faults, run after run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
