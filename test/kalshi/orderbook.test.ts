import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OrderBook, OrderBooks } from "../../src/kalshi/orderbook.ts";
import { WsMessage } from "../../src/kalshi/wire/ws.ts";
import { FIXTURES } from "./fixtures.ts";

function replay(name: string, useYesPrice: boolean): OrderBook {
  const books = new OrderBooks();
  const lines = readFileSync(join(FIXTURES, `${name}.jsonl`), "utf8")
    .split("\n")
    .filter((l) => l.trim());
  for (const l of lines) {
    const m = WsMessage.parse(JSON.parse(l));
    if (m.type === "orderbook_snapshot") books.snapshot(m.sid, m.msg.market_ticker, m.msg.yes_dollars_fp, m.msg.no_dollars_fp, useYesPrice);
    if (m.type === "orderbook_delta") books.delta(m.msg.market_ticker, m.msg.side, m.msg.price_dollars, m.msg.delta_fp);
  }
  return books.get("KXWTACHALLENGERMATCH-26JUN11JIMLEP-LEP")!;
}

describe("recorded sessions in both use_yes_price modes", () => {
  test("YES-price feed: NO levels at 0.52 are NO bids at 0.48 (a YES ask at 0.52)", () => {
    const b = replay("ws__orderbook_trade_yes", true);
    expect(b.trusted).toBe(true);
    expect(b.bestYesBid()).toEqual({ price: 4700, size: 300 });
    // snapshot no@0.52 x1, then -1, then +2 ⇒ 2 contracts
    expect(b.bestNoBid()).toEqual({ price: 4800, size: 200 });
    expect(b.bestYesAsk()).toEqual({ price: 5200, size: 200 });
    expect(b.bestNoAsk()).toEqual({ price: 5300, size: 300 });
  });
  test("NO-leg feed lands in the same canonical book", () => {
    const b = replay("ws__orderbook_trade_noleg", false);
    expect(b.trusted).toBe(true);
    expect(b.bestYesBid()?.price).toBe(4700);
    expect(b.bestNoBid()?.price).toBe(4800);
    expect(b.bestYesAsk()?.price).toBe(5200);
  });
});

describe("book mechanics", () => {
  test("levels, removal at zero, best re-scan, empty sides", () => {
    const b = new OrderBook("T");
    b.applySnapshot(
      [
        [4700, 300],
        [4500, 100],
      ],
      [],
    );
    expect(b.bestYesAsk()).toBeNull();
    expect(b.bestNoAsk()).toEqual({ price: 5300, size: 300 });
    b.applyDelta("yes", 4700, -300);
    expect(b.bestYesBid()).toEqual({ price: 4500, size: 100 });
    b.applyDelta("yes", 4500, -100);
    expect(b.bestYesBid()).toBeNull();
    b.applyDelta("no", 300, 50);
    expect(b.levels("no")).toEqual([[300, 50]]);
  });
  test("a delta that would go negative distrusts the book", () => {
    const b = new OrderBook("T");
    b.applySnapshot([[4700, 100]], []);
    expect(b.applyDelta("yes", 4700, -200)).toBe(false);
    expect(b.trusted).toBe(false);
    b.applySnapshot([[4700, 100]], []);
    expect(b.trusted).toBe(true);
  });
  test("sub-penny prices sit beside cent ones, none lost", () => {
    const b = new OrderBook("T");
    b.applySnapshot([[4700, 100]], [[5100, 100]]);
    b.applyDelta("yes", 4705, 200);
    b.applyDelta("yes", 3, 100);
    expect(b.levels("yes")).toEqual([
      [4705, 200],
      [4700, 100],
      [3, 100],
    ]);
    expect(b.bestNoBid()).toEqual({ price: 5100, size: 100 });
  });
  test("sizes stay exact whatever they are: above 2^32 hundredths, fractions, beside a sub-penny level", () => {
    const b = new OrderBook("T");
    // 50M contracts (5e9 hundredths) on the YES side in the snapshot, a sum past 2^32 on the NO side.
    b.applySnapshot([[4700, 5_000_000_000]], [[5100, 4_294_967_295]]);
    expect(b.bestYesBid()).toEqual({ price: 4700, size: 5_000_000_000 });
    expect(b.applyDelta("no", 5100, 1)).toBe(true);
    expect(b.bestNoBid()).toEqual({ price: 5100, size: 4_294_967_296 });
    expect(b.applyDelta("yes", 4600, 0.5)).toBe(true);
    b.applyDelta("yes", 4705, 7);
    expect(b.levels("yes")).toEqual([
      [4705, 7],
      [4700, 5_000_000_000],
      [4600, 0.5],
    ]);
    expect(b.depth("no")).toBe(4_294_967_296);
    expect(b.applyDelta("yes", 4700, -5_000_000_000)).toBe(true);
    expect(b.levels("yes", 1)).toEqual([[4705, 7]]);
  });
  test("ignores deltas while untrusted; a gap on one sid distrusts only its books", () => {
    const books = new OrderBooks();
    books.snapshot(1, "A", [[4000, 100]], [], false);
    books.snapshot(2, "B", [[4000, 100]], [], false);
    expect(books.distrustSid(1, "gap")).toEqual(["A"]);
    books.delta("A", "yes", 4000, 500);
    expect(books.get("A")!.sizeAt("yes", 4000)).toBe(100);
    expect(books.get("B")!.trusted).toBe(true);
  });
});

