// What `status`, the dashboard, /metrics and the notifier read from the ledger: read-only queries
// on a connection opened read-only, so they run beside a trading bot without its lock (as `report`
// does through ledger-report.ts). Every statement these readers run is here, typed by its row;
// amounts stay integers (money.ts units) and callers format them.
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import type { Count, Micros, Price } from "../../kalshi/money.ts";
import type { BookSide } from "../../strategies/types.ts";
import { CASH_DRIFT_EXACT_KEY, CASH_DRIFT_SEEN_KEY } from "../ledger.ts";
import { dailyReport, fillsReport, type DailyReportRow, type FillReportRow } from "../ledger-report.ts";
import { tradingDay } from "../risk.ts";

/** The ledger file opened read-only, or null when it does not exist yet (the bot creates it). */
export function openLedgerReadOnly(path: string, busyTimeoutMs = 2000): Database | null {
  if (!existsSync(path)) return null;
  const db = new Database(path, { readonly: true });
  db.run(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  return db;
}

export function hasTables(db: Database, ...names: string[]): boolean {
  const have = new Set(
    db
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name),
  );
  return names.every((n) => have.has(n));
}

export function recentFills(db: Database, paper: boolean, timezone: string, limit = 25): FillReportRow[] {
  // The newest `limit` fills: find the time of the oldest of them, then reuse the report's rows.
  const from = db
    .query<{ created_at: number }, [number, number]>(
      "SELECT created_at FROM fills WHERE paper = ? ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?",
    )
    .get(paper ? 1 : 0, limit - 1);
  const since = from ? tradingDay(from.created_at, timezone) : null;
  const rows = fillsReport(db, paper, { since, until: null, timezone });
  return rows.slice(-limit).reverse();
}

export function dailyPnl(db: Database, paper: boolean, timezone: string, nowMs: number, days = 30): DailyReportRow[] {
  const since = tradingDay(nowMs - days * 86_400_000, timezone);
  return dailyReport(db, paper, { since, until: null, timezone });
}

/** Bankroll over time from the balance snapshots: [ms, cash + portfolio value micros], at most `max` points. */
export function equityCurve(db: Database, paper: boolean, max = 2_000): Array<[number, Micros]> {
  const n = db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM balance_snapshots WHERE paper = ?").get(paper ? 1 : 0)?.n ?? 0;
  const every = Math.max(1, Math.ceil(n / max));
  // Every k-th snapshot plus the last one, in time order.
  const rows = db
    .query<{ at: number; total: Micros }, [number, number]>(
      "SELECT at, cash_micros + portfolio_value_micros AS total FROM (SELECT id, at, cash_micros, portfolio_value_micros, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS cnt FROM balance_snapshots WHERE paper = ?) WHERE (rn - 1) % ? = 0 OR rn = cnt ORDER BY id",
    )
    .all(paper ? 1 : 0, every);
  return rows.map((r) => [r.at, r.total]);
}

export interface CycleTiming {
  id: number;
  startedAt: number;
  durationMs: number | null;
  status: string;
  ordersPlaced: number;
}

export function cycleTimings(db: Database, limit = 200): CycleTiming[] {
  const rows = db
    .query<{ id: number; started_at: number; ended_at: number | null; status: string; orders_placed: number }, [number]>(
      "SELECT id, started_at, ended_at, status, orders_placed FROM cycles ORDER BY id DESC LIMIT ?",
    )
    .all(limit);
  return rows.reverse().map((r) => ({
    id: r.id,
    startedAt: r.started_at,
    durationMs: r.ended_at === null ? null : r.ended_at - r.started_at,
    status: r.status,
    ordersPlaced: r.orders_placed,
  }));
}

/** Upper bounds (seconds) of the cycle-duration histogram. */
export const CYCLE_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface LedgerTotals {
  cyclesByStatus: Record<string, number>;
  /** Finished cycles: cumulative count per bucket of CYCLE_BUCKETS_S, then all of them. */
  cycleBuckets: number[];
  cycleCount: number;
  cycleSumMs: number;
  ordersByStatus: Record<string, number>;
  ordersByOrigin: Record<string, number>;
  fills: number;
  /** Count units (1/100 contract). */
  filledCount: number;
  fillFeesMicros: Micros;
  settlementFeesMicros: Micros;
  realizedPnlMicros: Micros;
  /** Cost basis of the positions held now. */
  exposureMicros: Micros;
  openPositions: number;
  balance: { cashMicros: Micros; portfolioValueMicros: Micros; at: number } | null;
  riskState: { state: string; reason: string | null; since: number } | null;
}

