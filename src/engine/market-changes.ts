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
  /** Tickers set or deleted since construction (null while the constructor copies). */
  private touched: Set<string> | null = null;
  /** clear() was called: every ticker may have changed. */
  private cleared = false;
  private origin: { from: TrackedMarkets; differ: ReadonlySet<string> } | null;

  constructor(entries: Iterable<readonly [string, MarketView]>, origin: { from: TrackedMarkets; differ: ReadonlySet<string> } | null) {
    super();
    for (const [t, m] of entries) super.set(t, m);
    this.touched = new Set();
    this.origin = origin;
    // Only one step of lineage is kept (a longer chain would keep every old map alive).
    if (origin) origin.from.origin = null;
  }

  override set(ticker: string, m: MarketView): this {
    this.touched?.add(ticker);
    return super.set(ticker, m);
  }

  override delete(ticker: string): boolean {
    this.touched?.add(ticker);
    return super.delete(ticker);
  }

  override clear(): void {
    this.cleared = true;
    super.clear();
  }

  /**
   * The tickers whose view or presence here may differ from `prev`'s as a consumer saw it then (any
   * time after its derivation); every other ticker maps to the same view object in both. Null when
   * this map was not derived from `prev` (a full load, a missed cycle): compare them all.
   */
  changesSince(prev: ReadonlyMap<string, MarketView> | null): ReadonlySet<string> | null {
    const o = this.origin;
    if (!o || o.from !== prev || o.from.cleared || this.cleared || !o.from.touched || !this.touched) return null;
    const out = new Set(o.differ);
    for (const t of o.from.touched) out.add(t);
    for (const t of this.touched) out.add(t);
    return out;
  }
}
