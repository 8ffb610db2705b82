// The lifecycle of `kalshi-bot --mode trade|scan [--once]`:
//   live-trading refusal → lock → database → exchange session → (operator halt reset) → cycles
//   (reconciliation before the first order, inside the first cycle) → clean stop on SIGTERM/SIGINT.
// Exit codes: 0 ok/stopped, 3 lock, 4 exchange unreachable (--once), 7 reconciliation failed
// (--once), 8 database unusable, 9 database locked by another program, 10 halted by a risk limit
// (sticky until --reset-halt), 11 live trading refused.
//
// Decisions worth writing down:
// - `--mode scan` takes the lock as well. It reconciles the same ledger as trading (fills, orders),
//   and two writers of one ledger is exactly what the lock exists to prevent. To look at a running
//   bot, use `kalshi-bot status`.
// - Halted is sticky: the daemon exits 10 (RestartPreventExitStatus in the unit), and every later
//   start exits 10 again after cancelling resting orders, until `--reset-halt` after review.
// - Once the lock is held the heartbeat is ours, and every way out leaves it final: `stopped`,
//   `halted`, the cycle's own status (--once), or `error` with last_error set to the one-line reason
//   (a database or key that cannot be used, a bug). A `starting` left behind would tell the watchdog
//   and `status` that a dead bot is still coming up.
// - SIGTERM/SIGINT abandon the cycle's market-data reads (paging, rate-limit waits) at once through
//   an AbortSignal: they come before any order, so the cycle ends with nothing placed from partial
//   data. Order sends, cancels and reconciliation are never interrupted; a stop that arrives during
//   them waits for the cycle to finish.
// - The daemon never exits on an exchange or reconciliation failure: it retries with backoff, so
//   systemd's watchdog sees a live process that says what is wrong: heartbeat `degraded` while the
//   exchange fails or hangs (also a cycle overdue by max(interval, 30 s)), `error` for what needs
//   the operator (the ledger disagrees with the exchange). Exits 4 and 7 are `--once`'s.
// - Every duration and deadline is on the monotonic clock (ops/clock.ts); the wall clock is only
//   shown. A wall-clock step is logged at the next cycle.
// - systemd (Type=notify, WatchdogSec): READY=1 goes out once the lock is held, the database is
//   open and the exchange session exists, BEFORE the first exchange request. Waiting for the first
//   successful reconcile instead would turn an exchange outage at boot into a start timeout
//   (TimeoutStartSec=180) and a restart loop, while the daemon is built to ride it out with backoff
//   and a heartbeat `error`. Hangs are the watchdog's job: WATCHDOG=1 is withheld once the loop has
//   not finished an iteration (cycle or failed cycle, plus its sleep) for its interval plus
//   2 × max(interval, 60 s), so a wedged await (a request that never settles) gets the process
//   killed and restarted; a blocked event loop stops the pings by itself. STATUS= carries a one-line
//   summary of each cycle for `systemctl status`; STOPPING=1 goes out on SIGTERM/SIGINT and on any
//   deliberate exit of the daemon.
import { KalshiApiError, authFix } from "../kalshi/index.ts";
import type { LoadedConfig } from "../config/load.ts";
import { EXIT, UserError } from "../errors.ts";
import { DbError, openDb, sqliteErrorCode, type Db } from "../db/open.ts";
import { acquireLock, guardDatabase, type LockHandle } from "../ops/lock.ts";
import { writeHeartbeat, type Heartbeat, type HeartbeatCounters, type HeartbeatStatus } from "../ops/heartbeat.ts";
import { killSwitch, setKillSwitchFile } from "../ops/kill-switch.ts";
import { log } from "../ops/log.ts";
import { redact } from "../ops/redact.ts";
import { sdNotify, startSdWatchdog } from "../ops/sd-notify.ts";
import { ClockStepWatch, monoNow, sleepUntilMono, wallAt } from "../ops/clock.ts";
import { VERSION } from "../version.ts";
import { formatDollars2, parseDollars } from "../kalshi/money.ts";
import { resolveRiskLimits } from "./risk.ts";
import { Engine, type CycleReport, type ReactReport } from "./cycle.ts";
import { LiveBooks } from "./live-books.ts";
import { Reactor, type ReactorWork } from "./reactor.ts";
import { openSession, type ExchangeSession } from "./exchange-session.ts";
import { Ledger, pruneHistory } from "./ledger.ts";
import { LiveTransport } from "./live-transport.ts";
import { MarketDataSource, StopRequested, lifecycleInScope, type Scope } from "./market-data.ts";
import { PaperTransport } from "./paper-transport.ts";
import { ReconcileError } from "./reconcile.ts";
import { cycleSummary, scanTable } from "./scan-report.ts";
import { nextCycleId } from "./cycle-number.ts";
import { heartbeatCountersOf } from "./heartbeat-counters.ts";
import { checkLiveTrading, resolveScope } from "./live-guard.ts";
import { resolveOrderTtlSeconds } from "./order-ttl.ts";
import { cancelOnExit, describeExitCancel } from "./shutdown.ts";

