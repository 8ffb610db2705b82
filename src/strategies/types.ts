// The contract between the engine and strategies. Strategies are pure functions of these values:
// no network, no database, no clock (the engine passes `nowMs`). All money in money.ts units.
import type { Count, FeeType, Micros, Price } from "../kalshi/money.ts";

export type BookSide = "bid" | "ask"; // YES book: bid = buy YES, ask = sell YES / buy NO at 1 − price
export type TimeInForce = "good_till_canceled" | "immediate_or_cancel" | "fill_or_kill";

export type { PriceRange } from "../kalshi/price-grid.ts";
import type { PriceRange } from "../kalshi/price-grid.ts";

/** Bid levels per leg as Kalshi sends them (NO leg in NO prices), best last. */
export interface BookDepth {
  yes: Array<[Price, Count]>;
  no: Array<[Price, Count]>;
}

export interface MarketView {
  ticker: string;
  eventTicker: string;
  seriesTicker: string;
  status: string; // Kalshi market status field: active, closed, …
  yesBid: Price | null;
  yesBidSize: Count;
  yesAsk: Price | null;
  yesAskSize: Count;
  lastPrice: Price | null;
  volume: Count;
  openInterest: Count;
  priceRanges: PriceRange[];
  feeType: FeeType;
  feeMultiplierE4: number;
  closeTimeMs: number | null;
  /** Present only when a strategy asked for depth (needsDepth) and the engine fetched it. */
  book?: BookDepth;
}

export interface EventView {
  eventTicker: string;
  seriesTicker: string;
  mutuallyExclusive: boolean;
  /**
   * Known to be collectively exhaustive too (exactly one market resolves YES), decided by the engine
   * from the strikes of ALL the event's markets (src/engine/event-coverage.ts). Absent or false:
   * not known, and a YES set could pay $0.
   */
  exhaustive?: boolean;
  marketTickers: string[];
}

export interface PositionView {
  ticker: string;
  /** Signed: positive = YES contracts, negative = NO contracts. */
  position: Count;
  costMicros: Micros;
}

export interface RestingOrderView {
  orderId: string;
  clientOrderId: string;
  ticker: string;
  side: BookSide;
  price: Price;
  remaining: Count;
  /** Already filled, when the engine knows it; amend counts are filled + desired remaining. */
  filled?: Count;
  strategy: string | null;
  /** The set an order belongs to (arbitrage legs), when the ledger recorded one. */
  groupKey?: string;
}

export interface PortfolioView {
  cashMicros: Micros;
  positions: Map<string, PositionView>;
  restingOrders: RestingOrderView[];
  /**
   * Strategy → ticker → net YES contracts that strategy's own fills built (ledger orders: bid +,
   * ask −), when the engine computed it. A strategy's inventory, not the account's position (which
   * also holds other strategies' contracts, e.g. an arbitrage's hedged legs).
   */
  inventory?: ReadonlyMap<string, ReadonlyMap<string, Count>>;
  /** Cash + resting collateral + positions at conservative marks (the risk gate's equity), when known. */
  equityMicros?: Micros;
}

export interface CreateIntent {
  kind: "create";
  strategy: string;
  ticker: string;
  eventTicker: string;
  side: BookSide;
  price: Price;
  count: Count;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  reason: string;
  /** Expected edge after fees for the whole intent, for the scan table and the audit log. */
  edgeMicros?: Micros;
  feeMicros?: Micros;
  /** Intents sharing a group key form one set (e.g. all legs of an arbitrage). */
  groupKey?: string;
}

/** The terms of an order as the exchange sees them; the transport's request and the ledger's row share them. */
export type OrderTerms = Pick<CreateIntent, "ticker" | "side" | "price" | "count" | "timeInForce" | "postOnly" | "reduceOnly">;

export interface CancelIntent {
  kind: "cancel";
  strategy: string;
  ticker: string;
  orderId: string;
  reason: string;
}

export interface AmendIntent {
  kind: "amend";
  strategy: string;
  ticker: string;
  orderId: string;
  side: BookSide;
  price: Price;
  /** New total count (filled + desired remaining), as Kalshi's amend wants. */
  count: Count;
  reason: string;
}

export type Intent = CreateIntent | CancelIntent | AmendIntent;

