// Zod schemas of the Kalshi WebSocket protocol (API.md §6): client commands and server messages.
// Same rules as the REST schemas: loose objects, money decoded into integers, encodable back.
import { z } from "zod";
import { CountStr, LevelTuple, Micros4Str, MicrosStr, PriceStr } from "./codecs.ts";
import { BookSide, OutcomeSide } from "./rest.ts";

const str = z.string();
const int = z.int();

export const WS_CHANNELS = [
  "orderbook_delta",
  "ticker",
  "trade",
  "fill",
  "user_orders",
  "market_positions",
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "order_group_updates",
  "communications",
] as const;
export type WsChannel = (typeof WS_CHANNELS)[number];

// ---- commands (client → server) -------------------------------------------------------------------

export const SubscribeParams = z.looseObject({
  channels: z.array(str).min(1),
  market_ticker: str.optional(),
  market_tickers: z.array(str).optional(),
  market_id: str.optional(),
  market_ids: z.array(str).optional(),
  send_initial_snapshot: z.boolean().optional(),
  skip_ticker_ack: z.boolean().optional(),
  use_yes_price: z.boolean().optional(),
});
export const UpdateSubscriptionParams = z.looseObject({
  sid: int.optional(),
  sids: z.array(int).length(1).optional(),
  action: z.enum(["add_markets", "delete_markets", "get_snapshot"]),
  market_ticker: str.optional(),
  market_tickers: z.array(str).optional(),
  market_id: str.optional(),
  market_ids: z.array(str).optional(),
  send_initial_snapshot: z.boolean().optional(),
});
export const WsCommand = z.discriminatedUnion("cmd", [
  z.looseObject({ id: int, cmd: z.literal("subscribe"), params: SubscribeParams }),
  z.looseObject({ id: int, cmd: z.literal("unsubscribe"), params: z.looseObject({ sids: z.array(int).min(1) }) }),
  z.looseObject({ id: int, cmd: z.literal("update_subscription"), params: UpdateSubscriptionParams }),
  z.looseObject({ id: int, cmd: z.literal("list_subscriptions"), params: z.looseObject({}).optional() }),
]);
export type WsCommand = z.input<typeof WsCommand>;
export type SubscribeParams = z.input<typeof SubscribeParams>;

// ---- server messages --------------------------------------------------------------------------------

export const OrderbookSnapshotMsg = z.looseObject({
  market_ticker: str,
  market_id: str.optional(),
  /** Bid levels; a key is absent when that side is empty. */
  yes_dollars_fp: z.array(LevelTuple).nullable().optional(),
  no_dollars_fp: z.array(LevelTuple).nullable().optional(),
});
export const OrderbookDeltaMsg = z.looseObject({
  market_ticker: str,
  market_id: str.optional(),
  price_dollars: PriceStr,
  /** Signed change to the resting quantity at that level. */
  delta_fp: CountStr,
  side: OutcomeSide,
  ts: str.optional(),
  ts_ms: int.optional(),
  client_order_id: str.optional(),
  subaccount: int.optional(),
});
export const TickerMsg = z.looseObject({
  market_ticker: str,
  market_id: str.optional(),
  price_dollars: PriceStr.optional(),
  yes_bid_dollars: PriceStr.optional(),
  yes_ask_dollars: PriceStr.optional(),
  volume_fp: CountStr.optional(),
  open_interest_fp: CountStr.optional(),
  dollar_volume: int.optional(),
  dollar_open_interest: int.optional(),
  yes_bid_size_fp: CountStr.optional(),
  yes_ask_size_fp: CountStr.optional(),
  last_trade_size_fp: CountStr.optional(),
  ts: int.optional(),
  ts_ms: int.optional(),
  time: str.optional(),
});
export const TradeMsg = z.looseObject({
  trade_id: str,
  market_ticker: str,
  yes_price_dollars: PriceStr,
  no_price_dollars: PriceStr,
  count_fp: CountStr,
  taker_side: str.optional(),
  taker_outcome_side: OutcomeSide.optional(),
  taker_book_side: BookSide.optional(),
  is_block_trade: z.boolean().optional(),
  ts: int.optional(),
  ts_ms: int.optional(),
});
export const FillMsg = z.looseObject({
  trade_id: str,
  order_id: str,
  client_order_id: str.optional(),
  market_ticker: str,
  exchange_index: int.optional(),
  is_taker: z.boolean(),
  side: str.optional(),
  yes_price_dollars: PriceStr,
  count_fp: CountStr,
  fee_cost: MicrosStr,
  action: str.optional(),
  ts: int.optional(),
  ts_ms: int.optional(),
  post_position_fp: CountStr.optional(),
  purchased_side: str.optional(),
  outcome_side: OutcomeSide.optional(),
  book_side: BookSide.optional(),
  subaccount: int.optional(),
});
export const UserOrderMsg = z.looseObject({
  order_id: str,
  user_id: str.optional(),
  ticker: str,
  exchange_index: int.optional(),
  status: z.enum(["resting", "canceled", "executed", "unknown", "pending"]),
  side: str.optional(),
  is_yes: z.boolean().optional(),
  outcome_side: OutcomeSide.optional(),
  book_side: BookSide.optional(),
  yes_price_dollars: PriceStr,
  fill_count_fp: CountStr,
  remaining_count_fp: CountStr,
  initial_count_fp: CountStr,
  taker_fill_cost_dollars: MicrosStr.optional(),
  maker_fill_cost_dollars: MicrosStr.optional(),
  taker_fees_dollars: MicrosStr.optional(),
  maker_fees_dollars: MicrosStr.optional(),
  client_order_id: str.optional(),
  order_group_id: str.nullable().optional(),
  self_trade_prevention_type: str.optional(),
  created_time: str.nullable().optional(),
  created_ts_ms: int.nullable().optional(),
  last_update_time: str.optional(),
  last_updated_ts_ms: int.optional(),
  last_update_reason: str.optional(),
  expiration_time: str.nullable().optional(),
  expiration_ts_ms: int.nullable().optional(),
  subaccount_number: int.nullable().optional(),
});
export const MarketPositionMsg = z.looseObject({
  user_id: str.optional(),
  market_ticker: str,
  position_fp: CountStr,
  position_cost_dollars: MicrosStr.optional(),
  realized_pnl_dollars: MicrosStr.optional(),
  fees_paid_dollars: MicrosStr.optional(),
  position_fee_cost_dollars: MicrosStr.optional(),
  volume_fp: CountStr.optional(),
  subaccount: int.optional(),
});
export const MarketLifecycleMsg = z.looseObject({
  market_ticker: str,
  event_type: str,
  exchange_index: int.optional(),
  open_ts: int.optional(),
  close_ts: int.optional(),
  determination_ts: int.optional(),
  result: str.optional(),
  /** Up to 6 places on the wire (scalar markets): Micros. */
  settlement_value: Micros4Str.nullable().optional(),
  settled_ts: int.optional(),
  is_deactivated: z.boolean().optional(),
  additional_metadata: z.unknown().optional(),
  price_level_structure: str.optional(),
  price_ranges: z.unknown().optional(),
});
export const EventLifecycleMsg = z.looseObject({ event_ticker: str, series_ticker: str.optional(), title: str.optional() });
export const EventFeeUpdateMsg = z.looseObject({
  event_ticker: str,
  fee_type_override: str.nullable().optional(),
  fee_multiplier_override: z.number().nullable().optional(),
});
export const OrderGroupUpdateMsg = z.looseObject({
  event_type: str,
  order_group_id: str,
  contracts_limit_fp: CountStr.optional(),
  ts_ms: int.optional(),
});

