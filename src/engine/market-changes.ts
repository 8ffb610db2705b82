// Which markets' views may differ between two looks at the cycle's market map, known without
// comparing 10,000 views: between full loads the live overlay keeps one map from cycle to cycle and
// changes it in place only where something changed, and the map logs every ticker set or deleted on
// it. A phase that kept something per market (the decision cache's verdicts, the risk state's fee
// table) notes where the map stood when it looked (`seen`) and then re-checks only the tickers
// logged since (issue 14, goal 3). Changing one map in place instead of handing out a copy a cycle
// saves copying 10,000 entries each cycle.
import type { MarketView } from "../strategies/types.ts";

/** Where a consumer last looked at a market map: the map and how far into its change log. */
export interface MarketsSeen {
  readonly map: ReadonlyMap<string, MarketView>;
  readonly at: number;
}

/**
 * A cycle's markets by ticker, with a log of the tickers set or deleted on it, and a checkpoint the
 * overlay can revert to (the views it laid, before the cycle's depth reads and reactive passes
 * changed some).
 */
export class TrackedMarkets extends Map<string, MarketView> {
  /** Tickers set or deleted, in order; `log[0]` is change number `logStart` (older ones are forgotten). */
  private log: string[] = [];
  private logStart = 0;
  /** Since the last checkpoint: each changed ticker's view at the checkpoint (undefined: absent then). */
  private undo = new Map<string, MarketView | undefined>();
  /** Where the log stood at the last checkpoint. */
  private checkpointAt = 0;

  constructor(entries: Iterable<readonly [string, MarketView]>) {
    super();
    for (const [t, m] of entries) super.set(t, m);
  }

  /** While the map is being made (before its first checkpoint): an entry, not logged as a change. */
  init(ticker: string, m: MarketView): void {
    super.set(ticker, m);
  }

  override set(ticker: string, m: MarketView): this {
    this.note(ticker);
    return super.set(ticker, m);
  }

  override delete(ticker: string): boolean {
    this.note(ticker);
    return super.delete(ticker);
  }

  override clear(): void {
    for (const t of this.keys()) this.note(t);
    super.clear();
  }

  private note(ticker: string): void {
    if (!this.undo.has(ticker)) this.undo.set(ticker, super.get(ticker));
    this.log.push(ticker);
  }

  /** Where this map stands now (for a later `changesSince`). */
  seen(): MarketsSeen {
    return { map: this, at: this.logStart + this.log.length };
  }

  /**
   * The tickers whose view or presence here may differ from what a consumer saw at `seen`; every
   * other ticker maps to the same view object as then. Null when `seen` is another map's or older
   * than the log keeps (a full load, a missed cycle): compare them all.
   */
  changesSince(seen: MarketsSeen | null): ReadonlySet<string> | null {
    if (!seen || seen.map !== this || seen.at < this.logStart || seen.at > this.logStart + this.log.length) return null;
    const out = new Set<string>();
    for (let i = seen.at - this.logStart; i < this.log.length; i++) out.add(this.log[i]!);
    return out;
  }

  /** Every ticker changed since the last checkpoint goes back to its view then (logged like any change). */
  revert(): void {
    const undo = this.undo;
    this.undo = new Map();
    for (const [t, m] of undo) {
      if (m === undefined) this.delete(t);
      else this.set(t, m);
    }
    this.undo.clear();
  }

  /**
   * The map as it is now is what `revert` goes back to from here on. The log keeps the changes since
   * the previous checkpoint (a consumer looks once a cycle, after the checkpoint of its cycle), so it
   * stays about two cycles of changes long.
   */
  checkpoint(): void {
    this.undo.clear();
    const drop = this.checkpointAt - this.logStart;
    if (drop > 0) {
      this.log = this.log.slice(drop);
      this.logStart = this.checkpointAt;
    }
    this.checkpointAt = this.logStart + this.log.length;
  }
}

/** Where `markets` stands now, when it logs its changes (null: a plain map, compare everything next time). */
export function seenOf(markets: ReadonlyMap<string, MarketView>): MarketsSeen | null {
  return markets instanceof TrackedMarkets ? markets.seen() : null;
}
