// One paper-vs-live run of the local exchange (issue 13): two venues of the same seed and start,
// the binary `--once` live on A and dry-run on B in lockstep, one strategy enabled. With the fixed
// flow a third venue first records what its participants send with no bot on it, and A and B
// replay that recording (src/sim/participant-flow.ts). Used by scripts/bench/paper-parity.ts and
// test/engine/paper-parity-fixed.test.ts.
import { Database } from "bun:sqlite";
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ParticipantFlow } from "../../src/sim/participant-flow.ts";
import { runBin, startBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import type { Fill } from "../../src/sim/types.ts";
import {
  E2E_START_MS,
  type Venue,
  daemonArgs,
  exchangeAccount,
  onceArgs,
  positionsValue,
  readLedger,
  startVenue,
  writeBotConfig,
} from "./e2e-harness.ts";

export const PARITY_START_MICROS = 1_000_000_000;

export interface ParityFill {
  price: number;
  count: number;
  is_taker: number;
}

export interface ParityRow {
  seed: number;
  livePnl: number;
  /** Live's cash and positions, the positions at venue B's marks (where paper's are valued): what
   * is left of the gap then is the fills', not the two venues' marks at the end. */
  livePnlAtPaperMarks: number;
  paperPnl: number;
  /**
   * Both P&Ls at settlement: after the last cycle, with no more decisions, each venue's clock is
   * stepped until every market either side holds is determined, and positions are worth their
   * payout (cash + payouts − the start). What a trader earns, and no one's orders move it; null when
   * a held market is not determined within SETTLE_WITHIN_MS of market time.
   */
  liveSettled: number | null;
  paperSettled: number | null;
  /** Σ price × count of live's fills (micros × count units). */
  notional: number;
  liveFills: ParityFill[];
  paperFills: ParityFill[];
}

export interface ParityOptions {
  strategy: string;
  seed: number;
  cycles: number;
  stepMs: number;
  flow: "reactive" | "fixed";
  /** The strategy's parameters over the shipped defaults. */
  params?: Record<string, unknown>;
  /**
   * How the binary runs: `once` (default) a `--once` run per step on each venue; `daemon` one daemon
   * per venue with its WebSocket books, each venue stepped only when its daemon is idle, each cycle
   * asked for once it is idle after the step (driveDaemon): every cycle sees one more step of market;
   * the deltas of a step reach the daemon, and its passes answer them, before the cycle.
   */
  bot?: "once" | "daemon";
  /**
   * The daemons' `order_ttl_seconds` (unset: the product's default, 60 s). Renewal is timed on the
   * exchange's expiry but the venues jump a whole step at a time: at 27 s steps and 60 s every
   * quote is cancelled and sent again every step or two (~1,000 renewals a run per venue), and
   * whether one is due at a given look depends on how much of this machine's time has passed since
   * the exchange clock's last sample. A TTL many steps long leaves the quoting to the strategy.
   */
  ttlS?: number;
}

function fills(dbPath: string, paper: boolean): ParityFill[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query("select price, count, is_taker from fills where paper = ? order by id").all(paper ? 1 : 0) as ParityFill[];
  } finally {
    db.close();
  }
}