export interface RunOptions {
  mode: "trade" | "scan";
  once: boolean;
  nonInteractive: boolean;
  resetHalt: boolean;
  /** Print the human summary to stdout (off for json logs). */
  print?: (text: string) => void;
}

type EngineLog = (level: "info" | "warn" | "debug" | "error", msg: string) => void;
const engineLog: EngineLog = (level, msg) => log[level](msg);

class Heart {
  private base: Pick<Heartbeat, "pid" | "version" | "mode" | "environment" | "dry_run" | "cycle_interval_seconds" | "started_at">;
  cycle = 0;
  bankroll: Heartbeat["bankroll"] = null;
  openOrders = 0;
  lastError: string | null = null;
  risk: Heartbeat["risk_state"];
  /** The last status written (the exit rewrites it with what became of the resting orders). */
  status: HeartbeatStatus | null = null;
  nextCycleAt: Date | null = null;
  exitOrders: Heartbeat["exit_orders"];
  /** The client's counters (rate limiter, WebSocket), once the session is open. */
  counters: (() => HeartbeatCounters) | null = null;
  constructor(
    private readonly path: string,
    loaded: LoadedConfig,
    mode: "trade" | "scan",
  ) {
    this.base = {
      pid: process.pid,
      version: VERSION,
      mode,
      environment: loaded.config.exchange.environment,
      dry_run: loaded.config.trading.dry_run,
      cycle_interval_seconds: loaded.config.trading.cycle_interval_seconds,
      started_at: new Date().toISOString(),
    };
  }
  write(status: HeartbeatStatus, nextCycleAt: Date | null = null): void {
    this.status = status;
    this.nextCycleAt = nextCycleAt;
    try {
      writeHeartbeat(this.path, {
        ...this.base,
        status,
        updated_at: new Date().toISOString(),
        cycle: this.cycle,
        next_cycle_at: nextCycleAt ? nextCycleAt.toISOString() : null,
        bankroll: this.bankroll,
        open_orders: this.openOrders,
        // Error texts come from anywhere (a server's body, a bug): one line, no secret, in a file
        // that monitors copy into alerts.
        last_error: this.lastError === null ? null : redact(oneLine(this.lastError, 500)),
        kill_switch: killSwitch().active,
        rss_bytes: process.memoryUsage().rss,
        ...(this.risk ? { risk_state: this.risk } : {}),
        ...(this.exitOrders ? { exit_orders: this.exitOrders } : {}),
        ...(this.counters ? { counters: this.counters() } : {}),
      });
    } catch (e) {
      log.warn(`heartbeat not written: ${(e as Error).message}`);
    }
  }
  /** Cancels at exit freed collateral: cash as the exchange has it now, the total unchanged. */
  cashAfterExit(cashMicros: number): void {
    if (!this.bankroll) return;
    const total = parseDollars(this.bankroll.total_dollars);
    // As in fromReport: the parts' cents from the cents of cash and total, so they add up as printed.
    const cash = Math.trunc(cashMicros / 10_000) * 10_000;
    this.bankroll = { ...this.bankroll, cash_dollars: formatDollars2(cash), portfolio_value_dollars: formatDollars2(total - cash) };
  }
  fromReport(r: CycleReport): void {
    // Cents of the parts are derived from the cents of cash and total, so cash + portfolio = total
    // exactly as printed (truncating each part separately could lose a cent).
    const cents = (m: number) => Math.trunc(m / 10_000);
    const pvCents = cents(r.totalMicros) - cents(r.cashMicros);
    this.bankroll = { cash_dollars: formatDollars2(r.cashMicros), portfolio_value_dollars: formatDollars2(pvCents * 10_000), total_dollars: formatDollars2(r.totalMicros) };
    this.openOrders = r.openOrders;
    this.risk = r.riskState;
  }
}

/** Interactive per-order confirmation: only on a real terminal (consola's prompt hangs on a pipe). */
async function confirmOrder(text: string): Promise<boolean> {
  if (process.stdin.isTTY !== true) return false;
  const answer = await log.prompt(`Send this LIVE order? ${text}`, { type: "confirm", initial: false, cancel: "null" });
  return answer === true;
}

/**
 * The embedded exchange is new at every start (fresh account, fresh markets): the previous book —
 * live or paper — refers to orders and markets that are gone, so it restarts from the new account.
 * A persisted risk halt survives this (it is the operator's to clear, not the exchange's).
 */
