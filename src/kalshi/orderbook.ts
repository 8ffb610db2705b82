// Local order books built from WebSocket snapshots and signed deltas (API.md §6.5, §8).
//
// Storage is canonical whatever the feed's `use_yes_price` mode: YES bids at YES prices and NO bids
// at NO-leg prices. Each side is one plain array of its non-empty levels, price and size interleaved
// ([p0, c0, p1, c1, ...]) in ascending price, so the best bid is the last pair. A book holds only the
// levels it has: at 10,000 live books of a handful of levels a side that is about 0.4 KB a book where
// a dense array over every price of the grid took 1.7 KB (17 MB of the daemon's heap; issue 14). A
// delta is a search from the top of the side (where the activity is) and an in-place add; JS numbers
// keep any Count exact (safe integers), as a Float64Array did.
import { PRICE_ONE, type Count, type Price } from "./money.ts";

export type BookSideName = "yes" | "no";
export interface Quote {
  price: Price;
  size: Count;
}
export type BookLevel = readonly [Price, Count];

export class OrderBook {
  readonly ticker: string;
  /** False until a snapshot arrives, and again after a seq gap or an impossible delta. */
  trusted = false;
  /** Why the book is untrusted (for logs). */
  reason = "no snapshot yet";
  /** The feed's pricing mode for NO levels: true = NO levels arrive at their YES-equivalent price. */
  useYesPrice: boolean;
  updates = 0;
  lastUpdateMs = 0;

  /** Non-empty bid levels per side (NO side in NO-leg prices), [price, size] pairs flat, ascending price. */
  private yes: number[] = [];
  private no: number[] = [];

  constructor(ticker: string, useYesPrice = false) {
    this.ticker = ticker;
    this.useYesPrice = useYesPrice;
  }

  /** Replace the whole book. Levels are bid levels exactly as the feed sent them. */
  applySnapshot(yesLevels: ReadonlyArray<BookLevel>, noLevels: ReadonlyArray<BookLevel>, useYesPrice = this.useYesPrice): void {
    this.useYesPrice = useYesPrice;
    this.yes = [];
    this.no = [];
    let ok = true;
    for (const [p, c] of yesLevels) ok = this.add(this.yes, p, c) && ok;
    for (const [p, c] of noLevels) ok = this.add(this.no, this.useYesPrice ? PRICE_ONE - p : p, c) && ok;
    // A YES bid at or above the YES ask cannot rest on one book: the levels are being read in the
    // wrong pricing mode (e.g. Kalshi flipped use_yes_price). Trading on it would be trading a mirror.
    const by = this.yes.length ? this.yes[this.yes.length - 2]! : -1;
    const bn = this.no.length ? this.no[this.no.length - 2]! : -1;
    const crossed = by >= 0 && bn >= 0 && by >= PRICE_ONE - bn;
    this.trusted = ok && !crossed;
    this.reason = !ok
      ? "snapshot had an invalid level"
      : crossed
        ? `crossed snapshot (best YES bid ${by} >= best YES ask ${PRICE_ONE - bn}): pricing mode misread`
        : "";
    this.updates++;
    this.lastUpdateMs = Date.now();
  }

  /**
   * Apply a signed delta (new = old + delta; 0 removes the level). `price` is as the feed sent it.
   * Returns false, and distrusts the book, when the level would go negative or the price is outside (0, 1).
   */
  applyDelta(side: BookSideName, price: Price, delta: Count): boolean {
    const p = side === "no" && this.useYesPrice ? PRICE_ONE - price : price;
    const ok = this.add(side === "yes" ? this.yes : this.no, p, delta);
    if (!ok) this.distrust(`impossible delta ${side} ${price} ${delta}`);
    this.updates++;
    return ok;
  }

  /** Mark untrustworthy until the next snapshot (seq gap, reconnect). */
  distrust(reason: string): void {
    this.trusted = false;
    this.reason = reason;
  }

  /** Add `delta` at `price` on one side; a level that would go negative is removed and false returned. */
  private add(lv: number[], price: Price, delta: Count): boolean {
    if (!(price > 0 && price < PRICE_ONE) || !Number.isInteger(price)) return false;
    // From the best level down: deltas land mostly near the top of the book.
    let i = lv.length - 2;
    while (i >= 0 && lv[i]! > price) i -= 2;
    if (i >= 0 && lv[i] === price) {
      const v = lv[i + 1]! + delta;
      if (v > 0) {
        lv[i + 1] = v;
        return true;
      }
      // The level goes: the pairs above it move down one (no splice, which allocates its result).
      for (let k = i + 2; k < lv.length; k++) lv[k - 2] = lv[k]!;
      lv.length -= 2;
      return v === 0;
    }
    if (delta > 0) {
      lv.push(price, delta);
      for (let k = lv.length - 1; k >= i + 4; k--) lv[k] = lv[k - 2]!;
      lv[i + 2] = price;
      lv[i + 3] = delta;
    }
    return delta >= 0;
  }

