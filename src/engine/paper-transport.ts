// Dry-run execution: the same order manager, ledger rows and risk gate as live, but the request
// stops here. Each order is validated like the exchange would (src/engine/paper.ts: price grid,
// size, post-only, cash) and filled by the conservative paper model: only what the visible book
// offers, taker fees on every level, resting orders fill only when later trades go THROUGH them.
// Paper fills go into the paper ledger (paper = true), never mixed with live rows.
import { randomUUID } from "node:crypto";
import { PRICE_ONE, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { BookDepth, BookSide, CreateIntent, MarketView, TradePrint } from "../strategies/types.ts";
import type { Ledger, OrderRow } from "./ledger.ts";
import {
  consumeBook,
  ownLevelSize,
  paperCrossedFills,
  paperExecute,
  paperRestingFillsShared,
  queueAheadAt,
  type PaperFill,
} from "./paper.ts";
import { orderCollateral } from "./position-math.ts";
import type { CreateOutcome, ExchangeOrder, OrderRequest, OrderTransport, WriteOutcome } from "./transport.ts";

/** Top of book as a one-level depth, so consumeBook can take liquidity away within a cycle. */
export function depthOf(m: MarketView): BookDepth {
  if (m.book) return { yes: m.book.yes.map(([p, c]) => [p, c]), no: m.book.no.map(([p, c]) => [p, c]) };
  return {
    yes: m.yesBid !== null && m.yesBidSize > 0 ? [[m.yesBid, m.yesBidSize]] : [],
    no: m.yesAsk !== null && m.yesAskSize > 0 ? [[PRICE_ONE - m.yesAsk, m.yesAskSize]] : [],
  };
}

/** Liquidity a paper taker took: order side, YES-scale price, contracts, and the size the venue
 * showed at that level when it was taken (the level as the venue still shows it). */
interface Taken {
  side: BookSide;
  price: Price;
  count: Count;
  shown: Count;
}

const levelSize = (book: BookDepth, side: BookSide, price: Price): Count =>
  side === "bid" ? (book.no.find(([q]) => q === PRICE_ONE - price)?.[1] ?? 0) : (book.yes.find(([p]) => p === price)?.[1] ?? 0);

export class PaperTransport implements OrderTransport {
  readonly paper = true;
  writes = 0;
  private markets: ReadonlyMap<string, MarketView> = new Map();
  private books = new Map<string, BookDepth>();
  /** Contracts queued ahead of each resting paper order at its price (null: unknown, through-only).
   * Kept in the ledger's meta too (`paper_queue:<order id>`), so a `--once` run knows the queue of
   * an order an earlier run placed; an order with no record is through-only. */
  private readonly queue = new Map<string, Count | null>();

  private setQueue(orderId: string, q: Count | null): void {
    if (this.queue.has(orderId) && this.queue.get(orderId) === q) return;
    this.queue.set(orderId, q);
    this.ledger.setMeta(`paper_queue:${orderId}`, q === null ? "unknown" : String(q));
  }

  private queueOf(orderId: string): Count | null {
    if (!this.queue.has(orderId)) {
      const v = this.ledger.getMeta(`paper_queue:${orderId}`);
      this.queue.set(orderId, v === null || v === "unknown" ? null : Number(v));
    }
    return this.queue.get(orderId)!;
  }

  /**
   * When the fill model last saw each market's book with our resting orders in it, uncrossed
   * (exchange ms; meta `paper_book_seen:<ticker>`, so the next `--once` run knows it): when an
   * order began resting at its price, or the last crossing check. A maker that requotes through
   * our price does so at some moment between that look and the look that finds it; live, our order
   * trades at that moment. A crossed fill is stamped at the middle of that span rather than at the
   * look that found it: the look is always late, by up to a whole cycle, and a fill stamped late
   * shifts what is measured after it (the market maker's markout reads the mid markout_seconds
   * after each fill, so a late stamp reads a later mid than live's and can pull quotes live keeps).
   */
  private noteBookSeen(ticker: string): void {
    this.ledger.setMeta(`paper_book_seen:${ticker}`, String(this.now()));
  }

  /**
   * The market's book became unknown (a gap in a recording): the span since the last look held a
   * stretch where no fill may be stamped, so a cross found next is stamped at that look instead.
   */
  forgetLook(ticker: string): void {
    this.ledger.deleteMeta(`paper_book_seen:${ticker}`);
  }

  /** The middle of the span in which a cross found now can have happened (noteBookSeen). */
  private crossedAt(ticker: string): number {
    const now = this.now();
    const v = this.ledger.getMeta(`paper_book_seen:${ticker}`);
    const seen = v === null ? now : Number(v);
    return seen < now ? seen + Math.floor((now - seen) / 2) : now;
  }

  /**
   * Liquidity paper orders took, per market, as taker fills (order side, YES-scale price, count).
   * The book the model reads comes from a venue that never saw the paper orders, so it still shows
   * what paper took; a live taker would have emptied it. What was taken stays subtracted across
   * passes and `--once` runs (meta `paper_taken:<ticker>`) while the venue's level at that price
   * is the one paper took from: the same size, or smaller (others traded or cancelled there after
   * us: what is left of it live is what the venue shows less what paper took). Once it grows
   * (requoted) or empties, the level is taken to be refreshed on both venues and what paper took
   * is forgotten.
   */
  private takenOf(ticker: string): Taken[] {
    const v = this.ledger.getMeta(`paper_taken:${ticker}`);
    return v === null ? [] : (JSON.parse(v) as Taken[]);
  }

  /**
   * The markets with a `paper_taken:` record, read at each setMarkets and kept by saveTaken (the
   * only writer): netOfTaken, run for every market in scope at each sync point, reads the ledger
   * only for those, not once per market (10,000 queries a pass at 10,000 markets).
   */
  private takenTickers: Set<string> | null = null;

  private hasTaken(ticker: string): boolean {
    return this.takenTickers ? this.takenTickers.has(ticker) : this.takenOf(ticker).length > 0;
  }

  /** The venue's own view of each market (before netOfTaken), for the level sizes it shows. */
  private readonly raw = new Map<string, MarketView>();
  /**
   * Each view netOfTaken made: the venue's view it was made from, and the version of the market's
   * taken record it is net of. A view net of an older record is made again from the venue's view:
   * paper took more since (or gave some back), and a view kept across sync points (the venue's book
   * did not move) would otherwise show, and let paper take again, liquidity it already took.
   */
  private readonly nettedFrom = new WeakMap<MarketView, { venue: MarketView; version: number }>();
  /** Per market, bumped whenever its taken record changes. */
  private readonly takenVersion = new Map<string, number>();
  /** Markets whose taken record changed since the last takenChanges(). */
  private readonly takenTouched = new Set<string>();

  private bumpTaken(ticker: string): void {
    this.takenVersion.set(ticker, (this.takenVersion.get(ticker) ?? 0) + 1);
    this.takenTouched.add(ticker);
  }

  /** The markets whose taken record changed since the last call (their views need netting again). */
  takenChanges(): string[] {
    const out = [...this.takenTouched];
    this.takenTouched.clear();
    return out;
  }

  /** Is `m` a view netOfTaken made from the market's current taken record? */
  private netNow(m: MarketView): boolean {
    const made = this.nettedFrom.get(m);
    return made !== undefined && made.version === (this.takenVersion.get(m.ticker) ?? 0);
  }

  /**
   * The market as the paper exchange has it: the venue's view less the liquidity paper took and
   * still holds, so the strategies of a dry run do not see (and chase) what a live bot would
   * already have taken. Top of book follows the depth; without depth a level paper emptied shows
   * nothing behind it (unknown).
   */
  netOfTaken(view: MarketView): MarketView {
    if (this.netNow(view)) return view;
    const m = this.nettedFrom.get(view)?.venue ?? view;
    this.raw.set(m.ticker, m);
    if (m.status !== "active" || !this.hasTaken(m.ticker)) return m;
    this.books.delete(m.ticker);
    const book = this.bookOf(m.ticker, m);
    const bestBid = book.yes.reduce<[Price, Count] | null>((a, l) => (l[1] > 0 && (!a || l[0] > a[0]) ? l : a), null);
    const bestNo = book.no.reduce<[Price, Count] | null>((a, l) => (l[1] > 0 && (!a || l[0] > a[0]) ? l : a), null);
    const v: MarketView = {
      ...m,
      yesBid: bestBid ? bestBid[0] : null,
      yesBidSize: bestBid ? bestBid[1] : 0,
      yesAsk: bestNo ? PRICE_ONE - bestNo[0] : null,
      yesAskSize: bestNo ? bestNo[1] : 0,
      ...(m.book ? { book } : {}),
    };
    this.nettedFrom.set(v, { venue: m, version: this.takenVersion.get(m.ticker) ?? 0 });
    this.books.set(m.ticker, book);
    return v;
  }

  /** The book a paper order in `ticker` meets: the venue's, less what paper took and still holds. */
  private bookOf(ticker: string, m: MarketView): BookDepth {
    const cached = this.books.get(ticker);
    if (cached) return cached;
    const book = this.netNow(m) ? depthOf(m) : this.netOf(ticker, depthOf(this.nettedFrom.get(m)?.venue ?? m));
    this.books.set(ticker, book);
    return book;
  }

  /** The venue's book of `ticker` less what paper took from it and still holds (takenOf). */
  private netOf(ticker: string, venue: BookDepth): BookDepth {
    let book = venue;
    const held: Taken[] = [];
    for (const t of this.takenOf(ticker)) {
      // A level that shrank (others traded or cancelled at it) still holds what paper took: we were
      // ahead of them, so live they took from what was left after us. One that grew or emptied was
      // requoted or is gone on both venues.
      const shown = levelSize(venue, t.side, t.price);
      if (shown <= 0 || shown > t.shown) continue;
      held.push({ ...t, shown });
      book = consumeBook(book, t.side, [{ price: t.price, count: Math.min(t.count, shown), feeMicros: 0, isTaker: true }]);
    }
    this.saveTaken(ticker, held);
    return book;
  }

  /** Liquidity paper orders just took (order side, YES-scale level price, contracts): it stays taken (takenOf). */
  private noteTaken(
    ticker: string,
    took: ReadonlyArray<{ side: BookSide; price: Price; count: Count }>,
    venue: BookDepth = depthOf(this.raw.get(ticker) ?? this.marketOf(ticker)!),
  ): void {
    if (took.length === 0 || !this.trackTaken) return;
    const merged = this.takenOf(ticker);
    for (const f of took) {
      const same = merged.find((t) => t.side === f.side && t.price === f.price);
      if (same) same.count += f.count;
      else merged.push({ side: f.side, price: f.price, count: f.count, shown: levelSize(venue, f.side, f.price) });
    }
    this.saveTaken(ticker, merged);
  }

  private saveTaken(ticker: string, held: Taken[]): void {
    const key = `paper_taken:${ticker}`;
    const before = this.ledger.getMeta(key);
    const after = held.length === 0 ? null : JSON.stringify(held);
    if (after === before) return;
    if (after === null) {
      this.ledger.deleteMeta(key);
      this.takenTickers?.delete(ticker);
    } else {
      this.ledger.setMeta(key, after);
      this.takenTickers?.add(ticker);
    }
    this.bumpTaken(ticker);
  }

  /**
   * `now`: the clock fills are stamped with (a backtest passes its simulated clock).
   * `trackTaken`: remember what paper took from the venue's levels (takenOf); false where the book's
   * source already removes what our orders take (the backtest's replay sources do).
   */
  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
    private readonly trackTaken = true,
  ) {}

  /** The market's view at the last sync point (setMarkets, or setMarket for that market alone since). */
  private marketOf(ticker: string): MarketView | undefined {
    return this.synced.get(ticker) ?? this.markets.get(ticker);
  }

  /** Markets given a view of their own since the last setMarkets (the narrow path's sync point). */
  private readonly synced = new Map<string, MarketView>();

  /** The cycle's market data: what the paper model may fill against. */
  setMarkets(markets: ReadonlyMap<string, MarketView>): void {
    // A new map (a full load's): the venue's views of markets it no longer holds go, or a dry run
    // kept one for every market it ever saw (tickers come and go by the thousand over days).
    if (markets !== this.markets) for (const t of this.raw.keys()) if (!markets.has(t)) this.raw.delete(t);
    this.markets = markets;
    this.synced.clear();
    this.books.clear();
    const taken = new Set<string>();
    for (const { key, value } of this.ledger.metaWithPrefix("paper_taken:")) {
      const ticker = key.slice("paper_taken:".length);
      const m = markets.get(ticker);
      // What paper took in a market no longer open is of no further use.
      if (m && m.status !== "active") {
        this.ledger.deleteMeta(key);
        this.bumpTaken(ticker);
      } else if (value !== "[]") taken.add(ticker);
    }
    this.takenTickers = taken;
  }

  /** One market's view at a sync point of its own; the others keep the last setMarkets's. */
  setMarket(ticker: string, m: MarketView): void {
    this.synced.set(ticker, m);
    this.books.delete(ticker);
  }

  /** Cash not held by resting paper orders (Kalshi's "balance"). */
  availableMicros(): Micros {
    const cash = this.ledger.cashMicros() ?? 0;
    let held = 0;
    for (const r of this.ledger.ordersWithStatus(["resting"])) held += orderCollateral(r.side, r.price, r.remainingCount);
    return cash - held;
  }

  async create(reqs: OrderRequest[]): Promise<CreateOutcome[]> {
    const out: CreateOutcome[] = [];
    for (const r of reqs) {
      this.writes++;
      const m = this.marketOf(r.ticker);
      if (!m) {
        out.push({ kind: "rejected", error: "market_not_found: no market data for paper execution" });
        continue;
      }
      if (m.status !== "active") {
        out.push({ kind: "rejected", error: `market_closed: market is ${m.status}` });
        continue;
      }
      const book = this.bookOf(r.ticker, m);
      const intent: CreateIntent = {
        kind: "create",
        strategy: "",
        ticker: r.ticker,
        eventTicker: r.eventTicker,
        side: r.side,
        price: r.price,
        count: r.count,
        timeInForce: r.timeInForce,
        postOnly: r.postOnly,
        reduceOnly: r.reduceOnly,
        reason: "",
      };
      const position = this.ledger.positions().get(r.ticker)?.position ?? 0;
      const res = paperExecute(
        intent,
        book,
        { priceRanges: m.priceRanges, feeType: m.feeType, feeMultiplierE4: m.feeMultiplierE4 },
        { availableMicros: this.availableMicros(), position },
      );
      if (res.rejected) {
        out.push({ kind: "rejected", error: res.rejected });
        continue;
      }
      const orderId = `paper-${randomUUID()}`;
      let filled = 0;
      res.fills.forEach((f, i) => {
        this.ledger.recordFill({
          fillId: `${orderId}-${i}`,
          orderId,
          clientOrderId: r.clientOrderId,
          ticker: r.ticker,
          eventTicker: r.eventTicker,
          side: r.side,
          price: f.price,
          count: f.count,
          feeMicros: f.feeMicros,
          isTaker: f.isTaker,
          tsMs: this.now(),
        });
        filled += f.count;
      });
      if (res.restingCount > 0) {
        this.setQueue(orderId, queueAheadAt(book, r.side, r.price, m.book !== undefined));
        this.noteBookSeen(r.ticker);
      }
      this.books.set(r.ticker, consumeBook(book, r.side, res.fills));
      this.noteTaken(
        r.ticker,
        res.fills.filter((f) => f.isTaker).map((f) => ({ side: r.side, price: f.price, count: f.count })),
      );
      out.push({ kind: "accepted", orderId, filled, remaining: res.restingCount });
    }
    return out;
  }

  async cancel(orders: ReadonlyArray<{ orderId: string; ticker: string }>): Promise<WriteOutcome[]> {
    return orders.map((o) => {
      this.writes++;
      const row = this.ledger.orderByOrderId(o.orderId);
      if (row?.status !== "resting") return { kind: "rejected", error: "not_found", gone: true };
      return { kind: "ok" };
    });
  }

  async amend(order: { orderId: string; ticker: string; side: BookSide }, price: Price, totalCount: Count): Promise<WriteOutcome> {
    this.writes++;
    const row = this.ledger.orderByOrderId(order.orderId);
    if (row?.status !== "resting") return { kind: "rejected", error: "not_found", gone: true };
    const m = this.marketOf(order.ticker);
    // An amend that would cross is refused rather than filled: the paper model never fills better
    // than a fresh order would, and a requote is not meant to take liquidity.
    if (m) {
      const crosses =
        order.side === "bid"
          ? m.yesAsk !== null && m.yesAskSize > 0 && price >= m.yesAsk
          : m.yesBid !== null && m.yesBidSize > 0 && price <= m.yesBid;
      if (crosses) return { kind: "rejected", error: "amend would cross the book (paper)" };
    }
    const remaining = totalCount - row.filledCount;
    if (remaining <= 0) return { kind: "rejected", error: "invalid amend count" };
    // An amend goes to the back of the queue at its (new) price.
    this.setQueue(order.orderId, m ? queueAheadAt(this.bookOf(order.ticker, m), order.side, price, m.book !== undefined) : null);
    this.noteBookSeen(order.ticker);
    return { kind: "ok", remaining, filled: row.filledCount };
  }

  async decrease(order: { orderId: string }, remaining: Count): Promise<WriteOutcome> {
    this.writes++;
    const row = this.ledger.orderByOrderId(order.orderId);
    if (row?.status !== "resting") return { kind: "rejected", error: "not_found", gone: true };
    return { kind: "ok", remaining: Math.min(remaining, row.remainingCount) };
  }

  async findByClientOrderId(clientOrderId: string): Promise<ExchangeOrder | null> {
    // The paper book lives in the ledger itself: a paper row can be pending only if the process died
    // between the row and the paper execution, and then nothing happened.
    const row = this.ledger.orderByClientId(clientOrderId);
    if (!row?.orderId) return null;
    return {
      orderId: row.orderId,
      clientOrderId,
      ticker: row.ticker,
      side: row.side,
      price: row.price,
      filled: row.filledCount,
      remaining: row.remainingCount,
      initial: row.count,
      status: row.status === "resting" || row.status === "executed" || row.status === "canceled" ? row.status : "unknown",
      orderGroupId: null,
      createdMs: row.createdAt,
    };
  }

  /**
   * Fill resting paper orders from the public trades printed since they were last checked. A print
   * counts for an order only if it is newer than `sinceOf(row)` (exchange time: the newest print
   * already seen for the market, or the newest print when the order took its current price, so
   * prints from before the order existed never fill it), and a print's size is shared by all our
   * orders in that market (paperRestingFillsShared). Returns the number of paper fills.
   */
  fillResting(trades: ReadonlyMap<string, TradePrint[]>, sinceOf: (row: OrderRow) => number): number {
    let n = 0;
    const byTicker = new Map<string, OrderRow[]>();
    const resting = this.ledger.ordersWithStatus(["resting"]);
    const ids = new Set(resting.map((r) => r.orderId));
    for (const id of this.queue.keys()) if (!ids.has(id)) this.queue.delete(id);
    for (const { key } of this.ledger.metaWithPrefix("paper_queue:"))
      if (!ids.has(key.slice("paper_queue:".length))) this.ledger.deleteMeta(key);
    for (const row of resting) {
      if (!row.orderId || !trades.get(row.ticker)?.length || !this.marketOf(row.ticker)) continue;
      byTicker.set(row.ticker, [...(byTicker.get(row.ticker) ?? []), row]);
    }
    for (const [ticker, rows] of byTicker) {
      const m = this.marketOf(ticker)!;
      const results = paperRestingFillsShared(
        rows.map((row) => ({
          ticker,
          side: row.side,
          price: row.price,
          remaining: row.remainingCount,
          sinceMs: sinceOf(row),
          queueAhead: this.queueOf(row.orderId!),
        })),
        trades.get(ticker)!,
        m,
      );
      rows.forEach((row, k) => {
        const r = results[k]!;
        this.setQueue(row.orderId!, r.queueAhead);
        n += this.recordRestingFills(row, r.fills, r.remaining, `paper fill from trades through ${row.price}`);
      });
    }
    return n;
  }

  /** A resting order's paper fills into the ledger (fill rows, the order's counts). Returns the rows. */
  private recordRestingFills(row: OrderRow, fills: readonly PaperFill[], remaining: Count, why: string): number {
    if (fills.length === 0) return 0;
    const filled = row.filledCount;
    fills.forEach((f, i) => {
      this.ledger.recordFill({
        fillId: `${row.orderId}-r${filled}-${i}`,
        orderId: row.orderId,
        clientOrderId: row.clientOrderId,
        ticker: row.ticker,
        eventTicker: row.eventTicker,
        side: row.side,
        price: f.price,
        count: f.count,
        feeMicros: f.feeMicros,
        isTaker: false,
        tsMs: f.tsMs ?? this.now(),
      });
    });
    const total = filled + fills.reduce((a, f) => a + f.count, 0);
    this.ledger.updateOrder(row.id, { filledCount: total, remainingCount: remaining, status: remaining > 0 ? "resting" : "executed" }, why);
    return fills.length;
  }

  /**
   * Nobody is queued ahead of a resting order beyond what the venue's book shows at its price on its
   * side (ownLevelSize): the venue never saw our order, so what it shows there is who is left ahead
   * of us plus who joined behind. A queue counted ahead that the level no longer holds was
   * withdrawn; counted on, it would keep our order from prints at its price that reach it live.
   */
  private capQueues(rows: readonly OrderRow[], book: BookDepth): void {
    for (const row of rows) {
      const q = this.queueOf(row.orderId!);
      const shown = ownLevelSize(book, row.side, row.price);
      if (q !== null && q > shown) this.setQueue(row.orderId!, shown);
    }
  }

  /**
   * A book delta showed `shown` contracts on `side` at `price` (ownLevelSize): nobody is queued
   * ahead of our resting orders there beyond that from then on (capQueues, on every delta rather
   * than at a look: a maker ahead that cancels and quotes the same price again within one look
   * rejoins behind us, as price-time priority has it).
   */
  capQueuesAt(ticker: string, side: BookSide, price: Price, shown: Count): void {
    for (const row of this.ledger.ordersWithStatus(["resting"])) {
      if (row.ticker !== ticker || row.side !== side || row.price !== price || !row.orderId) continue;
      const q = this.queueOf(row.orderId);
      if (q !== null && q > shown) this.setQueue(row.orderId, shown);
    }
  }

  /**
   * Resting paper orders of `ticker` that the venue's book crossed when a book delta arrived
   * (`venue`: the book right after it, exchange time `tsMs`): a maker's order through our price,
   * which live trades with ours at that moment. Checked on every delta (the daemon's WebSocket
   * books, a recording's deltas), this sees a cross the venue shows only until it is withdrawn,
   * which a look at the book each cycle misses, and stamps it when it happened. The same fill as
   * fillCrossed's (paperCrossedFills, what paper took stays taken); never while the book is unknown
   * (the caller passes only a book it holds trusted). Returns the number of paper fills.
   */
  fillCrossedIn(
    ticker: string,
    venue: BookDepth,
    tsMs: number,
    onTaken?: (ticker: string, side: BookSide, price: Price, count: Count) => void,
  ): number {
    const m = this.marketOf(ticker);
    if (m?.status !== "active") return 0;
    // An order that had expired by then was no longer there to trade.
    const rows = this.ledger
      .ordersWithStatus(["resting"])
      .filter((r) => r.ticker === ticker && r.orderId && (r.expiresAt === null || r.expiresAt > tsMs));
    if (rows.length === 0) return 0;
    const book = this.netOf(ticker, venue);
    const { results, used } = paperCrossedFills(
      rows.map((row) => ({ ticker, side: row.side, price: row.price, remaining: row.remainingCount })),
      book,
      m,
    );
    if (used.length === 0) return 0;
    let n = 0;
    rows.forEach((row, k) => {
      const r = results[k]!;
      const fills = r.fills.map((f) => ({ ...f, tsMs }));
      n += this.recordRestingFills(row, fills, r.remaining, `paper fill: a book delta crossed ${row.price}`);
    });
    this.books.delete(ticker);
    this.noteTaken(ticker, used, venue);
    for (const u of used) onTaken?.(ticker, u.side, u.price, u.count);
    return n;
  }

  /**
   * Fill resting paper orders that the venue's full book now crosses (paperCrossedFills): an order
   * on the other side at or better than ours came after ours and would have traded with it live.
   * Only where the view carries the full book (a top of book alone, or a tape's book formed from
   * prints, may be stale). What our orders took from those levels stays taken as a taker's would.
   * `onTaken`: told of that liquidity too (a backtest's source removes it from its book).
   * Returns the number of paper fills.
   */
  fillCrossed(onTaken?: (ticker: string, side: BookSide, price: Price, count: Count) => void): number {
    let n = 0;
    const byTicker = new Map<string, OrderRow[]>();
    const resting = this.ledger.ordersWithStatus(["resting"]);
    for (const row of resting) {
      const m = this.marketOf(row.ticker);
      if (!row.orderId || !m?.book || m.status !== "active") continue;
      byTicker.set(row.ticker, [...(byTicker.get(row.ticker) ?? []), row]);
    }
    // A market whose book this look cannot see (a gap in a recording, not active) loses its last
    // look too: a cross found after it can have happened while the book was unknown, and a fill is
    // never stamped inside such a stretch (it is stamped at the look that finds it, as without one).
    const restingIn = new Set(resting.map((r) => r.ticker));
    for (const { key } of this.ledger.metaWithPrefix("paper_book_seen:")) {
      const t = key.slice("paper_book_seen:".length);
      if (!restingIn.has(t) || !byTicker.has(t)) this.ledger.deleteMeta(key);
    }
    for (const [ticker, rows] of byTicker) {
      const m = this.marketOf(ticker)!;
      const book = this.bookOf(ticker, m);
      this.capQueues(rows, book);
      const { results, used } = paperCrossedFills(
        rows.map((row) => ({ ticker, side: row.side, price: row.price, remaining: row.remainingCount })),
        book,
        m,
      );
      const at = used.length > 0 ? this.crossedAt(ticker) : 0;
      this.noteBookSeen(ticker);
      if (used.length === 0) continue;
      rows.forEach((row, k) => {
        const r = results[k]!;
        const fills = r.fills.map((f) => ({ ...f, tsMs: at }));
        n += this.recordRestingFills(row, fills, r.remaining, `paper fill: the book crossed ${row.price}`);
      });
      let after = book;
      for (const u of used) after = consumeBook(after, u.side, [{ price: u.price, count: u.count, feeMicros: 0, isTaker: true }]);
      this.books.set(ticker, after);
      this.noteTaken(ticker, used);
      for (const u of used) onTaken?.(ticker, u.side, u.price, u.count);
    }
    return n;
  }
}
