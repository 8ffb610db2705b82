import { describe, expect, test } from "bun:test";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import { takerFee } from "../../src/kalshi/money.ts";
import {
  eventArbitrage,
  findArbitrage,
  repairArbSet,
  resolveEventArbitrageParams,
  type EventArbitrageParams,
} from "../../src/strategies/event-arbitrage.ts";
import type { CreateIntent, MarketView } from "../../src/strategies/types.ts";
import { event, eventsOf, mapOf, market, portfolio } from "./helpers.ts";

const params = (over: Record<string, unknown> = {}): EventArbitrageParams =>
  resolveEventArbitrageParams(strategiesSchema.parse({ event_arbitrage: over }).event_arbitrage);

function threeLegs(asks: number[], over: Partial<MarketView> = {}, sizes: number[] = [1000, 1000, 1000]) {
  const ms = asks.map((a, i) => market(`M${i}`, { yesAsk: a, yesAskSize: sizes[i] ?? 1000, yesBid: a - 500, yesBidSize: 1000, ...over }));
  return {
    markets: mapOf(ms),
    ev: event(
      "EV",
      ms.map((m) => m.ticker),
    ),
  };
}

describe("event_arbitrage: YES sets", () => {
  test("hand-worked: 3 × 0.30 asks, fee 0.0147 per leg, edge 0.0559 per set", () => {
    expect(takerFee(3000, 100)).toBe(14_700);
    const { markets, ev } = threeLegs([3000, 3000, 3000]);
    const o = findArbitrage(ev, markets, params({ min_edge_dollars: "0.0559", max_sets: 1 }));
    expect(o).not.toBeNull();
    expect(o!.direction).toBe("yes");
    expect(o!.count).toBe(100);
    expect(o!.costMicros).toBe(900_000);
    expect(o!.feeMicros).toBe(44_100);
    expect(o!.edgeMicros).toBe(55_900);
  });

  test("the fee boundary: min_edge one ten-thousandth above the edge finds nothing", () => {
    const { markets, ev } = threeLegs([3000, 3000, 3000]);
    expect(findArbitrage(ev, markets, params({ min_edge_dollars: "0.0560", max_sets: 1 }))).toBeNull();
  });

  test("sum below $1 but fees eat it: 0.49 + 0.49 has no edge", () => {
    const ms = [market("A", { yesAsk: 4900, yesBid: 4000 }), market("B", { yesAsk: 4900, yesBid: 4000 })];
    expect(findArbitrage(event("EV", ["A", "B"]), mapOf(ms), params({ min_edge_dollars: "0" }))).toBeNull();
  });

  test("sized by the thinnest leg and max_sets, whole contracts", () => {
    const { markets, ev } = threeLegs([3000, 3000, 3000], {}, [700, 300, 900]);
    expect(findArbitrage(ev, markets, params({ max_sets: 5 }))!.count).toBe(300);
    expect(findArbitrage(ev, markets, params({ max_sets: 2 }))!.count).toBe(200);
    const thin = threeLegs([3000, 3000, 3000], {}, [700, 250, 900]);
    expect(findArbitrage(thin.ev, thin.markets, params({ max_sets: 5 }))!.count).toBe(200);
    const tiny = threeLegs([3000, 3000, 3000], {}, [700, 50, 900]);
    expect(findArbitrage(tiny.ev, tiny.markets, params())).toBeNull();
  });

  test("fees are per leg on the whole count: 5 sets edge = 5 × per-set edge here", () => {
    const { markets, ev } = threeLegs([3000, 3000, 3000]);
    const o = findArbitrage(ev, markets, params({ max_sets: 5 }))!;
    expect(o.count).toBe(500);
    expect(o.feeMicros).toBe(3 * takerFee(3000, 500));
    expect(o.edgeMicros).toBe(500_000 - 3 * takerFee(3000, 500));
  });

  test("fee multiplier applies", () => {
    const half = threeLegs([3000, 3000, 3000], { feeMultiplierE4: 5_000 });
    const o = findArbitrage(half.ev, half.markets, params({ max_sets: 1 }))!;
    expect(o.feeMicros).toBe(3 * 7_400); // 0.00735 rounded up to 0.0074
  });

  test("intents: one FOK bid per leg at the ask, shared groupKey", () => {
    const { markets, ev } = threeLegs([3000, 3000, 3000]);
    const intents = eventArbitrage.decide({
      markets,
      events: eventsOf([ev]),
      portfolio: portfolio(),
      params: params({ max_sets: 2 }),
      nowMs: 1_000,
    });
    expect(intents).toHaveLength(3);
    const keys = new Set(intents.map((i) => (i as CreateIntent).groupKey));
    expect(keys.size).toBe(1);
    for (const i of intents as CreateIntent[]) {
      expect(i).toMatchObject({ kind: "create", side: "bid", price: 3000, count: 200, timeInForce: "fill_or_kill", postOnly: false });
    }
    expect((intents as CreateIntent[]).reduce((a, i) => a + (i.edgeMicros ?? 0), 0)).toBe(
      findArbitrage(ev, markets, params({ max_sets: 2 }))!.edgeMicros,
    );
  });

  test("skips: inactive leg, a leg without an ask, not mutually exclusive, a market missing, a set in flight", () => {
    const p = params();
    const base = threeLegs([3000, 3000, 3000]);
    const inactive = new Map(base.markets);
    inactive.set("M1", { ...inactive.get("M1")!, status: "closed" });
    expect(findArbitrage(base.ev, inactive, p)).toBeNull();
    const noAsk = new Map(base.markets);
    noAsk.set("M2", { ...noAsk.get("M2")!, yesAsk: null, yesAskSize: 0, yesBid: null, yesBidSize: 0 });
    expect(findArbitrage(base.ev, noAsk, p)).toBeNull();
    expect(findArbitrage({ ...base.ev, mutuallyExclusive: false }, base.markets, p)).toBeNull();
    expect(findArbitrage({ ...base.ev, marketTickers: [...base.ev.marketTickers, "GONE"] }, base.markets, p)).toBeNull();
    const busy = portfolio({
      restingOrders: [
        { orderId: "o", clientOrderId: "c", ticker: "M0", side: "bid", price: 3000, remaining: 100, strategy: "event_arbitrage" },
      ],
    });
    expect(eventArbitrage.decide({ markets: base.markets, events: eventsOf([base.ev]), portfolio: busy, params: p, nowMs: 0 })).toEqual([]);
  });

  test("off-grid top of book is not traded", () => {
    const { markets, ev } = threeLegs([3000, 3050, 3000]);
    expect(findArbitrage(ev, markets, params())).toBeNull();
  });
});

