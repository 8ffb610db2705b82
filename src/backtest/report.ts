// What a backtest found, from the replay's fills and equity marks: P&L before and after fees per
// strategy and per event, fills, hit rate, max drawdown; written as text, JSON, CSV and an SVG
// equity curve. Money stays integer micros until it is formatted (exact decimal strings in files).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatMicros, formatPrice, formatCount, MICROS_PER_DOLLAR, type Micros } from "../kalshi/money.ts";
import type { BacktestFill, ReplayResult } from "./replay.ts";
import type { TapeEvent } from "./tape.ts";

export interface PnlRow {
  key: string;
  fills: number;
  contracts: number;
  grossMicros: Micros;
  feesMicros: Micros;
  netMicros: Micros;
}

export interface BacktestSummary {
  data: {
    format: "tape" | "recording";
    events: number;
    markets: number;
    trades: number;
    from: string;
    to: string;
    leftOutEvents: string[];
  };
  strategies: string[];
  startMicros: Micros;
  endMicros: Micros;
  total: PnlRow;
  byStrategy: PnlRow[];
  /** One row per event of the tape (also the ones without fills), key = event ticker. */
  byEvent: Array<PnlRow & { date: string; strategyNet: Record<string, Micros> }>;
  /** Share of (strategy, market) positions that made money after fees, among those with fills. */
  hitRate: number | null;
  positions: number;
  maxDrawdownMicros: Micros;
  maxDrawdownPct: number;
  passes: number;
  ordersCreated: number;
  ordersRejected: number;
  riskRejected: number;
  riskReasons: Array<[string, number]>;
  riskResized: number;
  settlements: number;
  halted: { at: string; reason: string } | null;
  /** End cash − start cash − Σ net of the fills: 0 when the ledger and the per-fill figures agree. */
  ledgerCheckMicros: Micros;
  /** Stretches a recorded book was unknown (left out of the passes). */
  bookGaps: Array<{ ticker: string; from: string; to: string | null; reason: string }>;
  /** Market-minutes of open markets whose book was unknown. */
  unknownBookMinutes: number;
}

const emptyRow = (key: string): PnlRow => ({ key, fills: 0, contracts: 0, grossMicros: 0, feesMicros: 0, netMicros: 0 });

function add(row: PnlRow, f: BacktestFill): void {
  row.fills++;
  row.contracts += f.count;
  row.grossMicros += f.grossMicros;
  row.feesMicros += f.feeMicros;
  row.netMicros += f.grossMicros - f.feeMicros;
}

export function summarize(
  r: ReplayResult,
  events: readonly TapeEvent[],
  trades: number,
  input: { format: "tape" | "recording"; leftOut?: string[] } = { format: "tape" },
): BacktestSummary {
  const total = emptyRow("total");
  const byStrategy = new Map<string, PnlRow>(r.strategies.map((s) => [s, emptyRow(s)]));
  const byEvent = new Map(
    events.map((e) => [e.eventTicker, { ...emptyRow(e.eventTicker), date: e.date, strategyNet: {} as Record<string, Micros> }]),
  );
  const byPosition = new Map<string, Micros>();
  for (const f of r.fills) {
    add(total, f);
    if (!byStrategy.has(f.strategy)) byStrategy.set(f.strategy, emptyRow(f.strategy));
    add(byStrategy.get(f.strategy)!, f);
    const ev = byEvent.get(f.eventTicker)!;
    add(ev, f);
    ev.strategyNet[f.strategy] = (ev.strategyNet[f.strategy] ?? 0) + f.grossMicros - f.feeMicros;
    const k = `${f.strategy}\u0000${f.ticker}`;
    byPosition.set(k, (byPosition.get(k) ?? 0) + f.grossMicros - f.feeMicros);
  }
  let peak = r.startMicros;
  let dd = 0;
  let ddPct = 0;
  for (const [, v] of r.equity) {
    if (v > peak) peak = v;
    if (peak - v > dd) {
      dd = peak - v;
      ddPct = peak > 0 ? ((peak - v) / peak) * 100 : 0;
    }
  }
  const wins = [...byPosition.values()].filter((v) => v > 0).length;
  const dates = events.map((e) => e.date);
  return {
    data: {
      format: input.format,
      events: events.length,
      markets: events.reduce((a, e) => a + e.markets.length, 0),
      trades,
      from: dates[0] ?? "",
      to: dates[dates.length - 1] ?? "",
      leftOutEvents: input.leftOut ?? [],
    },
    strategies: r.strategies,
    startMicros: r.startMicros,
    endMicros: r.endCashMicros,
    total,
    byStrategy: [...byStrategy.values()],
    byEvent: [...byEvent.values()],
    hitRate: byPosition.size ? wins / byPosition.size : null,
    positions: byPosition.size,
    maxDrawdownMicros: dd,
    maxDrawdownPct: ddPct,
    passes: r.passes,
    ordersCreated: r.ordersCreated,
    ordersRejected: r.ordersRejected,
    riskRejected: r.riskRejected,
    riskReasons: r.riskReasons,
    riskResized: r.riskResized,
    settlements: r.settlements,
    halted: r.halted ? { at: new Date(r.halted.atMs).toISOString(), reason: r.halted.reason } : null,
    ledgerCheckMicros: r.endCashMicros - r.startMicros - total.netMicros,
    bookGaps: r.bookGaps.map((g) => ({
      ticker: g.ticker,
      from: new Date(g.fromMs).toISOString(),
      to: g.toMs === null ? null : new Date(g.toMs).toISOString(),
      reason: g.reason,
    })),
    unknownBookMinutes: unknownMinutes(r, events),
  };
}

