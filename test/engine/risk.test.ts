import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { riskSchema } from "../../src/config/risk-schema.ts";
import { PRICE_ONE, takerFee } from "../../src/kalshi/money.ts";
import {
  applyIntent,
  emptyRiskSnapshot,
  evaluateIntent,
  evaluateIntents,
  eventExposureMicros,
  fromRiskRow,
  legPrice,
  nextRiskState,
  ordersInLastMinute,
  resetHalt,
  resolveRiskLimits,
  toRiskRow,
  totalExposureMicros,
  tradingDay,
  type ResolvedRiskLimits,
  type RiskSnapshot,
} from "../../src/engine/risk.ts";
import type { BookSide, CreateIntent, Intent } from "../../src/strategies/types.ts";

const limits = (over: Record<string, unknown> = {}): ResolvedRiskLimits => resolveRiskLimits(riskSchema.parse(over));
const T0 = Date.UTC(2026, 2, 10, 15, 0, 0); // 11:00 New York

const create = (over: Partial<CreateIntent> = {}): CreateIntent => ({
  kind: "create",
  strategy: "t",
  ticker: "A",
  eventTicker: "E1",
  side: "bid",
  price: 5000,
  count: 100,
  timeInForce: "good_till_canceled",
  postOnly: false,
  reduceOnly: false,
  reason: "test",
  ...over,
});
const snap = (over: Partial<RiskSnapshot> = {}): RiskSnapshot => ({
  ...emptyRiskSnapshot(T0, { cashMicros: 1_000_000_000, equityMicros: 1_000_000_000 }),
  ...over,
});

describe("limits resolve to integers", () => {
  test("defaults", () => {
    const L = limits();
    expect(L).toMatchObject({
      maxContractsPerOrder: 1000,
      maxPositionPerMarket: 2500,
      maxOrderMicros: 10_000_000,
      maxDrawdownE4: 2000,
      reduceAtE4: 8000,
      minPrice: 200,
      maxPrice: 9800,
    });
  });
  test("trading day follows the timezone and DST", () => {
    expect(tradingDay(Date.UTC(2026, 0, 1, 4, 59), "America/New_York")).toBe("2025-12-31");
    expect(tradingDay(Date.UTC(2026, 0, 1, 5, 0), "America/New_York")).toBe("2026-01-01");
    expect(tradingDay(Date.UTC(2026, 6, 1, 3, 59), "America/New_York")).toBe("2026-06-30");
    expect(tradingDay(Date.UTC(2026, 6, 1, 4, 0), "America/New_York")).toBe("2026-07-01");
  });
});

