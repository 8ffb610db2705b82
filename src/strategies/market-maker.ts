// market_maker: one post-only GTC quote per side around an Avellaneda–Stoikov style reservation
// price: r = fair − q × (skew_per_contract + γσ²τ), full width = spread + γσ²τ, where q is the
// strategy's OWN inventory (its fills in the ledger, not the account's position, which also holds
// the arbitrage's hedged legs), σ the mid volatility per √minute from the engine's mid history
// (mids of the book without our resting orders; floored by min_volatility), τ the minutes to close (capped by horizon_minutes), γ risk_aversion.
// Each quote keeps at least min_edge + the maker fee from the fair value.
//
// It quotes nothing (and pulls its quotes) when the market closes within stop_before_close_minutes,
// when the book without our quotes is one-sided or thinner than min_book_contracts, and when the
// mid moved pull_move or more within pull_window_seconds (a fast move: informed flow), and when
// its recent fills turn toxic: the rolling markout (mid markout_seconds after each of its own fills
// in the last toxic_window_seconds, against the fill price) averages toxic_markout or worse per
// contract, in that market or over all its markets. The fills come from the ledger (ownFills), the
// mids from the engine's mid history; once fills stop, the pull ends with the window.
//
// Fair value comes from the book WITHOUT our own quotes: pricing off a book that contains them
// would make the quotes chase themselves (each skewed requote moves the mid, which moves the next
// requote). With depth (needsDepth asks for it where we already quote) our orders are subtracted
// level by level; with top of book only, a side where our order is the whole top level is unknown
// and the market is held (existing quotes kept, only trimmed for inventory).
//
// Loss control is the inventory cap: no quote may, if filled in full, take |position| beyond
// max_inventory. The risk gate's limits apply on top.
import { COUNT_ONE, PRICE_ONE, makerFee, parsePrice, type Count, type Price } from "../kalshi/money.ts";
import type { StrategiesConfig } from "../config/strategies-schema.ts";
import { isOnGrid, nextDown, nextUp, snapDown, snapUp, ticksBetween } from "../kalshi/price-grid.ts";
import type { BookSide, Intent, MarketView, OwnFillView, PortfolioView, RestingOrderView, Strategy, StrategyInput } from "./types.ts";

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
  /** γ per dollar. */
  riskAversion: number;
  /** Price units per √minute. */
  minVolatility: Price;
  horizonMinutes: number;
  stopBeforeCloseMs: number;
  /** Count units. */
  minBookSize: Count;
  pullMove: Price;
  pullWindowMs: number;
  minEdge: Price;
  markoutMs: number;
  toxicWindowMs: number;
  /** Price units per contract (a positive threshold: markouts at or below its negative pull). */
  toxicMarkout: Price;
  /** Count units. */
  toxicMinSize: Count;
  /** The same, with a series' overrides (`series` in the config), for that series' markets. */
  bySeries: Readonly<Record<string, MarketMakerParams>>;
}

/** The settings for one market: its series' overrides where the config has some. */
export const paramsFor = (params: MarketMakerParams, m: MarketView): MarketMakerParams => params.bySeries[m.seriesTicker] ?? params;

export function resolveMarketMakerParams(cfg: StrategiesConfig["market_maker"]): MarketMakerParams {
  const base = resolveOne(cfg);
  const bySeries: Record<string, MarketMakerParams> = {};
  for (const [series, over] of Object.entries(cfg.series)) bySeries[series] = resolveOne({ ...cfg, ...over });
  return { ...base, bySeries };
}

