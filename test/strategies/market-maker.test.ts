import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import {
  chooseMarkets,
  computeQuotes,
  externalTop,
  marketMaker,
  resolveMarketMakerParams,
  type MarketMakerParams,
} from "../../src/strategies/market-maker.ts";
import { isOnGrid, rangesForStructure } from "../../src/kalshi/price-grid.ts";
import type { AmendIntent, CreateIntent, Intent, MarketView, RestingOrderView } from "../../src/strategies/types.ts";
import { mapOf, market, portfolio } from "./helpers.ts";

// Hand-worked cases below price the base spread and skew alone: γ = 0 unless a test sets it.
const params = (over: Record<string, unknown> = {}): MarketMakerParams =>
  resolveMarketMakerParams(strategiesSchema.parse({ market_maker: { risk_aversion: 0, ...over } }).market_maker);

const mk = (over: Partial<MarketView> = {}) => market("MM", { yesBid: 4000, yesAsk: 5000, yesBidSize: 1000, yesAskSize: 1000, ...over });
const resting = (side: "bid" | "ask", price: number, remaining = 200, orderId = `${side}-${price}`, ticker = "MM"): RestingOrderView => ({
  orderId,
  clientOrderId: `c-${orderId}`,
  ticker,
  side,
  price,
  remaining,
  strategy: "market_maker",
});
const decide = (ms: MarketView[], pf = portfolio(), p = params({ markets: ["MM"] })) =>
  marketMaker.decide({ markets: mapOf(ms), events: new Map(), portfolio: pf, params: p, nowMs: 0 });

