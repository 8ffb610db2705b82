// The exchange's clock as this process last saw it. Exchange times (order expiries, fill
// timestamps) are compared with this, never with the machine's own clock, which may be off by
// seconds or minutes (and the local exchange may run faster than the wall). It only moves forward:
// the newest exchange time seen, plus the monotonic time since; every sample is a lower bound (the
// balance's `updated_ts` is whole seconds, a fill or a book delta is never later than now), so a
// window measured back from it holds at least what the exchange's does, and an expiry set from it
// is never earlier than meant.
//
// A stepped exchange (`exchange.clock: "stepped"`: a local exchange whose clock a harness moves a
// step at a time) has no time between its messages: the estimate is the newest sample alone, so a
// decision depends on what the exchange said and in what order, not on when it reached this machine.
import { monoNow } from "../ops/clock.ts";

export class ExchangeClock {
  private base: { exMs: number; mono: number } | null = null;
  /** `mono` null: the exchange's clock moves only by its messages (stepped); never extrapolated. */
  constructor(private readonly mono: (() => number) | null = monoNow) {}

  /** True when the estimate runs on this machine's monotonic clock between samples. */
  get runs(): boolean {
    return this.mono !== null;
  }

  /** An exchange time known to have passed by now. */
  observe(exMs: number): void {
    if (!Number.isFinite(exMs) || exMs <= 0) return;
    const est = this.now();
    if (est === null || exMs > est) this.base = { exMs, mono: this.mono?.() ?? 0 };
  }

  /** The exchange's time now (ms), or null before any sample. */
  now(): number | null {
    if (this.base === null) return null;
    return this.mono === null ? this.base.exMs : this.base.exMs + (this.mono() - this.base.mono);
  }
}