function resolveOne(cfg: StrategiesConfig["market_maker"]): MarketMakerParams {
  return {
    markets: [...cfg.markets],
    maxMarkets: cfg.max_markets,
    spread: parsePrice(cfg.spread, "market_maker.spread"),
    quoteSize: cfg.quote_size * COUNT_ONE,
    maxInventory: cfg.max_inventory * COUNT_ONE,
    fairValue: cfg.fair_value,
    skewPerContract: parsePrice(cfg.skew_per_contract, "market_maker.skew_per_contract"),
    minSpreadTicks: cfg.min_spread_ticks,
    riskAversion: cfg.risk_aversion,
    minVolatility: parsePrice(cfg.min_volatility, "market_maker.min_volatility"),
    horizonMinutes: cfg.horizon_minutes,
    stopBeforeCloseMs: cfg.stop_before_close_minutes * 60_000,
    minBookSize: cfg.min_book_contracts * COUNT_ONE,
    pullMove: parsePrice(cfg.pull_move, "market_maker.pull_move"),
    pullWindowMs: cfg.pull_window_seconds * 1000,
    minEdge: parsePrice(cfg.min_edge, "market_maker.min_edge"),
    markoutMs: cfg.markout_seconds * 1000,
    toxicWindowMs: cfg.toxic_window_seconds * 1000,
    toxicMarkout: parsePrice(cfg.toxic_markout, "market_maker.toxic_markout"),
    toxicMinSize: cfg.toxic_min_contracts * COUNT_ONE,
    bySeries: {},
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

/** Mid volatility in Price units per √minute from the history (pairs ≥ 5 s apart), floored. */
export function volatility(history: ReadonlyArray<readonly [number, Price]> | undefined, floor: Price): Price {
  if (!history || history.length < 3) return floor;
  let sum = 0;
  let n = 0;
  let prev = history[0]!;
  for (let i = 1; i < history.length; i++) {
    const cur = history[i]!;
    const dtMin = (cur[0] - prev[0]) / 60_000;
    if (dtMin < 5 / 60) continue;
    sum += (cur[1] - prev[1]) ** 2 / dtMin;
    n++;
    prev = cur;
  }
  if (n < 2) return floor;
  return Math.max(floor, Math.round(Math.sqrt(sum / n)));
}

/** Largest |mid − mid then| over the window ending now (Price units); 0 without history. */
export function recentMove(
  history: ReadonlyArray<readonly [number, Price]> | undefined,
  nowMs: number,
  windowMs: number,
  mid: Price,
): Price {
  let move = 0;
  for (const [t, p] of history ?? []) if (t >= nowMs - windowMs && t <= nowMs) move = Math.max(move, Math.abs(mid - p));
  return move;
}

type MidSeries = ReadonlyArray<readonly [number, Price]>;

/** Summed markout (Price units × Count units / COUNT_ONE, i.e. Price per contract × contracts) and contracts. */
export interface Markout {
  sum: number;
  contracts: Count;
}

/** The mid at the first history point at or after `t`, else the newest one; null before any point after the fill. */
function midAtOrAfter(history: MidSeries, fillMs: number, t: number): Price | null {
  let last: readonly [number, Price] | null = null;
  for (const pt of history) {
    if (pt[0] >= t) return pt[1];
    last = pt;
  }
  return last && last[0] > fillMs ? last[1] : null;
}

/**
 * Rolling markout of our own fills: for each fill, the mid `horizonMs` later (or the newest mid
 * when that is still ahead) minus the fill price, for a buy, and the reverse for a sell: positive is
 * money the fill made, negative is adverse selection. Per market and over all; fills in markets
 * without history, or with no mid after them yet, are left out.
 */
export function markouts(
  fills: readonly OwnFillView[],
  history: ReadonlyMap<string, MidSeries> | undefined,
  nowMs: number,
  horizonMs: number,
): { perMarket: Map<string, Markout>; overall: Markout } {
  const perMarket = new Map<string, Markout>();
  const overall: Markout = { sum: 0, contracts: 0 };
  for (const f of fills) {
    const h = history?.get(f.ticker);
    if (!h) continue;
    const mid = midAtOrAfter(h, f.tsMs, Math.min(f.tsMs + horizonMs, nowMs));
    if (mid === null) continue;
    const perContract = f.side === "bid" ? mid - f.price : f.price - mid;
    const add = (perContract * f.count) / COUNT_ONE;
    const m = perMarket.get(f.ticker) ?? { sum: 0, contracts: 0 };
    m.sum += add;
    m.contracts += f.count;
    perMarket.set(f.ticker, m);
    overall.sum += add;
    overall.contracts += f.count;
  }
  return { perMarket, overall };
}

/** Average markout per contract (Price units) when there are enough contracts to judge and it is toxic, else null. */
export function toxicAverage(m: Markout | undefined, params: MarketMakerParams): Price | null {
  if (!m || m.contracts < params.toxicMinSize || m.contracts <= 0) return null;
  const avg = (m.sum * COUNT_ONE) / m.contracts;
  return avg <= -params.toxicMarkout ? Math.round(avg) : null;
}

export interface QuoteContext {
  /** Volatility, Price units per √minute. */
  sigma: Price;
  /** Minutes to close used (capped at the horizon). */
  tauMinutes: number;
}

/** γσ²τ in Price units: the reservation shift per contract beyond skew_per_contract, and the extra width. */
export function riskTerm(ctx: QuoteContext, params: MarketMakerParams): Price {
  const sigmaDollars = ctx.sigma / PRICE_ONE;
  return Math.round(params.riskAversion * sigmaDollars * sigmaDollars * ctx.tauMinutes * PRICE_ONE);
}

/** What a fill of one contract at `price` costs in maker fees, in Price units (rounded up). */
const makerFeePerContract = (m: MarketView, price: Price): Price =>
  Math.ceil(makerFee(m.feeType, price, COUNT_ONE, m.feeMultiplierE4) / COUNT_ONE);

/**
 * The two quotes for a market, or fewer when inventory forbids a side. `position` is the strategy's
 * own inventory. Prices are on the grid, keep min_edge + the maker fee from the fair value, and
 * never cross the current book (post_only would be rejected).
 */
export function computeQuotes(
  m: MarketView,
  top: ExternalTop,
  position: Count,
  params: MarketMakerParams,
  ctx: QuoteContext = { sigma: 0, tauMinutes: 0 },
): Quote[] {
  const fair = fairValue(top, params.fairValue);
  const risk = riskTerm(ctx, params);
  const skew = Math.trunc(((params.skewPerContract + risk) * position) / COUNT_ONE);
  const center = fair - skew;
  const width = params.spread + risk;
  const lowHalf = Math.floor(width / 2);
  let bid = snapDown(center - lowHalf, m.priceRanges);
  let ask = snapUp(center + (width - lowHalf), m.priceRanges);
  // Never closer to fair than the maker fee a fill would pay, plus min_edge on a side that would
  // grow |inventory| (a side that reduces it may trade at fair: that is risk going away).
  if (bid !== null) {
    const maxBid = fair - (position < 0 ? 0 : params.minEdge) - makerFeePerContract(m, bid);
    if (bid > maxBid) bid = snapDown(maxBid, m.priceRanges);
  }
  if (ask !== null) {
    const minAsk = fair + (position > 0 ? 0 : params.minEdge) + makerFeePerContract(m, ask);
    if (ask < minAsk) ask = snapUp(minAsk, m.priceRanges);
  }
  // The live book (with our own quotes) is what post_only is checked against.
  const bestAsk = m.yesAsk ?? top.ask;
  const bestBid = m.yesBid ?? top.bid;
  const maxBid = nextDown(Math.min(bestAsk, top.ask), m.priceRanges);
  const minAsk = nextUp(Math.max(bestBid, top.bid), m.priceRanges);
  if (bid !== null && maxBid !== null) bid = Math.min(bid, maxBid);
  if (ask !== null && minAsk !== null) ask = Math.max(ask, minAsk);
  if (maxBid === null) bid = null;
  if (minAsk === null) ask = null;
  if (bid !== null && bid <= 0) bid = null;
  if (ask !== null && ask >= PRICE_ONE) ask = null;
  const quotes: Quote[] = [];
  const bidSize = wholeContracts(Math.min(params.quoteSize, params.maxInventory - position));
  const askSize = wholeContracts(Math.min(params.quoteSize, params.maxInventory + position));
  if (bid !== null && bidSize > 0 && isOnGrid(bid, m.priceRanges)) quotes.push({ side: "bid", price: bid, size: bidSize });
  if (ask !== null && askSize > 0 && isOnGrid(ask, m.priceRanges) && (bid === null || ask > bid)) {
    quotes.push({ side: "ask", price: ask, size: askSize });
  }
  return quotes;
}

/** The strategy's own inventory in a market; the account position only when the engine gave none. */
export function ownInventory(portfolio: PortfolioView, ticker: string): Count {
  if (portfolio.inventory) return portfolio.inventory.get(MARKET_MAKER)?.get(ticker) ?? 0;
  return portfolio.positions.get(ticker)?.position ?? 0;
}

/** Why the market must not be quoted now, or null. */
export function stopReason(
  m: MarketView,
  top: ExternalTop | null,
  history: ReadonlyArray<readonly [number, Price]> | undefined,
  nowMs: number,
  params: MarketMakerParams,
): string | null {
  if (m.closeTimeMs !== null && m.closeTimeMs - nowMs < params.stopBeforeCloseMs) {
    return `closes in ${Math.max(0, Math.round((m.closeTimeMs - nowMs) / 60_000))} min (stop_before_close_minutes ${params.stopBeforeCloseMs / 60_000})`;
  }
  if (!top) return "one-sided book without our quotes";
  if (top.bidSize < params.minBookSize || top.askSize < params.minBookSize) {
    return `thin book: ${top.bidSize / COUNT_ONE} x ${top.askSize / COUNT_ONE} at the touch without ours (min_book_contracts ${params.minBookSize / COUNT_ONE})`;
  }
  const mid = Math.floor((top.bid + top.ask) / 2);
  const move = recentMove(history, nowMs, params.pullWindowMs, mid);
  if (move >= params.pullMove) return `fast move: mid moved ${move / PRICE_ONE} within ${params.pullWindowMs / 1000} s`;
  return null;
}

/**
 * Markets to quote: the configured list, else the most liquid eligible ones by volume. A market
 * closing within stop_before_close is not eligible (it would take a slot only to be pulled); `nowMs`
 * omitted: close times are not looked at.
 */
const twoSided = (m: MarketView) =>
  m.status === "active" && m.yesBid !== null && m.yesAsk !== null && m.yesBid > 0 && m.yesAsk < PRICE_ONE && m.yesBid < m.yesAsk;

/** Whether chooseMarkets may pick `m` (before the max_markets cut). */
function eligible(m: MarketView, quoted: (ticker: string) => boolean, all: MarketMakerParams, nowMs?: number): boolean {
  const params = paramsFor(all, m);
  const open = nowMs === undefined || m.closeTimeMs === null || m.closeTimeMs - nowMs >= params.stopBeforeCloseMs;
  return (
    twoSided(m) && open && (quoted(m.ticker) || ticksBetween(m.yesBid as Price, m.yesAsk as Price, m.priceRanges) >= params.minSpreadTicks)
  );
}

/** The order chooseMarkets ranks eligible markets in: most volume first, then by ticker. */
const byLiquidity = (a: MarketView, b: MarketView): number =>
  b.volume - a.volume || (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0);

/**
 * The markets where market_maker rests orders, per resting-order list (the engine asks per market,
 * 10,000 times a cycle: a scan of the list each time was a large share of the cycle). Memoized on
 * the list itself, which a portfolio never changes in place, so the answer is the same as a scan.
 */
const quotedMemo = new WeakMap<readonly RestingOrderView[], ReadonlySet<string>>();
function quotedTickers(portfolio: PortfolioView): ReadonlySet<string> {
  let q = quotedMemo.get(portfolio.restingOrders);
  if (!q) {
    q = new Set(portfolio.restingOrders.filter((o) => o.strategy === MARKET_MAKER).map((o) => o.ticker));
    quotedMemo.set(portfolio.restingOrders, q);
  }
  return q;
}

export function chooseMarkets(
  markets: ReadonlyMap<string, MarketView>,
  portfolio: PortfolioView,
  params: MarketMakerParams,
  nowMs?: number,
): MarketView[] {
  if (params.markets.length > 0) {
    return params.markets.map((t) => markets.get(t)).filter((m): m is MarketView => m !== undefined && twoSided(m));
  }
  if (params.maxMarkets <= 0) return [];
  // Markets we already quote stay eligible even when our quotes narrowed the spread, or the choice
  // would flap between cycles.
  const quoted = new Set(portfolio.restingOrders.filter((o) => o.strategy === MARKET_MAKER).map((o) => o.ticker));
  const eligible_ = [...markets.values()].filter((m) => eligible(m, (t) => quoted.has(t), params, nowMs));
  eligible_.sort(byLiquidity);
  return eligible_.slice(0, params.maxMarkets);
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
      kind: "create",
      strategy: MARKET_MAKER,
      ticker: m.ticker,
      eventTicker: m.eventTicker,
      side,
      price: desired.price,
      count: desired.size,
      timeInForce: "good_till_canceled",
      postOnly: true,
      reduceOnly: false,
      reason: `quote ${side} ${desired.size / COUNT_ONE} @ ${desired.price / PRICE_ONE}: ${why}`,
    });
    return out;
  }
  const filled = primary.filled ?? 0;
  if (primary.price === desired.price) {
    // Same price: keep the queue position. Only shrink, when inventory now allows less.
    if (primary.remaining > desired.size) {
      out.push({
        kind: "amend",
        strategy: MARKET_MAKER,
        ticker: m.ticker,
        orderId: primary.orderId,
        side,
        price: desired.price,
        count: filled + desired.size,
        reason: `shrink ${side} quote to ${desired.size / COUNT_ONE} for the inventory cap`,
      });
    }
    return out;
  }
  out.push({
    kind: "amend",
    strategy: MARKET_MAKER,
    ticker: m.ticker,
    orderId: primary.orderId,
    side,
    price: desired.price,
    count: filled + desired.size,
    reason: `requote ${side} ${primary.price / PRICE_ONE} -> ${desired.price / PRICE_ONE}: ${why}`,
  });
  return out;
}