function restartBookIfNewExchange(ledger: Ledger, session: ExchangeSession): void {
  if (!session.embedded) return;
  const prev = ledger.getMeta("exchange_instance");
  if (prev === session.instanceId) return;
  const risk = ledger.loadRisk();
  if (prev) ledger.restartBook("the embedded exchange is new at every start: book restarted from its fresh account");
  if (risk?.state === "halted") ledger.saveRisk({ ...risk, highWaterMicros: null, dayStartEquityMicros: null, day: null });
  ledger.setMeta("exchange_instance", session.instanceId);
}

export async function runBot(loaded: LoadedConfig, opts: RunOptions): Promise<number> {
  setKillSwitchFile(loaded.paths.killSwitchFile);
  const cfg = loaded.config;
  const dryRun = cfg.trading.dry_run;
  const print = opts.print ?? ((t: string) => process.stdout.write(`${t}\n`));
  const interactive = !opts.nonInteractive && !cfg.trading.non_interactive && process.stdin.isTTY === true;

  // ---- refusals before anything is touched ----
  const scope: Scope = resolveScope(loaded);
  if (opts.mode === "trade") checkLiveTrading(loaded, { interactive });
  const limits = (() => {
    try {
      return resolveRiskLimits(cfg.risk);
    } catch (e) {
      throw new UserError(`risk limits: ${(e as Error).message}`);
    }
  })();

  const lock: LockHandle = acquireLock(loaded.paths.lockFile);
  let db: Db | null = null;
  let dbGuard: { release(): void } | null = null;
  let session: ExchangeSession | null = null;
  let live: LiveBooks | null = null;
  /** Live daemon: order-create signatures made ahead, off the path from a book update to the send. */
  let stopPresigning: (() => void) | undefined;
  let reactor: Reactor | null = null;
  let engineRef: Engine | null = null;
  let lockLost = false;
  const ttlSeconds = resolveOrderTtlSeconds(cfg.trading, opts.once);
  const heart = new Heart(loaded.paths.heartbeat, loaded, opts.mode);
  let stopping = false;
  let wake: (() => void) | null = null;
  /** When a lifecycle message asked for an early cycle (null: none pending). */
  let newMarketAt: number | null = null;
  let cycleStartedAt = 0;
  let cycleRunning = false;
  let overdueTimer: ReturnType<typeof setInterval> | null = null;
  let killAtCycle = false;
  // A cycle before the interval is up: at once when the kill switch flipped since the cycle started
  // (kalshi-bot pause / resume: resting orders go within a second of a pause, and a resume trades
  // without waiting an interval); for a new market in scope, at most every EARLY_CYCLE_GAP_MS after
  // a cycle's start, since a new event lists its markets in a burst.
  // An order due for renewal (order-ttl.ts) starts a cycle too, which cancels and requotes it.
  const earlyCycleDue = () => killSwitch().active !== killAtCycle || (newMarketAt !== null && monoNow() - cycleStartedAt >= EARLY_CYCLE_GAP_MS) || engineRef?.renewalDue() === true;
  const stopReads = new AbortController();
  // A second signal while stopping: leave without waiting for the exit's cancels (the exit line
  // names what is left resting; it expires on the exchange within the TTL).
  let abandonExit: (why: string) => void = () => {};
  const abandoned = new Promise<string>((r) => (abandonExit = r));
  let forced = false;
  const onSignal = (sig: string) => {
    if (stopping) {
      if (!forced) {
        forced = true;
        log.warn(`${sig} again: exiting without waiting for the cancels of resting orders`);
        abandonExit(`${sig} again: exit forced`);
      }
      return;
    }
    stopping = true;
    log.info(`${sig}: stopping at the next safe point`);
    notifyStopping();
    stopReads.abort(new StopRequested(`${sig}: market data fetch abandoned; no orders placed from partial data`));
    wake?.();
  };
  const sigterm = () => onSignal("SIGTERM");
  const sigint = () => onSignal("SIGINT");
  process.on("SIGTERM", sigterm);
  process.on("SIGINT", sigint);
  const intervalMs = cfg.trading.cycle_interval_seconds * 1000;
  // Monotonic, like every duration in the loop: a wall clock stepped back must not freeze the
  // daemon for the size of the step, nor a step forward fire everything at once.
  let lastIterationEnd = monoNow();
  const stopWatchdog = startSdWatchdog(() => loopAlive(lastIterationEnd, monoNow(), intervalMs));
  const clockWatch = new ClockStepWatch();
  const noteClockStep = () => {
    const step = clockWatch.check();
    if (step !== 0) log.warn(`system clock stepped ${step > 0 ? "forward" : "back"} by ${(Math.abs(step) / 1000).toFixed(1)} s; scheduling runs on the monotonic clock and is unaffected, times shown (logs, heartbeat, ledger) follow the new clock`);
  };
  let stoppingSent = false;
  const notifyStopping = () => {
    if (stoppingSent) return;
    stoppingSent = true;
    sdNotify("STOPPING=1");
  };

  try {
    // Before the first heartbeat: a second bot on this ledger must not touch the first one's files.
    dbGuard = guardDatabase(loaded.paths.database);
    heart.write("starting");
    try {
      db = openDb(loaded.paths.database);
    } catch (e) {
      throw new UserError((e as Error).message, e instanceof DbError && e.busy ? EXIT.DATABASE_BUSY : EXIT.DATABASE);
    }
    // A database created just now had no other user; guard it from here on.
    dbGuard ??= guardDatabase(loaded.paths.database);
    const ledger = new Ledger(db, dryRun);
    // Before the exchange session and any cycle: nothing else writes the ledger yet.
    pruneLedgerHistory(db, cfg.ledger.history_days);
    let lastPruneAt = monoNow();
    session = await openSession(loaded, engineLog);
    restartBookIfNewExchange(ledger, session);
    const limiter = session.client.limiter;
    heart.counters = () => heartbeatCountersOf(limiter, live?.ws ?? null);
    const marketData = new MarketDataSource(session.client, { signal: stopReads.signal });
    const paperTransport = dryRun ? new PaperTransport(ledger) : null;
    const engine = new Engine({
      loaded,
      session,
      ledger,
      marketData,
      transport: paperTransport ?? new LiveTransport(session.client),
      paperTransport,
      orderTtlSeconds: opts.mode === "trade" ? ttlSeconds : 0,
      limits,
      scope,
      mode: opts.mode,
      log: engineLog,
      ...(!dryRun && !cfg.trading.autonomous_mode && interactive ? { confirm: confirmOrder } : {}),
    });
    if (!dryRun && !opts.once && opts.mode === "trade") {
      const pre = session.client.presignOrders();
      stopPresigning = pre ? () => pre.stop() : undefined;
    }
    engineRef = engine;

    const persisted = engine.riskRow();
    if (opts.resetHalt) {
      if (persisted?.state === "halted") {
        engine.resetHalt();
        log.warn(`risk halt cleared by --reset-halt (was: ${persisted.reason ?? "risk limit"}); day start and high-water mark rebase to the current bankroll`);
      } else log.info("--reset-halt: the bot was not halted");
    } else if (persisted?.state === "halted" && opts.mode === "trade") {
      log.error(`halted by a risk limit: ${persisted.reason ?? "unknown"}. Review, then start once with --reset-halt to resume.`);
    }

    log.info(
      `${opts.mode === "scan" ? "scan" : dryRun ? "dry-run (paper) trading" : "LIVE trading"} on ${session.environment}${session.embedded ? " (embedded local exchange)" : ` ${session.baseUrl}`}; scope: ${scope.whole ? "whole exchange" : [...scope.seriesTickers.map((s) => `series ${s}`), ...scope.eventTickers.map((e) => `event ${e}`), ...scope.marketTickers].join(", ")}`,
    );
    // Which strategies decide, so a quiet run (the market maker ships disabled) explains itself.
    const strategyNames = Object.entries(cfg.trading.strategies);
    const on = strategyNames.filter(([, s]) => s.enabled).map(([n]) => n);
    const off = strategyNames.filter(([, s]) => !s.enabled).map(([n]) => n);
    log.info(`strategies: ${on.join(", ") || "none"} enabled${off.length ? `; ${off.join(", ")} disabled (trading.strategies.<name>.enabled)` : ""}`);
    // Daemon: WebSocket books between cycles (see cycle.ts and reactor.ts). Not awaited: the first
    // cycle runs over REST while the connection opens and snapshots arrive, and if the WebSocket
    // never connects the bot keeps trading on REST (KalshiWs redials with backoff meanwhile).
    const wsAuth = session.wsAuth();
    if (!opts.once && cfg.trading.websocket && wsAuth) {
      live = new LiveBooks({ wsOptions: { url: session.wsUrl, ...wsAuth, logger: wsLogger(), commandTimeoutMs: 5_000 }, trades: false, ownOrders: !dryRun, lifecycle: true, logger: wsLogger() });
      engine.live = live;
      // A market created or opened in scope starts a cycle early (with a full REST load): between
      // full loads the daemon would otherwise see it only up to FULL_MARKET_LOAD_MS later.
      live.onLifecycle((e) => {
        // event_fee_update too: an event's new fees are read by the full load (GetEvents overrides).
        if ((e.eventType !== "created" && e.eventType !== "activated" && e.eventType !== "event_fee_update") || !lifecycleInScope(scope, e.ticker, e.eventTicker)) return;
        log.debug(`market ${e.ticker} ${e.eventType}${e.eventTicker ? ` in ${e.eventTicker}` : ""}: full load at the next cycle, started early`);
        engine.requestFullLoad();
        newMarketAt ??= monoNow();
        wake?.();
      });
      live.start().catch((e) => log.warn(`live books: ${(e as Error).message}; trading on REST`));
      if (opts.mode === "trade") reactor = new Reactor(live, { moved: (t) => engine.moved(t), ownMove: (t) => engine.ownMove(t), paper: dryRun });
      log.info(`live books: WebSocket ${session.wsUrl}${reactor ? "; reacting to book moves between cycles" : ""}`);
    } else if (!opts.once && !cfg.trading.websocket) log.info("live books: off (trading.websocket=false); REST only");
    const between = new BetweenCycles();

    // Lock held, database open, session ready; no exchange request made yet (see the header).
    sdNotify(`READY=1\nSTATUS=started; first cycle running`);
    lastIterationEnd = monoNow();

    let failures = 0;
    /** The last cycle failed for the exchange (unreachable, 5xx, timeouts): `degraded` until one succeeds. */
    let exchangeFailing = false;
    let lastGc = Number.NEGATIVE_INFINITY;
    // A cycle the exchange leaves hanging (requests that answer slowly or time out one after another)
    // may run far past its interval: the heartbeat says `degraded` and why, instead of keeping the
    // `active` of its start until it goes stale.
    const overdueMs = Math.max(intervalMs, CYCLE_OVERDUE_MIN_MS);
    overdueTimer = opts.once
      ? null
      : setInterval(() => {
          const ran = monoNow() - cycleStartedAt;
          if (!cycleRunning || ran < overdueMs) return;
          heart.lastError = `cycle ${heart.cycle} has run ${Math.round(ran / 1000)} s (interval ${cfg.trading.cycle_interval_seconds} s): the exchange is slow or not answering${heart.lastError && !heart.lastError.startsWith(`cycle ${heart.cycle} has run`) ? `; before: ${heart.lastError}` : ""}`;
          heart.write("degraded");
        }, OVERDUE_CHECK_MS);
    overdueTimer?.unref?.();
    for (;;) {
      // A stop that came while the session opened (the embedded exchange starting): no cycle at all.
      if (stopping) break;
      if (!lock.stillOwned()) {
        heart.lastError = "lock file removed or taken over: stopping so two instances never trade";
        heart.write("error");
        throw new UserError(`lock file ${loaded.paths.lockFile} no longer belongs to this process; stopping`, EXIT.LOCKED);
      }
      heart.cycle = nextCycleId(db);
      noteClockStep();
      cycleStartedAt = monoNow();
      newMarketAt = null;
      killAtCycle = killSwitch().active;
      heart.write(statusBefore(engine, exchangeFailing), null);
      reactor?.cycleStarting();
      let report: CycleReport;
      cycleRunning = true;
      try {
        report = await engine.run();
        cycleRunning = false;
        failures = 0;
        exchangeFailing = false;
        heart.lastError = null;
      } catch (e) {
        cycleRunning = false;
        if (stopping && e instanceof StopRequested) {
          // Not a failure: the reads were abandoned on purpose, before any order of this cycle.
          lastIterationEnd = monoNow();
          log.info(`cycle ${heart.cycle}: ${e.message}`);
          heart.write("stopped");
          return EXIT.OK;
        }
        failures++;
        const cause = (e as { cause?: unknown }).cause;
        const fix = authFix(e) ?? authFix(cause);
        const msg = `${(e as Error).message}${fix ? `; ${fix}` : ""}`;
        heart.lastError = msg;
        const partial = (e as { report?: CycleReport }).report;
        if (partial && partial.cashMicros) heart.fromReport(partial);
        const exch = e instanceof KalshiApiError || cause instanceof KalshiApiError || /fetch|ECONNREFUSED|network|timeout|socket/i.test(msg);
        const recon = e instanceof ReconcileError && !exch;
        exchangeFailing = exch;
        log.error(`cycle ${heart.cycle} failed: ${msg}`);
        lastIterationEnd = monoNow();
        if (stopping) {
          // A requested stop is a clean stop even while the exchange is failing: exit 0, or systemd
          // would record every `systemctl stop` during an outage as a failure and page the operator.
          heart.write("stopped");
          return EXIT.OK;
        }
        if (opts.once) {
          heart.write("error");
          if (recon) return EXIT.RECONCILE;
          if (exch) return EXIT.EXCHANGE;
          throw e;
        }
        const backoff = Math.min(cfg.trading.cycle_interval_seconds * 1000, 5_000 * 2 ** Math.min(failures - 1, 6));
        const nextMono = monoNow() + backoff;
        // The exchange failing is `degraded` (the bot rides it out); anything else needs the operator.
        heart.write(exch ? "degraded" : "error", wallAt(nextMono));
        sdNotify(`STATUS=cycle ${heart.cycle}: failed (${oneLine(msg)}); retry in ${Math.round(backoff / 1000)} s`);
        // No reactive passes after a failed cycle (react() refuses them until a cycle succeeds).
        await sleepUntilMono(nextMono, (w) => (wake = w), () => stopping);
        if (stopping) break;
        continue;
      }
      lastIterationEnd = monoNow();
      heart.cycle = report.cycleId;
      heart.fromReport(report);
      const text = opts.mode === "scan" ? scanTable(report) : cycleSummary(report, { dryRun, mode: opts.mode });
      print(text);
      if (live) log.info(between.summary(live, report));
      // Between cycles, in the daemon: a full collection at most every GC_EVERY_MS. Bun collects
      // lazily, and a daemon that parses a market list and a stream of book deltas sawtoothed its
      // RSS between ~110 and ~170 MB at 1,000 markets; collecting after the cycle (the heap is ~20
      // MB, a few ms, never during an order) keeps it at ~100-115 MB (scripts/bench/engine-soak.ts).
      if (!opts.once && monoNow() - lastGc >= GC_EVERY_MS) {
        const t0 = performance.now();
        Bun.gc(true);
        lastGc = monoNow();
        log.debug(`full GC ${(performance.now() - t0).toFixed(1)} ms`);
      }
      // Between cycles, never during one: the prune is synchronous, so no order is placed meanwhile.
      if (!opts.once && monoNow() - lastPruneAt >= PRUNE_EVERY_MS) {
        pruneLedgerHistory(db, cfg.ledger.history_days);
        lastPruneAt = monoNow();
      }
      if (log.level >= 4) {
        const m = process.memoryUsage();
        const mb = (b: number) => (b / 1048576).toFixed(1);
        log.debug(`memory: rss ${mb(m.rss)} MB, JS heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`);
      }
      const status = report.status;
      if (status === "halted" && opts.mode === "trade") {
        heart.write("halted");
        sdNotify(`STATUS=cycle ${heart.cycle}: halted (${oneLine(report.statusReason ?? "risk limit")}); --reset-halt after review`);
        log.error(`trading halted: ${report.statusReason}. Resting orders were cancelled. Start with --reset-halt after review.`);
        return EXIT.HALTED;
      }
      if (opts.once || stopping) {
        heart.write(stopping ? "stopped" : status === "error" ? "error" : status, null);
        if (!stopping && opts.once) {
          // --once ends with the heartbeat of the cycle, then `stopped` is not written: the watchdog
          // should judge the last cycle, not the exit.
        }
        break;
      }
      const nextMono = monoNow() + cfg.trading.cycle_interval_seconds * 1000;
      heart.write(status, wallAt(nextMono));
      sdNotify(`STATUS=cycle ${heart.cycle}: ${status}${report.statusReason ? ` (${oneLine(report.statusReason)})` : ""}, ${report.marketsScanned} markets${report.liveTrusted !== null ? ` (${report.liveTrusted} live)` : ""}, ${report.exec?.created ?? 0} orders sent, ${report.openOrders} open, bankroll $${heart.bankroll?.total_dollars ?? "?"}`);
      if (reactor) {
        // Between cycles: reactive passes when live books move (reactor.ts), until the next cycle.
        for (;;) {
          const r = await reactor.wait(nextMono, () => stopping || earlyCycleDue(), (w) => (wake = w));
          if (r === "timeout") break;
          // Same rule as before a cycle: a process that lost its lock never sends another order.
          if (!lock.stillOwned()) break;
          const work = reactor.take();
          try {
            const rr = await engine.react(work);
            between.record(work, rr);
            log.debug(`reactive pass: ${work.woken.size} moved${work.reconcile ? ", reconcile" : ""}: ${rr.skipped ? `skipped (${rr.skipped})` : `${rr.exec?.created ?? 0} placed, ${rr.exec?.amended ?? 0} amended, ${rr.exec?.canceled ?? 0} canceled`}; ${rr.cpuMs.toFixed(1)} ms CPU, ${work.waitedMs} ms after the first update`);
          } catch (e) {
            // The ledger is written before every request, so a failed pass leaves nothing unrecorded;
            // the next cycle reconciles and decides again.
            between.failed++;
            log.warn(`reactive pass failed: ${(e as Error).message}`);
          }
        }
      } else await sleepUntilMono(nextMono, (w) => (wake = w), () => stopping || earlyCycleDue());
      if (stopping) break;
    }
    if (stopping) heart.write("stopped");
    return EXIT.OK;
  } catch (e) {
    const err = databaseFailure(loaded.paths.database, e) ?? e;
    // The lock-lost path wrote its own `error` and the heartbeat may be another instance's now.
    lockLost = err instanceof UserError && err.exitCode === EXIT.LOCKED;
    if (!lockLost) {
      heart.lastError = (err as Error).message ?? String(err);
      heart.write("error");
    }
    throw err;
  } finally {
    if (overdueTimer) clearInterval(overdueTimer);
    stopPresigning?.();
    reactor?.close();
    live?.close();
    // Cancel on exit (shutdown.ts), whatever the way out: a stop, the end of --once, a halt, a
    // failure. Not when the lock was lost: the orders may be another instance's to manage now.
    if (engineRef && opts.mode === "trade" && !lockLost) {
      try {
        const r = await cancelOnExit(engineRef, { cancel: cfg.trading.cancel_on_exit, abandon: abandoned, log: engineLog });
        heart.exitOrders = { policy: r.policy, canceled: r.canceled, not_canceled: r.failed, kept: r.kept, reason: r.reason };
        heart.openOrders = r.restingAfter;
        if (r.cashMicros !== undefined) heart.cashAfterExit(r.cashMicros);
        if (heart.status) heart.write(heart.status, heart.nextCycleAt);
        const line = describeExitCancel(r, ttlSeconds);
        if (!opts.once) sdNotify(`STATUS=${stopping ? "stopped" : "exiting"}: ${oneLine(line)}`);
        log[r.failed > 0 ? "warn" : "info"](`${stopping ? "stopped" : "exiting"}: ${line}`);
      } catch (e) {
        log.error(`cancel on exit failed: ${(e as Error).message}; resting orders may remain until they expire, and the next start reconciles them`);
      }
    }
    // A daemon leaving on purpose (signal, halt, lock lost) says so; --once is not a service.
    if (!opts.once) notifyStopping();
    process.off("SIGTERM", sigterm);
    process.off("SIGINT", sigint);
    stopWatchdog();
    try {
      await session?.close();
    } catch {}
    try {
      db?.$client.close();
    } catch {}
    dbGuard?.release();
    lock.release();
  }
}

