// Our cancelled orders taken back out of a live view read before the cancels (view-without-own.ts):
// what the strategies see after a renewal, the same book a dry run shows them.
import { describe, expect, test } from "bun:test";
import type { Count, Price } from "../../src/kalshi/money.ts";
import { rangesForStructure } from "../../src/kalshi/price-grid.ts";
import { viewWithOwn } from "../../src/engine/paper-view.ts";
import { viewWithoutOwn, withTopFromDepth } from "../../src/engine/view-without-own.ts";
import type { MarketView } from "../../src/strategies/types.ts";

const base = (over: Partial<MarketView> = {}): MarketView => ({
  ticker: "A",
  eventTicker: "E",
  seriesTicker: "S",
  status: "active",
  yesBid: 4000,
  yesBidSize: 50_000,
  yesAsk: 4300,
  yesAskSize: 30_000,
  lastPrice: null,
  volume: 0,
  openInterest: 0,
  priceRanges: rangesForStructure("linear_cent"),
  feeType: "quadratic",
  feeMultiplierE4: 10_000,
  closeTimeMs: null,
  ...over,
});
const depth = (yes: Array<[Price, Count]>, no: Array<[Price, Count]>) => ({ yes, no });

describe("viewWithoutOwn", () => {
  test("with depth: our levels go, the top of book is what is left behind them", () => {
    const v = base({
      book: depth(
        [
          [3900, 10_000],
          [4000, 50_000],
        ],
        [
          [5600, 8_000],
          [5700, 30_000],
        ],
      ),
    });
    const ours = [
      { side: "bid" as const, price: 4100, remainingCount: 200 },
      { side: "ask" as const, price: 4200, remainingCount: 200 },
    ];
    const seen = viewWithOwn(v, ours);
    expect([seen.yesBid, seen.yesAsk]).toEqual([4100, 4200]);
    const after = viewWithoutOwn(seen, ours)!;
    expect(after.book).toEqual(v.book!);
    expect([after.yesBid, after.yesBidSize, after.yesAsk, after.yesAskSize]).toEqual([4000, 50_000, 4300, 30_000]);
    // Part of a level: the level stays, smaller.
    const shared = viewWithoutOwn(v, [{ side: "bid", price: 4000, remainingCount: 200 }])!;
    expect([shared.yesBid, shared.yesBidSize]).toEqual([4000, 49_800]);
  });

  test("top of book only: a shared top level shrinks; a top level that was only ours is unknown (null: read again)", () => {
    const v = base();
    const shrunk = viewWithoutOwn(v, [{ side: "ask", price: 4300, remainingCount: 200 }])!;
    expect([shrunk.yesAsk, shrunk.yesAskSize]).toEqual([4300, 29_800]);
    expect(viewWithoutOwn(base({ yesBidSize: 200 }), [{ side: "bid", price: 4000, remainingCount: 200 }])).toBeNull();
    // Behind the top, or already filled: nothing to take out.
    expect(viewWithoutOwn(v, [{ side: "bid", price: 3800, remainingCount: 200 }])).toEqual(v);
    expect(viewWithoutOwn(v, [{ side: "bid", price: 4000, remainingCount: 0 }])).toBe(v);
  });

  test("a view read again after the cancels takes its top of book from the new depth", () => {
    const v = withTopFromDepth(base({ yesBid: 4100, book: depth([[3950, 700]], [[5800, 900]]) }));
    expect([v.yesBid, v.yesBidSize, v.yesAsk, v.yesAskSize]).toEqual([3950, 700, 4200, 900]);
  });
});
