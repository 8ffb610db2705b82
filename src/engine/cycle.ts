// One cycle: kill switch → exchange status → portfolio (reconciled into the ledger) → market data
// for the scope (live WebSocket books laid over the REST lists in daemon mode) → risk state →
// strategies → risk gate + order manager → ledger → report. The lifecycle (bot.ts) wraps it with the
// heartbeat, signals, retries and exit codes.
//
// Between cycles (daemon, trade mode, WebSocket on) `react()` runs a reactive pass when a live book
// that matters moved (see reactor.ts for when): the same strategies, risk gate and order manager on
// the last cycle's market data with the live books laid over it, acting only on the markets whose
// trusted live book moved since the last decision. A pass never acts on a market whose live book is
// untrusted (the REST view would be stale by up to a cycle), and a set of legs (arbitrage) goes whole
// or not at all. Own fills from the WebSocket trigger a REST reconciliation first (the ledger is
// only ever written from the exchange's REST answers, never from the feed).
import { readFileSync, statSync } from "node:fs";
import type { LoadedConfig } from "../config/load.ts";
import { COUNT_ONE, type Micros } from "../kalshi/money.ts";
import { monoNow, wallAt } from "../ops/clock.ts";
import { killSwitch } from "../ops/kill-switch.ts";
import { enabledStrategies, parseProbabilities, type EnabledStrategy } from "../strategies/index.ts";
import type { EventView, Intent, MarketView, PortfolioView } from "../strategies/types.ts";
import { ArbRepairer } from "./arb-repair.ts";
import { ExchangeClock } from "./exchange-clock.ts";
import type { ExchangeSession } from "./exchange-session.ts";
import type { Ledger, OrderRow } from "./ledger.ts";
import type { LiveBooks } from "./live-books.ts";
import { LiveView } from "./live-view.ts";
import { warmNarrow } from "./narrow-warmup.ts";
import { StopRequested, type MarketData, type MarketDataSource, type Scope } from "./market-data.ts";
import type { MidHistory } from "./ledger/mid-history.ts";
import { ORDER_GROUP_WINDOW_MS, OrderGroupGuard, orderGroupLimit, type OrderGroupCheck } from "./order-group.ts";
import { notFoundGraceMs, OrderManager, type Decision, type ExecSummary, type RiskGate } from "./order-manager.ts";
import { OrderRenewal } from "./order-renewal.ts";
import { expirationFor } from "./order-ttl.ts";
import type { PaperTransport } from "./paper-transport.ts";
import { PaperUpkeep } from "./paper-upkeep.ts";
import { balanceMicrosOf, FILLS_CURSOR_KEY, portfolioView, valuePositions } from "./portfolio.ts";
import { reconcileLive, reconcilePaper, type ReconcileReport } from "./reconcile.ts";
import {
  cancelsForHalt,
  fromRiskRow,
  nextRiskState,
  resetHalt,
  toRiskRow,
  type ResolvedRiskLimits,
  type RiskPortfolio,
  type RiskSnapshot,
} from "./risk.ts";
import type { OrderTransport } from "./transport.ts";
import { DecisionCache, verifyDecision } from "./decision-cache.ts";
import { DepthChoice, holdingsChanged } from "./depth-choice.ts";
import { seenOf, TrackedMarkets, type MarketsSeen } from "./market-changes.ts";
import { viewWithoutOwn, withTopFromDepth } from "./view-without-own.ts";
import { LatencySamples, ownQuotesIntact, sweptTowardOurs } from "./requote.ts";

export type CycleStatus = "active" | "disabled" | "paused" | "halted" | "error";

export interface StrategyDecision {
  strategy: string;
  intents: Intent[];
  error?: string;
}

export interface CycleReport {
  cycleId: number;
  status: CycleStatus;
  statusReason: string | null;
  marketsScanned: number;
  eventsScanned: number;
  requests: number;
  strategyDecisions: StrategyDecision[];
  decisions: Decision[];
  exec: ExecSummary | null;
  outOfScope: Intent[];
  /** Open markets in scope left untraded, with why (e.g. a fee type the bot cannot price). */
  untradeable: Array<[ticker: string, reason: string]>;
  positionsOutOfScope: string[];
  cashMicros: Micros;
  portfolioValueMicros: Micros;
  totalMicros: Micros;
  realizedPnlMicros: Micros;
  unrealizedPnlMicros: Micros;
  feesMicros: Micros;
  openOrders: number;
  riskState: RiskSnapshot["state"];
  riskReason: string | null;
  paperFills: number;
  reconcile: ReconcileReport | null;
  cpuMs: number;
  /** Daemon with WebSocket: markets in scope whose live book was trusted when the cycle decided. */
  liveTrusted: number | null;
}

/** What one reactive pass did (for logs and the bench). */
export interface ReactReport {
  acted: boolean;
  /** Why nothing was done, when acted is false. */
  skipped: string | null;
  woken: number;
  reconciled: boolean;
  exec: ExecSummary | null;
  cpuMs: number;
}

export interface EngineDeps {
  loaded: LoadedConfig;
  session: ExchangeSession;
  ledger: Ledger;
  marketData: MarketDataSource;
  transport: OrderTransport;
  paperTransport: PaperTransport | null;
  /** The exchange's clock (shared with the paper transport, which stamps paper fills with it). */
  exchangeClock?: ExchangeClock;
  limits: ResolvedRiskLimits;
  scope: Scope;
  mode: "trade" | "scan";
  confirm?: (text: string) => Promise<boolean>;
  log: (level: "info" | "warn" | "debug" | "error", msg: string) => void;
  /** Orders that expire on their own (order-ttl.ts): their TTL in seconds (0 or absent: none). */
  orderTtlSeconds?: number;
  /**
   * Called between the market-data steps of a cycle, before any decision or order: the daemon
   * collects garbage there when memory grew (ops/heap-collector.ts). A full load's walk, the live
   * overlay and the REST depth each left 4-5 MB behind, so a collection after the cycle alone let the
   * RSS reach 125 MB at 10,000 markets.
   */
  betweenSteps?: () => void;
}

const emptyExec = (): ExecSummary => ({
  decisions: [],
  created: 0,
  canceled: 0,
  amended: 0,
  rejected: 0,
  unknown: 0,
  filledImmediately: 0,
});

/** A report before anything happened: every figure zero, the risk state as it stands. */
function newReport(cycleId: number, risk: RiskSnapshot): CycleReport {
  return {
    cycleId,
    status: "active",
    statusReason: null,
    marketsScanned: 0,
    eventsScanned: 0,
    requests: 0,
    strategyDecisions: [],
    decisions: [],
    exec: null,
    outOfScope: [],
    untradeable: [],
    positionsOutOfScope: [],
    cashMicros: 0,
    portfolioValueMicros: 0,
    totalMicros: 0,
    realizedPnlMicros: 0,
    unrealizedPnlMicros: 0,
    feesMicros: 0,
    openOrders: 0,
    riskState: risk.state,
    riskReason: risk.reason,
    paperFills: 0,
    reconcile: null,
    cpuMs: 0,
    liveTrusted: null,
  };
}

/** What the phases of one cycle hand each other. */
interface CycleCtx {
  readonly cycleId: number;
  /** Wall time the cycle started (this machine's). */
  readonly now: number;
  readonly report: CycleReport;
  /** Requests made outside market data's own count and the transport's writes. */
  requests: number;
  /** Cash available to trade as last read (exchange balance, or the paper book's). */
  balanceMicros: Micros;
}

/** The exchange's own state at the start of a cycle. */
interface ExchangeState {
  paused: boolean;
  resumeTime: string | null;
}

/** The book the strategies and the gate see: the ledger's positions and resting orders, the risk state. */
interface BookState {
  positions: ReturnType<Ledger["positions"]>;
  resting: readonly OrderRow[];
  snap: RiskSnapshot;
}

type Decided = { decisions: StrategyDecision[]; intents: Intent[]; inScope: Intent[]; outOfScope: Intent[] };

export class Engine {
  readonly om: OrderManager;
  readonly gate: RiskGate;
  private cycles = 0;
  private needFullReconcile = true;
  strategies: EnabledStrategy[] = [];
  /** Daemon mode: WebSocket books (null: REST only). Set by the lifecycle. */
  live: LiveBooks | null = null;
  /** The last cycle's market data; reactive passes lay live books over it as they move. */
  private lastMd: MarketData | null = null;
  private lastCycleId: number | null = null;
  private lastStatus: CycleStatus = "error";
  /** Live books laid over REST views, the watch list and what each strategy touched (live-view.ts). */
  private readonly view: LiveView;
  /** Decision cache (decision-cache.ts): full cycles re-test only what changed. */
  private decisionCache: DecisionCache | null = null;

  /** The exchange's time as reconciliations see it (paper: its balance reads and the prints it
   * reads): order expiries are set from it (order-ttl.ts), fill times compared with it (burst cap),
   * and the strategies decide on it. */
  private readonly exchangeClock: ExchangeClock;
  private readonly group: OrderGroupGuard;
  private readonly renewal: OrderRenewal;
  private readonly arb: ArbRepairer;
  /** Paper only: fills from trades, expiries, settlements, the bankroll's anchor. */
  private readonly paperUpkeep: PaperUpkeep | null;

