// Orders that expire on their own: the exchange-side dead man's switch. Every resting order is sent
// with Kalshi's `expiration_time` (Unix seconds, only with good_till_canceled) set to the exchange's
// time now + the TTL, and renewed while the bot lives (cycle.ts cancels the ones past half their
// life before the strategies decide, and the strategies quote them again with a fresh expiry). So
// after a kill -9, an OOM kill or a lost network, nothing of ours rests longer than the TTL.
//
// Clock: the expiry is an exchange timestamp, so it is compared with exchange time only. The
// exchange's clock is read from its answers (`ts_ms` of every create) and carried forward on the
// monotonic clock; before the first create answer of a process the wall clock stands in, moved
// forward by the balance's updated_ts when the exchange is ahead (Kalshi refuses signatures from a
// clock more than a few seconds off, so the TTL is off by at most that).
import type { Config } from "../config/schema.ts";

/** The TTL in seconds for this run (0: orders are good till canceled). See the config's description. */
export function resolveOrderTtlSeconds(trading: Config["trading"], once: boolean): number {
  if (trading.order_ttl_seconds !== undefined) return trading.order_ttl_seconds;
  // --once without cancel_on_exit leaves its quotes for the next (cron) run to manage: they must
  // outlive one interval, and a cron that stopped leaves nothing after three.
  if (once && !trading.cancel_on_exit) return Math.max(60, 3 * trading.cycle_interval_seconds);
  return 60;
}

/**
 * An order is renewed once less than half its TTL is left: a daemon renews it about every TTL/2,
 * and a cron run every interval with a TTL of three intervals renews it at every other run,
 * always at least one interval before it expires.
 */
export function renewAheadMs(ttlSeconds: number): number {
  return (ttlSeconds * 1000) / 2;
}

/** The exchange's clock as last read from one of its answers, carried forward monotonically. */
export class ExchangeClock {
  private anchor: { exchangeMs: number; mono: number } | null = null;
  constructor(
    private readonly mono: () => number = () => performance.now(),
    private readonly wall: () => number = Date.now,
  ) {}

  /** An exchange timestamp from an answer just received (ts_ms of a create). */
  observe(exchangeMs: number | null | undefined): void {
    if (typeof exchangeMs !== "number" || !Number.isFinite(exchangeMs) || exchangeMs <= 0) return;
    this.anchor = { exchangeMs, mono: this.mono() };
  }

  /**
   * An exchange timestamp known to be at or before its time now (a balance's updated_ts): moves the
   * estimate forward when it is ahead, never back. Before the first create of a process it keeps an
   * expiry from falling into the exchange's past when this machine's clock is behind.
   */
  observeAtLeast(exchangeMs: number | null | undefined): void {
    if (typeof exchangeMs !== "number" || !Number.isFinite(exchangeMs) || exchangeMs <= 0) return;
    if (exchangeMs > this.now()) this.anchor = { exchangeMs, mono: this.mono() };
  }

  get known(): boolean {
    return this.anchor !== null;
  }

  /** The exchange's time now (ms), or this machine's wall clock before the first answer. */
  now(): number {
    if (!this.anchor) return this.wall();
    return this.anchor.exchangeMs + (this.mono() - this.anchor.mono);
  }
}

/** Kalshi's `expiration_time` for an order sent now: whole seconds, rounded up. Null: none. */
export function expirationFor(timeInForce: string, ttlSeconds: number, clock: ExchangeClock): number | null {
  if (ttlSeconds <= 0 || timeInForce !== "good_till_canceled") return null;
  return Math.ceil((clock.now() + ttlSeconds * 1000) / 1000) * 1000;
}

/** Rows (resting, with an expiry) due for renewal at exchange time `nowMs`. */
export function dueForRenewal<T extends { expiresAt: number | null }>(rows: readonly T[], ttlSeconds: number, nowMs: number): T[] {
  if (ttlSeconds <= 0) return [];
  const ahead = renewAheadMs(ttlSeconds);
  return rows.filter((r) => r.expiresAt !== null && r.expiresAt - nowMs <= ahead);
}

/**
 * Milliseconds (a duration, measured in exchange time) until the next of `rows` becomes due for
 * renewal; null: none. Rows already due are left out: the cycle that just ran either renewed them
 * or could not (kill switch, halt, a failed cancel), and an early cycle would not do better; the
 * regular cycles retry them, and if they cannot, the orders expire as they should.
 */
export function msUntilRenewal(rows: ReadonlyArray<{ expiresAt: number | null }>, ttlSeconds: number, nowMs: number): number | null {
  if (ttlSeconds <= 0) return null;
  const ahead = renewAheadMs(ttlSeconds);
  let first: number | null = null;
  for (const r of rows) {
    if (r.expiresAt === null) continue;
    const due = r.expiresAt - ahead - nowMs;
    if (due > 0) first = first === null ? due : Math.min(first, due);
  }
  return first;
}

/**
 * Whether an order the exchange reports canceled was canceled by its expiry: it had one, and the
 * exchange's own timestamp of its last update (or exchange time now) is at or past it.
 */
export function expiredByTtl(expiresAt: number | null, lastUpdateExchangeMs: number | null, exchangeNowMs: number): boolean {
  if (expiresAt === null) return false;
  return (lastUpdateExchangeMs ?? exchangeNowMs) >= expiresAt;
}
