// A cycle's market map derived from the last one (market-changes.ts) must not keep that one alive:
// at 10,000 markets each map is ~0.65 MB, and the daemon held the previous cycle's whole map through
// the current one's lineage (issue 14, goal 5: resident memory). What the lineage needs of the older
// map (the tickers set on it since, whether it was cleared) is kept; the map itself is let go, and
// changesSince still answers for it.
import { describe, expect, test } from "bun:test";
import { TrackedMarkets } from "../../src/engine/market-changes.ts";
import type { MarketView } from "../../src/strategies/types.ts";

const view = (ticker: string, yesBid: number): MarketView => ({
  ticker,
  eventTicker: "E",
  seriesTicker: "S",
  status: "active",
  yesBid,
  yesBidSize: 100,
  yesAsk: null,
  yesAskSize: 0,
  lastPrice: null,
  volume: 0,
  openInterest: 0,
  priceRanges: [{ start: 0, end: 10_000, step: 100 }],
  feeType: "quadratic",
  feeMultiplierE4: 10_000,
  closeTimeMs: null,
});

describe("a derived market map does not hold the one it came from", () => {
  test("the older maps are collectable while the derived ones live", async () => {
    const N = 20;
    const kept: TrackedMarkets[] = [];
    // In a function of its own, so no local of this test keeps an older map alive.
    const derive = (): Array<WeakRef<TrackedMarkets>> => {
      const refs: Array<WeakRef<TrackedMarkets>> = [];
      for (let i = 0; i < N; i++) {
        const older = new TrackedMarkets(
          Array.from({ length: 500 }, (_, k) => [`T${k}`, view(`T${k}`, 1000 + k)] as const),
          null,
        );
        kept.push(new TrackedMarkets(older, { from: older, differ: new Set(["T1"]) }));
        refs.push(new WeakRef(older));
      }
      return refs;
    };
    const refs = derive();
    // WeakRef targets stay alive until the job that made them ends.
    await Bun.sleep(0);
    Bun.gc(true);
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    // JSC scans the stack conservatively, so a stale word can keep one alive; a lineage holding them keeps all N.
    expect(alive).toBeLessThanOrEqual(1);
    expect(kept.length).toBe(N);
  });

  test("changesSince still answers for the older map: its later edits, the derivation's differences, the new map's edits", () => {
    const older = new TrackedMarkets(
      ["A", "B", "C", "D"].map((t) => [t, view(t, 1000)] as const),
      null,
    );
    const newer = new TrackedMarkets(older, { from: older, differ: new Set(["A"]) });
    older.set("B", view("B", 1100));
    newer.delete("C");
    expect([...newer.changesSince(older)!].sort()).toEqual(["A", "B", "C"]);
    // Not derived from it: compare them all.
    expect(newer.changesSince(new TrackedMarkets(older, null))).toBeNull();
    expect(newer.changesSince(new Map(older))).toBeNull();
    // A cleared map may differ anywhere.
    older.clear();
    expect(newer.changesSince(older)).toBeNull();
  });
});