/** Hold mode: fair value unknown. Keep quotes, but trim or pull any the inventory cap no longer allows. */
function holdSide(
  m: MarketView,
  side: BookSide,
  existing: readonly RestingOrderView[],
  position: Count,
  params: MarketMakerParams,
): Intent[] {
  const room = wholeContracts(side === "bid" ? params.maxInventory - position : params.maxInventory + position);
  const out: Intent[] = [];
  let left = room;
  for (const o of existing) {
    if (left <= 0) {
      out.push({ kind: "cancel", strategy: MARKET_MAKER, ticker: m.ticker, orderId: o.orderId, reason: "inventory cap" });
    } else if (o.remaining > left) {
      out.push({
        kind: "amend",
        strategy: MARKET_MAKER,
        ticker: m.ticker,
        orderId: o.orderId,
        side,
        price: o.price,
        count: (o.filled ?? 0) + left,
        reason: "inventory cap",
      });
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
    return portfolio ? quotedTickers(portfolio).has(market.ticker) : false;
  },
  // Only eligible markets can be chosen, and leaving out one that cannot be chosen changes neither
  // the choice (a top-N cut) nor the pulls (those come from the resting orders). Closing time only
  // ever makes a market ineligible.
  relevance: {
    unit: "market",
    test(m, params, portfolio, nowMs) {
      if (params.markets.length > 0) return params.markets.includes(m.ticker);
      return params.maxMarkets > 0 && eligible(m, (t) => quotedTickers(portfolio).has(t), params, nowMs);
    },
    // Of the eligible markets only the max_markets first by liquidity are chosen.
    top: { limit: (params) => (params.markets.length > 0 ? Infinity : params.maxMarkets), order: byLiquidity },
  },
  historyFor(markets, params, portfolio, nowMs) {
    return chooseMarkets(markets, portfolio, params, nowMs).map((m) => m.ticker);
  },
  fillsSince(params, nowMs) {
    return nowMs - params.toxicWindowMs;
  },
  decide(input: StrategyInput<MarketMakerParams>): Intent[] {
    const { markets, portfolio, params } = input;
    const chosen = chooseMarkets(markets, portfolio, params, input.nowMs);
    const chosenSet = new Set(chosen.map((m) => m.ticker));
    const out: Intent[] = [];
    // Quotes in markets no longer chosen (closed, out of scope, one-sided) are pulled.
    for (const o of portfolio.restingOrders) {
      if (o.strategy === MARKET_MAKER && !chosenSet.has(o.ticker)) {
        out.push({ kind: "cancel", strategy: MARKET_MAKER, ticker: o.ticker, orderId: o.orderId, reason: "market no longer quoted" });
      }
    }
    const mk = markouts(input.ownFills ?? [], input.midHistory, input.nowMs, params.markoutMs);
    const overallToxic = toxicAverage(mk.overall, params);
    for (const m of chosen) {
      const params = paramsFor(input.params, m);
      const own = ours(portfolio, m.ticker);
      const position = ownInventory(portfolio, m.ticker);
      const bids = own.filter((o) => o.side === "bid");
      const asks = own.filter((o) => o.side === "ask");
      const top = externalTop(m, own);
      if (!top && !m.book) {
        // Top of book only and our order is the whole top level: fair value unknown, hold.
        out.push(...holdSide(m, "bid", bids, position, params), ...holdSide(m, "ask", asks, position, params));
        continue;
      }
      const history = input.midHistory?.get(m.ticker);
      const toxic = toxicAverage(mk.perMarket.get(m.ticker), params);
      const stop =
        stopReason(m, top, history, input.nowMs, params) ??
        (toxic !== null
          ? `toxic flow: our fills here marked out ${toxic / PRICE_ONE}/contract after ${params.markoutMs / 1000} s`
          : overallToxic !== null
            ? `toxic flow: our fills over all markets marked out ${overallToxic / PRICE_ONE}/contract after ${params.markoutMs / 1000} s`
            : null);
      if (stop || !top) {
        out.push(...reconcileSide(m, "bid", null, bids, stop ?? "no book"), ...reconcileSide(m, "ask", null, asks, stop ?? "no book"));
        continue;
      }
      const sigma = volatility(history, params.minVolatility);
      const tauMinutes = Math.min(
        params.horizonMinutes,
        m.closeTimeMs === null ? params.horizonMinutes : Math.max(0, (m.closeTimeMs - input.nowMs) / 60_000),
      );
      const quotes = computeQuotes(m, top, position, params, { sigma, tauMinutes });
      const why = `fair ${fairValue(top, params.fairValue) / PRICE_ONE}, own inventory ${position / COUNT_ONE}, sigma ${sigma / PRICE_ONE}/√min`;
      out.push(
        ...reconcileSide(m, "bid", quotes.find((q) => q.side === "bid") ?? null, bids, why),
        ...reconcileSide(m, "ask", quotes.find((q) => q.side === "ask") ?? null, asks, why),
      );
    }
    return out;
  },
};
