import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { makerFee, PRICE_ONE as PRICE_ONE_, takerFee, type Count, type Price } from "../../src/kalshi/money.ts";
import {
  consumeBook,
  oppositeLevels,
  paperCrossedFills,
  paperExecute,
  paperRestingFills,
  paperRestingFillsShared,
  queueAheadAt,
  type PaperMarketInfo,
} from "../../src/engine/paper.ts";
import { rangesForStructure } from "../../src/kalshi/price-grid.ts";
import type { BookDepth, BookSide, CreateIntent, TimeInForce } from "../../src/strategies/types.ts";

const mkt = (over: Partial<PaperMarketInfo> = {}): PaperMarketInfo => ({
  priceRanges: rangesForStructure("linear_cent"),
  feeType: "quadratic",
  feeMultiplierE4: 10_000,
  ...over,
});
const order = (over: Partial<CreateIntent> = {}): CreateIntent => ({
  kind: "create",
  strategy: "t",
  ticker: "A",
  eventTicker: "E",
  side: "bid",
  price: 5500,
  count: 1000,
  timeInForce: "immediate_or_cancel",
  postOnly: false,
  reduceOnly: false,
  reason: "t",
  ...over,
});
const rich = { availableMicros: 1_000_000_000, position: 0 };
// YES bids 0.48×3, 0.50×2 (best last); NO bids 0.45×4, 0.47×1 → YES asks 0.53×1, 0.55×4
const book: BookDepth = {
  yes: [
    [4800, 300],
    [5000, 200],
  ],
  no: [
    [4500, 400],
    [4700, 100],
  ],
};

