// The narrow interface between the order manager and whatever executes orders: the live exchange
// (live-transport.ts, through KalshiClient) or the paper model (paper-transport.ts). Everything
// above it — ledger rows, risk gate, kill switch, blocking of markets with unknown outcomes — is
// the same code in dry-run and live; only this layer differs.
import type { Count, Price } from "../kalshi/money.ts";
import type { BookSide, OrderTerms } from "../strategies/types.ts";

export interface OrderRequest extends OrderTerms {
  /** Kalshi's expiration_time (exchange ms, whole seconds); null or absent: good till canceled. */
  expiresAt?: number | null;
  clientOrderId: string;
  eventTicker: string;
  orderGroupId: string | null;
  /** Legs of one set (arbitrage) share a key: they go out in one batch request, never split. */
  groupKey?: string | null;
}

/**
 * What became of one create. `accepted`: the exchange has the order (it may have filled at once);
 * `rejected`: it definitely did not act; `unknown`: it may have (timeout, 5xx, dropped connection)
 * — never resent, resolved by looking the client_order_id up.
 */
export type CreateOutcome =
  | { kind: "accepted"; orderId: string; filled: Count; remaining: Count }
  | { kind: "rejected"; error: string }
  | { kind: "unknown"; error: string };

/** `reducedBy` (cancels): the contracts the cancel took off the book, so filled = count − reducedBy. */
export type WriteOutcome =
  | { kind: "ok"; remaining?: Count; filled?: Count; reducedBy?: Count }
  | { kind: "rejected"; error: string; gone?: boolean }
  | { kind: "unknown"; error: string };

/** An order as the exchange reports it, in ledger terms. */
export interface ExchangeOrder {
  orderId: string;
  clientOrderId: string;
  ticker: string;
  side: BookSide;
  price: Price;
  filled: Count;
  remaining: Count;
  initial: Count;
  status: "resting" | "executed" | "canceled" | "pending" | "unknown";
  orderGroupId: string | null;
  createdMs: number | null;
  /** Exchange timestamps (ms) of the order's expiry and last update, when reported. */
  expiresMs?: number | null;
  lastUpdateMs?: number | null;
}

export interface OrderTransport {
  readonly paper: boolean;
  /** Write requests (creates, cancels, amends, decreases) made since the engine last reset it: a cycle's request count. */
  writes: number;
  /** Several creates go out as one batch request when the venue supports it. */
  create(reqs: OrderRequest[]): Promise<CreateOutcome[]>;
  cancel(orders: ReadonlyArray<{ orderId: string; ticker: string }>): Promise<WriteOutcome[]>;
  /** New price and total count (filled + desired remaining), as Kalshi's amend wants. */
  amend(
    order: { orderId: string; ticker: string; side: BookSide; clientOrderId: string },
    price: Price,
    totalCount: Count,
    updatedClientOrderId: string,
  ): Promise<WriteOutcome>;
  /** Shrink a resting order to `remaining` contracts without losing its queue position. */
  decrease(order: { orderId: string; ticker: string }, remaining: Count): Promise<WriteOutcome>;
  /** Look an order up by its client_order_id (the only way to resolve an unknown outcome). */
  findByClientOrderId(clientOrderId: string, scope: { ticker: string; minTsSec?: number }): Promise<ExchangeOrder | null>;
}
