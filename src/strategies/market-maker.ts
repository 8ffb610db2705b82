// market_maker: one post-only GTC quote per side around a fair value, skewed against inventory.
//
// Fair value comes from the book WITHOUT our own quotes: pricing off a book that contains them
// would make the quotes chase themselves (each skewed requote moves the mid, which moves the next
// requote). With depth (needsDepth asks for it where we already quote) our orders are subtracted
// level by level; with top of book only, a side where our order is the whole top level is unknown
// and the market is held (existing quotes kept, only trimmed for inventory).
//
// Loss control is the inventory cap: no quote may, if filled in full, take |position| beyond
// max_inventory. The risk gate's limits apply on top.
import { COUNT_ONE, PRICE_ONE, parsePrice, type Count, type Price } from "../kalshi/money.ts";
import type { StrategiesConfig } from "../config/strategies-schema.ts";
import { isOnGrid, nextDown, nextUp, snapDown, snapUp, ticksBetween } from "../kalshi/price-grid.ts";
import type { BookSide, Intent, MarketView, PortfolioView, RestingOrderView, Strategy, StrategyInput } from "./types.ts";

export const MARKET_MAKER = "market_maker";

export interface MarketMakerParams {
  markets: string[];
  maxMarkets: number;
  /** Full quoted width (Price units). */
  spread: Price;
  /** Count units. */
  quoteSize: Count;
  maxInventory: Count;
  fairValue: "mid" | "microprice";
  /** Price shift per whole contract of inventory. */
  skewPerContract: Price;
  minSpreadTicks: number;
}

export function resolveMarketMakerParams(cfg: StrategiesConfig["market_maker"]): MarketMakerParams {
  return {
    markets: [...cfg.markets],
    maxMarkets: cfg.max_markets,
    spread: parsePrice(cfg.spread, "market_maker.spread"),
    quoteSize: cfg.quote_size * COUNT_ONE,
    maxInventory: cfg.max_inventory * COUNT_ONE,
    fairValue: cfg.fair_value,
    skewPerContract: parsePrice(cfg.skew_per_contract, "market_maker.skew_per_contract"),
    minSpreadTicks: cfg.min_spread_ticks,
  };
}

export interface ExternalTop {
  bid: Price;
  bidSize: Count;
  ask: Price;
  askSize: Count;
}

const ours = (p: PortfolioView, ticker: string): RestingOrderView[] =>
  p.restingOrders.filter((o) => o.ticker === ticker && o.strategy === MARKET_MAKER);

/**
 * Best bid and ask of everyone but us. Null when a side is empty or only ours, i.e. when the fair
 * value cannot be known without pricing off our own quotes.
 */
export function externalTop(m: MarketView, own: readonly RestingOrderView[]): ExternalTop | null {
  const ownAt = (side: BookSide, price: Price) =>
    own.filter((o) => o.side === side && o.price === price).reduce((a, o) => a + o.remaining, 0);
  if (m.book) {
    let bid: [Price, Count] | null = null;
    for (const [p, c] of m.book.yes) {
      const left = c - ownAt("bid", p);
      if (left > 0 && (!bid || p > bid[0])) bid = [p, left];
    }
    let ask: [Price, Count] | null = null;
    for (const [np, c] of m.book.no) {
      const p = PRICE_ONE - np; // a NO bid at q is a YES ask at 1 − q
      const left = c - ownAt("ask", p);
      if (left > 0 && (!ask || p < ask[0])) ask = [p, left];
    }
    if (!bid || !ask) return null;
    return { bid: bid[0], bidSize: bid[1], ask: ask[0], askSize: ask[1] };
  }
  if (m.yesBid === null || m.yesAsk === null || m.yesBid <= 0 || m.yesAsk >= PRICE_ONE) return null;
  const bidSize = m.yesBidSize - ownAt("bid", m.yesBid);
  const askSize = m.yesAskSize - ownAt("ask", m.yesAsk);
  if (bidSize <= 0 || askSize <= 0) return null;
  return { bid: m.yesBid, bidSize, ask: m.yesAsk, askSize };
}

export function fairValue(t: ExternalTop, how: "mid" | "microprice"): Price {
  if (how === "microprice") {
    // Weighted toward the side with less size: that is where the next trade is likelier to go.
    const w = t.bidSize + t.askSize;
    return Math.floor((t.bid * t.askSize + t.ask * t.bidSize) / w);
  }
  return Math.floor((t.bid + t.ask) / 2);
}