describe("paperExecute", () => {
  test("walks YES asks (from NO bids) up to the limit, at the resting prices, taker fee per level", () => {
    const r = paperExecute(order({ price: 5500, count: 1000 }), book, mkt(), rich);
    expect(r.fills).toEqual([
      { price: 5300, count: 100, feeMicros: takerFee(5300, 100), isTaker: true },
      { price: 5500, count: 400, feeMicros: takerFee(5500, 400), isTaker: true },
    ]);
    expect(r.restingCount).toBe(0);
  });

  test("limit stops the walk; GTC rests the rest", () => {
    const r = paperExecute(order({ price: 5400, count: 300, timeInForce: "good_till_canceled" }), book, mkt(), rich);
    expect(r.fills.map((f) => [f.price, f.count])).toEqual([[5300, 100]]);
    expect(r.restingCount).toBe(200);
  });

  test("an ask walks YES bids down to its limit", () => {
    const r = paperExecute(order({ side: "ask", price: 4800, count: 400 }), book, mkt(), rich);
    expect(r.fills.map((f) => [f.price, f.count])).toEqual([
      [5000, 200],
      [4800, 200],
    ]);
  });

  test("FOK: all or nothing against the visible book", () => {
    expect(paperExecute(order({ price: 5500, count: 600, timeInForce: "fill_or_kill" }), book, mkt(), rich).fills).toEqual([]);
    expect(paperExecute(order({ price: 5500, count: 500, timeInForce: "fill_or_kill" }), book, mkt(), rich).fills).toHaveLength(2);
  });

  test("top of book only shows one level", () => {
    const top = { yesBid: 5000, yesBidSize: 200, yesAsk: 5300, yesAskSize: 100 };
    const r = paperExecute(order({ price: 9000, count: 1000 }), top, mkt(), rich);
    expect(r.fills).toEqual([{ price: 5300, count: 100, feeMicros: takerFee(5300, 100), isTaker: true }]);
  });

  test("validation like live: grid, size, post_only cross, cash, reduce_only", () => {
    expect(paperExecute(order({ price: 5450 }), book, mkt(), rich).rejected).toMatch(/invalid_price/);
    expect(
      paperExecute(order({ price: 5450 }), book, mkt({ priceRanges: rangesForStructure("deci_cent") }), rich).rejected,
    ).toBeUndefined();
    expect(paperExecute(order({ count: 0 }), book, mkt(), rich).rejected).toMatch(/count/);
    expect(paperExecute(order({ postOnly: true, timeInForce: "good_till_canceled" }), book, mkt(), rich).rejected).toMatch(/post only/);
    const po = paperExecute(order({ postOnly: true, price: 5200, timeInForce: "good_till_canceled" }), book, mkt(), rich);
    expect(po).toEqual({ fills: [], restingCount: 1000 });
    expect(paperExecute(order({ count: 1000 }), book, mkt(), { availableMicros: 5_000_000, position: 0 }).rejected).toMatch(/insufficient/);
    // closing contracts need no collateral
    expect(
      paperExecute(order({ side: "ask", price: 4800, count: 500 }), book, mkt(), { availableMicros: 200_000, position: 500 }).rejected,
    ).toBeUndefined();
    expect(paperExecute(order({ side: "ask", price: 4800, reduceOnly: true }), book, mkt(), rich).rejected).toMatch(/reduce_only/);
  });

  test("fee multiplier", () => {
    const r = paperExecute(order({ price: 5300, count: 100 }), book, mkt({ feeMultiplierE4: 5_000 }), rich);
    expect(r.fills[0]!.feeMicros).toBe(takerFee(5300, 100, 5_000));
  });

  test("consumeBook: a second order does not reuse liquidity", () => {
    const r = paperExecute(order({ price: 5500, count: 300 }), book, mkt(), rich);
    const after = consumeBook(book, "bid", r.fills);
    expect(oppositeLevels(after, "bid")).toEqual([[5500, 200]]);
  });

  test("property: never more than visible, never better than the book, fees exact", () => {
    const level = fc.tuple(
      fc.integer({ min: 1, max: 99 }).map((c) => c * 100),
      fc.integer({ min: 1, max: 2_000 }),
    );
    fc.assert(
      fc.property(
        fc.array(level, { maxLength: 6 }),
        fc.array(level, { maxLength: 6 }),
        fc.constantFrom<BookSide>("bid", "ask"),
        fc.integer({ min: 1, max: 99 }).map((c) => c * 100),
        fc.integer({ min: 1, max: 5_000 }),
        fc.constantFrom<TimeInForce>("immediate_or_cancel", "fill_or_kill", "good_till_canceled"),
        (yes, no, side, price, count, tif) => {
          const b: BookDepth = { yes: yes as Array<[Price, Count]>, no: no as Array<[Price, Count]> };
          const r = paperExecute(order({ side, price, count, timeInForce: tif }), b, mkt({ feeMultiplierE4: 7_500 }), rich);
          const levels = oppositeLevels(b, side).filter(([p]) => (side === "bid" ? p <= price : p >= price));
          const visible = levels.reduce((a, [, c]) => a + c, 0);
          const filled = r.fills.reduce((a, f) => a + f.count, 0);
          expect(filled).toBeLessThanOrEqual(Math.min(visible, count));
          expect(filled + r.restingCount).toBeLessThanOrEqual(count);
          if (tif === "fill_or_kill") expect(filled === 0 || filled === count).toBe(true);
          for (const f of r.fills) {
            if (side === "bid") expect(f.price).toBeLessThanOrEqual(price);
            else expect(f.price).toBeGreaterThanOrEqual(price);
            const lvl = levels.filter(([p]) => p === f.price).reduce((a, [, c]) => a + c, 0);
            expect(f.count).toBeLessThanOrEqual(lvl);
            // never a better price than the best the book offered
            expect(side === "bid" ? f.price >= levels[0]![0] : f.price <= levels[0]![0]).toBe(true);
            expect(f.feeMicros).toBe(takerFee(f.price, f.count, 7_500));
            expect(f.isTaker).toBe(true);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

describe("paperRestingFills", () => {
  const rest = { ticker: "A", side: "bid" as const, price: 5000, remaining: 500 };
  test("only trades strictly through the price fill, at most their size, at our price, as maker", () => {
    const trades = [
      { ticker: "A", price: 5000, count: 1000, tsMs: 1 }, // at our price: the queue ahead may have taken it
      { ticker: "A", price: 4900, count: 200, tsMs: 2 },
      { ticker: "B", price: 100, count: 1000, tsMs: 3 },
      { ticker: "A", price: 4800, count: 1000, tsMs: 4 },
    ];
    const r = paperRestingFills(rest, trades, { feeType: "quadratic", feeMultiplierE4: 10_000 });
    expect(r.fills).toEqual([
      { price: 5000, count: 200, feeMicros: 0, isTaker: false },
      { price: 5000, count: 300, feeMicros: 0, isTaker: false },
    ]);
    expect(r.remaining).toBe(0);
  });
  test("maker fees on quadratic_with_maker_fees series", () => {
    const r = paperRestingFills({ ...rest, side: "ask", price: 6000 }, [{ ticker: "A", price: 6100, count: 100, tsMs: 5 }], {
      feeType: "quadratic_with_maker_fees",
      feeMultiplierE4: 10_000,
    });
    expect(r.fills).toEqual([{ price: 6000, count: 100, feeMicros: makerFee("quadratic_with_maker_fees", 6000, 100), isTaker: false }]);
    expect(r.fills[0]!.feeMicros).toBe(4_200);
  });
  test("trades before the last check are ignored", () => {
    expect(
      paperRestingFills(rest, [{ ticker: "A", price: 4000, count: 100, tsMs: 10 }], { feeType: "quadratic", feeMultiplierE4: 10_000 }, 10)
        .fills,
    ).toEqual([]);
  });
});

describe("paperRestingFillsShared (every resting order of a market against the same prints)", () => {
  const fee = { feeType: "quadratic" as const, feeMultiplierE4: 10_000 };
  test("a print's size is shared: two bids through which one 2-lot prints fill 2 contracts in all, best price first", () => {
    const orders = [
      { ticker: "A", side: "bid" as const, price: 4900, remaining: 300, sinceMs: 0 },
      { ticker: "A", side: "bid" as const, price: 5000, remaining: 100, sinceMs: 0 },
    ];
    const r = paperRestingFillsShared(orders, [{ ticker: "A", price: 4800, count: 200, tsMs: 5 }], fee);
    expect(r[1]!.fills.map((f) => f.count)).toEqual([100]);
    expect(r[0]!.fills.map((f) => f.count)).toEqual([100]);
    expect(r[0]!.remaining + r[1]!.remaining).toBe(200);
  });
  test("an order only meets prints newer than its own stamp (placed after them: never filled by them)", () => {
    const orders = [
      { ticker: "A", side: "ask" as const, price: 6000, remaining: 500, sinceMs: 10 },
      { ticker: "A", side: "ask" as const, price: 6000, remaining: 500, sinceMs: 0 },
    ];
    const before = paperRestingFillsShared(orders, [{ ticker: "A", price: 6100, count: 100, tsMs: 5 }], fee);
    expect(before[0]!.fills).toEqual([]);
    expect(before[1]!.fills.map((f) => f.count)).toEqual([100]);
    // A later print reaches both (same price: the order given first takes it first).
    const after = paperRestingFillsShared(orders, [{ ticker: "A", price: 6200, count: 600, tsMs: 11 }], fee);
    expect(after.map((x) => x.fills.map((f) => f.count))).toEqual([[500], [100]]);
  });
  test("never more than the prints through the price, whatever the number of orders (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            side: fc.constantFrom("bid" as const, "ask" as const),
            price: fc.integer({ min: 1, max: 99 }).map((x) => x * 100),
            remaining: fc.integer({ min: 1, max: 1000 }),
            sinceMs: fc.integer({ min: 0, max: 20 }),
          }),
          { maxLength: 6 },
        ),
        fc.array(
          fc.record({
            price: fc.integer({ min: 1, max: 99 }).map((x) => x * 100),
            count: fc.integer({ min: 0, max: 500 }),
            tsMs: fc.integer({ min: 0, max: 30 }),
          }),
          { maxLength: 10 },
        ),
        (os, ps) => {
          const orders = os.map((o) => ({ ...o, ticker: "A" }));
          const prints = ps.map((p) => ({ ...p, ticker: "A" }));
          const r = paperRestingFillsShared(orders, prints, fee);
          const filled = r.reduce((a, x) => a + x.fills.reduce((b, f) => b + f.count, 0), 0);
          expect(filled).toBeLessThanOrEqual(prints.reduce((a, p) => a + p.count, 0));
          r.forEach((x, i) => {
            expect(x.remaining).toBe(orders[i]!.remaining - x.fills.reduce((b, f) => b + f.count, 0));
            expect(x.remaining).toBeGreaterThanOrEqual(0);
          });
        },
      ),
    );
  });
});

describe("queue position at the touch (issue 13: one honest fill model for paper and backtest)", () => {
  const fee = { feeType: "quadratic" as const, feeMultiplierE4: 10_000 };
  test("queueAheadAt: the size shown at the price; first in line when better than the best; unknown behind a top-of-book line", () => {
    // YES bids 0.48×3, 0.50×2; NO bids 0.45×4, 0.47×1 (YES asks 0.53×1, 0.55×4).
    expect(queueAheadAt(book, "bid", 5000, true)).toBe(200);
    expect(queueAheadAt(book, "bid", 4800, true)).toBe(300);
    expect(queueAheadAt(book, "bid", 5100, true)).toBe(0);
    expect(queueAheadAt(book, "bid", 4900, true)).toBe(0); // a full book with no level there: nobody ahead
    expect(queueAheadAt(book, "ask", 5300, true)).toBe(100);
    expect(queueAheadAt(book, "ask", 5200, true)).toBe(0);
    const top = { yesBid: 5000, yesBidSize: 200, yesAsk: 5300, yesAskSize: 100 };
    expect(queueAheadAt(top, "bid", 5000, false)).toBe(200);
    expect(queueAheadAt(top, "bid", 4900, false)).toBeNull(); // depth behind the top unknown
    expect(queueAheadAt(top, "ask", 5400, false)).toBeNull();
  });
  test("prints at the price go to the queue ahead first; only what is left of a print reaches the order", () => {
    const o = [{ ticker: "A", side: "bid" as const, price: 5000, remaining: 300, sinceMs: 0, queueAhead: 500 }];
    const sells = (n: number, ts: number) => ({ ticker: "A", price: 5000, count: n, takerBookSide: "ask" as const, tsMs: ts });
    const r1 = paperRestingFillsShared(o, [sells(200, 1), sells(200, 2)], fee);
    expect(r1[0]!.fills).toEqual([]);
    expect(r1[0]!.queueAhead).toBe(100);
    const r2 = paperRestingFillsShared([{ ...o[0]!, queueAhead: r1[0]!.queueAhead }], [sells(250, 3)], fee);
    expect(r2[0]!.fills.map((f) => [f.price, f.count, f.isTaker])).toEqual([[5000, 150, false]]);
    expect(r2[0]!.remaining).toBe(150);
  });
  test("a buyer at our bid's price does not reach the bid; an unknown queue never fills at the price", () => {
    const buy = { ticker: "A", price: 5000, count: 1_000, takerBookSide: "bid" as const, tsMs: 1 };
    expect(
      paperRestingFillsShared(
        [{ ticker: "A", side: "bid" as const, price: 5000, remaining: 100, sinceMs: 0, queueAhead: 0 }],
        [buy],
        fee,
      )[0]!.fills,
    ).toEqual([]);
    const sell = { ...buy, takerBookSide: "ask" as const };
    expect(
      paperRestingFillsShared(
        [{ ticker: "A", side: "bid" as const, price: 5000, remaining: 100, sinceMs: 0, queueAhead: null }],
        [sell],
        fee,
      )[0]!.fills,
    ).toEqual([]);
    expect(
      paperRestingFillsShared([{ ticker: "A", side: "bid" as const, price: 5000, remaining: 100, sinceMs: 0 }], [sell], fee)[0]!.fills,
    ).toEqual([]);
    // Through the price: filled whatever the queue said, and the queue is gone.
    const through = paperRestingFillsShared(
      [{ ticker: "A", side: "bid" as const, price: 5000, remaining: 100, sinceMs: 0, queueAhead: 10_000 }],
      [{ ...sell, price: 4900, count: 50 }],
      fee,
    )[0]!;
    expect(through.fills.map((f) => f.count)).toEqual([50]);
    expect(through.queueAhead).toBe(0);
  });
});

describe("PaperTransport: the queue position outlives the process that placed the order", () => {
  test("a second transport on the same ledger (the next --once run) fills at the price only after the recorded queue", async () => {
    const { openDb } = await import("../../src/db/open.ts");
    const { Ledger } = await import("../../src/engine/ledger.ts");
    const { PaperTransport } = await import("../../src/engine/paper-transport.ts");
    const ledger = new Ledger(openDb(":memory:"), true);
    ledger.setCashAnchor(1_000_000_000);
    const market = {
      ticker: "A",
      eventTicker: "E",
      seriesTicker: "S",
      status: "active",
      yesBid: 5000,
      yesBidSize: 500,
      yesAsk: 5300,
      yesAskSize: 100,
      lastPrice: null,
      volume: 0,
      openInterest: 0,
      priceRanges: rangesForStructure("linear_cent"),
      feeType: "quadratic" as const,
      feeMultiplierE4: 10_000,
      closeTimeMs: null,
    };
    const first = new PaperTransport(ledger, () => 1_000);
    first.setMarkets(new Map([["A", market]]));
    const [row] = ledger.insertPending([
      {
        clientOrderId: "c1",
        ticker: "A",
        eventTicker: "E",
        side: "bid",
        price: 5000,
        count: 200,
        timeInForce: "good_till_canceled",
        postOnly: true,
        reduceOnly: false,
        strategy: "t",
        reason: "t",
        orderGroupId: null,
        groupKey: null,
        cycleId: null,
      },
    ]);
    const [out] = await first.create([
      {
        clientOrderId: "c1",
        ticker: "A",
        eventTicker: "E",
        side: "bid",
        price: 5000,
        count: 200,
        timeInForce: "good_till_canceled",
        postOnly: true,
        reduceOnly: false,
        orderGroupId: null,
      },
    ]);
    if (out?.kind !== "accepted") throw new Error(`paper create: ${JSON.stringify(out)}`);
    ledger.updateOrder(row!.id, { status: "resting", orderId: out.orderId, remainingCount: 200 }, "t");
    // The next process: a new transport, same ledger. 500 contracts were ahead at 0.50.
    const next = new PaperTransport(ledger, () => 2_000);
    next.setMarkets(new Map([["A", market]]));
    const sells = (n: number, ts: number) => ({ ticker: "A", price: 5000, count: n, takerBookSide: "ask" as const, tsMs: ts });
    expect(next.fillResting(new Map([["A", [sells(400, 10)]]]), () => 0)).toBe(0);
    const third = new PaperTransport(ledger, () => 3_000);
    third.setMarkets(new Map([["A", market]]));
    expect(third.fillResting(new Map([["A", [sells(150, 20)]]]), () => 0)).toBe(1);
    expect(ledger.positions().get("A")?.position).toBe(50);
  });
});

describe("PaperTransport: liquidity paper took stays taken until the venue's level grows or empties", () => {
  test("the next --once run sees the ask it emptied as gone, a FOK for it fails; a requoted level is there again", async () => {
    const { openDb } = await import("../../src/db/open.ts");
    const { Ledger } = await import("../../src/engine/ledger.ts");
    const { PaperTransport } = await import("../../src/engine/paper-transport.ts");
    const ledger = new Ledger(openDb(":memory:"), true);
    ledger.setCashAnchor(1_000_000_000);
    const market = {
      ticker: "A",
      eventTicker: "E",
      seriesTicker: "S",
      status: "active",
      yesBid: 5000,
      yesBidSize: 500,
      yesAsk: 5300,
      yesAskSize: 300,
      lastPrice: null,
      volume: 0,
      openInterest: 0,
      priceRanges: rangesForStructure("linear_cent"),
      feeType: "quadratic" as const,
      feeMultiplierE4: 10_000,
      closeTimeMs: null,
    };
    const fok = (id: string, count: number) => ({
      clientOrderId: id,
      ticker: "A",
      eventTicker: "E",
      side: "bid" as const,
      price: 5300,
      count,
      timeInForce: "fill_or_kill" as const,
      postOnly: false,
      reduceOnly: false,
      orderGroupId: null,
    });
    const md = (m: typeof market) => ({
      markets: new Map([["A", m]]),
      events: new Map(),
      requests: 0,
      inactive: new Map(),
      untradeable: new Map(),
    });
    const run = async (m: typeof market, count: number, id: string) => {
      const t = new PaperTransport(ledger, () => 1_000);
      const { PaperUpkeep } = await import("../../src/engine/paper-upkeep.ts");
      const d = md(m);
      // Only setMarkets is used here: the other dependencies are not touched.
      new PaperUpkeep({
        ledger,
        transport: t,
        marketData: null!,
        client: null!,
        loaded: null!,
        ttlSeconds: 0,
        now: () => 1_000,
        exchangeTime: () => {},
      }).setMarkets(d);
      const [out] = await t.create([fok(id, count)]);
      return { out, seen: d.markets.get("A")! };
    };
    const first = await run(market, 200, "c1");
    expect(first.out).toMatchObject({ kind: "accepted", filled: 200 });
    expect(first.seen.yesAskSize).toBe(300);
    // The venue (which never saw the paper order) still shows 300 at 0.53: 100 of them are left for paper.
    const second = await run(market, 200, "c2");
    expect(second.seen.yesAskSize).toBe(100);
    expect(second.out).toMatchObject({ kind: "accepted", filled: 0 });
    // Others traded 50 at the level on the venue: live, they took from what was left after paper's
    // 200 (paper was ahead of them), so 50 are left, not 250.
    const third = await run({ ...market, yesAskSize: 250 }, 200, "c3");
    expect(third.seen.yesAskSize).toBe(50);
    expect(third.out).toMatchObject({ kind: "accepted", filled: 0 });
    // The makers requoted the level (it grew): the level is fresh again.
    const fourth = await run({ ...market, yesAskSize: 350 }, 200, "c4");
    expect(fourth.seen.yesAskSize).toBe(350);
    expect(fourth.out).toMatchObject({ kind: "accepted", filled: 200 });
    // Emptied and requoted smaller than before is a new level too (it went away first).
    const gone = await run({ ...market, yesAsk: 5400, yesAskSize: 100 }, 1, "c5");
    expect(gone.out).toMatchObject({ kind: "accepted", filled: 0 });
    const back = await run({ ...market, yesAskSize: 120 }, 100, "c6");
    expect(back.seen.yesAskSize).toBe(120);
    expect(back.out).toMatchObject({ kind: "accepted", filled: 100 });
  });
});

describe("paperCrossedFills (a venue book that crosses a resting paper order)", () => {
  const fee = { feeType: "quadratic_with_maker_fees" as const, feeMultiplierE4: 10_000 };
  test("an ask at or below our bid fills it at our price as maker, best level first, shared by our orders best price first", () => {
    // YES asks 0.49×1, 0.50×2, 0.52×5 (NO bids at 1 − p); our bids 0.50×2 and 0.51×2.
    const crossed: BookDepth = {
      yes: [[4000, 100]],
      no: [
        [4800, 500],
        [5000, 200],
        [5100, 100],
      ],
    };
    const orders = [
      { ticker: "A", side: "bid" as const, price: 5000, remaining: 200 },
      { ticker: "A", side: "bid" as const, price: 5100, remaining: 200 },
    ];
    const { results, used } = paperCrossedFills(orders, crossed, fee);
    // The 0.51 bid meets the 0.49 ask (1) and 0.50 (1 of 2); the 0.50 bid gets the last one at 0.50.
    expect(results[1]!.fills.map((f) => [f.price, f.count, f.isTaker])).toEqual([
      [5100, 100, false],
      [5100, 100, false],
    ]);
    expect(results[0]!.fills.map((f) => [f.price, f.count])).toEqual([[5000, 100]]);
    expect(results.map((r) => r.remaining)).toEqual([100, 0]);
    expect(results[0]!.fills[0]!.feeMicros).toBe(makerFee("quadratic_with_maker_fees", 5000, 100));
    expect(used).toEqual([
      { side: "bid", price: 4900, count: 100 },
      { side: "bid", price: 5000, count: 200 },
    ]);
    // An uncrossed book fills nothing; asks are crossed by bids at or above them.
    expect(paperCrossedFills(orders, book, fee).used).toEqual([]);
    const ask = paperCrossedFills([{ ticker: "A", side: "ask", price: 4900, remaining: 500 }], book, fee);
    expect(ask.results[0]!.fills.map((f) => [f.price, f.count])).toEqual([[4900, 200]]);
    expect(ask.used).toEqual([{ side: "ask", price: 5000, count: 200 }]);
  });
  test("never more than the crossing levels show, nor than the orders rest (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 500 })), { maxLength: 5 }),
        fc.array(fc.tuple(fc.constantFrom<BookSide>("bid", "ask"), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 500 })), {
          maxLength: 4,
        }),
        (levels, os) => {
          // One level a price, as a book has.
          const one = [...new Map(levels.map(([p, c]) => [p * 100, c]))];
          const b: BookDepth = { yes: one, no: one };
          const orders = os.map(([side, p, c]) => ({ ticker: "A", side, price: p * 100, remaining: c }));
          const { results, used } = paperCrossedFills(orders, b, fee);
          results.forEach((r, i) => {
            const got = r.fills.reduce((a, f) => a + f.count, 0);
            expect(got + r.remaining).toBe(orders[i]!.remaining);
            for (const f of r.fills) expect(f.price).toBe(orders[i]!.price);
          });
          for (const side of ["bid", "ask"] as const) {
            const shown = new Map(oppositeLevels(b, side));
            for (const u of used.filter((x) => x.side === side)) expect(u.count).toBeLessThanOrEqual(shown.get(u.price) ?? 0);
          }
        },
      ),
    );
  });
});

