// Zod schemas of every Kalshi REST body kalshi-bot reads or writes (API.md §3), written once and
// shared by the client (parse responses, encode requests) and the local exchange (parse requests,
// encode responses). Response objects are loose: Kalshi adds fields often and unknown ones must pass
// through; a missing or malformed required field fails. Money fields decode into integers
// (Price, Count, Micros, Cents) and encode back into Kalshi's exact strings.
import { z } from "zod";
import { CountReq, CountStr, LevelTuple, Micros4Str, MicrosStr, PriceReq, PriceStr, isOpenPrice } from "./codecs.ts";
import { contractsToCount } from "../money.ts";

const str = z.string();
const int = z.int();
const optStrNull = z.string().nullable().optional();

// ---- enums (known values; see API.md §4.3) ----------------------------------------------------------

export const BookSide = z.enum(["bid", "ask"]);
export const OutcomeSide = z.enum(["yes", "no"]);
export const TimeInForce = z.enum(["fill_or_kill", "good_till_canceled", "immediate_or_cancel"]);
export const SelfTradePrevention = z.enum(["taker_at_cross", "maker"]);
/** Order status; Kalshi's older API had `pending`, the WS may say `unknown`. */
export const OrderStatus = z.enum(["resting", "canceled", "executed", "pending", "unknown"]);
export const MARKET_STATUS_FILTERS = ["unopened", "open", "paused", "closed", "settled"] as const;
export const EVENT_STATUS_FILTERS = ["unopened", "open", "closed", "settled"] as const;
export type MarketStatusFilter = (typeof MARKET_STATUS_FILTERS)[number];
export type EventStatusFilter = (typeof EVENT_STATUS_FILTERS)[number];

// ---- errors (API.md §5.1) ------------------------------------------------------------------------

export const ErrorDetail = z.looseObject({
  code: str.optional(),
  message: str.optional(),
  details: z.unknown().optional(),
  service: str.optional(),
});
/** Shape 1: `{"error":{code,message,details?,service?}}`. */
export const NestedErrorBody = z.looseObject({ error: ErrorDetail });
/** Shape 2: `{"code","message","details"}` (JSON decode errors). */
export const FlatErrorBody = z.looseObject({
  code: str,
  message: str.optional(),
  details: z.unknown().optional(),
  service: str.optional(),
});
/** Shape 3: `{"msg": "Parameter validation failed …"}`. */
export const BareErrorBody = z.looseObject({ msg: str });
/** Shape 4: `{"error":"too many requests"}`. */
export const StringErrorBody = z.looseObject({ error: str });
export const ErrorBody = z.union([StringErrorBody, NestedErrorBody, FlatErrorBody, BareErrorBody]);

// ---- exchange ------------------------------------------------------------------------------------

export const ExchangeIndexStatus = z.looseObject({
  exchange_index: int,
  description: str.optional(),
  exchange_active: z.boolean(),
  trading_active: z.boolean(),
  intra_exchange_transfers_active: z.boolean().optional(),
});
export const ExchangeStatus = z.looseObject({
  exchange_active: z.boolean(),
  trading_active: z.boolean(),
  intra_exchange_transfers_active: z.boolean().optional(),
  exchange_estimated_resume_time: optStrNull,
  exchange_index_statuses: z.array(ExchangeIndexStatus).optional(),
});
const DailySchedule = z.looseObject({ open_time: str, close_time: str });
const WeeklySchedule = z.looseObject({
  start_time: str,
  end_time: str,
  monday: z.array(DailySchedule),
  tuesday: z.array(DailySchedule),
  wednesday: z.array(DailySchedule),
  thursday: z.array(DailySchedule),
  friday: z.array(DailySchedule),
  saturday: z.array(DailySchedule),
  sunday: z.array(DailySchedule),
});
export const MaintenanceWindow = z.looseObject({ start_datetime: str, end_datetime: str });
export const ExchangeScheduleResponse = z.looseObject({
  schedule: z.looseObject({
    standard_hours: z.array(WeeklySchedule),
    maintenance_windows: z.array(MaintenanceWindow),
  }),
});
export const UserDataTimestampResponse = z.looseObject({ as_of_time: str });

