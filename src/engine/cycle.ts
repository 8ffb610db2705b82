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
import { COUNT_ONE, formatDollars2, type Count, type Micros, type Price } from "../kalshi/money.ts";
import { killSwitch } from "../ops/kill-switch.ts";
import { enabledStrategies, parseProbabilities, repairArbSet, type EnabledStrategy } from "../strategies/index.ts";
import type { CreateIntent, EventView, Intent, MarketView, PortfolioView } from "../strategies/types.ts";
import type { ExchangeSession } from "./exchange-session.ts";
import type { LiveBooks } from "./live-books.ts";
import type { Ledger, OrderRow } from "./ledger.ts";
import { StopRequested, type MarketData, type MarketDataSource, type Scope } from "./market-data.ts";
import { notFoundGraceMs, OrderManager, type Decision, type ExecSummary, type RiskGate } from "./order-manager.ts";
import type { PaperTransport } from "./paper-transport.ts";
import { balanceMicrosOf, collateralOf, FILLS_CURSOR_KEY, portfolioView, valuePositions } from "./portfolio.ts";
import { hedgedPositions, strategyInventory } from "./strategy-holdings.ts";
import { MidHistory } from "./mid-history.ts";
import { ExchangeClock } from "./exchange-clock.ts";
import { monoNow, wallAt } from "../ops/clock.ts";
import { reconcileLive, reconcilePaper, type ReconcileReport } from "./reconcile.ts";
import { cancelsForHalt, fromRiskRow, nextRiskState, resetHalt, toRiskRow, type ResolvedRiskLimits, type RiskPortfolio, type RiskSnapshot } from "./risk.ts";
import { settlementRevenue } from "./position-math.ts";
import type { OrderTransport } from "./transport.ts";
import { dueForRenewal, expirationFor, msUntilRenewal } from "./order-ttl.ts";
import { DecisionCache, verifyDecision } from "./decision-cache.ts";

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
  limits: ResolvedRiskLimits;
  scope: Scope;
  mode: "trade" | "scan";
  confirm?: (text: string) => Promise<boolean>;
  log: (level: "info" | "warn" | "debug" | "error", msg: string) => void;
  /** Orders that expire on their own (order-ttl.ts): their TTL in seconds (0 or absent: none). */
  orderTtlSeconds?: number;
}

const emptyExec = (): ExecSummary => ({ decisions: [], created: 0, canceled: 0, amended: 0, rejected: 0, unknown: 0, filledImmediately: 0 });

export class Engine {
  readonly om: OrderManager;
  readonly gate: RiskGate;
  private cycles = 0;
  private needFullReconcile = true;
  private orderGroupId: string | null = null;
  strategies: EnabledStrategy[] = [];
  /** Daemon mode: WebSocket books (null: REST only). Set by the lifecycle. */
  live: LiveBooks | null = null;
  /** The last cycle's market data; reactive passes lay live books over it as they move. */
  private lastMd: MarketData | null = null;
  /** REST views of the last cycle, before any overlay (the base a live book is laid over). */
  private restViews = new Map<string, MarketView>();
  private lastCycleId: number | null = null;
  private lastStatus: CycleStatus = "error";
  /** The view (live overlay) each market had when strategies last decided on it. Rebuilt each
   * cycle from the markets in scope, so markets that closed and left do not pile up in it. */
  private decided = new Map<string, MarketView>();
  /** Markets whose book moving may change a decision: bot orders rest there, a strategy wanted to
   * act there last time, or they are legs of a mutually exclusive event (arbitrage). */
  watch = new Set<string>();
  /** Decision cache (decision-cache.ts): full cycles re-test only what changed. */
  private decisionCache: DecisionCache | null = null;

  /** The exchange's time as reconciliations see it: order expiries are set from it (order-ttl.ts)
   * and fill times compared with it (burst cap). */
  private readonly exchangeClock = new ExchangeClock();

  constructor(readonly d: EngineDeps) {
    this.gate = { snapshot: fromRiskRow(d.ledger.loadRisk(), { cashMicros: 0, equityMicros: 0, positions: {}, resting: [], recentOrderTimesMs: [] }, Date.now()), limits: d.limits };
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
  }

  private get ttlSeconds(): number {
    return this.d.orderTtlSeconds ?? 0;
  }

  /** Now on the clock order expiries are in: the exchange's (this machine's for paper orders, and before the first reconciliation). */
  private ordersNow(): number {
    return (this.paper ? null : this.exchangeClock.now()) ?? Date.now();
  }

  /** Monotonic time (performance.now()) at which the first resting order is due for renewal. */
  private renewalDueMono = Number.POSITIVE_INFINITY;

  /** True once a resting order of the bot is due for renewal: the daemon starts a cycle early. */
  renewalDue(): boolean {
    return performance.now() >= this.renewalDueMono;
  }

  private scheduleRenewal(): void {
    if (this.ttlSeconds <= 0 || this.d.mode !== "trade") return;
    const rows = this.d.ledger.ordersWithStatus(["resting"]).filter((r) => r.origin === "bot");
    const ms = msUntilRenewal(rows, this.ttlSeconds, this.ordersNow());
    this.renewalDueMono = ms === null ? Number.POSITIVE_INFINITY : performance.now() + ms;
  }