  constructor(readonly d: EngineDeps) {
    this.exchangeClock = d.exchangeClock ?? new ExchangeClock();
    this.gate = {
      snapshot: fromRiskRow(
        d.ledger.loadRisk(),
        { cashMicros: 0, equityMicros: 0, positions: {}, resting: [], recentOrderTimesMs: [] },
        Date.now(),
      ),
      limits: d.limits,
    };
    this.om = new OrderManager({
      ledger: d.ledger,
      transport: d.transport,
      gate: this.gate,
      killSwitchActive: () => killSwitch().active,
      orderGroupId: null,
      expiry: (tif) => expirationFor(tif, this.ttlSeconds, this.ordersNow()),
      // Paper gets the same cap as the live order group: a dry run must not trade bursts live cannot.
      burstCap: { limit: orderGroupLimit(d.loaded) * COUNT_ONE, windowMs: ORDER_GROUP_WINDOW_MS },
      exchangeNow: () => this.exchangeClock.now(),
      ...(d.confirm ? { confirm: d.confirm } : {}),
      log: (l, m) => d.log(l, m),
    });
    this.group = new OrderGroupGuard({
      ledger: d.ledger,
      client: d.session.client,
      instanceId: d.session.instanceId,
      active: !d.ledger.paper && d.mode === "trade",
      limit: orderGroupLimit(d.loaded),
      checkEvery: d.loaded.config.trading.reconcile_every_cycles,
      log: d.log,
      onId: (id) => this.om.useOrderGroup(id),
    });
    this.renewal = new OrderRenewal({
      ledger: d.ledger,
      om: this.om,
      ttlSeconds: this.ttlSeconds,
      trading: d.mode === "trade",
      ordersNow: () => this.ordersNow(),
      log: d.log,
    });
    this.arb = new ArbRepairer({ ledger: d.ledger, om: this.om, log: d.log });
    this.view = new LiveView({ ledger: d.ledger, live: () => this.live, log: d.log });
    this.paperUpkeep = d.paperTransport
      ? new PaperUpkeep({
          ledger: d.ledger,
          marketData: d.marketData,
          transport: d.paperTransport,
          client: d.session.client,
          loaded: d.loaded,
          ttlSeconds: this.ttlSeconds,
          now: () => this.ordersNow(),
          exchangeTime: (ms) => this.exchangeClock.observe(ms),
        })
      : null;
  }

  private get ttlSeconds(): number {
    return this.d.orderTtlSeconds ?? 0;
  }

  /** Now on the clock order expiries are in: the exchange's (this machine's before the first reconciliation, or for paper without a key). */
  private ordersNow(): number {
    return this.exchangeClock.now() ?? Date.now();
  }

  /**
   * True once a resting order of the bot is due for renewal: the daemon starts a cycle early. Never
   * on a stepped exchange clock (exchange.clock "stepped"): its time moves only with the exchange's
   * steps, not with this machine's, so a due time turned into this machine's time means nothing
   * there (under load it started cycles the harness driving the steps had not asked for); each
   * cycle still renews what is due by its look.
   */
  renewalDue(): boolean {
    return this.exchangeClock.runs && this.renewal.due();
  }

  get paper(): boolean {
    return this.d.ledger.paper;
  }

  /** The persisted risk state (for the start-up halt check and --reset-halt). */
  riskRow() {
    return this.d.ledger.loadRisk();
  }

  resetHalt(): void {
    const s = resetHalt(this.gate.snapshot, this.d.limits, Date.now());
    // Equity is rebased at the next cycle (the snapshot's equity is refreshed there first).
    this.d.ledger.saveRisk({ ...toRiskRow(s), dayStartEquityMicros: null, highWaterMicros: null, day: null });
    this.gate.snapshot = { ...s, dayStartEquityMicros: null, highWaterMicros: null, day: null };
    this.d.ledger.audit("risk_reset", "halt cleared by the operator (--reset-halt)");
  }

  private loadProbabilities(): { probabilities: Map<string, number>; probabilitiesAsOfMs: number } | undefined {
    const fv = this.d.loaded.config.trading.strategies.fair_value;
    if (!fv.enabled || !fv.source || /^https?:/.test(fv.source)) return undefined;
    const p = fv.source.startsWith("/") ? fv.source : `${this.d.loaded.baseDir}/${fv.source}`;
    // The file's age is its modification time on this machine's clock: fair_value refuses to trade on a stale one.
    return {
      probabilities: parseProbabilities(readFileSync(p, "utf8")),
      probabilitiesAsOfMs: this.sourceAsOf(Date.now() - statSync(p).mtimeMs),
    };
  }

  /**
   * When a probability source was written, on the exchange's clock the strategy decides on, from
   * its age on the clock that dated it (a file: this machine's; HTTP: the server's Date against its
   * Last-Modified). A time from one clock is never compared with another's: with this machine's
   * clock ahead of the exchange's, a forecast hours old looked fresh, and behind it a fresh one stale.
   */
  private sourceAsOf(ageMs: number): number {
    return (this.exchangeClock.now() ?? Date.now()) - Math.max(0, ageMs);
  }

  private async loadStrategies(): Promise<void> {
    const fv = this.d.loaded.config.trading.strategies.fair_value;
    let ctx: { probabilities: Map<string, number>; probabilitiesAsOfMs: number } | undefined;
    if (fv.enabled && fv.source && /^https?:/.test(fv.source)) {
      const r = await fetch(fv.source, { signal: AbortSignal.timeout(5_000) });
      if (!r.ok) throw new Error(`fair_value source ${fv.source} answered HTTP ${r.status}`);
      // Last-Modified against the server's own Date says how old the numbers are; without it only the fetch time is known.
      const lm = Date.parse(r.headers.get("last-modified") ?? "");
      const served = Date.parse(r.headers.get("date") ?? "");
      const age = Number.isFinite(lm) ? (Number.isFinite(served) ? served : Date.now()) - lm : 0;
      ctx = { probabilities: parseProbabilities(await r.text()), probabilitiesAsOfMs: this.sourceAsOf(age) };
    } else ctx = this.loadProbabilities();
    this.strategies = enabledStrategies(this.d.loaded.config.trading.strategies, ctx ?? {});
    this.strategiesLoaded++;
  }
  /** Times the strategies were (re)loaded: new parameter objects each time. */
  private strategiesLoaded = 0;

  // ---- one cycle: the table of contents -----------------------------------------------------------

  async run(): Promise<CycleReport> {
    return this.exclusive(() => this.runCycle());
  }

  private async runCycle(): Promise<CycleReport> {
    const cpu0 = process.cpuUsage();
    this.cycles++;
    const cycleId = this.d.ledger.startCycle(this.d.mode);
    const c: CycleCtx = { cycleId, now: Date.now(), report: newReport(cycleId, this.gate.snapshot), requests: 0, balanceMicros: 0 };
    const mdBefore = this.d.marketData.requests;
    try {
      const kill = killSwitch();
      const exchange = await this.exchangeStatus(c);
      const { cashQuiet } = await this.reconcile(c);
      const md = await this.marketData(c);
      await this.paperMaintenance(c, md);
      let book = this.riskRefresh(c, md);
      const exec = emptyExec();
      await this.orderGroupUpkeep(c);
      const capped = await this.killHaltPause(c, { snap: book.snap, kill, exchange, cashQuiet }, exec);
      const mayTrade = () => this.d.mode === "trade" && c.report.status === "active" && this.gate.snapshot.state !== "halted" && !capped;
      this.renewal.look();
      if (mayTrade() && (await this.renewal.cancelDue(exec)) > 0) book = await this.afterRenewal(c, md, book);
      const decided = this.decidePhase(c, md, book);
      if (mayTrade()) await this.executePhase(c, md, decided.inScope, exec);
      await this.endBalance(c, exec);
      this.close(c, md, exec, mdBefore);
      this.remember(md, c, decided);
    } catch (e) {
      this.failed(c, e);
    } finally {
      const cpu = process.cpuUsage(cpu0);
      c.report.cpuMs = (cpu.user + cpu.system) / 1000;
      this.d.transport.writes = 0;
    }
    return c.report;
  }

  // ---- the phases of a cycle ----------------------------------------------------------------------

  /** Exchange status: paused or in maintenance means no orders this cycle. */
  private async exchangeStatus(c: CycleCtx): Promise<ExchangeState> {
    const st = await this.d.session.client.getExchangeStatus();
    c.requests++;
    return { paused: !st.exchange_active || !st.trading_active, resumeTime: st.exchange_estimated_resume_time ?? null };
  }