// ---- series & events -------------------------------------------------------------------------------

const SettlementSource = z.looseObject({ name: str.optional(), url: str.optional() });
export const Series = z.looseObject({
  ticker: str,
  frequency: str,
  title: str,
  category: str,
  categories: z.array(str).nullable().optional(),
  tags: z.array(str).nullable().optional(),
  settlement_sources: z.array(SettlementSource).nullable().optional(),
  contract_url: str.optional(),
  contract_terms_url: str.optional(),
  product_metadata: z.unknown().optional(),
  /** `quadratic | quadratic_with_maker_fees | quadratic_with_combo_maker_fees | flat` (+ future ones). */
  fee_type: str,
  /** A plain JSON number (1, 0.5, 0); turn it into integers with money.multiplierE4. */
  fee_multiplier: z.number(),
  additional_prohibitions: z.array(str).nullable().optional(),
  volume_fp: CountStr.optional(),
  last_updated_ts: str.optional(),
  exchange_index: int.optional(),
});
export const GetSeriesResponse = z.looseObject({ series: Series });
export const GetSeriesListResponse = z.looseObject({ series: z.array(Series) });
export const SeriesFeeChange = z.looseObject({ id: str, series_ticker: str, fee_type: str, fee_multiplier: z.number(), scheduled_ts: str });
export const GetSeriesFeeChangesResponse = z.looseObject({ series_fee_change_arr: z.array(SeriesFeeChange) });

// ---- markets ---------------------------------------------------------------------------------------

export const PriceRange = z.looseObject({ start: PriceStr, end: PriceStr, step: PriceStr });
const MveSelectedLeg = z.looseObject({
  event_ticker: str.optional(),
  market_ticker: str.optional(),
  side: str.optional(),
  yes_settlement_value_dollars: Micros4Str.nullable().optional(),
});

export const Market = z.looseObject({
  ticker: str,
  event_ticker: str,
  /** `binary | scalar` */
  market_type: str,
  title: str.optional(),
  subtitle: str.optional(),
  yes_sub_title: str.optional(),
  no_sub_title: str.optional(),
  created_time: str.optional(),
  updated_time: str.optional(),
  open_time: str,
  close_time: str,
  expected_expiration_time: optStrNull,
  expiration_time: str.optional(),
  latest_expiration_time: str.optional(),
  settlement_timer_seconds: int.optional(),
  /** initialized, inactive, active, closed, determined, disputed, amended or finalized; any string parses (Kalshi adds members without notice). */
  status: str,
  yes_bid_dollars: PriceStr,
  yes_bid_size_fp: CountStr.optional(),
  yes_ask_dollars: PriceStr,
  yes_ask_size_fp: CountStr.optional(),
  no_bid_dollars: PriceStr,
  no_ask_dollars: PriceStr,
  last_price_dollars: PriceStr,
  volume_fp: CountStr,
  volume_24h_fp: CountStr.optional(),
  /** `yes | no | scalar | ""` */
  result: str.optional(),
  can_close_early: z.boolean().optional(),
  open_interest_fp: CountStr,
  notional_value_dollars: PriceStr.optional(),
  previous_yes_bid_dollars: PriceStr.optional(),
  previous_yes_ask_dollars: PriceStr.optional(),
  previous_price_dollars: PriceStr.optional(),
  liquidity_dollars: Micros4Str.optional(),
  /** Value of a YES contract at settlement; the contract allows 6 places (scalar markets): Micros. */
  settlement_value_dollars: Micros4Str.nullable().optional(),
  settlement_ts: optStrNull,
  expiration_value: str.optional(),
  occurrence_datetime: optStrNull,
  fee_waiver_expiration_time: optStrNull,
  early_close_condition: optStrNull,
  strike_type: str.optional(),
  // Strikes are measured quantities (temperatures, hits), not money: plain numbers.
  floor_strike: z.number().nullable().optional(),
  cap_strike: z.number().nullable().optional(),
  functional_strike: optStrNull,
  custom_strike: z.unknown().optional(),
  rules_primary: str.optional(),
  rules_secondary: str.optional(),
  mve_collection_ticker: str.optional(),
  mve_selected_legs: z.array(MveSelectedLeg).nullable().optional(),
  primary_participant_key: optStrNull,
  price_level_structure: str,
  price_ranges: z.array(PriceRange),
  is_provisional: z.boolean().optional(),
  exchange_index: int.optional(),
});
export const GetMarketsResponse = z.looseObject({ markets: z.array(Market), cursor: str.optional() });
export const GetMarketResponse = z.looseObject({ market: Market });

