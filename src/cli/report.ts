// `kalshi-bot report fills|orders|settlements|daily`: the ledger as records for books, taxes and
// review. Like status it opens the database read-only and takes no lock, so it runs beside a
// trading bot; it writes nothing.
//
// Output: a table on a terminal, CSV (RFC 4180: header row, CRLF, quoted where needed) otherwise,
// so `kalshi-bot report fills > fills.csv` gives a spreadsheet file; JSON is one array. Amounts are
// exact decimal strings in every format (never floats): prices 4 dp, counts 2 dp, cash and fees
// 6 dp, the ledger's own units.
import { existsSync } from "node:fs";
import { defineCommand } from "citty";
import { configArgs, guarded, EXIT, UserError } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { displayPath } from "./backup.ts";
import { renderTable, terminalWidth } from "../ops/table.ts";
import { closeDb, DbError, openDb, type Db } from "../db/open.ts";
import { formatCount, formatMicros, formatPrice } from "../kalshi/money.ts";
import {
  checkTimezone,
  countOtherBook,
  dailyReport,
  fillsReport,
  isCalendarDay,
  missingReportTables,
  ordersReport,
  ReportInputError,
  settlementsReport,
  type DayRange,
} from "../engine/ledger-report.ts";
import type { BookSide } from "../strategies/types.ts";
import { COMMAND_META } from "./command-meta.ts";

const KINDS = ["fills", "orders", "settlements", "daily"] as const;
type Kind = (typeof KINDS)[number];
const FORMATS = ["table", "csv", "json"] as const;
type Format = (typeof FORMATS)[number];

type Cell = string | number | boolean | null;

