/**
 * Fault knobs shared by the provider stand-ins: added latency, "fail the next N calls with this",
 * and a rate limit. Tests and the benchmark turn them; the stand-ins consult them per call.
 */
export class FaultPlan<Failure> {
  /** Added to every call, in milliseconds. */
  latencyMs = 0;
  private failures: Failure[] = [];
  private limit: { perSecond: number; windowStart: number; used: number } | undefined;

  /** The next `count` calls answer with `failure` instead of succeeding. */
  failNext(count: number, failure: Failure): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
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
  }

  /** Waits the configured latency, then says how this call should fail, if it should. */
  async next(now: number = Date.now()): Promise<{ failure?: Failure; rateLimited: boolean }> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const failure = this.failures.shift();
    if (failure !== undefined) return { failure, rateLimited: false };
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