/** Minimum time from a cycle's start to an early cycle for a new market in scope. */
const EARLY_CYCLE_GAP_MS = 5_000;

/**
 * The systemd watchdog's verdict on the loop: alive while the last finished iteration is younger
 * than the sleep between cycles plus 2 × max(interval, 60 s) for the cycle itself (see the header).
 */
export function loopAlive(lastIterationEndMs: number, nowMs: number, intervalMs: number): boolean {
  return nowMs - lastIterationEndMs < intervalMs + 2 * Math.max(intervalMs, 60_000);
}

/** The daemon prunes at start-up and then daily: after the first pass each removes about a day of rows. */
const PRUNE_EVERY_MS = 24 * 3600_000;

/**
 * Remove ledger history older than `ledger.history_days` (0: keep it all), with one info line when
 * anything went. Housekeeping only: a failure (a full disk) is rolled back, logged, and retried at
 * the next window, while trading goes on.
 */
function pruneLedgerHistory(db: Db, historyDays: number): void {
  if (historyDays <= 0) return;
  const t0 = performance.now();
  try {
    const n = pruneHistory(db, Date.now() - historyDays * 86_400_000);
    if (n.orderEvents + n.auditLog + n.balanceSnapshots + n.marketSnapshots + n.cycles === 0) return;
    log.info(
      `ledger: removed history older than ${historyDays} days: ${n.orderEvents} order events, ${n.auditLog} audit rows, ${n.balanceSnapshots} balance snapshots, ${n.marketSnapshots} market snapshots, ${n.cycles} cycles (${Math.round(performance.now() - t0)} ms); orders, fills and settlements are kept`,
    );
  } catch (e) {
    log.warn(`ledger history not pruned (${oneLine((e as Error).message)}); nothing was removed and trading goes on; retried at the next start or in 24 h`);
  }
}

