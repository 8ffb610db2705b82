// The book a backtest shows the strategies, formed from a trade tape that has no order book.
//
// A print says which side took liquidity at what price: a YES buyer (taker bid) lifted an ask at
// that price, a YES seller (taker ask) hit a bid there. So each print is evidence of ONE level:
// the ask (or bid) at its price, at least its size. The book of a market is the latest such level
// on each side:
//   - size: the volume printed at that price on that side since the level was last seen at
//     another price (consecutive prints at one price add up), less what our own taker orders took
//     from it (liquidity taken stays taken until the tape prints there again);
//   - a level expires `windowMs` after its last print (old evidence is no evidence);
//   - a print on one side at or through the other side's level removes that level (the book is
//     never shown crossed).
// The depth behind the best level is unknown, so the book is top-of-book only (no `book` depth on
// the view): the paper fill model then knows the queue ahead of an order only at the touch.
import type { Count, Price } from "../kalshi/money.ts";
import type { BookSide } from "../strategies/types.ts";

interface Level {
  price: Price;
  size: Count;
  atMs: number;
}

export class TapeBook {
  bid: Level | null = null;
  ask: Level | null = null;
  lastPrice: Price | null = null;
  volume: Count = 0;

  constructor(private readonly windowMs: number) {}

  /** A print of the tape: `taker` is the aggressor's book side (bid: bought YES). */
  onPrint(price: Price, count: Count, taker: BookSide, tsMs: number): void {
    this.volume += count;
    this.lastPrice = price;
    if (taker === "bid") {
      this.ask =
        this.ask && this.ask.price === price && tsMs - this.ask.atMs <= this.windowMs
          ? { price, size: this.ask.size + count, atMs: tsMs }
          : { price, size: count, atMs: tsMs };
      if (this.bid && this.bid.price >= price) this.bid = null;
    } else {
      this.bid =
        this.bid && this.bid.price === price && tsMs - this.bid.atMs <= this.windowMs
          ? { price, size: this.bid.size + count, atMs: tsMs }
          : { price, size: count, atMs: tsMs };
      if (this.ask && this.ask.price <= price) this.ask = null;
    }
  }

  /** Our taker order took `count` at `price` from the level on the other side of `side`. */
  take(side: BookSide, price: Price, count: Count): void {
    const lv = side === "bid" ? this.ask : this.bid;
    if (!lv || lv.price !== price) return;
    lv.size = Math.max(0, lv.size - count);
  }

  /** Top of book at `nowMs` (levels past the window, or emptied by us, are gone). */
  top(nowMs: number): { yesBid: Price | null; yesBidSize: Count; yesAsk: Price | null; yesAskSize: Count } {
    const live = (l: Level | null) => (l && l.size > 0 && nowMs - l.atMs <= this.windowMs ? l : null);
    const b = live(this.bid);
    const a = live(this.ask);
    return { yesBid: b?.price ?? null, yesBidSize: b?.size ?? 0, yesAsk: a?.price ?? null, yesAskSize: a?.size ?? 0 };
  }
}
