// Accounts: cash, collateral held for resting orders, signed positions, realized P&L, fees.
//
// Every fill is modelled as a purchase: a bid buys YES at p, an ask buys NO at 1 − p. When the
// purchase meets an opposite position, each YES+NO pair is redeemed for $1.00 on the spot. That one
// rule gives "sell YES at p" its correct cash effect (pay 1 − p, receive 1) without a special case.
import { PRICE_ONE, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { KeyObject } from "node:crypto";
import type { BookSide, Fill, Order, Position, Settlement } from "./types.ts";

export class Account {
  cash: Micros;
  /** Sum of `reserved` over this account's resting orders. */
  reserved: Micros = 0;
  readonly positions = new Map<string, Position>();
  readonly fills: Fill[] = [];
  readonly settlements: Settlement[] = [];
  /** Every order of a client account, oldest first (internal participants keep none). */
  readonly orders: Order[] = [];
  /** Resting orders by market, for collateral and cancel-all without scanning history. */
  readonly resting = new Map<string, Set<Order>>();
  readonly clientOrderIds = new Set<string>();
  /** Sum of closingQty of resting orders per "ticker|side", so placement need not scan them. */
  readonly claimed = new Map<string, number>();
  updatedMs = 0;

  constructor(
    readonly userId: string,
    balance: Micros,
    readonly apiKeyId: string | null = null,
    readonly publicKey: KeyObject | null = null,
    /** Internal participants (noise takers, makers) never answer over HTTP. */
    readonly internal = false,
  ) {
    this.cash = balance;
  }

  /** What Kalshi calls the balance: cash not held for resting orders. */
  available(): Micros {
    return this.cash - this.reserved;
  }

  addResting(o: Order): void {
    let set = this.resting.get(o.ticker);
    if (!set) this.resting.set(o.ticker, (set = new Set()));
    set.add(o);
  }

  dropResting(o: Order): void {
    const set = this.resting.get(o.ticker);
    if (!set) return;
    set.delete(o);
    if (set.size === 0) this.resting.delete(o.ticker);
  }

  position(ticker: string, nowMs: number): Position {
    let p = this.positions.get(ticker);
    if (!p) {
      p = { ticker, position: 0, cost: 0, realizedPnl: 0, feesPaid: 0, totalTraded: 0, volume: 0, updatedMs: nowMs };
      this.positions.set(ticker, p);
    }
    return p;
  }
}

/** Price paid per contract by a purchase on this side. */
export const legPrice = (side: BookSide, yesPrice: Price): Price => (side === "bid" ? yesPrice : PRICE_ONE - yesPrice);
const dirOf = (side: BookSide): 1 | -1 => (side === "bid" ? 1 : -1);

/** Contracts of a new order on `side` that would close an existing position not already claimed by other resting orders. */
export function closableQty(a: Account, ticker: string, side: BookSide, count: Count): Count {
  const pos = a.positions.get(ticker)?.position ?? 0;
  const opposite = pos * dirOf(side) < 0 ? Math.abs(pos) : 0;
  if (opposite === 0) return 0;
  const claimed = a.claimed.get(`${ticker}|${side}`) ?? 0;
  return Math.max(0, Math.min(count, opposite - claimed));
}

/** Hold cash for an order about to rest. */
export function reserveFor(a: Account, o: Order): void {
  const closing = closableQty(a, o.ticker, o.side, o.remaining);
  o.closingQty = closing;
  addClaim(a, o, closing);
  o.reserved = legPrice(o.side, o.price) * (o.remaining - closing);
  a.reserved += o.reserved;
}

/** Release the hold for `q` contracts of a resting order (filled or cancelled); closing contracts go first. */
export function releaseFor(a: Account, o: Order, q: Count): void {
  const closePart = Math.min(q, o.closingQty);
  o.closingQty -= closePart;
  addClaim(a, o, -closePart);
  const release = Math.min(o.reserved, legPrice(o.side, o.price) * (q - closePart));
  o.reserved -= release;
  a.reserved -= release;
}

export function releaseAll(a: Account, o: Order): void {
  a.reserved -= o.reserved;
  o.reserved = 0;
  addClaim(a, o, -o.closingQty);
  o.closingQty = 0;
}

function addClaim(a: Account, o: Order, delta: Count): void {
  if (delta === 0) return;
  const k = `${o.ticker}|${o.side}`;
  const v = (a.claimed.get(k) ?? 0) + delta;
  if (v === 0) a.claimed.delete(k);
  else a.claimed.set(k, v);
}

/** Book a fill on the account. Returns the position after the fill. */
export function applyFill(a: Account, ticker: string, side: BookSide, yesPrice: Price, count: Count, fee: Micros, nowMs: number): Position {
  const pos = a.position(ticker, nowMs);
  const lp = legPrice(side, yesPrice);
  const cost = lp * count;
  a.cash -= cost + fee;
  pos.feesPaid += fee;
  pos.totalTraded += cost;
  pos.volume += count;
  const dir = dirOf(side);
  const opposite = pos.position * dir < 0 ? Math.abs(pos.position) : 0;
  const closing = Math.min(count, opposite);
  if (closing > 0) {
    const basis = proportion(pos.cost, closing, opposite);
    const payout = PRICE_ONE * closing;
    a.cash += payout;
    pos.realizedPnl += payout - lp * closing - basis;
    pos.cost -= basis;
    pos.position += dir * closing;
  }
  const opening = count - closing;
  if (opening > 0) {
    pos.position += dir * opening;
    pos.cost += lp * opening;
  }
  pos.updatedMs = nowMs;
  a.updatedMs = nowMs;
  return pos;
}

/** Pay out a determined market: $1.00 per winning contract; scalar markets pay `value` per YES. */
export function settlePosition(a: Account, ticker: string, eventTicker: string, result: "yes" | "no", nowMs: number): Settlement | null {
  const pos = a.positions.get(ticker);
  if (!pos || pos.position === 0) return null;
  const yesCount = Math.max(0, pos.position);
  const noCount = Math.max(0, -pos.position);
  const value: Price = result === "yes" ? PRICE_ONE : 0;
  const revenue = yesCount * value + noCount * (PRICE_ONE - value);
  a.cash += revenue;
  const s: Settlement = {
    ticker,
    eventTicker,
    result,
    yesCount,
    yesCost: yesCount > 0 ? pos.cost : 0,
    noCount,
    noCost: noCount > 0 ? pos.cost : 0,
    revenue,
    feeCost: 0,
    settledMs: nowMs,
    value,
  };
  pos.realizedPnl += revenue - pos.cost;
  pos.cost = 0;
  pos.position = 0;
  pos.updatedMs = nowMs;
  a.settlements.push(s);
  a.updatedMs = nowMs;
  return s;
}

/** x × num / den, rounded half up, exact for any size (bigint). */
function proportion(x: number, num: number, den: number): number {
  if (num === den) return x;
  const r = (BigInt(x) * BigInt(num) * 2n + BigInt(den)) / (2n * BigInt(den));
  return Number(r);
}
