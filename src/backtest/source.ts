// What the replay (replay.ts) reads history through, whatever its form: a trade tape (tape-source.ts)
// or a recording of the exchange's streams (recorded-source.ts). The replay owns the clock, the
// passes, the strategies, the order manager and the paper fill model; a source only moves its
// markets' books forward in exchange time and says what each book shows.
import type { Count, Price } from "../kalshi/money.ts";
import type { BookDepth, BookSide, TradePrint } from "../strategies/types.ts";
import type { TapeEvent, TapeMarket } from "./tape.ts";

/** One market as a source shows it at a moment. */
export interface SourceBook {
  yesBid: Price | null;
  yesBidSize: Count;
  yesAsk: Price | null;
  yesAskSize: Count;
  lastPrice: Price | null;
  volume: Count;
  /** Every level (a recorded order book); absent when only the top of book is known (a tape). */
  book?: BookDepth;
}

/** A stretch of exchange time a market's book was unknown (a seq gap until the next snapshot). */
export interface BookGap {
  ticker: string;
  fromMs: number;
  /** When a snapshot made it known again; null if none came before the data ended. */
  toMs: number | null;
  reason: string;
}

export interface ReplaySource {
  readonly format: "tape" | "recording";
  readonly events: TapeEvent[];
  readonly markets: ReadonlyMap<string, TapeMarket>;
  /** Public trades in the data (the report's "trades"). */
  readonly trades: number;
  /** Items to replay (prints, book and lifecycle messages) and how many are consumed: progress. */
  readonly total: number;
  readonly done: number;
  readonly firstMs: number;
  readonly lastMs: number;
  /** Exchange time of the next item; +Infinity once all are consumed. */
  nextMs(): number;
  /**
   * Consume every item at or before `t`; each public trade goes to `onPrint`, and each book delta
   * applied to a known book to `onDelta` (market, exchange ms) right after it moved the book, and
   * each market whose book becomes unknown (a gap begins) to `onUnknown`. Returns the count consumed.
   */
  advance(
    t: number,
    onPrint: (p: TradePrint) => void,
    onDelta?: (ticker: string, ms: number) => void,
    onUnknown?: (ticker: string) => void,
  ): number;
  /** What the market's book shows at `nowMs`, or null while it is unknown (no strategy may act on it). */
  book(ticker: string, nowMs: number): SourceBook | null;
  /** Our taker order took `count` at `price` from the level opposite `side`: it stays taken. */
  take(ticker: string, side: BookSide, price: Price, count: Count): void;
  /** The stretches books were unknown (none for a tape). */
  gaps(): BookGap[];
}
