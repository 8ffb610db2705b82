// Price-time matching of one incoming order against one YES book. Pure book logic: the exchange
// books cash, fees and messages through the callbacks.
import type { Count, Price } from "../kalshi/money.ts";
import type { Book } from "./book.ts";
import type { BookSide, Order } from "./types.ts";

export interface MatchHooks {
  /** One execution between a resting maker and the taker at the maker's price. */
  trade(maker: Order, taker: Order, price: Price, count: Count): void;
  /** STP `maker`: the resting order of the same user is cancelled and matching continues. */
  cancelMaker(maker: Order): void;
}

export const opposite = (s: BookSide): BookSide => (s === "bid" ? "ask" : "bid");

/** Would an order at `price` on `side` execute against the book now? */
export function crosses(book: Book, side: BookSide, price: Price): boolean {
  if (side === "bid") {
    const a = book.bestAsk();
    return a !== undefined && a.price <= price;
  }
  const b = book.bestBid();
  return b !== undefined && b.price >= price;
}

const reachable = (side: BookSide, limit: Price, levelPrice: Price): boolean =>
  side === "bid" ? levelPrice <= limit : levelPrice >= limit;

/** How much of `taker` could execute right now, honouring its self-trade rule (fill-or-kill check). */
export function fillableQty(book: Book, taker: Order): Count {
  let sum = 0;
  for (const l of book.side(opposite(taker.side)).inOrder()) {
    if (!reachable(taker.side, taker.price, l.price)) break;
    for (const m of l.orders) {
      if (m.userId === taker.userId) {
        if (taker.stp === "taker_at_cross") return sum;
        continue;
      }
      sum += m.remaining;
      if (sum >= taker.remaining) return sum;
    }
  }
  return sum;
}

/**
 * Execute `taker` against the book until it is filled, its limit stops it, or (taker_at_cross) it
 * meets one of its own orders. Returns true when self-trade prevention stopped it.
 */
export function matchIncoming(book: Book, taker: Order, hooks: MatchHooks): boolean {
  const side = book.side(opposite(taker.side));
  while (taker.remaining > 0) {
    const level = side.best();
    if (!level || !reachable(taker.side, taker.price, level.price)) return false;
    const maker = level.orders[0];
    if (!maker) {
      side.dropIfEmpty(level);
      continue;
    }
    if (maker.userId === taker.userId) {
      if (taker.stp === "taker_at_cross") return true;
      hooks.cancelMaker(maker);
      continue;
    }
    const q = Math.min(taker.remaining, maker.remaining);
    hooks.trade(maker, taker, level.price, q);
  }
  return false;
}