export const EventData = z.looseObject({
  event_ticker: str,
  series_ticker: str,
  sub_title: str.optional(),
  title: str,
  collateral_return_type: str.optional(),
  mutually_exclusive: z.boolean(),
  category: str.optional(),
  strike_date: optStrNull,
  strike_period: optStrNull,
  markets: z.array(Market).optional(),
  product_metadata: z.unknown().optional(),
  settlement_sources: z.array(SettlementSource).nullable().optional(),
  last_updated_ts: str.optional(),
  fee_type_override: optStrNull,
  fee_multiplier_override: z.number().nullable().optional(),
  exchange_index: int.optional(),
});
export const Milestone = z.looseObject({ id: str, category: str.optional(), type: str.optional(), title: str.optional() });
export const GetEventsResponse = z.looseObject({
  events: z.array(EventData),
  milestones: z.array(Milestone).optional(),
  cursor: str.optional(),
});
export const GetEventResponse = z.looseObject({ event: EventData, markets: z.array(Market).optional() });

// ---- order book ------------------------------------------------------------------------------------

/** Bid levels per side, `[price, count]`; a side may be absent when empty. NO prices are NO-leg. */
export const OrderbookFp = z.looseObject({
  yes_dollars: z.array(LevelTuple).nullable().optional(),
  no_dollars: z.array(LevelTuple).nullable().optional(),
});
/** `orderbook_fp` is required: an answer without it (e.g. only the legacy cents `orderbook`) is not an empty book. */
export const GetMarketOrderbookResponse = z.looseObject({ orderbook_fp: OrderbookFp });
export const MarketOrderbookFp = z.looseObject({ ticker: str, orderbook_fp: OrderbookFp });
export const GetMarketOrderbooksResponse = z.looseObject({ orderbooks: z.array(MarketOrderbookFp) });

// ---- trades & candlesticks ---------------------------------------------------------------------------

export const Trade = z.looseObject({
  trade_id: str,
  ticker: str,
  count_fp: CountStr,
  yes_price_dollars: PriceStr,
  no_price_dollars: PriceStr,
  taker_side: str.optional(),
  taker_outcome_side: OutcomeSide,
  taker_book_side: BookSide,
  created_time: str,
  is_block_trade: z.boolean().optional(),
});
export const GetTradesResponse = z.looseObject({ trades: z.array(Trade), cursor: str.optional() });
/** The live/historical boundary (GET /historical/cutoff): older settled markets and trades are served by /historical/*. */
export const HistoricalCutoff = z.looseObject({ market_settled_ts: str, trades_created_ts: str, orders_updated_ts: str });

