// The arithmetic of orders that expire on their own (src/engine/order-ttl.ts): the exchange's clock
// as read from its answers and carried on a monotonic clock (exchange-clock.ts),
// Kalshi's expiration_time in whole seconds rounded up, which orders are due for renewal, when the
// next one is, and the TTL each run mode gets by default. The behaviour end to end is in
// order-ttl.test.ts (through the binary).
import { describe, expect, test } from "bun:test";
import { configSchema } from "../../src/config/schema.ts";
import { ExchangeClock } from "../../src/engine/exchange-clock.ts";
import {
  canceledOrExpired,
  dueForRenewal,
  expirationFor,
  expiredByTtl,
  msUntilRenewal,
  resolveOrderTtlSeconds,
} from "../../src/engine/order-ttl.ts";

describe("ExchangeClock", () => {
  test("null until the exchange answers; then its newest time carried forward monotonically, whatever the wall clock does, never back", () => {
    const t = { mono: 1_000 };
    const clock = new ExchangeClock(() => t.mono);
    expect(clock.now()).toBeNull();
    const ex = Date.UTC(2026, 11, 4, 12, 0, 0);
    clock.observe(ex);
    t.mono += 2_500;
    expect(clock.now()).toBe(ex + 2_500);
    clock.observe(ex - 60_000); // an older sample (whole-second updated_ts): ignored
    expect(clock.now()).toBe(ex + 2_500);
    clock.observe(ex + 10_000); // the exchange is further on than the estimate: followed
    expect(clock.now()).toBe(ex + 10_000);
  });

  test("a stepped exchange's clock (exchange.clock stepped, sim only) is the newest time it sent, whatever time passes here", () => {
    const clock = new ExchangeClock(null);
    expect(clock.runs).toBe(false);
    const ex = Date.UTC(2026, 11, 4, 12, 0, 0);
    clock.observe(ex);
    expect(clock.now()).toBe(ex);
    clock.observe(ex - 1); // older: ignored
    clock.observe(ex + 27_000);
    expect(clock.now()).toBe(ex + 27_000);
    expect(configSchema.parse({ exchange: { clock: "stepped" } }).exchange.clock).toBe("stepped");
    expect(configSchema.safeParse({ exchange: { environment: "demo", clock: "stepped" } }).success).toBe(false);
    expect(configSchema.parse({}).exchange.clock).toBe("running");
  });
});

describe("expiry and renewal", () => {
  test("expiration_time: exchange time + TTL rounded up to a whole second, only for good_till_canceled, none with TTL 0", () => {
    const now = Date.UTC(2026, 11, 4, 12, 0, 0) + 400;
    expect(expirationFor("good_till_canceled", 60, now)).toBe(now - 400 + 61_000);
    expect(expirationFor("good_till_canceled", 60, now - 400)).toBe(now - 400 + 60_000);
    expect(expirationFor("immediate_or_cancel", 60, now)).toBeNull();
    expect(expirationFor("fill_or_kill", 60, now)).toBeNull();
    expect(expirationFor("good_till_canceled", 0, now)).toBeNull();
  });

  test("due once less than half the TTL is left; the next due time skips orders already due", () => {
    const now = 1_000_000;
    const rows = [
      { id: 1, expiresAt: now + 40_000 },
      { id: 2, expiresAt: now + 30_000 },
      { id: 3, expiresAt: now + 10_000 },
      { id: 4, expiresAt: null },
    ];
    expect(dueForRenewal(rows, 60, now).map((r) => r.id)).toEqual([2, 3]);
    // The last cycle looked at renewals now: rows 2 and 3 were its business.
    expect(msUntilRenewal(rows, 60, now, now)).toBe(10_000);
    expect(msUntilRenewal([{ expiresAt: now + 5_000 }], 60, now, now)).toBeNull();
    expect(dueForRenewal(rows, 0, now)).toEqual([]);
    expect(msUntilRenewal(rows, 0, now, now)).toBeNull();
  });

  test("an order that came due after the last cycle's look is due at once: a pass or a cycle's own requests ending past its due time do not drop it", () => {
    // The cycle looked 2 s ago; since then row 2 came due (1 s ago), row 1 comes due in 10 s.
    const now = 1_000_000;
    const lookedAt = now - 2_000;
    const rows = [
      { expiresAt: now + 40_000 },
      { expiresAt: now + 29_000 },
      { expiresAt: now + 20_000 }, // due at the look already: that cycle renewed it or could not
    ];
    expect(msUntilRenewal(rows, 60, now, lookedAt)).toBe(0);
    expect(msUntilRenewal([rows[0]!, rows[2]!], 60, now, lookedAt)).toBe(10_000);
    // No cycle has looked yet (a pass before the first cycle's look): anything due is due now.
    expect(msUntilRenewal(rows, 60, now, Number.NEGATIVE_INFINITY)).toBe(0);
  });

  test("expired: canceled at or after its expiry by the exchange's own timestamp", () => {
    expect(expiredByTtl(5_000, 5_000, 0)).toBe(true);
    expect(expiredByTtl(5_000, 4_999, 0)).toBe(false);
    expect(expiredByTtl(null, 9_000, 9_000)).toBe(false);
    // A canceled order as the exchange reports it (reconciliation, and the lookup of a row whose
    // create was never answered): the ledger's expiry, else the exchange's.
    expect(canceledOrExpired({ expiresMs: 5_000, lastUpdateMs: 5_000 }, null)).toBe("expired");
    expect(canceledOrExpired({ expiresMs: null, lastUpdateMs: 6_000 }, 5_000)).toBe("expired");
    expect(canceledOrExpired({ expiresMs: 5_000, lastUpdateMs: 4_000 }, 5_000)).toBe("canceled");
    expect(canceledOrExpired({ expiresMs: 5_000, lastUpdateMs: null }, 5_000)).toBe("canceled");
    expect(canceledOrExpired({ expiresMs: null, lastUpdateMs: 9_000 }, null)).toBe("canceled");
  });
});

describe("default TTL per run mode", () => {
  const trading = (t: Record<string, unknown>) => configSchema.parse({ trading: t }).trading;
  test("60 s in the daemon and for --once that cancels at exit; three intervals (≥ 60 s) for --once that leaves its orders; explicit wins", () => {
    expect(resolveOrderTtlSeconds(trading({}), false)).toBe(60);
    expect(resolveOrderTtlSeconds(trading({}), true)).toBe(60);
    expect(resolveOrderTtlSeconds(trading({ cancel_on_exit: false, cycle_interval_seconds: 300 }), true)).toBe(900);
    expect(resolveOrderTtlSeconds(trading({ cancel_on_exit: false, cycle_interval_seconds: 5 }), true)).toBe(60);
    expect(resolveOrderTtlSeconds(trading({ order_ttl_seconds: 0 }), false)).toBe(0);
    expect(resolveOrderTtlSeconds(trading({ order_ttl_seconds: 15 }), true)).toBe(15);
  });
  test("a TTL of 1-4 s is refused with the fix", () => {
    const r = configSchema.safeParse({ trading: { order_ttl_seconds: 3 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toBe("expected 0 (no expiration) or at least 5 seconds");
  });
});