describe("property: the array book equals a naive map model in both pricing modes", () => {
  const price = fc.integer({ min: 1, max: 99 }).map((c) => c * 100);
  const op = fc.record({ side: fc.constantFrom("yes" as const, "no" as const), price, delta: fc.integer({ min: -500, max: 500 }) });
  test("random snapshots + deltas", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.boolean(), (ops, useYes) => {
        const model = { yes: new Map<number, number>(), no: new Map<number, number>() };
        const b = new OrderBook("T", useYes);
        b.applySnapshot([], []);
        for (const o of ops) {
          // feed price as the feed would send it in this mode
          const canon = o.price;
          const fed = o.side === "no" && useYes ? 10_000 - canon : canon;
          const cur = model[o.side].get(canon) ?? 0;
          const next = cur + o.delta;
          if (next < 0) continue; // the real feed never sends these; the book would distrust itself
          if (next === 0) model[o.side].delete(canon);
          else model[o.side].set(canon, next);
          expect(b.applyDelta(o.side, fed, o.delta)).toBe(true);
        }
        for (const side of ["yes", "no"] as const) {
          const want = [...model[side].entries()].sort((a, b) => b[0] - a[0]);
          expect(b.levels(side)).toEqual(want);
          const best = want[0];
          const got = side === "yes" ? b.bestYesBid() : b.bestNoBid();
          expect(got).toEqual(best ? { price: best[0], size: best[1] } : null);
        }
        const yb = b.bestYesBid();
        expect(b.bestNoAsk()).toEqual(yb ? { price: 10_000 - yb.price, size: yb.size } : null);
      }),
      { numRuns: 300 },
    );
  });
});

describe("property: any integer price, snapshot levels then deltas, equal a naive map model", () => {
  // Sub-penny and cent prices mixed, repeated levels in a snapshot (they add up), sizes past 2^32.
  const price = fc.integer({ min: 1, max: 9_999 });
  const size = fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 2 ** 32 - 10, max: 2 ** 33 }));
  const level = fc.tuple(price, size);
  const op = fc.record({ side: fc.constantFrom("yes" as const, "no" as const), price, delta: fc.integer({ min: -3_000, max: 3_000 }) });
  test("random books", () => {
    fc.assert(
      fc.property(
        fc.array(level, { maxLength: 30 }),
        fc.array(level, { maxLength: 30 }),
        fc.array(op, { maxLength: 300 }),
        (ys, ns, ops) => {
          const model = { yes: new Map<number, number>(), no: new Map<number, number>() };
          for (const [p, c] of ys) model.yes.set(p, (model.yes.get(p) ?? 0) + c);
          for (const [p, c] of ns) model.no.set(p, (model.no.get(p) ?? 0) + c);
          const b = new OrderBook("T");
          b.applySnapshot(ys, ns);
          for (const o of ops) {
            const next = (model[o.side].get(o.price) ?? 0) + o.delta;
            if (next < 0) continue;
            if (next === 0) model[o.side].delete(o.price);
            else model[o.side].set(o.price, next);
            expect(b.applyDelta(o.side, o.price, o.delta)).toBe(true);
          }
          for (const side of ["yes", "no"] as const) {
            const want = [...model[side].entries()].sort((x, y) => y[0] - x[0]);
            expect(b.levels(side)).toEqual(want);
            expect(b.levels(side, 3)).toEqual(want.slice(0, 3));
            for (const [p, c] of want) expect(b.sizeAt(side, p)).toBe(c);
            expect(b.depth(side)).toBe(want.reduce((t, [, c]) => t + c, 0));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("a crossed first snapshot is refused", () => {
  // YES bid 0.60 and a NO bid at NO-leg 0.38 (YES ask 0.62): read as YES-leg prices by mistake,
  // the NO level becomes a YES ask of 0.38, under the bid: the book is being read wrong.
  test("NO-leg levels read as YES-leg prices: untrusted with the reason", () => {
    const b = new OrderBook("KXT-1", true);
    b.applySnapshot([[6000, 100]], [[3800, 100]]);
    expect(b.trusted).toBe(false);
    expect(b.reason).toMatch(/crossed snapshot/);
  });
  test("the same levels read in their own mode: trusted", () => {
    const b = new OrderBook("KXT-1", false);
    b.applySnapshot([[6000, 100]], [[3800, 100]]);
    expect(b.trusted).toBe(true);
    expect(b.bestYesAsk()!.price).toBe(6200);
  });
});