  /** The portfolio, reconciled into the ledger (live: over REST; paper: crash leftovers, the anchor). */
  private async reconcile(c: CycleCtx): Promise<{ cashQuiet: boolean }> {
    const { ledger } = this.d;
    const reconcileEvery = this.d.loaded.config.trading.reconcile_every_cycles;
    const full = this.needFullReconcile || this.om.needsReconcile || this.cycles % reconcileEvery === 0;
    if (!this.paperUpkeep) {
      // Every cycle reconciles fills and orders over REST: whatever the feed said or missed since
      // the last one is covered from here on.
      const rec = await this.reconcileWithFeed(full);
      c.report.reconcile = rec;
      c.requests += rec.requests;
      c.balanceMicros = rec.exchange.balanceMicros;
      this.needFullReconcile = false;
      this.om.needsReconcile = false;
      return { cashQuiet: rec.cashQuiet };
    }
    if (full) reconcilePaper(ledger);
    // The exchange's clock, as a live reconciliation reads it: paper decides, stamps and expires on
    // it too (this machine's clock may be off; exchange times are compared with exchange times).
    c.requests += await this.paperUpkeep.sampleClock();
    if (ledger.cashMicros() === null) await this.paperUpkeep.anchor();
    this.needFullReconcile = false;
    c.balanceMicros = this.paperUpkeep.availableMicros();
    return { cashQuiet: false };
  }

  /** Market data for the scope (+ markets we hold, for marks and settlement), live books laid over, depth where wanted. */
  private async marketData(c: CycleCtx): Promise<MarketData> {
    const { ledger, marketData } = this.d;
    const held = [...ledger.positions().values()].filter((p) => p.position !== 0).map((p) => p.ticker);
    const resting = ledger.ordersWithStatus(["resting"]);
    const extra = [...new Set([...held, ...resting.map((r) => r.ticker)])];
    const md = await this.loadMarkets(extra, c.now);
    this.d.betweenSteps?.();
    const { report } = c;
    report.marketsScanned = md.markets.size;
    report.eventsScanned = md.events.size;
    report.untradeable = [...md.untradeable];
    report.positionsOutOfScope = held.filter((t) => !md.markets.has(t) && md.inactive.get(t)?.status === "active");
    if (this.strategies.length === 0 || this.d.loaded.config.trading.strategies.fair_value.enabled) await this.loadStrategies();
    const pv = portfolioView(c.balanceMicros, ledger.positions(), resting);
    // The depth choice reads the market, the strategies and the portfolio's entries for that
    // market: the same strategies (key), the same answers except where those entries changed.
    const depth = this.depthInputs(pv);
    this.view.setCycle(md, (m) => this.strategies.some((s) => s.strategy.needsDepth(m, s.params, pv)), {
      changed: this.changedBases,
      depthKey: depth.key,
      depthChanged: depth.changed,
    });
    if (this.live) report.liveTrusted = await this.view.overlayLive(md);
    this.d.betweenSteps?.();
    // Depth over REST only where no trusted live book already gave it.
    if (this.d.session.client.hasCredentials)
      await marketData.loadBooks(md, this.depthChoice.want(md.markets, md.events, this.strategies, pv, depth.key));
    this.d.betweenSteps?.();
    return md;
  }

  /** A new key whenever the strategies were reloaded; the tickers whose portfolio entries differ from the last call's. */
  private depthInputs(pv: PortfolioView): { key: string; changed: ReadonlySet<string> } {
    const prev = this.lastDepthPortfolio;
    this.lastDepthPortfolio = pv;
    return { key: String(this.strategiesLoaded), changed: holdingsChanged(prev ?? undefined, pv) };
  }
  private lastDepthPortfolio: PortfolioView | null = null;
  /** Where strategies want depth, asked again only where something changed (depth-choice.ts). */
  private readonly depthChoice = new DepthChoice();

  /** Paper: the paper exchange sees this cycle's markets; resting orders fill, positions settle. */
  private async paperMaintenance(c: CycleCtx, md: MarketData): Promise<void> {
    if (!this.paperUpkeep) return;
    await this.paperUpkeep.loadTakenDepth(md);
    this.paperUpkeep.setMarkets(md);
    c.report.paperFills = await this.paperUpkeep.maintain(md);
    c.balanceMicros = this.paperUpkeep.availableMicros();
  }

  /** Risk state from this cycle's portfolio (persisted, transitions audited). */
  private riskRefresh(c: CycleCtx, md: MarketData): BookState {
    const positions = this.d.ledger.positions();
    const resting = this.d.ledger.ordersWithStatus(["resting"]);
    const snap = this.refreshRisk(md, c.balanceMicros, c.cycleId, c.now);
    c.report.riskState = snap.state;
    c.report.riskReason = snap.reason;
    return { positions, resting, snap };
  }

  /** The order group exists (live trading) and is checked for the exchange's trigger when due. */
  private async orderGroupUpkeep(c: CycleCtx): Promise<void> {
    if (this.d.mode === "trade")
      await this.group
        .ensure()
        .catch((e) => this.d.log("warn", `order group not created (${(e as Error).message}); orders go without one`));
    const r = await this.group.check(c.cycleId, this.cycles).catch((e): OrderGroupCheck => {
      this.d.log("warn", `order group not checked: ${(e as Error).message}`);
      return { requests: 1, reconcile: false };
    });
    c.requests += r.requests;
    if (r.reconcile) this.needFullReconcile = true;
  }

  /**
   * Halt, kill switch, exchange pause, cash check, order-group cool-down: the cycle's status and
   * the cancels each calls for. Returns true when orders must wait (cash check or cool-down).
   */
  private async killHaltPause(
    c: CycleCtx,
    s: { snap: RiskSnapshot; kill: ReturnType<typeof killSwitch>; exchange: ExchangeState; cashQuiet: boolean },
    exec: ExecSummary,
  ): Promise<boolean> {
    const { report } = c;
    const trade = this.d.mode === "trade";
    if (s.snap.state === "halted") {
      report.status = "halted";
      report.statusReason = s.snap.reason;
      if (trade)
        await this.om.cancel(
          cancelsForHalt(s.snap, `halted: ${s.snap.reason}`).filter((x) => this.d.ledger.orderByOrderId(x.orderId)?.origin === "bot"),
          exec,
        );
    } else if (s.kill.active) {
      report.status = "disabled";
      report.statusReason = s.kill.file
        ? `paused: ${s.kill.file} exists${s.kill.reason ? ` (${s.kill.reason})` : ""}; kalshi-bot resume ends it`
        : `BOT_DISABLE_TRADING=${s.kill.value}`;
      if (trade && this.d.loaded.config.trading.cancel_resting_on_kill_switch) {
        await this.om.cancelAllResting("kill switch", exec);
        await this.group.triggerForKillSwitch();
      }
    } else if (s.exchange.paused) {
      report.status = "paused";
      report.statusReason = s.exchange.resumeTime ? `exchange paused until ${s.exchange.resumeTime}` : "exchange paused or in maintenance";
    }
    // The cash check measures a drift's amount with none of the bot's orders resting (reconcile.ts):
    // they are cancelled and none is sent until it has.
    this.cashQuiet = s.cashQuiet && trade && report.status === "active" && s.snap.state !== "halted";
    if (this.cashQuiet) {
      report.statusReason = "cash check: measuring a difference with the exchange with no order resting; quoting resumes after it";
      await this.om.cancelAllResting("cash check", exec);
    }
    const groupCapped = this.group.coolingDown();
    if (groupCapped && report.status === "active")
      report.statusReason = `order group contracts limit hit: no orders until ${wallAt(this.group.cappedUntilMono).toISOString()}`;
    return groupCapped || this.cashQuiet;
  }

  /** Orders renewed (cancelled): their collateral is free again, so the strategies and the gate see the book as it is now. */
  private async afterRenewal(c: CycleCtx, md: MarketData, book: BookState): Promise<BookState> {
    if (this.paperUpkeep) {
      // The book the strategies see no longer shows the cancelled paper orders.
      this.paperUpkeep.setMarkets(md);
      c.balanceMicros = this.paperUpkeep.availableMicros();
    } else {
      c.balanceMicros = balanceMicrosOf(await this.d.session.client.getBalance());
      c.requests++;
    }
    const resting = this.d.ledger.ordersWithStatus(["resting"]);
    if (!this.paperUpkeep) await this.dropCancelled(md, book.resting, resting);
    return { positions: book.positions, resting, snap: this.refreshRisk(md, c.balanceMicros, c.cycleId, c.now) };
  }

  /**
   * Live: the views were read with the renewed orders in them. The strategies see the book after
   * the cancels (as a dry run does): the orders are taken out of the views, and a market whose top
   * level was only ours and has no depth is read again (counted in the market data's requests).
   */
  private async dropCancelled(md: MarketData, before: readonly OrderRow[], after: readonly OrderRow[]): Promise<void> {
    const still = new Set(after.map((r) => r.id));
    const gone = new Map<string, OrderRow[]>();
    for (const r of before) if (!still.has(r.id) && md.markets.has(r.ticker)) gone.set(r.ticker, [...(gone.get(r.ticker) ?? []), r]);
    const reread: string[] = [];
    for (const [t, rs] of gone) {
      const v = viewWithoutOwn(md.markets.get(t)!, rs);
      if (v) md.markets.set(t, v);
      else reread.push(t);
    }
    if (reread.length === 0) return;
    await this.d.marketData.loadBooks(md, reread);
    for (const t of reread) {
      const m = md.markets.get(t);
      if (m) md.markets.set(t, withTopFromDepth(m));
    }
  }

