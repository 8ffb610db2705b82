// The market as a paper exchange shows it to the strategies: the venue's (or the recording's) view
// with our own resting paper orders in it, at their levels, as the real exchange's book and top of
// book would carry them. Live, the strategies see their own quotes in the book (the market maker
// prices off the book without them, and the engine's mid history records it so); a dry run or
// a backtest that hid them would decide differently from live on the same market. Used by paper
// trading (paper-upkeep.ts) and the backtest (src/backtest/replay.ts) alike. The fill model itself
// never sees these views: it fills against the book without our orders (we cannot trade with
// ourselves).
import { PRICE_ONE, type Count, type Price } from "../kalshi/money.ts";
import type { BookDepth, BookSide, MarketView } from "../strategies/types.ts";

export interface OwnResting {
  side: BookSide;
  price: Price;
  remainingCount: Count;
}

/** `book` with our resting orders added at their levels (bid: YES bids; ask: NO bids at 1 − p), ascending. */
function bookWithOwn(book: BookDepth, own: readonly OwnResting[]): BookDepth {
  const yes = new Map(book.yes.map(([p, c]) => [p, c]));
  const no = new Map(book.no.map(([p, c]) => [p, c]));
  for (const r of own) {
    if (r.side === "bid") yes.set(r.price, (yes.get(r.price) ?? 0) + r.remainingCount);
    else no.set(PRICE_ONE - r.price, (no.get(PRICE_ONE - r.price) ?? 0) + r.remainingCount);
  }
  const asc = (m: Map<Price, Count>) => [...m].sort((a, b) => a[0] - b[0]);
  return { yes: asc(yes), no: asc(no) };
}

/** The view with our resting orders in it (top of book, and the depth when the view carries one). */
export function viewWithOwn(v: MarketView, own: readonly OwnResting[]): MarketView {
  if (own.length === 0) return v;
  let out: MarketView = v.book ? { ...v, book: bookWithOwn(v.book, own) } : { ...v };
  for (const r of own) {
    if (r.remainingCount <= 0) continue;
    if (r.side === "bid") {
      if (out.yesBid === null || r.price > out.yesBid) out = { ...out, yesBid: r.price, yesBidSize: r.remainingCount };
      else if (r.price === out.yesBid) out = { ...out, yesBidSize: out.yesBidSize + r.remainingCount };
    } else if (out.yesAsk === null || r.price < out.yesAsk) out = { ...out, yesAsk: r.price, yesAskSize: r.remainingCount };
    else if (r.price === out.yesAsk) out = { ...out, yesAskSize: out.yesAskSize + r.remainingCount };
  }
  return out;
}

/** Every view of `views` with the resting orders of its market in it. */
export function viewsWithOwn(
  views: ReadonlyMap<string, MarketView>,
  resting: ReadonlyArray<OwnResting & { ticker: string }>,
): Map<string, MarketView> {
  const out = new Map(views);
  for (const [t, v] of ownViews(views, resting)) out.set(t, v);
  return out;
}

/** Only the views that change: each market where we rest orders, with them in its book (viewWithOwn). */
export function ownViews(
  views: ReadonlyMap<string, MarketView>,
  resting: ReadonlyArray<OwnResting & { ticker: string }>,
): Map<string, MarketView> {
  const byTicker = new Map<string, OwnResting[]>();
  for (const r of resting) if (views.has(r.ticker)) byTicker.set(r.ticker, [...(byTicker.get(r.ticker) ?? []), r]);
  const out = new Map<string, MarketView>();
  for (const [t, rs] of byTicker) out.set(t, viewWithOwn(views.get(t)!, rs));
  return out;
}
