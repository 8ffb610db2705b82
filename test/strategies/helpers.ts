// Builders for strategy tests: a market view with sane defaults, portfolios, events.
import type { EventView, MarketView, PortfolioView, PositionView, RestingOrderView } from "../../src/strategies/types.ts";
import { rangesForStructure } from "../../src/kalshi/price-grid.ts";

export function market(ticker: string, over: Partial<MarketView> = {}): MarketView {
  return {
    ticker,
    eventTicker: over.eventTicker ?? "EV",
    seriesTicker: "SER",
    status: "active",
    yesBid: 4000,
    yesBidSize: 1000,
    yesAsk: 4200,
    yesAskSize: 1000,
    lastPrice: 4100,
    volume: 10_000,
    openInterest: 5_000,
    priceRanges: rangesForStructure("linear_cent"),
    feeType: "quadratic",
    feeMultiplierE4: 10_000,
    closeTimeMs: null,
    ...over,
  };
}

/** `exhaustive` defaults to `mutuallyExclusive`: most tests price a proper ladder. */
export function event(eventTicker: string, tickers: string[], mutuallyExclusive = true, exhaustive = mutuallyExclusive): EventView {
  return { eventTicker, seriesTicker: "SER", mutuallyExclusive, exhaustive, marketTickers: tickers };
}

export function portfolio(
  over: { cashMicros?: number; positions?: PositionView[]; restingOrders?: RestingOrderView[] } = {},
): PortfolioView {
  return {
    cashMicros: over.cashMicros ?? 1_000_000_000,
    positions: new Map((over.positions ?? []).map((p) => [p.ticker, p])),
    restingOrders: over.restingOrders ?? [],
  };
}

export const mapOf = <T extends { ticker: string }>(xs: T[]) => new Map(xs.map((x) => [x.ticker, x]));
export const eventsOf = (xs: EventView[]) => new Map(xs.map((e) => [e.eventTicker, e]));
