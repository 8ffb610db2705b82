// Orders that expire on their own: the exchange-side dead man's switch. Every resting order is sent
// with Kalshi's `expiration_time` (Unix seconds, only with good_till_canceled) set to the exchange's
// time now + the TTL, and renewed while the bot lives (cycle.ts cancels the ones past half their
// life before the strategies decide, and the strategies quote them again with a fresh expiry). So
// after a kill -9, an OOM kill or a lost network, nothing of ours rests longer than the TTL.
//
// Clock: the expiry is an exchange timestamp, so it is set from and compared with exchange time
// only (exchange-clock.ts: the balance's updated_ts, read by every reconciliation before any
// order, carried forward on the monotonic clock). Paper orders, which never reach an exchange,
// use this machine's clock.
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

/** Kalshi's `expiration_time` for an order sent now: whole seconds, rounded up. Null: none. */
export function expirationFor(timeInForce: string, ttlSeconds: number, exchangeNowMs: number): number | null {
  if (ttlSeconds <= 0 || timeInForce !== "good_till_canceled") return null;
  return Math.ceil((exchangeNowMs + ttlSeconds * 1000) / 1000) * 1000;
}

/** Rows (resting, with an expiry) due for renewal at exchange time `nowMs`. */
export function dueForRenewal<T extends { expiresAt: number | null }>(rows: readonly T[], ttlSeconds: number, nowMs: number): T[] {
  if (ttlSeconds <= 0) return [];
  const ahead = renewAheadMs(ttlSeconds);
  return rows.filter((r) => r.expiresAt !== null && r.expiresAt - nowMs <= ahead);
}

/**
 * Milliseconds (a duration, measured in exchange time) until the next of `rows` is due for renewal;
 * 0 when one is due already and came due after `lookedAtMs`, the last look at renewals (a cycle's
 * start); null: none. Rows already due at that look are left out: that cycle either renewed them or
 * could not (kill switch, halt, a failed cancel), and an early cycle would not do better; the regular
 * cycles retry them, and if they cannot, the orders expire as they should. A row that came due since
 * (during a cycle's own requests or a reactive pass) no cycle has looked at yet: it is due now.
 */
export function msUntilRenewal(
  rows: ReadonlyArray<{ expiresAt: number | null }>,
  ttlSeconds: number,
  nowMs: number,
  lookedAtMs: number,
): number | null {
  if (ttlSeconds <= 0) return null;
  const ahead = renewAheadMs(ttlSeconds);
  let first: number | null = null;
  for (const r of rows) {
    if (r.expiresAt === null) continue;
    const dueAt = r.expiresAt - ahead;
    if (dueAt <= lookedAtMs) continue;
    const ms = Math.max(0, dueAt - nowMs);
    first = first === null ? ms : Math.min(first, ms);
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

/**
 * The ledger status of an order the exchange reports `canceled`: `expired` when it was canceled at
 * or after its expiry by the exchange's own last-update time; without that time nothing proves it.
 */
export function canceledOrExpired(
  o: { expiresMs?: number | null; lastUpdateMs?: number | null },
  ledgerExpiresAt: number | null,
): "canceled" | "expired" {
  const at = ledgerExpiresAt ?? o.expiresMs ?? null;
  return o.lastUpdateMs != null && expiredByTtl(at, o.lastUpdateMs, o.lastUpdateMs) ? "expired" : "canceled";
}
