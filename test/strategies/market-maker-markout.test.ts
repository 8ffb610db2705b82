// Issue 16: the market maker pulls its quotes when its recent fills turn toxic. The fills are read
// back from a real SQLite ledger (as the engine records them and passes them in ownFills), the mids
// are the engine's mid history; the decision itself is the pure strategy.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import { openDb } from "../../src/db/open.ts";
import { Ledger } from "../../src/engine/ledger.ts";
import { markouts, marketMaker, resolveMarketMakerParams } from "../../src/strategies/market-maker.ts";
import type { BookSide, CancelIntent, Intent, RestingOrderView } from "../../src/strategies/types.ts";
import { mapOf, market, portfolio } from "./helpers.ts";

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), `kbot-${prefix}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const params = (over: Record<string, unknown> = {}) =>
  resolveMarketMakerParams(
    strategiesSchema.parse({
      market_maker: {
        risk_aversion: 0,
        markets: ["A", "B"],
        markout_seconds: 30,
        toxic_window_seconds: 300,
        toxic_markout: "0.01",
        toxic_min_contracts: 2,
        pull_move: "0.5",
        ...over,
      },
    }).market_maker,
  );
const mk = (ticker: string) => market(ticker, { yesBid: 4000, yesAsk: 5000, yesBidSize: 1000, yesAskSize: 1000 });
const resting = (ticker: string, side: BookSide, price: number): RestingOrderView => ({
  orderId: `${ticker}-${side}`,
  clientOrderId: `c-${ticker}-${side}`,
  ticker,
  side,
  price,
  remaining: 200,
  strategy: "market_maker",
});
const quoted = portfolio({
  restingOrders: [resting("A", "bid", 4300), resting("A", "ask", 4700), resting("B", "bid", 4300), resting("B", "ask", 4700)],
});

let n = 0;
function fill(
  ledger: Ledger,
  o: { ticker: string; side: BookSide; price: number; count: number; strategy?: string; tsMs: number; exchangeFill?: boolean },
) {
  const id = `c-${++n}`;
  const row = ledger.insertPending([
    {
      clientOrderId: id,
      ticker: o.ticker,
      side: o.side,
      price: o.price,
      count: o.count,
      timeInForce: "good_till_canceled",
      postOnly: true,
      reduceOnly: false,
      eventTicker: "EV",
      strategy: o.strategy ?? "market_maker",
      reason: "t",
      orderGroupId: null,
      groupKey: null,
      cycleId: null,
    },
  ])[0]!;
  ledger.updateOrder(row.id, { status: "executed", orderId: `o-${n}`, filledCount: o.count, remainingCount: 0 }, "filled");
  ledger.recordFill({
    fillId: `f-${n}`,
    orderId: `o-${n}`,
    // A live fill as Kalshi's GetFills returns it: the order_id, no client_order_id.
    clientOrderId: o.exchangeFill ? null : id,
    ticker: o.ticker,
    eventTicker: "EV",
    side: o.side,
    price: o.price,
    count: o.count,
    feeMicros: 0,
    isTaker: false,
    tsMs: o.tsMs,
  });
}

// Mid every 10 s over the last 5 minutes: flat at `flat`, or for A falling after the fills.
const series = (at: (t: number) => number) =>
  Array.from({ length: 31 }, (_, i) => {
    const t = NOW - 300_000 + i * 10_000;
    return [t, at(t)] as const;
  });

const run = (ledger: Ledger, hist: Map<string, ReadonlyArray<readonly [number, number]>>, p = params()) => {
  const since = marketMaker.fillsSince!(p, NOW);
  return marketMaker.decide({
    markets: mapOf([mk("A"), mk("B")]),
    events: new Map(),
    portfolio: quoted,
    params: p,
    nowMs: NOW,
    midHistory: hist,
    ownFills: ledger.strategyFills("market_maker", since),
  });
};
const cancelled = (out: Intent[], ticker: string) => out.filter((i): i is CancelIntent => i.kind === "cancel" && i.ticker === ticker);

describe("market_maker: toxic markouts pull quotes", () => {
  test("bought 3 YES in A at 0.45, mid 30 s later 0.42: A pulled (−0.03/contract), and B by the overall figure", () => {
    const ledger = new Ledger(openDb(join(tempDir("mm-markout-1"), "k.sqlite")), true);
    const tFill = NOW - 120_000;
    fill(ledger, { ticker: "A", side: "bid", price: 4500, count: 300, tsMs: tFill });
    // Another strategy's fill in B, against it, is not ours and must not count.
    fill(ledger, { ticker: "B", side: "bid", price: 6000, count: 500, tsMs: tFill, strategy: "event_arbitrage" });
    const hist = new Map([
      ["A", series((t) => (t < tFill + 30_000 ? 4500 : 4200))],
      ["B", series(() => 4500)],
    ]);
    const fills = ledger.strategyFills("market_maker", NOW - 300_000);
    expect(fills).toEqual([{ ticker: "A", side: "bid", price: 4500, count: 300, tsMs: tFill }]);
    const m = markouts(fills, hist, NOW, 30_000);
    expect(m.perMarket.get("A")).toEqual({ sum: -900, contracts: 300 });
    // Overall −0.03 as well: with B unfilled the overall figure pulls B too.
    const out = run(ledger, hist);
    expect(cancelled(out, "A").map((c) => c.reason)).toEqual([
      expect.stringMatching(/toxic flow: our fills here marked out -0.03/),
      expect.stringMatching(/toxic flow/),
    ]);
    expect(cancelled(out, "B")).toHaveLength(2);
    expect(cancelled(out, "B")[0]!.reason).toMatch(/over all markets/);
  });

  test("live: the exchange's fills name only the order_id; they are still the strategy's own fills, and pull", () => {
    const ledger = new Ledger(openDb(join(tempDir("mm-markout-live"), "k.sqlite")), false);
    const tFill = NOW - 120_000;
    fill(ledger, { ticker: "A", side: "bid", price: 4500, count: 300, tsMs: tFill, exchangeFill: true });
    fill(ledger, { ticker: "B", side: "bid", price: 6000, count: 500, tsMs: tFill, strategy: "event_arbitrage", exchangeFill: true });
    // A fill of an order the bot never sent (placed by hand on the account): no strategy's.
    ledger.recordFill({
      fillId: "f-manual",
      orderId: "o-manual",
      clientOrderId: null,
      ticker: "A",
      eventTicker: "EV",
      side: "ask",
      price: 4000,
      count: 100,
      feeMicros: 0,
      isTaker: true,
      tsMs: tFill,
    });
    expect(ledger.strategyFills("market_maker", NOW - 300_000)).toEqual([
      { ticker: "A", side: "bid", price: 4500, count: 300, tsMs: tFill },
    ]);
    const hist = new Map([
      ["A", series((t) => (t < tFill + 30_000 ? 4500 : 4200))],
      ["B", series(() => 4500)],
    ]);
    expect(cancelled(run(ledger, hist), "A").map((c) => c.reason)).toEqual([
      expect.stringMatching(/toxic flow: our fills here marked out -0.03/),
      expect.stringMatching(/toxic flow/),
    ]);
  });

  test("per market vs overall: a good B offsets A overall, so only A is pulled", () => {
    const ledger = new Ledger(openDb(join(tempDir("mm-markout-2"), "k.sqlite")), true);
    const tFill = NOW - 120_000;
    fill(ledger, { ticker: "A", side: "bid", price: 4500, count: 300, tsMs: tFill });
    // Sold 3 YES in B at 0.47, mid 0.44 after: +0.03 for us.
    fill(ledger, { ticker: "B", side: "ask", price: 4700, count: 300, tsMs: tFill });
    const hist = new Map([
      ["A", series((t) => (t < tFill + 30_000 ? 4500 : 4200))],
      ["B", series((t) => (t < tFill + 30_000 ? 4500 : 4400))],
    ]);
    const out = run(ledger, hist);
    expect(cancelled(out, "A")).toHaveLength(2);
    expect(out.filter((i) => i.ticker === "B" && i.kind === "cancel")).toEqual([]);
  });

  test("no pull: a mild markout, too few contracts, or fills older than the window", () => {
    const hist = (tFill: number, after: number) =>
      new Map([
        ["A", series((t) => (t < tFill + 30_000 ? 4500 : after))],
        ["B", series(() => 4500)],
      ]);
    // −0.005/contract: above the −0.01 threshold.
    const mild = new Ledger(openDb(join(tempDir("mm-markout-3"), "k.sqlite")), true);
    fill(mild, { ticker: "A", side: "bid", price: 4500, count: 300, tsMs: NOW - 120_000 });
    expect(cancelled(run(mild, hist(NOW - 120_000, 4450)), "A")).toEqual([]);
    // One contract: fewer than toxic_min_contracts 2.
    const few = new Ledger(openDb(join(tempDir("mm-markout-4"), "k.sqlite")), true);
    fill(few, { ticker: "A", side: "bid", price: 4500, count: 100, tsMs: NOW - 120_000 });
    expect(cancelled(run(few, hist(NOW - 120_000, 4200)), "A")).toEqual([]);
    // The same toxic fill 6 minutes ago: outside toxic_window_seconds 300, the pull has ended.
    const old = new Ledger(openDb(join(tempDir("mm-markout-5"), "k.sqlite")), true);
    fill(old, { ticker: "A", side: "bid", price: 4500, count: 300, tsMs: NOW - 360_000 });
    expect(cancelled(run(old, hist(NOW - 360_000, 4200)), "A")).toEqual([]);
    // And with a wider window it counts again.
    expect(cancelled(run(old, hist(NOW - 360_000, 4200), params({ toxic_window_seconds: 600 })), "A")).toHaveLength(2);
  });

  test("a fill younger than the horizon is marked at the newest mid; one after the newest mid is left out", () => {
    const h = new Map([
      [
        "A",
        [
          [NOW - 20_000, 4500],
          [NOW - 10_000, 4300],
        ] as const,
      ],
    ]);
    const young = markouts([{ ticker: "A", side: "ask", price: 4500, count: 200, tsMs: NOW - 15_000 }], h, NOW, 30_000);
    expect(young.overall).toEqual({ sum: 400, contracts: 200 });
    const unseen = markouts([{ ticker: "A", side: "ask", price: 4500, count: 200, tsMs: NOW - 5_000 }], h, NOW, 30_000);
    expect(unseen.overall).toEqual({ sum: 0, contracts: 0 });
  });
});