  /** Strategies decide (also while disabled/paused: the scan table and the summary show them). */
  private decidePhase(c: CycleCtx, md: MarketData, book: BookState): Decided {
    const view = portfolioView(c.balanceMicros, book.positions, book.resting);
    const decided = this.decide(md, view, c.now, c.cycleId);
    c.report.strategyDecisions = decided.decisions;
    c.report.outOfScope = decided.outOfScope;
    return decided;
  }

  /** The order manager executes what the strategies want (risk gate per order), then arbitrage repair. */
  private async executePhase(c: CycleCtx, md: MarketData, inScope: readonly Intent[], exec: ExecSummary): Promise<void> {
    await this.group.resetOwnTrigger();
    // A stop that arrived during the depth reads or the strategies: nothing is sent.
    this.d.marketData.checkStop();
    const execStart = Date.now();
    const r = await this.om.execute(inScope, c.cycleId);
    Object.assign(exec, { ...r, decisions: [...exec.decisions, ...r.decisions], canceled: exec.canceled + r.canceled });
    await this.arb.repair(md, c.cycleId, exec);
    await this.paperUpkeep?.stampSince(execStart, true);
    await this.afterExecute(exec);
  }

  /** After sending: rejections make the group suspect; an unknown outcome is looked up at once. */
  private async afterExecute(exec: ExecSummary): Promise<void> {
    this.group.noteRejections(exec.rejected);
    // Live learns of an immediate fill on the private feed, and a pass reconciles it; paper's are in
    // its ledger already, and the pass that answers them rebuilds its risk state the same way.
    if (this.paperFillSeen && exec.filledImmediately > 0) {
      const sent = exec.decisions.filter((d) => d.intent.kind === "create" && (d.result === "executed" || d.result === "resting"));
      for (const t of new Set(sent.map((d) => d.intent.ticker))) this.paperFillSeen(t);
    }
    if (this.om.needsReconcile && !this.paper) {
      // Right after an unknown outcome: try to resolve it now, so the market unblocks early.
      const rr = await this.om.resolveOpen(notFoundGraceMs(this.d.loaded.config.exchange.request_timeout_ms)).catch(() => null);
      if (rr && rr.open === 0) this.om.needsReconcile = false;
    }
  }

  /** The end of the cycle: balance as it ended, valuation from the ledger, the cycle's row closed. */
  private close(c: CycleCtx, md: MarketData, exec: ExecSummary, mdBefore: number): void {
    const { ledger } = this.d;
    const { report } = c;
    const allMarkets = (t: string): MarketView | undefined => md.markets.get(t) ?? md.inactive.get(t);
    const endVal = valuePositions(ledger.positions(), allMarkets);
    const endCash = ledger.cashForRiskMicros() ?? c.balanceMicros;
    report.cashMicros = c.balanceMicros;
    report.totalMicros = endCash + endVal.positionsValueMicros;
    report.portfolioValueMicros = report.totalMicros - c.balanceMicros;
    report.unrealizedPnlMicros = endVal.unrealizedPnlMicros;
    const t = ledger.totals();
    report.realizedPnlMicros = t.realizedPnlMicros;
    report.feesMicros = t.feesMicros;
    report.openOrders = ledger.ordersWithStatus(["resting"]).length;
    ledger.snapshotBalance(c.cycleId, c.balanceMicros, report.portfolioValueMicros);
    report.requests = this.d.marketData.requests - mdBefore + c.requests + (this.paper ? 0 : this.d.transport.writes);
    ledger.endCycle(c.cycleId, report.status, exec.created, null);
  }

  /** The balance as the cycle ended (live: read again when anything was sent). */
  private async endBalance(c: CycleCtx, exec: ExecSummary): Promise<void> {
    c.report.exec = exec;
    c.report.decisions = exec.decisions;
    if (!this.paperUpkeep && exec.created + exec.canceled + exec.amended + exec.unknown > 0) {
      c.balanceMicros = balanceMicrosOf(await this.d.session.client.getBalance());
      c.requests++;
    } else if (this.paperUpkeep) c.balanceMicros = this.paperUpkeep.availableMicros();
  }

  /** What reactive passes until the next cycle start from. */
  private remember(md: MarketData, c: CycleCtx, decided: Decided): void {
    this.lastMd = md;
    this.lastCycleId = c.cycleId;
    this.lastStatus = c.report.status;
    this.view.updateWatch(md, decided.intents, this.strategies);
    this.view.updateTouched(decided.decisions);
    this.renewal.schedule();
    this.readyNextPass();
  }

  /** A cycle that stopped (a requested stop during market data) or failed: recorded, rethrown with its report. */
  private failed(c: CycleCtx, e: unknown): never {
    const { ledger } = this.d;
    if (e instanceof StopRequested) {
      // Abandoned on purpose before any order: the cycle stopped, it did not fail.
      ledger.endCycle(c.cycleId, "stopped", 0, e.message);
      ledger.audit("cycle_stopped", e.message, { cycleId: c.cycleId });
      throw Object.assign(e, { report: c.report });
    }
    c.report.status = "error";
    c.report.statusReason = (e as Error).message;
    this.needFullReconcile = true;
    this.lastStatus = "error";
    ledger.endCycle(c.cycleId, "error", 0, (e as Error).message);
    ledger.audit("cycle_error", (e as Error).message, { cycleId: c.cycleId });
    throw Object.assign(e as Error, { report: c.report });
  }

  /**
   * This cycle's market data. A full REST load of the scope (every market of every event, top of
   * book in each) is the bulk of a cycle's requests and CPU: at 10,000 markets, ~50 pages whose JSON
   * parsing and validation cost most of a second. With trusted live books it is only needed for what
   * the WebSocket does not carry (new markets and events, status, volume): so the daemon loads in
   * full at most every FULL_MARKET_LOAD_MS, and in between re-reads over REST only the markets whose
   * live book is not trusted, past their close time, or held/resting but not open.
   */
  private async loadMarkets(extra: readonly string[], now: number): Promise<MarketData> {
    const { marketData, scope } = this.d;
    const live = this.live;
    const prev = this.lastMd;
    // How long since the last full load: the monotonic clock (a wall clock stepped back would hold
    // the next one off by the step). Which markets are past their close: the exchange's clock.
    if (live && prev && this.lastFullLoadMono !== null && monoNow() - this.lastFullLoadMono < FULL_MARKET_LOAD_MS) {
      const restViews = this.view.restViews;
      const stale = this.view.staleBases(live, this.exchangeClock.now() ?? now);
      for (const t of extra) if (!restViews.has(t)) stale.push(t);
      // Mostly untrusted (the WebSocket is down): a full load costs less than per-market reads.
      if (stale.length <= restViews.size / 2) {
        // Only these markets' REST views can differ from the last cycle's.
        this.changedBases = null;
        const md = await marketData.refresh({ markets: restViews, events: prev.events, inactive: prev.inactive }, stale);
        this.changedBases = new Set(stale);
        return md;
      }
    }
    this.changedBases = null;
    const started = monoNow();
    const md = await marketData.load(scope, extra);
    this.lastFullLoadMono = started;
    return md;
  }
  /** The markets whose REST view this cycle's market data may have changed (null: a full load, any of them). */
  private changedBases: ReadonlySet<string> | null = null;
  private lastFullLoadMono: number | null = null;
  /** The last cycle's cash check asked for no order resting (see reconcile.ts checkCash). */
  private cashQuiet = false;

  /**
   * Dry run in daemon mode: paper checks each book delta of `live` for a cross of its resting orders,
   * and each print for one at their price (`fillSeen`: such a fill is waiting for a sync point).
   */
  watchPaperCrosses(live: LiveBooks, fillSeen: (ticker: string) => void): void {
    this.paperUpkeep?.watchBooks(live, fillSeen);
    this.paperFillSeen = fillSeen;
  }
  /** Paper at exit: what the feed showed since the last sync point fills first (PaperUpkeep.syncAtExit). */
  paperSyncAtExit(): number {
    return this.paperUpkeep?.syncAtExit() ?? 0;
  }
  /** Paper in the daemon: its own fills ask for a pass that reconciles, as live's fills on the feed do. */
  private paperFillSeen: ((ticker: string) => void) | null = null;

  /** The next cycle reads the whole scope over REST (a market was created or opened in it). */
  requestFullLoad(): void {
    this.lastFullLoadMono = null;
  }