describe("evaluateIntent: hand-worked", () => {
  test("allow within limits", () => {
    expect(evaluateIntent(create(), snap(), limits(), T0).verdict).toBe("allow");
  });
  test("contracts per order: resize to the cap", () => {
    const v = evaluateIntent(create({ count: 1500, price: 500 }), snap(), limits(), T0);
    expect(v).toMatchObject({ verdict: "resize", count: 1000 });
  });
  test("dollars per order include the fee: $10 at 0.50 allows 19 contracts", () => {
    // 19 × 0.50 + fee(19 @ 0.50) = 9.50 + 0.3325 ≤ 10; 20 → 10.35
    const v = evaluateIntent(create({ count: 2000 }), snap(), limits({ max_contracts_per_order: 100 }), T0);
    expect(v).toMatchObject({ verdict: "resize", count: 1900 });
  });
  test("price band", () => {
    expect(evaluateIntent(create({ price: 100 }), snap(), limits(), T0).verdict).toBe("reject");
    expect(evaluateIntent(create({ price: 9900, side: "ask" }), snap(), limits(), T0).verdict).toBe("reject");
    expect(evaluateIntent(create({ price: 200 }), snap(), limits(), T0).verdict).toBe("allow");
  });
  test("position per market counts resting orders on the same side", () => {
    const s = snap({
      positions: { A: { eventTicker: "E1", position: 2000, costMicros: 0 } },
      resting: [{ orderId: "r", ticker: "A", eventTicker: "E1", side: "bid", price: 4000, remaining: 300 }],
    });
    expect(evaluateIntent(create({ price: 1000, count: 500 }), s, limits(), T0)).toMatchObject({ verdict: "resize", count: 200 });
    expect(evaluateIntent(create({ price: 1000, count: 500, side: "ask" }), s, limits(), T0).verdict).toBe("allow");
  });
  test("event and total exposure: cost basis + resting collateral (NO leg at 1 − p)", () => {
    const s = snap({
      positions: { A: { eventTicker: "E1", position: 1000, costMicros: 40_000_000 } },
      resting: [{ orderId: "r", ticker: "B", eventTicker: "E1", side: "ask", price: 7000, remaining: 1000 }],
    });
    expect(eventExposureMicros(s, "E1")).toBe(43_000_000);
    // $7 left in the event: 0.50 each → 14 contracts by exposure, but $10/order → 19; per order 10 → 10
    expect(
      evaluateIntent(create({ ticker: "C", count: 2000 }), s, limits({ max_contracts_per_order: 100, max_order_dollars: "100" }), T0),
    ).toMatchObject({ verdict: "resize", count: 1400 });
    expect(totalExposureMicros(s)).toBe(43_000_000);
  });
  test("closing orders lock nothing and pass exposure even at the limit", () => {
    const s = snap({ positions: { A: { eventTicker: "E1", position: 1000, costMicros: 50_000_000 } } });
    expect(evaluateIntent(create({ side: "ask", price: 6000, count: 1000 }), s, limits(), T0).verdict).toBe("allow");
    expect(evaluateIntent(create({ side: "bid", price: 6000, count: 100 }), s, limits(), T0).verdict).toBe("reject");
  });
  test("cash after resting orders and reserve", () => {
    const s = snap({ cashMicros: 5_000_000 });
    // $5 − $1 reserve = $4: n × 0.50 + fee ≤ 4 → 7 contracts (3.50 + 0.1225)
    expect(evaluateIntent(create({ count: 1000 }), s, limits({ min_cash_reserve_dollars: "1" }), T0)).toMatchObject({
      verdict: "resize",
      count: 700,
    });
  });
  test("orders per minute: sliding window", () => {
    const times = Array.from({ length: 30 }, (_, i) => T0 - 59_000 + i);
    expect(evaluateIntent(create(), snap({ recentOrderTimesMs: times }), limits(), T0).verdict).toBe("reject");
    expect(evaluateIntent(create(), snap({ recentOrderTimesMs: times }), limits(), T0 + 1_001).verdict).toBe("allow");
  });
  test("halted: nothing but cancels", () => {
    const s = snap({ state: "halted", reason: "daily loss" });
    expect(evaluateIntent(create(), s, limits(), T0).verdict).toBe("reject");
    expect(evaluateIntent({ kind: "cancel", strategy: "t", ticker: "A", orderId: "x", reason: "r" }, s, limits(), T0).verdict).toBe(
      "allow",
    );
  });
  test("reducing: only what shrinks |position|", () => {
    const s = snap({ state: "reducing", positions: { A: { eventTicker: "E1", position: 500, costMicros: 2_500_000 } } });
    expect(evaluateIntent(create({ side: "bid" }), s, limits(), T0).verdict).toBe("reject");
    expect(evaluateIntent(create({ side: "ask", count: 800 }), s, limits(), T0)).toMatchObject({ verdict: "resize", count: 500 });
  });
  test("amend judged as the replacement order; unknown order rejected", () => {
    const s = snap({ resting: [{ orderId: "o", ticker: "A", eventTicker: "E1", side: "bid", price: 5000, remaining: 1000, filled: 200 }] });
    const a: Intent = { kind: "amend", strategy: "t", ticker: "A", orderId: "o", side: "bid", price: 5100, count: 1500, reason: "r" };
    expect(evaluateIntent(a, s, limits({ max_order_dollars: "100" }), T0)).toMatchObject({ verdict: "resize", count: 1200 });
    expect(evaluateIntent({ ...a, orderId: "nope" }, s, limits(), T0).verdict).toBe("reject");
  });
  test("a set passes or fails together and at one size", () => {
    // Leg B is dearer: $1 per order allows 2 contracts at 0.45 (0.90 + fee 0.04), 3 at 0.30.
    const legs = ["A", "B", "C"].map((t) =>
      create({ ticker: t, price: t === "B" ? 4500 : 3000, count: 500, groupKey: "g", timeInForce: "fill_or_kill" }),
    );
    const r = evaluateIntents(legs, snap(), limits({ max_order_dollars: "1" }), T0);
    expect(r.verdicts.map((v) => v.verdict)).toEqual([0, 1, 2].map(() => expect.objectContaining({ verdict: "resize", count: 200 })));
    const broke = evaluateIntents(legs, snap(), limits({ max_order_dollars: "0.4" }), T0);
    expect(broke.verdicts.every((v) => v.verdict.verdict === "reject")).toBe(true);
  });

  test("issue 16: a whole set is hedged, so the per-market cap does not shrink it; a lone leg it does", () => {
    const legs = ["A", "B", "C"].map((t) => create({ ticker: t, price: 3000, count: 500, groupKey: "g", timeInForce: "fill_or_kill" }));
    const s = snap({ positions: { B: { eventTicker: "E1", position: 2300, costMicros: 0 } } });
    expect(evaluateIntents(legs, s, limits(), T0).verdicts.every((v) => v.verdict.verdict === "allow")).toBe(true);
    expect(evaluateIntent(create({ ticker: "B", count: 500 }), s, limits(), T0)).toMatchObject({ verdict: "resize", count: 200 });
    // Held contracts marked hedged do not count either; the naked rest does.
    const h = snap({ positions: { B: { eventTicker: "E1", position: 2300, costMicros: 0, hedged: 2000 } } });
    expect(evaluateIntent(create({ ticker: "B", count: 500 }), h, limits(), T0).verdict).toBe("allow");
    expect(
      evaluateIntent(create({ ticker: "B", count: 2300 }), h, limits({ max_contracts_per_order: 100, max_order_dollars: "100" }), T0),
    ).toMatchObject({ verdict: "resize", count: 2200 });
  });
});

