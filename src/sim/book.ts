// One YES order book per market: bids buy YES, asks sell YES (≡ NO bids at 1 − price).
// Levels keep orders in arrival order, so iteration order is price-time priority.
import type { Count, Price } from "../kalshi/money.ts";
import type { BookSide, Order } from "./types.ts";

export interface Level {
  price: Price;
  orders: Order[];
  total: Count;
}

class SideBook {
  /** Prices in priority order: best first. */
  readonly prices: Price[] = [];
  readonly levels = new Map<Price, Level>();
  constructor(private readonly better: (a: Price, b: Price) => boolean) {}

  best(): Level | undefined {
    const p = this.prices[0];
    return p === undefined ? undefined : this.levels.get(p);
  }

  level(p: Price): Level {
    let l = this.levels.get(p);
    if (l) return l;
    l = { price: p, orders: [], total: 0 };
    this.levels.set(p, l);
    // Binary search for the insertion point; the array stays in priority order.
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.better(this.prices[mid]!, p)) lo = mid + 1;
      else hi = mid;
    }
    this.prices.splice(lo, 0, p);
    return l;
  }

  dropIfEmpty(l: Level): void {
    if (l.orders.length > 0) return;
    this.levels.delete(l.price);
    const i = this.prices.indexOf(l.price);
    if (i >= 0) this.prices.splice(i, 1);
  }

  *inOrder(): Generator<Level> {
    for (const p of this.prices) {
      const l = this.levels.get(p);
      if (l) yield l;
    }
  }
}

export class Book {
  readonly bids = new SideBook((a, b) => a > b);
  readonly asks = new SideBook((a, b) => a < b);

  side(s: BookSide): SideBook {
    return s === "bid" ? this.bids : this.asks;
  }

  add(o: Order): void {
    const l = this.side(o.side).level(o.price);
    l.orders.push(o);
    l.total += o.remaining;
  }

  /** Take an order out of the book entirely (cancel, fill to zero). `removed` is what left the level. */
  remove(o: Order, removed: Count): void {
    const sb = this.side(o.side);
    const l = sb.levels.get(o.price);
    if (!l) return;
    const i = l.orders.indexOf(o);
    if (i >= 0) l.orders.splice(i, 1);
    l.total -= removed;
    sb.dropIfEmpty(l);
  }

  /** A partial fill or decrease: the order keeps its place. */
  shrink(o: Order, by: Count): void {
    const l = this.side(o.side).levels.get(o.price);
    if (l) l.total -= by;
  }

  bestBid(): Level | undefined {
    return this.bids.best();
  }

  bestAsk(): Level | undefined {
    return this.asks.best();
  }

  /** Aggregated levels, best first: [price, count]. */
  depth(s: BookSide, max = Infinity): [Price, Count][] {
    const out: [Price, Count][] = [];
    for (const l of this.side(s).inOrder()) {
      if (out.length >= max) break;
      if (l.total > 0) out.push([l.price, l.total]);
    }
    return out;
  }

  /** Contracts ahead of `o` at its level. */
  queuePosition(o: Order): Count {
    const l = this.side(o.side).levels.get(o.price);
    if (!l) return 0;
    let ahead = 0;
    for (const x of l.orders) {
      if (x === o) return ahead;
      ahead += x.remaining;
    }
    return 0;
  }

  *allOrders(): Generator<Order> {
    for (const sb of [this.bids, this.asks]) for (const l of sb.inOrder()) yield* l.orders;
  }
}
