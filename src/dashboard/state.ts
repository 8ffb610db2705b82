// The dashboard's data: `kalshi-bot status` (the same function, so the page shows the numbers
// `status --json` prints) plus the ledger's recent fills, P&L per day, equity curve and cycle
// timings, and the figures /metrics exposes. Read-only; never takes the bot's lock.
import type { LoadedConfig } from "../config/load.ts";
import type { HeartbeatCounters } from "../ops/heartbeat.ts";
import { collectStatus, type StatusReport } from "../ops/status.ts";
import { formatCount, formatDollars2, formatPrice, microsToDollarsFloat } from "../kalshi/money.ts";
import {
  cycleTimings,
  dailyPnl,
  equityCurve,
  hasTables,
  ledgerTotals,
  openLedgerReadOnly,
  recentFills,
} from "../engine/ledger/read-views.ts";
import { renderMetrics } from "./metrics.ts";

/** The command-line arguments that locate the config and lock (what `status` is given). */
export type StatusArgs = { config?: string | undefined; "lock-file"?: string | undefined };

export interface DashboardState {
  generated_at: string;
  timezone: string;
  status: StatusReport;
  fills: Array<{
    time: string;
    day: string;
    ticker: string;
    side: string;
    count: string;
    price: string;
    fee_dollars: string;
    cash_dollars: string;
    taker: boolean;
  }>;
  daily: Array<{
    day: string;
    fills: number;
    contracts: string;
    fees_dollars: string;
    realized_pnl_dollars: string;
    net_cash_dollars: string;
    orders_sent: number;
  }>;
  /** [unix seconds, bankroll in dollars] for the chart only (figures shown as text come from strings). */
  equity: Array<[number, number]>;
  cycles: Array<{ id: number; started_at: string; duration_seconds: number | null; status: string; orders_placed: number }>;
  /** The bot process's rate-limit and WebSocket counters from its heartbeat (null: none yet). */
  rate_limit: HeartbeatCounters | null;
}

function args(a: StatusArgs): Record<string, unknown> {
  return {
    ...(a.config !== undefined ? { config: a.config } : {}),
    ...(a["lock-file"] !== undefined ? { "lock-file": a["lock-file"] } : {}),
  };
}

export function dashboardState(loaded: LoadedConfig, a: StatusArgs, now = new Date()): DashboardState {
  const status = collectStatus(args(a), now);
  const tz = loaded.config.risk.timezone;
  const out: DashboardState = {
    generated_at: now.toISOString(),
    timezone: tz,
    status,
    fills: [],
    daily: [],
    equity: [],
    cycles: [],
    rate_limit: status.heartbeat.data?.counters ?? null,
  };
  if (!status.database.present || status.database.error) return out;
  const db = openLedgerReadOnly(loaded.paths.database);
  if (!db) return out;
  try {
    if (!hasTables(db, "fills", "orders", "settlements", "balance_snapshots", "cycles")) return out;
    const paper = status.ledger === "paper";
    out.fills = recentFills(db, paper, tz).map((f) => ({
      time: new Date(f.timeMs).toISOString(),
      day: f.day,
      ticker: f.ticker,
      side: f.side,
      count: formatCount(f.count),
      price: formatPrice(f.legPrice),
      fee_dollars: formatDollars2(f.feeMicros),
      cash_dollars: formatDollars2(f.cashDeltaMicros),
      taker: f.isTaker,
    }));
    out.daily = dailyPnl(db, paper, tz, now.getTime()).map((d) => ({
      day: d.day,
      fills: d.fills,
      contracts: formatCount(d.contracts),
      fees_dollars: formatDollars2(d.feesMicros),
      realized_pnl_dollars: formatDollars2(d.realizedPnlMicros),
      net_cash_dollars: formatDollars2(d.netCashMicros),
      orders_sent: d.ordersSent,
    }));
    out.equity = equityCurve(db, paper).map(([ms, micros]) => [ms / 1000, microsToDollarsFloat(micros)]);
    out.cycles = cycleTimings(db).map((c) => ({
      id: c.id,
      started_at: new Date(c.startedAt).toISOString(),
      duration_seconds: c.durationMs === null ? null : c.durationMs / 1000,
      status: c.status,
      orders_placed: c.ordersPlaced,
    }));
  } finally {
    db.close();
  }
  return out;
}

export function metricsText(loaded: LoadedConfig, a: StatusArgs, now = new Date()): string {
  const status = collectStatus(args(a), now);
  const paper = status.ledger === "paper";
  let totals = null;
  if (status.database.present && !status.database.error) {
    const db = openLedgerReadOnly(loaded.paths.database);
    if (db) {
      try {
        if (hasTables(db, "fills", "orders", "settlements", "balance_snapshots", "cycles", "positions")) totals = ledgerTotals(db, paper);
      } finally {
        db.close();
      }
    }
  }
  return renderMetrics({ nowMs: now.getTime(), heartbeat: status.heartbeat.data, paused: status.pause.active, paper, totals });
}