const BidAskDistribution = z.looseObject({
  open_dollars: PriceStr.optional(),
  low_dollars: PriceStr.optional(),
  high_dollars: PriceStr.optional(),
  close_dollars: PriceStr.optional(),
});
const PriceDistribution = z.looseObject({
  open_dollars: PriceStr.nullable().optional(),
  low_dollars: PriceStr.nullable().optional(),
  high_dollars: PriceStr.nullable().optional(),
  close_dollars: PriceStr.nullable().optional(),
  // A volume-weighted mean is not on the price grid; keep it in Micros.
  mean_dollars: MicrosStr.nullable().optional(),
  previous_dollars: PriceStr.nullable().optional(),
  min_dollars: PriceStr.nullable().optional(),
  max_dollars: PriceStr.nullable().optional(),
});
export const MarketCandlestick = z.looseObject({
  end_period_ts: int,
  yes_bid: BidAskDistribution,
  yes_ask: BidAskDistribution,
  price: PriceDistribution,
  volume_fp: CountStr,
  open_interest_fp: CountStr,
});
export const GetMarketCandlesticksResponse = z.looseObject({ ticker: str, candlesticks: z.array(MarketCandlestick) });
export const BatchGetMarketCandlesticksResponse = z.looseObject({
  markets: z.array(z.looseObject({ market_ticker: str, candlesticks: z.array(MarketCandlestick) })),
});
/** An archived market's candle (GET /historical/markets/{ticker}/candlesticks): the same figures under other names. */
const BidAskDistributionHistorical = z.looseObject({ open: PriceStr, low: PriceStr, high: PriceStr, close: PriceStr });
export const MarketCandlestickHistorical = z.looseObject({
  end_period_ts: int,
  yes_bid: BidAskDistributionHistorical,
  yes_ask: BidAskDistributionHistorical,
  price: z.looseObject({
    open: PriceStr.nullable(),
    low: PriceStr.nullable(),
    high: PriceStr.nullable(),
    close: PriceStr.nullable(),
    mean: MicrosStr.nullable(),
    previous: PriceStr.nullable(),
  }),
  volume: CountStr,
  open_interest: CountStr,
});
export const GetMarketCandlesticksHistoricalResponse = z.looseObject({ ticker: str, candlesticks: z.array(MarketCandlestickHistorical) });
export const CANDLE_PERIODS = [1, 60, 1440] as const;

// ---- portfolio ---------------------------------------------------------------------------------------

export const GetBalanceResponse = z.looseObject({
  /** Integer cents, truncated (as on the wire). */
  balance: int,
  balance_dollars: Micros4Str.optional(),
  /** Integer cents. */
  portfolio_value: int,
  updated_ts: int,
  balance_breakdown: z.array(z.looseObject({ exchange_index: int, balance: Micros4Str })).optional(),
});

export const MarketPosition = z.looseObject({
  ticker: str,
  exchange_index: int.optional(),
  total_traded_dollars: MicrosStr,
  /** Positive = YES contracts, negative = NO contracts. */
  position_fp: CountStr,
  market_exposure_dollars: MicrosStr,
  realized_pnl_dollars: MicrosStr,
  fees_paid_dollars: MicrosStr,
  last_updated_ts: str.optional(),
});
export const EventPosition = z.looseObject({
  event_ticker: str,
  total_cost_dollars: MicrosStr,
  total_cost_shares_fp: CountStr,
  event_exposure_dollars: MicrosStr,
  realized_pnl_dollars: MicrosStr,
  fees_paid_dollars: MicrosStr,
});
export const GetPositionsResponse = z.looseObject({
  cursor: str.optional(),
  market_positions: z.array(MarketPosition),
  event_positions: z.array(EventPosition),
});

export const Fill = z.looseObject({
  fill_id: str,
  exchange_index: int.optional(),
  trade_id: str.optional(),
  order_id: str,
  ticker: str,
  market_ticker: str.optional(),
  side: str.optional(),
  action: str.optional(),
  outcome_side: OutcomeSide,
  book_side: BookSide,
  count_fp: CountStr,
  yes_price_dollars: PriceStr,
  no_price_dollars: PriceStr,
  is_taker: z.boolean(),
  created_time: str.optional(),
  fee_cost: MicrosStr,
  subaccount_number: int.nullable().optional(),
  ts: int.optional(),
  client_order_id: str.nullable().optional(),
});
export const GetFillsResponse = z.looseObject({ fills: z.array(Fill), cursor: str.optional() });