  /**
   * REST reconciliation, with the feed's queues drained and its "fills may be missing" flag taken
   * first (a gap opening during the reconciliation stays set); on failure the flag is put back.
   */
  private async reconcileWithFeed(full: boolean): Promise<ReconcileReport> {
    const { ledger } = this.d;
    const live = this.live;
    let gapWas = false;
    let fillsSeen = this.om.filledSinceReconcile.size > 0;
    if (live) {
      // Fills and order changes queued by the feed are covered by the REST read that follows.
      if (live.drainFills().length > 0) fillsSeen = true;
      live.drainOrderUpdates();
      gapWas = live.fillGap;
      live.clearFillGap();
    }
    try {
      // Fills before this read are in the ledger afterwards.
      const filledBefore = [...this.om.filledSinceReconcile];
      const startedAt = monoNow();
      const rec = await reconcileLive({
        client: this.d.session.client,
        ledger,
        om: this.om,
        graceMs: notFoundGraceMs(this.d.loaded.config.exchange.request_timeout_ms),
        eventOf: (t) => ledger.positions().get(t)?.eventTicker ?? null,
        log: this.d.log,
        full,
        // Fills on their way: the cash check's balance is read after them (an early one would be wasted).
        balanceFirst: !fillsSeen && !gapWas,
      });
      for (const t of filledBefore) this.om.filledSinceReconcile.delete(t);
      this.exchangeClock.observe(rec.exchange.exchangeTimeMs);
      this.exchangeClock.observe(Number(ledger.getMeta(FILLS_CURSOR_KEY) ?? "0"));
      this.om.reconciledUpTo(startedAt);
      return rec;
    } catch (e) {
      if (live && gapWas) live.fillGap = true;
      throw e;
    }
  }

  /** Risk state from the ledger's portfolio and this market data; persisted, transitions audited. */
  private refreshRisk(md: MarketData, balanceMicros: Micros, cycleId: number | null, now: number): RiskSnapshot {
    const { ledger } = this.d;
    const positions = ledger.positions();
    const allMarkets = (t: string): MarketView | undefined => md.markets.get(t) ?? md.inactive.get(t);
    const val = valuePositions(positions, allMarkets);
    const restingNow = ledger.ordersWithStatus(["resting"]);
    const ledgerCash = ledger.cashForRiskMicros() ?? balanceMicros;
    const hedged = ledger.hedgedPositions(new Map([...positions.values()].map((p) => [p.ticker, p.position])));
    const riskPortfolio: RiskPortfolio = {
      cashMicros: balanceMicros,
      equityMicros: ledgerCash + val.positionsValueMicros,
      positions: Object.fromEntries(
        [...positions.values()]
          .filter((p) => p.position !== 0)
          .map((p) => [
            p.ticker,
            {
              eventTicker: p.eventTicker ?? allMarkets(p.ticker)?.eventTicker ?? p.ticker,
              position: p.position,
              costMicros: p.costMicros,
              ...(hedged.has(p.ticker) ? { hedged: hedged.get(p.ticker)! } : {}),
            },
          ]),
      ),
      resting: restingNow.map((r) => ({
        orderId: r.orderId ?? r.clientOrderId,
        ticker: r.ticker,
        eventTicker: r.eventTicker ?? allMarkets(r.ticker)?.eventTicker ?? r.ticker,
        side: r.side,
        price: r.price,
        remaining: r.remainingCount,
        filled: r.filledCount,
      })),
      recentOrderTimesMs: ledger.sendTimesSince(now - 60_000),
      feeMultiplierE4: this.feeMultipliers(md),
    };
    const prevState = this.gate.snapshot.state;
    const snap = nextRiskState({ ...this.gate.snapshot, ...riskPortfolio }, this.d.limits, now);
    this.gate.snapshot = snap;
    ledger.saveRisk(toRiskRow(snap));
    if (snap.state !== prevState) {
      ledger.audit("risk_state", `${prevState} → ${snap.state}: ${snap.reason ?? ""}`, cycleId === null ? {} : { cycleId });
      this.d.log(
        snap.state === "halted" ? "error" : "warn",
        `risk state ${prevState} → ${snap.state}${snap.reason ? `: ${snap.reason}` : ""}`,
      );
    }
    return snap;
  }

  /** Series fee multipliers per ticker of this market data (built once per load, not per pass). */
  private feeMultipliers(md: MarketData): Record<string, number> {
    const c = this.feeMultCache;
    if (c?.md === md) return c.rec;
    // A new load mostly repeats the last one's fees: the record is rebuilt only when one differs.
    // Between full loads only the markets the map's lineage names can differ (market-changes.ts).
    const changed = c && md.markets instanceof TrackedMarkets ? md.markets.changesSince(c.seen) : null;
    const same = changed
      ? [...changed].every((t) => c!.rec[t] === md.markets.get(t)?.feeMultiplierE4)
      : c !== null && c.size === md.markets.size && sameFees(c.rec, md);
    if (c !== null && same) {
      this.feeMultCache = { md, seen: seenOf(md.markets), rec: c.rec, size: c.size };
      return c.rec;
    }
    const rec: Record<string, number> = {};
    for (const m of md.markets.values()) rec[m.ticker] = m.feeMultiplierE4;
    this.feeMultCache = { md, seen: seenOf(md.markets), rec, size: md.markets.size };
    return rec;
  }
  private feeMultCache: { md: MarketData; seen: MarketsSeen | null; rec: Record<string, number>; size: number } | null = null;

  /** Every strategy on the markets not blocked by an unknown outcome; scope enforced here. */
  private decide(
    md: MarketData,
    view: PortfolioView,
    now: number,
    cycleId: number | null,
    /** Reactive passes: the markets one strategy may see (default: all of md). */
    marketsFor?: (strategy: EnabledStrategy) => ReadonlySet<string> | null,
  ): Decided {
    const { ledger } = this.d;
    const blocked = ledger.blockedTickers();
    const all = blocked.size ? new Map([...md.markets].filter(([t]) => !blocked.has(t))) : md.markets;
    const intents: Intent[] = [];
    const decisions: StrategyDecision[] = [];
    // Each strategy's own inventory (its fills in the ledger), where the account holds or rests anything.
    const portfolio: PortfolioView = { ...view, inventory: this.inventories(view), equityMicros: this.gate.snapshot.equityMicros };
    // Strategies compare `nowMs` with exchange times (close times, their mid history): the
    // exchange's clock when known, never only this machine's.
    const stratNow = this.exchangeClock.now() ?? now;
    const cache =
      marketsFor || !this.live || this.d.loaded.config.trading.decision_cache === "off"
        ? null
        : (this.decisionCache ??= new DecisionCache({ immutableViews: true })); // [decision-cache hook 1/3]
    cache?.begin(all, md.events, portfolio, cache && this.cacheChanges(md.markets, blocked)); // [decision-cache hook 2/3]
    for (const s of this.strategies) {
      try {
        const only = marketsFor?.(s) ?? null;
        const since = s.strategy.fillsSince?.(s.params, stratNow);
        const ownFills = since === undefined ? undefined : ledger.strategyFills(s.name, since);
        // [decision-cache hook 3/3] the part of the scope that can matter to this strategy (all of it without the cache).
        // A strategy's own recent fills go to it whole, beside the pruned scope: a relevance verdict cannot read them
        // (its test is not given them), so a market it leaves out adds nothing whatever the fills (market_maker's
        // markouts read its fills and the mid history of the markets it chose, the same over either scope).
        const { markets, events } = cache
          ? cache.inputFor(s, all, md.events, portfolio, stratNow)
          : {
              markets: only
                ? new Map(
                    [...only].flatMap((t) => {
                      const m = all.get(t);
                      return m ? [[t, m] as const] : [];
                    }),
                  )
                : all,
              events: md.events,
            };
        const histTickers = s.strategy.historyFor?.(markets, s.params, portfolio, stratNow) ?? null;
        this.mids ??= ledger.midHistory();
        const midHistory = histTickers
          ? this.mids.observe(
              histTickers.flatMap((t) => {
                const m = markets.get(t);
                return m ? [m] : [];
              }),
              stratNow,
              cycleId,
              portfolio.restingOrders,
            )
          : undefined;
        const out = s.strategy.decide({
          markets,
          events,
          portfolio,
          params: s.params,
          nowMs: stratNow,
          ...(midHistory ? { midHistory } : {}),
          ...(ownFills ? { ownFills } : {}),
        });
        if (cache && this.d.loaded.config.trading.decision_cache === "verify")
          verifyDecision(s, out, this.d.log, {
            markets: all,
            events: md.events,
            portfolio,
            params: s.params,
            nowMs: stratNow,
            ...(midHistory ? { midHistory } : {}),
            ...(ownFills ? { ownFills } : {}),
          }); // [decision-cache verify]
        decisions.push({ strategy: s.name, intents: out });
        intents.push(...out);
      } catch (e) {
        decisions.push({ strategy: s.name, intents: [], error: (e as Error).message });
        this.d.log("warn", `strategy ${s.name} failed: ${(e as Error).message}`);
      }
    }
    // Scope is enforced here, not trusted to strategies: nothing outside it is ever ordered.
    const inScope = intents.filter((i) => md.markets.has(i.ticker));
    const outOfScope = intents.filter((i) => !md.markets.has(i.ticker));
    for (const i of outOfScope)
      ledger.audit("out_of_scope", `dropped ${i.kind} on ${i.ticker} from ${i.strategy}`, {
        ...(cycleId === null ? {} : { cycleId }),
        ticker: i.ticker,
        strategy: i.strategy,
      });
    return { decisions, intents, inScope, outOfScope };
  }

