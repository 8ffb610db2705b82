// Live execution through KalshiClient (Kalshi production, demo, or our local exchange). Translates
// the client's typed errors into the three outcomes the order manager understands; never retries a
// create or an amend (the client does not either): an unknown outcome is resolved by lookup.
import { KalshiApiError, type KalshiClient } from "../kalshi/index.ts";
import type * as W from "../kalshi/wire/rest.ts";
import type { Count, Price } from "../kalshi/money.ts";
import type { BookSide } from "../strategies/types.ts";
import type { CreateOutcome, ExchangeOrder, OrderRequest, OrderTransport, WriteOutcome } from "./transport.ts";

/** Kalshi's batch cancel takes at most 20 orders per request (batch creates: KalshiClient.maxBatchCreate). */
export const MAX_BATCH_CANCEL = 20;

/**
 * Requests in batches of at most `max`, each set (same groupKey) whole in one batch: Kalshi bills
 * every item against the write bucket (Basic: 100 tokens, 10 orders), and a set split over two
 * requests can end half placed when the second is refused. A set larger than `max` cannot be sent
 * whole at all and comes back in `tooLarge`.
 */
export function packBatches<T extends { groupKey?: string | null }>(
  reqs: ReadonlyArray<T>,
  max: number,
): { batches: T[][]; tooLarge: T[][] } {
  const units: T[][] = [];
  const byKey = new Map<string, T[]>();
  for (const r of reqs) {
    if (!r.groupKey) {
      units.push([r]);
      continue;
    }
    let u = byKey.get(r.groupKey);
    if (!u) {
      byKey.set(r.groupKey, (u = []));
      units.push(u);
    }
    u.push(r);
  }
  const batches: T[][] = [];
  const tooLarge: T[][] = [];
  let cur: T[] = [];
  for (const u of units) {
    if (u.length > max) {
      tooLarge.push(u);
      continue;
    }
    if (cur.length + u.length > max) {
      batches.push(cur);
      cur = [];
    }
    cur.push(...u);
  }
  if (cur.length) batches.push(cur);
  return { batches, tooLarge };
}

export function errorOutcome(e: unknown): { kind: "rejected" | "unknown"; error: string; gone?: boolean } {
  if (e instanceof KalshiApiError) {
    return { kind: e.outcome, error: `${e.code}: ${e.message}`.slice(0, 500), ...(e.status === 404 ? { gone: true } : {}) };
  }
  // Anything else thrown while a request may have been on the wire: we cannot know.
  return { kind: "unknown", error: (e as Error)?.message ?? String(e) };
}

export function toExchangeOrder(o: W.Order): ExchangeOrder {
  return {
    orderId: o.order_id,
    clientOrderId: o.client_order_id,
    ticker: o.ticker,
    side: o.book_side,
    price: o.yes_price_dollars,
    filled: o.fill_count_fp,
    remaining: o.remaining_count_fp,
    initial: o.initial_count_fp,
    status: o.status,
    orderGroupId: o.order_group_id ?? null,
    createdMs: o.created_time ? Date.parse(o.created_time) : null,
    expiresMs: o.expiration_time ? Date.parse(o.expiration_time) : null,
    lastUpdateMs: o.last_update_time ? Date.parse(o.last_update_time) : null,
  };
}

function body(r: OrderRequest): Parameters<KalshiClient["createOrder"]>[0] {
  return {
    ticker: r.ticker,
    side: r.side,
    price: r.price,
    count: r.count,
    time_in_force: r.timeInForce,
    // Our own resting quotes must never trade with each other: cancel the resting one.
    self_trade_prevention_type: "maker",
    client_order_id: r.clientOrderId,
    ...(r.postOnly ? { post_only: true } : {}),
    ...(r.reduceOnly ? { reduce_only: true } : {}),
    ...(r.orderGroupId ? { order_group_id: r.orderGroupId } : {}),
    // Kalshi's V2 create takes Unix seconds, with good_till_canceled (order-ttl.ts).
    ...(r.expiresAt ? { expiration_time: Math.ceil(r.expiresAt / 1000) } : {}),
  };
}

export class LiveTransport implements OrderTransport {
  readonly paper = false;
  /** Requests sent, for the cycle summary and the bench. */
  writes = 0;

  constructor(private readonly client: KalshiClient) {}

