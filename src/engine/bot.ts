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
import { ExchangeClock } from "./exchange-clock.ts";
import { KalshiApiError, authFix } from "../kalshi/index.ts";
import type { LoadedConfig } from "../config/load.ts";
import { EXIT, UserError } from "../errors.ts";
import { closeDb, DbError, openDb, sqliteErrorCode, type Db } from "../db/open.ts";
import { acquireLock, guardDatabase, type LockHandle } from "../ops/lock.ts";
import { writeHeartbeat, type Heartbeat, type HeartbeatCounters, type HeartbeatStatus } from "../ops/heartbeat.ts";
import { killSwitch, setKillSwitchFile } from "../ops/kill-switch.ts";
import { log } from "../ops/log.ts";
import { redact } from "../ops/redact.ts";
import { sdNotify, startSdWatchdog } from "../ops/sd-notify.ts";
import { HeapCollector } from "../ops/heap-collector.ts";
import { ClockStepWatch, monoNow, sleepUntilMono, wallAt } from "../ops/clock.ts";
import { VERSION } from "../version.ts";
import { centsToMicros, formatDollars2, microsToCents, parseDollars } from "../kalshi/money.ts";
import { resolveRiskLimits, type ResolvedRiskLimits } from "./risk.ts";
import { Engine, type CycleReport, type ReactReport } from "./cycle.ts";
import { LiveBooks } from "./live-books.ts";
import { Reactor, type ReactorWork } from "./reactor.ts";
import { IdleReport } from "./idle-report.ts";
import { openSession, type ExchangeSession } from "./exchange-session.ts";
import { Ledger, pruneHistory } from "./ledger.ts";
import { LiveTransport } from "./live-transport.ts";
import { MarketDataSource, StopRequested, lifecycleInScope, type Scope } from "./market-data.ts";
import { PaperTransport } from "./paper-transport.ts";
import { ReconcileError } from "./reconcile.ts";
import { cycleSummary, scanTable } from "./scan-report.ts";
import { nextCycleId } from "./ledger/cycle-number.ts";
import { HeartbeatCounterSampler } from "./heartbeat-counters.ts";
import { checkLiveTrading, resolveScope } from "./live-guard.ts";
import { resolveOrderTtlSeconds } from "./order-ttl.ts";
import { cancelOnExit, describeExitCancel, recordFillsAtExit } from "./shutdown.ts";

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
        ...(this.counters ? { counters: this.counters() } : {}),
        ...(this.risk ? { risk_state: this.risk } : {}),
        ...(this.exitOrders ? { exit_orders: this.exitOrders } : {}),
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
    const cash = centsToMicros(microsToCents(cashMicros));
    this.bankroll = { ...this.bankroll, cash_dollars: formatDollars2(cash), portfolio_value_dollars: formatDollars2(total - cash) };
  }
  fromReport(r: CycleReport): void {
    // Cents of the parts are derived from the cents of cash and total, so cash + portfolio = total
    // exactly as printed (truncating each part separately could lose a cent).
    const pvCents = microsToCents(r.totalMicros) - microsToCents(r.cashMicros);
    this.bankroll = {
      cash_dollars: formatDollars2(r.cashMicros),
      portfolio_value_dollars: formatDollars2(centsToMicros(pvCents)),
      total_dollars: formatDollars2(r.totalMicros),
    };
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
  const plan = refusals(loaded, opts);
  const lock: LockHandle = acquireLock(loaded.paths.lockFile);
  return new BotRun(loaded, opts, plan, lock).main();
}

/** What the refusals before anything is touched resolved: the scope, the risk limits, whether a person is at the terminal. */
interface RunPlan {
  scope: Scope;
  limits: ResolvedRiskLimits;
  interactive: boolean;
}

/** Refusals before anything is touched: an unusable scope, live trading not confirmed, risk limits that do not parse. */
function refusals(loaded: LoadedConfig, opts: RunOptions): RunPlan {
  const cfg = loaded.config;
  const interactive = !opts.nonInteractive && !cfg.trading.non_interactive && process.stdin.isTTY === true;
  const scope: Scope = resolveScope(loaded);
  if (opts.mode === "trade") checkLiveTrading(loaded, { interactive });
  let limits: ResolvedRiskLimits;
  try {
    limits = resolveRiskLimits(cfg.risk);
  } catch (e) {
    throw new UserError(`risk limits: ${(e as Error).message}`);
  }
  return { scope, limits, interactive };
}

/** What one step of the loop says: go on, leave the loop (exit 0 after `stopped`), or exit with a code. */
type Step = "next" | "break" | { exit: number };

