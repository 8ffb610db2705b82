// The portfolio, read from the exchange and folded into the ledger: balance, positions, resting
// orders, new fills, new settlements. Fills and settlements are recorded once (by fill_id / market)
// and move the ledger's positions, cost basis, realized P&L, fees and cash; the exchange's own
// position and order reports are what reconciliation compares the ledger with.
import type { KalshiClient } from "../kalshi/index.ts";
import type { Count, Micros, Price } from "../kalshi/money.ts";
import type { MarketView, PortfolioView, PositionView, RestingOrderView } from "../strategies/types.ts";
import type { Ledger, OrderRow, PositionRow } from "./ledger.ts";
import { toExchangeOrder } from "./live-transport.ts";
import { canceledOrExpired } from "./order-ttl.ts";
import { orderCollateral, positionValue } from "./position-math.ts";
import type { ExchangeOrder } from "./transport.ts";
import { centsToMicros, PRICE_ONE } from "../kalshi/money.ts";

export interface ExchangePortfolio {
  /** Kalshi's balance: cash not held for resting orders (micros). */
  balanceMicros: Micros;
  portfolioValueMicros: Micros;
  positions: Map<string, Count>;
  resting: ExchangeOrder[];
  requests: number;
  /** The exchange's clock when it answered the balance read (its `updated_ts`, whole seconds): a
   * lower bound of exchange time, read before positions and orders. */
  exchangeTimeMs: number;
}

/** Kalshi's balance in micros: `balance_dollars` when sent (sub-cent exact), else the integer cents. */
export const balanceMicrosOf = (b: { balance: number; balance_dollars?: Micros | undefined }): Micros =>
  b.balance_dollars ?? centsToMicros(b.balance);

export async function fetchExchangePortfolio(client: KalshiClient): Promise<ExchangePortfolio> {
  const bal = await client.getBalance();
  const h = await fetchHoldings(client);
  return withBalance(h, bal, 1);
}

/** Positions and resting orders without the balance: reconciliation reads the balance once, in its cash check. */
export async function fetchHoldings(client: KalshiClient): Promise<Pick<ExchangePortfolio, "positions" | "resting" | "requests">> {
  let requests = 0;
  const positions = new Map<string, Count>();
  const pos = await client.allPositions({ count_filter: "position" });
  requests++;
  for (const p of pos.market_positions) if (p.position_fp !== 0) positions.set(p.ticker, p.position_fp);
  const resting: ExchangeOrder[] = [];
  for await (const page of client.walkOrders({ status: "resting" })) {
    requests++;
    for (const o of page) resting.push(toExchangeOrder(o));
  }
  return { positions, resting, requests };
}

/** Holdings completed with a balance read (`extraRequests`: the reads not counted in `h` yet). */
export function withBalance(
  h: Pick<ExchangePortfolio, "positions" | "resting" | "requests">,
  bal: Awaited<ReturnType<KalshiClient["getBalance"]>>,
  extraRequests: number,
): ExchangePortfolio {
  return {
    balanceMicros: balanceMicrosOf(bal),
    portfolioValueMicros: centsToMicros(bal.portfolio_value),
    positions: h.positions,
    resting: h.resting,
    requests: h.requests + extraRequests,
    exchangeTimeMs: bal.updated_ts * 1000,
  };
}

function tsOf(f: { created_time?: string | undefined; ts?: number | undefined }): number {
  if (f.created_time) {
    const t = Date.parse(f.created_time);
    if (Number.isFinite(t)) return t;
  }
  return (f.ts ?? 0) * 1000;
}

/**
 * How far before its cursor each fill/settlement read starts (seconds). Cursors are exchange times
 * (never this machine's clock, which may be off), and the overlap is de-duplicated by fill id (and
 * settlement market), so a fill published late, out of time order, is still read.
 */
export const SYNC_LOOKBACK_S = 60;
export const FILLS_CURSOR_KEY = "fills_cursor_ms";
export const SETTLEMENTS_CURSOR_KEY = "settlements_cursor_ms";
/** Fill ids the anchor found already in the account's positions (JSON array): never applied. */
export const ANCHOR_FILL_IDS_KEY = "anchor_fill_ids";
/** Markets whose settlement predates the anchor (JSON array): never paid again. */
export const ANCHOR_SETTLED_KEY = "anchor_settled_tickers";

