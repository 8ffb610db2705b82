// Shared harness of the engine's end-to-end tests: a local exchange in the test process (so the
// test can inspect its accounts exactly), driven by a manual clock the test advances, and the
// compiled binary spawned against it over real HTTP on 127.0.0.1.
//
// Every venue runs at a pinned calendar date (E2E_START_MS unless a test names another), and so does
// every bot spawned while it is up (test/helpers/calendar.ts: the bot's wall clock is shifted to the
// venue's date, and the exchange checks signatures against that same clock). No result depends on
// today's date; tests that care about the calendar (a day boundary) pick their own dates.
import { Database } from "bun:sqlite";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ManualClock, ScaledClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import type { ScenarioInput } from "../../src/sim/scenario-schema.ts";
import { startSimServer, type SimServer, type SimServerOptions } from "../../src/sim/server.ts";
import { COUNT_ONE, PRICE_ONE } from "../../src/kalshi/money.ts";
import { E2E_START_MS, pinChildClock } from "../helpers/calendar.ts";
import { until } from "../helpers/until.ts";

export { E2E_START_MS };

export interface Venue {
  sim: SimServer;
  clock: ManualClock;
  keyId: string;
  keyPath: string;
  /** Advance sim time and run what is due (participants trade, markets close and settle). */
  step(ms?: number): void;
  /** Keep the market moving in the background (for daemons); returns a stop function. */
  drive(everyMs?: number, simMsPerStep?: number): () => void;
  /** The bot's wall clock now (pinned to the venue's date, running in true time since). */
  botNow(): number;
  /** Move the bot's wall clock (and the clock signatures are checked against) to `ms`. */
  setBotNow(ms: number): void;
  stop(): Promise<void>;
}

export interface VenueOptions {
  seed?: number;
  /** A fault spec; a parsed one (parseFaults) can be changed while the venue runs (its rates are read at each use). */
  faults?: SimServerOptions["faults"];
  markets?: number;
  balanceMicros?: number;
  /** The exchange's start (sim time); default E2E_START_MS. */
  startMs?: number;
  /** The bot's wall time at the start; default the exchange's start. */
  botWallMs?: number;
  /** Overrides of the scenario's participants (e.g. no competing arbitrageurs). */
  participants?: SimServerOptions["participants"];
  /** Record the participants, or replay a recording of the same seed (a market that does not react to the bot). */
  flow?: SimServerOptions["flow"];
  /** A scenario of the test's own instead of the built-in one. */
  scenario?: SimServerOptions["scenario"];
}

