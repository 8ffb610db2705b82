// A recording (recording.ts) as a replay source: the real order book of each market, rebuilt from
// the recorded snapshots and deltas with the client's own book code (src/kalshi/orderbook.ts).
//
// Honest about what the recording does not know. A market's book is unknown (the replay leaves the
// market out: no strategy sees it, no paper order fills in it) from the moment
//   - a gap was recorded on its subscription (the tickers named, or every book of that sid),
//   - the book subscription's seq jumps without a recorded gap (a hole in the files),
//   - the connection closed or a new one opened (a restarted recorder),
//   - a delta would take a level below zero,
// until the next snapshot of that market. Each such stretch is reported (gaps()).
//
// Our own taker fills take liquidity the recording still shows: what we took at a level stays
// taken (subtracted from what the book shows) until the level empties or a snapshot replaces it.
import { OrderBooks } from "../kalshi/orderbook.ts";
import { PRICE_ONE, type Count, type Price } from "../kalshi/money.ts";
import type { BookSide, TradePrint } from "../strategies/types.ts";
import type { Recording, RecordingItem } from "./recording.ts";
import type { BookGap, ReplaySource, SourceBook } from "./source.ts";

export class RecordedSource implements ReplaySource {
  readonly format = "recording";
  readonly events;
  readonly markets;
  readonly trades: number;
  readonly total: number;
  readonly firstMs: number;
  readonly lastMs: number;
  done = 0;
  private readonly items: RecordingItem[];
  private readonly books = new OrderBooks();
  private readonly lastSeq = new Map<number, number>();
  /** Our taker fills' liquidity per market: "yes:<price>" / "no:<price>" → count taken. */
  private readonly taken = new Map<string, Map<string, Count>>();
  private readonly last = new Map<string, { price: Price; volume: Count }>();
  private readonly paused = new Set<string>();
  private readonly open = new Map<string, BookGap>();
  private readonly closed: BookGap[] = [];

  constructor(rec: Recording) {
    this.events = rec.events;
    this.markets = rec.markets;
    this.items = rec.items;
    this.trades = rec.trades;
    this.total = rec.items.length;
    this.firstMs = this.total ? rec.items[0]!.ms : 0;
    this.lastMs = this.total ? rec.items[this.total - 1]!.ms : 0;
  }

  nextMs(): number {
    return this.done < this.total ? this.items[this.done]!.ms : Number.POSITIVE_INFINITY;
  }

  /** advance's listener for books that become unknown (set for the duration of one advance). */
  private onUnknown: ((ticker: string) => void) | undefined;

  private unknown(tickers: Iterable<string>, ms: number, reason: string): void {
    for (const t of tickers) {
      if (!this.markets.has(t) || this.open.has(t)) continue;
      this.open.set(t, { ticker: t, fromMs: ms, toMs: null, reason });
      this.onUnknown?.(t);
    }
  }