/** Minutes each gap overlapped its market's trading hours (open to close, within the data), summed. */
function unknownMinutes(r: ReplayResult, events: readonly TapeEvent[]): number {
  const close = new Map(events.flatMap((e) => e.markets.map((m) => [m.ticker, m.closeMs] as const)));
  let ms = 0;
  for (const g of r.bookGaps) {
    const end = Math.min(g.toMs ?? r.lastMs, close.get(g.ticker) ?? r.lastMs);
    ms += Math.max(0, end - g.fromMs);
  }
  return ms / 60_000;
}

const usd = (m: Micros): string => {
  const s = formatMicros(m);
  const [i, d = ""] = s.split(".");
  return `${i}.${d.slice(0, 2)}`;
};

/** The report a person reads on the terminal. */
export function renderText(s: BacktestSummary, files: string[]): string {
  const lines: string[] = [];
  lines.push(
    `Backtest: ${s.data.events} events, ${s.data.markets} markets, ${s.data.trades} trades (${s.data.from} to ${s.data.to}); strategies: ${s.strategies.join(", ") || "none enabled"}`,
  );
  const leftOut = s.data.leftOutEvents.length
    ? `${s.data.leftOutEvents.length} event(s) left out, a market without a yes/no result (not settled, or voided): ${s.data.leftOutEvents.slice(0, 3).join(", ")}${s.data.leftOutEvents.length > 3 ? ", …" : ""}`
    : "";
  if (s.data.format === "tape" && leftOut) lines.push(`Input: a trade tape; ${leftOut}`);
  if (s.data.format === "recording") {
    lines.push(`Input: a recording (the real order book from snapshots and deltas)${leftOut ? `; ${leftOut}` : ""}`);
    lines.push(
      `Book gaps: ${s.bookGaps.length}${s.bookGaps.length ? ` (books unknown for ${s.unknownBookMinutes.toFixed(1)} market-minutes until the next snapshot; no strategy acted on them)` : ""}`,
    );
  }
  lines.push(
    `Bankroll $${usd(s.startMicros)} -> $${usd(s.endMicros)}; ${s.passes} passes, ${s.ordersCreated} orders (${s.ordersRejected} rejected by the paper exchange, ${s.riskRejected} refused and ${s.riskResized} resized by the risk gate), ${s.settlements} settlements`,
  );
  if (s.riskReasons.length)
    lines.push(
      `Risk gate refusals, most frequent: ${s.riskReasons
        .slice(0, 2)
        .map(([why, n]) => `${n}x "${why}"`)
        .join(", ")} (# = a number)`,
    );
  if (s.halted) lines.push(`HALTED by the risk gate at ${s.halted.at}: ${s.halted.reason} (the bot would wait for an operator from there)`);
  const head = ["", "fills", "contracts", "P&L before fees", "fees", "P&L after fees"];
  const row = (r: PnlRow) => [r.key, String(r.fills), formatCount(r.contracts), usd(r.grossMicros), usd(r.feesMicros), usd(r.netMicros)];
  const table = [head, ...s.byStrategy.map(row), row(s.total)];
  const w = head.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const r of table) lines.push(r.map((x, c) => (c === 0 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join("  "));
  const traded = s.byEvent.filter((e) => e.fills > 0);
  const best = [...traded].sort((a, b) => b.netMicros - a.netMicros)[0];
  const worst = [...traded].sort((a, b) => a.netMicros - b.netMicros)[0];
  lines.push(
    `Events traded: ${traded.length} of ${s.byEvent.length}, ${traded.filter((e) => e.netMicros > 0).length} profitable after fees${best ? `; best ${best.key} $${usd(best.netMicros)}, worst ${worst!.key} $${usd(worst!.netMicros)}` : ""}`,
  );
  lines.push(
    `Hit rate: ${s.hitRate === null ? "n/a (no fills)" : `${(s.hitRate * 100).toFixed(1)}% of ${s.positions} positions (strategy x market) made money after fees`}`,
  );
  lines.push(`Max drawdown: $${usd(s.maxDrawdownMicros)} (${s.maxDrawdownPct.toFixed(2)}% of the peak)`);
  lines.push(`Wrote ${files.join(", ")}`);
  return lines.join("\n") + "\n";
}

function csvCell(v: string | number | boolean): string {
  const t = String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}
const csv = (rows: Array<Array<string | number | boolean>>) => rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";

/** Equity curve as a self-contained SVG (no script, no external reference). */
export function equitySvg(equity: ReadonlyArray<readonly [number, Micros]>, startMicros: Micros, title: string): string {
  const W = 900;
  const H = 360;
  const L = 80;
  const R = 20;
  const T = 40;
  const B = 40;
  const pts: Array<readonly [number, Micros]> = equity.length ? [...equity] : [[0, startMicros]];
  // At most ~2 points per pixel column: the min and max of each column, so no dip is hidden.
  const t0 = pts[0]![0];
  const t1 = Math.max(t0 + 1, pts[pts.length - 1]![0]);
  const cols = new Map<number, { lo: readonly [number, Micros]; hi: readonly [number, Micros] }>();
  for (const p of pts) {
    const c = Math.floor(((p[0] - t0) / (t1 - t0)) * (W - L - R));
    const e = cols.get(c);
    if (!e) cols.set(c, { lo: p, hi: p });
    else {
      if (p[1] < e.lo[1]) e.lo = p;
      if (p[1] > e.hi[1]) e.hi = p;
    }
  }
  const kept = [...cols.values()].flatMap((e) => (e.lo === e.hi ? [e.lo] : [e.lo, e.hi].sort((a, b) => a[0] - b[0])));
  let lo = Math.min(startMicros, ...kept.map((p) => p[1]));
  let hi = Math.max(startMicros, ...kept.map((p) => p[1]));
  if (hi === lo) {
    hi += MICROS_PER_DOLLAR;
    lo -= MICROS_PER_DOLLAR;
  }
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const line = kept.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${L}" y="22" font-size="14">${esc(title)}</text>
<line x1="${L}" y1="${y(startMicros).toFixed(1)}" x2="${W - R}" y2="${y(startMicros).toFixed(1)}" stroke="#999" stroke-dasharray="4 4"/>
<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>
<text x="${L - 6}" y="${T + 4}" text-anchor="end">$${usd(hi)}</text>
<text x="${L - 6}" y="${H - B}" text-anchor="end">$${usd(lo)}</text>
<text x="${L - 6}" y="${(y(startMicros) + 4).toFixed(1)}" text-anchor="end" fill="#666">$${usd(startMicros)}</text>
<text x="${L}" y="${H - B + 18}">${day(t0)}</text>
<text x="${W - R}" y="${H - B + 18}" text-anchor="end">${day(t1)}</text>
<polyline fill="none" stroke="#1f6fb2" stroke-width="1.5" points="${line}"/>
</svg>
`;
}

/** Write summary.json, fills.csv, events.csv, strategies.csv, equity.csv and equity.svg into `dir`. */
export function writeOutputs(dir: string, s: BacktestSummary, r: ReplayResult): string[] {
  const money = (row: PnlRow) => [
    row.fills,
    formatCount(row.contracts),
    formatMicros(row.grossMicros),
    formatMicros(row.feesMicros),
    formatMicros(row.netMicros),
  ];
  const files: Array<[string, string]> = [
    [
      "summary.json",
      JSON.stringify(
        {
          data: {
            format: s.data.format,
            events: s.data.events,
            markets: s.data.markets,
            trades: s.data.trades,
            from: s.data.from,
            to: s.data.to,
            left_out_events: s.data.leftOutEvents,
          },
          strategies: s.strategies,
          start_dollars: formatMicros(s.startMicros),
          end_dollars: formatMicros(s.endMicros),
          total: jsonRow(s.total),
          by_strategy: s.byStrategy.map(jsonRow),
          by_event: s.byEvent.map((e) => ({
            ...jsonRow(e),
            date: e.date,
            strategy_net_dollars: Object.fromEntries(Object.entries(e.strategyNet).map(([k, v]) => [k, formatMicros(v)])),
          })),
          hit_rate: s.hitRate,
          positions: s.positions,
          max_drawdown_dollars: formatMicros(s.maxDrawdownMicros),
          max_drawdown_pct: Number(s.maxDrawdownPct.toFixed(4)),
          passes: s.passes,
          orders_created: s.ordersCreated,
          orders_rejected: s.ordersRejected,
          risk_rejected: s.riskRejected,
          risk_reasons: s.riskReasons.map(([reason, count]) => ({ reason, count })),
          risk_resized: s.riskResized,
          settlements: s.settlements,
          halted: s.halted,
          ledger_check_dollars: formatMicros(s.ledgerCheckMicros),
          book_gaps: s.bookGaps,
          unknown_book_minutes: Number(s.unknownBookMinutes.toFixed(3)),
        },
        null,
        2,
      ) + "\n",
    ],
    [
      "fills.csv",
      csv([
        [
          "time",
          "event",
          "ticker",
          "strategy",
          "side",
          "yes_price",
          "count",
          "is_taker",
          "fee",
          "result",
          "pnl_before_fees",
          "pnl_after_fees",
        ],
        ...r.fills.map((f) => [
          new Date(f.tsMs).toISOString(),
          f.eventTicker,
          f.ticker,
          f.strategy,
          f.side === "bid" ? "buy YES" : "buy NO",
          formatPrice(f.price),
          formatCount(f.count),
          f.isTaker,
          formatMicros(f.feeMicros),
          f.result,
          formatMicros(f.grossMicros),
          formatMicros(f.grossMicros - f.feeMicros),
        ]),
      ]),
    ],
    [
      "events.csv",
      csv([
        ["event", "date", "fills", "contracts", "pnl_before_fees", "fees", "pnl_after_fees"],
        ...s.byEvent.map((e) => [e.key, e.date, ...money(e)]),
      ]),
    ],
    [
      "strategies.csv",
      csv([
        ["strategy", "fills", "contracts", "pnl_before_fees", "fees", "pnl_after_fees"],
        ...[...s.byStrategy, s.total].map((e) => [e.key, ...money(e)]),
      ]),
    ],
    ["equity.csv", csv([["time", "equity"], ...r.equity.map(([t, v]) => [new Date(t).toISOString(), formatMicros(v)])])],
    [
      "equity.svg",
      equitySvg(
        r.equity,
        r.startMicros,
        `Equity, ${s.data.from} to ${s.data.to} (${s.strategies.join(", ")}): $${usd(s.startMicros)} -> $${usd(s.endMicros)}`,
      ),
    ],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return files.map(([n]) => join(dir, n));
}

function jsonRow(r: PnlRow) {
  return {
    key: r.key,
    fills: r.fills,
    contracts: formatCount(r.contracts),
    pnl_before_fees_dollars: formatMicros(r.grossMicros),
    fees_dollars: formatMicros(r.feesMicros),
    pnl_after_fees_dollars: formatMicros(r.netMicros),
  };
}