export interface Quote {
  side: BookSide;
  price: Price;
  size: Count;
}

const wholeContracts = (c: Count): Count => Math.floor(c / COUNT_ONE) * COUNT_ONE;

/**
 * The two quotes for a market, or fewer when inventory forbids a side. Prices are on the grid and
 * never cross the current book (our bid strictly below the best ask, our ask strictly above the
 * best bid), since post_only would be rejected.
 */
export function computeQuotes(m: MarketView, top: ExternalTop, position: Count, params: MarketMakerParams): Quote[] {
  const fair = fairValue(top, params.fairValue);
  const skew = Math.trunc((params.skewPerContract * position) / COUNT_ONE);
  const center = fair - skew;
  const lowHalf = Math.floor(params.spread / 2);
  let bid = snapDown(center - lowHalf, m.priceRanges);
  let ask = snapUp(center + (params.spread - lowHalf), m.priceRanges);
  // The live book (with our own quotes) is what post_only is checked against.
  const bestAsk = m.yesAsk ?? top.ask;
  const bestBid = m.yesBid ?? top.bid;
  const maxBid = nextDown(Math.min(bestAsk, top.ask), m.priceRanges);
  const minAsk = nextUp(Math.max(bestBid, top.bid), m.priceRanges);
  if (bid !== null && maxBid !== null) bid = Math.min(bid, maxBid);
  if (ask !== null && minAsk !== null) ask = Math.max(ask, minAsk);
  if (maxBid === null) bid = null;
  if (minAsk === null) ask = null;
  const quotes: Quote[] = [];
  const bidSize = wholeContracts(Math.min(params.quoteSize, params.maxInventory - position));
  const askSize = wholeContracts(Math.min(params.quoteSize, params.maxInventory + position));
  if (bid !== null && bidSize > 0 && isOnGrid(bid, m.priceRanges)) quotes.push({ side: "bid", price: bid, size: bidSize });
  if (ask !== null && askSize > 0 && isOnGrid(ask, m.priceRanges) && (bid === null || ask > bid)) {
    quotes.push({ side: "ask", price: ask, size: askSize });
  }
  return quotes;
}

