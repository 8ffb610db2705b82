// Which markets' views may differ between two cycles' market maps, known without comparing 10,000
// views: the live overlay derives each cycle's map from the last one's and says where they may
// differ, and the map records every later set or delete itself (depth read over REST, a reactive
// pass's fresher view). A phase that kept something per market (the decision cache's verdicts, the
// risk state's fee table) then re-checks only those tickers (issue 14, goal 3).
import type { MarketView } from "../strategies/types.ts";

/**
 * A cycle's markets by ticker, with its lineage: the map it was derived from and the tickers whose
 * view (or presence) may differ from that map's at the derivation, plus every ticker set or deleted
 * on it since. A consumer that last saw `prev` asks `changesSince(prev)`.
 */
export class TrackedMarkets extends Map<string, MarketView> {
  /**
   * Tickers set or deleted since construction (null while the constructor copies), and whether
   * clear() was called (every ticker may have changed). Its own object, so that a map derived from
   * this one can hold it without holding this whole map (10,000 entries) alive.
   */
  private readonly marks: { touched: Set<string> | null; cleared: boolean } = { touched: null, cleared: false };
  private origin: { from: TrackedMarkets["marks"]; differ: ReadonlySet<string> } | null;

  constructor(entries: Iterable<readonly [string, MarketView]>, origin: { from: TrackedMarkets; differ: ReadonlySet<string> } | null) {
    super();
    for (const [t, m] of entries) super.set(t, m);
    this.marks.touched = new Set();
    this.origin = origin ? { from: origin.from.marks, differ: origin.differ } : null;
    // Only one step of lineage is kept.
    if (origin) origin.from.origin = null;
  }

  override set(ticker: string, m: MarketView): this {
    this.marks.touched?.add(ticker);
    return super.set(ticker, m);
  }

  override delete(ticker: string): boolean {
    this.marks.touched?.add(ticker);
    return super.delete(ticker);
  }

  override clear(): void {
    this.marks.cleared = true;
    super.clear();
  }

  /**
   * The tickers whose view or presence here may differ from `prev`'s as a consumer saw it then (any
   * time after its derivation); every other ticker maps to the same view object in both. Null when
   * this map was not derived from `prev` (a full load, a missed cycle): compare them all.
   */
  changesSince(prev: ReadonlyMap<string, MarketView> | null): ReadonlySet<string> | null {
    const o = this.origin;
    if (!o || !(prev instanceof TrackedMarkets) || o.from !== prev.marks) return null;
    if (o.from.cleared || this.marks.cleared || !o.from.touched || !this.marks.touched) return null;
    const out = new Set(o.differ);
    for (const t of o.from.touched) out.add(t);
    for (const t of this.marks.touched) out.add(t);
    return out;
  }
}