  /**
   * For the decision cache: the markets whose view or presence among the strategies' markets may
   * differ from what its last begin saw (null: compare them all). The map's lineage (market-changes.ts)
   * and the markets blocked then or now (left out of the strategies' markets).
   */
  private cacheChanges(markets: ReadonlyMap<string, MarketView>, blocked: ReadonlySet<string>): ReadonlySet<string> | null {
    const saw = this.cacheSaw;
    this.cacheSaw = { seen: seenOf(markets), blocked };
    const changed = markets instanceof TrackedMarkets && saw ? markets.changesSince(saw.seen) : null;
    if (!changed || !saw) return null;
    const out = new Set(changed);
    for (const t of blocked) if (!saw.blocked.has(t)) out.add(t);
    for (const t of saw.blocked) if (!blocked.has(t)) out.add(t);
    return out;
  }
  /** The market map and blocked markets the decision cache's last begin saw. */
  private cacheSaw: { seen: MarketsSeen | null; blocked: ReadonlySet<string> } | null = null;

  /**
   * The ledger's part of a decision's portfolio (positions, resting orders, each strategy's
   * inventory), kept until the next ledger write (Ledger.derived): the narrow path reads it on every
   * book move, and rebuilding it there (~0.07 ms on that cold path) sat before the request.
   */
  private heldPortfolio(): Pick<PortfolioView, "positions" | "restingOrders"> & {
    inventory: ReadonlyMap<string, ReadonlyMap<string, number>>;
  } {
    const { ledger } = this.d;
    return ledger.derived("portfolio", () => {
      const pv = portfolioView(0, ledger.positions(), ledger.ordersWithStatus(["resting"]));
      return { positions: pv.positions, restingOrders: pv.restingOrders, inventory: this.inventories(pv) };
    });
  }

  /** A decision's portfolio on the narrow path: the ledger's part (heldPortfolio) with the gate's cash and equity now. */
  private narrowPortfolio(held: ReturnType<Engine["heldPortfolio"]>, paperCash?: Micros): PortfolioView {
    const { equityMicros } = this.gate.snapshot;
    // Paper: the cash its book has free, as a pass decides on (passDecide).
    const cashMicros = paperCash ?? this.gate.snapshot.cashMicros;
    return { cashMicros, positions: held.positions, restingOrders: held.restingOrders, inventory: held.inventory, equityMicros };
  }

  /** Each strategy's own inventory (its fills in the ledger), where the account holds or rests anything. */
  private inventories(view: PortfolioView): Map<string, ReadonlyMap<string, number>> {
    const held = [...new Set([...view.positions.keys(), ...view.restingOrders.map((o) => o.ticker)])];
    return new Map(this.strategies.map((s) => [s.name as string, this.d.ledger.strategyInventory(s.name, held)]));
  }

  /**
   * After a cycle's or a pass's requests went out, for the next reactive pass: the resting orders'
   * amend and cancel paths signed ahead (live; most recently changed first), and the ledger reads a
   * pass starts with made now, kept until the next write (ledger/read-memo.ts). Both were on the
   * path from a book update to the order leaving.
   */
  private readyNextPass(): void {
    const { ledger } = this.d;
    const resting = ledger.ordersWithStatus(["resting"]);
    if (!this.paper && this.d.mode === "trade")
      this.d.session.client.presignOrderPaths(
        resting
          .filter((r) => r.origin === "bot" && r.orderId)
          .sort((a, b) => b.updatedAt - a.updatedAt)
          .map((r) => r.orderId!),
      );
    if (!this.live) return;
    ledger.blockedTickers();
    ledger.restingByOrderId("");
    this.heldPortfolio();
    const stratNow = this.exchangeClock.now() ?? Date.now();
    for (const s of this.strategies) {
      const since = s.strategy.fillsSince?.(s.params, stratNow);
      if (since !== undefined) ledger.strategyFills(s.name, since);
    }
  }

  // ---- live books (live-view.ts) -------------------------------------------------------------------

  /** The reactor's wake-up filter: see LiveView.moved. */
  moved(ticker: string): boolean {
    return this.view.moved(ticker);
  }

  /** Our own order changed `ticker`'s live top: see LiveView.ownMove. */
  ownMove(ticker: string): void {
    this.view.ownMove(ticker);
  }

  // ---- one reactive pass: the table of contents ---------------------------------------------------

  /**
   * One reactive pass between cycles (see the header). `woken`: markets whose live top of book moved
   * since the last decision; `reconcile`: own fills arrived (or the feed may have missed some), so
   * the ledger is brought up to date over REST before anything is decided.
   */
  async react(work: { woken: ReadonlySet<string>; reconcile: boolean; unreconciled?: ReadonlySet<string> }): Promise<ReactReport> {
    return this.exclusive(() => this.reactPass(work));
  }

  private async reactPass(work: {
    woken: ReadonlySet<string>;
    reconcile: boolean;
    unreconciled?: ReadonlySet<string>;
  }): Promise<ReactReport> {
    const cpu0 = process.cpuUsage();
    const out: ReactReport = { acted: false, skipped: null, woken: 0, reconciled: false, exec: null, cpuMs: 0 };
    const done = (why: string | null) => {
      out.skipped = why;
      const c = process.cpuUsage(cpu0);
      out.cpuMs = (c.user + c.system) / 1000;
      return out;
    };
    const base = this.passBase();
    if (typeof base === "string") return done(base);
    const now = Date.now();
    if (work.reconcile && this.paperUpkeep) {
      // Paper's reconciliation: the sync point records the fills seen on the feed since the last one;
      // then, as live's does, the risk state is recomputed from the ledger (paper's own fills since
      // the last rebuild are positions there, not orders still resting).
      this.paperUpkeep.setMarkets(base.md);
      const snap = this.refreshRisk(base.md, this.paperUpkeep.availableMicros(), base.cycleId, now);
      if (snap.state === "halted") {
        this.lastStatus = "halted";
        return done("risk state halted");
      }
      out.reconciled = true;
    } else if (work.reconcile) {
      const refused = await this.passReconcile(base, now);
      if (refused) return done(refused);
      out.reconciled = true;
    }
    // Markets with own fills not yet in the ledger are left alone until the reconciliation.
    const unreconciled = new Set([...(work.unreconciled ?? []), ...this.om.filledSinceReconcile]);
    const woken = this.passWoken(base.md, work.woken, unreconciled);
    out.woken = woken.size;
    if (woken.size === 0 && !out.reconciled) return done("nothing moved");
    const events = this.passViews(base.md, woken);
    const decided = this.passDecide(base, events, woken, now);
    const selected = this.passSelect(base.live, decided.inScope, woken, unreconciled);
    this.view.noteDecided(base.md, woken);
    out.exec = await this.passExecute(base, selected, out.reconciled);
    this.passNote(base.md, decided.intents);
    out.acted = true;
    return done(null);
  }

  // ---- the phases of a reactive pass --------------------------------------------------------------

  /**
   * What a pass starts from, or why there is none. Anything but a clean active cycle before: the
   * next cycle decides (halt cancels, kill switch, pause, failed reconciliation all live there).
   */
  private passBase(): PassBase | string {
    const live = this.live;
    const md = this.lastMd;
    const cycleId = this.lastCycleId;
    if (!live || !md || cycleId === null || this.d.mode !== "trade") return "no cycle yet";
    if (this.lastStatus !== "active") return `last cycle ${this.lastStatus}`;
    if (this.needFullReconcile) return "waiting for a full reconciliation";
    if (killSwitch().active) return "kill switch active";
    if (this.group.coolingDown()) return "order group cooling down";
    if (this.cashQuiet) return "cash check measuring with no order resting";
    return { live, md, cycleId };
  }

  /** Own fills: the ledger brought up to date over REST, the risk state recomputed. Returns why the pass stops, or null. */
  private async passReconcile(base: PassBase, now: number): Promise<string | null> {
    try {
      const rec = await this.reconcileWithFeed(this.om.needsReconcile);
      if (this.om.needsReconcile && rec.openUnknown === 0) this.om.needsReconcile = false;
      // Positions and cash changed: the risk state is recomputed from the ledger, as a cycle does.
      const snap = this.refreshRisk(base.md, rec.exchange.balanceMicros, base.cycleId, now);
      if (snap.state === "halted") {
        // The cycle that follows cancels and exits; nothing more is sent from here.
        this.lastStatus = "halted";
        return "risk state halted";
      }
      return null;
    } catch (e) {
      this.needFullReconcile = true;
      this.d.log("warn", `reactive reconciliation failed: ${(e as Error).message}; no trading until the next cycle reconciles`);
      return "reconciliation failed";
    }
  }