export const Settlement = z.looseObject({
  ticker: str,
  exchange_index: int.optional(),
  event_ticker: str,
  market_result: str,
  yes_count_fp: CountStr,
  yes_total_cost_dollars: MicrosStr,
  no_count_fp: CountStr,
  no_total_cost_dollars: MicrosStr,
  /** Integer cents (a winning contract pays 100). */
  revenue: int,
  settled_time: str,
  fee_cost: MicrosStr,
  /** Payout per YES contract in cents. */
  value: int.nullable().optional(),
});
export const GetSettlementsResponse = z.looseObject({ settlements: z.array(Settlement), cursor: str.optional() });

// ---- orders ---------------------------------------------------------------------------------------

export const Order = z.looseObject({
  order_id: str,
  user_id: str.optional(),
  client_order_id: str,
  ticker: str,
  side: str.optional(),
  action: str.optional(),
  outcome_side: OutcomeSide,
  book_side: BookSide,
  type: str.optional(),
  status: OrderStatus,
  yes_price_dollars: PriceStr,
  no_price_dollars: PriceStr,
  fill_count_fp: CountStr,
  remaining_count_fp: CountStr,
  initial_count_fp: CountStr,
  taker_fill_cost_dollars: MicrosStr,
  maker_fill_cost_dollars: MicrosStr,
  taker_fees_dollars: MicrosStr,
  maker_fees_dollars: MicrosStr,
  expiration_time: optStrNull,
  created_time: optStrNull,
  last_update_time: optStrNull,
  self_trade_prevention_type: str.nullable().optional(),
  order_group_id: str.nullable().optional(),
  cancel_order_on_pause: z.boolean().optional(),
  subaccount_number: int.nullable().optional(),
  exchange_index: int.optional(),
});
export const GetOrdersResponse = z.looseObject({ orders: z.array(Order), cursor: str.optional() });
export const GetOrderResponse = z.looseObject({ order: Order });

/** V2 create (`POST /portfolio/events/orders`). Strings for price and count, never JSON numbers. */
export const CreateOrderV2Request = z.object({
  ticker: str.min(1),
  side: BookSide,
  count: CountReq.refine((c) => c > 0, "count must be at least 0.01"),
  price: PriceReq.refine(isOpenPrice, "price must lie strictly between 0 and 1"),
  time_in_force: TimeInForce,
  self_trade_prevention_type: SelfTradePrevention,
  client_order_id: str.min(1).optional(),
  /** Unix seconds; only with good_till_canceled. */
  expiration_time: int.optional(),
  post_only: z.boolean().optional(),
  reduce_only: z.boolean().optional(),
  cancel_order_on_pause: z.boolean().optional(),
  subaccount: int.min(0).max(63).optional(),
  order_group_id: str.optional(),
  exchange_index: int.optional(),
});
export const CreateOrderV2Response = z.looseObject({
  order_id: str,
  client_order_id: str.optional(),
  fill_count: CountStr,
  remaining_count: CountStr,
  /** Average over fills, may fall between grid steps: Micros. Absent when nothing filled. */
  average_fill_price: Micros4Str.optional(),
  /** Per-contract fee average: Micros. */
  average_fee_paid: Micros4Str.optional(),
  ts_ms: int,
});

export const BatchCreateOrdersV2Request = z.object({ orders: z.array(CreateOrderV2Request).min(1) });
export const BatchCreateOrdersV2ResponseItem = z.looseObject({
  order_id: str.optional(),
  client_order_id: str.nullable().optional(),
  fill_count: CountStr.optional(),
  remaining_count: CountStr.optional(),
  average_fill_price: Micros4Str.optional(),
  average_fee_paid: Micros4Str.optional(),
  ts_ms: int.nullable().optional(),
  error: ErrorDetail.nullable().optional(),
});
export const BatchCreateOrdersV2Response = z.looseObject({ orders: z.array(BatchCreateOrdersV2ResponseItem) });

