// Local order books built from WebSocket snapshots and signed deltas (API.md §6.5, §8).
//
// Storage is canonical whatever the feed's `use_yes_price` mode: YES bids at YES prices and NO bids
// at NO-leg prices, each side a Float64Array indexed by price / tick. Float64 keeps any Count exact
// (safe integers), and a flat array makes a delta one indexed add: several million per second.
import { PRICE_ONE, type Count, type Price } from "./money.ts";

export type BookSideName = "yes" | "no";
export interface Quote {
  price: Price;
  size: Count;
}
export type BookLevel = readonly [Price, Count];

/** Default grid: one cent. A price off this grid switches the book to a finer one. */
const DEFAULT_TICK = 100;

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

  private tick = DEFAULT_TICK;
  private yes: Float64Array;
  private no: Float64Array;
  /** Index of the best (highest) non-empty level per side, -1 when empty. */
  private bestYes = -1;
  private bestNo = -1;

  constructor(ticker: string, useYesPrice = false) {
    this.ticker = ticker;
    this.useYesPrice = useYesPrice;
    const n = PRICE_ONE / this.tick + 1;
    this.yes = new Float64Array(n);
    this.no = new Float64Array(n);
  }

  /** Replace the whole book. Levels are bid levels exactly as the feed sent them. */
  applySnapshot(yesLevels: ReadonlyArray<BookLevel>, noLevels: ReadonlyArray<BookLevel>, useYesPrice = this.useYesPrice): void {
    this.useYesPrice = useYesPrice;
    let tick = DEFAULT_TICK;
    for (const l of yesLevels) tick = gcdTick(tick, l[0]);
    for (const l of noLevels) tick = gcdTick(tick, l[0]);
    if (tick !== this.tick) this.regrid(tick);
    this.yes.fill(0);
    this.no.fill(0);
    this.bestYes = -1;
    this.bestNo = -1;
    let ok = true;
    for (const [p, c] of yesLevels) ok = this.add(0, p, c) && ok;
    for (const [p, c] of noLevels) ok = this.add(1, this.useYesPrice ? PRICE_ONE - p : p, c) && ok;
    // A YES bid at or above the YES ask cannot rest on one book: the levels are being read in the
    // wrong pricing mode (e.g. Kalshi flipped use_yes_price). Trading on it would be trading a mirror.
    const crossed = this.bestYes >= 0 && this.bestNo >= 0 && this.bestYes * this.tick >= PRICE_ONE - this.bestNo * this.tick;
    this.trusted = ok && !crossed;
    this.reason = !ok
      ? "snapshot had an invalid level"
      : crossed
        ? `crossed snapshot (best YES bid ${this.bestYes * this.tick} >= best YES ask ${PRICE_ONE - this.bestNo * this.tick}): pricing mode misread`
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
    const ok = this.add(side === "yes" ? 0 : 1, p, delta);
    if (!ok) this.distrust(`impossible delta ${side} ${price} ${delta}`);
    this.updates++;
    return ok;
  }

  /** Mark untrustworthy until the next snapshot (seq gap, reconnect). */
  distrust(reason: string): void {
    this.trusted = false;
    this.reason = reason;
  }

  private add(side: 0 | 1, price: Price, delta: Count): boolean {
    if (!(price > 0 && price < PRICE_ONE) || !Number.isInteger(price)) return false;
    if (price % this.tick !== 0) this.regrid(gcdTick(this.tick, price));
    const i = price / this.tick;
    const arr = side === 0 ? this.yes : this.no;
    const v = arr[i]! + delta;
    if (v < 0) {
      arr[i] = 0;
      this.fixBest(side, i);
      return false;
    }
    arr[i] = v;
    if (side === 0) {
      if (v > 0 && i > this.bestYes) this.bestYes = i;
      else if (v === 0 && i === this.bestYes) this.bestYes = scanDown(arr, i);
    } else {
      if (v > 0 && i > this.bestNo) this.bestNo = i;
      else if (v === 0 && i === this.bestNo) this.bestNo = scanDown(arr, i);
    }
    return true;
  }

  private fixBest(side: 0 | 1, i: number): void {
    if (side === 0 && i === this.bestYes) this.bestYes = scanDown(this.yes, i);
    if (side === 1 && i === this.bestNo) this.bestNo = scanDown(this.no, i);
  }

  private regrid(tick: number): void {
    const n = PRICE_ONE / tick + 1;
    const yes = new Float64Array(n);
    const no = new Float64Array(n);
    const ratio = this.tick / tick;
    for (let i = 0; i < this.yes.length; i++) {
      yes[i * ratio] = this.yes[i]!;
      no[i * ratio] = this.no[i]!;
    }
    this.bestYes = this.bestYes < 0 ? -1 : this.bestYes * ratio;
    this.bestNo = this.bestNo < 0 ? -1 : this.bestNo * ratio;
    this.yes = yes;
    this.no = no;
    this.tick = tick;
  }

  // ---- reads (API.md §8: best YES ask = 1 − best NO bid; best NO ask = 1 − best YES bid) --------------

  bestYesBid(): Quote | null {
    return this.bestYes < 0 ? null : { price: this.bestYes * this.tick, size: this.yes[this.bestYes]! };
  }
  /** Best NO bid in NO-leg price. */
  bestNoBid(): Quote | null {
    return this.bestNo < 0 ? null : { price: this.bestNo * this.tick, size: this.no[this.bestNo]! };
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
    if (price % this.tick !== 0 || price <= 0 || price >= PRICE_ONE) return 0;
    return (side === "yes" ? this.yes : this.no)[price / this.tick]!;
  }

  /** Bid levels of one side, best first, at most `depth` of them (NO side in NO-leg prices). */
  levels(side: BookSideName, depth = Infinity): BookLevel[] {
    const arr = side === "yes" ? this.yes : this.no;
    const out: BookLevel[] = [];
    for (let i = side === "yes" ? this.bestYes : this.bestNo; i > 0 && out.length < depth; i--) {
      const c = arr[i]!;
      if (c > 0) out.push([i * this.tick, c]);
    }
    return out;
  }

  /** Total resting size on one side (for sanity checks and tests). */
  depth(side: BookSideName): Count {
    const arr = side === "yes" ? this.yes : this.no;
    let s = 0;
    for (let i = 0; i < arr.length; i++) s += arr[i]!;
    return s;
  }
}

function scanDown(arr: Float64Array, from: number): number {
  for (let i = from - 1; i > 0; i--) if (arr[i]! > 0) return i;
  return -1;
}

/** Largest tick (a divisor of 100, the cent grid) that holds both the current tick and `price`. */
function gcdTick(tick: number, price: number): number {
  let a = tick;
  let b = Math.abs(price) % PRICE_ONE;
  while (b) [a, b] = [b, a % b];
  // Keep the tick a divisor of PRICE_ONE so the array covers [0, 1] exactly.
  while (PRICE_ONE % a !== 0) a--;
  return a || 1;
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