const minTsOf = (cursorMs: number): number | undefined =>
  cursorMs > 0 ? Math.max(0, Math.floor(cursorMs / 1000) - SYNC_LOOKBACK_S) : undefined;

function jsonSet(ledger: Ledger, key: string): Set<string> {
  const raw = ledger.getMeta(key);
  if (!raw) return new Set();
  try {
    const v: unknown = JSON.parse(raw);
    return new Set(Array.isArray(v) ? v.map(String) : []);
  } catch {
    return new Set();
  }
}

/** The fill ids (and their newest time) the exchange lists from `cursorMs` minus the lookback. */
export async function listFillIds(client: KalshiClient, cursorMs: number): Promise<{ ids: string[]; newestMs: number; requests: number }> {
  const ids: string[] = [];
  let newestMs = 0;
  let requests = 0;
  const minTs = minTsOf(cursorMs);
  for await (const page of client.walkFills(minTs !== undefined ? { min_ts: minTs } : {})) {
    requests++;
    for (const f of page) {
      ids.push(f.fill_id);
      newestMs = Math.max(newestMs, tsOf(f));
    }
  }
  return { ids, newestMs, requests };
}

/** The markets (and newest time) of the settlements the exchange lists from `cursorMs` minus the lookback. */
export async function listSettledTickers(
  client: KalshiClient,
  cursorMs: number,
): Promise<{ tickers: string[]; newestMs: number; requests: number }> {
  const tickers: string[] = [];
  let newestMs = 0;
  let requests = 0;
  const minTs = minTsOf(cursorMs);
  for await (const page of client.walkSettlements(minTs !== undefined ? { min_ts: minTs } : {})) {
    requests++;
    for (const s of page) {
      tickers.push(s.ticker);
      newestMs = Math.max(newestMs, Date.parse(s.settled_time) || 0);
    }
  }
  return { tickers, newestMs, requests };
}

/** New fills since the ledger's cursor, recorded once each. Returns [new fills, requests]. */
export async function syncFills(
  client: KalshiClient,
  ledger: Ledger,
  eventOf: (ticker: string) => string | null,
): Promise<[number, number]> {
  const cursor = Number(ledger.getMeta(FILLS_CURSOR_KEY) ?? "0");
  const minTs = minTsOf(cursor);
  const preAnchor = jsonSet(ledger, ANCHOR_FILL_IDS_KEY);
  let added = 0;
  let requests = 0;
  let newest = cursor;
  const all = [];
  for await (const page of client.walkFills(minTs !== undefined ? { min_ts: minTs } : {})) {
    requests++;
    all.push(...page);
  }
  // Oldest first, so positions move in the order the exchange applied the fills.
  all.sort((a, b) => tsOf(a) - tsOf(b) || a.fill_id.localeCompare(b.fill_id));
  for (const f of all) {
    const ts = tsOf(f);
    newest = Math.max(newest, ts);
    if (preAnchor.has(f.fill_id)) continue;
    if (
      ledger.recordFill({
        fillId: f.fill_id,
        orderId: f.order_id,
        clientOrderId: f.client_order_id ?? null,
        ticker: f.ticker,
        eventTicker: eventOf(f.ticker),
        side: f.book_side,
        price: f.yes_price_dollars,
        count: f.count_fp,
        feeMicros: f.fee_cost,
        isTaker: f.is_taker,
        tsMs: ts,
      })
    )
      added++;
  }
  if (newest > cursor) ledger.setMeta(FILLS_CURSOR_KEY, String(newest));
  if (added)
    correctFilledCounts(
      ledger,
      all.filter((f) => !preAnchor.has(f.fill_id)),
    );
  return [added, requests];
}

/**
 * An order that is no longer resting (canceled, expired, executed) but whose fills hold more contracts than
 * its row says filled: a fill landed just before the cancel, after the bot's last read. The fills
 * are the exchange's record, so the row's counts follow them.
 */
