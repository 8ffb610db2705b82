// The exchange's in-memory records. Amounts are integers in the units of src/kalshi/money.ts:
// Price 1/10,000 $, Count 1/100 contract, Micros 1/1,000,000 $. Times are Unix milliseconds.
import type { Count, FeeType, Micros, Price } from "../kalshi/money.ts";

export type MarketStatus = "initialized" | "inactive" | "active" | "closed" | "determined" | "finalized";
export type MarketResult = "yes" | "no" | "";
/** YES-book side: bid buys YES, ask sells YES (≡ buys NO at 1 − price). */
export type BookSide = "bid" | "ask";
export type TimeInForce = "good_till_canceled" | "immediate_or_cancel" | "fill_or_kill";
export type StpType = "taker_at_cross" | "maker";
export type OrderStatus = "resting" | "canceled" | "executed";
export type UpdateReason =
  | "Trade"
  | "Decrease"
  | "Amend"
  | "SelfTradeCancel"
  | "ExpiryCancel"
  | "CloseCancel"
  | "HaltCancel"
  | "PostOnlyCrossCancel"
  | "ReduceOnlyCancel"
  | "Cancel"
  | "OrderGroupCancel";

import type { PriceRange } from "../kalshi/price-grid.ts";
export type { PriceRange };

export interface Series {
  ticker: string;
  title: string;
  category: string;
  frequency: string;
  tags: string[];
  feeType: FeeType;
  /** fee_multiplier in 1/10,000 (10,000 = ×1). */
  feeMultE4: number;
  exchangeIndex: number;
  contractUrl: string;
  settlementSources: { name: string; url: string }[];
}

export interface SimEvent {
  eventTicker: string;
  seriesTicker: string;
  title: string;
  subTitle: string;
  mutuallyExclusive: boolean;
  strikeDateMs: number | null;
  marketTickers: string[];
  updatedMs: number;
  feeTypeOverride: FeeType | null;
  /** fee_multiplier_override in 1/10,000, or null. */
  feeMultE4Override: number | null;
}

export interface Market {
  ticker: string;
  marketId: string;
  eventTicker: string;
  seriesTicker: string;
  title: string;
  yesSubTitle: string;
  noSubTitle: string;
  rulesPrimary: string;
  rulesSecondary: string;
  createdMs: number;
  openMs: number;
  closeMs: number;
  expectedExpirationMs: number;
  latestExpirationMs: number;
  settlementTimerSeconds: number;
  status: MarketStatus;
  result: MarketResult;
  determinedMs: number | null;
  settledMs: number | null;
  /** Scenario-fixed outcome; drawn from the fair price at close when absent. */
  forcedResult: MarketResult;
  strikeType: string | null;
  floorStrike: number | null;
  capStrike: number | null;
  priceLevelStructure: string;
  /** Exchange time its fee waiver ends (fee_waiver_expiration_time), or null: no waiver. */
  feeWaiverUntilMs: number | null;
  /** Kalshi's shard (its series'). */
  exchangeIndex: number;
  priceRanges: PriceRange[];
  canCloseEarly: boolean;
  lastPrice: Price;
  previousPrice: Price;
  previousYesBid: Price;
  previousYesAsk: Price;
  volume: Count;
  volume24h: Count;
  openInterest: Count;
  updatedMs: number;
}

export interface Order {
  id: string;
  userId: string;
  clientOrderId: string;
  ticker: string;
  side: BookSide;
  /** YES price. */
  price: Price;
  initial: Count;
  remaining: Count;
  filled: Count;
  status: OrderStatus;
  tif: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  stp: StpType;
  expirationMs: number | null;
  createdMs: number;
  updatedMs: number;
  takerFillCost: Micros;
  makerFillCost: Micros;
  takerFees: Micros;
  makerFees: Micros;
  orderGroupId: string | null;
  cancelOnPause: boolean;
  subaccount: number;
  lastUpdateReason: UpdateReason | null;
  /** Cash held back for the resting remainder. */
  reserved: Micros;
  /** Contracts of the remainder that close an existing position and so hold no cash. */
  closingQty: Count;
  /** Created over the legacy endpoint (kept only so responses can say so). */
  legacy: boolean;
  /** Time priority within a level. */
  seq: number;
}

export interface Fill {
  fillId: string;
  tradeId: string;
  orderId: string;
  userId: string;
  clientOrderId: string;
  ticker: string;
  side: BookSide;
  /** YES price of the trade. */
  price: Price;
  count: Count;
  isTaker: boolean;
  fee: Micros;
  tsMs: number;
  postPosition: Count;
  subaccount: number;
}

export interface Trade {
  tradeId: string;
  ticker: string;
  price: Price;
  count: Count;
  takerSide: BookSide;
  tsMs: number;
}

export interface Position {
  ticker: string;
  /** Signed: + YES contracts, − NO contracts. */
  position: Count;
  /** Cost of the open position (market_exposure). */
  cost: Micros;
  realizedPnl: Micros;
  feesPaid: Micros;
  totalTraded: Micros;
  volume: Count;
  updatedMs: number;
}

export interface Settlement {
  ticker: string;
  eventTicker: string;
  result: MarketResult;
  yesCount: Count;
  yesCost: Micros;
  noCount: Count;
  noCost: Micros;
  revenue: Micros;
  feeCost: Micros;
  settledMs: number;
  /** Payout per YES contract. */
  value: Price;
}

export interface OrderGroup {
  id: string;
  userId: string;
  contractsLimit: Count;
  /** Matched contracts inside the rolling 15 s window: [tsMs, count]. */
  window: [number, Count][];
  triggered: boolean;
  subaccount: number;
}