describe("state transitions", () => {
  const L = limits({ max_daily_loss_dollars: "25", max_drawdown_pct: 50 });
  test("day start, reducing at 80 %, halted at the limit, sticky across days, reset by operator", () => {
    let s = nextRiskState(snap({ equityMicros: 100_000_000 }), L, T0);
    expect(s).toMatchObject({ state: "active", day: "2026-03-10", dayStartEquityMicros: 100_000_000, highWaterMicros: 100_000_000 });
    s = nextRiskState({ ...s, equityMicros: 80_000_000 }, L, T0 + 1000);
    expect(s.state).toBe("reducing");
    s = nextRiskState({ ...s, equityMicros: 90_000_000 }, L, T0 + 2000);
    expect(s.state).toBe("active");
    s = nextRiskState({ ...s, equityMicros: 75_000_000 }, L, T0 + 3000);
    expect(s.state).toBe("halted");
    expect(s.reason).toMatch(/daily loss \$25.00/);
    s = nextRiskState({ ...s, equityMicros: 100_000_000 }, L, T0 + 86_400_000);
    expect(s.state).toBe("halted");
    const back = fromRiskRow(
      JSON.parse(JSON.stringify(toRiskRow(s))),
      { cashMicros: 0, equityMicros: 100_000_000, positions: {}, resting: [], recentOrderTimesMs: [] },
      T0 + 86_400_001,
    );
    expect(nextRiskState(back, L, T0 + 86_400_002).state).toBe("halted");
    const r = nextRiskState(resetHalt(back, L, T0 + 86_400_003), L, T0 + 86_400_004);
    expect(r.state).toBe("active");
  });
  test("drawdown from the high-water mark halts", () => {
    const L2 = limits({ max_daily_loss_dollars: "0", max_drawdown_pct: 10 });
    let s = nextRiskState(snap({ equityMicros: 200_000_000 }), L2, T0);
    s = nextRiskState({ ...s, equityMicros: 181_000_000 }, L2, T0 + 86_400_000 * 3);
    expect(s.state).toBe("reducing");
    s = nextRiskState({ ...s, equityMicros: 180_000_000 }, L2, T0 + 86_400_000 * 3);
    expect(s.state).toBe("halted");
    expect(s.reason).toMatch(/drawdown/);
  });
  test("a new day rebases the daily loss", () => {
    let s = nextRiskState(snap({ equityMicros: 100_000_000 }), L, T0);
    s = nextRiskState({ ...s, equityMicros: 79_000_000 }, L, T0);
    expect(s.state).toBe("reducing");
    s = nextRiskState(s, L, T0 + 86_400_000);
    expect(s).toMatchObject({ state: "active", day: "2026-03-11", dayStartEquityMicros: 79_000_000 });
  });
});