function correctFilledCounts(ledger: Ledger, fills: ReadonlyArray<{ order_id: string; ticker: string }>): void {
  const seen = new Set<string>();
  for (const f of fills) {
    if (seen.has(f.order_id)) continue;
    seen.add(f.order_id);
    const row = ledger.orderByOrderId(f.order_id);
    if (!row || (row.status !== "canceled" && row.status !== "executed" && row.status !== "expired")) continue;
    const filled = ledger.filledContractsOfOrder(row.ticker, f.order_id);
    if (filled > row.filledCount)
      ledger.updateOrder(
        row.id,
        { filledCount: filled, remainingCount: 0 },
        `fills: filled ${filled}, not ${row.filledCount} (a fill landed before the order left the book)`,
      );
  }
}

/** New settlements, recorded once per market (paid into the ledger's cash). Returns [new, requests]. */
export async function syncSettlements(client: KalshiClient, ledger: Ledger): Promise<[number, number]> {
  const cursor = Number(ledger.getMeta(SETTLEMENTS_CURSOR_KEY) ?? "0");
  const minTs = minTsOf(cursor);
  const preAnchor = jsonSet(ledger, ANCHOR_SETTLED_KEY);
  let added = 0;
  let requests = 0;
  let newest = cursor;
  const all = [];
  for await (const page of client.walkSettlements(minTs !== undefined ? { min_ts: minTs } : {})) {
    requests++;
    all.push(...page);
  }
  all.sort((a, b) => Date.parse(a.settled_time) - Date.parse(b.settled_time));
  for (const s of all) {
    newest = Math.max(newest, Date.parse(s.settled_time) || 0);
    if (preAnchor.has(s.ticker)) continue;
    if (
      ledger.recordSettlement({
        ticker: s.ticker,
        eventTicker: s.event_ticker,
        result: s.market_result,
        yesCount: s.yes_count_fp,
        noCount: s.no_count_fp,
        revenueMicros: centsToMicros(s.revenue),
        feeMicros: s.fee_cost,
        settledTime: s.settled_time,
      })
    )
      added++;
  }
  if (newest > cursor) ledger.setMeta(SETTLEMENTS_CURSOR_KEY, String(newest));
  return [added, requests];
}

/** The exchange's client_order_id for `row`, as an update patch, when it differs (an amend renamed it). */
function clientIdPatch(row: OrderRow, o: ExchangeOrder): { clientOrderId?: string } {
  return o.clientOrderId && o.clientOrderId !== row.clientOrderId ? { clientOrderId: o.clientOrderId } : {};
}

/**
 * Bring the ledger's order rows in line with the exchange's resting list: counts and prices of
 * known orders, vanished resting orders looked up by id (filled or canceled), unknown ones adopted
 * as external. Returns the external orders adopted (reported by the caller) and requests made.
 */
export async function syncOrders(
  client: KalshiClient,
  ledger: Ledger,
  resting: ExchangeOrder[],
): Promise<{ adopted: OrderRow[]; requests: number }> {
  let requests = 0;
  const adopted: OrderRow[] = [];
  const seen = new Set<string>();
  for (const o of resting) {
    seen.add(o.orderId);
    const row = ledger.orderByOrderId(o.orderId) ?? ledger.orderByClientId(o.clientOrderId);
    if (!row) {
      adopted.push(ledger.adoptExternal({ ...o, count: o.initial, status: "resting" }));
      continue;
    }
    if (row.status === "pending" || row.status === "unknown") continue; // resolveOpen decides these
    // An amend that reached the exchange before a crash leaves the row with the old price and the
    // old client_order_id: the exchange's copy is the truth for both.
    const cid = clientIdPatch(row, o);
    if (
      row.status !== "resting" ||
      row.remainingCount !== o.remaining ||
      row.filledCount !== o.filled ||
      row.price !== o.price ||
      row.orderId !== o.orderId ||
      "clientOrderId" in cid
    ) {
      ledger.updateOrder(
        row.id,
        {
          status: "resting",
          orderId: o.orderId,
          remainingCount: o.remaining,
          filledCount: o.filled,
          price: o.price,
          count: o.filled + o.remaining,
          ...cid,
        },
        "exchange: resting",
      );
    }
  }
  for (const row of ledger.ordersWithStatus(["resting"])) {
    if (!row.orderId || seen.has(row.orderId)) continue;
    requests++;
    try {
      const o = toExchangeOrder(await client.getOrder(row.orderId));
      // Canceled at or after its expiration_time by the exchange's own clock: it expired (order-ttl.ts).
      const status = o.status === "resting" ? "resting" : o.status === "executed" ? "executed" : canceledOrExpired(o, row.expiresAt);
      const expired = status === "expired";
      const cid = clientIdPatch(row, o);
      ledger.updateOrder(
        row.id,
        { status, filledCount: o.filled, remainingCount: o.remaining, price: o.price, ...cid },
        expired ? `exchange: expired at ${new Date(row.expiresAt ?? o.expiresMs!).toISOString()}` : `exchange: ${o.status}`,
      );
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 404) ledger.updateOrder(row.id, { status: "canceled", remainingCount: 0 }, "exchange: order not found (gone)");
      else throw e;
    }
  }
  return { adopted, requests };
}

