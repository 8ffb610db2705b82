// A trade tape (tape.ts) as a replay source: each print moves its market's TapeBook (tape-book.ts),
// the top-of-book evidence a tape gives.
import type { Count, Price } from "../kalshi/money.ts";
import type { BookSide, TradePrint } from "../strategies/types.ts";
import type { BookGap, ReplaySource, SourceBook } from "./source.ts";
import { takerSideOf, type Tape } from "./tape.ts";
import { TapeBook } from "./tape-book.ts";

export class TapeSource implements ReplaySource {
  readonly format = "tape";
  readonly events;
  readonly markets;
  readonly trades: number;
  readonly total: number;
  readonly firstMs: number;
  readonly lastMs: number;
  done = 0;
  private readonly books: TapeBook[];
  private readonly idx: Map<string, number>;

  constructor(
    private readonly tape: Tape,
    bookWindowMs: number,
  ) {
    this.events = tape.events;
    this.markets = tape.markets;
    this.trades = this.total = tape.tsMs.length;
    this.firstMs = this.total ? tape.tsMs[0]! : 0;
    this.lastMs = this.total ? tape.tsMs[this.total - 1]! : 0;
    this.books = tape.tickers.map(() => new TapeBook(bookWindowMs));
    this.idx = new Map(tape.tickers.map((t, i) => [t, i]));
  }

  nextMs(): number {
    return this.done < this.total ? this.tape.tsMs[this.done]! : Number.POSITIVE_INFINITY;
  }

  advance(t: number, onPrint: (p: TradePrint) => void): number {
    const tape = this.tape;
    const before = this.done;
    let i = before;
    while (i < this.total && tape.tsMs[i]! <= t) {
      const m = tape.market[i]!;
      const side = takerSideOf(tape.taker[i]!);
      this.books[m]!.onPrint(tape.price[i]!, tape.count[i]!, side, tape.tsMs[i]!);
      onPrint({ ticker: tape.tickers[m]!, price: tape.price[i]!, count: tape.count[i]!, takerBookSide: side, tsMs: tape.tsMs[i]! });
      i++;
    }
    this.done = i;
    return i - before;
  }

  book(ticker: string, nowMs: number): SourceBook {
    const b = this.books[this.idx.get(ticker)!]!;
    return { ...b.top(nowMs), lastPrice: b.lastPrice, volume: b.volume };
  }

  take(ticker: string, side: BookSide, price: Price, count: Count): void {
    this.books[this.idx.get(ticker)!]!.take(side, price, count);
  }

  gaps(): BookGap[] {
    return [];
  }
}