describe("PaperUpkeep + PaperTransport: the paper exchange as the strategies and the fill model see it", () => {
  test("our resting order is in the book the strategies see; a maker requoting through it fills it once, at our price", async () => {
    const { openDb } = await import("../../src/db/open.ts");
    const { Ledger } = await import("../../src/engine/ledger.ts");
    const { PaperTransport } = await import("../../src/engine/paper-transport.ts");
    const { PaperUpkeep } = await import("../../src/engine/paper-upkeep.ts");
    const ledger = new Ledger(openDb(":memory:"), true);
    ledger.setCashAnchor(1_000_000_000);
    const view = (no: Array<[Price, Count]>) => ({
      ticker: "A",
      eventTicker: "E",
      seriesTicker: "S",
      status: "active",
      yesBid: 5000,
      yesBidSize: 500,
      yesAsk: PRICE_ONE_ - Math.max(...no.map(([q]) => q)),
      yesAskSize: no.find(([q]) => q === Math.max(...no.map(([x]) => x)))![1],
      lastPrice: null,
      volume: 0,
      openInterest: 0,
      priceRanges: rangesForStructure("linear_cent"),
      feeType: "quadratic" as const,
      feeMultiplierE4: 10_000,
      closeTimeMs: null,
      book: { yes: [[5000, 500]] as Array<[Price, Count]>, no },
    });
    const md = (v: ReturnType<typeof view>) => ({
      markets: new Map([["A", v]]),
      events: new Map(),
      requests: 0,
      inactive: new Map(),
      untradeable: new Map(),
    });
    const t = new PaperTransport(ledger, () => 1_000);
    // Only setMarkets is used until maintain: the other dependencies are not touched.
    const upkeep = new PaperUpkeep({
      ledger,
      transport: t,
      marketData: null!,
      client: null!,
      loaded: null!,
      ttlSeconds: 0,
      now: () => 1_000,
      exchangeTime: () => {},
    });
    upkeep.setMarkets(md(view([[4600, 300]])));
    const req = {
      clientOrderId: "c1",
      ticker: "A",
      eventTicker: "E",
      side: "bid" as const,
      price: 5100,
      count: 200,
      timeInForce: "good_till_canceled" as const,
      postOnly: true,
      reduceOnly: false,
      orderGroupId: null,
    };
    const [row] = ledger.insertPending([{ ...req, strategy: "t", reason: "t", groupKey: null, cycleId: null }]);
    const [out] = await t.create([req]);
    if (out?.kind !== "accepted") throw new Error(`paper create: ${JSON.stringify(out)}`);
    ledger.updateOrder(row!.id, { status: "resting", orderId: out.orderId, remainingCount: 200 }, "t");
    // The next look: the strategies see our 0.51 bid on top, as the exchange would show it.
    const d1 = md(view([[4600, 300]]));
    upkeep.setMarkets(d1);
    const seen = d1.markets.get("A")!;
    expect([seen.yesBid, seen.yesBidSize]).toEqual([5100, 200]);
    expect(seen.book!.yes).toEqual([
      [5000, 500],
      [5100, 200],
    ]);
    // The fill model does not: nothing crosses, nothing fills.
    expect(t.fillCrossed()).toBe(0);
    // The maker requoted its ask down to 0.50 (NO bid 0.50 ×1): live it would have hit our 0.51 bid.
    const d2 = md(view([[5000, 100]]));
    upkeep.setMarkets(d2);
    expect(t.fillCrossed()).toBe(1);
    const fills = ledger.db.$client.query("select price, count, is_taker from fills where paper = 1").all();
    expect(fills).toEqual([{ price: 5100, count: 100, is_taker: 0 }]);
    expect(ledger.orderByOrderId(out.orderId)).toMatchObject({ remainingCount: 100, filledCount: 100, status: "resting" });
    // The venue still shows that ask (it never saw our order); it is not used a second time.
    upkeep.setMarkets(md(view([[5000, 100]])));
    expect(t.fillCrossed()).toBe(0);
    // A fresh ask through us (the level grew: requoted) fills the rest.
    upkeep.setMarkets(md(view([[5000, 400]])));
    expect(t.fillCrossed()).toBe(1);
    expect(ledger.positions().get("A")?.position).toBe(200);
  });
});