// ---- properties over random intent sequences with fills and restarts ----

type Op =
  | { t: "create"; ticker: number; side: BookSide; price: number; count: number; reduceOnly: boolean; group: boolean }
  | { t: "amend"; pick: number; price: number; count: number }
  | { t: "cancel"; pick: number }
  | { t: "fill"; pick: number; frac: number }
  | { t: "equity"; delta: number }
  | { t: "wait"; ms: number }
  | { t: "restart" };

const TICKERS = [
  ["A", "E1"],
  ["B", "E1"],
  ["C", "E2"],
  ["D", "E2"],
] as const;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("create" as const),
      ticker: fc.integer({ min: 0, max: 3 }),
      side: fc.constantFrom<BookSide>("bid", "ask"),
      price: fc.integer({ min: 1, max: 99 }).map((c) => c * 100),
      count: fc.integer({ min: 1, max: 30 }).map((c) => c * 100),
      reduceOnly: fc.boolean(),
      group: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("amend" as const),
      pick: fc.nat(),
      price: fc.integer({ min: 1, max: 99 }).map((c) => c * 100),
      count: fc.integer({ min: 1, max: 30 }).map((c) => c * 100),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("fill" as const), pick: fc.nat(), frac: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("equity" as const), delta: fc.integer({ min: -8_000_000, max: 5_000_000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: "restart" as const }) },
);

/** A fill at the order's price, booked like the exchange (closing contracts net to $1). */
function fill(s: RiskSnapshot, idx: number, frac: number): RiskSnapshot {
  const o = s.resting[idx];
  if (!o) return s;
  const q = Math.max(100, Math.floor(o.remaining / frac / 100) * 100);
  const n = Math.min(q, o.remaining);
  const lp = legPrice(o.side, o.price);
  const p = s.positions[o.ticker] ?? { eventTicker: o.eventTicker, position: 0, costMicros: 0 };
  const dir = o.side === "bid" ? 1 : -1;
  const opposite = p.position * dir < 0 ? Math.abs(p.position) : 0;
  const closing = Math.min(n, opposite);
  let cost = p.costMicros;
  let pos = p.position;
  let cash = s.cashMicros;
  if (closing > 0) {
    const basis = Math.round((cost * closing) / opposite);
    cost -= basis;
    pos += dir * closing;
    cash += (PRICE_ONE - lp) * closing; // the pair pays $1; the collateral of closing contracts was never locked
  }
  if (n - closing > 0) {
    pos += dir * (n - closing);
    cost += lp * (n - closing);
  }
  const resting = s.resting.map((r, i) => (i === idx ? { ...r, remaining: r.remaining - n } : r)).filter((r) => r.remaining > 0);
  return {
    ...s,
    cashMicros: cash,
    positions: { ...s.positions, [o.ticker]: { eventTicker: o.eventTicker, position: pos, costMicros: cost } },
    resting,
  };
}

