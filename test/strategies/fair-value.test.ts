import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import { takerFee } from "../../src/kalshi/money.ts";
import {
  evaluateMarket,
  fairValueStrategy,
  kellyContracts,
  parseProbabilities,
  probabilityToPrice,
  resolveFairValueParams,
  type FairValueParams,
} from "../../src/strategies/fair-value.ts";
import { enabledStrategies, registry, STRATEGY_NAMES } from "../../src/strategies/index.ts";
import type { CreateIntent, MarketView } from "../../src/strategies/types.ts";
import { mapOf, market, portfolio } from "./helpers.ts";

// The source is fresh (written at nowMs 0) unless a test says otherwise.
const params = (probs: Record<string, number>, over: Record<string, unknown> = {}, asOfMs: number | null = 0): FairValueParams =>
  resolveFairValueParams(strategiesSchema.parse({ fair_value: over }).fair_value, new Map(Object.entries(probs)), asOfMs ?? undefined);

const run = (
  ms: MarketView[],
  p: FairValueParams,
  cashMicros = 50_000_000,
  positions: { ticker: string; position: number; costMicros: number }[] = [],
) =>
  fairValueStrategy.decide({
    markets: mapOf(ms),
    events: new Map(),
    portfolio: portfolio({ cashMicros, positions }),
    params: p,
    nowMs: 0,
  }) as CreateIntent[];

