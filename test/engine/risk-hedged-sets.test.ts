// Issue 16: legs of complete arbitrage sets are hedged, so they do not count against the per-market
// position cap; a market maker's inventory is its own fills, not the account's position. Built on a
// real SQLite ledger (orders and fills recorded as the engine records them).
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { riskSchema } from "../../src/config/risk-schema.ts";
import { openDb } from "../../src/db/open.ts";
import { Ledger } from "../../src/engine/ledger.ts";
import { emptyRiskSnapshot, evaluateIntent, evaluateIntents, resolveRiskLimits, type RiskSnapshot } from "../../src/engine/risk.ts";
import { hedgedPositions, strategyInventory } from "../../src/engine/ledger/holdings.ts";
import type { BookSide, CreateIntent } from "../../src/strategies/types.ts";
import { cleanup, tempDir } from "../helpers/bin.ts";

afterAll(() => cleanup());
const T0 = Date.UTC(2026, 2, 10, 15, 0, 0);
const L = resolveRiskLimits(
  riskSchema.parse({
    max_position_per_market: 10,
    max_event_exposure_dollars: "1000",
    max_total_exposure_dollars: "1000",
    max_order_dollars: "1000",
    max_contracts_per_order: 100,
  }),
);

let n = 0;
function filledOrder(
  ledger: Ledger,
  o: { ticker: string; side: BookSide; price: number; count: number; strategy: string; groupKey?: string },
) {
  const id = `c-${++n}`;
  const row = ledger.insertPending([
    {
      clientOrderId: id,
      ticker: o.ticker,
      side: o.side,
      price: o.price,
      count: o.count,
      timeInForce: "fill_or_kill",
      postOnly: false,
      reduceOnly: false,
      eventTicker: "EV",
      strategy: o.strategy,
      reason: "t",
      orderGroupId: null,
      groupKey: o.groupKey ?? null,
      cycleId: null,
    },
  ])[0]!;
  ledger.updateOrder(row.id, { status: "executed", orderId: `o-${n}`, filledCount: o.count, remainingCount: 0 }, "filled");
  ledger.recordFill({
    fillId: `f-${n}`,
    orderId: `o-${n}`,
    clientOrderId: id,
    ticker: o.ticker,
    eventTicker: "EV",
    side: o.side,
    price: o.price,
    count: o.count,
    feeMicros: 0,
    isTaker: true,
    tsMs: T0,
  });
}

function snapshotOf(ledger: Ledger): RiskSnapshot {
  const positions = ledger.positions();
  const hedged = hedgedPositions(ledger.db.$client, ledger.paper, new Map([...positions.values()].map((p) => [p.ticker, p.position])));
  const s = emptyRiskSnapshot(T0, { cashMicros: 1_000_000_000, equityMicros: 1_000_000_000 });
  for (const p of positions.values()) {
    if (p.position === 0) continue;
    s.positions[p.ticker] = {
      eventTicker: "EV",
      position: p.position,
      costMicros: p.costMicros,
      ...(hedged.has(p.ticker) ? { hedged: hedged.get(p.ticker)! } : {}),
    };
  }
  return s;
}

const bid = (ticker: string, count: number, over: Partial<CreateIntent> = {}): CreateIntent => ({
  kind: "create",
  strategy: "market_maker",
  ticker,
  eventTicker: "EV",
  side: "bid",
  price: 3000,
  count,
  timeInForce: "good_till_canceled",
  postOnly: true,
  reduceOnly: false,
  reason: "t",
  ...over,
});

describe("hedged arbitrage sets and the per-market cap (real SQLite ledger)", () => {
  const dir = tempDir("risk-hedged");
  const ledger = new Ledger(openDb(join(dir, "k.sqlite")), true);
  // 20 complete YES sets (3 legs): +20 YES in each market, twice the per-market cap of 10.
  for (const t of ["M0", "M1", "M2"])
    filledOrder(ledger, {
      ticker: t,
      side: "bid",
      price: 3000,
      count: 2000,
      strategy: "event_arbitrage",
      groupKey: "event_arbitrage:EV:yes:1",
    });

  test("the legs are hedged, so a 5-contract quote in one leg's market still fits the cap", () => {
    const s = snapshotOf(ledger);
    expect(s.positions.M0).toMatchObject({ position: 2000, hedged: 2000 });
    expect(evaluateIntent(bid("M0", 500), s, L, T0).verdict).toBe("allow");
    // Without the hedge the same position is naked: 20 + 5 > 10.
    const naked = structuredClone(s);
    delete naked.positions.M0!.hedged;
    expect(evaluateIntent(bid("M0", 500), naked, L, T0).verdict).toBe("reject");
    // The naked part still counts: 11 more would be 11 > 10.
    expect(evaluateIntent(bid("M0", 1100), s, L, T0)).toMatchObject({ verdict: "resize", count: 1000 });
  });

  test("a new whole set goes through at full size even beyond the cap; a lone leg does not", () => {
    const s = snapshotOf(ledger);
    const legs = ["M0", "M1", "M2"].map((t) =>
      bid(t, 1500, { strategy: "event_arbitrage", groupKey: "g2", timeInForce: "fill_or_kill", postOnly: false }),
    );
    const r = evaluateIntents(legs, s, L, T0);
    expect(r.verdicts.map((v) => v.verdict.verdict)).toEqual(["allow", "allow", "allow"]);
    // One leg alone (no set): the per-market cap applies.
    expect(evaluateIntent(bid("M3", 1500), s, L, T0)).toMatchObject({ verdict: "resize", count: 1000 });
  });

  test("a broken set hedges only its complete sets; a sale by another strategy shrinks the hedge to what is held", () => {
    const d2 = tempDir("risk-hedged-2");
    const l2 = new Ledger(openDb(join(d2, "k.sqlite")), true);
    filledOrder(l2, { ticker: "A", side: "ask", price: 6000, count: 800, strategy: "event_arbitrage", groupKey: "g" });
    filledOrder(l2, { ticker: "B", side: "ask", price: 6000, count: 800, strategy: "event_arbitrage", groupKey: "g" });
    filledOrder(l2, { ticker: "C", side: "ask", price: 6000, count: 300, strategy: "event_arbitrage", groupKey: "g" });
    let h = hedgedPositions(l2.db.$client, true, new Map([...l2.positions().values()].map((p) => [p.ticker, p.position])));
    expect(Object.fromEntries(h)).toEqual({ A: -300, B: -300, C: -300 });
    // The market maker buys 2 YES in C: position −3 + 2 = −1, so only 1 NO of C is still hedged.
    filledOrder(l2, { ticker: "C", side: "bid", price: 4000, count: 200, strategy: "market_maker" });
    h = hedgedPositions(l2.db.$client, true, new Map([...l2.positions().values()].map((p) => [p.ticker, p.position])));
    expect(h.get("C")).toBe(-100);
    // And the market maker's inventory in C is its own +2, not the account's −1.
    expect(Object.fromEntries(strategyInventory(l2.db.$client, true, "market_maker", ["A", "B", "C"]))).toEqual({ C: 200 });
    expect(l2.positions().get("C")!.position).toBe(-100);
  });
});