/** The participants of the seed's market over the run's span, with no bot on it. */
async function recordFlow(o: ParityOptions): Promise<ParticipantFlow> {
  const dir = tempDir(`parity-flow-${o.seed}`);
  const flow = new ParticipantFlow();
  const r = await startVenue(dir, { seed: o.seed, startMs: E2E_START_MS, balanceMicros: PARITY_START_MICROS, flow: { record: flow } });
  try {
    for (let i = 0; i < o.cycles; i++) r.step(o.stepMs);
    return flow;
  } finally {
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * With KALSHI_PARITY_TRACE=DIR, each venue's trades (with the taker's order: who, limit, time in
 * force) and the bot's order events go to DIR/seed-N-{live,paper}.jsonl, to tell why a fill
 * happened on one venue and not the other.
 */
function trace(v: Venue, file: string): void {
  const bot = exchangeAccount(v).account.userId;
  const ex = v.sim.exchange;
  // The exchange emits the maker's fill, then the taker's.
  let makerFill: Fill | null = null;
  ex.on((e) => {
    if (e.type === "fill" && !e.fill.isTaker) makerFill = e.fill;
    else if (e.type === "fill" && makerFill) {
      const takerFill = e.fill;
      const t = ex.orders.get(takerFill.orderId);
      const top = ex.top(takerFill.ticker);
      appendFileSync(
        file,
        `${JSON.stringify({ k: "trade", ts: takerFill.tsMs, ticker: takerFill.ticker, price: takerFill.price, count: takerFill.count, makerSide: makerFill.side, makerBot: makerFill.userId === bot, maker: makerFill.userId, makerOrder: makerFill.orderId, takerBot: takerFill.userId === bot, taker: takerFill.userId, takerSide: takerFill.side, takerLimit: t?.price, takerTif: t?.tif, takerInitial: t?.initial, bid: top.bid, ask: top.ask })}\n`,
      );
    } else if (e.type === "order" && e.order.userId === bot) {
      const o = e.order;
      appendFileSync(
        file,
        `${JSON.stringify({ k: "order", ts: ex.now(), id: o.id, ticker: o.ticker, side: o.side, price: o.price, remaining: o.remaining, status: o.status })}\n`,
      );
    }
  });
}

/**
 * fair_value's probability source for one venue (ticker → probability, every active market): the
 * exchange's own fair value at the venue's time now, as scripts/bench/strategies-pnl.ts writes it.
 * The seed's price process is a fixed path (src/sim/process.ts) that no order moves, so the two
 * venues, stepped to the same time, write the same file; each written text is kept in `log` so the
 * run can check that they did.
 */
function writeForecast(v: Venue, file: string, log: string[]): void {
  const ex = v.sim.exchange;
  const probs: Record<string, string> = {};
  for (const m of ex.markets.values()) {
    if (m.status !== "active") continue;
    const p = v.sim.participants.process(m.eventTicker)?.fair(m.ticker, ex.now());
    if (p !== undefined) probs[m.ticker] = Math.min(1, Math.max(0, p)).toFixed(4);
  }
  const text = JSON.stringify(probs);
  writeFileSync(file, text);
  log.push(text);
}

/** The last idle line of a daemon's output (src/engine/idle-report.ts), or null. */
function lastIdle(output: string): { cycles: number; frames: number; requests: number; releases: number } | null {
  const at = output.lastIndexOf("idle: after cycle ");
  if (at < 0) return null;
  const m = /^idle: after cycle (\d+), (\d+) frames received, (\d+) requests sent(?:, (\d+) releases)?/.exec(output.slice(at, at + 140));
  return m ? { cycles: Number(m[1]), frames: Number(m[2]), requests: Number(m[3]), releases: Number(m[4] ?? 0) } : null;
}

/**
 * One venue's daemon in lockstep with its market, each venue moved only when its daemon is idle
 * after everything the venue sent it: the daemon's last idle line (no cycle or pass running or due,
 * no narrow requote deciding or on the wire) counts as many frames received as the venue sent and as
 * many requests as the venue received, all answered. Then one step (the daemon stopped meanwhile:
 * SIGSTOP, SIGCONT), then idle again (every frame of the step in; the moves held: exchange.clock
 * stepped), then SIGUSR2 (the held moves answered) and idle again, then a cycle asked for by SIGUSR1
 * (the cycle interval never runs out), and idle again. So both daemons decide in the same phase of every step, whatever either
 * machine's timing: the venues' clocks stand still while their daemons work. Returns the cycles the
 * daemon ran unasked (a timer of the daemon's own: the lockstep slipped).
 */
async function driveDaemon(
  v: Venue,
  dir: string,
  cfg: string,
  o: ParityOptions,
  side: "live" | "paper",
  forecast: () => void,
): Promise<number> {
  forecast();
  const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
  let slipped = 0;
  const idle = (cycles: number, what: string, releases = 0) =>
    until(
      `${what} (seed ${o.seed})`,
      () => {
        const r = lastIdle(bot.output());
        const t = v.sim.traffic();
        if (!r || r.cycles < cycles || r.releases < releases) return null;
        if (r.frames !== t.framesSent || r.requests !== t.requestsReceived || t.requestsReceived !== t.requestsAnswered) return null;
        return r;
      },
      120_000,
      { pollMs: 2 },
    );
  try {
    for (let i = 0; i <= o.cycles; i++) {
      if (i > 0) {
        // The cycle reloads fair_value's source: this step's forecast, written while the daemon is idle.
        forecast();
        bot.proc.kill("SIGUSR1");
      }
      const r = await idle(i + 1, `idle after cycle ${i + 1}`);
      slipped = Math.max(slipped, r.cycles - (i + 1));
      if (i < o.cycles) {
        // The daemon stands still while the venue moves (as the venue's clock stands still while the
        // daemon works): the step's frames wait in its socket and reach it as one burst, however this
        // machine would have split them into reads, so what it decides depends on the frames and
        // their order alone.
        bot.proc.kill("SIGSTOP");
        try {
          v.step(o.stepMs);
        } finally {
          bot.proc.kill("SIGCONT");
        }
        await idle(i + 1, `idle after step ${i + 1}`);
        // Every frame of the step is in: the moves it held are answered now (exchange.clock stepped).
        bot.proc.kill("SIGUSR2");
        await idle(i + 1, `idle after the step's release ${i + 1}`, i + 1);
      }
    }
  } catch (e) {
    await bot.stop("SIGKILL", 5_000);
    throw e;
  }
  const code = await bot.stop("SIGTERM", 30_000);
  // With KALSHI_PARITY_TRACE the daemon's own account of each step (--verbose) beside the venue's trace.
  const traceDir = process.env.KALSHI_PARITY_TRACE;
  if (traceDir) writeFileSync(join(traceDir, `seed-${o.seed}-${side}.log`), bot.output());
  if (code !== 0) throw new Error(`seed ${o.seed}: daemon exit ${code}\n${bot.output().slice(-3000)}`);
  return slipped;
}

/** Market time a held market may take to be determined after the run (the bench's markets close within a day). */
const SETTLE_WITHIN_MS = 3 * 86_400_000;
const SETTLE_STEP_MS = 600_000;

/**
 * Steps the venue's clock (the bots are gone: nothing decides any more) until every market in
 * `positions` is determined, whereupon its mark is its payout (0 or $1, SimExchange.mark). False
 * when one is not within SETTLE_WITHIN_MS.
 */
function settle(v: Venue, positions: ReadonlyMap<string, number>): boolean {
  const ex = v.sim.exchange;
  const open = () =>
    [...positions.keys()].filter((t) => {
      const st = ex.markets.get(t)?.status;
      return st !== "determined" && st !== "finalized";
    });
  for (let ran = 0; open().length > 0; ran += SETTLE_STEP_MS) {
    if (ran >= SETTLE_WITHIN_MS) return false;
    v.step(SETTLE_STEP_MS);
  }
  return true;
}

export async function runParity(o: ParityOptions): Promise<ParityRow> {
  const dirA = tempDir(`parity-live-${o.seed}`);
  const dirB = tempDir(`parity-paper-${o.seed}`);
  const flow = o.flow === "fixed" ? await recordFlow(o) : null;
  const venue = { seed: o.seed, startMs: E2E_START_MS, balanceMicros: PARITY_START_MICROS, ...(flow ? { flow: { replay: flow } } : {}) };
  const a = await startVenue(dirA, venue);
  const b = await startVenue(dirB, venue);
  const traceDir = process.env.KALSHI_PARITY_TRACE;
  if (traceDir) {
    trace(a, join(traceDir, `seed-${o.seed}-live.jsonl`));
    trace(b, join(traceDir, `seed-${o.seed}-paper.jsonl`));
  }
  try {
    // fair_value reads its probabilities from a file each cycle: each venue's own, written before
    // each cycle from that venue's fair value at its time (the same on both: writeForecast).
    const fairValue = o.strategy === "fair_value";
    const sourceA = join(dirA, "fair.json");
    const sourceB = join(dirB, "fair.json");
    const forecastsA: string[] = [];
    const forecastsB: string[] = [];
    const forecastA = () => fairValue && writeForecast(a, sourceA, forecastsA);
    const forecastB = () => fairValue && writeForecast(b, sourceB, forecastsB);
    const strategies = (source: string) => ({
      event_arbitrage: { enabled: false },
      market_maker: { enabled: false },
      fair_value: { enabled: false },
      [o.strategy]: { ...o.params, ...(fairValue ? { source } : {}), enabled: true },
    });
    // Quotes rest between runs as a daemon's would (the default cancels them at the end of each --once).
    // The venues' clocks move only when stepped: the bots take the exchange's time from what it sends.
    const exchange = { clock: "stepped" };
    // The orders-per-minute limit counts this machine's minutes (a rate of requests), and a step of
    // market time passes here in a fraction of a second: at the harness's 600 a --once market_maker
    // reached it within 21 s of a run and sent nothing more until that minute was over, so what each
    // venue traded depended on how fast this machine ran the two bots (seed 1: 4 to 8 fills run to
    // run). Lifted here, for both venues alike; the limit is not what this bench measures.
    const risk = { max_orders_per_minute: 1_000_000 };
    const cfgA = writeBotConfig(dirA, a, { exchange, risk, trading: { cancel_on_exit: false, strategies: strategies(sourceA) } });
    const cfgB = writeBotConfig(dirB, b, {
      exchange,
      risk,
      trading: { dry_run: true, cancel_on_exit: false, strategies: strategies(sourceB) },
    });
    if (o.bot === "daemon") {
      // Cycles are asked for (driveDaemon): an interval that never runs out.
      const interval = {
        trading: { cycle_interval_seconds: 86_400, ...(o.ttlS !== undefined ? { order_ttl_seconds: o.ttlS } : {}) },
      };
      const dA = writeBotConfig(dirA, a, {
        exchange,
        risk,
        trading: { ...interval.trading, cancel_on_exit: false, strategies: strategies(sourceA) },
      });
      const dB = writeBotConfig(dirB, b, {
        exchange,
        risk,
        trading: { ...interval.trading, dry_run: true, cancel_on_exit: false, strategies: strategies(sourceB) },
      });
      const [sa, sb] = await Promise.all([driveDaemon(a, dirA, dA, o, "live", forecastA), driveDaemon(b, dirB, dB, o, "paper", forecastB)]);
      if (sa + sb > 0) console.error(`seed ${o.seed}: the lockstep slipped (cycles past the step: live ${sa}, paper ${sb})`);
    }
    for (let i = 0; o.bot !== "daemon" && i <= o.cycles; i++) {
      forecastA();
      forecastB();
      const [ra, rb] = await Promise.all([
        runBin(onceArgs(cfgA, dirA), { cwd: dirA, timeoutMs: 60_000 }),
        runBin(onceArgs(cfgB, dirB), { cwd: dirB, timeoutMs: 60_000 }),
      ]);
      if (ra.code !== 0 || rb.code !== 0)
        throw new Error(`seed ${o.seed} cycle ${i + 1}: live exit ${ra.code}, paper exit ${rb.code}\n${ra.stderr}\n${rb.stderr}`);
      if (i < o.cycles) {
        a.step(o.stepMs);
        b.step(o.stepMs);
      }
    }
    if (forecastsA.length !== forecastsB.length || forecastsA.some((t, i) => t !== forecastsB[i]))
      throw new Error(`seed ${o.seed}: the two venues' fair_value sources differ (${forecastsA.length} and ${forecastsB.length} written)`);
    // Both valued at the marks of a book without our quotes: live's last quotes rest on venue A
    // (cancel_on_exit false) and would move its mid; paper's were never on venue B.
    a.sim.exchange.cancelAll(exchangeAccount(a).account.userId);
    const livePnl = a.sim.exchange.equity(exchangeAccount(a).account.userId) - PARITY_START_MICROS;
    const live = exchangeAccount(a);
    const livePnlAtPaperMarks = live.cashMicros + positionsValue(b, live.positions) - PARITY_START_MICROS;
    const paper = readLedger(join(dirB, "data/kalshi.sqlite"), true);
    const paperPnl = paper.cashMicros + positionsValue(b, paper.positions) - PARITY_START_MICROS;
    // Live's fills as venue A has them: the ledger learns a fill at its next read, so the last
    // cycle's (an immediate-or-cancel order's, for fair_value) may not be in it yet; paper's ledger
    // records each fill when the fill model makes it.
    const liveFills: ParityFill[] = live.account.fills.map((f) => ({ price: f.price, count: f.count, is_taker: f.isTaker ? 1 : 0 }));
    const liveLedgerFills = fills(join(dirA, "data/kalshi.sqlite"), false).length;
    if (liveLedgerFills !== liveFills.length)
      console.error(`seed ${o.seed}: live's ledger holds ${liveLedgerFills} fills, venue A ${liveFills.length} (counted: venue A's)`);
    const paperFills = fills(join(dirB, "data/kalshi.sqlite"), true);
    const notional = liveFills.reduce((s, f) => s + f.price * f.count, 0);
    const settledA = settle(a, live.positions);
    const settledB = settle(b, paper.positions);
    const liveSettled = settledA ? live.cashMicros + positionsValue(a, live.positions) - PARITY_START_MICROS : null;
    const paperSettled = settledB ? paper.cashMicros + positionsValue(b, paper.positions) - PARITY_START_MICROS : null;
    return { seed: o.seed, livePnl, livePnlAtPaperMarks, paperPnl, liveSettled, paperSettled, notional, liveFills, paperFills };
  } finally {
    await a.stop();
    await b.stop();
    if (process.env.KALSHI_BOT_KEEP_TMP !== "1") for (const d of [dirA, dirB]) rmSync(d, { recursive: true, force: true });
  }
}