  /** Re-checked now: a market may have moved back to what the last decision saw. */
  private passWoken(md: MarketData, woken: ReadonlySet<string>, unreconciled: ReadonlySet<string>): Set<string> {
    return new Set([...woken].filter((t) => md.markets.has(t) && !unreconciled.has(t) && this.moved(t)));
  }

  /**
   * Fresh views only where a decision can be acted on: the markets that moved and the other legs of
   * their events (a set is priced from all its legs). Everything else keeps its last view; its
   * intents are not acted on in a pass anyway. Returns the events that go to the strategies.
   */
  private passViews(md: MarketData, woken: ReadonlySet<string>): Map<string, EventView> {
    const events = new Map<string, EventView>();
    for (const t of woken) {
      this.view.refreshView(md, t);
      const ev = md.events.get(md.markets.get(t)?.eventTicker ?? "");
      if (ev && !events.has(ev.eventTicker)) {
        events.set(ev.eventTicker, ev);
        for (const leg of ev.marketTickers) if (leg !== t && md.markets.has(leg)) this.view.refreshView(md, leg);
      }
    }
    this.paperUpkeep?.setMarkets(md);
    return events;
  }

  /** The strategies on the pass's markets and events, with the book as the ledger has it now. */
  private passDecide(base: PassBase, events: Map<string, EventView>, woken: ReadonlySet<string>, now: number): Decided {
    const { ledger } = this.d;
    const balance = this.paperUpkeep ? this.paperUpkeep.availableMicros() : this.gate.snapshot.cashMicros;
    const view = portfolioView(balance, ledger.positions(), ledger.ordersWithStatus(["resting"]));
    return this.decide({ ...base.md, events }, view, now, base.cycleId, (s) => this.view.passMarkets(s, woken));
  }

  /**
   * Act only where a trusted live book moved; a set (shared groupKey) only when every leg's live
   * book is trusted and at least one of them moved — never on a leg priced from a stale REST view.
   */
  private passSelect(live: LiveBooks, inScope: readonly Intent[], woken: ReadonlySet<string>, unreconciled: ReadonlySet<string>): Intent[] {
    const groups = new Map<string, Intent[]>();
    for (const i of inScope) if (i.kind === "create" && i.groupKey) groups.set(i.groupKey, [...(groups.get(i.groupKey) ?? []), i]);
    return inScope.filter((i) => {
      const g = i.kind === "create" && i.groupKey ? groups.get(i.groupKey)! : null;
      if (g) return g.every((x) => live.isTrusted(x.ticker) && !unreconciled.has(x.ticker)) && g.some((x) => woken.has(x.ticker));
      return woken.has(i.ticker);
    });
  }

  /** The selected intents executed; sets repaired after fills (legs priced from their live books now). */
  private async passExecute(base: PassBase, selected: readonly Intent[], reconciled: boolean): Promise<ExecSummary> {
    const { md, cycleId } = base;
    const exec = emptyExec();
    const execStart = Date.now();
    if (selected.length > 0) Object.assign(exec, await this.om.execute(selected, cycleId));
    if (reconciled || exec.filledImmediately > 0) await this.arb.repair(md, cycleId, exec, (t) => this.view.refreshView(md, t));
    await this.paperUpkeep?.stampSince(execStart, false);
    await this.afterExecute(exec);
    return exec;
  }

  /** The watch list grows with what was decided here (the next cycle rebuilds it); renewal rescheduled. */
  private passNote(md: MarketData, intents: readonly Intent[]): void {
    this.view.noteIntents(md, intents);
    this.renewal.schedule();
    this.readyNextPass();
  }

  /** Mid history for strategies that ask for it (market_maker's volatility and fast-move checks). */
  private mids: MidHistory | null = null;

  // ---- the narrow requote path ----------------------------------------------------------------------
  //
  // A book update of a market where market_maker quotes, answered in the WebSocket message handler
  // itself instead of by a general pass: that one market decided by the same strategy function on
  // that market's view, the intents on it executed by the order manager (risk gate at that instant,
  // ledger row first, kill switch right before the request, presigned paths). It runs only where the
  // general pass would decide the same for that market:
  //   - no cycle, pass or other narrow send running (they are serialized: `exclusive`), the lock held
  //     and no stop asked (narrowAllowed), a clean active cycle before and nothing waiting for a
  //     reconciliation (passBase, needsReconcile; the reactor also holds it back while own fills wait);
  //   - not a market with own fills the ledger lacks (filledSinceReconcile, the reactor's `filled`),
  //     nor one whose book no longer shows our quotes as the ledger has them (a fill whose message
  //     has not come yet), nor one blocked by an unknown outcome;
  //   - market_maker's choice cannot differ: its markets between cycles (those it acted on or rests
  //     orders in) are no more than its top-N cut, so each is chosen on its own merits; and every
  //     own fill of its markout window is in this market (the markouts read those markets' mids).
  // Anything else goes to the general pass as before. With other strategies enabled the market is
  // left pending for the general pass too ("shared"): it decides market_maker again on the ledger
  // the narrow send left, which finds nothing more to do there.

  /** A cycle, a pass or a narrow send is running (they never overlap). */
  private busy = false;
  private narrowInFlight: Promise<void> | null = null;
  /** The daemon's own part: book frame arrival → the first request of a narrow requote handed to fetch (ms). */
  readonly narrowLatency = new LatencySamples(1024);
  /** Set by the lifecycle: the lock still ours and no stop asked (a narrow send is an order like any other). */
  narrowAllowed: () => boolean = () => false;
  /**
   * Set by the lifecycle at debug level: each narrow send's debug line carries its step timings
   * (the latency bench's), from monotonic stamps taken on the way; off, no clock read for them.
   */
  set narrowStepTimes(on: boolean) {
    this.narrowStamps = on ? { entry: 0, guarded: 0, decided: 0 } : null;
    this.om.stepStamps = on ? { judged: Number.NaN, written: Number.NaN } : null;
  }
  /** The narrow decision's stamps (narrowStepTimes): entered, lock and guards through, intents decided. */
  private narrowStamps: { entry: number; guarded: number; decided: number } | null = null;

  /** Runs `fn` with nothing else of the engine's running (a narrow send in flight is waited for). */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.quiesce();
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  /** No cycle, pass or narrow send running (the daemon's idle report). */
  get idle(): boolean {
    return !this.busy && this.narrowInFlight === null;
  }

  /** Resolves once no narrow send is in flight (before a cycle, a pass, the exit's cancels). */
  async quiesce(): Promise<void> {
    while (this.narrowInFlight) await this.narrowInFlight;
  }

  /**
   * The narrow path for a moved market (called by the reactor once the burst of frames that moved
   * it is applied; `burstAt`: the first of them arrived, ws.lastFrameAt's clock): null
   * when the general pass must handle it, "taken" when this path decided it, "shared" when it
   * decided market_maker's part and the general pass still runs for the other strategies.
   */
  requote(ticker: string, burstAt: number): "taken" | "shared" | null {
    try {
      return this.narrowDecide(ticker, burstAt);
    } catch (e) {
      // Runs outside any pass (a timer callback): an error here (a ledger read failing) must not
      // escape; the pass that follows meets it too, and says so.
      this.d.log("warn", `narrow requote ${ticker} not decided: ${(e as Error).message}`);
      return null;
    }
  }

  private narrowDecide(ticker: string, burstAt: number): "taken" | "shared" | null {
    const stamps = this.narrowStamps;
    if (stamps) stamps.entry = monoNow();
    if (this.busy || this.narrowInFlight || this.d.mode !== "trade" || !this.narrowAllowed()) return null;
    const mm = this.strategies.find((s) => s.name === "market_maker");
    if (!mm) return null;
    const base = this.passBase();
    if (typeof base === "string") return this.narrowDeclined(ticker, base);
    if (!base.md.markets.has(ticker) || !base.live.isTrusted(ticker)) return null;
    if (this.om.needsReconcile) return this.narrowDeclined(ticker, "an order outcome to look up first");
    if (this.om.filledSinceReconcile.has(ticker)) return this.narrowDeclined(ticker, "own fill not reconciled yet");
    if (stamps) stamps.guarded = monoNow();
    // The market's view as a pass makes it; paper's (its fills from the deltas so far applied, its
    // quotes in the book) writes the ledger, so before the decision's read-only span.
    const m = this.view.refreshView(base.md, ticker)!;
    this.paperUpkeep?.syncMarket(base.md, ticker);
    // Live leaves a market with an own fill to the pass (Reactor: its fill arrived); paper the same
    // when a cross or a print it just saw filled one of its quotes there.
    if (this.paperUpkeep?.justFilled.has(ticker)) return this.narrowDeclined(ticker, "own fill (paper) just recorded");
    const view = this.paperUpkeep ? base.md.markets.get(ticker)! : m;
    // The decision's ledger reads under one write check (Ledger.readOnly): it writes nothing, its
    // mid history row included (written once the request left, or at once when none goes).
    let intents: Intent[] | string | null = null;
    try {
      intents = this.d.ledger.readOnly(() => this.narrowIntents(mm, base, view, burstAt));
    } finally {
      if (!Array.isArray(intents) || intents.length === 0) this.mids?.writeLater();
    }
    if (stamps) stamps.decided = monoNow();
    if (typeof intents === "string") return this.narrowDeclined(ticker, intents);
    if (intents === null) return null;
    const verdict = this.strategies.length === 1 ? "taken" : "shared";
    if (verdict === "taken") this.view.noteDecided(base.md, new Set([ticker]));
    if (intents.length > 0) this.narrowInFlight = this.narrowSend(base, ticker, intents, burstAt);
    return verdict;
  }

