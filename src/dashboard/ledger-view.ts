// What the dashboard, /metrics and the notifier read from the ledger: read-only queries on a
// connection opened read-only, so they run beside a trading bot without its lock (as `status` and
// `report` do). Amounts stay integers here (money.ts units); callers format them.
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import type { Micros } from "../kalshi/money.ts";
import { dailyReport, fillsReport, type DailyReportRow, type FillReportRow } from "../engine/ledger-report.ts";
import { tradingDay } from "../engine/risk.ts";

/** The ledger file opened read-only, or null when it does not exist yet (the bot creates it). */
export function openLedgerReadOnly(path: string): Database | null {
  if (!existsSync(path)) return null;
  const db = new Database(path, { readonly: true });
  db.run("PRAGMA busy_timeout = 2000");
  return db;
}

export function hasTables(db: Database, ...names: string[]): boolean {
  const have = new Set((db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
  return names.every((n) => have.has(n));
}

export function recentFills(db: Database, paper: boolean, timezone: string, limit = 25): FillReportRow[] {
  // The newest `limit` fills: find the time of the oldest of them, then reuse the report's rows.
  const from = db.query("SELECT created_at FROM fills WHERE paper = ? ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?").get(paper ? 1 : 0, limit - 1) as { created_at: number } | null;
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
  const n = (db.query("SELECT count(*) AS n FROM balance_snapshots WHERE paper = ?").get(paper ? 1 : 0) as { n: number }).n;
  const every = Math.max(1, Math.ceil(n / max));
  // Every k-th snapshot plus the last one, in time order.
  const rows = db
    .query("SELECT at, cash_micros + portfolio_value_micros AS total FROM (SELECT id, at, cash_micros, portfolio_value_micros, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS cnt FROM balance_snapshots WHERE paper = ?) WHERE (rn - 1) % ? = 0 OR rn = cnt ORDER BY id")
    .all(paper ? 1 : 0, every) as Array<{ at: number; total: number }>;
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
    .query("SELECT id, started_at, ended_at, status, orders_placed FROM cycles ORDER BY id DESC LIMIT ?")
    .all(limit) as Array<{ id: number; started_at: number; ended_at: number | null; status: string; orders_placed: number }>;
  return rows.reverse().map((r) => ({ id: r.id, startedAt: r.started_at, durationMs: r.ended_at === null ? null : r.ended_at - r.started_at, status: r.status, ordersPlaced: r.orders_placed }));
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
  const cyclesByStatus = byKey(db.query("SELECT status AS k, count(*) AS n FROM cycles WHERE dry_run = ? GROUP BY status").all(p) as Array<{ k: string; n: number }>);
  const finished = db.query("SELECT count(*) AS n, coalesce(sum(ended_at - started_at), 0) AS s FROM cycles WHERE dry_run = ? AND ended_at IS NOT NULL").get(p) as { n: number; s: number };
  const cycleBuckets = CYCLE_BUCKETS_S.map(
    (b) => (db.query("SELECT count(*) AS n FROM cycles WHERE dry_run = ? AND ended_at IS NOT NULL AND ended_at - started_at <= ?").get(p, b * 1000) as { n: number }).n,
  );
  const ordersByStatus = byKey(db.query("SELECT status AS k, count(*) AS n FROM orders WHERE paper = ? GROUP BY status").all(p) as Array<{ k: string; n: number }>);
  const ordersByOrigin = byKey(db.query("SELECT origin AS k, count(*) AS n FROM orders WHERE paper = ? GROUP BY origin").all(p) as Array<{ k: string; n: number }>);
  const f = db.query("SELECT count(*) AS n, coalesce(sum(count), 0) AS c, coalesce(sum(fee_micros), 0) AS fee FROM fills WHERE paper = ?").get(p) as { n: number; c: number; fee: number };
  const sf = (db.query("SELECT coalesce(sum(fee_micros), 0) AS fee FROM settlements WHERE paper = ?").get(p) as { fee: number }).fee;
  const pos = db
    .query("SELECT coalesce(sum(realized_pnl_micros), 0) AS r, coalesce(sum(CASE WHEN position != 0 THEN cost_micros ELSE 0 END), 0) AS cost, sum(position != 0) AS open FROM positions WHERE paper = ?")
    .get(p) as { r: number; cost: number; open: number | null };
  const b = db.query("SELECT cash_micros, portfolio_value_micros, at FROM balance_snapshots WHERE paper = ? ORDER BY id DESC LIMIT 1").get(p) as { cash_micros: number; portfolio_value_micros: number; at: number } | null;
  const rs = hasTables(db, "risk_state") ? (db.query("SELECT state, reason, since FROM risk_state WHERE paper = ?").get(p) as { state: string; reason: string | null; since: number } | null) : null;
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
