// How a fill or a settlement moves a position, its cost basis, realized P&L and the cash. Pure and
// integer-only. The model is Kalshi's (and our local exchange's): every fill is a purchase — a bid
// buys YES at p, an ask buys NO at 1 − p — and a purchase that meets an opposite position redeems
// each YES+NO pair for $1.00 on the spot. That one rule gives "sell YES at p" its cash effect.
import { PRICE_ONE, COUNT_ONE, formatCount, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { BookSide } from "../strategies/types.ts";

export interface PositionState {
  /** Signed: + YES contracts, − NO contracts (Count units, 1/100 contract). */
  position: Count;
  /** Cost basis of the contracts held now (≥ 0), micros. */
  costMicros: Micros;
  /** Realized P&L before fees, micros. */
  realizedPnlMicros: Micros;
  feesMicros: Micros;
}

export const EMPTY_POSITION: PositionState = { position: 0, costMicros: 0, realizedPnlMicros: 0, feesMicros: 0 };

/** Micros of one pair redemption per Count unit: $1 per contract = PRICE_ONE × COUNT_ONE / 100. */
const PAIR_VALUE_PER_COUNT: Micros = PRICE_ONE; // price 1e-4 $ × count 1e-2 = 1e-6 $

export interface FillEffect {
  next: PositionState;
  /** Change of the account's cash (negative = paid). */
  cashDeltaMicros: Micros;
}

/** Apply one fill: `price` is the YES price, `count` > 0, `feeMicros` what the exchange charged. */
export function applyFill(p: PositionState, side: BookSide, price: Price, count: Count, feeMicros: Micros): FillEffect {
  const dir = side === "bid" ? 1 : -1;
  const legPrice = side === "bid" ? price : PRICE_ONE - price;
  const paid = legPrice * count;
  let { position, costMicros, realizedPnlMicros } = p;
  let cash = -paid - feeMicros;
  const opposite = dir > 0 ? Math.max(0, -position) : Math.max(0, position);
  const redeemed = Math.min(opposite, count);
  if (redeemed > 0) {
    // The share of the held cost that the redeemed contracts carried, rounded half up exactly as the
    // exchange does; the last contract takes the remainder so a closed position costs exactly zero.
    const held = Math.abs(position);
    const costOut = proportion(costMicros, redeemed, held);
    const paidForRedeemed = legPrice * redeemed;
    const payout = PAIR_VALUE_PER_COUNT * redeemed;
    cash += payout;
    realizedPnlMicros += payout - paidForRedeemed - costOut;
    costMicros -= costOut;
    position += dir * redeemed;
  }
  const opened = count - redeemed;
  if (opened > 0) {
    costMicros += legPrice * opened;
    position += dir * opened;
  }
  return { next: { position, costMicros, realizedPnlMicros, feesMicros: p.feesMicros + feeMicros }, cashDeltaMicros: cash };
}

/** A market's result pays $1 per winning contract; the position closes. */
export function applySettlement(p: PositionState, _result: "yes" | "no" | string, revenueMicros: Micros, feeMicros: Micros): FillEffect {
  return {
    next: {
      position: 0,
      costMicros: 0,
      realizedPnlMicros: p.realizedPnlMicros + revenueMicros - p.costMicros,
      feesMicros: p.feesMicros + feeMicros,
    },
    cashDeltaMicros: revenueMicros - feeMicros,
  };
}

/** What a settlement pays a position (micros), for paper settlements: $1 per winning contract. */
export function settlementRevenue(position: Count, result: "yes" | "no" | string): Micros {
  if (result === "yes" && position > 0) return position * PAIR_VALUE_PER_COUNT;
  if (result === "no" && position < 0) return -position * PAIR_VALUE_PER_COUNT;
  return 0;
}

/** Value of a position at a YES mark price (micros). */
export function positionValue(position: Count, markYes: Price): Micros {
  return position >= 0 ? position * markYes : -position * (PRICE_ONE - markYes);
}

/** Collateral a resting order holds: what the purchase would cost. */
export function orderCollateral(side: BookSide, price: Price, remaining: Count): Micros {
  return (side === "bid" ? price : PRICE_ONE - price) * remaining;
}

export const wholeContracts = (c: Count): string => (c % COUNT_ONE === 0 ? String(c / COUNT_ONE) : formatCount(c));

/** x × num / den rounded half up, exact for any size (bigint). */
export function proportion(x: number, num: number, den: number): number {
  if (num === den) return x;
  return Number((BigInt(x) * BigInt(num) * 2n + BigInt(den)) / (2n * BigInt(den)));
}
