// GET /metrics: the bot's state as Prometheus metrics, from the heartbeat and the ledger (nothing is
// counted in memory, so the figures are the same whichever process serves them and survive
// restarts). Ledger-derived counters cover the history the ledger keeps (ledger.history_days prunes
// old cycles): a prune looks like a counter reset, which rate() handles.
//
// Rate-limit waits and 429s, WebSocket reconnects and sequence gaps are counted by the bot process
// (its client's limiter and WebSocket) and carried in its heartbeat: they count from the process's
// start, so a restart is a counter reset.
import { heartbeatStatus, type Heartbeat } from "../ops/heartbeat.ts";
import { LEDGER_ORDER_STATUSES } from "../db/schema.ts";
import { Exposition } from "./exposition.ts";
import { CYCLE_BUCKETS_S, type LedgerTotals } from "../engine/ledger/read-views.ts";
import { countToContractsFloat, microsToDollarsFloat } from "../kalshi/money.ts";

export interface MetricsInput {
  nowMs: number;
  heartbeat: Heartbeat | null;
  /** The kill-switch file (kalshi-bot pause) exists. */
  paused: boolean;
  paper: boolean;
  totals: LedgerTotals | null;
}

// From the schema, so a status added there (degraded) is exported too.
const HB_STATUSES = heartbeatStatus.options;
const RISK_STATES = ["active", "reducing", "halted"] as const;
const dollars = microsToDollarsFloat;