export function ledgerTotals(db: Database, paper: boolean): LedgerTotals {
  const p = paper ? 1 : 0;
  const byKey = (rows: Array<{ k: string; n: number }>) => Object.fromEntries(rows.map((r) => [r.k, r.n]));
  const groupCount = (sql: string) => byKey(db.query<{ k: string; n: number }, [number]>(sql).all(p));
  const cyclesByStatus = groupCount("SELECT status AS k, count(*) AS n FROM cycles WHERE dry_run = ? GROUP BY status");
  const finished = db
    .query<{ n: number; s: number }, [number]>(
      "SELECT count(*) AS n, coalesce(sum(ended_at - started_at), 0) AS s FROM cycles WHERE dry_run = ? AND ended_at IS NOT NULL",
    )
    .get(p) ?? { n: 0, s: 0 };
  const within = db.query<{ n: number }, [number, number]>(
    "SELECT count(*) AS n FROM cycles WHERE dry_run = ? AND ended_at IS NOT NULL AND ended_at - started_at <= ?",
  );
  const cycleBuckets = CYCLE_BUCKETS_S.map((b) => within.get(p, b * 1000)?.n ?? 0);
  const ordersByStatus = groupCount("SELECT status AS k, count(*) AS n FROM orders WHERE paper = ? GROUP BY status");
  const ordersByOrigin = groupCount("SELECT origin AS k, count(*) AS n FROM orders WHERE paper = ? GROUP BY origin");
  const f = db
    .query<{ n: number; c: Count; fee: Micros }, [number]>(
      "SELECT count(*) AS n, coalesce(sum(count), 0) AS c, coalesce(sum(fee_micros), 0) AS fee FROM fills WHERE paper = ?",
    )
    .get(p) ?? { n: 0, c: 0, fee: 0 };
  const sf =
    db.query<{ fee: Micros }, [number]>("SELECT coalesce(sum(fee_micros), 0) AS fee FROM settlements WHERE paper = ?").get(p)?.fee ?? 0;
  const pos = db
    .query<{ r: Micros; cost: Micros; open: number | null }, [number]>(
      "SELECT coalesce(sum(realized_pnl_micros), 0) AS r, coalesce(sum(CASE WHEN position != 0 THEN cost_micros ELSE 0 END), 0) AS cost, sum(position != 0) AS open FROM positions WHERE paper = ?",
    )
    .get(p) ?? { r: 0, cost: 0, open: null };
  const b = latestBalanceRow(db, p);
  const rs = hasTables(db, "risk_state")
    ? db
        .query<{ state: string; reason: string | null; since: number }, [number]>(
          "SELECT state, reason, since FROM risk_state WHERE paper = ?",
        )
        .get(p)
    : null;
  return {
    cyclesByStatus,
    cycleBuckets,
    cycleCount: finished.n,
    cycleSumMs: finished.s,
    ordersByStatus,
    ordersByOrigin,
    fills: f.n,
    filledCount: f.c,
    fillFeesMicros: f.fee,
    settlementFeesMicros: sf,
    realizedPnlMicros: pos.r,
    exposureMicros: pos.cost,
    openPositions: pos.open ?? 0,
    balance: b ? { cashMicros: b.cash_micros, portfolioValueMicros: b.portfolio_value_micros, at: b.at } : null,
    riskState: rs,
  };
}

interface BalanceRow {
  cash_micros: Micros;
  portfolio_value_micros: Micros;
  at: number;
}

function latestBalanceRow(db: Database, p: number): BalanceRow | null {
  return db
    .query<BalanceRow, [number]>(
      "SELECT cash_micros, portfolio_value_micros, at FROM balance_snapshots WHERE paper = ? ORDER BY id DESC LIMIT 1",
    )
    .get(p);
}

// ---- `kalshi-bot status` ----

export interface StatusPositionRow {
  ticker: string;
  position: Count;
  cost_micros: Micros;
  realized_pnl_micros: Micros;
  fees_micros: Micros;
  updated_at: number;
}
export interface StatusOrderRow {
  client_order_id: string;
  order_id: string | null;
  ticker: string;
  side: string;
  price: Price;
  count: Count;
  remaining_count: Count;
  status: string;
  strategy: string | null;
  created_at: number;
}
export interface StatusCycleRow {
  id: number;
  started_at: number;
  ended_at: number | null;
  mode: string;
  status: string;
  orders_placed: number;
  error: string | null;
}

const OPEN_STATUSES = ["pending", "resting", "unknown"];

/** What `status` shows from the ledger of one mode (paper or live). */
export interface StatusLedgerView {
  positions: StatusPositionRow[];
  openOrders: StatusOrderRow[];
  totals: { realizedPnlMicros: Micros; feesMicros: Micros };
  /** The unconfirmed cash drift the last reconciliation saw (micros), and whether it was measured exactly. */
  cashDrift: { micros: Micros; exact: boolean } | null;
  lastCycles: StatusCycleRow[];
  balance: BalanceRow | null;
}