describe("event_arbitrage: NO sets", () => {
  test("hand-worked: bids 0.40 × 3 → NO asks 0.60, sum 1.80 < 2, fee 0.0168 per leg", () => {
    const ms = [0, 1, 2].map((i) => market(`N${i}`, { yesBid: 4000, yesAsk: 4200, yesBidSize: 300 }));
    const ev = event(
      "EV",
      ms.map((m) => m.ticker),
    );
    const o = findArbitrage(ev, mapOf(ms), params({ max_sets: 1 }))!;
    expect(o.direction).toBe("no");
    expect(o.costMicros).toBe(1_800_000);
    expect(o.feeMicros).toBe(3 * 16_800);
    expect(o.payoutMicros).toBe(2_000_000);
    expect(o.edgeMicros).toBe(149_600);
    const intents = eventArbitrage.decide({
      markets: mapOf(ms),
      events: eventsOf([ev]),
      portfolio: portfolio(),
      params: params({ max_sets: 5 }),
      nowMs: 7,
    });
    expect(intents).toHaveLength(3);
    for (const i of intents as CreateIntent[]) expect(i).toMatchObject({ side: "ask", price: 4000, count: 300 });
  });

  test("no_side off disables it", () => {
    const ms = [0, 1, 2].map((i) => market(`N${i}`, { yesBid: 4000, yesAsk: 4200 }));
    expect(
      findArbitrage(
        event(
          "EV",
          ms.map((m) => m.ticker),
        ),
        mapOf(ms),
        params({ no_side: false }),
      ),
    ).toBeNull();
  });
});

