// The dry-run fill model. Pure and deliberately pessimistic, because a dry run that looks better
// than live is worse than none:
//   - an order is validated like the exchange would (grid, size, post_only cross, cash);
//   - a marketable order takes only what the VISIBLE book shows at or better than its limit, level by
//     level at the resting prices, and pays the taker fee on every level it takes;
//   - what is left rests (GTC) and fills when the market later TRADES THROUGH its price (strictly
//     better than it), or trades AT its price once the volume queued ahead of it has traded
//     (queue position: the size the book showed at that price when the order joined it; where the
//     book does not show that price's depth the queue is unknown and only trades through count);
//   - a resting fill takes at most the size of the print that went through it, and pays maker fees
//     where the series charges them.
// Prices are on the YES scale like the API: a bid buys YES at p, an ask buys NO at 1 − p.
import { PRICE_ONE, makerFee, takerFee, type Count, type FeeType, type Micros, type Price } from "../kalshi/money.ts";
import { isOnGrid } from "../kalshi/price-grid.ts";
import type { BookDepth, BookSide, CreateIntent, PriceRange, TradePrint } from "../strategies/types.ts";

export interface PaperMarketInfo {
  priceRanges: PriceRange[];
  feeType: FeeType;
  feeMultiplierE4: number;
}

/** Top of book, as the market list carries it. */
export interface TopOfBook {
  yesBid: Price | null;
  yesBidSize: Count;
  yesAsk: Price | null;
  yesAskSize: Count;
}

export type PaperBook = BookDepth | TopOfBook;

export interface PaperAccount {
  /** Cash not held for resting orders (what Kalshi calls the balance). */
  availableMicros: Micros;
  /** Signed position in the market: + YES, − NO. */
  position: Count;
}

export interface PaperFill {
  /** YES-scale execution price. */
  price: Price;
  count: Count;
  feeMicros: Micros;
  isTaker: boolean;
  /** A resting order's fill: when the print that filled it traded (exchange time), as a live fill is stamped. */
  tsMs?: number;
}

export interface PaperResult {
  fills: PaperFill[];
  /** What rests on the paper book afterwards (GTC remainder); 0 for IOC/FOK and rejections. */
  restingCount: Count;
  /** Set when the order is refused as the exchange would refuse it; then nothing fills or rests. */
  rejected?: string;
}

export const legPrice = (side: BookSide, price: Price): Price => (side === "bid" ? price : PRICE_ONE - price);

const isDepth = (b: PaperBook): b is BookDepth => "yes" in b && "no" in b;

/**
 * The levels an order on `side` can take, best first, on the YES scale.
 * A bid takes YES asks, which Kalshi's book shows as NO bids at 1 − p; an ask takes YES bids.
 */
export function oppositeLevels(book: PaperBook, side: BookSide): Array<[Price, Count]> {
  if (isDepth(book)) {
    const levels: Array<[Price, Count]> =
      side === "bid" ? book.no.map(([q, c]) => [PRICE_ONE - q, c] as [Price, Count]) : book.yes.map(([p, c]) => [p, c] as [Price, Count]);
    const live = levels.filter(([p, c]) => c > 0 && p > 0 && p < PRICE_ONE);
    return side === "bid" ? live.sort((a, b) => a[0] - b[0]) : live.sort((a, b) => b[0] - a[0]);
  }
  if (side === "bid") {
    return book.yesAsk !== null && book.yesAskSize > 0 && book.yesAsk < PRICE_ONE ? [[book.yesAsk, book.yesAskSize]] : [];
  }
  return book.yesBid !== null && book.yesBidSize > 0 && book.yesBid > 0 ? [[book.yesBid, book.yesBidSize]] : [];
}

const takes = (side: BookSide, limit: Price, level: Price) => (side === "bid" ? level <= limit : level >= limit);

function closable(position: Count, side: BookSide, count: Count): Count {
  const opposite = side === "bid" ? Math.max(0, -position) : Math.max(0, position);
  return Math.min(count, opposite);
}

