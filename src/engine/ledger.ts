// The ledger repository: every read and write the engine makes to the database goes through here.
// One Ledger per book (`paper` true for dry-run, false for live), so paper and live rows are never
// mixed: every query filters on the flag. Writes that belong together (an order row and its event,
// a fill and the position it moves) share one transaction.
import { and, desc, eq, gte, inArray, sql, type SQL } from "drizzle-orm";
import type { Statement } from "bun:sqlite";
import type { Db } from "../db/open.ts";
import { schema } from "../db/open.ts";
import { centsToMicros, MICROS_PER_CENT, microsToNearestCents, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { BookSide, OrderTerms, OwnFillView } from "../strategies/types.ts";
import { wallNow } from "../ops/clock.ts";
import type { RiskRow } from "./risk.ts";
import { MidHistory } from "./ledger/mid-history.ts";
import { applyFill, applySettlement, EMPTY_POSITION, type PositionState } from "./position-math.ts";
import { hedgedPositions, strategyFills, strategyInventory } from "./ledger/holdings.ts";
import { ReadMemo } from "./ledger/read-memo.ts";

const {
  orders,
  orderEvents,
  fills,
  positions,
  meta,
  cycles,
  balanceSnapshots,
  settlements,
  auditLog,
  riskState,
  marketSnapshots,
  arbSetsDone,
} = schema;

/** `expired`: canceled by the exchange at the order's expiration_time (order-ttl.ts). */
export type OrderStatus = "pending" | "resting" | "executed" | "canceled" | "expired" | "rejected" | "unknown";
export type OrderRow = typeof orders.$inferSelect;
export type PositionRow = typeof positions.$inferSelect;

export interface NewOrder extends OrderTerms {
  clientOrderId: string;
  eventTicker: string | null;
  strategy: string | null;
  reason: string | null;
  orderGroupId: string | null;
  groupKey: string | null;
  cycleId: number | null;
  /** Kalshi's expiration_time sent with the order (exchange ms), null for none. */
  expiresAt?: number | null;
}

export interface FillRecord {
  fillId: string;
  orderId: string | null;
  clientOrderId: string | null;
  ticker: string;
  eventTicker?: string | null;
  side: BookSide;
  price: Price;
  count: Count;
  feeMicros: Micros;
  isTaker: boolean;
  tsMs: number;
}

/** A fill with its order's strategy (fillsWithStrategyAfter); `taker` is 0 or 1 as stored. */
export interface FillWithStrategy {
  id: number;
  orderId: string | null;
  ticker: string;
  side: BookSide;
  price: Price;
  count: Count;
  fee: Micros;
  taker: number;
  at: number;
  strategy: string | null;
}

/** One leg of an arbitrage set as the ledger's orders hold it (arbSetLegs). */
export interface ArbLegRow {
  groupKey: string;
  ticker: string;
  side: BookSide;
  filled: Count;
  /** Orders of this leg still pending, unknown or resting. */
  open: number;
  eventTicker: string;
  /** Row id of the leg's first order (the set's direction is the side its first order took). */
  first: number;
}

export interface SettlementRecord {
  ticker: string;
  eventTicker: string | null;
  result: string;
  yesCount: Count;
  noCount: Count;
  revenueMicros: Micros;
  feeMicros: Micros;
  settledTime: string | null;
}

/** Meta key: a cash drift one reconciliation saw and the next must confirm (micros, + = ledger above). */
export const CASH_DRIFT_SEEN_KEY = "cash_drift_seen_micros";
/** Meta key: "1" when the drift in CASH_DRIFT_SEEN_KEY was measured exactly (no order could hold collateral). */
export const CASH_DRIFT_EXACT_KEY = "cash_drift_seen_exact";
/** Meta key: consecutive reconciliations the cash check has asked for a book without resting orders. */
export const CASH_QUIET_ROUNDS_KEY = "cash_quiet_rounds";

/** Values of a prepared insert or update: one named placeholder per column, named after it. */
function placeholders<T>(keys: readonly string[]): { [K in keyof T]: ReturnType<typeof sql.placeholder> } {
  return Object.fromEntries(keys.map((k) => [k, sql.placeholder(k)])) as { [K in keyof T]: ReturnType<typeof sql.placeholder> };
}

/** The same for the SET of an update (drizzle takes SQL there, not a bare placeholder). Values are
 * sent as they are, with no column mapping: only for plain integer and text columns. */
function setPlaceholders<T>(keys: readonly string[]): { [K in keyof T]: SQL } {
  return Object.fromEntries(keys.map((k) => [k, sql`${sql.placeholder(k)}`])) as { [K in keyof T]: SQL };
}

const FILL_COLUMNS = [
  "fillId",
  "paper",
  "orderId",
  "clientOrderId",
  "ticker",
  "side",
  "price",
  "count",
  "feeMicros",
  "isTaker",
  "cashDeltaMicros",
  "createdAt",
] as const;

/** What updateOrder may change on an order row (plain integer and text columns). */
interface OrderPatch {
  status?: OrderStatus;
  orderId?: string | null;
  filledCount?: Count;
  remainingCount?: Count;
  price?: Price;
  count?: Count;
  error?: string | null;
  clientOrderId?: string;
  amendClientOrderId?: string | null;
}
/** Every key of OrderPatch (the type makes the list complete), in the order its statements list them. */
const PATCH_KEYS = Object.keys({
  status: 0,
  orderId: 0,
  filledCount: 0,
  remainingCount: 0,
  price: 0,
  count: 0,
  error: 0,
  clientOrderId: 0,
  amendClientOrderId: 0,
} satisfies { [K in keyof OrderPatch]-?: 0 }) as Array<keyof OrderPatch>;

export class Ledger {
  constructor(
    readonly db: Db,
    readonly paper: boolean,
  ) {}

  private get p() {
    return this.paper;
  }

  /**
   * Statements prepared once per shape (the set of columns written). Building and preparing a
   * drizzle query costs ~100x running it (about 1 ms against 10 us), and these run for every order,
   * fill and amend: a backtest makes hundreds of thousands of them. The shape comes from the
   * object written, so a column added to a row type is written like before.
   */
  private readonly stmts = new Map<string, unknown>();

  /** One transaction on the connection (BEGIN/COMMIT, or a savepoint inside another), in which
   * the prepared statements above run. Rolled back when `fn` throws. What bun:sqlite's
   * `transaction(fn)()` does, without building its five wrappers at every call (an order's write). */
  private tx<T>(fn: () => T): T {
    const c = this.db.$client;
    const s = (this.txStmts ??= {
      begin: c.prepare("BEGIN"),
      commit: c.prepare("COMMIT"),
      rollback: c.prepare("ROLLBACK"),
      savepoint: c.prepare("SAVEPOINT ledger_tx"),
      release: c.prepare("RELEASE ledger_tx"),
      rollbackTo: c.prepare("ROLLBACK TO ledger_tx"),
    });
    const nested = c.inTransaction;
    const [before, after, undo] = nested ? [s.savepoint, s.release, s.rollbackTo] : [s.begin, s.commit, s.rollback];
    try {
      before.run();
      const out = fn();
      after.run();
      return out;
    } catch (e) {
      if (c.inTransaction) {
        undo.run();
        if (nested) after.run();
      }
      throw e;
    }
  }
  private txStmts: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Statement> | null = null;
  private stmt<T>(key: string, build: () => T): T {
    let q = this.stmts.get(key);
    if (q === undefined) {
      q = build();
      this.stmts.set(key, q);
    }
    return q as T;
  }

  // ---- meta (key/value; keys are namespaced by book) ------------------------------------------------

  private k(key: string): string {
    return `${this.paper ? "paper" : "live"}.${key}`;
  }

  getMeta(key: string, shared = false): string | null {
    const q = this.stmt("getMeta", () =>
      this.db
        .select()
        .from(meta)
        .where(eq(meta.key, sql.placeholder("key")))
        .prepare(),
    );
    return q.get({ key: shared ? key : this.k(key) })?.value ?? null;
  }

  setMeta(key: string, value: string, shared = false): void {
    if (key.startsWith("cash_")) this.cashCache = undefined;
    const q = this.stmt("setMeta", () =>
      this.db
        .insert(meta)
        .values({ key: sql.placeholder("key"), value: sql.placeholder("value") })
        .onConflictDoUpdate({ target: meta.key, set: { value: sql`${sql.placeholder("value")}` } })
        .prepare(),
    );
    q.run({ key: shared ? key : this.k(key), value });
  }

  deleteMeta(key: string, shared = false): void {
    if (key.startsWith("cash_")) this.cashCache = undefined;
    const q = this.stmt("deleteMeta", () =>
      this.db
        .delete(meta)
        .where(eq(meta.key, sql.placeholder("key")))
        .prepare(),
    );
    q.run({ key: shared ? key : this.k(key) });
  }

  /** Keys (without the book prefix) starting with `prefix`, and their values. */
  metaWithPrefix(prefix: string): Array<{ key: string; value: string }> {
    const full = this.k(prefix);
    const rows = this.db.$client.query("select key, value from meta where key >= ? and key < ?").all(full, `${full}\uffff`) as Array<{
      key: string;
      value: string;
    }>;
    return rows.map((r) => ({ key: r.key.slice(full.length - prefix.length), value: r.value }));
  }

  // ---- cycles ----------------------------------------------------------------------------------------

  startCycle(mode: "trade" | "scan"): number {
    const r = this.db.insert(cycles).values({ mode, dryRun: this.p, startedAt: wallNow() }).returning({ id: cycles.id }).get();
    return r.id;
  }

  endCycle(id: number, status: string, ordersPlaced: number, error: string | null): void {
    this.db.update(cycles).set({ endedAt: wallNow(), status, ordersPlaced, error }).where(eq(cycles.id, id)).run();
  }

  // ---- orders ----------------------------------------------------------------------------------------

  /** Rows for orders about to be sent, status `pending`, in one transaction, BEFORE any request. */
  insertPending(rows: NewOrder[]): OrderRow[] {
    return this.tx(() => {
      const out: OrderRow[] = [];
      for (const r of rows) {
        const at = wallNow();
        const values: Record<string, unknown> = {
          ...r,
          paper: this.p,
          origin: "bot",
          status: "pending",
          remainingCount: r.count,
          filledCount: 0,
          createdAt: at,
          updatedAt: at,
        };
        const keys = Object.keys(values)
          .filter((k) => values[k] !== undefined)
          .sort();
        const ins = this.stmt(`insertOrder:${keys.join(",")}`, () =>
          this.db.insert(orders).values(placeholders<typeof orders.$inferInsert>(keys)).returning().prepare(),
        );
        const row = ins.get(values)!;
        this.orderEventStmt().run(row.id, "pending", r.reason, at);
        out.push(row);
      }
      return out;
    });
  }

  /** Move an order to a new status (and/or new counts), with an event row explaining why. */
  updateOrder(rowId: number, patch: OrderPatch, detail: string): void {
    // bun:sqlite's own statements, not drizzle's: this write sits between a decision and its
    // request (an amend's "requested" event), where drizzle's parameter mapping cost ~40% of it.
    // Every patched column is a plain integer or text one, written as it is.
    const at = wallNow();
    const values: Array<string | number | null> = [at];
    let shape = "updateOrder:updatedAt";
    for (const k of PATCH_KEYS) {
      const v = patch[k];
      if (v === undefined) continue;
      values.push(v);
      shape += `,${k}`;
    }
    values.push(rowId);
    const up = this.stmt(shape, () => {
      const cols = shape.slice("updateOrder:".length).split(",") as Array<keyof typeof orders.$inferSelect>;
      return this.db.$client.prepare<unknown, Array<string | number | null>>(
        `update orders set ${cols.map((k) => `${orders[k].name} = ?`).join(", ")} where id = ?`,
      );
    });
    this.tx(() => {
      up.run(...values);
      this.orderEventStmt().run(rowId, patch.status ?? "update", detail, at);
    });
  }

  /**
   * An event on an order whose row itself does not change (an amend requested, before its request
   * leaves): the event row alone, one insert committed on its own (SQLite's autocommit: as durable
   * as a transaction of one statement). The row's updated_at stays as it was: nothing in it changed
   * (the amend's answer updates the row). A statement, not BEGIN, UPDATE, INSERT and COMMIT: on the
   * way from a book update to its amend.
   */
  orderEvent(rowId: number, detail: string): void {
    this.orderEventStmt().run(rowId, "update", detail, wallNow());
  }

  private orderEventStmt() {
    return this.stmt("insertOrderEvent", () =>
      this.db.$client.prepare<unknown, [number, string, string | null, number]>(
        "insert into order_events (order_row_id, status, detail, at) values (?, ?, ?, ?)",
      ),
    );
  }

  orderByClientId(clientOrderId: string): OrderRow | undefined {
    const q = this.stmt("orderByClientId", () =>
      this.db
        .select()
        .from(orders)
        .where(and(eq(orders.paper, this.p), eq(orders.clientOrderId, sql.placeholder("id"))))
        .prepare(),
    );
    return q.get({ id: clientOrderId });
  }

  orderByOrderId(orderId: string): OrderRow | undefined {
    const q = this.stmt("orderByOrderId", () =>
      this.db
        .select()
        .from(orders)
        .where(and(eq(orders.paper, this.p), eq(orders.orderId, sql.placeholder("id"))))
        .prepare(),
    );
    return q.get({ id: orderId });
  }

  /** Orders in these statuses; memoized until the next write (read-only for callers). */
  ordersWithStatus(statuses: OrderStatus[]): readonly OrderRow[] {
    // Prepared once per status list: building the query is most of the cost at cycle rates.
    const key = statuses.join(",");
    return this.memo.get(`orders:${key}`, () => {
      let q = this.byStatus.get(key);
      if (!q) {
        q = this.db
          .select()
          .from(orders)
          .where(and(eq(orders.paper, this.p), inArray(orders.status, statuses)))
          .prepare();
        this.byStatus.set(key, q);
      }
      return Object.freeze(q.all());
    });
  }
  private readonly byStatus = new Map<string, { all(): OrderRow[] }>();
  /** Reads kept until the next write (ledger/read-memo.ts): the reactive pass's hot reads. */
  private get memo(): ReadMemo {
    return (this.memoOnce ??= new ReadMemo(this.db.$client));
  }
  private memoOnce: ReadMemo | null = null;

  /** Runs `fn`, which only reads, checking for writes once around it rather than at each read (ReadMemo.pinned). */
  readOnly<T>(fn: () => T): T {
    return this.memo.pinned(fn);
  }

  /**
   * `read()`'s value kept until the next write, like the ledger's own hot reads (ReadMemo): for a
   * value computed from ledger reads alone (the narrow requote path's portfolio). Shared: read-only.
   */
  derived<T>(key: string, read: () => T): T {
    return this.memo.get(`derived:${key}`, read);
  }

  /** The resting order with this exchange order id, if the ledger has one resting. */
  restingByOrderId(orderId: string): OrderRow | undefined {
    return this.memo
      .get("resting-by-id", () => new Map(this.ordersWithStatus(["resting"]).flatMap((r) => (r.orderId ? [[r.orderId, r] as const] : []))))
      .get(orderId);
  }

  /** Markets with an order whose outcome is not known yet: they take no new order until resolved. */
  blockedTickers(): ReadonlySet<string> {
    return this.memo.get("blocked", () => new Set(this.ordersWithStatus(["pending", "unknown"]).map((r) => r.ticker)));
  }

  /** An order found on the exchange that the ledger never recorded (placed by hand or another tool). */
  adoptExternal(o: {
    orderId: string;
    clientOrderId: string;
    ticker: string;
    side: BookSide;
    price: Price;
    count: Count;
    filled: Count;
    remaining: Count;
    status: OrderStatus;
    orderGroupId: string | null;
  }): OrderRow {
    const at = wallNow();
    return this.db.transaction((tx) => {
      const row = tx
        .insert(orders)
        .values({
          clientOrderId: o.clientOrderId || `external:${o.orderId}`,
          orderId: o.orderId,
          paper: this.p,
          origin: "external",
          ticker: o.ticker,
          side: o.side,
          price: o.price,
          count: o.count,
          filledCount: o.filled,
          remainingCount: o.remaining,
          timeInForce: "good_till_canceled",
          status: o.status,
          orderGroupId: o.orderGroupId,
          reason: "adopted: found on the exchange, unknown to the ledger",
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get();
      tx.insert(orderEvents).values({ orderRowId: row.id, status: o.status, detail: "adopted as external", at }).run();
      return row;
    });
  }

  /** Send times of orders (creates) since `sinceMs`, for the risk gate's per-minute limit. */
  /** Contracts of fills recorded since `sinceMs` (wall clock of recording): the burst cap's window. */
  /** Contracts the ledger's fills hold for one order (the exchange's record of what it filled). */
  filledContractsOfOrder(ticker: string, orderId: string): number {
    const r = this.db.$client
      .query("select coalesce(sum(count), 0) as n from fills where paper = ? and ticker = ? and order_id = ?")
      .get(this.p ? 1 : 0, ticker, orderId) as { n: number };
    return r.n;
  }

  filledContractsSince(sinceMs: number): number {
    const r = this.db.$client
      .query("select coalesce(sum(count), 0) as n from fills where paper = ? and created_at > ?")
      .get(this.p ? 1 : 0, sinceMs) as { n: number };
    return r.n;
  }

  /**
   * Legs of the arbitrage sets (orders sharing a group_key) not yet marked done (markArbSetDone):
   * per set, ticker and side, the contracts filled, the orders still open (pending, unknown or
   * resting), and the row id of its first order.
   */
  arbSetLegs(): ArbLegRow[] {
    const p = this.p ? 1 : 0;
    const rows = this.db.$client
      .query(
        "select group_key, ticker, side, sum(filled_count) as filled, sum(case when status in ('pending','unknown','resting') then 1 else 0 end) as open, max(event_ticker) as ev, min(id) as first from orders where paper = ? and group_key is not null and group_key not in (select group_key from arb_sets_done where paper = ?) group by group_key, ticker, side",
      )
      .all(p, p) as Array<{ group_key: string; ticker: string; side: BookSide; filled: number; open: number; ev: string; first: number }>;
    return rows.map((r) => ({
      groupKey: r.group_key,
      ticker: r.ticker,
      side: r.side,
      filled: r.filled,
      open: r.open,
      eventTicker: r.ev,
      first: r.first,
    }));
  }

  /** The arbitrage set under `groupKey` is whole: arbSetLegs leaves it out from now on. */
  markArbSetDone(groupKey: string): void {
    this.db.insert(arbSetsDone).values({ paper: this.p, groupKey, at: wallNow() }).onConflictDoNothing().run();
  }

  /** Paper: the newest print of the order's market when it began resting at its price (no order event: bookkeeping of the paper model). */
  setPaperSince(rowId: number, ms: number): void {
    this.db.update(orders).set({ paperSinceMs: ms }).where(eq(orders.id, rowId)).run();
  }

  /** Contracts of each account position that are one leg of a complete arbitrage set (ledger/holdings.ts). */
  hedgedPositions(positions: ReadonlyMap<string, number>): Map<string, number> {
    return hedgedPositions(this.db.$client, this.p, positions);
  }

  /** One strategy's own net position per ticker, from its fills (ledger/holdings.ts). */
  strategyInventory(strategy: string, tickers: readonly string[]): ReadonlyMap<string, number> {
    return this.memo.get(`inventory:${strategy}:${tickers.join(",")}`, () => strategyInventory(this.db.$client, this.p, strategy, tickers));
  }

  /**
   * One strategy's own fills since `sinceMs` (fill time), oldest first (ledger/holdings.ts). A later
   * `sinceMs` with no write in between is cut from the memoized read of an earlier one.
   */
  strategyFills(strategy: string, sinceMs: number): OwnFillView[] {
    const kept = this.memo.get(`fills:${strategy}`, () => ({ sinceMs, rows: strategyFills(this.db.$client, this.p, strategy, sinceMs) }));
    if (kept.sinceMs > sinceMs) return strategyFills(this.db.$client, this.p, strategy, sinceMs);
    return kept.sinceMs === sinceMs ? [...kept.rows] : kept.rows.filter((f) => f.tsMs >= sinceMs);
  }

  /** Mid history kept in market_snapshots for the strategies that ask for it. */
  midHistory(): MidHistory {
    return new MidHistory(this.db.$client);
  }

  /** Fills after row id `afterId`, oldest first, each with its order's strategy (a replay's fill stream). */
  fillsWithStrategyAfter(afterId: number): FillWithStrategy[] {
    // `not indexed`: from the id on (the primary key), not every fill of the book through fills_created.
    const q = this.stmt("fillsWithStrategyAfter", () =>
      this.db.$client.query(
        "select f.id, f.order_id as orderId, f.ticker, f.side, f.price, f.count, f.fee_micros as fee, f.is_taker as taker, f.created_at as at, o.strategy from fills f not indexed left join orders o on o.client_order_id = f.client_order_id where f.paper = ? and f.id > ? order by f.id",
      ),
    );
    return q.all(this.p ? 1 : 0, afterId) as FillWithStrategy[];
  }

  /** Settlements recorded in this book. */
  settlementCount(): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(settlements).where(eq(settlements.paper, this.p)).get()?.n ?? 0;
  }

  /** An index on orders.order_id for a throwaway database that looks orders up by it constantly (a replay). Not a migration. */
  indexOrdersByOrderId(): void {
    this.db.$client.run("create index if not exists backtest_orders_order_id on orders(order_id)");
  }

  /** Contracts of one paper order the ledger's fills hold (by client_order_id). */
  paperFilledByClientOrderId(clientOrderId: string): number {
    return (
      this.db.$client.query("select coalesce(sum(count),0) as c from fills where paper = 1 and client_order_id = ?").get(clientOrderId) as {
        c: number;
      }
    ).c;
  }

  sendTimesSince(sinceMs: number): number[] {
    return this.db
      .select({ at: orders.createdAt })
      .from(orders)
      .where(and(eq(orders.paper, this.p), eq(orders.origin, "bot"), gte(orders.createdAt, sinceMs)))
      .all()
      .map((r) => r.at);
  }

  countOrders(): { total: number; byStatus: Record<string, number> } {
    const rows = this.db
      .select({ status: orders.status, n: sql<number>`count(*)` })
      .from(orders)
      .where(eq(orders.paper, this.p))
      .groupBy(orders.status)
      .all();
    const byStatus: Record<string, number> = {};
    let total = 0;
    for (const r of rows) {
      byStatus[r.status] = r.n;
      total += r.n;
    }
    return { total, byStatus };
  }

  // ---- fills and positions ------------------------------------------------------------------------------

  hasFill(fillId: string): boolean {
    return (
      this.db
        .select({ id: fills.id })
        .from(fills)
        .where(and(eq(fills.paper, this.p), eq(fills.fillId, fillId)))
        .get() !== undefined
    );
  }

  /**
   * Record a fill once (by fill_id), move its position and its order's filled count, in one
   * transaction. Returns false when the fill was already known.
   */
  recordFill(f: FillRecord): boolean {
    return this.committed(() => this.recordFillTx(f));
  }

  /**
   * Run a fill's or settlement's transaction and bring the caches up to date with what it
   * committed: the position row it wrote, the cash it moved. After a throw (a rollback) both are
   * dropped: the caches must never hold what a transaction did not commit.
   */
  private committed(tx: () => { row: PositionRow; cashDelta: Micros } | null): boolean {
    let out: { row: PositionRow; cashDelta: Micros } | null | undefined;
    try {
      out = tx();
      return out !== null;
    } finally {
      if (out === undefined) {
        this.positionsCache = null;
        this.cashCache = undefined;
      } else if (out) {
        // A new map: a caller holding the previous one keeps the state it read.
        if (this.positionsCache) this.positionsCache = new Map(this.positionsCache).set(out.row.ticker, out.row);
        if (typeof this.cashCache === "number") this.cashCache += out.cashDelta;
      }
    }
  }

  private recordFillTx(f: FillRecord): { row: PositionRow; cashDelta: Micros } | null {
    const knownQ = this.stmt("fillById", () =>
      this.db
        .select({ id: fills.id })
        .from(fills)
        .where(and(eq(fills.paper, this.p), eq(fills.fillId, sql.placeholder("id"))))
        .prepare(),
    );
    const insertQ = this.stmt("insertFill", () =>
      this.db.insert(fills).values(placeholders<typeof fills.$inferInsert>(FILL_COLUMNS)).prepare(),
    );
    return this.tx(() => {
      const known = knownQ.get({ id: f.fillId });
      if (known) return null;
      const cur = this.positionStmt().get({ ticker: f.ticker });
      const state: PositionState = cur
        ? { position: cur.position, costMicros: cur.costMicros, realizedPnlMicros: cur.realizedPnlMicros, feesMicros: cur.feesMicros }
        : EMPTY_POSITION;
      const eff = applyFill(state, f.side, f.price, f.count, f.feeMicros);
      insertQ.run({
        fillId: f.fillId,
        paper: this.p,
        orderId: f.orderId,
        // Kalshi's fills (GetFills) carry no client_order_id: take it from our order row, so the
        // fill is tied to the strategy that sent it (strategyFills joins on it).
        clientOrderId: f.clientOrderId ?? (f.orderId !== null ? (this.orderByOrderId(f.orderId)?.clientOrderId ?? null) : null),
        ticker: f.ticker,
        side: f.side,
        price: f.price,
        count: f.count,
        feeMicros: f.feeMicros,
        isTaker: f.isTaker,
        cashDeltaMicros: eff.cashDeltaMicros,
        createdAt: f.tsMs,
      });
      const row = this.writePosition(f.ticker, f.eventTicker ?? cur?.eventTicker ?? null, eff.next);
      return { row, cashDelta: eff.cashDeltaMicros };
    });
  }

  private positionStmt() {
    return this.stmt("positionByTicker", () =>
      this.db
        .select()
        .from(positions)
        .where(and(eq(positions.paper, this.p), eq(positions.ticker, sql.placeholder("ticker"))))
        .prepare(),
    );
  }

  private writePosition(ticker: string, eventTicker: string | null, s: PositionState): PositionRow {
    const q = this.stmt("upsertPosition", () => {
      const p = placeholders<typeof positions.$inferInsert>([
        "position",
        "costMicros",
        "realizedPnlMicros",
        "feesMicros",
        "eventTicker",
        "updatedAt",
      ]);
      return this.db
        .insert(positions)
        .values({ ...p, paper: this.p, ticker: sql.placeholder("ticker") })
        .onConflictDoUpdate({
          target: [positions.paper, positions.ticker],
          set: setPlaceholders<typeof positions.$inferInsert>([
            "position",
            "costMicros",
            "realizedPnlMicros",
            "feesMicros",
            "eventTicker",
            "updatedAt",
          ]),
        })
        .returning()
        .prepare();
    });
    return q.get({
      ticker,
      eventTicker,
      position: s.position,
      costMicros: s.costMicros,
      realizedPnlMicros: s.realizedPnlMicros,
      feesMicros: s.feesMicros,
      updatedAt: wallNow(),
    });
  }

  /** Seed a position the ledger did not build from fills (first start on an account with history). */
  seedPosition(ticker: string, eventTicker: string | null, s: PositionState): void {
    this.positionsCache = null;
    this.writePosition(ticker, eventTicker, s);
  }

  /**
   * Every position row of this book, by ticker. Read many times per cycle and per reactive pass
   * (and once per fill by reconciliation), written only through this class (the lock keeps other
   * writers out), so it is cached until the next write. Read-only for callers.
   */
  positions(): ReadonlyMap<string, PositionRow> {
    if (!this.positionsCache) {
      const rows = this.db.select().from(positions).where(eq(positions.paper, this.p)).all();
      this.positionsCache = new Map(rows.map((r) => [r.ticker, r]));
    }
    return this.positionsCache;
  }
  private positionsCache: Map<string, PositionRow> | null = null;

  /** Record a settlement once per market, closing the position and paying out, in one transaction. */
  recordSettlement(s: SettlementRecord): boolean {
    return this.committed(() => this.recordSettlementTx(s));
  }

  private recordSettlementTx(s: SettlementRecord): { row: PositionRow; cashDelta: Micros } | null {
    return this.tx(() => {
      const known = this.db
        .select({ id: settlements.id })
        .from(settlements)
        .where(and(eq(settlements.paper, this.p), eq(settlements.ticker, s.ticker)))
        .get();
      if (known) return null;
      // Revenue is whole cents on Kalshi's wire; micros / 10,000 is exact for every real settlement.
      const revenueCents = microsToNearestCents(s.revenueMicros);
      const cur = this.positionStmt().get({ ticker: s.ticker });
      const state: PositionState = cur
        ? { position: cur.position, costMicros: cur.costMicros, realizedPnlMicros: cur.realizedPnlMicros, feesMicros: cur.feesMicros }
        : EMPTY_POSITION;
      const eff = applySettlement(state, s.result, s.revenueMicros, s.feeMicros);
      this.db
        .insert(settlements)
        .values({
          paper: this.p,
          ticker: s.ticker,
          eventTicker: s.eventTicker,
          result: s.result,
          yesCount: s.yesCount,
          noCount: s.noCount,
          revenueCents,
          feeMicros: s.feeMicros,
          settledTime: s.settledTime,
        })
        .run();
      const row = this.writePosition(s.ticker, s.eventTicker ?? cur?.eventTicker ?? null, eff.next);
      // As cashMicros sums it.
      return { row, cashDelta: centsToMicros(revenueCents) - s.feeMicros };
    });
  }

  // ---- cash ----------------------------------------------------------------------------------------------

  /**
   * The ledger's cash including what resting orders hold: the anchor (the account's cash when this
   * ledger started following it, or the paper bankroll) plus every fill's and settlement's effect.
   * Compared with the exchange's balance + held collateral at every reconciliation.
   */
  cashMicros(): Micros | null {
    // Read before every paper order and several times a cycle; it only changes with this class's
    // own writes (fills, settlements, meta), so it is cached until the next one (as positions are).
    if (this.cashCache !== undefined) return this.cashCache;
    const anchor = this.getMeta("cash_anchor_micros");
    if (anchor === null) return (this.cashCache = null);
    // Only fills and settlements after the anchor count (an embedded exchange restarts the book).
    const fromFill = Number(this.getMeta("cash_anchor_fill_row") ?? "0");
    const fromSettlement = Number(this.getMeta("cash_anchor_settlement_row") ?? "0");
    const fq = this.stmt("cashOfFills", () =>
      this.db
        .select({ s: sql<number>`coalesce(sum(${fills.cashDeltaMicros}), 0)` })
        .from(fills)
        .where(and(eq(fills.paper, this.p), sql`${fills.id} > ${sql.placeholder("from")}`))
        .prepare(),
    );
    const sq = this.stmt("cashOfSettlements", () =>
      this.db
        .select({
          s: sql<number>`coalesce(sum(${settlements.revenueCents} * ${sql.raw(String(MICROS_PER_CENT))} - ${settlements.feeMicros}), 0)`,
        })
        .from(settlements)
        .where(and(eq(settlements.paper, this.p), sql`${settlements.id} > ${sql.placeholder("from")}`))
        .prepare(),
    );
    const f = fq.get({ from: fromFill });
    const s = sq.get({ from: fromSettlement });
    const adj = Number(this.getMeta("cash_adjust_micros") ?? "0");
    return (this.cashCache = Number(anchor) + (f?.s ?? 0) + (s?.s ?? 0) + adj);
  }
  /** undefined: not known; dropped by every write that can move cash (fills, settlements, meta). */
  private cashCache: Micros | null | undefined = undefined;

  /**
   * Cash as risk and the heartbeat should count it: the ledger's cash, less any shortfall the last
   * reconciliation saw on the exchange but has not confirmed yet. An unexplained loss counts at once;
   * an unexplained gain only once it is recorded.
   */
  cashForRiskMicros(): Micros | null {
    const c = this.cashMicros();
    if (c === null) return null;
    return c - Math.max(0, Number(this.getMeta(CASH_DRIFT_SEEN_KEY) ?? "0"));
  }

  setCashAnchor(micros: Micros): void {
    const maxFill =
      this.db
        .select({ m: sql<number>`coalesce(max(${fills.id}), 0)` })
        .from(fills)
        .get()?.m ?? 0;
    const maxSettle =
      this.db
        .select({ m: sql<number>`coalesce(max(${settlements.id}), 0)` })
        .from(settlements)
        .get()?.m ?? 0;
    this.setMeta("cash_anchor_fill_row", String(maxFill));
    this.setMeta("cash_anchor_settlement_row", String(maxSettle));
    this.setMeta("cash_adjust_micros", "0");
    this.setMeta(CASH_DRIFT_SEEN_KEY, "0");
    this.setMeta(CASH_DRIFT_EXACT_KEY, "0");
    this.setMeta(CASH_QUIET_ROUNDS_KEY, "0");
    this.setMeta("cash_anchor_micros", String(micros));
  }

  /**
   * Start the book over (the embedded exchange is new at every start): open orders are closed,
   * positions dropped, cursors and the cash anchor cleared. History rows stay for the audit trail.
   */
  restartBook(why: string): void {
    const sqlite = this.db.$client;
    const p = this.p ? 1 : 0;
    sqlite.transaction(() => {
      sqlite.run(
        `update orders set status = 'canceled', remaining_count = 0, error = ? where paper = ? and status in ('pending','unknown','resting')`,
        [why, p],
      );
      sqlite.run(`delete from positions where paper = ?`, [p]);
      this.positionsCache = null;
      this.cashCache = undefined;
      // Settlements are unique per market and book: a restarted exchange may reuse tickers.
      sqlite.run(`delete from settlements where paper = ?`, [p]);
      sqlite.run(`delete from meta where key like ?`, [`${this.p ? "paper" : "live"}.%`]);
      sqlite.run(`delete from risk_state where paper = ?`, [p]);
      sqlite.run(`delete from arb_sets_done where paper = ?`, [p]);
    })();
    this.audit("book_restart", why);
  }

  /** Deposits, withdrawals or drift accepted by reconciliation: recorded, never silently absorbed. */
  adjustCash(deltaMicros: Micros, why: string): void {
    const cur = Number(this.getMeta("cash_adjust_micros") ?? "0");
    this.setMeta("cash_adjust_micros", String(cur + deltaMicros));
    this.audit("cash_adjust", why, { data: { deltaMicros } });
  }

  totals(): { realizedPnlMicros: Micros; feesMicros: Micros } {
    const r = this.db
      .select({
        r: sql<number>`coalesce(sum(${positions.realizedPnlMicros}), 0)`,
        f: sql<number>`coalesce(sum(${positions.feesMicros}), 0)`,
      })
      .from(positions)
      .where(eq(positions.paper, this.p))
      .get();
    return { realizedPnlMicros: r?.r ?? 0, feesMicros: r?.f ?? 0 };
  }

  snapshotBalance(cycleId: number | null, cashMicros: Micros, portfolioValueMicros: Micros): void {
    this.db.insert(balanceSnapshots).values({ paper: this.p, cycleId, cashMicros, portfolioValueMicros, at: wallNow() }).run();
  }

  lastBalance(): { cashMicros: Micros; portfolioValueMicros: Micros } | undefined {
    return this.db
      .select()
      .from(balanceSnapshots)
      .where(eq(balanceSnapshots.paper, this.p))
      .orderBy(desc(balanceSnapshots.id))
      .limit(1)
      .get();
  }

  snapshotMarket(
    cycleId: number,
    m: { ticker: string; yesBid: Price | null; yesAsk: Price | null; lastPrice: Price | null; volume: Count },
  ): void {
    this.db
      .insert(marketSnapshots)
      .values({ at: wallNow(), cycleId, ...m })
      .run();
  }

  // ---- risk state --------------------------------------------------------------------------------------

  loadRisk(): RiskRow | null {
    const r = this.db.select().from(riskState).where(eq(riskState.paper, this.p)).get();
    if (!r) return null;
    return {
      state: r.state,
      reason: r.reason,
      since: r.since,
      highWaterMicros: r.highWaterMicros,
      day: r.day,
      dayStartEquityMicros: r.dayStartEquityMicros,
    };
  }

  saveRisk(row: RiskRow): void {
    this.db
      .insert(riskState)
      .values({ paper: this.p, ...row })
      .onConflictDoUpdate({ target: riskState.paper, set: { ...row } })
      .run();
  }

  // ---- audit -------------------------------------------------------------------------------------------

  audit(
    kind: string,
    message: string,
    extra: { cycleId?: number | null; ticker?: string | null; strategy?: string | null; data?: unknown } = {},
  ): void {
    this.db
      .insert(auditLog)
      .values({
        at: wallNow(),
        kind,
        message,
        cycleId: extra.cycleId ?? null,
        ticker: extra.ticker ?? null,
        strategy: extra.strategy ?? null,
        data: extra.data ?? null,
      })
      .run();
  }
}

export { AUDIT_KINDS_KEPT, PRUNE_SQL, pruneHistory } from "./ledger/prune.ts";