  // ---- reads (API.md §8: best YES ask = 1 − best NO bid; best NO ask = 1 − best YES bid) --------------

  bestYesBid(): Quote | null {
    return best(this.yes);
  }
  /**
   * The best bid of one side (NO side in NO-leg price) and its size, read without making a Quote:
   * -1 and 0 when the side is empty. For checks that run on every book update (issue 14 goal 5).
   */
  bestPrice(side: BookSideName): number {
    const lv = side === "yes" ? this.yes : this.no;
    return lv.length ? lv[lv.length - 2]! : -1;
  }
  bestSize(side: BookSideName): Count {
    const lv = side === "yes" ? this.yes : this.no;
    return lv.length ? lv[lv.length - 1]! : 0;
  }
  /** Best NO bid in NO-leg price. */
  bestNoBid(): Quote | null {
    return best(this.no);
  }
  bestYesAsk(): Quote | null {
    const b = this.bestNoBid();
    return b ? { price: PRICE_ONE - b.price, size: b.size } : null;
  }
  /** Best NO ask in NO-leg price. */
  bestNoAsk(): Quote | null {
    const b = this.bestYesBid();
    return b ? { price: PRICE_ONE - b.price, size: b.size } : null;
  }

  /** Resting size at a level (NO side in NO-leg price). */
  sizeAt(side: BookSideName, price: Price): Count {
    const lv = side === "yes" ? this.yes : this.no;
    for (let i = lv.length - 2; i >= 0 && lv[i]! >= price; i -= 2) if (lv[i] === price) return lv[i + 1]!;
    return 0;
  }

  /** Bid levels of one side, best first, at most `depth` of them (NO side in NO-leg prices). */
  levels(side: BookSideName, depth = Infinity): BookLevel[] {
    const lv = side === "yes" ? this.yes : this.no;
    const out: BookLevel[] = [];
    for (let i = lv.length - 2; i >= 0 && out.length < depth; i -= 2) out.push([lv[i]!, lv[i + 1]!]);
    return out;
  }

  /** Total resting size on one side (for sanity checks and tests). */
  depth(side: BookSideName): Count {
    const lv = side === "yes" ? this.yes : this.no;
    let s = 0;
    for (let i = 1; i < lv.length; i += 2) s += lv[i]!;
    return s;
  }
}

function best(lv: readonly number[]): Quote | null {
  return lv.length ? { price: lv[lv.length - 2]!, size: lv[lv.length - 1]! } : null;
}

/**
 * All books of a connection, keyed by ticker, plus the per-subscription seq check: `seq` runs per sid
 * across every market of that subscription, so a gap means any of its books may have missed a delta.
 */
export class OrderBooks {
  private readonly books = new Map<string, OrderBook>();
  private readonly tickersBySid = new Map<number, Set<string>>();

  get(ticker: string): OrderBook | undefined {
    return this.books.get(ticker);
  }

  tickers(): string[] {
    return [...this.books.keys()];
  }

  /** Create or reset a book from a snapshot message. */
  snapshot(
    sid: number,
    ticker: string,
    yes: ReadonlyArray<BookLevel> | null | undefined,
    no: ReadonlyArray<BookLevel> | null | undefined,
    useYesPrice: boolean,
  ): OrderBook {
    let b = this.books.get(ticker);
    if (!b) {
      b = new OrderBook(ticker, useYesPrice);
      this.books.set(ticker, b);
    }
    b.applySnapshot(yes ?? [], no ?? [], useYesPrice);
    let set = this.tickersBySid.get(sid);
    if (!set) this.tickersBySid.set(sid, (set = new Set()));
    set.add(ticker);
    return b;
  }

  /** Apply a delta; ignored while the book waits for a fresh snapshot. */
  delta(ticker: string, side: BookSideName, price: Price, delta: Count): OrderBook | undefined {
    const b = this.books.get(ticker);
    if (!b?.trusted) return b;
    b.applyDelta(side, price, delta);
    b.lastUpdateMs = Date.now();
    return b;
  }

  /** Distrust every book fed by `sid`; returns their tickers (to request snapshots for). */
  distrustSid(sid: number, reason: string): string[] {
    const set = this.tickersBySid.get(sid);
    if (!set) return [];
    for (const t of set) this.books.get(t)?.distrust(reason);
    return [...set];
  }

  /** Distrust everything (connection lost); sids are forgotten since the next connection renumbers them. */
  distrustAll(reason: string): void {
    for (const b of this.books.values()) b.distrust(reason);
    this.tickersBySid.clear();
  }

  forgetSid(sid: number): void {
    this.tickersBySid.delete(sid);
  }

  remove(ticker: string): void {
    this.books.delete(ticker);
    for (const s of this.tickersBySid.values()) s.delete(ticker);
  }
}