export const CancelOrderV2Response = z.looseObject({
  order_id: str,
  client_order_id: str.optional(),
  reduced_by: CountStr,
  ts_ms: int,
});
export const BatchCancelOrdersV2RequestItem = z.object({
  order_id: str.min(1),
  subaccount: int.optional(),
  exchange_index: int.optional(),
  market_ticker: str.optional(),
});
export const BatchCancelOrdersV2Request = z.object({ orders: z.array(BatchCancelOrdersV2RequestItem).min(1) });
export const BatchCancelOrdersV2Response = z.looseObject({
  orders: z.array(
    z.looseObject({
      order_id: str,
      client_order_id: str.nullable().optional(),
      reduced_by: CountStr.optional(),
      ts_ms: int.nullable().optional(),
      error: ErrorDetail.nullable().optional(),
    }),
  ),
});

export const AmendOrderV2Request = z.object({
  ticker: str.min(1),
  side: BookSide,
  price: PriceReq.refine(isOpenPrice, "price must lie strictly between 0 and 1"),
  /** New total: already filled + desired remaining. */
  count: CountReq.refine((c) => c > 0, "count must be at least 0.01"),
  client_order_id: str.optional(),
  updated_client_order_id: str.optional(),
  exchange_index: int.optional(),
});
export const AmendOrderV2Response = z.looseObject({
  order_id: str,
  client_order_id: str.optional(),
  remaining_count: CountStr.optional(),
  fill_count: CountStr.optional(),
  average_fill_price: Micros4Str.optional(),
  average_fee_paid: Micros4Str.optional(),
  ts_ms: int,
});

export const DecreaseOrderV2Request = z
  .object({
    reduce_by: CountReq.optional(),
    reduce_to: CountReq.optional(),
    exchange_index: int.optional(),
    market_ticker: str.optional(),
  })
  .refine((b) => (b.reduce_by === undefined) !== (b.reduce_to === undefined), {
    message: "exactly one of reduce_by / reduce_to is required",
  });
export const DecreaseOrderV2Response = z.looseObject({
  order_id: str,
  client_order_id: str.optional(),
  remaining_count: CountStr,
  ts_ms: int,
});

/** Legacy endpoints still answer (API.md §3.10); the client does not write through them, but parses them. */
export const LegacyOrderResponse = z.looseObject({ order: Order });
export const LegacyCancelOrderResponse = z.looseObject({ order: Order, reduced_by_fp: CountStr });

// ---- order groups ---------------------------------------------------------------------------------

export const CreateOrderGroupRequest = z
  .object({
    contracts_limit: int.min(1).optional(),
    contracts_limit_fp: CountReq.optional(),
    subaccount: int.min(0).max(63).optional(),
    exchange_index: int.optional(),
  })
  .refine((b) => b.contracts_limit !== undefined || b.contracts_limit_fp !== undefined, {
    message: "contracts_limit or contracts_limit_fp is required",
  })
  .refine(
    (b) =>
      b.contracts_limit === undefined || b.contracts_limit_fp === undefined || contractsToCount(b.contracts_limit) === b.contracts_limit_fp,
    {
      message: "contracts_limit and contracts_limit_fp disagree",
    },
  );
export const CreateOrderGroupResponse = z.looseObject({ order_group_id: str, subaccount: int.optional(), exchange_index: int.optional() });
export const GetOrderGroupResponse = z.looseObject({
  is_auto_cancel_enabled: z.boolean(),
  contracts_limit_fp: CountStr.optional(),
  orders: z.array(str),
  exchange_index: int.optional(),
});
export const OrderGroup = z.looseObject({
  id: str,
  contracts_limit_fp: CountStr.optional(),
  is_auto_cancel_enabled: z.boolean(),
  exchange_index: int.optional(),
});
export const GetOrderGroupsResponse = z.looseObject({ order_groups: z.array(OrderGroup).optional() });
export const UpdateOrderGroupLimitRequest = z
  .object({ contracts_limit: int.min(1).optional(), contracts_limit_fp: CountReq.optional() })
  .refine((b) => b.contracts_limit !== undefined || b.contracts_limit_fp !== undefined, {
    message: "contracts_limit or contracts_limit_fp is required",
  });
/** Trigger/reset/delete answer with an empty JSON object. */
export const EmptyResponse = z.looseObject({});

// ---- account ---------------------------------------------------------------------------------------