describe("market_maker quotes", () => {
  test("around the mid with the spread: 0.40/0.50 → 0.43/0.47, post_only GTC, quote_size", () => {
    const intents = decide([mk()]) as CreateIntent[];
    expect(intents).toHaveLength(2);
    expect(intents[0]).toMatchObject({
      kind: "create",
      side: "bid",
      price: 4300,
      count: 200,
      postOnly: true,
      timeInForce: "good_till_canceled",
    });
    expect(intents[1]).toMatchObject({ kind: "create", side: "ask", price: 4700, count: 200, postOnly: true });
  });

  test("skewed by inventory: long 5 with 0.002/contract shifts both down by 0.01", () => {
    const pf = portfolio({ positions: [{ ticker: "MM", position: 500, costMicros: 2_000_000 }] });
    const intents = decide([mk()], pf) as CreateIntent[];
    expect(intents.map((i) => [i.side, i.price])).toEqual([
      ["bid", 4200],
      ["ask", 4600],
    ]);
  });

  test("inventory cap: at max no bid, near max a smaller bid; short at max no ask", () => {
    const at = decide([mk()], portfolio({ positions: [{ ticker: "MM", position: 1000, costMicros: 0 }] })) as CreateIntent[];
    expect(at.map((i) => i.side)).toEqual(["ask"]);
    const near = decide([mk()], portfolio({ positions: [{ ticker: "MM", position: 900, costMicros: 0 }] })) as CreateIntent[];
    expect(near.find((i) => i.side === "bid")!.count).toBe(100);
    const short = decide([mk()], portfolio({ positions: [{ ticker: "MM", position: -1000, costMicros: 0 }] })) as CreateIntent[];
    expect(short.map((i) => i.side)).toEqual(["bid"]);
  });

  test("never crosses: a heavy skew is clamped inside the book", () => {
    const p = params({ markets: ["MM"], skew_per_contract: "0.01" });
    const m = mk({ yesBid: 4000, yesAsk: 4200 });
    const q = computeQuotes(m, externalTop(m, [])!, -800, p);
    const bid = q.find((x) => x.side === "bid")!;
    expect(bid.price).toBe(4100);
    for (const x of q) {
      if (x.side === "bid") expect(x.price).toBeLessThan(4200);
      else expect(x.price).toBeGreaterThan(4000);
    }
  });

  test("amend on price change, keep on same price, cancel duplicates", () => {
    const keep = decide([mk()], portfolio({ restingOrders: [resting("bid", 4300), resting("ask", 4700)] }));
    expect(keep).toEqual([]);
    const moved = decide(
      [mk()],
      portfolio({ restingOrders: [resting("bid", 4200, 200, "b1"), resting("ask", 4700), resting("ask", 4800, 200, "dup")] }),
    );
    expect(moved).toContainEqual(expect.objectContaining({ kind: "amend", orderId: "b1", side: "bid", price: 4300, count: 200 }));
    expect(moved).toContainEqual(expect.objectContaining({ kind: "cancel", orderId: "dup" }));
    expect(moved.filter((i) => i.kind === "create")).toEqual([]);
  });

  test("amend count is filled + desired remaining", () => {
    const o = { ...resting("bid", 4200, 100, "b1"), filled: 100 };
    const out = decide([mk()], portfolio({ restingOrders: [o, resting("ask", 4700)] }));
    expect(out).toEqual([expect.objectContaining({ kind: "amend", orderId: "b1", price: 4300, count: 300 })]);
  });

  test("same price but too big for the inventory cap is shrunk", () => {
    const pf = portfolio({
      positions: [{ ticker: "MM", position: 900, costMicros: 0 }],
      restingOrders: [resting("bid", 4100, 200, "b1"), resting("ask", 4600)],
    });
    // position 9 → skew 0.018 → centre 0.432 → 0.412 down to 0.41 / 0.452 up to 0.46
    const out = decide([mk()], pf);
    expect(out).toEqual([expect.objectContaining({ kind: "amend", orderId: "b1", price: 4100, count: 100 })]);
  });

  test("our own quote as the whole top level: held, not chased", () => {
    const m = mk({ yesBid: 4300, yesBidSize: 200, yesAsk: 4700, yesAskSize: 200 });
    expect(externalTop(m, [resting("bid", 4300), resting("ask", 4700)])).toBeNull();
    expect(decide([m], portfolio({ restingOrders: [resting("bid", 4300), resting("ask", 4700)] }))).toEqual([]);
  });

  test("with depth our orders are subtracted from the book", () => {
    // YES bids 0.40×10, ours 0.43×2; NO bids 0.50×10 (YES ask 0.50), ours as NO bid 0.53 (YES ask 0.47)
    const m = mk({
      yesBid: 4300,
      yesBidSize: 200,
      yesAsk: 4700,
      yesAskSize: 200,
      book: {
        yes: [
          [4000, 1000],
          [4300, 200],
        ],
        no: [
          [5000, 1000],
          [5300, 200],
        ],
      },
    });
    const top = externalTop(m, [resting("bid", 4300), resting("ask", 4700)])!;
    expect(top).toEqual({ bid: 4000, bidSize: 1000, ask: 5000, askSize: 1000 });
    expect(decide([m], portfolio({ restingOrders: [resting("bid", 4300), resting("ask", 4700)] }))).toEqual([]);
  });

  test("microprice leans toward the thin side", () => {
    const m = mk({ yesBidSize: 300, yesAskSize: 100 });
    const q = computeQuotes(m, externalTop(m, [])!, 0, params({ fair_value: "microprice" }));
    // (0.40×1 + 0.50×3)/4 = 0.475 → 0.455/0.495 → 0.45 / 0.50 (joins the best ask, does not cross)
    expect(q.map((x) => x.price)).toEqual([4500, 5000]);
  });

  test("market choice: most liquid with a two-sided book and ≥ 2 ticks spread", () => {
    const ms = [
      market("A", { volume: 100, yesBid: 4000, yesAsk: 4400 }),
      market("B", { volume: 900, yesBid: 4000, yesAsk: 4100 }), // one tick
      market("C", { volume: 500, yesBid: 4000, yesAsk: 4300 }),
      market("D", { volume: 800, yesBid: null, yesAsk: 4300 }),
      market("E", { volume: 700, status: "closed" }),
      market("F", { volume: 300 }),
    ];
    expect(chooseMarkets(mapOf(ms), portfolio(), params({ max_markets: 2 })).map((m) => m.ticker)).toEqual(["C", "F"]);
    // a market we already quote stays even if our quotes narrowed it
    const pf = portfolio({ restingOrders: [resting("bid", 4000, 200, "x", "B")] });
    expect(chooseMarkets(mapOf(ms), pf, params({ max_markets: 2 })).map((m) => m.ticker)).toEqual(["B", "C"]);
  });

  test("quotes in markets no longer chosen are cancelled", () => {
    const out = decide([mk()], portfolio({ restingOrders: [resting("bid", 4000, 200, "old", "GONE")] }));
    expect(out).toContainEqual(expect.objectContaining({ kind: "cancel", orderId: "old", ticker: "GONE" }));
  });

  test("property: quotes are on grid, never cross, never push |inventory| beyond the cap", () => {
    const grids = [rangesForStructure("linear_cent"), rangesForStructure("deci_cent"), rangesForStructure("tapered_deci_cent")];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 9_990 }),
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer({ min: -1_500, max: 1_500 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 10, max: 2_000 }),
        (g, bidRaw, width, pos, skew, spread) => {
          const r = grids[g]!;
          const bid = Math.floor(bidRaw / 10) * 10;
          const ask = Math.min(9_990, bid + Math.max(10, Math.floor(width / 10) * 10));
          if (!isOnGrid(bid, r) || !isOnGrid(ask, r) || bid >= ask) return;
          const m = mk({ yesBid: bid, yesAsk: ask, priceRanges: r });
          const p = { ...params({ markets: ["MM"] }), skewPerContract: skew, spread };
          const intents: Intent[] = decide([m], portfolio({ positions: [{ ticker: "MM", position: pos, costMicros: 0 }] }), p);
          for (const i of intents) {
            if (i.kind !== "create") continue;
            expect(isOnGrid(i.price, r)).toBe(true);
            if (i.side === "bid") {
              expect(i.price).toBeLessThan(ask);
              expect(pos + i.count).toBeLessThanOrEqual(p.maxInventory);
            } else {
              expect(i.price).toBeGreaterThan(bid);
              expect(pos - i.count).toBeGreaterThanOrEqual(-p.maxInventory);
            }
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

export type { AmendIntent };

describe("market_maker: issue 16", () => {
  const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
  const run = (
    ms: MarketView[],
    pf = portfolio(),
    p = params({ markets: ["MM"] }),
    midHistory?: Map<string, Array<readonly [number, number]>>,
  ) =>
    marketMaker.decide({
      markets: mapOf(ms),
      events: new Map(),
      portfolio: pf,
      params: p,
      nowMs: NOW,
      ...(midHistory ? { midHistory } : {}),
    });

  test("inventory is the strategy's own, not the account's: the arbitrage's hedged legs do not skew it", () => {
    // The account holds 8 YES (an arbitrage set's leg); the market maker itself holds nothing.
    const pf = {
      ...portfolio({ positions: [{ ticker: "MM", position: 800, costMicros: 0 }] }),
      inventory: new Map([
        ["market_maker", new Map<string, number>()],
        ["event_arbitrage", new Map([["MM", 800]])],
      ]),
    };
    const out = run([mk()], pf) as CreateIntent[];
    expect(out.map((i) => [i.side, i.price, i.count])).toEqual([
      ["bid", 4300, 200],
      ["ask", 4700, 200],
    ]);
    // Its own inventory of 5 does skew (0.002 × 5 = 0.01 down).
    const own = { ...pf, inventory: new Map([["market_maker", new Map([["MM", 500]])]]) };
    expect((run([mk()], own) as CreateIntent[]).map((i) => [i.side, i.price])).toEqual([
      ["bid", 4200],
      ["ask", 4600],
    ]);
  });

  test("stops quoting stop_before_close_minutes before close and pulls resting quotes", () => {
    const closing = mk({ closeTimeMs: NOW + 29 * 60_000 });
    const p = params({ markets: ["MM"], stop_before_close_minutes: 30 });
    expect(run([closing], portfolio(), p)).toEqual([]);
    const out = run([closing], portfolio({ restingOrders: [resting("bid", 4300), resting("ask", 4700)] }), p);
    expect(out.map((i) => i.kind)).toEqual(["cancel", "cancel"]);
    expect((out[0] as { reason: string }).reason).toMatch(/closes in 29 min/);
    expect(run([mk({ closeTimeMs: NOW + 31 * 60_000 })], portfolio(), p)).toHaveLength(2);
  });

  test("automatic choice skips markets closing within stop_before_close (they would only take a slot)", () => {
    const ms = [
      market("SOON", { volume: 900, yesBid: 4000, yesAsk: 4400, closeTimeMs: NOW + 10 * 60_000 }),
      market("LATER", { volume: 100, yesBid: 4000, yesAsk: 4400, closeTimeMs: NOW + 90 * 60_000 }),
    ];
    const p = params({ max_markets: 1, stop_before_close_minutes: 30 });
    expect(chooseMarkets(mapOf(ms), portfolio(), p, NOW).map((m) => m.ticker)).toEqual(["LATER"]);
    expect((run(ms, portfolio(), p) as CreateIntent[]).map((i) => i.ticker)).toEqual(["LATER", "LATER"]);
  });

  test("per-series settings: a series' overrides apply to its markets only, the rest keep the section's", () => {
    const wx = (ticker: string, over: Partial<MarketView> = {}) =>
      market(ticker, { seriesTicker: "KXHIGHNY", yesBid: 4000, yesAsk: 5000, yesBidSize: 1000, yesAskSize: 1000, ...over });
    const other = (ticker: string, over: Partial<MarketView> = {}) =>
      market(ticker, { yesBid: 4000, yesAsk: 5000, yesBidSize: 1000, yesAskSize: 1000, ...over });
    const p = params({ max_markets: 5, series: { KXHIGHNY: { stop_before_close_minutes: 720, spread: "0.08" } } });
    // Five hours to close: inside the weather series' 12 h stop, outside the section's 30 min.
    const ms = [
      wx("WX-SOON", { volume: 900, closeTimeMs: NOW + 5 * 3_600_000 }),
      wx("WX-LATER", { volume: 800, closeTimeMs: NOW + 13 * 3_600_000 }),
      other("OTHER", { volume: 700, closeTimeMs: NOW + 5 * 3_600_000 }),
    ];
    expect(chooseMarkets(mapOf(ms), portfolio(), p, NOW).map((m) => m.ticker)).toEqual(["WX-LATER", "OTHER"]);
    const quotes = (run(ms, portfolio(), p) as CreateIntent[]).map((i) => [i.ticker, i.side, i.price]);
    // The series' 0.08 width around the 0.45 mid; the section's 0.04 elsewhere.
    expect(quotes).toEqual([
      ["WX-LATER", "bid", 4100],
      ["WX-LATER", "ask", 4900],
      ["OTHER", "bid", 4300],
      ["OTHER", "ask", 4700],
    ]);
    // A quote resting in the weather market is pulled when it comes inside its series' stop.
    const pulled = run(
      [wx("WX-SOON", { closeTimeMs: NOW + 5 * 3_600_000 })],
      portfolio({ restingOrders: [resting("bid", 4100, 200, "b1", "WX-SOON")] }),
      p,
    );
    expect(pulled.map((i) => i.kind)).toEqual(["cancel"]);
    // Settings the overrides cannot hold, and series tickers that are not ones, are refused with the key named.
    expect(() => params({ series: { KXHIGHNY: { max_markets: 2 } } })).toThrow(/max_markets/);
    expect(() => params({ series: { "kx high": { spread: "0.05" } } })).toThrow(/series ticker/);
  });

  test("thin or one-sided book (without our quotes): no quotes, resting ones pulled", () => {
    const p = params({ markets: ["MM"], min_book_contracts: 5 });
    expect(run([mk({ yesAskSize: 400 })], portfolio(), p)).toEqual([]);
    expect(run([mk({ yesAskSize: 500 })], portfolio(), p)).toHaveLength(2);
    // With depth: the only ask level is ours, so the book is one-sided for everyone else.
    const oneSided = mk({ yesBid: 4000, yesAsk: 4700, yesAskSize: 200, book: { yes: [[4000, 1000]], no: [[5300, 200]] } });
    const out = run([oneSided], portfolio({ restingOrders: [resting("ask", 4700)] }), p);
    expect(out).toEqual([expect.objectContaining({ kind: "cancel", orderId: "ask-4700", reason: expect.stringMatching(/one-sided/) })]);
  });

  test("a fast move pulls the quotes", () => {
    const p = params({ markets: ["MM"], pull_move: "0.03", pull_window_seconds: 60 });
    const calm = new Map([
      [
        "MM",
        [
          [NOW - 50_000, 4500],
          [NOW - 20_000, 4450],
        ] as Array<readonly [number, number]>,
      ],
    ]);
    expect(run([mk()], portfolio(), p, calm)).toHaveLength(2);
    const jumped = new Map([
      [
        "MM",
        [
          [NOW - 50_000, 4900],
          [NOW - 20_000, 4700],
        ] as Array<readonly [number, number]>,
      ],
    ]);
    const out = run([mk()], portfolio({ restingOrders: [resting("bid", 4300), resting("ask", 4700)] }), p, jumped);
    expect(out.every((i) => i.kind === "cancel")).toBe(true);
    expect((out[0] as { reason: string }).reason).toMatch(/fast move/);
    // A move older than the window does not count.
    const old = new Map([["MM", [[NOW - 120_000, 4900]] as Array<readonly [number, number]>]]);
    expect(run([mk()], portfolio(), p, old)).toHaveLength(2);
  });

  test("Avellaneda–Stoikov: width and inventory skew grow with volatility and time to close", () => {
    const p = params({ markets: ["MM"], risk_aversion: 2, min_volatility: "0.005", horizon_minutes: 240, stop_before_close_minutes: 0 });
    const m = (closeInMin: number) =>
      mk({ yesBid: 3000, yesAsk: 6000, closeTimeMs: NOW + closeInMin * 60_000, priceRanges: rangesForStructure("deci_cent") });
    // Volatile history: mid steps of 0.02 every minute → σ = 0.02/√min.
    const hist = new Map([["MM", Array.from({ length: 6 }, (_, i) => [NOW - (6 - i) * 60_000, 4500 + (i % 2 ? 200 : -200)] as const)]]);
    const width = (qs: Intent[]) => {
      const c = qs as CreateIntent[];
      return c.find((q) => q.side === "ask")!.price - c.find((q) => q.side === "bid")!.price;
    };
    const calmShort = width(run([m(60)], portfolio(), p));
    const calmLong = width(run([m(240)], portfolio(), p));
    const volLong = width(run([m(240)], portfolio(), p, hist));
    // γσ²τ: 2 × 0.005² × 60 = 0.003 → width 0.043: 0.4285 → 0.428 / 0.4715 → 0.472 on the deci-cent grid.
    expect(calmShort).toBe(440);
    // × 240 min = 0.012 → width 0.052.
    expect(calmLong).toBe(520);
    // σ = 0.04/√min → 2 × 0.0016 × 240 = 0.768: far wider.
    expect(volLong).toBeGreaterThan(calmLong);
    // Inventory skew is larger when it is riskier to hold: long 2 moves the centre down more with 240 min left.
    const pf = portfolio({ positions: [{ ticker: "MM", position: 200, costMicros: 0 }] });
    const bid = (qs: Intent[]) => (qs as CreateIntent[]).find((q) => q.side === "bid")?.price ?? 0;
    expect(bid(run([m(240)], pf, p))).toBeLessThan(bid(run([m(60)], pf, p)));
  });

  test("maker fees: on a series with maker fees the quotes keep min_edge + the fee from fair", () => {
    const p = params({ markets: ["MM"], spread: "0.02", min_edge: "0.005" });
    // fair 0.45; maker fee 0.0175 × 0.45 × 0.55 = 0.0044 → 0.0044 rounded up per contract (0.0044).
    const noFee = run([mk()], portfolio(), p) as CreateIntent[];
    expect(noFee.map((i) => i.price)).toEqual([4400, 4600]);
    const withFee = run([mk({ feeType: "quadratic_with_maker_fees" })], portfolio(), p) as CreateIntent[];
    // bid ≤ 0.45 − 0.005 − 0.0044 = 0.4406 → 0.44; ask ≥ 0.4594 → 0.46: still fine at 1 c ticks...
    expect(withFee.map((i) => i.price)).toEqual([4400, 4600]);
    // ...but a tight spread is pushed out: spread 0.01 would quote 0.445/0.455 → 0.44/0.46 anyway on cents;
    // on a deci-cent grid the fee shows: 0.4450 → ≤ 0.4406.
    const deci = { priceRanges: rangesForStructure("deci_cent") };
    const tight = params({ markets: ["MM"], spread: "0.01", min_edge: "0.005" });
    expect((run([mk(deci)], portfolio(), tight) as CreateIntent[]).map((i) => i.price)).toEqual([4450, 4550]);
    expect(
      (run([mk({ ...deci, feeType: "quadratic_with_maker_fees" })], portfolio(), tight) as CreateIntent[]).map((i) => i.price),
    ).toEqual([4400, 4600]);
  });
});