/** One run of the bot, from the lock to the exit: the state the lifecycle's phases share. */
class BotRun {
  private readonly cfg: LoadedConfig["config"];
  private readonly dryRun: boolean;
  private readonly print: (text: string) => void;
  private readonly ttlSeconds: number;
  private readonly heart: Heart;
  private readonly intervalMs: number;
  private db: Db | null = null;
  private dbGuard: { release(): void } | null = null;
  private session: ExchangeSession | null = null;
  private live: LiveBooks | null = null;
  /** Live daemon: order-create signatures made ahead, off the path from a book update to the send. */
  private stopPresigning: (() => void) | undefined;
  private reactor: Reactor | null = null;
  private engine: Engine | null = null;
  private exchangeClock: ExchangeClock | null = null;
  private lockLost = false;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** When a lifecycle message asked for an early cycle (null: none pending). */
  private newMarketAt: number | null = null;
  private cycleStartedAt = 0;
  private cycleRunning = false;
  private overdueTimer: ReturnType<typeof setInterval> | null = null;
  private killAtCycle = false;
  /** The kill switch as earlyCycleDue last looked (monotonic ms). */
  private killPolled = false;
  private killPolledAt = Number.NEGATIVE_INFINITY;
  private readonly stopReads = new AbortController();
  // A second signal while stopping: leave without waiting for the exit's cancels (the exit line
  // names what is left resting; it expires on the exchange within the TTL).
  private abandonExit: (why: string) => void = () => {};
  private readonly abandoned = new Promise<string>((r) => (this.abandonExit = r));
  /** When this run began (wall clock, as the ledger stamps orders): the exit reads fills only after a run that sent orders. */
  private readonly startedAt = Date.now();
  private forced = false;
  // Monotonic, like every duration in the loop: a wall clock stepped back must not freeze the
  // daemon for the size of the step, nor a step forward fire everything at once.
  private lastIterationEnd = monoNow();
  private stopWatchdog: () => void = () => {};
  private readonly clockWatch = new ClockStepWatch();
  private stoppingSent = false;
  private failures = 0;
  /** The last cycle failed for the exchange (unreachable, 5xx, timeouts): `degraded` until one succeeds. */
  private exchangeFailing = false;
  /** The daemon's full collections: between cycles and between the pages of a full load (heap-collector.ts). */
  private readonly collector = new HeapCollector({ now: monoNow });
  private lastPruneAt = 0;
  private readonly between = new BetweenCycles();
  private readonly sigterm = () => this.onSignal("SIGTERM");
  private readonly sigint = () => this.onSignal("SIGINT");
  /**
   * SIGUSR1 asked for a cycle now, with a full load of the scope's markets (an operator's "look
   * again"; a harness stepping a local exchange, where the full load's own timer, on this machine's
   * clock, would fall at a different step on each run).
   */
  private cycleAsked = false;
  private readonly sigusr1 = () => {
    // A --once run is its one cycle: the signal is ignored there (unhandled, it would kill the run).
    if (this.opts.once) return;
    this.cycleAsked = true;
    this.engine?.requestFullLoad();
    this.wake?.();
  };
  /**
   * SIGUSR2, stepped venue only (exchange.clock): every frame of the step is in, answer the moves
   * held since (Reactor.release; a harness stepping a local exchange sends it once the daemon is
   * idle after the step).
   */
  private readonly sigusr2 = () => {
    this.reactor?.release();
    // A release with nothing to answer still changes the idle line (its count).
    setImmediate(this.idleCheck);
  };
  private get stepped(): boolean {
    return this.cfg.exchange.clock === "stepped";
  }
  /** Cycles this process finished, between cycles now, a reactive pass running: the idle report. */
  private cyclesDone = 0;
  private betweenNow = false;
  private passRunning = false;
  private readonly idleReport = new IdleReport((line) => log.debug(line));

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly opts: RunOptions,
    private readonly plan: RunPlan,
    private readonly lock: LockHandle,
  ) {
    this.cfg = loaded.config;
    this.dryRun = this.cfg.trading.dry_run;
    this.print = opts.print ?? ((t: string) => process.stdout.write(`${t}\n`));
    this.ttlSeconds = resolveOrderTtlSeconds(this.cfg.trading, opts.once);
    this.heart = new Heart(loaded.paths.heartbeat, loaded, opts.mode);
    this.intervalMs = this.cfg.trading.cycle_interval_seconds * 1000;
  }

  // ---- the lifecycle: the table of contents -------------------------------------------------------

  async main(): Promise<number> {
    process.on("SIGTERM", this.sigterm);
    process.on("SIGINT", this.sigint);
    process.on("SIGUSR1", this.sigusr1);
    if (this.stepped && !this.opts.once) process.on("SIGUSR2", this.sigusr2);
    this.stopWatchdog = startSdWatchdog(() => loopAlive(this.lastIterationEnd, monoNow(), this.intervalMs));
    // The daemon's JIT compiles only what runs often (see DAEMON_JIT_POLICY); --once is one cycle.
    if (!this.opts.once) Bun.unsafe.setJITPolicy(DAEMON_JIT_POLICY);
    try {
      const engine = await this.open();
      this.haltAtStart(engine);
      this.announce();
      this.startLiveBooks(engine);
      // Lock held, database open, session ready; no exchange request made yet (see the header).
      sdNotify(`READY=1\nSTATUS=started; first cycle running`);
      this.lastIterationEnd = monoNow();
      this.startOverdueTimer();
      return await this.loop(engine);
    } catch (e) {
      throw this.failure(e);
    } finally {
      await this.shutdown();
    }
  }

  private async loop(engine: Engine): Promise<number> {
    for (;;) {
      // A stop that came while the session opened (the embedded exchange starting): no cycle at all.
      if (this.stopping) break;
      this.checkLock();
      this.cycleStarting(engine);
      let report: CycleReport;
      try {
        report = await this.runCycle(engine);
      } catch (e) {
        const step = await this.cycleFailed(e);
        if (step === "next") continue;
        if (step === "break") break;
        return step.exit;
      }
      const step = await this.cycleDone(engine, report);
      if (step === "break") break;
      if (step !== "next") return step.exit;
    }
    if (this.stopping) this.heart.write("stopped");
    return EXIT.OK;
  }

  // ---- start-up -------------------------------------------------------------------------------------

  /** Database, ledger (pruned), exchange session, engine. */
  private async open(): Promise<Engine> {
    const { loaded, cfg, dryRun, opts } = this;
    // Before the first heartbeat: a second bot on this ledger must not touch the first one's files.
    this.dbGuard = guardDatabase(loaded.paths.database);
    this.heart.write("starting");
    let db: Db;
    try {
      db = openDb(loaded.paths.database);
    } catch (e) {
      throw new UserError((e as Error).message, e instanceof DbError && e.busy ? EXIT.DATABASE_BUSY : EXIT.DATABASE);
    }
    this.db = db;
    // A database created just now had no other user; guard it from here on.
    this.dbGuard ??= guardDatabase(loaded.paths.database);
    const ledger = new Ledger(db, dryRun);
    // Before the exchange session and any cycle: nothing else writes the ledger yet.
    pruneLedgerHistory(db, cfg.ledger.history_days);
    this.lastPruneAt = monoNow();
    const session = await openSession(loaded, engineLog);
    this.session = session;
    restartBookIfNewExchange(ledger, session);
    const limiter = session.client.limiter;
    const sampler = new HeartbeatCounterSampler(limiter, () => this.live?.ws ?? null);
    this.heart.counters = () => sampler.read();
    // Paper stamps its fills on the exchange's clock, as the exchange stamps live ones; fee waivers are judged on it too.
    // A stepped local exchange (exchange.clock): its time is the newest it sent, never run on this machine's clock.
    const exchangeClock = new ExchangeClock(cfg.exchange.clock === "stepped" ? null : monoNow);
    this.exchangeClock = exchangeClock;
    const marketData = new MarketDataSource(session.client, {
      signal: this.stopReads.signal,
      exchangeNow: () => exchangeClock.now(),
      // The daemon's full load (once a minute, ~50 MB of garbage at 10,000 markets) collects as it goes.
      ...(opts.once
        ? {}
        : {
            betweenPages: () => this.collectIfDue(" (between pages of a full load)"),
          }),
    });
    const paperTransport = dryRun ? new PaperTransport(ledger, () => exchangeClock.now() ?? Date.now()) : null;
    const engine = new Engine({
      loaded,
      session,
      ledger,
      marketData,
      transport: paperTransport ?? new LiveTransport(session.client),
      paperTransport,
      exchangeClock,
      orderTtlSeconds: opts.mode === "trade" ? this.ttlSeconds : 0,
      limits: this.plan.limits,
      scope: this.plan.scope,
      mode: opts.mode,
      log: engineLog,
      ...(opts.once ? {} : { betweenSteps: () => this.collectIfDue(" (between the market-data steps of a cycle)") }),
      ...(!dryRun && !cfg.trading.autonomous_mode && this.plan.interactive ? { confirm: confirmOrder } : {}),
    });
    if (!dryRun && !opts.once && opts.mode === "trade") {
      const pre = session.client.presignOrders();
      this.stopPresigning = pre ? () => pre.stop() : undefined;
    }
    this.engine = engine;
    return engine;
  }

  /** A persisted halt: cleared by --reset-halt, otherwise said (the first cycle cancels and exits 10). */
  private haltAtStart(engine: Engine): void {
    const persisted = engine.riskRow();
    if (this.opts.resetHalt) {
      if (persisted?.state === "halted") {
        engine.resetHalt();
        log.warn(
          `risk halt cleared by --reset-halt (was: ${persisted.reason ?? "risk limit"}); day start and high-water mark rebase to the current bankroll`,
        );
      } else log.info("--reset-halt: the bot was not halted");
    } else if (persisted?.state === "halted" && this.opts.mode === "trade") {
      log.error(`halted by a risk limit: ${persisted.reason ?? "unknown"}. Review, then start once with --reset-halt to resume.`);
    }
  }

  /** What runs where, and which strategies decide, so a quiet run (the market maker ships disabled) explains itself. */
  private announce(): void {
    const { opts, dryRun, cfg } = this;
    const session = this.session!;
    const scope = this.plan.scope;
    log.info(
      `${opts.mode === "scan" ? "scan" : dryRun ? "dry-run (paper) trading" : "LIVE trading"} on ${session.environment}${session.embedded ? " (embedded local exchange)" : ` ${session.baseUrl}`}; scope: ${scope.whole ? "whole exchange" : [...scope.seriesTickers.map((s) => `series ${s}`), ...scope.eventTickers.map((e) => `event ${e}`), ...scope.marketTickers].join(", ")}`,
    );
    const strategyNames = Object.entries(cfg.trading.strategies);
    const on = strategyNames.filter(([, s]) => s.enabled).map(([n]) => n);
    const off = strategyNames.filter(([, s]) => !s.enabled).map(([n]) => n);
    log.info(
      `strategies: ${on.join(", ") || "none"} enabled${off.length ? `; ${off.join(", ")} disabled (trading.strategies.<name>.enabled)` : ""}`,
    );
  }

  /**
   * Daemon: WebSocket books between cycles (see cycle.ts and reactor.ts). Not awaited: the first
   * cycle runs over REST while the connection opens and snapshots arrive, and if the WebSocket
   * never connects the bot keeps trading on REST (KalshiWs redials with backoff meanwhile).
   */
  private startLiveBooks(engine: Engine): void {
    const { opts, cfg, dryRun } = this;
    const session = this.session!;
    const wsAuth = session.wsAuth();
    if (opts.once || !cfg.trading.websocket || !wsAuth) {
      if (!opts.once && !cfg.trading.websocket) log.info("live books: off (trading.websocket=false); REST only");
      return;
    }
    const live = new LiveBooks({
      wsOptions: { url: session.wsUrl, ...wsAuth, logger: wsLogger(), commandTimeoutMs: 5_000 },
      // Paper: the public prints fill its resting orders before it decides again (PaperUpkeep.watchBooks).
      trades: dryRun,
      // Paper hears each print as it comes (its watch) and reads missed ones over REST; nothing reads
      // a ring of past prints. Kept, up to 512 for every market that trades, they grew a dry run's
      // memory by ~3 MB/h at 10,000 markets and would have reached hundreds of MB over days.
      tradeRing: 0,
      ownOrders: !dryRun,
      lifecycle: true,
      logger: wsLogger(),
      // Every frame's exchange time is a sample of the exchange's clock, taken before its listeners decide.
      ...(this.exchangeClock ? { exchangeTime: (ms: number) => this.exchangeClock!.observe(ms) } : {}),
    });
    this.live = live;
    engine.live = live;
    // Paper sees a maker's order through a paper quote as the delta arrives, not only at the next look.
    // Such a fill waits for the next sync point: a pass for its market, as a live fill asks for one.
    if (dryRun) engine.watchPaperCrosses(live, () => this.reactor?.paperFillSeen());
    // A market created or opened in scope starts a cycle early (with a full REST load): between
    // full loads the daemon would otherwise see it only up to FULL_MARKET_LOAD_MS later.
    live.onLifecycle((e) => {
      // event_fee_update too: an event's new fees are read by the full load (GetEvents overrides).
      if (
        (e.eventType !== "created" && e.eventType !== "activated" && e.eventType !== "event_fee_update") ||
        !lifecycleInScope(this.plan.scope, e.ticker, e.eventTicker)
      )
        return;
      log.debug(
        `market ${e.ticker} ${e.eventType}${e.eventTicker ? ` in ${e.eventTicker}` : ""}: full load at the next cycle, started early`,
      );
      engine.requestFullLoad();
      this.newMarketAt ??= monoNow();
      this.wake?.();
    });
    live.start().catch((e) => log.warn(`live books: ${(e as Error).message}; trading on REST`));
    // After the burst of frames being applied (the reactor's listeners run first: they hear a
    // frame's "message" event through the live books, which listen to it before this does; a
    // book's "book" event comes before it, and queued the idle check ahead of the narrow path).
    live.ws.on((e) => {
      if (log.level < 4 || e.type !== "message") return;
      this.idleCheckQueued ??= setImmediate(() => {
        this.idleCheckQueued = null;
        this.idleCheck();
      });
    });
    if (opts.mode === "trade") {
      // The narrow requote path sends from the update's listener: same rules as a pass (lock, no stop).
      engine.narrowAllowed = () => !this.stopping && this.lock.stillOwned();
      engine.narrowStepTimes = log.level >= 4;
      this.reactor = new Reactor(live, {
        moved: (t) => engine.moved(t),
        ownMove: (t) => engine.ownMove(t),
        paper: dryRun,
        // Stepped: the passes' gap is measured on the exchange's time, as the frames carry it.
        ...(this.exchangeClock && !this.exchangeClock.runs
          ? { now: () => this.exchangeClock!.now() ?? Number.NEGATIVE_INFINITY, clockRuns: false, holdUntilReleased: true }
          : {}),
        // Paper too: the same decisions as live, only the transport and its fill model differ.
        narrow: (t: string, at: number) => engine.requote(t, at),
      });
    }
    log.info(`live books: WebSocket ${session.wsUrl}${this.reactor ? "; reacting to book moves between cycles" : ""}`);
  }

  /**
   * A cycle the exchange leaves hanging (requests that answer slowly or time out one after another)
   * may run far past its interval: the heartbeat says `degraded` and why, instead of keeping the
   * `active` of its start until it goes stale.
   */
  private startOverdueTimer(): void {
    if (this.opts.once) return;
    const { heart } = this;
    const overdueMs = Math.max(this.intervalMs, CYCLE_OVERDUE_MIN_MS);
    this.overdueTimer = setInterval(() => {
      const ran = monoNow() - this.cycleStartedAt;
      if (!this.cycleRunning || ran < overdueMs) return;
      heart.lastError = `cycle ${heart.cycle} has run ${Math.round(ran / 1000)} s (interval ${this.cfg.trading.cycle_interval_seconds} s): the exchange is slow or not answering${heart.lastError && !heart.lastError.startsWith(`cycle ${heart.cycle} has run`) ? `; before: ${heart.lastError}` : ""}`;
      heart.write("degraded");
    }, OVERDUE_CHECK_MS);
    this.overdueTimer?.unref?.();
  }

  // ---- one cycle ------------------------------------------------------------------------------------

  /** A process that lost its lock never sends another order. */
  private checkLock(): void {
    if (this.lock.stillOwned()) return;
    this.heart.lastError = "lock file removed or taken over: stopping so two instances never trade";
    this.heart.write("error");
    throw new UserError(`lock file ${this.loaded.paths.lockFile} no longer belongs to this process; stopping`, EXIT.LOCKED);
  }

  private cycleStarting(engine: Engine): void {
    this.heart.cycle = nextCycleId(this.db!);
    this.noteClockStep();
    this.cycleStartedAt = monoNow();
    this.newMarketAt = null;
    this.killAtCycle = killSwitch().active;
    this.killPolled = this.killAtCycle;
    this.killPolledAt = monoNow();
    this.heart.write(statusBefore(engine, this.exchangeFailing), null);
    this.reactor?.cycleStarting();
    this.cycleAsked = false;
  }

  private async runCycle(engine: Engine): Promise<CycleReport> {
    this.cycleRunning = true;
    try {
      const report = await engine.run();
      this.failures = 0;
      this.exchangeFailing = false;
      this.heart.lastError = null;
      return report;
    } finally {
      this.cycleRunning = false;
    }
  }

  /**
   * A failed cycle: `--once` exits (4 exchange, 7 reconciliation, else the error itself); the
   * daemon says what is wrong on the heartbeat and retries with backoff.
   */
  private async cycleFailed(e: unknown): Promise<Step> {
    const { heart } = this;
    if (this.stopping && e instanceof StopRequested) {
      // Not a failure: the reads were abandoned on purpose, before any order of this cycle.
      this.lastIterationEnd = monoNow();
      log.info(`cycle ${heart.cycle}: ${e.message}`);
      heart.write("stopped");
      return { exit: EXIT.OK };
    }
    this.failures++;
    const cause = (e as { cause?: unknown }).cause;
    const fix = authFix(e) ?? authFix(cause);
    const msg = `${(e as Error).message}${fix ? `; ${fix}` : ""}`;
    heart.lastError = msg;
    const partial = (e as { report?: CycleReport }).report;
    if (partial?.cashMicros) heart.fromReport(partial);
    const exch = isExchangeFailure(e, msg);
    const recon = e instanceof ReconcileError && !exch;
    this.exchangeFailing = exch;
    log.error(`cycle ${heart.cycle} failed: ${msg}`);
    this.lastIterationEnd = monoNow();
    if (this.stopping) {
      // A requested stop is a clean stop even while the exchange is failing: exit 0, or systemd
      // would record every `systemctl stop` during an outage as a failure and page the operator.
      heart.write("stopped");
      return { exit: EXIT.OK };
    }
    if (this.opts.once) {
      heart.write("error");
      if (recon) return { exit: EXIT.RECONCILE };
      if (exch) return { exit: EXIT.EXCHANGE };
      throw e;
    }
    const backoff = Math.min(this.cfg.trading.cycle_interval_seconds * 1000, 5_000 * 2 ** Math.min(this.failures - 1, 6));
    const nextMono = monoNow() + backoff;
    // The exchange failing is `degraded` (the bot rides it out); anything else needs the operator.
    heart.write(exch ? "degraded" : "error", wallAt(nextMono));
    sdNotify(`STATUS=cycle ${heart.cycle}: failed (${oneLine(msg)}); retry in ${Math.round(backoff / 1000)} s`);
    // No reactive passes after a failed cycle (react() refuses them until a cycle succeeds).
    await sleepUntilMono(
      nextMono,
      (w) => (this.wake = w),
      () => this.stopping,
    );
    return this.stopping ? "break" : "next";
  }

  /** A cycle that ran: reported, housekeeping, then exit (halt, --once, stop) or wait for the next. */
  private async cycleDone(engine: Engine, report: CycleReport): Promise<Step> {
    const { heart, opts } = this;
    this.lastIterationEnd = monoNow();
    heart.cycle = report.cycleId;
    heart.fromReport(report);
    this.print(opts.mode === "scan" ? scanTable(report) : cycleSummary(report, { dryRun: this.dryRun, mode: opts.mode }));
    if (this.live) log.info(`${this.between.summary(this.live, report)}${narrowLine(engine)}${this.warmLine()}`);
    this.housekeeping();
    const status = report.status;
    if (status === "halted" && opts.mode === "trade") {
      heart.write("halted");
      sdNotify(`STATUS=cycle ${heart.cycle}: halted (${oneLine(report.statusReason ?? "risk limit")}); --reset-halt after review`);
      log.error(`trading halted: ${report.statusReason}. Resting orders were cancelled. Start with --reset-halt after review.`);
      return { exit: EXIT.HALTED };
    }
    if (opts.once || this.stopping) {
      // --once ends with the heartbeat of the cycle, then `stopped` is not written: the watchdog
      // should judge the last cycle, not the exit.
      heart.write(this.stopping ? "stopped" : status === "error" ? "error" : status, null);
      return "break";
    }
    const nextMono = monoNow() + this.cfg.trading.cycle_interval_seconds * 1000;
    this.cyclesDone++;
    heart.write(status, wallAt(nextMono));
    sdNotify(
      `STATUS=cycle ${heart.cycle}: ${status}${report.statusReason ? ` (${oneLine(report.statusReason)})` : ""}, ${report.marketsScanned} markets${report.liveTrusted !== null ? ` (${report.liveTrusted} live)` : ""}, ${report.exec?.created ?? 0} orders sent, ${report.openOrders} open, bankroll $${heart.bankroll?.total_dollars ?? "?"}`,
    );
    await this.betweenCycles(engine, nextMono);
    return this.stopping ? "break" : "next";
  }

  /** The warm-up's rounds and CPU so far, for the between-cycles line. */
  private warmLine(): string {
    const w = this.warm;
    return w.rounds === 0 ? "" : `; narrow path warm-up: ${w.rounds} rounds, ${w.cpuMs.toFixed(1)} ms CPU since start`;
  }

  /** A full collection when the collector's policy says one is due (heap-collector.ts); `where` ends its debug line. */
  private collectIfDue(where: string): void {
    const ms = this.collector.collectIfDue();
    if (ms !== null) log.debug(`full GC ${ms.toFixed(1)} ms${where}`);
  }

  /** Between cycles, in the daemon, never during one: a full collection, the ledger's prune, memory figures. */
  private housekeeping(): void {
    const { opts } = this;
    // After the cycle, never during an order (the heap is ~30 MB: 10-20 ms).
    if (!opts.once) this.collectIfDue("");
    // The prune is synchronous, so no order is placed meanwhile.
    if (!opts.once && monoNow() - this.lastPruneAt >= PRUNE_EVERY_MS) {
      pruneLedgerHistory(this.db!, this.cfg.ledger.history_days);
      this.lastPruneAt = monoNow();
    }
    if (log.level >= 4) {
      const m = process.memoryUsage();
      const mb = (b: number) => (b / 1048576).toFixed(1);
      log.debug(`memory: rss ${mb(m.rss)} MB, JS heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`);
    }
  }

  /** Until the next cycle: reactive passes when live books move (reactor.ts), or a sleep. */
  private async betweenCycles(engine: Engine, nextMono: number): Promise<void> {
    const reactor = this.reactor;
    if (!reactor) {
      await sleepUntilMono(
        nextMono,
        (w) => (this.wake = w),
        () => this.stopping || this.earlyCycleDue(),
      );
      return;
    }
    const warm = setInterval(() => this.warmTick(engine), WARM_TICK_MS);
    try {
      await this.reactUntil(engine, reactor, nextMono);
    } finally {
      clearInterval(warm);
      if (this.warm.rounds > 0) log.debug(this.warmLine().slice(2));
    }
  }

  /**
   * The narrow requote path's pure parts run in idle moments (Engine.warmNarrowPath, reads only):
   * WARM_START_ROUNDS after start-up, so the first book moves do not meet an interpreted path, then
   * a batch whenever the path has not sent for WARM_IDLE_MS. Batches are small: a frame arriving
   * during one waits for it.
   */
  private warmTick(engine: Engine): void {
    const w = this.warm;
    const now = monoNow();
    if (engine.narrowSends !== w.sends) {
      w.sends = engine.narrowSends;
      w.lastUse = now;
    }
    if (w.rounds >= WARM_START_ROUNDS && (now - w.lastUse < WARM_IDLE_MS || now - w.lastAt < WARM_IDLE_MS)) return;
    // The warm-up exists to bring the narrow path to the optimizing tiers before the book moves
    // that need it: it runs at JavaScriptCore's normal thresholds, the rest of the daemon at the
    // daemon's (the policy applies to what runs while it is set).
    Bun.unsafe.setJITPolicy(1);
    let ms: number;
    try {
      ms = engine.warmNarrowPath(WARM_BATCH);
    } finally {
      Bun.unsafe.setJITPolicy(DAEMON_JIT_POLICY);
    }
    if (ms === 0) return;
    w.rounds += WARM_BATCH;
    w.cpuMs += ms;
    w.lastAt = now;
    if (w.rounds === WARM_START_ROUNDS) log.debug(`narrow path warm-up: ${w.rounds} rounds after start-up, ${w.cpuMs.toFixed(1)} ms CPU`);
  }
  private readonly warm = { rounds: 0, cpuMs: 0, sends: 0, lastUse: Number.NEGATIVE_INFINITY, lastAt: Number.NEGATIVE_INFINITY };

  private async reactUntil(engine: Engine, reactor: Reactor, nextMono: number): Promise<void> {
    this.betweenNow = true;
    try {
      await this.reactLoop(engine, reactor, nextMono);
    } finally {
      this.betweenNow = false;
    }
  }

  /**
   * Idle between cycles (idle-report.ts)? Looked at after a cycle, after each pass and after each
   * burst of frames; a burst still to be looked at, or a narrow send on the wire, looks again after.
   */
  private readonly idleCheck = (): void => {
    const { engine, reactor, live, session } = this;
    // A debug line: no work at all for it unless debug logging is on (--verbose).
    if (log.level < 4) return;
    if (!this.betweenNow || this.passRunning || this.stopping || !engine || !reactor || !live || !session) return;
    const r = reactor.idle();
    if (r === "settling") {
      setImmediate(this.idleCheck);
      return;
    }
    // "due": the pass runs, and looks again after.
    if (r === "due") return;
    if (!engine.idle) {
      void engine.quiesce().then(this.idleCheck);
      return;
    }
    this.idleReport.note({
      cycles: this.cyclesDone,
      frames: live.ws.stats.frames,
      requests: session.client.requestsSent,
      ...(this.stepped ? { releases: reactor.releases } : {}),
    });
  };
  private idleCheckQueued: ReturnType<typeof setImmediate> | null = null;

  private async reactLoop(engine: Engine, reactor: Reactor, nextMono: number): Promise<void> {
    this.idleCheck();
    for (;;) {
      const r = await reactor.wait(
        nextMono,
        () => this.stopping || this.earlyCycleDue(),
        (w) => (this.wake = w),
      );
      if (r === "timeout") break;
      // Same rule as before a cycle: a process that lost its lock never sends another order.
      if (!this.lock.stillOwned()) break;
      const work = reactor.take();
      this.passRunning = true;
      try {
        const rr = await engine.react(work);
        this.between.record(work, rr);
        log.debug(
          `reactive pass: ${work.woken.size} moved${work.reconcile ? ", reconcile" : ""}: ${rr.skipped ? `skipped (${rr.skipped})` : `${rr.exec?.created ?? 0} placed, ${rr.exec?.amended ?? 0} amended, ${rr.exec?.canceled ?? 0} canceled`}; ${rr.cpuMs.toFixed(1)} ms CPU, ${work.waitedMs} ms after the first update`,
        );
      } catch (e) {
        // The ledger is written before every request, so a failed pass leaves nothing unrecorded;
        // the next cycle reconciles and decides again.
        this.between.failed++;
        log.warn(`reactive pass failed: ${(e as Error).message}`);
      } finally {
        this.passRunning = false;
      }
      this.idleCheck();
    }
  }

  /**
   * A cycle before the interval is up: at once when the kill switch flipped since the cycle started
   * (kalshi-bot pause / resume: resting orders go within a second of a pause, and a resume trades
   * without waiting an interval); for a new market in scope, at most every EARLY_CYCLE_GAP_MS after
   * a cycle's start, since a new event lists its markets in a burst. An order due for renewal
   * (order-ttl.ts) starts a cycle too, which cancels and requotes it.
   */
  private earlyCycleDue(): boolean {
    // The kill-switch file is looked at most every KILL_POLL_MS here: this runs at every wake of the
    // wait (each book update that matters), and a pause still starts a cycle well within a second.
    // Orders are gated by their own check at the instant they are sent (order-manager.ts).
    const now = monoNow();
    if (now - this.killPolledAt >= KILL_POLL_MS) {
      this.killPolledAt = now;
      this.killPolled = killSwitch().active;
    }
    return (
      this.cycleAsked ||
      this.killPolled !== this.killAtCycle ||
      (this.newMarketAt !== null && monoNow() - this.cycleStartedAt >= EARLY_CYCLE_GAP_MS) ||
      this.engine?.renewalDue() === true
    );
  }

  private noteClockStep(): void {
    const step = this.clockWatch.check();
    if (step !== 0)
      log.warn(
        `system clock stepped ${step > 0 ? "forward" : "back"} by ${(Math.abs(step) / 1000).toFixed(1)} s; scheduling runs on the monotonic clock and is unaffected, times shown (logs, heartbeat, ledger) follow the new clock`,
      );
  }

  // ---- signals and the way out ----------------------------------------------------------------------

  private onSignal(sig: string): void {
    if (this.stopping) {
      if (!this.forced) {
        this.forced = true;
        log.warn(`${sig} again: exiting without waiting for the cancels of resting orders`);
        this.abandonExit(`${sig} again: exit forced`);
      }
      return;
    }
    this.stopping = true;
    log.info(`${sig}: stopping at the next safe point`);
    this.notifyStopping();
    this.stopReads.abort(new StopRequested(`${sig}: market data fetch abandoned; no orders placed from partial data`));
    this.wake?.();
  }

  private notifyStopping(): void {
    if (this.stoppingSent) return;
    this.stoppingSent = true;
    sdNotify("STOPPING=1");
  }

  /** Every way out leaves the heartbeat final (see the header); a database failure gets its own exit code and fix. */
  private failure(e: unknown): unknown {
    const err = databaseFailure(this.loaded.paths.database, e) ?? e;
    // The lock-lost path wrote its own `error` and the heartbeat may be another instance's now.
    this.lockLost = err instanceof UserError && err.exitCode === EXIT.LOCKED;
    if (!this.lockLost) {
      this.heart.lastError = (err as Error).message ?? String(err);
      this.heart.write("error");
    }
    return err;
  }

  private async shutdown(): Promise<void> {
    if (this.overdueTimer) clearInterval(this.overdueTimer);
    this.stopPresigning?.();
    this.reactor?.close();
    this.live?.close();
    // A narrow requote still on the wire settles before the exit's cancels read the ledger.
    await this.engine?.quiesce();
    const canceled = await this.cancelAtExit();
    await this.fillsAtExit(canceled);
    // A daemon leaving on purpose (signal, halt, lock lost) says so; --once is not a service.
    if (!this.opts.once) this.notifyStopping();
    process.off("SIGTERM", this.sigterm);
    process.off("SIGINT", this.sigint);
    process.off("SIGUSR1", this.sigusr1);
    process.off("SIGUSR2", this.sigusr2);
    this.stopWatchdog();
    try {
      await this.session?.close();
    } catch {}
    try {
      if (this.db) closeDb(this.db);
    } catch {}
    this.dbGuard?.release();
    this.lock.release();
  }

  /**
   * The fills since the last read, into the ledger before the exit (shutdown.ts); not when the lock
   * was lost. `canceled`: orders the exit's cancels took off the book.
   */
  private async fillsAtExit(canceled: number): Promise<void> {
    const { engine, opts } = this;
    if (!engine || opts.mode !== "trade" || this.lockLost) return;
    try {
      // Read when this run sent orders, or when the exit cancelled orders (an earlier run's quotes
      // may have filled since the last read). Neither: no order of ours could have traded since this
      // run's reconciliations, and an exchange that was down all along must not hold up the exit.
      if (canceled === 0 && engine.d.ledger.sendTimesSince(this.startedAt).length === 0) return;
      const r = await recordFillsAtExit(engine, { abandon: this.abandoned });
      if ("failed" in r) log.warn(`fills at exit not read (${oneLine(r.failed)}); the next start records them`);
      else if (r.added > 0) log.info(`${this.stopping ? "stopped" : "exiting"}: ${r.added} fill(s) since the last read recorded`);
    } catch (e) {
      log.warn(`fills at exit not recorded (${oneLine((e as Error).message)}); the next start records them`);
    }
  }

  /**
   * Cancel on exit (shutdown.ts), whatever the way out: a stop, the end of --once, a halt, a
   * failure. Not when the lock was lost: the orders may be another instance's to manage now.
   */
  private async cancelAtExit(): Promise<number> {
    const { engine, heart, opts } = this;
    if (!engine || opts.mode !== "trade" || this.lockLost) return 0;
    try {
      const r = await cancelOnExit(engine, { cancel: this.cfg.trading.cancel_on_exit, abandon: this.abandoned, log: engineLog });
      heart.exitOrders = { policy: r.policy, canceled: r.canceled, not_canceled: r.failed, kept: r.kept, reason: r.reason };
      heart.openOrders = r.restingAfter;
      if (r.cashMicros !== undefined) heart.cashAfterExit(r.cashMicros);
      if (heart.status) heart.write(heart.status, heart.nextCycleAt);
      const line = describeExitCancel(r, this.ttlSeconds);
      if (!opts.once) sdNotify(`STATUS=${this.stopping ? "stopped" : "exiting"}: ${oneLine(line)}`);
      log[r.failed > 0 ? "warn" : "info"](`${this.stopping ? "stopped" : "exiting"}: ${line}`);
      return r.canceled;
    } catch (e) {
      log.error(
        `cancel on exit failed: ${(e as Error).message}; resting orders may remain until they expire, and the next start reconciles them`,
      );
      return 0;
    }
  }
}