export async function startVenue(dir: string, opts: VenueOptions = {}): Promise<Venue> {
  const kp = generateKeyPair();
  const keyId = `e2e-${Math.random().toString(36).slice(2)}`;
  const keyPath = join(dir, "key.pem");
  writeFileSync(keyPath, kp.privateKeyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  // Two venues with the same seed and start time are the same scenario (tickers carry dates).
  const clock = new ManualClock(opts.startMs ?? E2E_START_MS);
  const botClock = pinChildClock(dir, opts.botWallMs ?? clock.now());
  const sim = await startSimServer({
    port: 0,
    seed: opts.seed ?? 7,
    clock,
    wallNow: botClock.now,
    quiet: true,
    tier: "prime",
    ...(opts.markets ? { markets: opts.markets } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.participants ? { participants: opts.participants } : {}),
    ...(opts.flow ? { flow: opts.flow } : {}),
    ...(opts.scenario ? { scenario: opts.scenario } : {}),
    accounts: [{ apiKeyId: keyId, publicKeyPem: kp.publicKeyPem, balanceMicros: opts.balanceMicros ?? 1_000_000_000 }],
  });
  const step = (ms = 5_000) => {
    clock.advance(ms);
    sim.tick();
  };
  return {
    sim,
    clock,
    keyId,
    keyPath,
    step,
    drive(everyMs = 100, simMsPerStep = 2_000) {
      const t = setInterval(() => step(simMsPerStep), everyMs);
      return () => clearInterval(t);
    },
    botNow: botClock.now,
    setBotNow: botClock.set,
    stop: () => {
      botClock.release();
      return sim.stop();
    },
  };
}

/**
 * `taker` takes exactly one contract of resting order `o` at its price: everything queued ahead of
 * it, plus one (an immediate-or-cancel order on the other side). For races a test stages.
 */
export function takeOneContract(
  ex: SimServer["exchange"],
  o: { ticker: string; side: "bid" | "ask"; price: number; remaining: number },
  taker: string,
): void {
  const side = ex.book(o.ticker).side(o.side);
  const better = (p: number) => (o.side === "bid" ? p > o.price : p < o.price);
  let ahead = 0;
  for (const l of side.levels.values()) {
    if (better(l.price)) ahead += l.total;
    else if (l.price === o.price)
      for (const q of l.orders) {
        if (q === o) break;
        ahead += q.remaining;
      }
  }
  ex.placeOrder(taker, {
    ticker: o.ticker,
    side: o.side === "bid" ? "ask" : "bid",
    price: o.price,
    count: ahead + COUNT_ONE,
    tif: "immediate_or_cancel",
    stp: "taker_at_cross",
  });
}

/**
 * A venue whose clock runs at true speed from E2E_START_MS and ticks itself (the clock tests shift
 * the bot's clock against it). `baseOffsetMs` takes true time to the venue's: a test that skews the
 * bot writes baseOffsetMs + skew to its own offset file.
 */
export type RealTimeVenue = Pick<Venue, "sim" | "keyId" | "keyPath" | "stop" | "botNow"> & { baseOffsetMs: number };

export async function startRealTimeVenue(
  dir: string,
  opts: { seed?: number; markets?: number; balanceMicros?: number } = {},
): Promise<RealTimeVenue> {
  const kp = generateKeyPair();
  const keyId = `e2e-${Math.random().toString(36).slice(2)}`;
  const keyPath = join(dir, "key.pem");
  writeFileSync(keyPath, kp.privateKeyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  const botClock = pinChildClock(dir, E2E_START_MS);
  const sim = await startSimServer({
    port: 0,
    seed: opts.seed ?? 7,
    clock: new ScaledClock(1, E2E_START_MS),
    wallNow: botClock.now,
    quiet: true,
    tier: "prime",
    ...(opts.markets ? { markets: opts.markets } : {}),
    accounts: [{ apiKeyId: keyId, publicKeyPem: kp.publicKeyPem, balanceMicros: opts.balanceMicros ?? 1_000_000_000 }],
  });
  return {
    sim,
    keyId,
    keyPath,
    botNow: botClock.now,
    baseOffsetMs: botClock.offsetMs(),
    stop: () => {
      botClock.release();
      return sim.stop();
    },
  };
}

/**
 * The market maker ships disabled (it lost money on the real-data replay), but these tests need its
 * resting quotes to have orders to cancel, expire, fill and report: it is enabled here explicitly,
 * under whatever market_maker settings a test patches in (which may switch it off again).
 */
function withMarketMaker(strategies: Record<string, Record<string, unknown>> = {}): Record<string, Record<string, unknown>> {
  return { ...strategies, market_maker: { enabled: true, ...strategies.market_maker } };
}

export function writeBotConfig(
  dir: string,
  v: Pick<Venue, "sim" | "keyId" | "keyPath">,
  patch: {
    trading?: Record<string, unknown> & { strategies?: Record<string, Record<string, unknown>> };
    risk?: Record<string, unknown>;
    exchange?: Record<string, unknown>;
  } = {},
  name = "bot.json",
): string {
  const cfg = {
    exchange: {
      environment: "sim",
      base_url: v.sim.baseUrl,
      api_key_id: v.keyId,
      private_key_path: v.keyPath,
      rate_tier: "prime",
      request_timeout_ms: 2_000,
      ...(patch.exchange ?? {}),
    },
    trading: {
      dry_run: false,
      autonomous_mode: true,
      non_interactive: true,
      cycle_interval_seconds: 1,
      reconcile_every_cycles: 3,
      series_tickers: [...new Set([...v.sim.exchange.series.keys()])],
      ...(patch.trading ?? {}),
      strategies: withMarketMaker(patch.trading?.strategies),
    },
    risk: {
      max_orders_per_minute: 600,
      max_daily_loss_dollars: "500",
      max_drawdown_pct: 90,
      min_price: "0.01",
      max_price: "0.99",
      ...(patch.risk ?? {}),
    },
    paths: { database: "data/kalshi.sqlite", reports_dir: "reports", backups_dir: "backups", lock_file: "bot.lock" },
  };
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(cfg, null, 2));
  return path;
}

export const onceArgs = (cfg: string, dir: string, extra: string[] = []) => [
  "--config",
  cfg,
  "--mode",
  "trade",
  "--once",
  "--skip-setup-wizard",
  "--non-interactive",
  "--lock-file",
  join(dir, "bot.lock"),
  ...extra,
];
export const daemonArgs = (cfg: string, dir: string) => [
  "--config",
  cfg,
  "--mode",
  "trade",
  "--skip-setup-wizard",
  "--non-interactive",
  "--lock-file",
  join(dir, "bot.lock"),
  "--log-format",
  "plain",
];

export interface LedgerState {
  positions: Map<string, number>;
  cashMicros: number;
  orders: Array<{
    client_order_id: string;
    order_id: string | null;
    status: string;
    origin: string;
    ticker: string;
    remaining_count: number;
    filled_count: number;
  }>;
  fills: number;
}

export function readLedger(dbPath: string, paper: boolean): LedgerState {
  const db = new Database(dbPath, { readonly: true });
  try {
    const p = paper ? 1 : 0;
    const positions = new Map<string, number>();
    for (const r of db.query("select ticker, position from positions where paper = ? and position != 0").all(p) as Array<{
      ticker: string;
      position: number;
    }>)
      positions.set(r.ticker, r.position);
    const meta = (k: string) =>
      (db.query("select value from meta where key = ?").get(`${paper ? "paper" : "live"}.${k}`) as { value: string } | null)?.value ?? null;
    const fromFill = Number(meta("cash_anchor_fill_row") ?? 0);
    const fromSettle = Number(meta("cash_anchor_settlement_row") ?? 0);
    const f = db
      .query("select coalesce(sum(cash_delta_micros),0) as s, count(*) as n from fills where paper = ? and id > ?")
      .get(p, fromFill) as { s: number; n: number };
    const s = (
      db
        .query("select coalesce(sum(revenue_cents * 10000 - fee_micros),0) as s from settlements where paper = ? and id > ?")
        .get(p, fromSettle) as { s: number }
    ).s;
    const cashMicros = Number(meta("cash_anchor_micros") ?? 0) + f.s + s + Number(meta("cash_adjust_micros") ?? 0);
    const orders = db
      .query("select client_order_id, order_id, status, origin, ticker, remaining_count, filled_count from orders where paper = ?")
      .all(p) as LedgerState["orders"];
    return { positions, cashMicros, orders, fills: f.n };
  } finally {
    db.close();
  }
}

export function exchangeAccount(v: Pick<Venue, "sim" | "keyId">) {
  const a = v.sim.exchange.accountsByKey.get(v.keyId)!;
  const positions = new Map<string, number>();
  for (const p of a.positions.values()) if (p.position !== 0) positions.set(p.ticker, p.position);
  return { account: a, positions, cashMicros: a.cash, orders: a.orders };
}

/** Value of positions at the exchange's own marks (what both sides must agree on). */
export function positionsValue(v: Venue, positions: Map<string, number>): number {
  let total = 0;
  for (const [t, pos] of positions) {
    const mk = v.sim.exchange.mark(t);
    total += pos >= 0 ? pos * mk : -pos * (PRICE_ONE - mk);
  }
  return total;
}

/** Client order ids that appear more than once on the exchange (must be none). */
export function duplicateClientIds(v: Pick<Venue, "sim" | "keyId">): string[] {
  const seen = new Map<string, number>();
  for (const o of exchangeAccount(v).orders) if (o.clientOrderId) seen.set(o.clientOrderId, (seen.get(o.clientOrderId) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

export function auditKinds(dbPath: string): Map<string, number> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const m = new Map<string, number>();
    for (const r of db.query("select kind, count(*) as n from audit_log group by kind").all() as Array<{ kind: string; n: number }>)
      m.set(r.kind, r.n);
    return m;
  } finally {
    db.close();
  }
}

/** The one market of quietMarket(). */
export const QUIET_TICKER = "KXS-E-A";

/** One market, 0.40 bid / 0.50 ask, and nobody else trading: only a test's own orders move it. */
export function quietMarket(name: string): ScenarioInput {
  return {
    name,
    series: [{ ticker: "KXS", title: "S", fee_type: "quadratic", fee_multiplier: 1 }],
    events: [
      {
        event_ticker: "KXS-E",
        series_ticker: "KXS",
        title: "E",
        close_in_s: 86_400,
        liquidity: "none",
        markets: [{ ticker: QUIET_TICKER, yes_sub_title: "A", book: { yes: [["0.4000", "20.00"]], no: [["0.5000", "20.00"]] } }],
      },
    ],
    participants: { makers: false, noise_takers: false, informed_takers: false, arbitrageurs: false, mispricing_every_s: 0, activity: 0 },
  };
}

/** market_maker alone, quoting quietMarket()'s one market (`extra` adds to its settings). */
export function quietMakerOnly(extra: Record<string, unknown> = {}): Record<string, Record<string, unknown>> {
  return {
    event_arbitrage: { enabled: false },
    fair_value: { enabled: false },
    market_maker: { enabled: true, markets: [QUIET_TICKER], ...extra },
  };
}

/** Rows of a read-only query of a bot's SQLite ledger (a test's look, beside the running bot). */
export function queryLedger<T>(db: string, sql: string): T[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.query(sql).all() as T[];
  } finally {
    d.close();
  }
}

const IDLE_LINE = /idle: after cycle (\d+), (\d+) frames received, (\d+) requests sent, (\d+) releases/g;

/**
 * A daemon run with --verbose, idle after `cycles` cycles and `releases` releases of held moves,
 * its idle line counting every frame the venue sent and every request the venue answered: all the
 * venue said is in, and all the daemon sent was answered. `before`: the venue's traffic before this
 * daemon started (an earlier run's requests are not its own).
 */
export function daemonIdle(
  bot: { output(): string },
  v: Pick<Venue, "sim">,
  cycles: number,
  releases: number,
  timeoutMs = 30_000,
  before = { framesSent: 0, requestsReceived: 0 },
) {
  return until(
    `idle after cycle ${cycles} and ${releases} releases, matching the exchange's traffic`,
    () => {
      const m = [...bot.output().matchAll(IDLE_LINE)].at(-1);
      const t = v.sim.traffic();
      return m &&
        Number(m[1]) === cycles &&
        Number(m[4]) === releases &&
        Number(m[2]) === t.framesSent - before.framesSent &&
        Number(m[3]) === t.requestsReceived - before.requestsReceived &&
        t.requestsReceived === t.requestsAnswered
        ? m
        : null;
    },
    timeoutMs,
  );
}
