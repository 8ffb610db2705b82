// One cycle: kill switch → exchange status → portfolio (reconciled into the ledger) → market data
// for the scope → risk state → strategies → risk gate + order manager → ledger → report. The
// lifecycle (bot.ts) wraps it with the heartbeat, signals, retries and exit codes.
import { readFileSync } from "node:fs";
import type { LoadedConfig } from "../config/load.ts";
import { formatDollars2, type Micros } from "../kalshi/money.ts";
import { killSwitch } from "../ops/kill-switch.ts";
import { enabledStrategies, parseProbabilities, repairArbSet, type EnabledStrategy } from "../strategies/index.ts";
import type { CreateIntent, Intent, MarketView } from "../strategies/types.ts";
import type { ExchangeSession } from "./exchange-session.ts";
import type { Ledger } from "./ledger.ts";
import type { MarketData, MarketDataSource, Scope } from "./market-data.ts";
import { notFoundGraceMs, OrderManager, type Decision, type ExecSummary, type RiskGate } from "./order-manager.ts";
import type { PaperTransport } from "./paper-transport.ts";
import { collateralOf, portfolioView, valuePositions } from "./portfolio.ts";
import { reconcileLive, reconcilePaper, type ReconcileReport } from "./reconcile.ts";
import { cancelsForHalt, fromRiskRow, nextRiskState, resetHalt, toRiskRow, type ResolvedRiskLimits, type RiskPortfolio, type RiskSnapshot } from "./risk.ts";
import { settlementRevenue } from "./position-math.ts";
import type { OrderTransport } from "./transport.ts";

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
}

const emptyExec = (): ExecSummary => ({ decisions: [], created: 0, canceled: 0, amended: 0, rejected: 0, unknown: 0, filledImmediately: 0 });

export class Engine {
  readonly om: OrderManager;
  readonly gate: RiskGate;
  private cycles = 0;
  private needFullReconcile = true;
  private orderGroupId: string | null = null;
  strategies: EnabledStrategy[] = [];

