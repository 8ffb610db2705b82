// Dry-run execution: the same order manager, ledger rows and risk gate as live, but the request
// stops here. Each order is validated like the exchange would (src/engine/paper.ts: price grid,
// size, post-only, cash) and filled by the conservative paper model: only what the visible book
// offers, taker fees on every level, resting orders fill only when later trades go THROUGH them.
// Paper fills go into the paper ledger (paper = true), never mixed with live rows.
import { randomUUID } from "node:crypto";
import { PRICE_ONE, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { BookDepth, BookSide, CreateIntent, MarketView, TradePrint } from "../strategies/types.ts";
import type { Ledger, OrderRow } from "./ledger.ts";
import { consumeBook, paperExecute, paperRestingFillsShared, queueAheadAt } from "./paper.ts";
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

  /** `now`: the clock fills are stamped with (a backtest passes its simulated clock). */
  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cycle's market data: what the paper model may fill against. */
  setMarkets(markets: ReadonlyMap<string, MarketView>): void {
    this.markets = markets;
    this.books.clear();
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
      const m = this.markets.get(r.ticker);
      if (!m) {
        out.push({ kind: "rejected", error: "market_not_found: no market data for paper execution" });
        continue;
      }
      if (m.status !== "active") {
        out.push({ kind: "rejected", error: `market_closed: market is ${m.status}` });
        continue;
      }
      const book = this.books.get(r.ticker) ?? depthOf(m);
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
      if (res.restingCount > 0) this.setQueue(orderId, queueAheadAt(book, r.side, r.price, m.book !== undefined));
      this.books.set(r.ticker, consumeBook(book, r.side, res.fills));
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
    const m = this.markets.get(order.ticker);
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
    this.setQueue(
      order.orderId,
      m ? queueAheadAt(this.books.get(order.ticker) ?? depthOf(m), order.side, price, m.book !== undefined) : null,
    );
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
      if (!row.orderId || !trades.get(row.ticker)?.length || !this.markets.get(row.ticker)) continue;
      byTicker.set(row.ticker, [...(byTicker.get(row.ticker) ?? []), row]);
    }
    for (const [ticker, rows] of byTicker) {
      const m = this.markets.get(ticker)!;
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
        if (r.fills.length === 0) return;
        let filled = row.filledCount;
        r.fills.forEach((f, i) => {
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
            tsMs: this.now(),
          });
          n++;
        });
        filled += r.fills.reduce((a, f) => a + f.count, 0);
        this.ledger.updateOrder(
          row.id,
          { filledCount: filled, remainingCount: r.remaining, status: r.remaining > 0 ? "resting" : "executed" },
          `paper fill from trades through ${row.price}`,
        );
      });
    }
    return n;
  }
}