/** Minimum time from a cycle's start to an early cycle for a new market in scope. */
const EARLY_CYCLE_GAP_MS = 5_000;
/** How often the wait between cycles looks at the kill-switch file. */
const KILL_POLL_MS = 200;

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
    log.warn(
      `ledger history not pruned (${oneLine((e as Error).message)}); nothing was removed and trading goes on; retried at the next start or in 24 h`,
    );
  }
}

/**
 * JavaScriptCore's tier-up thresholds in the daemon, as a multiple of the normal ones
 * (Bun.unsafe.setJITPolicy): code that runs a few hundred times (start-up, the once-a-minute full
 * load's one-off paths, reports) stays in the interpreter instead of being compiled and kept, while
 * the per-frame and per-cycle paths (10,000 markets a cycle) still reach the optimizing tiers within
 * a few cycles. Issue 14 goal 5, 10,000 markets, 10-minute soaks: median RSS ~5 MB lower at 10 than
 * at 1 and a few MB lower again at 40, the bot's CPU per cycle unchanged (README, the soak row).
 */
const DAEMON_JIT_POLICY = 40;
/** The narrow path's warm-up (warmTick): how often it may run, its rounds at start-up and per batch, and the quiet spell before a batch after that. */
const WARM_TICK_MS = 25;
const WARM_START_ROUNDS = 2_000;
const WARM_BATCH = 10;
const WARM_IDLE_MS = 1_000;

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