  /** market_maker's intents on `ticker` alone, or why the narrow path leaves it (null: silently). Reads only. */
  private narrowIntents(mm: EnabledStrategy, base: PassBase, m: MarketView, burstAt: number): Intent[] | string | null {
    const { live, md, cycleId } = base;
    const { ledger } = this.d;
    const ticker = m.ticker;
    if (ledger.blockedTickers().has(ticker)) return "an order outcome unknown here";
    const mine = this.view.passMarkets(mm, NO_MARKETS);
    const rel = mm.strategy.relevance;
    const limit = rel?.unit === "market" ? (rel.top?.limit(mm.params) ?? Infinity) : 0;
    if (!mine?.has(ticker) || mine.size > limit) return null;
    const held = this.heldPortfolio();
    const own = held.restingOrders.filter((o) => o.ticker === ticker && o.strategy === mm.name);
    const removed = live.removedSince(ticker, burstAt);
    if (removed === null) return "too many book changes since the update to tell a sweep";
    if (sweptTowardOurs(removed, own)) return "a level at or before our quote lost size: a sweep toward it may be under way";
    // Paper's fills are its own model's, applied above: the venue's book never shows paper quotes.
    if (!this.paper && !ownQuotesIntact(own, (leg, price) => live.sizeAt(ticker, leg, price)))
      return "the book does not show our quotes as the ledger has them";
    const stratNow = this.exchangeClock.now() ?? Date.now();
    const since = mm.strategy.fillsSince?.(mm.params, stratNow);
    const ownFills = since === undefined ? undefined : ledger.strategyFills(mm.name, since);
    if (ownFills?.some((f) => f.ticker !== ticker)) return null;
    const portfolio = this.narrowPortfolio(held, this.paperUpkeep?.availableMicros());
    const markets = new Map([[ticker, m]]);
    const hist = mm.strategy.historyFor?.(markets, mm.params, portfolio, stratNow) ?? null;
    this.mids ??= ledger.midHistory();
    const midHistory = hist?.length ? this.mids.observe([m], stratNow, cycleId, portfolio.restingOrders, true) : undefined;
    try {
      return mm.strategy
        .decide({
          markets,
          events: md.events,
          portfolio,
          params: mm.params,
          nowMs: stratNow,
          ...(midHistory ? { midHistory } : {}),
          ...(ownFills ? { ownFills } : {}),
        })
        .filter((i) => i.ticker === ticker);
    } catch {
      return null;
    }
  }

  /** The narrow path's intents through the order manager, then what a pass does after sending. */
  private async narrowSend(base: PassBase, ticker: string, intents: Intent[], frameAt: number): Promise<void> {
    const client = this.d.session.client;
    // When the first request was handed to fetch (NaN: none yet).
    const first = { at: Number.NaN };
    const om = this.om.stepStamps;
    if (om) om.judged = om.written = Number.NaN;
    // The order manager's stamps as they stood when the first request left (NaN: it was a cancel).
    let judged = Number.NaN;
    let written = Number.NaN;
    client.beforeFetch = () => {
      if (!Number.isNaN(first.at)) return;
      first.at = monoNow();
      if (om) ({ judged, written } = om);
    };
    const execStart = Date.now();
    try {
      const exec = await this.om.execute(intents, base.cycleId);
      client.beforeFetch = null;
      // Paper: its new quotes stamped with the market's newest print, as after a pass (passExecute).
      await this.paperUpkeep?.stampSince(execStart, false);
      // The mid history row of this decision, kept off the path to the request (a failure above
      // leaves it to the next narrow decision to write).
      this.mids?.writeLater();
      if (exec.filledImmediately > 0) await this.arb.repair(base.md, base.cycleId, exec, (t) => this.view.refreshView(base.md, t));
      await this.afterExecute(exec);
      this.passNote(base.md, intents);
      const what = exec.decisions.map((d) => `${d.intent.kind} ${d.result}`).join(", ");
      const sent = !Number.isNaN(first.at);
      if (sent) {
        this.narrowSends++;
        this.narrowLatency.add(first.at - frameAt);
      }
      this.d.log(
        "debug",
        `narrow requote ${ticker}: ${what}${this.paper ? " (paper)" : sent ? `; frame→fetch ${(first.at - frameAt).toFixed(3)} ms${this.narrowStepLine(frameAt, judged, written, first.at)}` : "; nothing sent"}`,
      );
    } catch (e) {
      // The ledger is written before every request: nothing went out unrecorded; the next pass or cycle decides again.
      this.d.log("warn", `narrow requote ${ticker} failed: ${(e as Error).message}`);
    } finally {
      client.beforeFetch = null;
      this.narrowInFlight = null;
    }
  }
  /** Narrow requotes that sent a request, since the start (for the between-cycles line). */
  narrowSends = 0;

  /** The step timings of a narrow send (narrowStepTimes), ms between the stamps; "" when off. */
  private narrowStepLine(frameAt: number, judged: number, written: number, fetchAt: number): string {
    const s = this.narrowStamps;
    if (!s) return "";
    const ms = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? "-" : (b - a).toFixed(3));
    return (
      `; steps (ms): to the decision ${ms(frameAt, s.entry)}, lock and guards ${ms(s.entry, s.guarded)}, decision ${ms(s.guarded, s.decided)},` +
      ` risk and kill switch ${ms(s.decided, judged)}, ledger ${ms(judged, written)}, to fetch ${ms(written, fetchAt)}`
    );
  }

  private narrowDeclined(ticker: string, why: string): null {
    this.d.log("debug", `narrow requote ${ticker}: left to the general pass (${why})`);
    return null;
  }

  /**
   * The narrow path's pure parts run `rounds` times on one of market_maker's markets as it stands
   * (narrow-warmup.ts), in an idle moment: reads only. Nothing here can send or record: the
   * decision's inputs are read (ledger reads, the live view without storing it, the kept mid
   * history without observing) and handed, as plain values, to a module that has no transport,
   * order manager or ledger. Returns the ms of CPU it took (0: nothing to warm).
   */
  warmNarrowPath(rounds: number): number {
    if (this.busy || this.narrowInFlight || this.paper || this.d.mode !== "trade") return 0;
    const mm = this.strategies.find((s) => s.name === "market_maker");
    const live = this.live;
    const md = this.lastMd;
    if (!mm || !live || !md) return 0;
    const t0 = performance.now();
    const mine = [...(this.view.passMarkets(mm, NO_MARKETS) ?? [])].filter((t) => md.markets.has(t) && live.isTrusted(t));
    const ticker = mine[Math.floor(Math.random() * mine.length)];
    const m = ticker === undefined ? undefined : this.view.peekView(md, ticker);
    if (ticker === undefined || !m) return 0;
    const { ledger } = this.d;
    const held = this.heldPortfolio();
    const portfolio = this.narrowPortfolio(held);
    const nowMs = this.exchangeClock.now() ?? Date.now();
    const since = mm.strategy.fillsSince?.(mm.params, nowMs);
    const ownFills = since === undefined ? undefined : ledger.strategyFills(mm.name, since);
    const midHistory = this.mids?.peek(ticker, nowMs);
    const input = {
      markets: new Map([[ticker, m]]),
      events: md.events,
      portfolio,
      params: mm.params,
      nowMs,
      ...(midHistory ? { midHistory } : {}),
      ...(ownFills ? { ownFills } : {}),
    };
    this.warmChars = warmNarrow(
      { strategy: mm.strategy, input, ticker, snapshot: this.gate.snapshot, limits: this.gate.limits, frame: live.ws.lastDeltaFrame },
      rounds,
    );
    return performance.now() - t0;
  }
  /** Characters the last warm-up encoded (kept so its work is not optimized away). */
  warmChars = 0;
}

const NO_MARKETS: ReadonlySet<string> = new Set();

/** Every market of `md` has the fee multiplier `rec` gives it (with as many entries: the same record). */
function sameFees(rec: Record<string, number>, md: MarketData): boolean {
  for (const m of md.markets.values()) if (rec[m.ticker] !== m.feeMultiplierE4) return false;
  return true;
}

/** What a reactive pass starts from: the live books, the last cycle's market data and its id. */
interface PassBase {
  live: LiveBooks;
  md: MarketData;
  cycleId: number;
}

/** Longest time between two full REST loads of the scope's markets when live books are trusted. */
const FULL_MARKET_LOAD_MS = 60_000;

export { orderGroupLimit } from "./order-group.ts";
