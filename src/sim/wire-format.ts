// Exchange records → Kalshi's JSON. Prices 4 dp, costs and fees 6 dp, counts 2 dp, balance in
// truncated integer cents; times as Kalshi prints them. Shapes are typed against the shared wire
// schemas (src/kalshi/wire), so a field the client expects cannot silently go missing here.
import type {
  BalanceWire,
  EventPositionWire,
  FillWire,
  MarketPositionWire,
  MarketWire,
  OrderWire,
  SettlementWire,
  TradeWire,
} from "../kalshi/wire/index.ts";
import {
  formatCount,
  formatMicros,
  formatMicrosAs4dp,
  formatPrice,
  microsToCents,
  PRICE_ONE,
  type Count,
  type Micros,
  type Price,
} from "../kalshi/money.ts";
import type { Exchange } from "./exchange.ts";
import type { Fill, Market, Order, Position, Series, Settlement, SimEvent, Trade } from "./types.ts";

/** "2026-06-11T06:29:20.866753Z": Kalshi's record timestamps carry microseconds. */
export function isoMicro(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000Z`;
}

/** "2026-06-25T16:00:00Z": schedule times are whole seconds. */
export function isoSec(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

const yesNo = (side: "bid" | "ask") => (side === "bid" ? "yes" : "no");

export function marketJson(ex: Exchange, m: Market): MarketWire & Record<string, unknown> {
  const top = ex.top(m.ticker);
  const out: MarketWire & Record<string, unknown> = {
    can_close_early: m.canCloseEarly,
    close_time: isoSec(m.closeMs),
    created_time: isoMicro(m.createdMs),
    early_close_condition: "This market will close and expire early if the event occurs.",
    event_ticker: m.eventTicker,
    exchange_index: m.exchangeIndex,
    expected_expiration_time: isoSec(m.expectedExpirationMs),
    expiration_time: isoSec(m.latestExpirationMs),
    expiration_value: m.status === "determined" || m.status === "finalized" ? m.result : "",
    fractional_trading_enabled: true,
    last_price_dollars: formatPrice(m.lastPrice),
    latest_expiration_time: isoSec(m.latestExpirationMs),
    liquidity_dollars: "0.0000",
    market_type: "binary",
    no_ask_dollars: formatPrice(PRICE_ONE - top.bid),
    no_bid_dollars: formatPrice(PRICE_ONE - top.ask),
    no_sub_title: m.noSubTitle,
    notional_value_dollars: "1.0000",
    occurrence_datetime: isoSec(m.expectedExpirationMs),
    open_interest_fp: formatCount(m.openInterest),
    open_time: isoSec(m.openMs),
    previous_price_dollars: formatPrice(m.previousPrice),
    previous_yes_ask_dollars: formatPrice(m.previousYesAsk),
    previous_yes_bid_dollars: formatPrice(m.previousYesBid),
    price_level_structure: m.priceLevelStructure,
    ...(m.feeWaiverUntilMs === null ? {} : { fee_waiver_expiration_time: isoSec(m.feeWaiverUntilMs) }),
    price_ranges: m.priceRanges.map((r) => ({ end: formatPrice(r.end), start: formatPrice(r.start), step: formatPrice(r.step) })),
    response_price_units: "usd_cent",
    result: m.result,
    rules_primary: m.rulesPrimary,
    rules_secondary: m.rulesSecondary,
    settlement_timer_seconds: m.settlementTimerSeconds,
    status: m.status,
    ticker: m.ticker,
    title: m.title,
    updated_time: isoMicro(m.updatedMs),
    volume_24h_fp: formatCount(m.volume24h),
    volume_fp: formatCount(m.volume),
    yes_ask_dollars: formatPrice(top.ask),
    yes_ask_size_fp: formatCount(top.askSize),
    yes_bid_dollars: formatPrice(top.bid),
    yes_bid_size_fp: formatCount(top.bidSize),
    yes_sub_title: m.yesSubTitle,
  };
  if (m.strikeType) out.strike_type = m.strikeType;
  if (m.floorStrike !== null) out.floor_strike = m.floorStrike;
  if (m.capStrike !== null) out.cap_strike = m.capStrike;
  if (m.status === "determined" || m.status === "finalized") out.settlement_value_dollars = formatPrice(m.result === "yes" ? PRICE_ONE : 0);
  if (m.status === "finalized" && m.settledMs !== null) out.settlement_ts = isoMicro(m.settledMs);
  return out;
}

/** `volume` (contracts) only when the caller asked for include_volume. */
export function seriesJson(s: Series, updatedMs: number, volume?: Count): Record<string, unknown> {
  const out: Record<string, unknown> = {
    additional_prohibitions: [],
    // Required by the SDK's Series model (3.30.0); one category per series here.
    categories: [s.category],
    category: s.category,
    contract_terms_url: `${s.contractUrl}/terms.pdf`,
    contract_url: s.contractUrl,
    fee_multiplier: s.feeMultE4 / 10_000,
    fee_type: s.feeType,
    frequency: s.frequency,
    last_updated_ts: isoMicro(updatedMs),
    settlement_sources: s.settlementSources,
    tags: s.tags,
    ticker: s.ticker,
    title: s.title,
  };
  if (volume !== undefined) out.volume_fp = formatCount(volume);
  return out;
}

/** `series` supplies settlement_sources, which the SDK's EventData model requires (null allowed). */
export function eventJson(ev: SimEvent, markets?: Record<string, unknown>[], series?: Series): Record<string, unknown> {
  const out: Record<string, unknown> = {
    available_on_brokers: false,
    collateral_return_type: ev.mutuallyExclusive ? "MECNET" : "",
    event_ticker: ev.eventTicker,
    last_updated_ts: isoMicro(ev.updatedMs),
    mutually_exclusive: ev.mutuallyExclusive,
    series_ticker: ev.seriesTicker,
    settlement_sources: series?.settlementSources ?? null,
    strike_period: "",
    sub_title: ev.subTitle,
    title: ev.title,
  };
  if (ev.strikeDateMs !== null) out.strike_date = isoSec(ev.strikeDateMs);
  if (ev.feeTypeOverride) out.fee_type_override = ev.feeTypeOverride;
  if (ev.feeMultE4Override !== null) out.fee_multiplier_override = ev.feeMultE4Override / 10_000;
  if (markets) out.markets = markets;
  return out;
}

/** Legacy direction words: a bid buys YES, an ask buys NO. */
export function orderJson(o: Order): OrderWire & Record<string, unknown> {
  const out: OrderWire & Record<string, unknown> = {
    action: "buy",
    book_side: o.side,
    client_order_id: o.clientOrderId,
    created_time: isoMicro(o.createdMs),
    fill_count_fp: formatCount(o.filled),
    initial_count_fp: formatCount(o.initial),
    last_update_time: isoMicro(o.updatedMs),
    maker_fees_dollars: formatMicros(o.makerFees),
    maker_fill_cost_dollars: formatMicros(o.makerFillCost),
    no_price_dollars: formatPrice(PRICE_ONE - o.price),
    order_id: o.id,
    outcome_side: yesNo(o.side),
    remaining_count_fp: formatCount(o.remaining),
    self_trade_prevention_type: o.stp,
    side: yesNo(o.side),
    status: o.status,
    subaccount_number: o.subaccount,
    taker_fees_dollars: formatMicros(o.takerFees),
    taker_fill_cost_dollars: formatMicros(o.takerFillCost),
    ticker: o.ticker,
    type: "limit",
    user_id: o.userId,
    yes_price_dollars: formatPrice(o.price),
  };
  if (o.expirationMs !== null) out.expiration_time = isoSec(o.expirationMs);
  if (o.orderGroupId) out.order_group_id = o.orderGroupId;
  if (o.cancelOnPause) out.cancel_order_on_pause = true;
  return out;
}

export function fillJson(f: Fill): FillWire & Record<string, unknown> {
  return {
    action: "buy",
    book_side: f.side,
    count_fp: formatCount(f.count),
    created_time: isoMicro(f.tsMs),
    // One exchange instance (event contracts) here; the SDK's Fill model requires the index.
    exchange_index: 0,
    fee_cost: formatMicros(f.fee),
    fill_id: f.fillId,
    is_taker: f.isTaker,
    market_ticker: f.ticker,
    no_price_dollars: formatPrice(PRICE_ONE - f.price),
    order_id: f.orderId,
    outcome_side: yesNo(f.side),
    side: yesNo(f.side),
    subaccount_number: f.subaccount,
    ticker: f.ticker,
    trade_id: f.tradeId,
    ts: Math.floor(f.tsMs / 1000),
    yes_price_dollars: formatPrice(f.price),
  };
}

export function tradeJson(t: Trade): TradeWire & Record<string, unknown> {
  return {
    count_fp: formatCount(t.count),
    created_time: isoMicro(t.tsMs),
    is_block_trade: false,
    no_price_dollars: formatPrice(PRICE_ONE - t.price),
    taker_book_side: t.takerSide,
    taker_outcome_side: yesNo(t.takerSide),
    taker_side: yesNo(t.takerSide),
    ticker: t.ticker,
    trade_id: t.tradeId,
    yes_price_dollars: formatPrice(t.price),
  };
}

export function settlementJson(s: Settlement): SettlementWire & Record<string, unknown> {
  return {
    event_ticker: s.eventTicker,
    exchange_index: 0,
    fee_cost: formatMicros(s.feeCost),
    market_result: s.result,
    no_count_fp: formatCount(s.noCount),
    no_total_cost_dollars: formatMicros(s.noCost),
    revenue: microsToCents(s.revenue),
    settled_time: isoMicro(s.settledMs),
    ticker: s.ticker,
    value: Math.round(s.value / 100),
    yes_count_fp: formatCount(s.yesCount),
    yes_total_cost_dollars: formatMicros(s.yesCost),
  };
}

export function marketPositionJson(p: Position, restingOrders: number): MarketPositionWire & Record<string, unknown> {
  return {
    exchange_index: 0,
    fees_paid_dollars: formatMicros(p.feesPaid),
    last_updated_ts: isoMicro(p.updatedMs),
    market_exposure_dollars: formatMicros(p.cost),
    position_fp: formatCount(p.position),
    realized_pnl_dollars: formatMicros(p.realizedPnl),
    resting_orders_count: restingOrders,
    ticker: p.ticker,
    total_traded_dollars: formatMicros(p.totalTraded),
  };
}

export function eventPositionJson(eventTicker: string, ps: Position[]): EventPositionWire & Record<string, unknown> {
  let cost = 0;
  let shares = 0;
  let pnl = 0;
  let fees = 0;
  for (const p of ps) {
    cost += p.cost;
    shares += Math.abs(p.position);
    pnl += p.realizedPnl;
    fees += p.feesPaid;
  }
  return {
    event_exposure_dollars: formatMicros(cost),
    event_ticker: eventTicker,
    fees_paid_dollars: formatMicros(fees),
    realized_pnl_dollars: formatMicros(pnl),
    total_cost_dollars: formatMicros(cost),
    total_cost_shares_fp: formatCount(shares),
  };
}

export function balanceJson(available: Micros, positionsValue: Micros, nowMs: number): BalanceWire {
  const dollars = formatMicrosAs4dp(available);
  return {
    balance: microsToCents(available),
    balance_breakdown: [{ balance: dollars, exchange_index: 0 }],
    balance_dollars: dollars,
    portfolio_value: microsToCents(positionsValue),
    updated_ts: Math.floor(nowMs / 1000),
  };
}

/** Bid levels ascending by price, best last, as Kalshi's REST book lists them. */
export function levelsJson(levels: [Price, Count][]): [string, string][] {
  return [...levels].sort((a, b) => a[0] - b[0]).map(([p, c]) => [formatPrice(p), formatCount(c)]);
}

/** Per-contract averages for the V2 create answer. */
export function averages(o: Order): { average_fill_price?: string; average_fee_paid?: string } {
  if (o.filled === 0) return {};
  const cost = o.takerFillCost + o.makerFillCost;
  const yesCost = o.side === "bid" ? cost : PRICE_ONE * o.filled - cost;
  const fees = o.takerFees + o.makerFees;
  return {
    average_fill_price: dollars4or6(Math.round((yesCost * 100) / o.filled)),
    average_fee_paid: dollars4or6(Math.round((fees * 100) / o.filled)),
  };
}

/** Micros printed with 4 dp when exact, else 6 dp (Kalshi's per-contract averages). */
function dollars4or6(m: Micros): string {
  return m % 100 === 0 ? formatMicrosAs4dp(m) : formatMicros(m);
}