/** The narrow requotes so far and the daemon's own part of their latency (frame arrival → fetch), for the between-cycles line. */
function narrowLine(engine: Engine): string {
  const l = engine.narrowLatency;
  if (engine.narrowSends === 0) return "";
  const f = (x: number | null) => (x === null ? "-" : x.toFixed(3));
  return `; narrow requotes since start: ${engine.narrowSends}, frame→fetch p50 ${f(l.percentile(0.5))} ms, p99 ${f(l.percentile(0.99))} ms (last ${Math.min(l.count, 1024)})`;
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
    return new UserError(
      `database ${path} is locked by another process (${code}); another program (a sqlite3 shell, a second kalshi-bot with its own lock file) holds it: stop that program, then start again`,
      EXIT.DATABASE_BUSY,
    );
  }
  const fix: Record<string, string> = {
    SQLITE_FULL: "no space left on its filesystem: free disk space there (or move paths.database), then start again",
    SQLITE_READONLY:
      "it is not writable by this user: fix the permissions of the file and its folder (the bot also writes its -wal and -shm files there)",
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

/**
 * A cycle failed for the exchange (unreachable, 5xx, timeouts): the daemon is `degraded` and rides
 * it out; `--once` exits 4. The client's own errors say so by type; the message test catches what
 * fails below it (a fetch that never connected, a socket closed mid-read).
 */
function isExchangeFailure(e: unknown, msg: string): boolean {
  const cause = (e as { cause?: unknown }).cause;
  return e instanceof KalshiApiError || cause instanceof KalshiApiError || /fetch|ECONNREFUSED|network|timeout|socket/i.test(msg);
}

function statusBefore(engine: Engine, exchangeFailing: boolean): HeartbeatStatus {
  if (engine.gate.snapshot.state === "halted") return "halted";
  if (killSwitch().active) return "disabled";
  return exchangeFailing ? "degraded" : "active";
}

/** A daemon cycle running longer than max(interval, this) turns the heartbeat `degraded`. */
const CYCLE_OVERDUE_MIN_MS = 30_000;
const OVERDUE_CHECK_MS = 5_000;