export function statusLedgerView(db: Database, paper: boolean): StatusLedgerView {
  const p = paper ? 1 : 0;
  const positions = db
    .query<StatusPositionRow, [number]>(
      "SELECT ticker, position, cost_micros, realized_pnl_micros, fees_micros, updated_at FROM positions WHERE paper = ? AND position != 0 ORDER BY ticker",
    )
    .all(p);
  const openOrders = db
    .query<StatusOrderRow, Array<string | number>>(
      `SELECT client_order_id, order_id, ticker, side, price, count, remaining_count, status, strategy, created_at FROM orders WHERE paper = ? AND status IN (${OPEN_STATUSES.map(() => "?").join(",")}) ORDER BY created_at`,
    )
    .all(p, ...OPEN_STATUSES);
  const t = db
    .query<{ r: Micros; f: Micros }, [number]>(
      "SELECT coalesce(sum(realized_pnl_micros), 0) AS r, coalesce(sum(fees_micros), 0) AS f FROM positions WHERE paper = ?",
    )
    .get(p) ?? { r: 0, f: 0 };
  let cashDrift: StatusLedgerView["cashDrift"] = null;
  if (hasTables(db, "meta")) {
    const meta = db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?");
    const prefix = paper ? "paper" : "live";
    const seen = meta.get(`${prefix}.${CASH_DRIFT_SEEN_KEY}`);
    if (seen && Number(seen.value) !== 0)
      cashDrift = { micros: Number(seen.value), exact: meta.get(`${prefix}.${CASH_DRIFT_EXACT_KEY}`)?.value === "1" };
  }
  const lastCycles = db
    .query<StatusCycleRow, []>("SELECT id, started_at, ended_at, mode, status, orders_placed, error FROM cycles ORDER BY id DESC LIMIT 5")
    .all();
  const balance = hasTables(db, "balance_snapshots") ? latestBalanceRow(db, p) : null;
  return { positions, openOrders, totals: { realizedPnlMicros: t.r, feesMicros: t.f }, cashDrift, lastCycles, balance };
}

// ---- the notifier's cursors ----

export interface NotifyFillRow {
  id: number;
  paper: number;
  ticker: string;
  side: BookSide;
  price: Price;
  count: Count;
  fee_micros: Micros;
  cash_delta_micros: Micros;
  created_at: number;
}
export interface NotifyOrderEventRow {
  id: number;
  status: string;
  detail: string | null;
  paper: number;
  ticker: string;
  side: BookSide;
  price: Price;
  count: Count;
  error: string | null;
  strategy: string | null;
}
export interface NotifyAuditRow {
  id: number;
  kind: string;
  message: string;
}

/** The newest row id of each table the notifier follows (0 when empty). */
export function newestIds(db: Database): { fills: number; auditLog: number; orderEvents: number } {
  return { fills: maxId(db, "fills"), auditLog: maxId(db, "audit_log"), orderEvents: maxId(db, "order_events") };
}

function maxId(db: Database, table: "fills" | "audit_log" | "order_events"): number {
  return db.query<{ m: number | null }, []>(`SELECT max(id) AS m FROM ${table}`).get()?.m ?? 0;
}

export function maxAuditId(db: Database): number | null {
  return db.query<{ m: number | null }, []>("SELECT max(id) AS m FROM audit_log").get()?.m ?? null;
}

export function fillsAfter(db: Database, id: number, limit = 5000): NotifyFillRow[] {
  return db
    .query<NotifyFillRow, [number, number]>(
      "SELECT id, paper, ticker, side, price, count, fee_micros, cash_delta_micros, created_at FROM fills WHERE id > ? ORDER BY id LIMIT ?",
    )
    .all(id, limit);
}

export function orderEventsAfter(db: Database, id: number, limit = 5000): NotifyOrderEventRow[] {
  return db
    .query<NotifyOrderEventRow, [number, number]>(
      "SELECT e.id, e.status, e.detail, o.paper, o.ticker, o.side, o.price, o.count, o.error, o.strategy FROM order_events e JOIN orders o ON o.id = e.order_row_id WHERE e.id > ? ORDER BY e.id LIMIT ?",
    )
    .all(id, limit);
}

/** Audit rows of the kinds the notifier tells, with after < id <= upTo. */
export function notableAuditAfter(db: Database, after: number, upTo: number, limit: number): NotifyAuditRow[] {
  return db
    .query<NotifyAuditRow, [number, number, number]>(
      "SELECT id, kind, message FROM audit_log WHERE id > ? AND id <= ? AND kind IN ('risk_state', 'risk_reset', 'reconcile_failed', 'cash_adjust') ORDER BY id LIMIT ?",
    )
    .all(after, upTo, limit);
}
