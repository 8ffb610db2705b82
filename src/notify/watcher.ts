// What the notifier tells: it watches the ledger (read-only, by id cursors), the heartbeat and the
// kill-switch file, and turns what is new since the last look into messages. It runs beside the
// engine (in the daemon's process or in `kalshi-bot dashboard --notify`), so the engine itself
// knows nothing about notifications and a slow channel can never hold up an order.
//
// History before the watcher started is never announced: the cursors start at the ledger's newest
// rows.
import type { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import type { LoadedConfig } from "../config/load.ts";
import { dailyReport } from "../engine/ledger-report.ts";
import { legPrice, tradingDay } from "../engine/risk.ts";
import { writeFileAtomic } from "../ops/atomic.ts";
import { readHeartbeat, type Heartbeat } from "../ops/heartbeat.ts";
import { fileSwitch } from "../ops/kill-switch.ts";
import { formatCount, formatDollars2, formatPrice } from "../kalshi/money.ts";
import {
  fillsAfter,
  hasTables,
  maxAuditId,
  newestIds,
  notableAuditAfter,
  openLedgerReadOnly,
  orderEventsAfter,
  type NotifyFillRow,
} from "../engine/ledger/read-views.ts";

export type NotifyEvent = "fills" | "rejections" | "risk" | "pause" | "drift" | "start_stop" | "daily_summary";

export interface WatcherOptions {
  loaded: LoadedConfig;
  events: ReadonlySet<NotifyEvent>;
  /** Queue a message (the outbox de-duplicates by key). */
  send: (text: string, key: string) => void;
  fillBatchMs: number;
  now?: () => number;
}

const MAX_LINES = 8;

/** What the bot did with its resting orders at exit (heartbeat exit_orders, trading.cancel_on_exit). */
function exitOrdersText(hb: Heartbeat, canceledLastPoll: number): string {
  const x = hb.exit_orders;
  if (x) {
    if (x.policy === "keep") return `, ${x.kept} resting order(s) kept (trading.cancel_on_exit is off)`;
    return `, ${x.canceled} resting order(s) cancelled on exit${x.not_canceled ? `, ${x.not_canceled} could not be` : ""}`;
  }
  return canceledLastPoll ? `, ${canceledLastPoll} order(s) cancelled on the way out` : "";
}

export class LedgerWatcher {
  private fillId = 0;
  private auditId = 0;
  private eventId = 0;
  private hbKey: string | null = null;
  private hbStatus: string | null = null;
  private hbError: string | null = null;
  private paused = false;
  private day: string;
  private pending: NotifyFillRow[] = [];
  private pendingSince = 0;
  private canceledLastPoll = 0;
  private readonly paper: boolean;
  private readonly tz: string;
  private readonly statePath: string;

  constructor(private readonly o: WatcherOptions) {
    this.paper = o.loaded.config.trading.dry_run;
    this.tz = o.loaded.config.risk.timezone;
    this.statePath = `${o.loaded.paths.reportsDir}/notify-state.json`;
    this.day = tradingDay(this.now(), this.tz);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private on(e: NotifyEvent): boolean {
    return this.o.events.has(e);
  }

  get tag(): string {
    const c = this.o.loaded.config;
    return `kalshi-bot (${c.exchange.environment}${c.trading.dry_run ? ", paper" : ", LIVE"})`;
  }

  /** Start from now: the newest rows, the current heartbeat and pause state. */
  init(): void {
    const hb = this.heartbeat();
    if (hb) {
      this.hbKey = `${hb.pid}:${hb.started_at ?? ""}`;
      this.hbStatus = hb.status;
      this.hbError = hb.last_error;
    }
    this.paused = fileSwitch(this.o.loaded.paths.killSwitchFile).on;
    this.withDb((db) => {
      const newest = newestIds(db);
      this.fillId = newest.fills;
      this.auditId = newest.auditLog;
      this.eventId = newest.orderEvents;
    });
  }

  private heartbeat(): Heartbeat | null {
    try {
      return readHeartbeat(this.o.loaded.paths.heartbeat);
    } catch {
      return null;
    }
  }

  private withDb(fn: (db: Database) => void): void {
    const db = openLedgerReadOnly(this.o.loaded.paths.database);
    if (!db) return;
    try {
      if (hasTables(db, "fills", "audit_log", "order_events", "orders", "settlements")) fn(db);
    } finally {
      db.close();
    }
  }

  /** One look; `final` (the bot is stopping) sends gathered fills at once. */
  poll(final = false): void {
    this.withDb((db) => {
      this.readFills(db);
      this.readOrderEvents(db);
      this.readAudit(db);
    });
    this.flushFills(final);
    this.watchPause();
    this.watchHeartbeat();
    this.dailySummary();
  }

  private readFills(db: Database): void {
    const rows = fillsAfter(db, this.fillId);
    for (const r of rows) {
      this.fillId = r.id;
      if ((r.paper !== 0) !== this.paper || !this.on("fills")) continue;
      if (this.pending.length === 0) this.pendingSince = this.now();
      this.pending.push(r);
    }
  }

  private flushFills(final: boolean): void {
    if (this.pending.length === 0) return;
    if (!final && this.now() - this.pendingSince < this.o.fillBatchMs) return;
    const fills = this.pending;
    this.pending = [];
    const fees = fills.reduce((s, f) => s + f.fee_micros, 0);
    const cash = fills.reduce((s, f) => s + f.cash_delta_micros, 0);
    const lines = fills
      .slice(0, MAX_LINES)
      .map(
        (f) =>
          `• bought ${formatCount(f.count)} ${f.side === "bid" ? "YES" : "NO"} ${f.ticker} @ ${formatPrice(legPrice(f.side, f.price))} (fee $${formatDollars2(f.fee_micros)})`,
      );
    if (fills.length > MAX_LINES) lines.push(`… and ${fills.length - MAX_LINES} more`);
    this.o.send(
      `${this.tag}: ${fills.length} fill(s), fees $${formatDollars2(fees)}, cash ${signed(cash)}\n${lines.join("\n")}`,
      `fills:${fills[0]!.id}-${fills[fills.length - 1]!.id}`,
    );
  }

  private readOrderEvents(db: Database): void {
    const rows = orderEventsAfter(db, this.eventId);
    const rejected: string[] = [];
    let firstId = 0;
    this.canceledLastPoll = 0;
    for (const r of rows) {
      this.eventId = r.id;
      if ((r.paper !== 0) !== this.paper) continue;
      if (r.status === "canceled") this.canceledLastPoll++;
      if (r.status !== "rejected") continue;
      firstId ||= r.id;
      rejected.push(
        `• ${r.side === "bid" ? "buy YES" : "buy NO"} ${formatCount(r.count)} ${r.ticker} @ ${formatPrice(legPrice(r.side, r.price))}${r.strategy ? ` (${r.strategy})` : ""}: ${oneLine(r.error ?? r.detail ?? "rejected")}`,
      );
    }
    if (rejected.length && this.on("rejections")) {
      const shown = rejected.slice(0, MAX_LINES);
      if (rejected.length > MAX_LINES) shown.push(`… and ${rejected.length - MAX_LINES} more`);
      this.o.send(`${this.tag}: ${rejected.length} order(s) rejected\n${shown.join("\n")}`, `rejected:${firstId}-${this.eventId}`);
    }
  }

  private readAudit(db: Database): void {
    const LIMIT = 1000;
    // The newest id first, then only rows up to it: a row written between the two reads waits for
    // the next look instead of being skipped.
    const newest = maxAuditId(db) ?? this.auditId;
    const rows = notableAuditAfter(db, this.auditId, newest, LIMIT);
    for (const r of rows) {
      const key = `audit:${r.id}`;
      if (r.kind === "risk_state" && this.on("risk")) {
        const halted = /→ halted/.test(r.message);
        this.o.send(
          `${this.tag}: ${halted ? "HALTED by a risk limit" : "risk state"}: ${oneLine(r.message)}${halted ? "\nResting orders are cancelled; no new orders until `kalshi-bot run --reset-halt` after review." : ""}`,
          key,
        );
      } else if (r.kind === "risk_reset" && this.on("risk")) this.o.send(`${this.tag}: ${oneLine(r.message)}`, key);
      else if (r.kind === "reconcile_failed" && this.on("drift"))
        this.o.send(`${this.tag}: reconciliation found drift, trading stopped until it agrees: ${oneLine(r.message)}`, key);
      else if (r.kind === "cash_adjust" && this.on("drift"))
        this.o.send(`${this.tag}: cash drift with the exchange recorded: ${oneLine(r.message)}`, key);
    }
    // Past the rows of other kinds too, unless this look stopped at its limit.
    this.auditId = rows.length === LIMIT ? rows[rows.length - 1]!.id : newest;
  }

  private watchPause(): void {
    const f = fileSwitch(this.o.loaded.paths.killSwitchFile);
    if (f.on === this.paused) return;
    this.paused = f.on;
    if (!this.on("pause")) return;
    const at = new Date(this.now()).toISOString();
    this.o.send(
      f.on
        ? `${this.tag}: PAUSED${f.reason ? `: ${oneLine(f.reason)}` : ""}. No new orders; resting ones are cancelled.`
        : `${this.tag}: resumed; trading from its next cycle.`,
      `pause:${f.on}:${at}`,
    );
  }

  private watchHeartbeat(): void {
    // `degraded` (the exchange failing or hung) says why in last_error just as `error` does.
    const failing = (st: string | null) => st === "error" || st === "degraded";
    const hb = this.heartbeat();
    if (!hb) return;
    const key = `${hb.pid}:${hb.started_at ?? ""}`;
    const on = this.on("start_stop");
    if (key !== this.hbKey) {
      this.hbKey = key;
      // A new process: its first status counts as a change (one that halted within a look still
      // gets its stop message).
      this.hbStatus = null;
      this.hbError = null;
      if (on && hb.status !== "stopped") {
        this.o.send(
          `${this.tag}: started (PID ${hb.pid}, kalshi-bot ${hb.version}, ${hb.mode} mode, one cycle every ${hb.cycle_interval_seconds} s${hb.kill_switch ? ", kill switch ON" : ""})`,
          `start:${key}`,
        );
      }
    }
    if (hb.status !== this.hbStatus) {
      const prev = this.hbStatus;
      this.hbStatus = hb.status;
      if (on && (hb.status === "stopped" || hb.status === "halted")) {
        const cancelled = exitOrdersText(hb, this.canceledLastPoll);
        this.o.send(
          `${this.tag}: stopped${hb.status === "halted" ? " (halted by a risk limit)" : ""} after cycle ${hb.cycle}: ${hb.open_orders} open order(s) left${cancelled}${hb.bankroll ? `, bankroll $${hb.bankroll.total_dollars}` : ""}`,
          `stop:${key}`,
        );
      } else if (on && failing(hb.status) && !failing(prev)) this.hbError = null;
    }
    if (on && failing(hb.status) && hb.last_error && hb.last_error !== this.hbError) {
      this.hbError = hb.last_error;
      this.o.send(`${this.tag}: cycle ${hb.cycle} failed: ${oneLine(hb.last_error)}`, `error:${key}:${hb.last_error}`);
    }
  }

  private lastSummaryDay(): string | null {
    try {
      const j = JSON.parse(readFileSync(this.statePath, "utf8")) as { last_summary_day?: unknown };
      return typeof j.last_summary_day === "string" ? j.last_summary_day : null;
    } catch {
      return null;
    }
  }

  private dailySummary(): void {
    const today = tradingDay(this.now(), this.tz);
    if (today === this.day) return;
    const ended = this.day;
    this.day = today;
    if (!this.on("daily_summary") || this.lastSummaryDay() === ended) return;
    let text = `${this.tag}: trading day ${ended} (${this.tz}) ended: no fills, no settlements`;
    this.withDb((db) => {
      const d = dailyReport(db, this.paper, { since: ended, until: ended, timezone: this.tz })[0];
      if (d)
        text = `${this.tag}: trading day ${ended} (${this.tz}): realized P&L $${formatDollars2(d.realizedPnlMicros)} before fees, fees $${formatDollars2(d.feesMicros)}, net cash ${signed(d.netCashMicros)}; ${d.fills} fill(s) (${formatCount(d.contracts)} contracts), ${d.settlements} settlement(s), ${d.ordersSent} order(s) sent`;
    });
    const hb = this.heartbeat();
    if (hb?.bankroll) text += `; bankroll $${hb.bankroll.total_dollars}`;
    this.o.send(text, `daily:${ended}`);
    try {
      writeFileAtomic(this.statePath, JSON.stringify({ last_summary_day: ended }) + "\n", 0o644);
    } catch {
      // Only a repeat summary after a restart is at stake.
    }
  }
}

function signed(micros: number): string {
  return `${micros < 0 ? "-" : "+"}$${formatDollars2(Math.abs(micros))}`;
}

function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