describe("properties: no limit is ever exceeded, across restarts", () => {
  test("random sequences", () => {
    const L = limits({
      max_contracts_per_order: 8,
      max_position_per_market: 15,
      max_event_exposure_dollars: "12",
      max_total_exposure_dollars: "20",
      max_order_dollars: "5",
      max_daily_loss_dollars: "10",
      max_drawdown_pct: 15,
      max_orders_per_minute: 6,
      min_cash_reserve_dollars: "2",
    });
    const stats = { allow: 0, resize: 0, reject: 0, fills: 0, halted: 0, reducing: 0 };
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 120 }), fc.integer({ min: 5_000_000, max: 60_000_000 }), (ops, cash0) => {
        let now = T0;
        let s = nextRiskState(emptyRiskSnapshot(now, { cashMicros: cash0, equityMicros: cash0 }), L, now);
        const sent: number[] = [];
        let seq = 0;
        // Contracts sent as legs of whole sets (they skip the per-market cap: issue 16); only they may
        // take a market beyond it.
        const setSent = new Map<string, number>();
        const check = (x: RiskSnapshot) => {
          for (const [t] of TICKERS) {
            const pos = x.positions[t]?.position ?? 0;
            const bids = x.resting.filter((o) => o.ticker === t && o.side === "bid").reduce((a, o) => a + o.remaining, 0);
            const asks = x.resting.filter((o) => o.ticker === t && o.side === "ask").reduce((a, o) => a + o.remaining, 0);
            expect(pos + bids).toBeLessThanOrEqual(L.maxPositionPerMarket + (setSent.get(`${t}:bid`) ?? 0));
            expect(pos - asks).toBeGreaterThanOrEqual(-L.maxPositionPerMarket - (setSent.get(`${t}:ask`) ?? 0));
          }
          expect(x.cashMicros).toBeGreaterThanOrEqual(L.minCashReserveMicros);
        };
        for (const op of ops) {
          // Serialise between every step, as the engine's persistence would.
          s = JSON.parse(JSON.stringify(s)) as RiskSnapshot;
          const before = s;
          const send = (intents: Intent[]) => {
            const r = evaluateIntents(intents, s, L, now);
            for (const { intent, verdict } of r.verdicts) {
              stats[verdict.verdict]++;
              if (verdict.verdict === "reject") continue;
              if (s.state === "halted") expect(intent.kind).toBe("cancel");
              if (intent.kind === "create") {
                const n = verdict.verdict === "resize" ? verdict.count : intent.count;
                if (intent.groupKey)
                  setSent.set(`${intent.ticker}:${intent.side}`, (setSent.get(`${intent.ticker}:${intent.side}`) ?? 0) + n);
                expect(n).toBeGreaterThan(0);
                expect(n).toBeLessThanOrEqual(L.maxContractsPerOrder);
                const lp = legPrice(intent.side, intent.price);
                expect(lp * n + takerFee(lp, n)).toBeLessThanOrEqual(L.maxOrderMicros);
                expect(intent.price).toBeGreaterThanOrEqual(L.minPrice);
                expect(intent.price).toBeLessThanOrEqual(L.maxPrice);
                if (s.state === "reducing") {
                  const pos = s.positions[intent.ticker]?.position ?? 0;
                  const same = s.resting
                    .filter((o) => o.ticker === intent.ticker && o.side === intent.side)
                    .reduce((a, o) => a + o.remaining, 0);
                  // Even if every reducing order fills, |position| does not grow.
                  if (intent.side === "bid") expect(pos + same + n).toBeLessThanOrEqual(0);
                  else expect(pos - same - n).toBeGreaterThanOrEqual(0);
                }
              }
              if (intent.kind !== "cancel") sent.push(now);
            }
            // Exposure never rises above a limit because of an order.
            for (const e of ["E1", "E2"]) {
              const after = eventExposureMicros(r.snapshot, e);
              if (after > eventExposureMicros(s, e)) expect(after).toBeLessThanOrEqual(L.maxEventExposureMicros);
            }
            if (totalExposureMicros(r.snapshot) > totalExposureMicros(s))
              expect(totalExposureMicros(r.snapshot)).toBeLessThanOrEqual(L.maxTotalExposureMicros);
            s = r.snapshot;
          };
          switch (op.t) {
            case "create": {
              const [ticker, ev] = TICKERS[op.ticker]!;
              if (op.group) {
                const peer = TICKERS[op.ticker ^ 1]!;
                send([
                  create({ ticker, eventTicker: ev, side: op.side, price: op.price, count: op.count, groupKey: `g${seq}` }),
                  create({ ticker: peer[0], eventTicker: peer[1], side: op.side, price: op.price, count: op.count, groupKey: `g${seq}` }),
                ]);
              } else {
                send([create({ ticker, eventTicker: ev, side: op.side, price: op.price, count: op.count, reduceOnly: op.reduceOnly })]);
              }
              seq++;
              break;
            }
            case "amend": {
              const o = s.resting[op.pick % Math.max(1, s.resting.length)];
              if (o)
                send([
                  {
                    kind: "amend",
                    strategy: "t",
                    ticker: o.ticker,
                    orderId: o.orderId,
                    side: o.side,
                    price: op.price,
                    count: op.count + (o.filled ?? 0),
                    reason: "p",
                  },
                ]);
              break;
            }
            case "cancel": {
              const o = s.resting[op.pick % Math.max(1, s.resting.length)];
              if (o) send([{ kind: "cancel", strategy: "t", ticker: o.ticker, orderId: o.orderId, reason: "p" }]);
              break;
            }
            case "fill":
              if (s.resting.length > 0) stats.fills++;
              s = fill(s, op.pick % Math.max(1, s.resting.length), op.frac);
              break;
            case "equity":
              s = { ...s, equityMicros: s.equityMicros + op.delta };
              break;
            case "wait":
              now += op.ms;
              break;
            case "restart": {
              // Only the risk_state row survives; the portfolio is rebuilt from the exchange/ledger.
              const row = JSON.parse(JSON.stringify(toRiskRow(s)));
              s = fromRiskRow(
                row,
                {
                  cashMicros: s.cashMicros,
                  equityMicros: s.equityMicros,
                  positions: s.positions,
                  resting: s.resting,
                  recentOrderTimesMs: s.recentOrderTimesMs,
                },
                now,
              );
              expect(s.state).toBe(before.state);
              break;
            }
          }
          const prevState = s.state;
          s = nextRiskState(s, L, now);
          if (s.state === "halted") stats.halted++;
          if (s.state === "reducing") stats.reducing++;
          if (prevState === "halted") expect(s.state).toBe("halted");
          check(s);
          // Orders per minute, over the whole history.
          const inWindow = sent.filter((t) => t > now - 60_000 && t <= now).length;
          expect(inWindow).toBeLessThanOrEqual(L.maxOrdersPerMinute);
          expect(ordersInLastMinute(s, now)).toBeLessThanOrEqual(L.maxOrdersPerMinute);
        }
      }),
      { numRuns: 1_500 },
    );
    // The run must exercise every path, not reject its way to a vacuous pass.
    for (const k of Object.keys(stats) as Array<keyof typeof stats>) expect(stats[k]).toBeGreaterThan(100);
  });

  test("halted allows nothing but cancels, whatever the intent", () => {
    fc.assert(
      fc.property(opArb, fc.integer({ min: 1, max: 99 }), (op, c) => {
        const s = snap({
          state: "halted",
          reason: "x",
          resting: [{ orderId: "o", ticker: "A", eventTicker: "E1", side: "bid", price: 5000, remaining: 100 }],
        });
        const intents: Intent[] = [
          create({ price: c * 100 }),
          create({ side: "ask", price: c * 100, reduceOnly: true }),
          { kind: "amend", strategy: "t", ticker: "A", orderId: "o", side: "bid", price: c * 100, count: 100, reason: "r" },
        ];
        for (const i of intents) expect(evaluateIntent(i, s, limits(), T0).verdict).toBe("reject");
        expect(evaluateIntent({ kind: "cancel", strategy: "t", ticker: "A", orderId: "o", reason: "r" }, s, limits(), T0).verdict).toBe(
          "allow",
        );
        void op;
      }),
      { numRuns: 500 },
    );
  });
});

void applyIntent;