export function renderMetrics(m: MetricsInput): string {
  const x = new Exposition();
  const book = m.paper ? "paper" : "live";
  const hb = m.heartbeat;
  x.one("kalshi_bot_heartbeat_present", "gauge", "1 when reports/heartbeat.json exists and parses", hb ? 1 : 0);
  if (hb) {
    x.one(
      "kalshi_bot_heartbeat_age_seconds",
      "gauge",
      "Seconds since the bot last wrote its heartbeat",
      Math.max(0, (m.nowMs - Date.parse(hb.updated_at)) / 1000),
    );
    x.family(
      "kalshi_bot_status",
      "gauge",
      "The heartbeat's status (1 for the current one)",
      HB_STATUSES.map((s) => ({ labels: { status: s }, value: hb.status === s ? 1 : 0 })),
    );
    x.one(
      "kalshi_bot_cycle",
      "gauge",
      "The bot's current cycle: the ledger's cycle id, as status and systemd's STATUS= show it (heartbeat)",
      hb.cycle,
    );
    x.one(
      "kalshi_bot_kill_switch",
      "gauge",
      "1 when the kill switch is on in the bot (BOT_DISABLE_TRADING or the pause file)",
      hb.kill_switch ? 1 : 0,
    );
    x.one("kalshi_bot_open_orders", "gauge", "Open orders the bot holds (heartbeat)", hb.open_orders);
    x.one("kalshi_bot_resident_memory_bytes", "gauge", "Resident memory of the bot process (heartbeat)", hb.rss_bytes);
    x.one("kalshi_bot_dry_run", "gauge", "1 for paper trading, 0 for live", hb.dry_run ? 1 : 0);
    const c = hb.counters;
    if (c) {
      x.one(
        "kalshi_bot_rate_limit_waits_total",
        "counter",
        "Requests the client's rate limiter held back to stay within the exchange's budget (since the bot started)",
        c.rate_limit_waits,
      );
      x.one(
        "kalshi_bot_rate_limit_wait_seconds_total",
        "counter",
        "Time requests waited in the client's rate limiter (since the bot started)",
        c.rate_limit_wait_seconds,
      );
      x.one("kalshi_bot_rate_limited_total", "counter", "HTTP 429 answers from the exchange (since the bot started)", c.rate_limited_429);
      if (c.read_tokens !== undefined && c.write_tokens !== undefined)
        x.family(
          "kalshi_bot_rate_limit_tokens_total",
          "counter",
          "Rate-limit tokens spent from each of the exchange's buckets (since the bot started)",
          [
            { labels: { bucket: "read" }, value: c.read_tokens },
            { labels: { bucket: "write" }, value: c.write_tokens },
          ],
        );
      if (c.read_budget_per_second !== undefined && c.write_budget_per_second !== undefined)
        x.family(
          "kalshi_bot_rate_limit_budget_tokens_per_second",
          "gauge",
          "The exchange's rate-limit budget for each bucket (tokens a second)",
          [
            { labels: { bucket: "read" }, value: c.read_budget_per_second },
            { labels: { bucket: "write" }, value: c.write_budget_per_second },
          ],
        );
      if (c.read_use !== undefined && c.write_use !== undefined)
        x.family(
          "kalshi_bot_rate_limit_use_ratio",
          "gauge",
          "Share of each bucket's budget the bot spent over the last minute (or its last cycle, if longer)",
          [
            { labels: { bucket: "read" }, value: c.read_use },
            { labels: { bucket: "write" }, value: c.write_use },
          ],
        );
      x.one("kalshi_bot_ws_reconnects_total", "counter", "WebSocket reconnects (since the bot started)", c.ws_reconnects);
      x.one(
        "kalshi_bot_ws_seq_gaps_total",
        "counter",
        "WebSocket sequence gaps, each followed by a fresh snapshot (since the bot started)",
        c.ws_seq_gaps,
      );
    }
  }
  x.one("kalshi_bot_paused", "gauge", "1 while the kill-switch file exists (kalshi-bot pause)", m.paused ? 1 : 0);
  const t = m.totals;
  if (!t) return x.text();
  const risk = hb?.risk_state ?? t.riskState?.state ?? "active";
  x.family(
    "kalshi_bot_risk_state",
    "gauge",
    "The risk gate's state (1 for the current one)",
    RISK_STATES.map((s) => ({ labels: { state: s, book }, value: risk === s ? 1 : 0 })),
  );
  x.family(
    "kalshi_bot_cycles_total",
    "counter",
    "Cycles in the ledger by final status",
    Object.entries(t.cyclesByStatus).map(([status, n]) => ({ labels: { status, book }, value: n })),
  );
  x.histogram(
    "kalshi_bot_cycle_duration_seconds",
    "Duration of finished cycles",
    CYCLE_BUCKETS_S,
    t.cycleBuckets,
    t.cycleSumMs / 1000,
    t.cycleCount,
  );
  x.family(
    "kalshi_bot_orders_total",
    "counter",
    "Orders in the ledger by outcome (status)",
    LEDGER_ORDER_STATUSES.map((s) => ({ labels: { status: s, book }, value: t.ordersByStatus[s] ?? 0 })),
  );
  x.family(
    "kalshi_bot_orders_by_origin_total",
    "counter",
    "Orders in the ledger by origin (bot, or external orders adopted)",
    Object.entries(t.ordersByOrigin).map(([origin, n]) => ({ labels: { origin, book }, value: n })),
  );
  x.family("kalshi_bot_fills_total", "counter", "Fills in the ledger", [{ labels: { book }, value: t.fills }]);
  x.family("kalshi_bot_filled_contracts_total", "counter", "Contracts filled", [
    { labels: { book }, value: countToContractsFloat(t.filledCount) },
  ]);
  x.family("kalshi_bot_fees_dollars_total", "counter", "Fees paid, by what charged them", [
    { labels: { kind: "fill", book }, value: dollars(t.fillFeesMicros) },
    { labels: { kind: "settlement", book }, value: dollars(t.settlementFeesMicros) },
  ]);
  x.family("kalshi_bot_realized_pnl_dollars", "gauge", "Realized P&L before fees, all positions", [
    { labels: { book }, value: dollars(t.realizedPnlMicros) },
  ]);
  x.family("kalshi_bot_exposure_dollars", "gauge", "Cost basis of the positions held", [
    { labels: { book }, value: dollars(t.exposureMicros) },
  ]);
  x.family("kalshi_bot_open_positions", "gauge", "Markets with a non-zero position", [{ labels: { book }, value: t.openPositions }]);
  if (t.balance) {
    x.family("kalshi_bot_cash_dollars", "gauge", "Cash at the latest balance snapshot", [
      { labels: { book }, value: dollars(t.balance.cashMicros) },
    ]);
    x.family("kalshi_bot_portfolio_value_dollars", "gauge", "Mark value of the positions at the latest balance snapshot", [
      { labels: { book }, value: dollars(t.balance.portfolioValueMicros) },
    ]);
    x.family("kalshi_bot_unrealized_pnl_dollars", "gauge", "Mark value of the positions (latest balance snapshot) less their cost basis", [
      { labels: { book }, value: dollars(t.balance.portfolioValueMicros - t.exposureMicros) },
    ]);
    x.family("kalshi_bot_balance_snapshot_age_seconds", "gauge", "Seconds since the latest balance snapshot", [
      { labels: { book }, value: Math.max(0, (m.nowMs - t.balance.at) / 1000) },
    ]);
  }
  return x.text();
}