/** Validation the exchange applies at create, in the same order. Null when the order is acceptable. */
export function validatePaperOrder(intent: CreateIntent, book: PaperBook, market: PaperMarketInfo, account: PaperAccount): string | null {
  if (!Number.isSafeInteger(intent.count) || intent.count <= 0) return "invalid count";
  if (!isOnGrid(intent.price, market.priceRanges)) return "invalid_price: off the market's price grid";
  const levels = oppositeLevels(book, intent.side);
  const crosses = levels.some(([p]) => takes(intent.side, intent.price, p));
  if (intent.postOnly && crosses) return "post only cross";
  let count = intent.count;
  if (intent.reduceOnly) {
    count = closable(account.position, intent.side, count);
    if (count <= 0) return "reduce_only with nothing to reduce";
  }
  const opening = count - closable(account.position, intent.side, count);
  // Like the exchange: collateral for the opening part at the limit, plus the taker fee if it crosses.
  const need = legPrice(intent.side, intent.price) * opening + (crosses ? takerFee(intent.price, count, market.feeMultiplierE4) : 0);
  if (need > account.availableMicros) return "insufficient_balance";
  return null;
}

/**
 * Execute a create intent against the visible book. Fills walk the opposite side from the best level
 * toward the limit, at each level's price, never more than the level shows. FOK fills in full or not
 * at all; IOC drops the rest; GTC rests it.
 */
export function paperExecute(intent: CreateIntent, book: PaperBook, market: PaperMarketInfo, account: PaperAccount): PaperResult {
  const why = validatePaperOrder(intent, book, market, account);
  if (why) return { fills: [], restingCount: 0, rejected: why };
  let want = intent.reduceOnly ? closable(account.position, intent.side, intent.count) : intent.count;
  const fills: PaperFill[] = [];
  if (!intent.postOnly) {
    const levels = oppositeLevels(book, intent.side).filter(([p]) => takes(intent.side, intent.price, p));
    const visible = levels.reduce((a, [, c]) => a + c, 0);
    if (intent.timeInForce === "fill_or_kill" && visible < want) return { fills: [], restingCount: 0 };
    for (const [p, c] of levels) {
      if (want <= 0) break;
      const q = Math.min(want, c);
      fills.push({ price: p, count: q, feeMicros: takerFee(p, q, market.feeMultiplierE4), isTaker: true });
      want -= q;
    }
  } else if (intent.timeInForce === "fill_or_kill") {
    return { fills: [], restingCount: 0 };
  }
  const restingCount = intent.timeInForce === "good_till_canceled" ? want : 0;
  return { fills, restingCount };
}

/** The book after paper fills took from it, so two paper orders in one cycle do not share liquidity. */
export function consumeBook(book: BookDepth, side: BookSide, fills: readonly PaperFill[]): BookDepth {
  const take = new Map<Price, Count>();
  for (const f of fills) if (f.isTaker) take.set(f.price, (take.get(f.price) ?? 0) + f.count);
  if (side === "bid") {
    return {
      yes: book.yes.map(([p, c]) => [p, c] as [Price, Count]),
      no: book.no.map(([q, c]) => [q, Math.max(0, c - (take.get(PRICE_ONE - q) ?? 0))] as [Price, Count]).filter(([, c]) => c > 0),
    };
  }
  return {
    yes: book.yes.map(([p, c]) => [p, Math.max(0, c - (take.get(p) ?? 0))] as [Price, Count]).filter(([, c]) => c > 0),
    no: book.no.map(([q, c]) => [q, c] as [Price, Count]),
  };
}

export interface PaperRestingOrder {
  ticker: string;
  side: BookSide;
  price: Price;
  remaining: Count;
}

/**
 * Fills of a resting paper order from the public trades printed since the last check. Only a print
 * strictly through the order's price counts (below a bid, above an ask), each fills at most its own
 * size, at the order's price, as maker.
 */
export function paperRestingFills(
  order: PaperRestingOrder,
  trades: readonly TradePrint[],
  market: Pick<PaperMarketInfo, "feeType" | "feeMultiplierE4">,
  sinceMs = Number.NEGATIVE_INFINITY,
): { fills: PaperFill[]; remaining: Count } {
  let remaining = order.remaining;
  const fills: PaperFill[] = [];
  const ordered = [...trades].sort((a, b) => a.tsMs - b.tsMs);
  for (const t of ordered) {
    if (remaining <= 0) break;
    if (t.ticker !== order.ticker || t.tsMs <= sinceMs || t.count <= 0) continue;
    const through = order.side === "bid" ? t.price < order.price : t.price > order.price;
    if (!through) continue;
    const q = Math.min(remaining, t.count);
    fills.push({
      price: order.price,
      count: q,
      feeMicros: makerFee(market.feeType, order.price, q, market.feeMultiplierE4),
      isTaker: false,
    });
    remaining -= q;
  }
  return { fills, remaining };
}