/** Minimum time between two forced full collections in the daemon (see the loop). */
const GC_EVERY_MS = 5_000;

/**
 * KalshiWs/LiveBooks log lines into ours: chatter at debug, the first of a repeated warning (a
 * WebSocket that cannot connect redials every ≤30 s) at warn and its repeats at debug for 5 min.
 */
function wsLogger(): (level: "debug" | "info" | "warn" | "error", msg: string) => void {
  let lastKey = "";
  let quietUntil = 0;
  return (level, msg) => {
    if (level === "debug" || level === "info") {
      if (/^websocket connected/.test(msg)) log.info(`live books: ${msg}`);
      else log.debug(`live books: ${msg}`);
      return;
    }
    const key = msg.replace(/\d+/g, "#");
    if (key === lastKey && monoNow() < quietUntil) {
      log.debug(`live books: ${msg}`);
      return;
    }
    lastKey = key;
    quietUntil = monoNow() + 300_000;
    log[level](`live books: ${msg}`);
  };
}

/** What the reactive passes did between two cycles, for the cycle's log line. */
class BetweenCycles {
  passes = 0;
  acted = 0;
  reconciles = 0;
  failed = 0;
  placed = 0;
  amended = 0;
  canceled = 0;
  private waited: number[] = [];
  private cpu: number[] = [];
  record(work: ReactorWork, r: ReactReport): void {
    this.passes++;
    if (r.reconciled) this.reconciles++;
    if (r.acted) this.acted++;
    if (r.exec) {
      this.placed += r.exec.created;
      this.amended += r.exec.amended;
      this.canceled += r.exec.canceled;
    }
    if (this.waited.length < 10_000) {
      this.waited.push(work.waitedMs);
      this.cpu.push(r.cpuMs);
    }
  }
  summary(live: LiveBooks, report: CycleReport): string {
    const p50 = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);
    const head = `live books: ${report.liveTrusted ?? live.trustedCount}/${report.marketsScanned} trusted`;
    const s =
      this.passes === 0
        ? `${head}; no reactive pass since the last cycle`
        : `${head}; since the last cycle: ${this.passes} reactive pass(es), ${this.acted} acted (${this.placed} placed, ${this.amended} amended, ${this.canceled} canceled), ${this.reconciles} reconciliation(s)${this.failed ? `, ${this.failed} failed` : ""}; update→pass p50 ${p50(this.waited)} ms, pass CPU p50 ${p50(this.cpu).toFixed(1)} ms`;
    this.passes = this.acted = this.reconciles = this.failed = this.placed = this.amended = this.canceled = 0;
    this.waited = [];
    this.cpu = [];
    return s;
  }
}