export const BucketLimit = z.looseObject({ refill_rate: z.number(), bucket_capacity: z.number() });
export const GetAccountLimitsResponse = z.looseObject({
  usage_tier: str,
  read: BucketLimit,
  write: BucketLimit,
  grants: z.array(z.unknown()).optional(),
});
export const EndpointCost = z.looseObject({ method: str, path: str, cost: z.number() });
export const GetEndpointCostsResponse = z.looseObject({ default_cost: z.number(), endpoint_costs: z.array(EndpointCost) });

// ---- types ---------------------------------------------------------------------------------------

/** Parsed (integer money) forms. */
export type ExchangeStatus = z.output<typeof ExchangeStatus>;
export type ExchangeSchedule = z.output<typeof ExchangeScheduleResponse>["schedule"];
export type Series = z.output<typeof Series>;
export type EventData = z.output<typeof EventData>;
export type GetEventResponse = z.output<typeof GetEventResponse>;
export type Market = z.output<typeof Market>;
export type PriceRange = z.output<typeof PriceRange>;
export type OrderbookFp = z.output<typeof OrderbookFp>;
export type Trade = z.output<typeof Trade>;
export type HistoricalCutoff = z.output<typeof HistoricalCutoff>;
export type MarketCandlestick = z.output<typeof MarketCandlestick>;
export type MarketCandlestickHistorical = z.output<typeof MarketCandlestickHistorical>;
export type Balance = z.output<typeof GetBalanceResponse>;
export type MarketPosition = z.output<typeof MarketPosition>;
export type EventPosition = z.output<typeof EventPosition>;
export type Positions = z.output<typeof GetPositionsResponse>;
export type Fill = z.output<typeof Fill>;
export type Settlement = z.output<typeof Settlement>;
export type Order = z.output<typeof Order>;
export type CreateOrderV2 = z.output<typeof CreateOrderV2Request>;
export type CreateOrderV2Result = z.output<typeof CreateOrderV2Response>;
export type BatchCreateOrdersV2Result = z.output<typeof BatchCreateOrdersV2Response>;
export type CancelOrderV2Result = z.output<typeof CancelOrderV2Response>;
export type BatchCancelOrdersV2Result = z.output<typeof BatchCancelOrdersV2Response>;
export type BatchCancelItem = z.output<typeof BatchCancelOrdersV2RequestItem>;
export type AmendOrderV2 = z.output<typeof AmendOrderV2Request>;
export type AmendOrderV2Result = z.output<typeof AmendOrderV2Response>;
export type DecreaseOrderV2 = z.output<typeof DecreaseOrderV2Request>;
export type DecreaseOrderV2Result = z.output<typeof DecreaseOrderV2Response>;
export type CreateOrderGroup = z.output<typeof CreateOrderGroupRequest>;
export type CreateOrderGroupResult = z.output<typeof CreateOrderGroupResponse>;
export type OrderGroupInfo = z.output<typeof GetOrderGroupResponse>;
export type AccountLimits = z.output<typeof GetAccountLimitsResponse>;
export type EndpointCosts = z.output<typeof GetEndpointCostsResponse>;
export type ErrorBody = z.output<typeof ErrorBody>;

/** Wire (string) forms, for the local exchange to build bodies before `JSON.stringify`. */
export type MarketWire = z.input<typeof Market>;
export type OrderWire = z.input<typeof Order>;
export type FillWire = z.input<typeof Fill>;
export type TradeWire = z.input<typeof Trade>;
export type SettlementWire = z.input<typeof Settlement>;
export type MarketPositionWire = z.input<typeof MarketPosition>;
export type EventPositionWire = z.input<typeof EventPosition>;
export type BalanceWire = z.input<typeof GetBalanceResponse>;
export type CreateOrderV2RequestWire = z.input<typeof CreateOrderV2Request>;
export type AmendOrderV2RequestWire = z.input<typeof AmendOrderV2Request>;
export type DecreaseOrderV2RequestWire = z.input<typeof DecreaseOrderV2Request>;
export type BatchCancelOrdersV2RequestWire = z.input<typeof BatchCancelOrdersV2Request>;
