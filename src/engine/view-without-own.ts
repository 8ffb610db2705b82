// A live market view read before we cancelled some of our orders still shows them: the exchange's
// book and top of book carried them when it was read. Taking them out again gives the strategies
// the book as it is after the cancels (the market maker would otherwise see its cancelled quote as
// someone else's liquidity, and the mid history would record a level that is gone), the same book
// a dry run shows (paper-view.ts puts only resting paper orders in).
import { PRICE_ONE, type Count, type Price } from "../kalshi/money.ts";
import type { BookDepth, MarketView, RestingOrderView } from "../strategies/types.ts";
import type { OwnResting } from "./paper-view.ts";

function depthWithout(book: BookDepth, gone: readonly OwnResting[]): BookDepth {
  const yes = new Map(book.yes);
  const no = new Map(book.no);
  for (const o of gone) {
    const [side, price] = o.side === "bid" ? [yes, o.price] : [no, PRICE_ONE - o.price];
    const left = (side.get(price) ?? 0) - o.remainingCount;
    if (left > 0) side.set(price, left);
    else side.delete(price);
  }
  const asc = (m: Map<Price, Count>) => [...m].sort((a, b) => a[0] - b[0]);
  return { yes: asc(yes), no: asc(no) };
}

/** Top of book from depth: best YES bid, and the YES ask opposite the best NO bid. */
function topOf(book: BookDepth): Pick<MarketView, "yesBid" | "yesBidSize" | "yesAsk" | "yesAskSize"> {
  const bid = book.yes.at(-1);
  const no = book.no.at(-1);
  return {
    yesBid: bid ? bid[0] : null,
    yesBidSize: bid ? bid[1] : 0,
    yesAsk: no ? PRICE_ONE - no[0] : null,
    yesAskSize: no ? no[1] : 0,
  };
}

/**
 * `v` without our orders `gone` (cancelled since it was read). Null when the top of book that is left
 * is unknown: an order was the whole top level and the view has no depth to show what is behind it
 * (read the market's book again).
 */
export function viewWithoutOwn(v: MarketView, gone: readonly OwnResting[]): MarketView | null {
  const live = gone.filter((o) => o.remainingCount > 0);
  if (live.length === 0) return v;
  if (v.book) {
    const book = depthWithout(v.book, live);
    return { ...v, book, ...topOf(book) };
  }
  let out: MarketView = { ...v };
  for (const o of live) {
    if (o.side === "bid" && o.price === out.yesBid) {
      if (out.yesBidSize <= o.remainingCount) return null;
      out = { ...out, yesBidSize: out.yesBidSize - o.remainingCount };
    } else if (o.side === "ask" && o.price === out.yesAsk) {
      if (out.yesAskSize <= o.remainingCount) return null;
      out = { ...out, yesAskSize: out.yesAskSize - o.remainingCount };
    }
  }
  return out;
}

/** A view whose depth was read after the cancels: its top of book from that depth. */
export function withTopFromDepth(v: MarketView): MarketView {
  return v.book ? { ...v, ...topOf(v.book) } : v;
}

/**
 * The market's own view of `v`: our resting orders in it (any strategy's) taken out, as the market
 * maker prices off it (externalTop). Null when what is left at the top is unknown (a top level that
 * was only ours, no depth). The mid history records this: a mid with our quotes in it moves when we
 * requote or are filled, and the markouts and volatility read from it would measure ourselves.
 */
export function marketOnlyView(v: MarketView, resting: readonly RestingOrderView[]): MarketView | null {
  const own: OwnResting[] = [];
  for (const o of resting) if (o.ticker === v.ticker) own.push({ side: o.side, price: o.price, remainingCount: o.remaining });
  return own.length === 0 ? v : viewWithoutOwn(v, own);
}