  async create(reqs: OrderRequest[]): Promise<CreateOutcome[]> {
    if (reqs.length === 0) return [];
    if (reqs.length === 1) {
      const r = reqs[0]!;
      try {
        this.writes++;
        const res = await this.client.createOrder(body(r));
        return [{ kind: "accepted", orderId: res.order_id, filled: res.fill_count, remaining: res.remaining_count }];
      } catch (e) {
        return [errorOutcome(e)];
      }
    }
    const outcome = new Map<OrderRequest, CreateOutcome>();
    const max = this.client.maxBatchCreate();
    const { batches, tooLarge } = packBatches(reqs, Math.max(1, max));
    for (const set of tooLarge) {
      for (const r of set)
        outcome.set(r, {
          kind: "rejected",
          error: `not sent: a set of ${set.length} orders does not fit one batch (the write bucket holds ${max} orders)`,
        });
    }
    for (const chunk of batches) {
      const out: CreateOutcome[] = [];
      try {
        this.writes++;
        const res = await this.client.batchCreateOrders(chunk.map(body));
        const byCid = new Map(res.orders.map((o) => [o.client_order_id, o]));
        for (const r of chunk) {
          const o = byCid.get(r.clientOrderId);
          if (!o) out.push({ kind: "unknown", error: "batch answer did not mention this order" });
          else if (o.error) out.push({ kind: "rejected", error: `${o.error.code ?? "error"}: ${o.error.message ?? ""}` });
          else if (!o.order_id) out.push({ kind: "unknown", error: "batch answer without order_id" });
          else out.push({ kind: "accepted", orderId: o.order_id, filled: o.fill_count ?? 0, remaining: o.remaining_count ?? 0 });
        }
      } catch (e) {
        const oc = errorOutcome(e);
        for (let j = 0; j < chunk.length; j++) out.push({ kind: oc.kind, error: oc.error });
      }
      chunk.forEach((r, j) => {
        outcome.set(r, out[j]!);
      });
    }
    return reqs.map((r) => outcome.get(r) ?? { kind: "rejected", error: "not sent" });
  }

  async cancel(orders: ReadonlyArray<{ orderId: string; ticker: string }>): Promise<WriteOutcome[]> {
    if (orders.length === 0) return [];
    if (orders.length === 1) {
      try {
        this.writes++;
        const r = await this.client.cancelOrder(orders[0]!.orderId, { market_ticker: orders[0]!.ticker });
        return [{ kind: "ok", remaining: 0, reducedBy: r.reduced_by }];
      } catch (e) {
        return [errorOutcome(e)];
      }
    }
    const out: WriteOutcome[] = [];
    for (let i = 0; i < orders.length; i += MAX_BATCH_CANCEL) {
      const chunk = orders.slice(i, i + MAX_BATCH_CANCEL);
      try {
        this.writes++;
        const res = await this.client.batchCancelOrders(chunk.map((o) => ({ order_id: o.orderId, market_ticker: o.ticker })));
        const byId = new Map(res.orders.map((o) => [o.order_id, o]));
        for (const o of chunk) {
          const r = byId.get(o.orderId);
          if (!r) out.push({ kind: "unknown", error: "batch cancel answer did not mention this order" });
          else if (r.error)
            out.push({
              kind: "rejected",
              error: `${r.error.code ?? "error"}: ${r.error.message ?? ""}`,
              gone: r.error.code === "not_found",
            });
          else out.push({ kind: "ok", remaining: 0, ...(r.reduced_by !== undefined ? { reducedBy: r.reduced_by } : {}) });
        }
      } catch (e) {
        const oc = errorOutcome(e);
        for (let j = 0; j < chunk.length; j++) out.push(oc);
      }
    }
    return out;
  }

  async amend(
    order: { orderId: string; ticker: string; side: BookSide; clientOrderId: string },
    price: Price,
    totalCount: Count,
    updatedClientOrderId: string,
  ): Promise<WriteOutcome> {
    try {
      this.writes++;
      const r = await this.client.amendOrder(order.orderId, {
        ticker: order.ticker,
        side: order.side,
        price,
        count: totalCount,
        client_order_id: order.clientOrderId,
        updated_client_order_id: updatedClientOrderId,
      });
      return {
        kind: "ok",
        ...(r.remaining_count !== undefined ? { remaining: r.remaining_count } : {}),
        ...(r.fill_count !== undefined ? { filled: r.fill_count } : {}),
      };
    } catch (e) {
      return errorOutcome(e);
    }
  }

  async decrease(order: { orderId: string; ticker: string }, remaining: Count): Promise<WriteOutcome> {
    try {
      this.writes++;
      const r = await this.client.decreaseOrder(order.orderId, { reduce_to: remaining, market_ticker: order.ticker });
      return { kind: "ok", remaining: r.remaining_count };
    } catch (e) {
      return errorOutcome(e);
    }
  }

  async findByClientOrderId(clientOrderId: string, scope: { ticker: string; minTsSec?: number }): Promise<ExchangeOrder | null> {
    const o = await this.client.findOrderByClientOrderId(clientOrderId, {
      ticker: scope.ticker,
      ...(scope.minTsSec ? { min_ts: scope.minTsSec } : {}),
    });
    return o ? toExchangeOrder(o) : null;
  }
}