interface Column<R> {
  name: string;
  get: (r: R) => Cell;
  /** Numbers line up on the right in the table. */
  right?: boolean;
  /** The table's totals row; omitted columns stay blank. */
  total?: (rows: R[]) => string;
  /** Long free text is cut in the table only (CSV and JSON keep it whole). */
  maxWidth?: number;
  /** An identifier: cut to fit a narrow terminal only after the free text. */
  cutLast?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
// The ledger stores the YES book's side: a bid buys YES at the price, an ask buys NO at 1 − price
// (position-math.ts). Kalshi's UI names the contract bought, so the report does too.
const sideLabel = (s: BookSide) => (s === "bid" ? "buy YES" : "buy NO");
const sum = <R>(rows: R[], f: (r: R) => number) => rows.reduce((a, r) => a + f(r), 0);

const COLUMNS = {
  fills: [
    { name: "time", get: (r) => iso(r.timeMs), total: (rows) => `total ${rows.length}` },
    { name: "ticker", get: (r) => r.ticker, cutLast: true },
    { name: "side", get: (r) => sideLabel(r.side) },
    { name: "count", get: (r) => formatCount(r.count), right: true, total: (rows) => formatCount(sum(rows, (r) => r.count)) },
    { name: "price", get: (r) => formatPrice(r.legPrice), right: true },
    { name: "yes_price", get: (r) => formatPrice(r.yesPrice), right: true },
    { name: "fee", get: (r) => formatMicros(r.feeMicros), right: true, total: (rows) => formatMicros(sum(rows, (r) => r.feeMicros)) },
    {
      name: "cash_effect",
      get: (r) => formatMicros(r.cashDeltaMicros),
      right: true,
      total: (rows) => formatMicros(sum(rows, (r) => r.cashDeltaMicros)),
    },
    { name: "is_taker", get: (r) => r.isTaker },
    { name: "order_id", get: (r) => r.orderId },
    { name: "client_order_id", get: (r) => r.clientOrderId },
  ] satisfies Column<ReturnType<typeof fillsReport>[number]>[],
  orders: [
    { name: "created", get: (r) => iso(r.createdMs), total: (rows) => `total ${rows.length}` },
    { name: "ticker", get: (r) => r.ticker, cutLast: true },
    { name: "side", get: (r) => sideLabel(r.side) },
    { name: "price", get: (r) => formatPrice(r.legPrice), right: true },
    { name: "yes_price", get: (r) => formatPrice(r.yesPrice), right: true },
    { name: "count", get: (r) => formatCount(r.count), right: true, total: (rows) => formatCount(sum(rows, (r) => r.count)) },
    { name: "filled", get: (r) => formatCount(r.filled), right: true, total: (rows) => formatCount(sum(rows, (r) => r.filled)) },
    { name: "status", get: (r) => r.status },
    { name: "strategy", get: (r) => r.strategy },
    { name: "reason", get: (r) => r.reason, maxWidth: 48 },
    { name: "client_order_id", get: (r) => r.clientOrderId },
    { name: "order_id", get: (r) => r.orderId },
    { name: "origin", get: (r) => r.origin },
  ] satisfies Column<ReturnType<typeof ordersReport>[number]>[],
  settlements: [
    { name: "time", get: (r) => (r.timeMs !== null ? iso(r.timeMs) : r.rawTime), total: (rows) => `total ${rows.length}` },
    { name: "ticker", get: (r) => r.ticker, cutLast: true },
    { name: "result", get: (r) => r.result },
    { name: "yes_count", get: (r) => formatCount(r.yesCount), right: true },
    { name: "no_count", get: (r) => formatCount(r.noCount), right: true },
    {
      name: "revenue",
      get: (r) => formatMicros(r.revenueMicros),
      right: true,
      total: (rows) => formatMicros(sum(rows, (r) => r.revenueMicros)),
    },
    { name: "fee", get: (r) => formatMicros(r.feeMicros), right: true, total: (rows) => formatMicros(sum(rows, (r) => r.feeMicros)) },
  ] satisfies Column<ReturnType<typeof settlementsReport>[number]>[],
  daily: [
    { name: "day", get: (r) => r.day, total: (rows) => `total ${rows.length}d` },
    { name: "fills", get: (r) => r.fills, right: true, total: (rows) => String(sum(rows, (r) => r.fills)) },
    { name: "contracts", get: (r) => formatCount(r.contracts), right: true, total: (rows) => formatCount(sum(rows, (r) => r.contracts)) },
    { name: "fees", get: (r) => formatMicros(r.feesMicros), right: true, total: (rows) => formatMicros(sum(rows, (r) => r.feesMicros)) },
    {
      name: "realized_pnl",
      get: (r) => formatMicros(r.realizedPnlMicros),
      right: true,
      total: (rows) => formatMicros(sum(rows, (r) => r.realizedPnlMicros)),
    },
    { name: "settlements", get: (r) => r.settlements, right: true, total: (rows) => String(sum(rows, (r) => r.settlements)) },
    {
      name: "settlement_revenue",
      get: (r) => formatMicros(r.settlementRevenueMicros),
      right: true,
      total: (rows) => formatMicros(sum(rows, (r) => r.settlementRevenueMicros)),
    },
    {
      name: "net_cash_change",
      get: (r) => formatMicros(r.netCashMicros),
      right: true,
      total: (rows) => formatMicros(sum(rows, (r) => r.netCashMicros)),
    },
    { name: "orders_sent", get: (r) => r.ordersSent, right: true, total: (rows) => String(sum(rows, (r) => r.ordersSent)) },
  ] satisfies Column<ReturnType<typeof dailyReport>[number]>[],
};

// ---- rendering -----------------------------------------------------------------------------------

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes doubled. */
function csvField(c: Cell): string {
  const s = c === null ? "" : String(c);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv<R>(cols: Column<R>[], rows: R[]): string {
  const lines = [cols.map((c) => csvField(c.name)).join(",")];
  for (const r of rows) lines.push(cols.map((c) => csvField(c.get(r))).join(","));
  return lines.join("\r\n") + "\r\n";
}

export function toJson<R>(cols: Column<R>[], rows: R[]): string {
  return (
    JSON.stringify(
      rows.map((r) => Object.fromEntries(cols.map((c) => [c.name, c.get(r)]))),
      null,
      2,
    ) + "\n"
  );
}

export function toTable<R>(cols: Column<R>[], rows: R[], width: number | null = terminalWidth()): string {
  const text = (v: Cell) => (v === null ? "-" : String(v));
  return renderTable(
    cols.map((c) => ({
      header: c.name,
      ...(c.right ? { right: true } : {}),
      ...(c.maxWidth ? { maxWidth: c.maxWidth } : {}),
      ...(c.cutLast ? { cutLast: true } : {}),
    })),
    rows.map((r) => cols.map((c) => text(c.get(r)))),
    { width, footer: cols.map((c) => (c.total ? c.total(rows) : "")) },
  );
}

// ---- input ---------------------------------------------------------------------------------------

function parseDay(flag: "since" | "until", v: unknown): string | null {
  if (v === undefined) return null;
  const s = String(v);
  if (!isCalendarDay(s)) throw new UserError(`--${flag} "${s}" is not a date; write it as YYYY-MM-DD, e.g. --${flag} 2026-01-31`);
  return s;
}

function parseKind(v: unknown): Kind {
  if (v === undefined || v === "")
    throw new UserError(`report needs a kind: kalshi-bot report ${KINDS.join("|")} (see kalshi-bot report --help)`);
  if (!(KINDS as readonly string[]).includes(String(v)))
    throw new UserError(`Unknown report "${String(v)}"; choose one of ${KINDS.join(", ")}: kalshi-bot report fills`);
  return v as Kind;
}

function parseFormat(v: unknown): Format {
  if (v === undefined) return process.stdout.isTTY === true ? "table" : "csv";
  if (!(FORMATS as readonly string[]).includes(String(v)))
    throw new UserError(`--format "${String(v)}" is not a format; choose table, csv or json`);
  return v as Format;
}

function describeRange(r: DayRange): string {
  if (r.since && r.until) return r.since === r.until ? `on ${r.since}` : `between ${r.since} and ${r.until}`;
  if (r.since) return `since ${r.since}`;
  if (r.until) return `up to ${r.until}`;
  return "yet";
}

/** SQLite errors met while reading (after a clean open): busy is retryable, the rest is the file's. */
function readError(path: string, e: unknown): UserError {
  const err = e as Error & { code?: string };
  const msg = (err?.message ?? String(e)).split("\n")[0]!;
  if (/SQLITE_BUSY|database is locked/i.test(`${err?.code ?? ""} ${msg}`)) {
    return new UserError(
      `database ${path} is locked by another process (${msg}); try again in a moment, or stop the program holding it`,
      EXIT.DATABASE_BUSY,
    );
  }
  return new UserError(
    `cannot read the ledger ${path} (${msg}); check it with \`kalshi-bot backup\` or restore one with \`kalshi-bot restore\``,
    EXIT.DATABASE,
  );
}

export async function reportMain(args: Record<string, unknown>): Promise<number> {
  const kind = parseKind(args.kind);
  const since = parseDay("since", args.since);
  const until = parseDay("until", args.until);
  if (since && until && until < since) throw new UserError(`--until ${until} is before --since ${since}; give the earlier day to --since`);
  const format = parseFormat(args.format);
  if (args.paper && args.live)
    throw new UserError("--paper and --live name different books; give one of them (or neither: the book the config trades)");
  const loaded = loadOrExplain(args as { config?: string }, { readOnly: true });
  // The book the config trades unless a flag names one: a dry-run user's activity is all paper.
  const paper = args.paper ? true : args.live ? false : loaded.config.trading.dry_run;
  const timezone = loaded.config.risk.timezone;
  try {
    checkTimezone(timezone);
  } catch (e) {
    if (e instanceof ReportInputError) throw new UserError(e.message);
    throw e;
  }
  const path = loaded.paths.database;
  if (!existsSync(path)) {
    throw new UserError(
      `no database at ${displayPath(path)} yet: the bot creates it on its first run (kalshi-bot --mode trade --once); if the bot runs with another config, give it with --config`,
    );
  }
  let db: Db;
  try {
    db = openDb(path, { readonly: true });
  } catch (e) {
    throw new UserError((e as Error).message, e instanceof DbError && e.busy ? EXIT.DATABASE_BUSY : EXIT.DATABASE);
  }
  try {
    let missing: string[];
    try {
      missing = missingReportTables(db);
    } catch (e) {
      throw readError(path, e);
    }
    if (missing.length) {
      throw new UserError(
        `${displayPath(path)} holds no kalshi-bot ledger (no ${missing.join(", ")} table); point paths.database at the bot's ledger, or run the bot once to create it`,
        EXIT.DATABASE,
      );
    }
    const range: DayRange = { since, until, timezone };
    let out: string;
    let n: number;
    try {
      const render = <R>(cols: Column<R>[], rows: R[]) => {
        n = rows.length;
        return format === "csv" ? toCsv(cols, rows) : format === "json" ? toJson(cols, rows) : toTable(cols, rows);
      };
      if (kind === "fills") out = render(COLUMNS.fills, fillsReport(db, paper, range));
      else if (kind === "orders") out = render(COLUMNS.orders, ordersReport(db, paper, range));
      else if (kind === "settlements") out = render(COLUMNS.settlements, settlementsReport(db, paper, range));
      else out = render(COLUMNS.daily, dailyReport(db, paper, range));
    } catch (e) {
      throw readError(path, e);
    }
    const book = paper ? "paper (dry-run) book" : "live book";
    if (n! === 0) {
      let other = 0;
      try {
        other = countOtherBook(db, kind === "daily" ? "orders" : kind, paper);
      } catch {
        // only a hint
      }
      const hint =
        other > 0
          ? `; the ${paper ? "live" : "paper (dry-run)"} book has ${other} ${kind === "daily" ? "orders" : kind}: ${paper ? "add --live" : "add --paper"}`
          : "";
      const what = kind === "daily" ? "activity" : kind;
      const line = `no ${what} ${describeRange(range)} in the ${book} of ${displayPath(path)} (trading days in ${timezone})${hint}`;
      // Machine formats stay parseable (a header row, an empty array); the note goes to stderr,
      // written directly because the logger sends info to stdout.
      if (format === "table") process.stdout.write(`${line}\n`);
      else {
        process.stdout.write(out);
        process.stderr.write(`${line}\n`);
      }
      return EXIT.OK;
    }
    if (format === "table") {
      const span = since || until ? `${since ?? "start"} … ${until ?? "now"}` : "all days";
      process.stdout.write(`${kind} of the ${book}, ${span} (trading days in ${timezone}), ${n!} row(s)\n`);
    }
    process.stdout.write(out);
    return EXIT.OK;
  } finally {
    closeDb(db);
  }
}

export default defineCommand({
  meta: COMMAND_META.report,
  args: {
    kind: { type: "positional", required: false, description: "fills | orders | settlements | daily", valueHint: "KIND" },
    ...configArgs,
    since: { type: "string", description: "First trading day to include, YYYY-MM-DD (in risk.timezone)", valueHint: "YYYY-MM-DD" },
    until: { type: "string", description: "Last trading day to include, YYYY-MM-DD (inclusive)", valueHint: "YYYY-MM-DD" },
    paper: {
      type: "boolean",
      description: "Report the paper (dry-run) book (default: the book the config trades, paper when trading.dry_run)",
    },
    live: { type: "boolean", description: "Report the live book (default: the book the config trades)" },
    format: { type: "string", description: "table | csv | json (default: table on a terminal, csv otherwise)", valueHint: "FORMAT" },
  },
  run: guarded(async ({ args }) => reportMain(args)),
});
