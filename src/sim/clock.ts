// The exchange's own clock. Market lifecycle and the other participants run on sim time, which
// may run faster than the wall (--speed) or be stepped by hand in tests. Signature timestamps are
// checked against the wall clock, never this one: a client signs with its real time.

export interface SimClock {
  /** Sim time, Unix milliseconds. */
  now(): number;
  readonly speed: number;
}

/**
 * Sim time = start + (elapsed − elapsedStart) × speed, the elapsed time read from the monotonic clock
 * by default: a stepped wall clock (NTP, a resumed VM) never makes the market jump or stall.
 */
export class ScaledClock implements SimClock {
  private readonly wallStart: number;
  constructor(
    readonly speed = 1,
    private readonly start = Date.now(),
    private readonly wall: () => number = () => performance.now(),
  ) {
    if (!(speed > 0)) throw new Error("clock speed must be positive");
    this.wallStart = wall();
  }
  now(): number {
    return Math.floor(this.start + (this.wall() - this.wallStart) * this.speed);
  }
}

/** A clock that moves only when told to; the test harness drives it. */
export class ManualClock implements SimClock {
  readonly speed = 1;
  constructor(private t = Date.UTC(2026, 10, 24, 14, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