  advance(
    t: number,
    onPrint: (p: TradePrint) => void,
    onDelta?: (ticker: string, ms: number) => void,
    onUnknown?: (ticker: string) => void,
  ): number {
    const before = this.done;
    this.onUnknown = onUnknown;
    while (this.done < this.total && this.items[this.done]!.ms <= t) {
      const it = this.items[this.done++]!;
      switch (it.kind) {
        case "snapshot": {
          // A snapshot takes a seq of its sid too: a jump to it means other books missed messages.
          if (it.seq !== null) this.checkSeq(it.sid, it.seq, it.ms);
          const b = this.books.snapshot(it.sid, it.ticker, it.yes, it.no, false);
          this.taken.delete(it.ticker);
          const g = this.open.get(it.ticker);
          if (b.trusted && g) {
            g.toMs = it.ms;
            this.closed.push(g);
            this.open.delete(it.ticker);
          } else if (!b.trusted) this.unknown([it.ticker], it.ms, b.reason);
          break;
        }
        case "delta": {
          this.checkSeq(it.sid, it.seq, it.ms);
          const b = this.books.get(it.ticker);
          if (!b?.trusted) break;
          if (!b.applyDelta(it.side, it.price, it.delta)) {
            this.unknown([it.ticker], it.ms, b.reason);
            break;
          }
          const tk = this.taken.get(it.ticker);
          if (tk && b.sizeAt(it.side, it.price) === 0) tk.delete(`${it.side}:${it.price}`);
          onDelta?.(it.ticker, it.ms);
          break;
        }
        case "seq":
          this.checkSeq(it.sid, it.seq, it.ms);
          break;
        case "trade": {
          const l = this.last.get(it.ticker) ?? { price: it.price, volume: 0 };
          l.price = it.price;
          l.volume += it.count;
          this.last.set(it.ticker, l);
          // While the market's book is unknown (a gap until its next snapshot) no order fills in it:
          // its prints do not reach our resting orders either.
          if (!this.open.has(it.ticker))
            onPrint({ ticker: it.ticker, price: it.price, count: it.count, takerBookSide: it.takerBookSide, tsMs: it.ms });
          break;
        }
        case "lifecycle":
          if (it.eventType === "deactivated" || it.deactivated === true) this.paused.add(it.ticker);
          else if (it.eventType === "activated" || it.deactivated === false) this.paused.delete(it.ticker);
          else if (it.eventType === "determined" || it.eventType === "settled" || it.eventType === "closed") this.paused.add(it.ticker);
          break;
        case "gap": {
          // The recorder names the books its client distrusted; without names, every book of the sid.
          const tickers = it.tickers.length ? it.tickers : this.books.distrustSid(it.sid, `seq gap on sid ${it.sid}`);
          for (const tk of tickers) this.books.get(tk)?.distrust(`seq gap on sid ${it.sid}`);
          this.unknown(tickers, it.ms, `recorded seq gap on sid ${it.sid}: expected ${it.expected}, got ${it.got}`);
          // What the recorder expected must follow what the files hold: a message lost from the files
          // just before a recorded gap leaves every book of the sid unknown too (the reset below would
          // otherwise hide it).
          const last = this.lastSeq.get(it.sid);
          if (last !== undefined && last !== it.expected - 1) {
            const lost = this.books.distrustSid(it.sid, `seq ${last} then ${it.expected - 1} on sid ${it.sid}`);
            this.unknown(lost, it.ms, `unrecorded seq jump on sid ${it.sid}: ${last} then ${it.expected - 1}`);
          }
          // The message that jumped comes next: its seq follows on from here.
          this.lastSeq.set(it.sid, it.got - 1);
          break;
        }
        case "connection": {
          const tickers = this.books.tickers().filter((tk) => this.books.get(tk)!.trusted);
          this.books.distrustAll(`connection ${it.state}`);
          this.lastSeq.clear();
          this.unknown(tickers, it.ms, `connection ${it.state}`);
          break;
        }
      }
    }
    this.onUnknown = undefined;
    return this.done - before;
  }

  /** A seq that does not follow the last one on its sid, with no gap recorded: the files lost messages. */
  private checkSeq(sid: number, seq: number, ms: number): void {
    const last = this.lastSeq.get(sid);
    this.lastSeq.set(sid, seq);
    if (last === undefined || seq === last + 1) return;
    const tickers = this.books.distrustSid(sid, `seq ${last} then ${seq} on sid ${sid}`);
    this.unknown(tickers, ms, `unrecorded seq jump on sid ${sid}: ${last} then ${seq}`);
  }

  book(ticker: string, _nowMs: number): SourceBook | null {
    const b = this.books.get(ticker);
    if (!b?.trusted || this.paused.has(ticker)) return null;
    const tk = this.taken.get(ticker);
    const side = (s: "yes" | "no"): Array<[Price, Count]> =>
      b
        .levels(s)
        .map(([p, c]): [Price, Count] => [p, c - (tk?.get(`${s}:${p}`) ?? 0)])
        .filter(([, c]) => c > 0)
        .reverse();
    const yes = side("yes");
    const no = side("no");
    const bid = yes[yes.length - 1];
    const noBid = no[no.length - 1];
    const l = this.last.get(ticker);
    return {
      yesBid: bid ? bid[0] : null,
      yesBidSize: bid ? bid[1] : 0,
      yesAsk: noBid ? PRICE_ONE - noBid[0] : null,
      yesAskSize: noBid ? noBid[1] : 0,
      lastPrice: l?.price ?? null,
      volume: l?.volume ?? 0,
      book: { yes, no },
    };
  }

  take(ticker: string, side: BookSide, price: Price, count: Count): void {
    // A bid (buys YES) took NO bids at 1 − p; an ask took YES bids at p.
    const key = side === "bid" ? `no:${PRICE_ONE - price}` : `yes:${price}`;
    let tk = this.taken.get(ticker);
    if (!tk) this.taken.set(ticker, (tk = new Map()));
    tk.set(key, (tk.get(key) ?? 0) + count);
  }

  gaps(): BookGap[] {
    return [...this.closed, ...this.open.values()].sort((a, b) => a.fromMs - b.fromMs || (a.ticker < b.ticker ? -1 : 1));
  }
}