  /**
   * Renewal of orders that expire on their own: every bot order past half its TTL is cancelled
   * here, before the strategies decide, and the strategies quote it again with a fresh expiry
   * (amend cannot move an expiry, and a replacement sent before the cancel would rest twice). An
   * order whose cancel fails stays as it is: resting (the strategies see it, nothing doubles) or
   * gone (reconciliation records what became of it). Returns the orders cancelled.
   */
  private async cancelForRenewal(exec: ExecSummary): Promise<number> {
    if (this.ttlSeconds <= 0) return 0;
    const rows = this.d.ledger.ordersWithStatus(["resting"]).filter((r) => r.origin === "bot" && r.orderId);
    const due = dueForRenewal(rows, this.ttlSeconds, this.ordersNow());
    if (due.length === 0) return 0;
    const before = exec.canceled;
    await this.om.cancel(
      due.map((r) => ({ kind: "cancel" as const, strategy: r.strategy ?? "engine", ticker: r.ticker, orderId: r.orderId!, reason: `renewal: expires at ${new Date(r.expiresAt!).toISOString()}, quoted again with a fresh expiry` })),
      exec,
    );
    const n = exec.canceled - before;
    this.d.log("debug", `renewal: ${n} of ${due.length} order(s) past half their ${this.ttlSeconds} s TTL cancelled, to be quoted again`);
    return n;
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

  /** All bot orders in one order group (created once, id kept in meta) so the exchange caps bursts
   * and the kill switch can trigger the whole group. Live only. */
  private async ensureOrderGroup(): Promise<void> {
    if (this.paper || this.d.mode === "scan" || this.orderGroupId) return;
    const key = `order_group_id:${this.d.session.instanceId}`;
    let id = this.d.ledger.getMeta(key);
    if (!id) {
      const r = await this.d.session.client.createOrderGroup({ contracts_limit: orderGroupLimit(this.d.loaded) });
      id = r.order_group_id;
      this.d.ledger.setMeta(key, id);
    }
    this.orderGroupId = id;
    (this.om as unknown as { d: { orderGroupId: string | null } }).d.orderGroupId = id;
  }

  /**
   * The exchange triggers our order group when its contracts limit is matched within the window: it
   * cancels the group's orders and rejects new ones until the group is reset. That is the burst cap
   * doing its job, but without a reset the bot would never trade again. So: after rejections (or
   * every few cycles) the group is read; a trigger that is not our own kill switch's is recorded,
   * trading pauses, and after a cool-down of twice the window the group is reset (audited both times).
   */
  private async checkOrderGroup(cycleId: number): Promise<number> {
    const id = this.orderGroupId;
    if (!id || this.paper || this.d.mode !== "trade") return 0;
    const every = this.d.loaded.config.trading.reconcile_every_cycles;
    // First cycle of every process too: a `--once` run must see a trigger an earlier run caused.
    if (!this.groupSuspect && this.cycles !== 1 && this.cycles % every !== 0) return 0;
    this.groupSuspect = false;
    const { ledger } = this.d;
    const g = await this.d.session.client.getOrderGroup(id);
    const key = `order_group_capped_at:${id}`;
    if (!g.is_auto_cancel_enabled) {
      if (ledger.getMeta(key)) ledger.setMeta(key, "");
      this.groupCappedUntil = 0;
      this.groupCappedSeenAt = null;
      return 1;
    }
    // Our own trigger (kill switch) is reset where the kill switch is handled.
    if (ledger.getMeta(`order_group_triggered:${id}`)) return 1;
    const now = Date.now();
    const since = Number(ledger.getMeta(key) || 0);
    if (!since) {
      ledger.setMeta(key, String(now));
      ledger.audit("order_group_cap", `order group ${id} hit its contracts limit (${orderGroupLimit(this.d.loaded)} per ${ORDER_GROUP_WINDOW_MS / 1000} s): the exchange canceled its orders; trading pauses ${ORDER_GROUP_COOLDOWN_MS / 1000} s`, { cycleId });
      this.d.log("warn", `order group hit its contracts limit: orders canceled by the exchange; pausing ${ORDER_GROUP_COOLDOWN_MS / 1000} s before resetting it`);
      this.groupCappedUntil = monoNow() + ORDER_GROUP_COOLDOWN_MS;
      this.groupCappedSeenAt = monoNow();
      this.groupSuspect = true;
      this.needFullReconcile = true;
      return 1;
    }
    // The start is persisted in wall time (a --once run must see an earlier run's); a wall clock
    // stepped back must not stretch the pause, so this process's own monotonic view ends it too.
    this.groupCappedSeenAt ??= monoNow();
    const left = Math.min(ORDER_GROUP_COOLDOWN_MS - (now - since), ORDER_GROUP_COOLDOWN_MS - (monoNow() - this.groupCappedSeenAt));
    if (left > 0) {
      this.groupCappedUntil = monoNow() + Math.min(left, ORDER_GROUP_COOLDOWN_MS);
      this.groupSuspect = true;
      return 1;
    }
    this.groupCappedSeenAt = null;
    await this.d.session.client.resetOrderGroup(id);
    ledger.setMeta(key, "");
    this.groupCappedUntil = 0;
    ledger.audit("order_group_reset", `order group ${id} reset after a ${Math.round((now - since) / 1000)} s cool-down`, { cycleId });
    this.d.log("info", `order group reset after its cool-down; trading resumes`);
    return 2;
  }
  /** Set when an order was rejected: the group may have been triggered by the exchange. */
  private groupSuspect = false;
  /** While the exchange's trigger of our group is cooling down (monotonic ms): no orders (they would be rejected). */
  private groupCappedUntil = 0;
  /** When this process first saw the current trigger (monotonic ms). */
  private groupCappedSeenAt: number | null = null;

  private loadProbabilities(): { probabilities: Map<string, number>; probabilitiesAsOfMs: number } | undefined {
    const fv = this.d.loaded.config.trading.strategies.fair_value;
    if (!fv.enabled || !fv.source || /^https?:/.test(fv.source)) return undefined;
    const p = fv.source.startsWith("/") ? fv.source : `${this.d.loaded.baseDir}/${fv.source}`;
    // The file's age is its modification time: fair_value refuses to trade on a stale one.
    return { probabilities: parseProbabilities(readFileSync(p, "utf8")), probabilitiesAsOfMs: statSync(p).mtimeMs };
  }

  private async loadStrategies(): Promise<void> {
    const fv = this.d.loaded.config.trading.strategies.fair_value;
    let ctx: { probabilities: Map<string, number>; probabilitiesAsOfMs: number } | undefined;
    if (fv.enabled && fv.source && /^https?:/.test(fv.source)) {
      const r = await fetch(fv.source, { signal: AbortSignal.timeout(5_000) });
      if (!r.ok) throw new Error(`fair_value source ${fv.source} answered HTTP ${r.status}`);
      // Last-Modified says how old the numbers are; without it only the fetch time is known.
      const lm = Date.parse(r.headers.get("last-modified") ?? "");
      ctx = { probabilities: parseProbabilities(await r.text()), probabilitiesAsOfMs: Number.isFinite(lm) ? lm : Date.now() };
    } else ctx = this.loadProbabilities();
    this.strategies = enabledStrategies(this.d.loaded.config.trading.strategies, ctx ?? {});
  }

  async run(): Promise<CycleReport> {
    const cpu0 = process.cpuUsage();
    const { ledger, session, marketData } = this.d;
    const client = session.client;
    const now = Date.now();
    this.cycles++;
    const cycleId = ledger.startCycle(this.d.mode);
    const report: CycleReport = {
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
      riskState: this.gate.snapshot.state,
      riskReason: this.gate.snapshot.reason,
      paperFills: 0,
      reconcile: null,
      cpuMs: 0,
      liveTrusted: null,
    };
    const mdBefore = marketData.requests;
    let extraRequests = 0;
    try {
      const kill = killSwitch();
      // ---- exchange status ----
      const st = await client.getExchangeStatus();
      extraRequests++;
      const paused = !st.exchange_active || !st.trading_active;

      // ---- portfolio: reconciled into the ledger ----
      const reconcileEvery = this.d.loaded.config.trading.reconcile_every_cycles;
      const full = this.needFullReconcile || this.om.needsReconcile || this.cycles % reconcileEvery === 0;
      let balanceMicros: Micros;
      let cashQuiet = false;
      if (!this.paper) {
        // Every cycle reconciles fills and orders over REST: whatever the feed said or missed since
        // the last one is covered from here on.
        const rec = await this.reconcileWithFeed(full);
        report.reconcile = rec;
        extraRequests += rec.requests;
        balanceMicros = rec.exchange.balanceMicros;
        cashQuiet = rec.cashQuiet;
        this.needFullReconcile = false;
        this.om.needsReconcile = false;
      } else {
        if (full) reconcilePaper(ledger);
        if (ledger.cashMicros() === null) await this.anchorPaper();
        this.needFullReconcile = false;
        balanceMicros = this.d.paperTransport!.availableMicros();
      }

      // ---- market data for the scope (+ markets we hold, for marks and settlement) ----
      const held = [...ledger.positions().values()].filter((p) => p.position !== 0).map((p) => p.ticker);
      const resting = ledger.ordersWithStatus(["resting"]);
      const extra = [...new Set([...held, ...resting.map((r) => r.ticker)])];
      const md = await this.loadMarkets(extra, now);
      report.marketsScanned = md.markets.size;
      report.eventsScanned = md.events.size;
      report.untradeable = [...md.untradeable];
      report.positionsOutOfScope = held.filter((t) => !md.markets.has(t) && md.inactive.get(t)?.status === "active");
      if (this.strategies.length === 0 || this.d.loaded.config.trading.strategies.fair_value.enabled) await this.loadStrategies();
      this.restViews = new Map(md.markets);
      const pv = portfolioView(balanceMicros, ledger.positions(), resting);
      this.wantsDepth = (m) => this.strategies.some((s) => s.strategy.needsDepth(m, s.params, pv));
      if (this.live) report.liveTrusted = await this.overlayLive(md);
      // Depth over REST only where no trusted live book already gave it.
      if (client.hasCredentials) await marketData.loadDepth(md, this.strategies as never, pv);

      if (this.paper) {
        const pt = this.d.paperTransport!;
        pt.setMarkets(new Map([...md.inactive, ...md.markets]));
        report.paperFills = await this.paperMaintenance(md);
        balanceMicros = pt.availableMicros();
      }

      // ---- risk state from this cycle's portfolio ----
      const positions = ledger.positions();
      const allMarkets = (t: string): MarketView | undefined => md.markets.get(t) ?? md.inactive.get(t);
      let restingNow = ledger.ordersWithStatus(["resting"]);
      let snap = this.refreshRisk(md, balanceMicros, cycleId, now);
      report.riskState = snap.state;
      report.riskReason = snap.reason;

      const exec = emptyExec();
      if (this.d.mode === "trade") await this.ensureOrderGroup().catch((e) => this.d.log("warn", `order group not created (${(e as Error).message}); orders go without one`));
      extraRequests += await this.checkOrderGroup(cycleId).catch((e) => {
        this.d.log("warn", `order group not checked: ${(e as Error).message}`);
        return 1;
      });

      if (snap.state === "halted") {
        report.status = "halted";
        report.statusReason = snap.reason;
        if (this.d.mode === "trade") await this.om.cancel(cancelsForHalt(snap, `halted: ${snap.reason}`).filter((c) => ledger.orderByOrderId(c.orderId)?.origin === "bot"), exec);
      } else if (kill.active) {
        report.status = "disabled";
        report.statusReason = kill.file ? `paused: ${kill.file} exists${kill.reason ? ` (${kill.reason})` : ""}; kalshi-bot resume ends it` : `BOT_DISABLE_TRADING=${kill.value}`;
        if (this.d.mode === "trade" && this.d.loaded.config.trading.cancel_resting_on_kill_switch) {
          await this.om.cancelAllResting("kill switch", exec);
          if (this.orderGroupId && !this.paper) {
            // The exchange-side kill: cancels anything of the group we might not know about yet.
            await client.triggerOrderGroup(this.orderGroupId).catch((e) => this.d.log("warn", `order group trigger failed: ${(e as Error).message}`));
            ledger.setMeta(`order_group_triggered:${this.orderGroupId}`, "1");
          }
        }
      } else if (paused) {
        report.status = "paused";
        report.statusReason = st.exchange_estimated_resume_time ? `exchange paused until ${st.exchange_estimated_resume_time}` : "exchange paused or in maintenance";
      }
      // The cash check measures a drift's amount with none of the bot's orders resting (reconcile.ts):
      // they are cancelled and none is sent until it has.
      this.cashQuiet = cashQuiet && this.d.mode === "trade" && report.status === "active" && snap.state !== "halted";
      if (this.cashQuiet) {
        report.statusReason = "cash check: measuring a difference with the exchange with no order resting; quoting resumes after it";
        await this.om.cancelAllResting("cash check", exec);
      }
      const groupCapped = this.groupCappedUntil > monoNow();
      if (groupCapped && report.status === "active") report.statusReason = `order group contracts limit hit: no orders until ${wallAt(this.groupCappedUntil).toISOString()}`;
      const capped = groupCapped || this.cashQuiet;

      // ---- renewal of orders past half their TTL (only when this cycle may send their successors) ----
      if (this.d.mode === "trade" && report.status === "active" && snap.state !== "halted" && !capped && (await this.cancelForRenewal(exec)) > 0) {
        // Their collateral is free again: the strategies and the gate see the book as it is now.
        if (this.paper) balanceMicros = this.d.paperTransport!.availableMicros();
        else {
          balanceMicros = balanceMicrosOf(await client.getBalance());
          extraRequests++;
        }
        restingNow = ledger.ordersWithStatus(["resting"]);
        snap = this.refreshRisk(md, balanceMicros, cycleId, now);
      }

      // ---- strategies (also while disabled/paused: the scan table and the summary show them) ----
      const view = portfolioView(balanceMicros, positions, restingNow);
      const decided = this.decide(md, view, now, cycleId);
      report.strategyDecisions = decided.decisions;
      const inScope = decided.inScope;
      report.outOfScope = decided.outOfScope;

      if (this.d.mode === "trade" && report.status === "active" && this.gate.snapshot.state !== "halted" && !capped) {
        if (this.orderGroupId && ledger.getMeta(`order_group_triggered:${this.orderGroupId}`)) {
          await client.resetOrderGroup(this.orderGroupId).catch(() => {});
          ledger.setMeta(`order_group_triggered:${this.orderGroupId}`, "");
        }
        // A stop that arrived during the depth reads or the strategies: nothing is sent.
        this.d.marketData.checkStop();
        const execStart = Date.now();
        const r = await this.om.execute(inScope, cycleId);
        Object.assign(exec, { ...r, decisions: [...exec.decisions, ...r.decisions], canceled: exec.canceled + r.canceled });
        await this.repairArbSets(md, cycleId, exec);
        await this.stampPaperSince(execStart, true);
        if (exec.rejected > 0) this.groupSuspect = true;
        if (this.om.needsReconcile && !this.paper) {
          // Right after an unknown outcome: try to resolve it now, so the market unblocks early.
          const rr = await this.om.resolveOpen(notFoundGraceMs(this.d.loaded.config.exchange.request_timeout_ms)).catch(() => null);
          if (rr && rr.open === 0) this.om.needsReconcile = false;
        }
      }
      report.exec = exec;
      report.decisions = exec.decisions;

      // ---- the end of the cycle: balance as it ended, valuation from the ledger ----
      if (!this.paper && exec.created + exec.canceled + exec.amended + exec.unknown > 0) {
        const b = await client.getBalance();
        extraRequests++;
        balanceMicros = balanceMicrosOf(b);
      } else if (this.paper) balanceMicros = this.d.paperTransport!.availableMicros();
      const endPositions = ledger.positions();
      const endVal = valuePositions(endPositions, allMarkets);
      const endCash = ledger.cashForRiskMicros() ?? balanceMicros;
      report.cashMicros = balanceMicros;
      report.totalMicros = endCash + endVal.positionsValueMicros;
      report.portfolioValueMicros = report.totalMicros - balanceMicros;
      report.unrealizedPnlMicros = endVal.unrealizedPnlMicros;
      const t = ledger.totals();
      report.realizedPnlMicros = t.realizedPnlMicros;
      report.feesMicros = t.feesMicros;
      report.openOrders = ledger.ordersWithStatus(["resting"]).length;
      ledger.snapshotBalance(cycleId, balanceMicros, report.portfolioValueMicros);
      report.requests = marketData.requests - mdBefore + extraRequests + (this.paper ? 0 : (this.d.transport as { writes?: number }).writes ?? 0);
      ledger.endCycle(cycleId, report.status, exec.created, null);
      this.lastMd = md;
      this.lastCycleId = cycleId;
      this.lastStatus = report.status;
      this.updateWatch(md, decided.intents);
      this.updateTouched(decided.decisions);
      this.scheduleRenewal();
    } catch (e) {
      if (e instanceof StopRequested) {
        // Abandoned on purpose before any order: the cycle stopped, it did not fail.
        ledger.endCycle(cycleId, "stopped", 0, e.message);
        ledger.audit("cycle_stopped", e.message, { cycleId });
        throw Object.assign(e, { report });
      }
      report.status = "error";
      report.statusReason = (e as Error).message;
      this.needFullReconcile = true;
      this.lastStatus = "error";
      ledger.endCycle(cycleId, "error", 0, (e as Error).message);
      ledger.audit("cycle_error", (e as Error).message, { cycleId });
      throw Object.assign(e as Error, { report });
    } finally {
      const cpu = process.cpuUsage(cpu0);
      report.cpuMs = (cpu.user + cpu.system) / 1000;
      if ((this.d.transport as { writes?: number }).writes !== undefined) (this.d.transport as unknown as { writes: number }).writes = 0;
    }
    return report;
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
    if (live && prev && now - this.lastFullLoadAt < FULL_MARKET_LOAD_MS) {
      const stale: string[] = [];
      for (const [t, m] of this.restViews) if (!live.isTrusted(t) || (m.closeTimeMs !== null && m.closeTimeMs <= now)) stale.push(t);
      for (const t of extra) if (!this.restViews.has(t)) stale.push(t);
      // Mostly untrusted (the WebSocket is down): a full load costs less than per-market reads.
      if (stale.length <= this.restViews.size / 2) {
        return marketData.refresh({ markets: this.restViews, events: prev.events, inactive: prev.inactive }, stale);
      }
    }
    const md = await marketData.load(scope, extra);
    this.lastFullLoadAt = now;
    return md;
  }
  private lastFullLoadAt = 0;
  /** The last cycle's cash check asked for no order resting (see reconcile.ts checkCash). */
  private cashQuiet = false;

  /** The next cycle reads the whole scope over REST (a market was created or opened in it). */
  requestFullLoad(): void {
    this.lastFullLoadAt = 0;
  }

  /**
   * REST reconciliation, with the feed's queues drained and its "fills may be missing" flag taken
   * first (a gap opening during the reconciliation stays set); on failure the flag is put back.
   */
  private async reconcileWithFeed(full: boolean): Promise<ReconcileReport> {
    const { ledger } = this.d;
    const live = this.live;
    let gapWas = false;
    if (live) {
      // Fills and order changes queued by the feed are covered by the REST read that follows.
      live.drainFills();
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
    const hedged = hedgedPositions(ledger.db.$client, this.paper, new Map([...positions.values()].map((p) => [p.ticker, p.position])));
    const riskPortfolio: RiskPortfolio = {
      cashMicros: balanceMicros,
      equityMicros: ledgerCash + val.positionsValueMicros,
      positions: Object.fromEntries(
        [...positions.values()].filter((p) => p.position !== 0).map((p) => [
          p.ticker,
          { eventTicker: p.eventTicker ?? allMarkets(p.ticker)?.eventTicker ?? p.ticker, position: p.position, costMicros: p.costMicros, ...(hedged.has(p.ticker) ? { hedged: hedged.get(p.ticker)! } : {}) },
        ]),
      ),
      resting: restingNow.map((r) => ({ orderId: r.orderId ?? r.clientOrderId, ticker: r.ticker, eventTicker: r.eventTicker ?? allMarkets(r.ticker)?.eventTicker ?? r.ticker, side: r.side, price: r.price, remaining: r.remainingCount, filled: r.filledCount })),
      recentOrderTimesMs: ledger.sendTimesSince(now - 60_000),
      feeMultiplierE4: this.feeMultipliers(md),
    };
    const prevState = this.gate.snapshot.state;
    const snap = nextRiskState({ ...this.gate.snapshot, ...riskPortfolio }, this.d.limits, now);
    this.gate.snapshot = snap;
    ledger.saveRisk(toRiskRow(snap));
    if (snap.state !== prevState) {
      ledger.audit("risk_state", `${prevState} → ${snap.state}: ${snap.reason ?? ""}`, cycleId === null ? {} : { cycleId });
      this.d.log(snap.state === "halted" ? "error" : "warn", `risk state ${prevState} → ${snap.state}${snap.reason ? `: ${snap.reason}` : ""}`);
    }
    return snap;
  }

  /** Series fee multipliers per ticker of this market data (built once per load, not per pass). */
  private feeMultipliers(md: MarketData): Record<string, number> {
    if (this.feeMultCache?.md !== md) {
      const rec: Record<string, number> = {};
      for (const m of md.markets.values()) rec[m.ticker] = m.feeMultiplierE4;
      this.feeMultCache = { md, rec };
    }
    return this.feeMultCache.rec;
  }
  private feeMultCache: { md: MarketData; rec: Record<string, number> } | null = null;

  /** Every strategy on the markets not blocked by an unknown outcome; scope enforced here. */
  private decide(
    md: MarketData,
    view: PortfolioView,
    now: number,
    cycleId: number | null,
    /** Reactive passes: the markets one strategy may see (default: all of md). */
    marketsFor?: (strategy: string) => ReadonlySet<string> | null,
  ): { decisions: StrategyDecision[]; intents: Intent[]; inScope: Intent[]; outOfScope: Intent[] } {
    const { ledger } = this.d;
    const blocked = ledger.blockedTickers();
    const all = blocked.size ? new Map([...md.markets].filter(([t]) => !blocked.has(t))) : md.markets;
    const intents: Intent[] = [];
    const decisions: StrategyDecision[] = [];
    // Each strategy's own inventory (its fills in the ledger), where the account holds or rests anything.
    const held = [...new Set([...view.positions.keys(), ...view.restingOrders.map((o) => o.ticker)])];
    const inventory = new Map(this.strategies.map((s) => [s.name as string, strategyInventory(ledger.db.$client, this.paper, s.name, held)]));
    const portfolio: PortfolioView = { ...view, inventory, equityMicros: this.gate.snapshot.equityMicros };
    // Strategies compare `nowMs` with exchange times (close times, their mid history): the
    // exchange's clock when known, never only this machine's.
    const stratNow = this.exchangeClock.now() ?? now;
    const cache = marketsFor || !this.live || this.d.loaded.config.trading.decision_cache === "off" ? null : (this.decisionCache ??= new DecisionCache()); // [decision-cache hook 1/3]
    cache?.begin(all, md.events, portfolio); // [decision-cache hook 2/3]
    for (const s of this.strategies) {
      try {
        const only = marketsFor?.(s.name) ?? null;
        // [decision-cache hook 3/3] the part of the scope that can matter to this strategy (all of it without the cache)
        const { markets, events } = cache ? cache.inputFor(s, all, md.events, portfolio, stratNow) : { markets: only ? new Map([...only].flatMap((t) => { const m = all.get(t); return m ? [[t, m] as const] : []; })) : all, events: md.events };
        const histTickers = s.strategy.historyFor?.(markets, s.params, portfolio, stratNow) ?? null;
        this.mids ??= new MidHistory(ledger.db.$client);
        const midHistory = histTickers ? this.mids.observe(histTickers.flatMap((t) => { const m = markets.get(t); return m ? [m] : []; }), stratNow, cycleId) : undefined;
        const out = s.strategy.decide({ markets, events, portfolio, params: s.params, nowMs: stratNow, ...(midHistory ? { midHistory } : {}) });
        if (cache && this.d.loaded.config.trading.decision_cache === "verify") verifyDecision(s, out, this.d.log, { markets: all, events: md.events, portfolio, params: s.params, nowMs: stratNow, ...(midHistory ? { midHistory } : {}) }); // [decision-cache verify]
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
    for (const i of outOfScope) ledger.audit("out_of_scope", `dropped ${i.kind} on ${i.ticker} from ${i.strategy}`, { ...(cycleId === null ? {} : { cycleId }), ticker: i.ticker, strategy: i.strategy });
    return { decisions, intents, inScope, outOfScope };
  }

  // ---- live books ----------------------------------------------------------------------------------

  /**
   * Subscribe the live books to this cycle's markets and lay every trusted one over its REST view
   * (fresher top of book, full depth). Returns how many were trusted. A failing subscription is
   * logged and the cycle goes on over REST: the WebSocket is an accelerator, never a dependency.
   */
  private async overlayLive(md: MarketData): Promise<number> {
    const live = this.live!;
    try {
      await live.updateScope(md.markets.keys());
    } catch (e) {
      this.d.log("warn", `live books: subscription update failed (${(e as Error).message}); REST for now, retried next cycle`);
    }
    live.takeDirty();
    let n = 0;
    const decided = new Map<string, MarketView>();
    for (const [t, m] of md.markets) {
      const o = this.overlayOne(m);
      if (o) {
        md.markets.set(t, o);
        decided.set(t, o);
        n++;
      }
    }
    this.decided = decided;
    return n;
  }

  /**
   * One REST view with its trusted live book laid over it, or null. Full depth only where a
   * strategy asks for it (building level arrays for every one of 10,000 markets each cycle was a
   * large share of the cycle); elsewhere only the live top of book replaces the REST one.
   */
  private overlayOne(m: MarketView): MarketView | null {
    const live = this.live!;
    if (this.wantsDepth(m)) return live.overlay(m);
    const top = live.top(m.ticker);
    return top ? { ...m, ...top } : null;
  }
  /** Whether any strategy needs full depth in a market (set each cycle with its portfolio). */
  private wantsDepth: (m: MarketView) => boolean = () => true;

  /**
   * The engine's wake-up filter for reactive passes (called on every book update, so cheap): true
   * when `ticker` is watched and its trusted live top of book differs from what the last decision saw.
   */
  moved(ticker: string): boolean {
    if (!this.live || !this.watch.has(ticker)) return false;
    const top = this.live.top(ticker);
    if (!top) return false;
    const d = this.decided.get(ticker);
    return !d || top.yesBid !== d.yesBid || top.yesBidSize !== d.yesBidSize || top.yesAsk !== d.yesAsk || top.yesAskSize !== d.yesAskSize;
  }

  /** Our own order changed `ticker`'s live top: the decision that sent it expected that. */
  ownMove(ticker: string): void {
    const top = this.live?.top(ticker);
    const d = this.decided.get(ticker);
    if (top && d) this.decided.set(ticker, { ...d, ...top });
  }

  /**
   * The freshest view of `ticker` for a reactive pass: the live book laid over the cycle's REST view
   * (or that REST view when the live book is not trusted), stored into `md`.
   */
  private refreshView(md: MarketData, ticker: string): MarketView | undefined {
    const base = this.restViews.get(ticker);
    if (!base || !this.live) return md.markets.get(ticker);
    const v = this.overlayOne(base) ?? base;
    md.markets.set(ticker, v);
    return v;
  }

  /**
   * Per strategy, the markets it acted on at the last cycle or rests orders in. In a reactive pass a
   * strategy that picks its markets itself (market_maker: the most liquid) sees only these: its
   * choice of markets is revised each cycle, and between cycles it requotes what it chose. (It is
   * also most of a pass's CPU at 10,000 markets.) Arbitrage sees every market, but only the events
   * that moved; other strategies see these plus the markets that moved.
   */
  private touched = new Map<string, Set<string>>();

  private updateTouched(decisions: readonly StrategyDecision[]): void {
    const t = new Map<string, Set<string>>();
    for (const d of decisions) t.set(d.strategy, new Set(d.intents.map((i) => i.ticker)));
    for (const r of this.d.ledger.ordersWithStatus(["resting"])) {
      if (r.origin !== "bot" || !r.strategy) continue;
      if (!t.has(r.strategy)) t.set(r.strategy, new Set());
      t.get(r.strategy)!.add(r.ticker);
    }
    this.touched = t;
  }

  private passMarkets(strategy: string, woken: ReadonlySet<string>): ReadonlySet<string> | null {
    if (strategy === "event_arbitrage") return null;
    const mine = this.touched.get(strategy) ?? new Set<string>();
    if (strategy === "market_maker") return mine;
    return new Set([...mine, ...woken]);
  }

  /** See `watch`. */
  private updateWatch(md: MarketData, intents: readonly Intent[]): void {
    if (!this.live) return;
    const w = new Set<string>();
    for (const r of this.d.ledger.ordersWithStatus(["resting"])) if (r.origin === "bot" && md.markets.has(r.ticker)) w.add(r.ticker);
    for (const i of intents) if (md.markets.has(i.ticker)) w.add(i.ticker);
    if (this.strategies.some((s) => s.name === "event_arbitrage")) {
      for (const ev of md.events.values()) {
        if (!ev.mutuallyExclusive || ev.marketTickers.length < 2) continue;
        if (ev.marketTickers.every((t) => md.markets.has(t))) for (const t of ev.marketTickers) w.add(t);
      }
    }
    this.watch = w;
  }

  /**
   * One reactive pass between cycles (see the header). `woken`: markets whose live top of book moved
   * since the last decision; `reconcile`: own fills arrived (or the feed may have missed some), so
   * the ledger is brought up to date over REST before anything is decided.
   */
  async react(work: { woken: ReadonlySet<string>; reconcile: boolean; unreconciled?: ReadonlySet<string> }): Promise<ReactReport> {
    const cpu0 = process.cpuUsage();
    const out: ReactReport = { acted: false, skipped: null, woken: 0, reconciled: false, exec: null, cpuMs: 0 };
    const done = (why: string | null) => {
      out.skipped = why;
      const c = process.cpuUsage(cpu0);
      out.cpuMs = (c.user + c.system) / 1000;
      return out;
    };
    const live = this.live;
    const md = this.lastMd;
    const cycleId = this.lastCycleId;
    // Anything but a clean active cycle before: the next cycle decides (halt cancels, kill switch,
    // pause, failed reconciliation all live there).
    if (!live || !md || cycleId === null || this.d.mode !== "trade") return done("no cycle yet");
    if (this.lastStatus !== "active") return done(`last cycle ${this.lastStatus}`);
    if (this.needFullReconcile) return done("waiting for a full reconciliation");
    if (killSwitch().active) return done("kill switch active");
    if (this.groupCappedUntil > monoNow()) return done("order group cooling down");
    if (this.cashQuiet) return done("cash check measuring with no order resting");
    const { ledger } = this.d;
    const now = Date.now();

    if (work.reconcile && !this.paper) {
      try {
        const rec = await this.reconcileWithFeed(this.om.needsReconcile);
        out.reconciled = true;
        if (this.om.needsReconcile && rec.openUnknown === 0) this.om.needsReconcile = false;
        // Positions and cash changed: the risk state is recomputed from the ledger, as a cycle does.
        const snap = this.refreshRisk(md, rec.exchange.balanceMicros, cycleId, now);
        if (snap.state === "halted") {
          // The cycle that follows cancels and exits; nothing more is sent from here.
          this.lastStatus = "halted";
          return done("risk state halted");
        }
      } catch (e) {
        this.needFullReconcile = true;
        this.d.log("warn", `reactive reconciliation failed: ${(e as Error).message}; no trading until the next cycle reconciles`);
        return done("reconciliation failed");
      }
    }

    // Re-checked now: a market may have moved back to what the last decision saw.
    // Markets with own fills not yet in the ledger are left alone until the reconciliation.
    const unreconciled = new Set([...(work.unreconciled ?? []), ...this.om.filledSinceReconcile]);
    const woken = new Set([...work.woken].filter((t) => md.markets.has(t) && !unreconciled.has(t) && this.moved(t)));
    out.woken = woken.size;
    if (woken.size === 0 && !out.reconciled) return done("nothing moved");
    // Fresh views only where a decision can be acted on: the markets that moved and the other legs
    // of their events (a set is priced from all its legs). Everything else keeps its last view; its
    // intents are not acted on in a pass anyway. Only those events go to the strategies.
    const events = new Map<string, EventView>();
    for (const t of woken) {
      this.refreshView(md, t);
      const ev = md.events.get(md.markets.get(t)?.eventTicker ?? "");
      if (ev && !events.has(ev.eventTicker)) {
        events.set(ev.eventTicker, ev);
        for (const leg of ev.marketTickers) if (leg !== t && md.markets.has(leg)) this.refreshView(md, leg);
      }
    }
    if (this.paper) this.d.paperTransport!.setMarkets(new Map([...md.inactive, ...md.markets]));

    const balance = this.paper ? this.d.paperTransport!.availableMicros() : this.gate.snapshot.cashMicros;
    const view = portfolioView(balance, ledger.positions(), ledger.ordersWithStatus(["resting"]));
    const decided = this.decide({ ...md, events }, view, now, cycleId, (name) => this.passMarkets(name, woken));
    // Act only where a trusted live book moved; a set (shared groupKey) only when every leg's live
    // book is trusted and at least one of them moved — never on a leg priced from a stale REST view.
    const groups = new Map<string, Intent[]>();
    for (const i of decided.inScope) if (i.kind === "create" && i.groupKey) groups.set(i.groupKey, [...(groups.get(i.groupKey) ?? []), i]);
    const selected = decided.inScope.filter((i) => {
      const g = i.kind === "create" && i.groupKey ? groups.get(i.groupKey)! : null;
      if (g) return g.every((x) => live.isTrusted(x.ticker) && !unreconciled.has(x.ticker)) && g.some((x) => woken.has(x.ticker));
      return woken.has(i.ticker);
    });
    for (const t of woken) {
      const m = md.markets.get(t);
      if (m) this.decided.set(t, m);
    }
    const exec = emptyExec();
    const execStart = Date.now();
    if (selected.length > 0) {
      const r = await this.om.execute(selected, cycleId);
      Object.assign(exec, r);
    }
    if (out.reconciled || exec.filledImmediately > 0) await this.repairArbSets(md, cycleId, exec, (t) => this.refreshView(md, t));
    await this.stampPaperSince(execStart, false);
    if (exec.rejected > 0) this.groupSuspect = true;
    if (this.om.needsReconcile && !this.paper) {
      const rr = await this.om.resolveOpen(notFoundGraceMs(this.d.loaded.config.exchange.request_timeout_ms)).catch(() => null);
      if (rr && rr.open === 0) this.om.needsReconcile = false;
    }
    // The watch list grows with what was decided here; the next cycle rebuilds it.
    for (const i of decided.intents) {
      if (!md.markets.has(i.ticker)) continue;
      this.watch.add(i.ticker);
      if (!this.touched.has(i.strategy)) this.touched.set(i.strategy, new Set());
      this.touched.get(i.strategy)!.add(i.ticker);
    }
    this.scheduleRenewal();
    out.exec = exec;
    out.acted = true;
    return done(null);
  }

  /** Paper: newest print (exchange ms) per market fetched in this cycle's maintenance. */
  private printMark = new Map<string, number>();

  /**
   * Paper: every order that rests at a new price since `sinceWall` (created or amended in this cycle
   * or pass) is stamped with its market's newest print as of now, so only later prints can fill it
   * (paperMaintenance). Without it an order placed after the market's mark was taken could be
   * filled by prints from before it existed: a paper P&L rosier than live. `fresh`: marks fetched
   * in this cycle may be used; a reactive pass fetches its own.
   */
  private async stampPaperSince(sinceWall: number, fresh: boolean): Promise<void> {
    if (!this.paper) return;
    const { ledger, marketData } = this.d;
    const rows = ledger.ordersWithStatus(["resting"]).filter((r) => r.updatedAt >= sinceWall);
    if (rows.length === 0) return;
    const latest = new Map<string, number>(fresh ? this.printMark : []);
    for (const row of rows) {
      let t = latest.get(row.ticker);
      if (t === undefined) {
        t = (await marketData.tradesSince(row.ticker, null)).latestMs;
        latest.set(row.ticker, t);
      }
      ledger.setMeta(`paper_since:${row.id}`, String(t));
    }
  }

  /** The paper bankroll starts at the account's balance (or sim.balance_dollars without a key). */
  private async anchorPaper(): Promise<void> {
    let start: Micros;
    const c = this.d.session.client;
    if (c.hasCredentials) {
      try {
        const b = await c.getBalance();
        start = balanceMicrosOf(b);
      } catch {
        start = Math.round(Number(this.d.loaded.config.sim.balance_dollars) * 1_000_000);
      }
    } else start = Math.round(Number(this.d.loaded.config.sim.balance_dollars) * 1_000_000);
    this.d.ledger.setCashAnchor(start);
    this.d.ledger.audit("anchor", `paper bankroll starts at $${formatDollars2(start)}`);
  }

  /** Paper: resting orders fill from trades through them; closed markets settle paper positions. */
  private async paperMaintenance(md: MarketData): Promise<number> {
    const { ledger, marketData } = this.d;
    this.printMark.clear();
    const pt = this.d.paperTransport!;
    let fills = 0;
    // Paper orders expire as live ones would (a dry run that died leaves nothing resting past its TTL).
    if (this.ttlSeconds > 0) {
      for (const r of ledger.ordersWithStatus(["resting"])) {
        if (r.expiresAt !== null && r.expiresAt <= this.ordersNow()) ledger.updateOrder(r.id, { status: "expired", remainingCount: 0 }, `paper: expired at ${new Date(r.expiresAt).toISOString()}`);
      }
    }
    const resting = ledger.ordersWithStatus(["resting"]);
    const tickers = [...new Set(resting.map((r) => r.ticker))];
    const trades = new Map<string, import("../strategies/types.ts").TradePrint[]>();
    const since = new Map<string, number>();
    for (const t of tickers) {
      const m = md.markets.get(t) ?? md.inactive.get(t);
      if (m && m.status !== "active") {
        for (const r of resting.filter((x) => x.ticker === t)) ledger.updateOrder(r.id, { status: "canceled", remainingCount: 0 }, `paper: market ${m.status}`);
        continue;
      }
      const markKey = `trades_mark:${t}`;
      const mark = ledger.getMeta(markKey);
      const r = await marketData.tradesSince(t, mark === null ? null : Number(mark));
      if (mark !== null) {
        trades.set(t, r.prints);
        since.set(t, Number(mark));
      }
      ledger.setMeta(markKey, String(r.latestMs));
      this.printMark.set(t, r.latestMs);
    }
    const stamp = (row: OrderRow) => {
      const v = ledger.getMeta(`paper_since:${row.id}`);
      return v === null ? Number.NEGATIVE_INFINITY : Number(v);
    };
    // No mark yet (the market's first check): only a mark is taken, nothing fills.
    fills += pt.fillResting(trades, (row) => Math.max(since.get(row.ticker) ?? Number.POSITIVE_INFINITY, stamp(row)));
    // Stamps of orders that no longer rest are dropped.
    const restingIds = new Set(ledger.ordersWithStatus(["resting"]).map((r) => String(r.id)));
    for (const { key } of ledger.metaWithPrefix("paper_since:")) if (!restingIds.has(key.slice("paper_since:".length))) ledger.deleteMeta(key);
    // Settle paper positions in determined markets.
    for (const p of ledger.positions().values()) {
      if (p.position === 0) continue;
      const m = md.inactive.get(p.ticker) as (MarketView & { result?: string }) | undefined;
      if (!m || (m.status !== "determined" && m.status !== "finalized" && m.status !== "settled") || (m.result !== "yes" && m.result !== "no")) continue;
      ledger.recordSettlement({
        ticker: p.ticker,
        eventTicker: p.eventTicker,
        result: m.result,
        yesCount: Math.max(0, p.position),
        noCount: Math.max(0, -p.position),
        revenueMicros: settlementRevenue(p.position, m.result),
        feeMicros: 0,
        settledTime: new Date().toISOString(),
      });
    }
    return fills;
  }

  /** Arbitrage sets whose legs filled unevenly: completed or unwound, never left naked unrecorded. */
  private async repairArbSets(md: MarketData, cycleId: number, exec: ExecSummary, fresh?: (ticker: string) => MarketView | undefined): Promise<void> {
    const rows = this.d.ledger.db.$client
      .query("select group_key, ticker, side, sum(filled_count) as filled, sum(case when status in ('pending','unknown','resting') then 1 else 0 end) as open, max(event_ticker) as ev, min(id) as first from orders where paper = ? and group_key is not null and group_key not in (select substr(key, length(?) + 1) from meta where key like ?) group by group_key, ticker, side")
      .all(this.paper ? 1 : 0, `${this.paper ? "paper" : "live"}.arb_done:`, `${this.paper ? "paper" : "live"}.arb_done:%`) as Array<{ group_key: string; ticker: string; side: "bid" | "ask"; filled: number; open: number; ev: string; first: number }>;
    const groups = new Map<string, typeof rows>();
    for (const r of rows) groups.set(r.group_key, [...(groups.get(r.group_key) ?? []), r]);
    for (const [key, all] of groups) {
      if (all.some((l) => l.open > 0)) continue;
      // The set's direction is the side its first order bought on. Unwind orders of an earlier
      // repair sell on the other side under the same key: they are netted against their leg, not
      // taken for legs of their own (a set of "mixed direction" would wait for the operator forever).
      const side = all.reduce((a, b) => (b.first < a.first ? b : a)).side;
      const net = new Map<string, number>();
      for (const r of all) net.set(r.ticker, (net.get(r.ticker) ?? 0) + (r.side === side ? r.filled : -r.filled));
      const set = { groupKey: key, eventTicker: all[0]!.ev, legs: [...net].map(([ticker, filled]) => ({ ticker, side, filled: Math.max(0, filled) })) };
      // Between cycles the legs are priced from their live books right now, not from older views.
      const markets = fresh ? new Map(set.legs.flatMap((l) => { const v = fresh(l.ticker); return v ? [[l.ticker, v] as const] : []; })) : md.markets;
      const rep = repairArbSet(set, markets);
      if (rep.action === "done") {
        this.d.ledger.setMeta(`arb_done:${key}`, "1");
        this.arbWaiting.delete(key);
        continue;
      }
      if (rep.action === "wait") {
        // Recorded once per reason, not every cycle: the legs stay under their key until it can go.
        if (this.arbWaiting.get(key) !== rep.reason) {
          this.arbWaiting.set(key, rep.reason);
          this.d.ledger.audit("arb_repair", `${key}: wait (${rep.reason})`, { cycleId });
        }
        continue;
      }
      this.arbWaiting.delete(key);
      this.d.ledger.audit("arb_repair", `${key}: ${rep.action} (${rep.reason})`, { cycleId });
      this.d.log("warn", `arbitrage set ${key} filled unevenly: ${rep.action} — ${rep.reason}`);
      const r = await this.om.execute(rep.intents.map((i: CreateIntent) => ({ ...i, groupKey: key })), cycleId);
      exec.created += r.created;
      exec.rejected += r.rejected;
      exec.unknown += r.unknown;
      exec.decisions.push(...r.decisions);
    }
  }
  /** Broken sets waiting for the book, with the reason last audited. */
  private readonly arbWaiting = new Map<string, string>();
  /** Mid history for strategies that ask for it (market_maker's volatility and fast-move checks). */
  private mids: MidHistory | null = null;

}

/** Longest time between two full REST loads of the scope's markets when live books are trusted. */
const FULL_MARKET_LOAD_MS = 60_000;

/** The exchange's rolling window for order-group contract limits. */
const ORDER_GROUP_WINDOW_MS = 15_000;
/** How long a group triggered by the exchange stays triggered before the bot resets it. */
const ORDER_GROUP_COOLDOWN_MS = 2 * ORDER_GROUP_WINDOW_MS;

/** Contracts per rolling window for the bot's order group: ten orders' worth of the per-order cap,
 * so a runaway loop is capped by the exchange itself. Whole contracts. */
export function orderGroupLimit(loaded: LoadedConfig): number {
  return Math.max(10, loaded.config.risk.max_contracts_per_order * 10);
}

export { collateralOf };