  constructor(readonly d: EngineDeps) {
    this.gate = { snapshot: fromRiskRow(d.ledger.loadRisk(), { cashMicros: 0, equityMicros: 0, positions: {}, resting: [], recentOrderTimesMs: [] }, Date.now()), limits: d.limits };
    this.om = new OrderManager({
      ledger: d.ledger,
      transport: d.transport,
      gate: this.gate,
      killSwitchActive: () => killSwitch().active,
      orderGroupId: null,
      ...(d.confirm ? { confirm: d.confirm } : {}),
      log: (l, m) => d.log(l, m),
    });
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
      // Limit per rolling 15 s: a few orders' worth of the per-order cap, so a runaway loop is capped.
      const limit = Math.max(10, this.d.loaded.config.risk.max_contracts_per_order * 10);
      const r = await this.d.session.client.createOrderGroup({ contracts_limit: limit });
      id = r.order_group_id;
      this.d.ledger.setMeta(key, id);
    }
    this.orderGroupId = id;
    (this.om as unknown as { d: { orderGroupId: string | null } }).d.orderGroupId = id;
  }

  private loadProbabilities(): Map<string, number> | undefined {
    const fv = this.d.loaded.config.trading.strategies.fair_value;
    if (!fv.enabled || !fv.source || /^https?:/.test(fv.source)) return undefined;
    const p = fv.source.startsWith("/") ? fv.source : `${this.d.loaded.baseDir}/${fv.source}`;
    return parseProbabilities(readFileSync(p, "utf8"));
  }

  private async loadStrategies(): Promise<void> {
    const fv = this.d.loaded.config.trading.strategies.fair_value;
    let probabilities: Map<string, number> | undefined;
    if (fv.enabled && fv.source && /^https?:/.test(fv.source)) {
      const r = await fetch(fv.source, { signal: AbortSignal.timeout(5_000) });
      if (!r.ok) throw new Error(`fair_value source ${fv.source} answered HTTP ${r.status}`);
      probabilities = parseProbabilities(await r.text());
    } else probabilities = this.loadProbabilities();
    this.strategies = enabledStrategies(this.d.loaded.config.trading.strategies, probabilities ? { probabilities } : {});
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
      if (!this.paper) {
        const rec = await reconcileLive({
          client,
          ledger,
          om: this.om,
          graceMs: notFoundGraceMs(this.d.loaded.config.exchange.request_timeout_ms),
          eventOf: (t) => ledger.positions().get(t)?.eventTicker ?? null,
          log: this.d.log,
          full,
        });
        report.reconcile = rec;
        extraRequests += rec.requests;
        balanceMicros = rec.exchange.balanceMicros;
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
      const md = await marketData.load(this.d.scope, [...new Set([...held, ...resting.map((r) => r.ticker)])]);
      report.marketsScanned = md.markets.size;
      report.eventsScanned = md.events.size;
      report.positionsOutOfScope = held.filter((t) => !md.markets.has(t) && md.inactive.get(t)?.status === "active");
      if (this.strategies.length === 0 || this.d.loaded.config.trading.strategies.fair_value.enabled) await this.loadStrategies();
      if (client.hasCredentials) await marketData.loadDepth(md, this.strategies as never);

      if (this.paper) {
        const pt = this.d.paperTransport!;
        pt.setMarkets(new Map([...md.inactive, ...md.markets]));
        report.paperFills = await this.paperMaintenance(md);
        balanceMicros = pt.availableMicros();
      }

      // ---- risk state from this cycle's portfolio ----
      const positions = ledger.positions();
      const allMarkets = (t: string): MarketView | undefined => md.markets.get(t) ?? md.inactive.get(t);
      const val = valuePositions(positions, allMarkets);
      const restingNow = ledger.ordersWithStatus(["resting"]);
      const ledgerCash = ledger.cashMicros() ?? balanceMicros;
      const equity = ledgerCash + val.positionsValueMicros;
      const riskPortfolio: RiskPortfolio = {
        cashMicros: balanceMicros,
        equityMicros: equity,
        positions: Object.fromEntries(
          [...positions.values()].filter((p) => p.position !== 0).map((p) => [p.ticker, { eventTicker: p.eventTicker ?? allMarkets(p.ticker)?.eventTicker ?? p.ticker, position: p.position, costMicros: p.costMicros }]),
        ),
        resting: restingNow.map((r) => ({ orderId: r.orderId ?? r.clientOrderId, ticker: r.ticker, eventTicker: r.eventTicker ?? allMarkets(r.ticker)?.eventTicker ?? r.ticker, side: r.side, price: r.price, remaining: r.remainingCount, filled: r.filledCount })),
        recentOrderTimesMs: ledger.sendTimesSince(now - 60_000),
        feeMultiplierE4: Object.fromEntries([...md.markets.values()].map((m) => [m.ticker, m.feeMultiplierE4])),
      };
      const prevState = this.gate.snapshot.state;
      const snap = nextRiskState({ ...this.gate.snapshot, ...riskPortfolio }, this.d.limits, now);
      this.gate.snapshot = snap;
      ledger.saveRisk(toRiskRow(snap));
      if (snap.state !== prevState) {
        ledger.audit("risk_state", `${prevState} → ${snap.state}: ${snap.reason ?? ""}`, { cycleId });
        this.d.log(snap.state === "halted" ? "error" : "warn", `risk state ${prevState} → ${snap.state}${snap.reason ? `: ${snap.reason}` : ""}`);
      }
      report.riskState = snap.state;
      report.riskReason = snap.reason;

      const exec = emptyExec();
      if (this.d.mode === "trade") await this.ensureOrderGroup().catch((e) => this.d.log("warn", `order group not created (${(e as Error).message}); orders go without one`));

      if (snap.state === "halted") {
        report.status = "halted";
        report.statusReason = snap.reason;
        if (this.d.mode === "trade") await this.om.cancel(cancelsForHalt(snap, `halted: ${snap.reason}`).filter((c) => ledger.orderByOrderId(c.orderId)?.origin === "bot"), exec);
      } else if (kill.active) {
        report.status = "disabled";
        report.statusReason = `BOT_DISABLE_TRADING=${kill.value}`;
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

      // ---- strategies (also while disabled/paused: the scan table and the summary show them) ----
      const view = portfolioView(balanceMicros, positions, restingNow);
      const blocked = ledger.blockedTickers();
      const markets = new Map([...md.markets].filter(([t]) => !blocked.has(t)));
      const intents: Intent[] = [];
      for (const s of this.strategies) {
        try {
          const out = s.strategy.decide({ markets, events: md.events, portfolio: view, params: s.params, nowMs: now });
          report.strategyDecisions.push({ strategy: s.name, intents: out });
          intents.push(...out);
        } catch (e) {
          report.strategyDecisions.push({ strategy: s.name, intents: [], error: (e as Error).message });
          this.d.log("warn", `strategy ${s.name} failed: ${(e as Error).message}`);
        }
      }
      // Scope is enforced here, not trusted to strategies: nothing outside it is ever ordered.
      const inScope = intents.filter((i) => md.markets.has(i.ticker));
      report.outOfScope = intents.filter((i) => !md.markets.has(i.ticker));
      for (const i of report.outOfScope) ledger.audit("out_of_scope", `dropped ${i.kind} on ${i.ticker} from ${i.strategy}`, { cycleId, ticker: i.ticker, strategy: i.strategy });

      if (this.d.mode === "trade" && report.status === "active" && this.gate.snapshot.state !== "halted") {
        if (this.orderGroupId && ledger.getMeta(`order_group_triggered:${this.orderGroupId}`)) {
          await client.resetOrderGroup(this.orderGroupId).catch(() => {});
          ledger.setMeta(`order_group_triggered:${this.orderGroupId}`, "");
        }
        const r = await this.om.execute(inScope, cycleId);
        Object.assign(exec, { ...r, decisions: [...exec.decisions, ...r.decisions], canceled: exec.canceled + r.canceled });
        await this.repairArbSets(md, cycleId, exec);
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
        balanceMicros = b.balance_dollars ?? b.balance * 10_000;
      } else if (this.paper) balanceMicros = this.d.paperTransport!.availableMicros();
      const endPositions = ledger.positions();
      const endVal = valuePositions(endPositions, allMarkets);
      const endCash = ledger.cashMicros() ?? balanceMicros;
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
    } catch (e) {
      report.status = "error";
      report.statusReason = (e as Error).message;
      this.needFullReconcile = true;
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

  /** The paper bankroll starts at the account's balance (or sim.balance_dollars without a key). */
  private async anchorPaper(): Promise<void> {
    let start: Micros;
    const c = this.d.session.client;
    if (c.hasCredentials) {
      try {
        const b = await c.getBalance();
        start = b.balance_dollars ?? b.balance * 10_000;
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
    const pt = this.d.paperTransport!;
    let fills = 0;
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
    }
    fills += pt.fillResting(trades, since);
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
  private async repairArbSets(md: MarketData, cycleId: number, exec: ExecSummary): Promise<void> {
    const rows = this.d.ledger.db.$client
      .query("select group_key, ticker, side, sum(filled_count) as filled, sum(case when status in ('pending','unknown','resting') then 1 else 0 end) as open, max(event_ticker) as ev from orders where paper = ? and group_key is not null and group_key not in (select substr(key, length(?) + 1) from meta where key like ?) group by group_key, ticker, side")
      .all(this.paper ? 1 : 0, `${this.paper ? "paper" : "live"}.arb_done:`, `${this.paper ? "paper" : "live"}.arb_done:%`) as Array<{ group_key: string; ticker: string; side: "bid" | "ask"; filled: number; open: number; ev: string }>;
    const groups = new Map<string, typeof rows>();
    for (const r of rows) groups.set(r.group_key, [...(groups.get(r.group_key) ?? []), r]);
    for (const [key, legs] of groups) {
      if (legs.some((l) => l.open > 0)) continue;
      const set = { groupKey: key, eventTicker: legs[0]!.ev, legs: legs.map((l) => ({ ticker: l.ticker, side: l.side, filled: l.filled })) };
      const rep = repairArbSet(set, md.markets);
      if (rep.action === "done") {
        this.d.ledger.setMeta(`arb_done:${key}`, "1");
        continue;
      }
      if (rep.action === "wait") continue;
      this.d.ledger.audit("arb_repair", `${key}: ${rep.action} (${rep.reason})`, { cycleId });
      this.d.log("warn", `arbitrage set ${key} filled unevenly: ${rep.action} — ${rep.reason}`);
      const r = await this.om.execute(rep.intents.map((i: CreateIntent) => ({ ...i, groupKey: key })), cycleId);
      exec.created += r.created;
      exec.rejected += r.rejected;
      exec.unknown += r.unknown;
      exec.decisions.push(...r.decisions);
    }
  }
}

export { collateralOf };