describe("fair_value", () => {
  test("buys YES when p − ask − fee > min_edge; hand-worked Kelly", () => {
    // p 0.62, ask 0.50, fee 0.0175 → edge 0.1025; c = 0.5175; f* = 0.1025/0.4825
    // k 0.25, cash $50 → stake 2.6554… → 5.13 contracts → 5
    const m = market("T", { yesAsk: 5000, yesBid: 4800 });
    const p = params({ T: 6200 });
    const c = evaluateMarket(m, 6200, p)!;
    expect(c).toMatchObject({ side: "bid", price: 5000, feePerContract: 17_500, edgePerContract: 102_500 });
    expect(kellyContracts(c, 50_000_000, 2_500)).toBe(500);
    const out = run([m], p);
    expect(out).toEqual([
      expect.objectContaining({ kind: "create", side: "bid", price: 5000, count: 500, timeInForce: "immediate_or_cancel" }),
    ]);
    expect(out[0]!.feeMicros).toBe(takerFee(5000, 500));
    expect(out[0]!.edgeMicros).toBe(1200 * 500 - takerFee(5000, 500));
  });

  test("caps: max_contracts, max_order_dollars, size at the touch, what is already held", () => {
    const m = market("T", { yesAsk: 5000, yesBid: 4800, yesAskSize: 10_000 });
    expect(run([m], params({ T: 6200 }, { max_contracts: 3 }), 1_000_000_000)[0]!.count).toBe(300);
    // $2: 3 × 0.50 + 0.0525 fits, 4 × 0.50 + 0.07 does not
    expect(run([m], params({ T: 6200 }, { max_order_dollars: "2" }), 1_000_000_000)[0]!.count).toBe(300);
    expect(run([{ ...m, yesAskSize: 200 }], params({ T: 6200 }))[0]!.count).toBe(200);
    expect(run([m], params({ T: 6200 }), 50_000_000, [{ ticker: "T", position: 300, costMicros: 1_500_000 }])[0]!.count).toBe(200);
    expect(run([m], params({ T: 6200 }), 50_000_000, [{ ticker: "T", position: 500, costMicros: 2_500_000 }])).toEqual([]);
  });

  test("buys NO when (1 − p) − noAsk − fee > min_edge", () => {
    // p 0.30, YES bid 0.45 → NO ask 0.55, NO prob 0.70, fee 0.0174 → edge 0.1326
    const m = market("T", { yesBid: 4500, yesAsk: 4700 });
    const c = evaluateMarket(m, 3000, params({ T: 3000 }))!;
    expect(c).toMatchObject({ side: "ask", price: 4500, legPrice: 5500, feePerContract: 17_400, edgePerContract: 132_600 });
    const out = run([m], params({ T: 3000 }));
    expect(out[0]).toMatchObject({ side: "ask", price: 4500 });
  });

  test("edge boundary: exactly min_edge is not enough, one ten-thousandth more is", () => {
    const m = market("T", { yesAsk: 5000, yesBid: 4000 });
    // 0.5675 − 0.50 − 0.0175 = 0.05
    expect(evaluateMarket(m, 5675, params({}))).toBeNull();
    expect(evaluateMarket(m, 5676, params({}))).not.toBeNull();
  });

  test("no trade: no probability, inactive, resting order of ours, kelly 0", () => {
    const m = market("T", { yesAsk: 5000, yesBid: 4800 });
    expect(run([m], params({ OTHER: 9000 }))).toEqual([]);
    expect(run([{ ...m, status: "closed" }], params({ T: 6200 }))).toEqual([]);
    expect(run([m], params({ T: 6200 }, { kelly_fraction: 0 }))).toEqual([]);
    const busy = fairValueStrategy.decide({
      markets: mapOf([m]),
      events: new Map(),
      params: params({ T: 6200 }),
      nowMs: 0,
      portfolio: portfolio({
        restingOrders: [
          { orderId: "o", clientOrderId: "c", ticker: "T", side: "bid", price: 5000, remaining: 100, strategy: "fair_value" },
        ],
      }),
    });
    expect(busy).toEqual([]);
  });

  test("property: Kelly size never exceeds cash, edge after fees stays above min_edge", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (askC, prob, cash, kE4) => {
          const m = market("T", {
            yesAsk: askC * 100,
            yesBid: Math.max(100, askC * 100 - 200),
            yesAskSize: 1_000_000,
            yesBidSize: 1_000_000,
          });
          const p = {
            ...params({ T: prob }, { max_contracts: 100_000, max_order_dollars: "1000000", max_event_dollars: "100000000" }),
            kellyE4: kE4,
          };
          for (const i of run([m], p, cash)) {
            const lp = i.side === "bid" ? i.price : 10_000 - i.price;
            expect(lp * i.count + takerFee(lp, i.count)).toBeLessThanOrEqual(cash);
            expect(i.edgeMicros!).toBeGreaterThan(p.minEdge * i.count);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

describe("probability file", () => {
  test("numbers and strings to exact Price", () => {
    const m = parseProbabilities('{"A": 0.62, "B": "0.15", "C": 1, "D": 0, "E": 0.12345, "F": "0.99995", "G": 0.30000000000000004}');
    expect(Object.fromEntries(m)).toEqual({ A: 6200, B: 1500, C: 10_000, D: 0, E: 1235, F: 10_000, G: 3000 });
    expect(probabilityToPrice("0.5")).toBe(5000);
    expect(probabilityToPrice("1.00001")).toBeNull();
  });

  test("errors are readable", () => {
    expect(() => parseProbabilities("{not json")).toThrow(/not valid JSON/);
    expect(() => parseProbabilities('{"A": 1.5}')).toThrow(/A: expected a probability/);
    expect(() => parseProbabilities('{"A": "abc"}')).toThrow(/A:/);
    expect(() => parseProbabilities("[0.5]")).toThrow();
    expect(() => parseProbabilities('{"A": -0.1}')).toThrow();
  });
});

describe("registry", () => {
  test("defaults enable event_arbitrage only (market_maker ships disabled); params resolved to integers", () => {
    expect(enabledStrategies(strategiesSchema.parse({})).map((s) => s.name)).toEqual(["event_arbitrage"]);
    const on = enabledStrategies(strategiesSchema.parse({ market_maker: { enabled: true } }));
    expect(on.map((s) => s.name)).toEqual(["event_arbitrage", "market_maker"]);
    expect(STRATEGY_NAMES).toEqual(["event_arbitrage", "market_maker", "fair_value"]);
    for (const s of on) expect(s.strategy).toBe(registry[s.name].strategy);
  });

  test("fair_value gets the loaded probabilities", () => {
    const cfg = strategiesSchema.parse({ fair_value: { enabled: true, source: "p.json" } });
    const fv = enabledStrategies(cfg, { probabilities: new Map([["T", 6200]]) }).find((s) => s.name === "fair_value")!;
    expect((fv.params as FairValueParams).probabilities.get("T")).toBe(6200);
    expect((fv.params as FairValueParams).kellyE4).toBe(2_500);
  });
});

describe("fair_value: issue 16", () => {
  const m = market("T", { yesAsk: 5000, yesBid: 4800, yesAskSize: 10_000, eventTicker: "EV" });
  const decideAt = (p: FairValueParams, nowMs: number, pf = portfolio({ cashMicros: 50_000_000 }), ms: MarketView[] = [m]) =>
    fairValueStrategy.decide({ markets: mapOf(ms), events: new Map(), portfolio: pf, params: p, nowMs }) as CreateIntent[];

  test("staleness: no trades on a source older than max_source_age_minutes, or of unknown age", () => {
    const p = params({ T: 6200 }, { max_source_age_minutes: 60 }, 1_000_000);
    expect(decideAt(p, 1_000_000 + 60 * 60_000)).toHaveLength(1);
    expect(decideAt(p, 1_000_000 + 60 * 60_000 + 1)).toEqual([]);
    expect(decideAt(params({ T: 6200 }, {}, null), 0)).toEqual([]);
  });

  test("Kelly on equity, not free cash: $10 cash but $50 equity sizes like $50", () => {
    const p = params({ T: 6200 });
    expect(decideAt(p, 0, portfolio({ cashMicros: 10_000_000 }))[0]!.count).toBe(100);
    expect(decideAt(p, 0, { ...portfolio({ cashMicros: 10_000_000 }), equityMicros: 50_000_000 })[0]!.count).toBe(500);
  });

  test("cap per event: cost held in the event's markets plus the order stays within max_event_dollars", () => {
    const other = market("U", { eventTicker: "EV", yesAsk: 9000, yesBid: 8900 });
    const p = params({ T: 6200 }, { max_event_dollars: "3", max_contracts: 100 });
    // $1.00 already in U (same event): room $2.00 → 4 contracts at 0.50.
    const pf = portfolio({ cashMicros: 50_000_000, positions: [{ ticker: "U", position: 100, costMicros: 1_000_000 }] });
    expect(decideAt(p, 0, pf, [m, other])[0]!.count).toBe(400);
    // The same holding in another event does not count.
    const elsewhere = market("U", { eventTicker: "EV2", yesAsk: 9000, yesBid: 8900 });
    expect(decideAt(p, 0, pf, [m, elsewhere])[0]!.count).toBe(500);
  });
});