describe("repairArbSet", () => {
  const legs = (filled: number[], side: "bid" | "ask" = "bid") => ({
    groupKey: "g",
    eventTicker: "EV",
    legs: filled.map((f, i) => ({ ticker: `M${i}`, side, filled: f })),
  });

  test("balanced sets are done", () => {
    const { markets } = threeLegs([3000, 3000, 3000]);
    expect(repairArbSet(legs([100, 100, 100]), markets).action).toBe("done");
    expect(repairArbSet(legs([0, 0, 0]), markets).action).toBe("done");
  });

  test("completes when buying the missing leg is worth more than selling the others", () => {
    const { markets } = threeLegs([3000, 3000, 3000]); // bids 0.25
    const r = repairArbSet(legs([100, 100, 0]), markets);
    expect(r.action).toBe("complete");
    expect(r.intents).toHaveLength(1);
    expect(r.intents[0]).toMatchObject({ ticker: "M2", side: "bid", price: 3000, count: 100, reduceOnly: false, groupKey: "g" });
    expect(r.valueMicros).toBe(1_000_000 - 300_000 - 14_700);
  });

  test("unwinds when the missing leg got expensive", () => {
    const { markets } = threeLegs([3000, 3000, 8000]);
    markets.set("M0", { ...markets.get("M0")!, yesBid: 2800 });
    markets.set("M1", { ...markets.get("M1")!, yesBid: 2800 });
    const r = repairArbSet(legs([100, 100, 0]), markets);
    // complete: 1 − 0.80 − 0.0112 = 0.1888; unwind: 2 × (0.28 − 0.0142) = 0.5316
    expect(r.action).toBe("unwind");
    expect(r.valueMicros).toBe(531_600);
    for (const i of r.intents) expect(i).toMatchObject({ side: "ask", price: 2800, count: 100, reduceOnly: true });
  });

  test("NO legs unwind by buying YES at the ask", () => {
    const ms = [0, 1, 2].map((i) => market(`M${i}`, { yesBid: 4000, yesAsk: 4200 }));
    const markets = mapOf(ms);
    markets.set("M2", { ...markets.get("M2")!, yesBid: null, yesBidSize: 0 }); // cannot complete the NO leg
    const r = repairArbSet(legs([200, 0, 0], "ask"), markets);
    expect(r.action).toBe("unwind");
    expect(r.intents).toEqual([expect.objectContaining({ ticker: "M0", side: "bid", price: 4200, count: 200, reduceOnly: true })]);
  });

  test("waits when no book allows either", () => {
    const { markets } = threeLegs([3000, 3000, 3000]);
    for (const t of ["M0", "M1", "M2"]) markets.set(t, { ...markets.get(t)!, status: "closed" });
    expect(repairArbSet(legs([100, 0, 0]), markets).action).toBe("wait");
  });
});

