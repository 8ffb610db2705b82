// The bot's two clocks. Durations, timeouts, scheduling and staleness run on the monotonic clock
// (`monoNow`, milliseconds since an arbitrary start, never stepped); the wall clock (`Date.now()`)
// is only for what is shown (logs, heartbeat, reports) and sent (signatures, min_ts). A wall clock
// that is wrong or stepped (NTP at boot, a VM resumed) must never stall a sleep or skip a fill.
//
// `ClockStepWatch` notices a step (the wall clock moving by more than the monotonic one) so the log
// says so: times in the ledger and heartbeat around it are the stepped clock's.
//
// Test hook (hidden, not a setting): KALSHI_BOT_TEST_WALL_OFFSET_FILE names a file holding a number
// of milliseconds added to this process's wall clock (Date.now() and `new Date()`), re-read at most
// every 100 ms, so a test can run the binary fast, slow, or step it during a run while the local
// exchange keeps true time. LD_PRELOAD time shims do not reach JavaScriptCore's clock in a
// compiled Bun binary, hence this.

import { readFileSync } from "node:fs";

/** Monotonic milliseconds: for every duration and deadline. */
export const monoNow = (): number => performance.now();

/** Sleep until monotonic time `atMono`, waking early when `setWake`'s function is called or `stopped()` turns true. */
export async function sleepUntilMono(atMono: number, setWake: (w: (() => void) | null) => void, stopped: () => boolean): Promise<void> {
  while (!stopped() && monoNow() < atMono) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.max(0, Math.min(1_000, atMono - monoNow())));
      setWake(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  setWake(null);
}

/**
 * Wall-clock milliseconds: what ledger rows are stamped with (cycle start and end, order, event,
 * snapshot and audit times), so every stamp comes from one clock, the test offset included, and
 * never from SQLite's own unixepoch.
 */
export const wallNow = (): number => Date.now();

/** The wall time at which monotonic time `atMono` falls, for display (heartbeat next_cycle_at). */
export const wallAt = (atMono: number): Date => new Date(Date.now() + (atMono - monoNow()));

/** Watches wall − monotonic: a change beyond `toleranceMs` is a clock step, reported once per step. */
export class ClockStepWatch {
  private skew = Date.now() - monoNow();
  constructor(private readonly toleranceMs = 2_000) {}
  /** The step in ms since the last check (0 when none). */
  check(): number {
    const skew = Date.now() - monoNow();
    const step = skew - this.skew;
    if (Math.abs(step) <= this.toleranceMs) return 0;
    this.skew = skew;
    return Math.round(step);
  }
}

export const TEST_WALL_OFFSET_ENV = "KALSHI_BOT_TEST_WALL_OFFSET_FILE";

/** Install the test wall-clock offset when its variable is set (see the header). */
export function installTestWallOffset(env: NodeJS.ProcessEnv = process.env): void {
  const file = env[TEST_WALL_OFFSET_ENV];
  if (!file) return;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  let offset = 0;
  let readAt = Number.NEGATIVE_INFINITY;
  const currentOffset = (): number => {
    const m = performance.now();
    if (m - readAt >= 100) {
      readAt = m;
      try {
        const n = Number(readFileSync(file, "utf8").trim());
        if (Number.isFinite(n)) offset = n;
      } catch {
        // Keep the last offset: the test is rewriting the file.
      }
    }
    return offset;
  };
  const now = () => realNow() + currentOffset();
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return now();
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  // Never silent: a shifted clock in production would sign every request with a wrong time.
  process.stderr.write(
    `kalshi-bot: ${TEST_WALL_OFFSET_ENV} is set: this process's wall clock is shifted by the file's milliseconds (tests only)\n`,
  );
}