/**
 * YES mark for valuing a position (it drives equity, hence the drawdown and daily-loss limits):
 * settled: the result; two-sided book: the mid. A one-sided book is marked against the holder
 * (`position` > 0 long YES, < 0 long NO): at the exit price when that side is there (the YES bid
 * for long YES, the YES ask for long NO), else the last price bounded by the side that is there
 * (long YES at most the ask, long NO at least the bid) — never the stale last trade above what
 * anyone now asks. An empty book: the last price. Without `position` (a flat view) the old rule:
 * mid, else last.
 */
export function markOf(m: MarketView | undefined, position = 0): Price | null {
  if (!m) return null;
  const result = (m as MarketView & { result?: string }).result;
  if ((m.status === "determined" || m.status === "finalized" || m.status === "settled") && (result === "yes" || result === "no"))
    return result === "yes" ? PRICE_ONE : 0;
  const bid = m.yesBid !== null && m.yesBidSize > 0 ? m.yesBid : null;
  const ask = m.yesAsk !== null && m.yesAskSize > 0 ? m.yesAsk : null;
  if (bid !== null && ask !== null) return Math.round((bid + ask) / 2);
  if (position > 0) {
    if (bid !== null) return bid;
    if (ask !== null) return Math.min(m.lastPrice ?? ask, ask);
  } else if (position < 0) {
    if (ask !== null) return ask;
    if (bid !== null) return Math.max(m.lastPrice ?? bid, bid);
  }
  return m.lastPrice ?? null;
}

export interface Valuation {
  positionsValueMicros: Micros;
  unrealizedPnlMicros: Micros;
  /** Tickers held without any price to mark them (valued at cost). */
  unmarked: string[];
}

export function valuePositions(positions: ReadonlyMap<string, PositionRow>, marketOf: (t: string) => MarketView | undefined): Valuation {
  let v = 0;
  let u = 0;
  const unmarked: string[] = [];
  for (const p of positions.values()) {
    if (p.position === 0) continue;
    const mk = markOf(marketOf(p.ticker), p.position);
    if (mk === null) {
      unmarked.push(p.ticker);
      v += p.costMicros;
      continue;
    }
    const val = positionValue(p.position, mk);
    v += val;
    u += val - p.costMicros;
  }
  return { positionsValueMicros: v, unrealizedPnlMicros: u, unmarked };
}

/** The strategies' view of the book: balance, ledger positions, resting orders with their strategy. */
export function portfolioView(
  cashMicros: Micros,
  positions: ReadonlyMap<string, PositionRow>,
  resting: readonly OrderRow[],
): PortfolioView {
  const pv = new Map<string, PositionView>();
  for (const p of positions.values())
    if (p.position !== 0) pv.set(p.ticker, { ticker: p.ticker, position: p.position, costMicros: p.costMicros });
  const ro: RestingOrderView[] = resting
    .filter((r) => r.orderId && r.status === "resting")
    .map((r) => ({
      orderId: r.orderId!,
      clientOrderId: r.clientOrderId,
      ticker: r.ticker,
      side: r.side,
      price: r.price,
      remaining: r.remainingCount,
      filled: r.filledCount,
      // External orders carry no strategy: no strategy will touch them.
      strategy: r.origin === "bot" ? r.strategy : null,
      ...(r.groupKey ? { groupKey: r.groupKey } : {}),
    }));
  return { cashMicros, positions: pv, restingOrders: ro };
}

/** Full collateral of `rows` at their price and remaining count (the caller picks which rows may hold any). */
export const collateralOf = (rows: readonly OrderRow[]): Micros =>
  rows.reduce((a, r) => a + orderCollateral(r.side, r.price, r.remainingCount), 0);
