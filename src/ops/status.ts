// What the bot is doing, from the heartbeat and a read-only look at the ledger: `kalshi-bot status`,
// the dashboard and Telegram's /status all read it here. Takes no lock and never writes: safe while
// the bot runs, and says so plainly when there is nothing yet (no heartbeat, no database).
import type { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { ConfigError, loadConfig, type LoadedConfig } from "../config/load.ts";
import { UserError } from "../errors.ts";
import { readHeartbeat, HeartbeatError, type Heartbeat } from "./heartbeat.ts";
import { isLockHeld, readLockHolder } from "./lock.ts";
import { fileSwitch } from "./kill-switch.ts";
import { judgeHeartbeat } from "./watchdog.ts";
import { renderTable } from "./table.ts";
import { dailyReport, missingReportTables } from "../engine/ledger-report.ts";
import {
  hasTables,
  openLedgerReadOnly,
  statusLedgerView,
  type StatusCycleRow,
  type StatusOrderRow,
  type StatusPositionRow,
} from "../engine/ledger/read-views.ts";
import { tradingDay } from "../engine/risk.ts";
import { formatCount, formatDollars2, formatPrice } from "../kalshi/money.ts";

export interface StatusReport {
  heartbeat: {
    path: string;
    present: boolean;
    error: string | null;
    data: Heartbeat | null;
    verdict: { healthy: boolean; reason: string } | null;
  };
  lock: { path: string; held: boolean; pid: number | null };
  /** The kill-switch file (kalshi-bot pause); the bot's own BOT_DISABLE_TRADING shows in its heartbeat. */
  pause: { path: string; active: boolean; reason: string | null };
  database: { path: string; present: boolean; error: string | null; bytes?: number };
  /** A cash difference with the exchange one reconciliation saw and the next must confirm (micros, + = ledger above). */
  cash_drift_unconfirmed_dollars?: string;
  /** The unconfirmed drift was read while orders rested: a lower bound of the difference. */
  cash_drift_at_least?: boolean;
  ledger: "paper" | "live";
  /** trading.cancel_on_exit: false leaves the bot's resting orders on the exchange when it exits, on purpose. */
  cancel_on_exit: boolean;
  positions: StatusPositionRow[];
  open_orders: StatusOrderRow[];
  /**
   * The trading day in risk.timezone, as `report daily` counts it (the same function): fills,
   * fees (fills and settlements), realized P&L before fees, settlements.
   */
  today: { date: string; timezone: string; fills: number; fees_dollars: string; realized_pnl_dollars: string; settlements: number } | null;
  totals: { realized_pnl_dollars: string; fees_dollars: string } | null;
  last_cycles: StatusCycleRow[];
  balance: { cash_dollars: string; portfolio_value_dollars: string; at: string } | null;
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function iso(ms: number | null): string {
  return ms === null ? "-" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The config `status` was pointed at (read only; a bad config is one clear line, exit 2). */
function loadForStatus(args: { config?: string; "lock-file"?: string }): LoadedConfig {
  try {
    return loadConfig({ configPath: args.config, lockFile: args["lock-file"] });
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, 2, e.problems);
    throw e;
  }
}

export function collectStatus(args: Record<string, unknown>, now = new Date()): StatusReport {
  const loaded = loadForStatus(args as { config?: string; "lock-file"?: string });
  const hbPath = loaded.paths.heartbeat;
  let hb: Heartbeat | null = null;
  let hbError: string | null = null;
  try {
    hb = readHeartbeat(hbPath);
  } catch (e) {
    hbError = e instanceof HeartbeatError ? e.message : (e as Error).message;
  }
  const verdict = hb
    ? judgeHeartbeat(hbPath, {
        maxAgeSeconds: loaded.config.watchdog.max_heartbeat_age_seconds,
        fallbackIntervalSeconds: loaded.config.trading.cycle_interval_seconds,
        minBankrollDollars: loaded.config.watchdog.min_bankroll_dollars,
        maxRssMb: loaded.config.watchdog.max_rss_mb,
        lockFile: loaded.paths.lockFile,
        now,
      })
    : null;
  const paper = hb ? hb.dry_run : loaded.config.trading.dry_run;
  const report: StatusReport = {
    heartbeat: {
      path: hbPath,
      present: hb !== null,
      error: hbError,
      data: hb,
      verdict: verdict ? { healthy: verdict.healthy, reason: verdict.reason } : null,
    },
    lock: { path: loaded.paths.lockFile, held: isLockHeld(loaded.paths.lockFile), pid: readLockHolder(loaded.paths.lockFile) },
    pause: (() => {
      const f = fileSwitch(loaded.paths.killSwitchFile);
      return { path: loaded.paths.killSwitchFile, active: f.on, reason: f.reason ?? null };
    })(),
    database: { path: loaded.paths.database, present: existsSync(loaded.paths.database), error: null },
    ledger: paper ? "paper" : "live",
    cancel_on_exit: loaded.config.trading.cancel_on_exit,
    positions: [],
    open_orders: [],
    today: null,
    totals: null,
    last_cycles: [],
    balance: null,
  };
  if (!report.database.present) return report;
  let db: Database | null;
  try {
    db = openLedgerReadOnly(loaded.paths.database, 5000);
  } catch (e) {
    report.database.error = `cannot open ${loaded.paths.database} read-only (${(e as Error).message})`;
    return report;
  }
  if (!db) {
    report.database.present = false;
    return report;
  }
  try {
    if (!hasTables(db, "positions", "orders", "cycles")) {
      report.database.error = `${loaded.paths.database} is not a kalshi-bot ledger (tables missing)`;
      return report;
    }
    const view = statusLedgerView(db, paper);
    report.positions = view.positions;
    report.open_orders = view.openOrders;
    if (missingReportTables(db).length === 0) {
      // Validated at load (config/risk-schema.ts), so Intl knows it.
      const timezone = loaded.config.risk.timezone;
      const day = tradingDay(now.getTime(), timezone);
      const row = dailyReport(db, paper, { since: day, until: day, timezone })[0];
      report.today = {
        date: day,
        timezone,
        fills: row?.fills ?? 0,
        fees_dollars: formatDollars2(row?.feesMicros ?? 0),
        realized_pnl_dollars: formatDollars2(row?.realizedPnlMicros ?? 0),
        settlements: row?.settlements ?? 0,
      };
    }
    report.totals = {
      realized_pnl_dollars: formatDollars2(view.totals.realizedPnlMicros),
      fees_dollars: formatDollars2(view.totals.feesMicros),
    };
    try {
      report.database.bytes =
        statSync(loaded.paths.database).size +
        (existsSync(`${loaded.paths.database}-wal`) ? statSync(`${loaded.paths.database}-wal`).size : 0);
    } catch {}
    if (view.cashDrift) {
      report.cash_drift_unconfirmed_dollars = formatDollars2(view.cashDrift.micros);
      if (!view.cashDrift.exact) report.cash_drift_at_least = true;
    }
    report.last_cycles = view.lastCycles;
    const b = view.balance;
    if (b)
      report.balance = {
        cash_dollars: formatDollars2(b.cash_micros),
        portfolio_value_dollars: formatDollars2(b.portfolio_value_micros),
        at: iso(b.at),
      };
  } catch (e) {
    report.database.error = `cannot read ${loaded.paths.database} (${(e as Error).message})`;
  } finally {
    db.close();
  }
  return report;
}

/**
 * The human view. Paths are absolute (status is often run from another folder than the bot's);
 * the tables fit `width` (the terminal's, or null for no limit, e.g. a Telegram message).
 */
export function renderStatus(r: StatusReport, width: number | null = null): string {
  const out: string[] = [];
  const hb = r.heartbeat.data;
  if (hb) {
    out.push(
      `Bot:        ${hb.status}${r.heartbeat.verdict ? (r.heartbeat.verdict.healthy ? " (healthy)" : ` (UNHEALTHY: ${r.heartbeat.verdict.reason})`) : ""}`,
    );
    out.push(
      `            PID ${hb.pid}, kalshi-bot ${hb.version}, mode ${hb.mode}, ${hb.environment}${hb.dry_run ? ", dry-run" : ", LIVE"}${hb.kill_switch ? ", kill switch ON" : ""}`,
    );
    out.push(
      `            cycle ${hb.cycle} every ${hb.cycle_interval_seconds}s, heartbeat ${hb.updated_at}${hb.next_cycle_at ? `, next cycle ${hb.next_cycle_at}` : ""}`,
    );
    if (hb.last_error) out.push(`            last error: ${hb.last_error}`);
    if (hb.exit_orders) {
      const x = hb.exit_orders;
      out.push(
        x.policy === "keep"
          ? `At exit:    ${x.kept} resting order(s) left on the exchange on purpose (trading.cancel_on_exit is false)`
          : `At exit:    ${x.canceled} resting order(s) cancelled, ${x.not_canceled} could not be${x.reason && x.not_canceled ? ` (${x.reason})` : ""}`,
      );
    }
    if (hb.bankroll)
      out.push(
        `Bankroll:   $${hb.bankroll.total_dollars} (cash $${hb.bankroll.cash_dollars}, portfolio $${hb.bankroll.portfolio_value_dollars})`,
      );
  } else {
    out.push(`Bot:        no heartbeat (${r.heartbeat.error ?? "missing"})`);
  }
  out.push(`Lock:       ${r.lock.held ? `held by PID ${r.lock.pid ?? "?"}` : "free (no bot running)"} — ${r.lock.path}`);
  if (r.pause.active)
    out.push(`Paused:     ${r.pause.path} exists${r.pause.reason ? `: ${r.pause.reason}` : ""} (no orders; kalshi-bot resume ends it)`);
  if (!r.database.present) {
    out.push(`Database:   none yet at ${r.database.path} (the bot creates it on its first run: kalshi-bot --mode trade --once)`);
    return out.join("\n") + "\n";
  }
  if (r.database.error) {
    out.push(`Database:   ${r.database.error}`);
    return out.join("\n") + "\n";
  }
  out.push(
    `Database:   ${r.database.path} (${r.ledger} ledger${r.database.bytes !== undefined ? `, ${humanBytes(r.database.bytes)}` : ""})`,
  );
  if (r.cash_drift_unconfirmed_dollars) {
    const side = r.cash_drift_unconfirmed_dollars.startsWith("-") ? "ledger below" : "ledger above";
    const amount = r.cash_drift_unconfirmed_dollars.replace(/^-/, "");
    out.push(
      r.cash_drift_at_least
        ? `Cash check: the exchange's balance differs from the ledger by at least $${amount} (${side}; orders were resting); measured with none of the bot's orders resting, then recorded as a deposit/withdrawal`
        : `Cash check: the exchange's balance differs from the ledger by $${amount} (${side}); recorded as a deposit/withdrawal if the next reconciliation sees it too`,
    );
  }
  if (!hb && r.balance)
    out.push(`Bankroll:   cash $${r.balance.cash_dollars}, portfolio $${r.balance.portfolio_value_dollars} (snapshot ${r.balance.at})`);
  out.push(`Positions:  ${r.positions.length === 0 ? "none" : ""}`);
  if (r.positions.length) {
    out.push(
      renderTable(
        [
          { header: "market", cutLast: true },
          { header: "contracts", right: true },
          { header: "cost", right: true },
          { header: "realized", right: true },
          { header: "fees", right: true },
        ],
        r.positions.map((p) => [
          p.ticker,
          formatCount(p.position),
          `$${formatDollars2(p.cost_micros)}`,
          `$${formatDollars2(p.realized_pnl_micros)}`,
          `$${formatDollars2(p.fees_micros)}`,
        ]),
        { width, indent: "  " },
      ).trimEnd(),
    );
  }
  out.push(
    `Open orders: ${r.open_orders.length === 0 ? "none" : ""}${r.cancel_on_exit ? "" : `${r.open_orders.length === 0 ? "; " : ""}left resting on purpose when the bot exits (trading.cancel_on_exit is false; they expire after trading.order_ttl_seconds)`}`,
  );
  if (r.open_orders.length) {
    out.push(
      renderTable(
        [
          { header: "market", cutLast: true },
          { header: "side" },
          { header: "left/count", right: true },
          { header: "price", right: true },
          { header: "status" },
          { header: "client_order_id" },
          { header: "strategy" },
        ],
        r.open_orders.map((o) => [
          o.ticker,
          o.side,
          `${formatCount(o.remaining_count)}/${formatCount(o.count)}`,
          formatPrice(o.price),
          o.status,
          o.client_order_id,
          o.strategy ?? "-",
        ]),
        { width, indent: "  " },
      ).trimEnd(),
    );
  }
  if (r.today) {
    out.push(
      `Today:      ${r.today.date} in ${r.today.timezone} (risk.timezone, as kalshi-bot report daily): ${r.today.fills} fill(s), fees $${r.today.fees_dollars}, realized P&L $${r.today.realized_pnl_dollars}, ${r.today.settlements} settlement(s)`,
    );
  }
  if (r.totals) out.push(`All time:   realized P&L $${r.totals.realized_pnl_dollars}, fees $${r.totals.fees_dollars}`);
  out.push(`Last cycles: ${r.last_cycles.length === 0 ? "none yet" : ""}`);
  if (r.last_cycles.length) {
    out.push(
      renderTable(
        [
          { header: "cycle", right: true },
          { header: "started" },
          { header: "mode" },
          { header: "status" },
          { header: "orders", right: true },
          { header: "took", right: true },
          { header: "error" },
        ],
        r.last_cycles.map((c) => [
          `#${c.id}`,
          iso(c.started_at),
          c.mode,
          c.status,
          String(c.orders_placed),
          c.ended_at ? `${((c.ended_at - c.started_at) / 1000).toFixed(1)}s` : "-",
          c.error ?? "",
        ]),
        { width, indent: "  " },
      ).trimEnd(),
    );
  }
  return out.join("\n") + "\n";
}