describe("event_arbitrage: issue 16", () => {
  test("YES sets only on events known to be exhaustive; NO sets do not need it", () => {
    const { markets } = threeLegs([3000, 3000, 3000]);
    const notExhaustive = event("EV", ["M0", "M1", "M2"], true, false);
    // The same cheap YES asks: a YES set could pay $0 if no listed market wins.
    expect(findArbitrage(notExhaustive, markets, params({ yes_side: true }))).toBeNull();
    expect(findArbitrage({ ...notExhaustive, exhaustive: undefined }, markets, params({ yes_side: true }))).toBeNull();
    expect(findArbitrage(event("EV", ["M0", "M1", "M2"], true, true), markets, params())!.direction).toBe("yes");
    // NO sets (pay n − 1 when at most one wins) need mutual exclusivity only.
    const bids = mapOf([0, 1, 2].map((i) => market(`M${i}`, { yesBid: 4000, yesAsk: 4500 })));
    expect(findArbitrage(notExhaustive, bids, params())!.direction).toBe("no");
  });

  test("depth walking: sets grow into deeper levels while each next set still earns min_edge after fees", () => {
    // YES asks come from NO bids: a NO bid at 0.70 is a YES ask at 0.30. Per leg: 2 @ 0.30, 2 @ 0.32, 5 @ 0.36.
    const book = {
      yes: [[2500, 500]] as Array<[number, number]>,
      no: [
        [6400, 500],
        [6800, 200],
        [7000, 200],
      ] as Array<[number, number]>,
    };
    const ms = [0, 1, 2].map((i) => market(`M${i}`, { yesAsk: 3000, yesAskSize: 200, yesBid: 2500, book }));
    const ev = event("EV", ["M0", "M1", "M2"]);
    const o = findArbitrage(ev, mapOf(ms), params({ min_edge_dollars: "0.01", max_sets: 9 }))!;
    // Set 3 and 4 cost 3 × 0.32 = 0.96 + fees 3 × 0.0153 = 1.0059 > $1: the walk stops at 2 sets.
    // With the edge at 0.30 × 3 = 0.90 + fees: 2 sets (top-of-book sizing would give the same 2).
    expect(o.count).toBe(200);
    // Cheaper second level: 2 @ 0.30, 2 @ 0.31 → 3 × 0.31 = 0.93 + 3 × fee(0.31) = 0.0450 → edge 0.025 ≥ 0.01.
    const book2 = {
      yes: book.yes,
      no: [
        [6400, 500],
        [6900, 200],
        [7000, 200],
      ] as Array<[number, number]>,
    };
    const ms2 = [0, 1, 2].map((i) => market(`M${i}`, { yesAsk: 3000, yesAskSize: 200, yesBid: 2500, book: book2 }));
    const o2 = findArbitrage(ev, mapOf(ms2), params({ min_edge_dollars: "0.01", max_sets: 9 }))!;
    expect(o2.count).toBe(400);
    // Each leg is priced at the deepest level it reaches; fees are charged per level.
    expect(o2.legs.map((l) => l.price)).toEqual([3100, 3100, 3100]);
    expect(o2.costMicros).toBe(3 * (3000 * 200 + 3100 * 200));
    expect(o2.feeMicros).toBe(3 * (takerFee(3000, 200) + takerFee(3100, 200)));
    expect(o2.edgeMicros).toBe(10_000 * 400 - o2.costMicros - o2.feeMicros);
    // max_sets still caps the walk.
    expect(findArbitrage(ev, mapOf(ms2), params({ min_edge_dollars: "0.01", max_sets: 3 }))!.count).toBe(300);
  });

  test("depth walking on NO sets walks the YES bids downward", () => {
    // NO costs 1 − YES bid: bids 0.40 (2), 0.39 (3) → NO at 0.60 then 0.61; set payout 2 (n − 1 = 2).
    const book = {
      yes: [
        [3900, 300],
        [4000, 200],
      ] as Array<[number, number]>,
      no: [[5000, 100]] as Array<[number, number]>,
    };
    const ms = [0, 1, 2].map((i) => market(`M${i}`, { yesBid: 4000, yesBidSize: 200, yesAsk: 5000, book }));
    const o = findArbitrage(event("EV", ["M0", "M1", "M2"], true, false), mapOf(ms), params({ min_edge_dollars: "0.01", max_sets: 9 }))!;
    expect(o.direction).toBe("no");
    expect(o.count).toBe(500);
    expect(o.legs.every((l) => l.side === "ask" && l.price === 3900)).toBe(true);
  });

  test("depth is asked for every leg of an event whose top of book shows a set, and only there", () => {
    const cheap = threeLegs([3000, 3000, 3000]);
    const dear = [0, 1, 2].map((i) => market(`D${i}`, { yesAsk: 3500, yesBid: 3000 }));
    const markets = new Map([...cheap.markets, ...mapOf(dear)]);
    const events = eventsOf([
      cheap.ev,
      event(
        "DEAR",
        dear.map((m) => m.ticker),
      ),
    ]);
    expect(eventArbitrage.depthFor!(markets, events, params())).toEqual(["M0", "M1", "M2"]);
    // Needs the set to pay after fees at min_edge, as findArbitrage does.
    expect(eventArbitrage.depthFor!(markets, events, params({ min_edge_dollars: "0.06" }))).toEqual([]);
  });
});