/** STATUS= is one line; systemd shows it verbatim. */
function oneLine(s: string, max = 160): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

/**
 * A SQLite error that escaped after the database opened (a --once cycle writing the ledger on a
 * full disk, a lock held past the busy timeout): the database's exit code and a line naming the
 * fix, instead of "internal error" with drizzle's query text. Null for anything else.
 */
export function databaseFailure(path: string, e: unknown): UserError | null {
  if (e instanceof UserError) return null;
  const code = sqliteErrorCode(e);
  if (!code) return null;
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
    return new UserError(`database ${path} is locked by another process (${code}); another program (a sqlite3 shell, a second kalshi-bot with its own lock file) holds it: stop that program, then start again`, EXIT.DATABASE_BUSY);
  }
  const fix: Record<string, string> = {
    SQLITE_FULL: "no space left on its filesystem: free disk space there (or move paths.database), then start again",
    SQLITE_READONLY: "it is not writable by this user: fix the permissions of the file and its folder (the bot also writes its -wal and -shm files there)",
    SQLITE_PERM: "it is not writable by this user: fix the permissions of the file and its folder",
    SQLITE_CANTOPEN: "a file beside it cannot be opened (-wal, -shm): check that its folder is writable by this user",
    SQLITE_CORRUPT: "it is damaged: restore the latest backup with `kalshi-bot restore`",
    SQLITE_NOTADB: "it is damaged: restore the latest backup with `kalshi-bot restore`",
    SQLITE_IOERR: "the disk reported an I/O error: check free space and the disk, then start again",
  };
  // Only the codes that say something about the file or its disk; a constraint or SQL error is our
  // bug and stays an internal error.
  const known = Object.keys(fix).find((k) => code === k || code.startsWith(`${k}_`));
  return known ? new UserError(`database ${path} failed (${code}); ${fix[known]}`, EXIT.DATABASE) : null;
}

function statusBefore(engine: Engine, exchangeFailing: boolean): HeartbeatStatus {
  if (engine.gate.snapshot.state === "halted") return "halted";
  if (killSwitch().active) return "disabled";
  return exchangeFailing ? "degraded" : "active";
}

/** A daemon cycle running longer than max(interval, this) turns the heartbeat `degraded`. */
const CYCLE_OVERDUE_MIN_MS = 30_000;
const OVERDUE_CHECK_MS = 5_000;
