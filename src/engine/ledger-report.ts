// The ledger as records: fills, orders, settlements and one line per trading day, for books,
// taxes and review. Read-only on a connection the caller opened read-only, so it runs beside a
// trading bot without its lock. Amounts stay integers in the ledger's units (money.ts); the CLI
// formats them.
//
// Days are trading days (tradingDay in risk.ts, in risk.timezone), so a report's day is the day the
// daily-loss limit counted. Rows are placed on a day by exact comparison of that day string; SQL
// only narrows by a UTC window wide enough for any time zone (offsets lie within −12 h … +14 h).
import type { Database } from "bun:sqlite";
import type { Db } from "../db/open.ts";
import { centsToMicros, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { BookSide } from "../strategies/types.ts";
import { applyFill, applySettlement, EMPTY_POSITION, type PositionState } from "./position-math.ts";
import { legPrice, tradingDay } from "./risk.ts";

/** Inclusive trading days "YYYY-MM-DD"; null = unbounded. */
export interface DayRange {
  since: string | null;
  until: string | null;
  timezone: string;
}

export interface FillReportRow {
  timeMs: number;
  day: string;
  ticker: string;
  side: BookSide;
  /** The YES price the ledger stores. */
  yesPrice: Price;
  /** What one contract of the side bought cost: the YES price for a bid, 1 − it for an ask. */
  legPrice: Price;
  count: Count;
  feeMicros: Micros;
  cashDeltaMicros: Micros;
  isTaker: boolean;
  orderId: string | null;
  clientOrderId: string | null;
}

export interface OrderReportRow {
  createdMs: number;
  day: string;
  ticker: string;
  side: BookSide;
  yesPrice: Price;
  legPrice: Price;
  count: Count;
  filled: Count;
  status: string;
  strategy: string | null;
  reason: string | null;
  clientOrderId: string;
  orderId: string | null;
  origin: string;
}

export interface SettlementReportRow {
  /** Exchange's settled_time; null when the ledger holds none (such a row is on no day). */
  timeMs: number | null;
  rawTime: string | null;
  day: string | null;
  ticker: string;
  result: string;
  yesCount: Count;
  noCount: Count;
  revenueMicros: Micros;
  feeMicros: Micros;
}

export interface DailyReportRow {
  day: string;
  fills: number;
  contracts: Count;
  /** Fill fees plus settlement fees. */
  feesMicros: Micros;
  /** Before fees, as the bot's positions count it (position-math.ts). */
  realizedPnlMicros: Micros;
  settlements: number;
  settlementRevenueMicros: Micros;
  /** Sum of the day's fills' cash_delta_micros and settlements' revenue − fee: exactly what
   * Ledger.cashMicros adds for them. */
  netCashMicros: Micros;
  ordersSent: number;
}

export class ReportInputError extends Error {
  override name = "ReportInputError";
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date "YYYY-MM-DD" that exists (2026-02-30 does not). */
export function isCalendarDay(s: string): boolean {
  const m = DAY_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** Throws ReportInputError for a time zone Intl does not know (the config schema takes any string). */
export function checkTimezone(tz: string): void {
  try {
    tradingDay(0, tz);
  } catch {
    throw new ReportInputError(
      `risk.timezone "${tz}" is not a time zone this system knows; set it to an IANA name such as "America/New_York" in the config`,
    );
  }
}

const HOUR = 3_600_000;

/** A UTC window [lo, hi] in ms certain to hold every instant of the range's days, in any zone. */
function utcWindow(r: DayRange): { lo: number; hi: number } {
  const at = (s: string) => {
    const m = DAY_RE.exec(s)!;
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  };
  return {
    lo: r.since ? at(r.since) - 15 * HOUR : Number.MIN_SAFE_INTEGER,
    hi: r.until ? at(r.until) + 24 * HOUR + 15 * HOUR : Number.MAX_SAFE_INTEGER,
  };
}

function inRange(day: string, r: DayRange): boolean {
  return (r.since === null || day >= r.since) && (r.until === null || day <= r.until);
}

/** A ledger to read: the drizzle handle the bot opens, or a bare bun:sqlite connection (status, dashboard). */
export type LedgerSource = Database | Db;

function connection(source: LedgerSource): Database {
  return "$client" in source ? source.$client : source;
}

/** True when the file holds the tables a report reads (a kalshi-bot ledger, migrated). */
export function missingReportTables(source: LedgerSource): string[] {
  const db = connection(source);
  const have = new Set((db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
  return ["orders", "fills", "settlements"].filter((t) => !have.has(t));
}

interface RawFill {
  id: number;
  ticker: string;
  side: BookSide;
  price: number;
  count: number;
  fee_micros: number;
  cash_delta_micros: number;
  is_taker: number;
  order_id: string | null;
  client_order_id: string | null;
  created_at: number;
}

export function fillsReport(source: LedgerSource, paper: boolean, r: DayRange): FillReportRow[] {
  const db = connection(source);
  const w = utcWindow(r);
  const rows = db
    .query(
      "SELECT id, ticker, side, price, count, fee_micros, cash_delta_micros, is_taker, order_id, client_order_id, created_at FROM fills WHERE paper = ? AND created_at >= ? AND created_at <= ? ORDER BY created_at, id",
    )
    .all(paper ? 1 : 0, w.lo, w.hi) as RawFill[];
  const out: FillReportRow[] = [];
  for (const f of rows) {
    const day = tradingDay(f.created_at, r.timezone);
    if (!inRange(day, r)) continue;
    out.push({
      timeMs: f.created_at,
      day,
      ticker: f.ticker,
      side: f.side,
      yesPrice: f.price,
      legPrice: legPrice(f.side, f.price),
      count: f.count,
      feeMicros: f.fee_micros,
      cashDeltaMicros: f.cash_delta_micros,
      isTaker: f.is_taker !== 0,
      orderId: f.order_id,
      clientOrderId: f.client_order_id,
    });
  }
  return out;
}

export function ordersReport(source: LedgerSource, paper: boolean, r: DayRange): OrderReportRow[] {
  const db = connection(source);
  const w = utcWindow(r);
  const rows = db
    .query(
      "SELECT ticker, side, price, count, filled_count, status, strategy, reason, client_order_id, order_id, origin, created_at FROM orders WHERE paper = ? AND created_at >= ? AND created_at <= ? ORDER BY created_at, id",
    )
    .all(paper ? 1 : 0, w.lo, w.hi) as Array<{
    ticker: string;
    side: BookSide;
    price: number;
    count: number;
    filled_count: number;
    status: string;
    strategy: string | null;
    reason: string | null;
    client_order_id: string;
    order_id: string | null;
    origin: string;
    created_at: number;
  }>;
  const out: OrderReportRow[] = [];
  for (const o of rows) {
    const day = tradingDay(o.created_at, r.timezone);
    if (!inRange(day, r)) continue;
    out.push({
      createdMs: o.created_at,
      day,
      ticker: o.ticker,
      side: o.side,
      yesPrice: o.price,
      legPrice: legPrice(o.side, o.price),
      count: o.count,
      filled: o.filled_count,
      status: o.status,
      strategy: o.strategy,
      reason: o.reason,
      clientOrderId: o.client_order_id,
      orderId: o.order_id,
      origin: o.origin,
    });
  }
  return out;
}

function allSettlements(db: Database, paper: boolean, timezone: string): SettlementReportRow[] {
  // Few rows (one per market ever held), and settled_time is text: placed on days in JS.
  const rows = db
    .query(
      "SELECT ticker, result, yes_count, no_count, revenue_cents, fee_micros, settled_time FROM settlements WHERE paper = ? ORDER BY settled_time, id",
    )
    .all(paper ? 1 : 0) as Array<{
    ticker: string;
    result: string;
    yes_count: number;
    no_count: number;
    revenue_cents: number;
    fee_micros: number;
    settled_time: string | null;
  }>;
  return rows.map((s) => {
    const t = s.settled_time ? Date.parse(s.settled_time) : NaN;
    const ok = Number.isFinite(t);
    return {
      timeMs: ok ? t : null,
      rawTime: s.settled_time,
      day: ok ? tradingDay(t, timezone) : null,
      ticker: s.ticker,
      result: s.result,
      yesCount: s.yes_count,
      noCount: s.no_count,
      // Exactly as Ledger.cashMicros counts it.
      revenueMicros: centsToMicros(s.revenue_cents),
      feeMicros: s.fee_micros,
    };
  });
}

/** A settlement without a time is on no day: listed only when the range is unbounded. */
const settlementInRange = (s: SettlementReportRow, r: DayRange): boolean =>
  s.day === null ? r.since === null && r.until === null : inRange(s.day, r);

export function settlementsReport(source: LedgerSource, paper: boolean, r: DayRange): SettlementReportRow[] {
  const db = connection(source);
  return allSettlements(db, paper, r.timezone).filter((s) => settlementInRange(s, r));
}

/**
 * Realized P&L per day, by replaying the book's fills (in the order the ledger applied them) and
 * then each market's settlement through the same position math the ledger uses, market by market.
 * Whole history, whatever the range: a day's realized P&L depends on the cost basis built before it.
 */
function realizedByDay(db: Database, paper: boolean, timezone: string, settlements: SettlementReportRow[]): Map<string, Micros> {
  const byDay = new Map<string, Micros>();
  const add = (day: string, v: Micros) => v !== 0 && byDay.set(day, (byDay.get(day) ?? 0) + v);
  const state = new Map<string, PositionState>();
  const it = db
    .query("SELECT ticker, side, price, count, fee_micros, created_at FROM fills WHERE paper = ? ORDER BY id")
    .iterate(paper ? 1 : 0) as IterableIterator<{
    ticker: string;
    side: BookSide;
    price: number;
    count: number;
    fee_micros: number;
    created_at: number;
  }>;
  for (const f of it) {
    const cur = state.get(f.ticker) ?? EMPTY_POSITION;
    const eff = applyFill(cur, f.side, f.price, f.count, f.fee_micros);
    state.set(f.ticker, eff.next);
    add(tradingDay(f.created_at, timezone), eff.next.realizedPnlMicros - cur.realizedPnlMicros);
  }
  for (const s of settlements) {
    const cur = state.get(s.ticker) ?? EMPTY_POSITION;
    const eff = applySettlement(cur, s.result, s.revenueMicros, s.feeMicros);
    state.set(s.ticker, EMPTY_POSITION);
    if (s.day !== null) add(s.day, eff.next.realizedPnlMicros - cur.realizedPnlMicros);
  }
  return byDay;
}

/** Rows for days with any fill, settlement or order sent, oldest first. */
export function dailyReport(source: LedgerSource, paper: boolean, r: DayRange): DailyReportRow[] {
  const db = connection(source);
  const days = new Map<string, DailyReportRow>();
  const row = (day: string): DailyReportRow => {
    let d = days.get(day);
    if (!d) {
      d = {
        day,
        fills: 0,
        contracts: 0,
        feesMicros: 0,
        realizedPnlMicros: 0,
        settlements: 0,
        settlementRevenueMicros: 0,
        netCashMicros: 0,
        ordersSent: 0,
      };
      days.set(day, d);
    }
    return d;
  };
  for (const f of fillsReport(db, paper, r)) {
    const d = row(f.day);
    d.fills++;
    d.contracts += f.count;
    d.feesMicros += f.feeMicros;
    d.netCashMicros += f.cashDeltaMicros;
  }
  const settlements = allSettlements(db, paper, r.timezone);
  for (const s of settlements) {
    if (!settlementInRange(s, r)) continue;
    const d = row(s.day ?? "unknown");
    d.settlements++;
    d.settlementRevenueMicros += s.revenueMicros;
    d.feesMicros += s.feeMicros;
    d.netCashMicros += s.revenueMicros - s.feeMicros;
  }
  // Orders the bot sent; an external order found on the exchange was not sent by it.
  for (const o of ordersReport(db, paper, r)) if (o.origin === "bot") row(o.day).ordersSent++;
  for (const [day, v] of realizedByDay(db, paper, r.timezone, settlements)) if (inRange(day, r)) row(day).realizedPnlMicros += v;
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/** Rows of the other book, so an empty report can say where the activity is. */
export function countOtherBook(source: LedgerSource, kind: "fills" | "orders" | "settlements", paper: boolean): number {
  const db = connection(source);
  return (db.query(`SELECT count(*) AS n FROM ${kind} WHERE paper = ?`).get(paper ? 0 : 1) as { n: number }).n;
}