/** Markets to quote: the configured list, else the most liquid eligible ones by volume. */
export function chooseMarkets(markets: ReadonlyMap<string, MarketView>, portfolio: PortfolioView, params: MarketMakerParams): MarketView[] {
  const twoSided = (m: MarketView) => m.status === "active" && m.yesBid !== null && m.yesAsk !== null && m.yesBid > 0 && m.yesAsk < PRICE_ONE && m.yesBid < m.yesAsk;
  if (params.markets.length > 0) {
    return params.markets.map((t) => markets.get(t)).filter((m): m is MarketView => m !== undefined && twoSided(m));
  }
  if (params.maxMarkets <= 0) return [];
  // Markets we already quote stay eligible even when our quotes narrowed the spread, or the choice
  // would flap between cycles.
  const quoted = new Set(portfolio.restingOrders.filter((o) => o.strategy === MARKET_MAKER).map((o) => o.ticker));
  const eligible = [...markets.values()].filter(
    (m) => twoSided(m) && (quoted.has(m.ticker) || ticksBetween(m.yesBid as Price, m.yesAsk as Price, m.priceRanges) >= params.minSpreadTicks),
  );
  eligible.sort((a, b) => b.volume - a.volume || (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
  return eligible.slice(0, params.maxMarkets);
}

/** Turn desired quotes into create / keep / amend / cancel against our resting orders on one side. */
export function reconcileSide(
  m: MarketView,
  side: BookSide,
  desired: Quote | null,
  existing: readonly RestingOrderView[],
  why: string,
): Intent[] {
  const out: Intent[] = [];
  const cancel = (o: RestingOrderView, reason: string) =>
    out.push({ kind: "cancel", strategy: MARKET_MAKER, ticker: m.ticker, orderId: o.orderId, reason });
  if (!desired) {
    for (const o of existing) cancel(o, `no ${side} quote: ${why}`);
    return out;
  }
  const same = existing.find((o) => o.price === desired.price);
  const primary = same ?? existing[0];
  for (const o of existing) if (o !== primary) cancel(o, "duplicate quote");
  if (!primary) {
    out.push({
      kind: "create", strategy: MARKET_MAKER, ticker: m.ticker, eventTicker: m.eventTicker, side,
      price: desired.price, count: desired.size, timeInForce: "good_till_canceled", postOnly: true, reduceOnly: false,
      reason: `quote ${side} ${desired.size / COUNT_ONE} @ ${desired.price / PRICE_ONE}: ${why}`,
    });
    return out;
  }
  const filled = primary.filled ?? 0;
  if (primary.price === desired.price) {
    // Same price: keep the queue position. Only shrink, when inventory now allows less.
    if (primary.remaining > desired.size) {
      out.push({
        kind: "amend", strategy: MARKET_MAKER, ticker: m.ticker, orderId: primary.orderId, side,
        price: desired.price, count: filled + desired.size, reason: `shrink ${side} quote to ${desired.size / COUNT_ONE} for the inventory cap`,
      });
    }
    return out;
  }
  out.push({
    kind: "amend", strategy: MARKET_MAKER, ticker: m.ticker, orderId: primary.orderId, side,
    price: desired.price, count: filled + desired.size,
    reason: `requote ${side} ${primary.price / PRICE_ONE} -> ${desired.price / PRICE_ONE}: ${why}`,
  });
  return out;
}

/** Hold mode: fair value unknown. Keep quotes, but trim or pull any the inventory cap no longer allows. */
function holdSide(m: MarketView, side: BookSide, existing: readonly RestingOrderView[], position: Count, params: MarketMakerParams): Intent[] {
  const room = wholeContracts(side === "bid" ? params.maxInventory - position : params.maxInventory + position);
  const out: Intent[] = [];
  let left = room;
  for (const o of existing) {
    if (left <= 0) {
      out.push({ kind: "cancel", strategy: MARKET_MAKER, ticker: m.ticker, orderId: o.orderId, reason: "inventory cap" });
    } else if (o.remaining > left) {
      out.push({ kind: "amend", strategy: MARKET_MAKER, ticker: m.ticker, orderId: o.orderId, side, price: o.price, count: (o.filled ?? 0) + left, reason: "inventory cap" });
      left = 0;
    } else {
      left -= o.remaining;
    }
  }
  return out;
}

export const marketMaker: Strategy<MarketMakerParams> = {
  name: MARKET_MAKER,
  needsDepth(market, params, portfolio?: PortfolioView) {
    if (params.markets.includes(market.ticker)) return true;
    return portfolio?.restingOrders.some((o) => o.ticker === market.ticker && o.strategy === MARKET_MAKER) ?? false;
  },
  decide(input: StrategyInput<MarketMakerParams>): Intent[] {
    const { markets, portfolio, params } = input;
    const chosen = chooseMarkets(markets, portfolio, params);
    const chosenSet = new Set(chosen.map((m) => m.ticker));
    const out: Intent[] = [];
    // Quotes in markets no longer chosen (closed, out of scope, one-sided) are pulled.
    for (const o of portfolio.restingOrders) {
      if (o.strategy === MARKET_MAKER && !chosenSet.has(o.ticker)) {
        out.push({ kind: "cancel", strategy: MARKET_MAKER, ticker: o.ticker, orderId: o.orderId, reason: "market no longer quoted" });
      }
    }
    for (const m of chosen) {
      const own = ours(portfolio, m.ticker);
      const position = portfolio.positions.get(m.ticker)?.position ?? 0;
      const bids = own.filter((o) => o.side === "bid");
      const asks = own.filter((o) => o.side === "ask");
      const top = externalTop(m, own);
      if (!top) {
        out.push(...holdSide(m, "bid", bids, position, params), ...holdSide(m, "ask", asks, position, params));
        continue;
      }
      const quotes = computeQuotes(m, top, position, params);
      const why = `fair ${fairValue(top, params.fairValue) / PRICE_ONE}, inventory ${position / COUNT_ONE}`;
      out.push(
        ...reconcileSide(m, "bid", quotes.find((q) => q.side === "bid") ?? null, bids, why),
        ...reconcileSide(m, "ask", quotes.find((q) => q.side === "ask") ?? null, asks, why),
      );
    }
    return out;
  },
};