const seqd = { sid: int, seq: int } as const;
export const WsMessage = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("subscribed"), id: int.optional(), msg: z.looseObject({ channel: str, sid: int }) }),
  z.looseObject({ type: z.literal("unsubscribed"), id: int.optional(), sid: int, seq: int.optional() }),
  z.looseObject({ type: z.literal("ok"), id: int.optional(), sid: int.optional(), seq: int.optional(), msg: z.unknown().optional() }),
  z.looseObject({
    type: z.literal("error"),
    id: int.optional(),
    sid: int.optional(),
    seq: int.optional(),
    msg: z.looseObject({ code: int, msg: str.optional(), market_ticker: str.optional(), market_tickers: z.array(str).optional() }),
  }),
  z.looseObject({ type: z.literal("orderbook_snapshot"), id: int.optional(), ...seqd, msg: OrderbookSnapshotMsg }),
  z.looseObject({ type: z.literal("orderbook_delta"), ...seqd, msg: OrderbookDeltaMsg }),
  z.looseObject({ type: z.literal("ticker"), sid: int, seq: int.optional(), msg: TickerMsg }),
  z.looseObject({ type: z.literal("trade"), sid: int, seq: int.optional(), msg: TradeMsg }),
  z.looseObject({ type: z.literal("fill"), sid: int, seq: int.optional(), msg: FillMsg }),
  z.looseObject({ type: z.literal("user_order"), sid: int, seq: int.optional(), msg: UserOrderMsg }),
  z.looseObject({ type: z.literal("market_position"), sid: int, seq: int.optional(), msg: MarketPositionMsg }),
  z.looseObject({ type: z.literal("market_lifecycle_v2"), sid: int, seq: int.optional(), msg: MarketLifecycleMsg }),
  z.looseObject({ type: z.literal("event_lifecycle"), sid: int, seq: int.optional(), msg: EventLifecycleMsg }),
  z.looseObject({ type: z.literal("event_fee_update"), sid: int, seq: int.optional(), msg: EventFeeUpdateMsg }),
  z.looseObject({ type: z.literal("order_group_updates"), sid: int, seq: int.optional(), msg: OrderGroupUpdateMsg }),
]);
export type WsMessage = z.output<typeof WsMessage>;
export type OrderbookSnapshotMsg = z.output<typeof OrderbookSnapshotMsg>;
export type OrderbookDeltaMsg = z.output<typeof OrderbookDeltaMsg>;
export type TickerMsg = z.output<typeof TickerMsg>;
export type TradeMsg = z.output<typeof TradeMsg>;
export type FillMsg = z.output<typeof FillMsg>;
export type UserOrderMsg = z.output<typeof UserOrderMsg>;
export type MarketPositionMsg = z.output<typeof MarketPositionMsg>;
export type MarketLifecycleMsg = z.output<typeof MarketLifecycleMsg>;