/**
 * Contracts queued ahead of an order that joins the book on `side` at `price` (before it): the size
 * the book shows there. An order better than the best level of its side is first in the queue (0).
 * `fullDepth`: the book lists every level (an order book, not a top-of-book line), so a price with
 * no level has nobody ahead; otherwise the depth behind the best level is unknown and so is the
 * queue (null: the order then fills only from trades through its price, never at it).
 */
export function queueAheadAt(book: PaperBook, side: BookSide, price: Price, fullDepth: boolean): Count | null {
  // The order's own side: YES bids for a bid; NO bids at 1 − p for an ask (a YES ask at p).
  const own: Array<[Price, Count]> = isDepth(book)
    ? (side === "bid"
        ? book.yes.map(([p, c]) => [p, c] as [Price, Count])
        : book.no.map(([q, c]) => [PRICE_ONE - q, c] as [Price, Count])
      ).filter(([, c]) => c > 0)
    : side === "bid"
      ? book.yesBid !== null && book.yesBidSize > 0
        ? [[book.yesBid, book.yesBidSize]]
        : []
      : book.yesAsk !== null && book.yesAskSize > 0
        ? [[book.yesAsk, book.yesAskSize]]
        : [];
  const at = own.find(([p]) => p === price);
  if (at) return at[1];
  const better = (p: Price) => (side === "bid" ? price > p : price < p);
  if (own.every(([p]) => better(p))) return 0;
  return fullDepth ? 0 : null;
}

/** A resting paper order with what the fill model knows of it: since when it rests at its price
 * (exchange time) and the contracts queued ahead of it there (null: unknown, through-only). */
export type QueuedRestingOrder = PaperRestingOrder & { sinceMs: number; queueAhead?: Count | null };

/**
 * Fills of several resting paper orders of one market from the same prints. A print's size is
 * shared, not handed to each order whole: a 1-lot print through two of our bids fills one contract,
 * not two. Each print (oldest first) goes to the orders it reaches, best price first (highest bid,
 * lowest ask; then the order given), and only to orders that were resting at that price before it
 * printed (`sinceMs`, exchange time). A print strictly through an order's price reaches it (the
 * whole level traded); a print AT its price reaches it only for what is left of the print after
 * the queue ahead of it (`queueAhead`), which the print shortens, and only when its taker was on
 * the other side (a seller for a bid) or is unknown. Maker fills at each order's price.
 */
export function paperRestingFillsShared(
  orders: ReadonlyArray<QueuedRestingOrder>,
  trades: readonly TradePrint[],
  market: Pick<PaperMarketInfo, "feeType" | "feeMultiplierE4">,
): Array<{ fills: PaperFill[]; remaining: Count; queueAhead: Count | null }> {
  const out = orders.map((o) => ({ fills: [] as PaperFill[], remaining: o.remaining, queueAhead: o.queueAhead ?? null }));
  const idx = orders.map((_, i) => i);
  const ordered = [...trades].sort((a, b) => a.tsMs - b.tsMs);
  for (const t of ordered) {
    let left = t.count;
    if (left <= 0) continue;
    const through = (o: PaperRestingOrder) => (o.side === "bid" ? t.price < o.price : t.price > o.price);
    // A seller hits bids, a buyer lifts asks: only those prints at our price can reach our queue.
    const atPrice = (o: PaperRestingOrder) => t.price === o.price && (t.takerBookSide === undefined || t.takerBookSide !== o.side);
    const reached = idx.filter((i) => {
      const o = orders[i]!;
      return (
        out[i]!.remaining > 0 && o.ticker === t.ticker && t.tsMs > o.sinceMs && (through(o) || (atPrice(o) && out[i]!.queueAhead !== null))
      );
    });
    // What of the print is left for each order at its price once the queue ahead of it has taken its share.
    const room = new Map<number, Count>();
    for (const i of reached) {
      const o = orders[i]!;
      if (through(o)) {
        room.set(i, Number.POSITIVE_INFINITY);
        out[i]!.queueAhead = 0;
        continue;
      }
      const ahead = out[i]!.queueAhead!;
      room.set(i, Math.max(0, t.count - ahead));
      out[i]!.queueAhead = Math.max(0, ahead - t.count);
    }
    reached.sort((a, b) => {
      const oa = orders[a]!;
      const ob = orders[b]!;
      if (oa.side !== ob.side) return 0;
      return (oa.side === "bid" ? ob.price - oa.price : oa.price - ob.price) || a - b;
    });
    for (const i of reached) {
      if (left <= 0) break;
      const o = orders[i]!;
      const q = Math.min(left, out[i]!.remaining, room.get(i)!);
      if (q <= 0) continue;
      out[i]!.fills.push({
        price: o.price,
        count: q,
        feeMicros: makerFee(market.feeType, o.price, q, market.feeMultiplierE4),
        isTaker: false,
        tsMs: t.tsMs,
      });
      out[i]!.remaining -= q;
      left -= q;
    }
  }
  return out;
}

