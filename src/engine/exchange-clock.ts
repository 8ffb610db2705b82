// The exchange's clock as this process last saw it. Exchange times (order expiries, fill
// timestamps) are compared with this, never with the machine's own clock, which may be off by
// seconds or minutes (and the local exchange may run faster than the wall). It only moves forward:
// the newest exchange time seen, plus the monotonic time since; every sample is a lower bound (the
// balance's `updated_ts` is whole seconds, a fill is never later than now), so a window measured
// back from it holds at least what the exchange's does, and an expiry set from it is never earlier
// than meant.
import { monoNow } from "../ops/clock.ts";

export class ExchangeClock {
  private base: { exMs: number; mono: number } | null = null;
  constructor(private readonly mono: () => number = monoNow) {}

  /** An exchange time known to have passed by now. */
  observe(exMs: number): void {
    if (!Number.isFinite(exMs) || exMs <= 0) return;
    const est = this.now();
    if (est === null || exMs > est) this.base = { exMs, mono: this.mono() };
  }

  /** The exchange's time now (ms), or null before any sample. */
  now(): number | null {
    return this.base === null ? null : this.base.exMs + (this.mono() - this.base.mono);
  }
}