/**
 * One public trade print, as the paper model needs it: YES price and size. `takerBookSide` is the
 * side of the aggressor when known (bid = a buyer of YES lifted asks).
 */
export interface TradePrint {
  ticker: string;
  price: Price;
  count: Count;
  takerBookSide?: BookSide;
  tsMs: number;
}

export interface StrategyInput<P> {
  markets: ReadonlyMap<string, MarketView>;
  events: ReadonlyMap<string, EventView>;
  portfolio: PortfolioView;
  params: P;
  nowMs: number;
  /**
   * Mid history the engine kept for the markets the strategy named in `historyFor`: per ticker,
   * [time ms, YES mid] oldest first. Strategies stay pure: the state lives in the engine.
   */
  midHistory?: ReadonlyMap<string, ReadonlyArray<readonly [number, Price]>>;
  /**
   * The strategy's own fills since the time it named in `fillsSince`, oldest first (the ledger's
   * fills of its orders). Absent when the strategy asked for none.
   */
  ownFills?: ReadonlyArray<OwnFillView>;
}

/** One fill of a strategy's own order: YES price, contracts, when (exchange time of the fill). */
export interface OwnFillView {
  ticker: string;
  side: BookSide;
  price: Price;
  count: Count;
  tsMs: number;
}

export interface Strategy<P = unknown> {
  name: string;
  /**
   * Which markets need full depth this cycle (the rest use top of book from the market list).
   * `portfolio` is optional so a strategy can ask for depth only where it already has orders. Reads
   * only the market's view, params and the portfolio's entries for its ticker (position, resting
   * orders, inventory): the engine asks again only where one of those changed (src/engine/depth-choice.ts).
   */
  needsDepth(market: MarketView, params: P, portfolio?: PortfolioView): boolean;
  /**
   * Markets that need full depth this cycle as a whole (e.g. every leg of an event whose top of
   * book shows an arbitrage), beside the per-market `needsDepth`. Answered event by event: the
   * answer for several events is the union of the answers for each alone, and one event's answer
   * reads only that event, its markets' views, params and the portfolio's entries for its markets
   * (the engine asks again only for the events one of whose markets changed: src/engine/depth-choice.ts).
   */
  depthFor?(
    markets: ReadonlyMap<string, MarketView>,
    events: ReadonlyMap<string, EventView>,
    params: P,
    portfolio?: PortfolioView,
  ): string[];
  /** Markets whose mid history the engine should keep and pass in `midHistory` (few: it is stored). */
  historyFor?(markets: ReadonlyMap<string, MarketView>, params: P, portfolio: PortfolioView, nowMs: number): string[];
  /** The earliest fill time whose own fills the strategy wants in `ownFills` (e.g. for markouts). */
  fillsSince?(params: P, nowMs: number): number;
  decide(input: StrategyInput<P>): Intent[];
  /**
   * Optional: which markets (unit "market") or events (unit "event") can matter to this strategy's
   * output, so the engine may leave the others out of its input and re-test only what changed
   * (src/engine/decision-cache.ts). The contract, which the strategy's tests hold it to:
   *   - removing from `markets` (or `events`) every one this returns false for leaves `decide`'s and
   *     `historyFor`'s outputs unchanged;
   *   - the verdict reads only that market (or that event and its markets), the portfolio's entries
   *     for those tickers (positions, resting orders, inventory), params and nowMs;
   *   - a false verdict stays false as nowMs grows while those inputs stay the same;
   *   - with `top`, removing the relevant markets past the first `limit` in `order` leaves the
   *     outputs unchanged too (a strategy that picks the best N);
   *   - unit "market": the outputs do not depend on the order of `markets` (the pruned input comes
   *     in `order` with `top`, else in the order the markets turned relevant, not the scope's).
   */
  relevance?: Relevance<P>;
}

export type Relevance<P> =
  | {
      unit: "market";
      test(market: MarketView, params: P, portfolio: PortfolioView, nowMs: number): boolean;
      top?: { limit(params: P): number; order(a: MarketView, b: MarketView): number };
    }
  | {
      unit: "event";
      test(event: EventView, markets: ReadonlyMap<string, MarketView>, params: P, portfolio: PortfolioView, nowMs: number): boolean;
    };