/**
 * The venue's levels that cross one of our resting orders (an ask at or below one of our bids, a bid
 * at or above one of our asks), as `oppositeLevels` gives them: empty when the book crosses none.
 * What a book delta is checked with as it arrives, so that a cross the venue shows only for a
 * moment (a maker's order through our price, withdrawn before the next look) is seen.
 */
export function crossingLevels(
  orders: ReadonlyArray<Pick<PaperRestingOrder, "side" | "price">>,
  book: BookDepth,
): Array<{ side: BookSide; price: Price; count: Count }> {
  const out: Array<{ side: BookSide; price: Price; count: Count }> = [];
  for (const side of ["bid", "ask"] as const) {
    const mine = orders.filter((o) => o.side === side);
    if (mine.length === 0) continue;
    const best = side === "bid" ? Math.max(...mine.map((o) => o.price)) : Math.min(...mine.map((o) => o.price));
    for (const [p, c] of oppositeLevels(book, side)) if (takes(side, best, p)) out.push({ side, price: p, count: c });
  }
  return out;
}

/**
 * The size the venue's book shows on an order's own side at its price (YES bids for a bid, NO bids
 * at 1 − p for an ask). The venue never saw our order, so whoever is queued ahead of it is within
 * that: a queue ahead larger than it has partly left (cancelled), and is capped to it.
 */
export function ownLevelSize(book: BookDepth, side: BookSide, price: Price): Count {
  return side === "bid" ? (book.yes.find(([p]) => p === price)?.[1] ?? 0) : (book.no.find(([q]) => q === PRICE_ONE - price)?.[1] ?? 0);
}

/**
 * Fills of resting paper orders that the venue's full book now crosses: an order on the other side
 * at or better than ours (an ask at or below our bid) that came after ours. The venue never saw our
 * order, so that order rests there; live it would have traded with ours first, at our price (we
 * were resting, it was the taker). Levels best first, each shared by our orders best price first;
 * `used` is the liquidity our orders took from the venue's levels (order side, YES-scale level price,
 * contracts), which stays taken as a taker's would.
 */
export function paperCrossedFills(
  orders: ReadonlyArray<PaperRestingOrder>,
  book: BookDepth,
  market: Pick<PaperMarketInfo, "feeType" | "feeMultiplierE4">,
): { results: Array<{ fills: PaperFill[]; remaining: Count }>; used: Array<{ side: BookSide; price: Price; count: Count }> } {
  const results = orders.map((o) => ({ fills: [] as PaperFill[], remaining: o.remaining }));
  const used: Array<{ side: BookSide; price: Price; count: Count }> = [];
  const left = { bid: oppositeLevels(book, "bid"), ask: oppositeLevels(book, "ask") };
  const idx = orders.map((_, i) => i);
  idx.sort((a, b) => {
    const oa = orders[a]!;
    const ob = orders[b]!;
    if (oa.side !== ob.side) return 0;
    return (oa.side === "bid" ? ob.price - oa.price : oa.price - ob.price) || a - b;
  });
  for (const i of idx) {
    const o = orders[i]!;
    const r = results[i]!;
    for (const level of left[o.side]) {
      if (r.remaining <= 0) break;
      if (!takes(o.side, o.price, level[0]) || level[1] <= 0) continue;
      const q = Math.min(r.remaining, level[1]);
      level[1] -= q;
      r.remaining -= q;
      r.fills.push({ price: o.price, count: q, feeMicros: makerFee(market.feeType, o.price, q, market.feeMultiplierE4), isTaker: false });
      const same = used.find((u) => u.side === o.side && u.price === level[0]);
      if (same) same.count += q;
      else used.push({ side: o.side, price: level[0], count: q });
    }
  }
  return { results, used };
}
