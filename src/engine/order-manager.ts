// The order manager: the only code that creates, amends or cancels orders. For every create:
//   risk gate (at that instant) → ledger row `pending` with a fresh client_order_id (committed) →
//   kill switch (at that instant) → request → resting / executed / canceled / rejected / unknown.
// `unknown` is never resent: the market is blocked until a lookup by client_order_id resolves it
// (resolveOpen, here, called at start-up, right after any unknown, and at every reconciliation).
import { randomUUID } from "node:crypto";
import { countToContractsFloat, formatCount, formatPrice, type Count } from "../kalshi/money.ts";
import type { AmendIntent, CancelIntent, CreateIntent, Intent } from "../strategies/types.ts";
import type { Ledger, NewOrder, OrderRow, OrderStatus } from "./ledger.ts";
import { canceledOrExpired } from "./order-ttl.ts";
import { applyIntent, evaluateIntent, evaluateIntents, type BatchVerdict, type ResolvedRiskLimits, type RiskSnapshot } from "./risk.ts";
import type { CreateOutcome, ExchangeOrder, OrderRequest, OrderTransport } from "./transport.ts";
import { monoNow } from "../ops/clock.ts";

export interface RiskGate {
  snapshot: RiskSnapshot;
  limits: ResolvedRiskLimits;
}

export interface Decision {
  intent: Intent;
  /** allowed | resized | rejected by risk | blocked (unknown outcome) | skipped (kill switch, operator) | sent outcome */
  result: string;
  detail: string;
  count?: Count;
}

export interface ExecSummary {
  decisions: Decision[];
  created: number;
  canceled: number;
  amended: number;
  rejected: number;
  unknown: number;
  filledImmediately: Count;
}

export interface OrderManagerDeps {
  ledger: Ledger;
  transport: OrderTransport;
  gate: RiskGate;
  /** True when trading is disabled (BOT_DISABLE_TRADING or the kill-switch file), read fresh at every call. */
  killSwitchActive: () => boolean;
  orderGroupId: string | null;
  /** Kalshi's expiration_time for an order sent now (exchange ms), null for none (order-ttl.ts). */
  expiry?: (timeInForce: string) => number | null;
  /** Interactive per-order confirmation (live, autonomous_mode false, a terminal). */
  confirm?: (text: string) => Promise<boolean>;
  now?: () => number;
  log?: (level: "info" | "warn" | "debug", msg: string) => void;
  /**
   * The order group's burst cap (contracts matched per rolling window), applied before sending in
   * paper and live alike. When the exchange's cap is hit mid-batch it triggers the group and
   * rejects the rest, which splits an arbitrage set into naked legs; so a set (or any order that
   * may fill at once) goes only when it fits whole into what is left of the window.
   */
  burstCap?: { limit: Count; windowMs: number } | null;
  /** The exchange's clock (exchange-clock.ts), null before any sample: live fills carry its times. */
  exchangeNow?: () => number | null;
}

/** How long after its row was written an order that the exchange does not know counts as never placed. */
export function notFoundGraceMs(requestTimeoutMs: number): number {
  return 2 * requestTimeoutMs + 5_000;
}

export function statusFromAccepted(filled: Count, remaining: Count): OrderStatus {
  if (remaining > 0) return "resting";
  return filled > 0 ? "executed" : "canceled";
}

export function describeIntent(i: Intent): string {
  if (i.kind === "cancel") return `cancel ${i.orderId} on ${i.ticker}`;
  const what = i.side === "bid" ? "buy YES" : "sell YES (buy NO)";
  return `${i.kind === "amend" ? "amend to " : ""}${what} ${formatCount(i.count)} × ${i.ticker} @ ${formatPrice(i.price)} YES`;
}

/** A create the gate let through, with the count it allowed. */
type ToSend = { intent: CreateIntent; count: Count; verdict: BatchVerdict["verdict"] };

/** The request for a pending row, exactly as the row says. */
function requestOf(row: OrderRow): OrderRequest {
  return {
    clientOrderId: row.clientOrderId,
    ticker: row.ticker,
    eventTicker: row.eventTicker ?? "",
    side: row.side,
    expiresAt: row.expiresAt,
    price: row.price,
    count: row.count,
    timeInForce: row.timeInForce as OrderRequest["timeInForce"],
    postOnly: row.postOnly,
    reduceOnly: row.reduceOnly,
    orderGroupId: row.orderGroupId,
    groupKey: row.groupKey,
  };
}

export class OrderManager {
  private readonly now: () => number;
  private readonly log: NonNullable<OrderManagerDeps["log"]>;
  /** Set when an outcome was unknown or an order vanished: reconcile before the next order. */
  needsReconcile = false;
  /** Markets where a create filled at once since the engine last reconciled (it clears this). */
  readonly filledSinceReconcile = new Set<string>();
  /** Live: contracts our creates matched at once that the ledger's fills do not hold yet (monotonic ms). */
  private burstLog: Array<[number, Count]> = [];
  /** When each capped set (or market) was last written to the audit log. */
  private readonly burstAudited = new Map<string, number>();
  /**
   * When set (the daemon's narrow path at debug level), the monotonic instants at which the last
   * order's risk verdict and kill switch were through (`judged`) and its ledger row committed
   * (`written`): the latency bench's step timings. Null: no clock read for them.
   */
  stepStamps: { judged: number; written: number } | null = null;

  /**
   * Contracts matched inside the burst window: the ledger's fills recorded in it (persisted, so a
   * `--once` run sees the previous runs'), plus live immediate fills not reconciled yet. One clock
   * per comparison: a fill's time is the exchange's (live and paper alike), so the window ends at the
   * exchange's now; the immediate fills are kept on the monotonic clock.
   */
  burstUsed(): Count {
    const cap = this.d.burstCap;
    if (!cap) return 0;
    const mono = monoNow();
    this.burstLog = this.burstLog.filter(([t]) => t > mono - cap.windowMs);
    // Fills carry exchange time, a dry run's as a live run's (paper-transport.ts): so does the window's end.
    const fillsNow = this.d.exchangeNow?.() ?? Date.now();
    return this.d.ledger.filledContractsSince(fillsNow - cap.windowMs) + this.burstLog.reduce((a, [, c]) => a + c, 0);
  }

  /** A reconciliation that started at monotonic `ms` brought every earlier fill into the ledger. */
  reconciledUpTo(ms: number): void {
    this.burstLog = this.burstLog.filter(([t]) => t > ms);
  }

  constructor(private readonly d: OrderManagerDeps) {
    this.now = d.now ?? Date.now;
    this.log = d.log ?? (() => {});
  }

  /** Every create from now on goes into this order group (order-group.ts). */
  useOrderGroup(id: string | null): void {
    this.d.orderGroupId = id;
  }

  async execute(intents: readonly Intent[], cycleId: number | null): Promise<ExecSummary> {
    const sum: ExecSummary = { decisions: [], created: 0, canceled: 0, amended: 0, rejected: 0, unknown: 0, filledImmediately: 0 };
    const cancels = intents.filter((i): i is CancelIntent => i.kind === "cancel");
    const amends = intents.filter((i): i is AmendIntent => i.kind === "amend");
    const creates = intents.filter((i): i is CreateIntent => i.kind === "create");
    // Cancels first: they free collateral and are always allowed, even halted or disabled. Each
    // kind only when there is one: an await of nothing is still a promise turn before the request.
    if (cancels.length > 0) await this.cancel(cancels, sum);
    for (const a of amends) await this.amend(a, sum);
    if (creates.length > 0) await this.create(creates, cycleId, sum);
    this.refillClientOrderIds();
    return sum;
  }

  /**
   * Fresh client_order_ids made ahead, each taken once (clientOrderId): the first randomUUID after
   * a quiet spell cost ~10 us on the way from a book update to the request. Refilled after each
   * execute, once its requests were answered.
   */
  private readonly readyIds: string[] = [];

  private clientOrderId(): string {
    return this.readyIds.pop() ?? randomUUID();
  }

  private refillClientOrderIds(): void {
    while (this.readyIds.length < 4) this.readyIds.push(randomUUID());
  }

  // ---- cancels -------------------------------------------------------------------------------------

  async cancel(cancels: readonly CancelIntent[], sum: ExecSummary): Promise<void> {
    const targets: Array<{ intent: CancelIntent; row: OrderRow }> = [];
    for (const c of cancels) {
      const row = this.d.ledger.orderByOrderId(c.orderId);
      if (row?.status !== "resting") {
        sum.decisions.push({ intent: c, result: "skipped", detail: "not resting in the ledger" });
        continue;
      }
      targets.push({ intent: c, row });
    }
    if (targets.length === 0) return;
    const res = await this.d.transport.cancel(targets.map((t) => ({ orderId: t.row.orderId!, ticker: t.row.ticker })));
    targets.forEach((t, i) => {
      const r = res[i]!;
      if (r.kind === "ok") {
        // A fill can land between our last read and the cancel: what the cancel took off the book
        // says how much had filled (the order's total is count). Without it, reconciliation's
        // check of terminal rows against their fills corrects the count (portfolio.ts).
        const filled = r.reducedBy !== undefined ? Math.max(t.row.filledCount, t.row.count - r.reducedBy) : (r.filled ?? t.row.filledCount);
        const status: OrderStatus = r.reducedBy === 0 && filled > 0 ? "executed" : "canceled";
        this.d.ledger.updateOrder(
          t.row.id,
          { status, filledCount: filled, remainingCount: 0 },
          `canceled: ${t.intent.reason} (filled ${filled} of ${t.row.count})`,
        );
        sum.canceled++;
        sum.decisions.push({ intent: t.intent, result: "canceled", detail: t.intent.reason });
      } else {
        // Gone (already filled or canceled) or unknown: the exchange's report decides, at reconciliation.
        this.needsReconcile = true;
        this.d.ledger.audit("cancel_failed", `${t.row.ticker} ${t.row.orderId}: ${r.error}`, { ticker: t.row.ticker });
        sum.decisions.push({ intent: t.intent, result: r.kind === "unknown" ? "unknown" : "cancel failed", detail: r.error });
      }
    });
  }

  /** Cancel every resting bot order (kill switch, halt, shutdown policy). */
  async cancelAllResting(reason: string, sum: ExecSummary): Promise<void> {
    const rows = this.d.ledger.ordersWithStatus(["resting"]).filter((r) => r.origin === "bot" && r.orderId);
    await this.cancel(
      rows.map((r) => ({ kind: "cancel", strategy: "engine", ticker: r.ticker, orderId: r.orderId!, reason })),
      sum,
    );
  }

  // ---- amends --------------------------------------------------------------------------------------

  private async amend(a: AmendIntent, sum: ExecSummary): Promise<void> {
    // Both reads under one write check of the ledger (Ledger.readOnly), not one each.
    const { ledger } = this.d;
    const [row, blocked] = ledger.readOnly(() => [ledger.restingByOrderId(a.orderId), ledger.blockedTickers().has(a.ticker)] as const);
    if (row?.status !== "resting") {
      sum.decisions.push({ intent: a, result: "skipped", detail: "not resting in the ledger" });
      return;
    }
    if (blocked) {
      sum.decisions.push({ intent: a, result: "blocked", detail: "an order on this market has an unknown outcome" });
      return;
    }
    // The verdict before the request; the snapshot it leaves once the request is handed over (below).
    const judgedFrom = this.d.gate.snapshot;
    const judgedAt = this.now();
    const v = evaluateIntent(a, judgedFrom, this.d.gate.limits, judgedAt);
    if (v.verdict === "reject") {
      sum.decisions.push({ intent: a, result: "risk rejected", detail: v.reason });
      return;
    }
    const total = v.verdict === "resize" ? v.count : a.count;
    if (this.d.killSwitchActive()) {
      sum.decisions.push({ intent: a, result: "skipped", detail: "kill switch active" });
      return;
    }
    if (this.d.confirm && !(await this.d.confirm(describeIntent(a)))) {
      sum.decisions.push({ intent: a, result: "skipped", detail: "declined by the operator" });
      return;
    }
    if (this.stepStamps) this.stepStamps.judged = monoNow();
    const newCid = this.clientOrderId();
    const remaining = total - row.filledCount;
    // A pure size reduction at the same price keeps queue priority: decrease instead of amend.
    const decrease = a.price === row.price && remaining < row.remainingCount && remaining > 0;
    this.d.ledger.orderEvent(
      row.id,
      `${decrease ? "decrease" : "amend"} requested: price ${a.price} total ${total}${decrease ? "" : ` new client_order_id ${newCid}`} (${a.reason})`,
    );
    if (this.stepStamps) this.stepStamps.written = monoNow();
    // The kill switch is read once more right before the request leaves.
    if (this.d.killSwitchActive()) {
      sum.decisions.push({ intent: a, result: "skipped", detail: "kill switch active" });
      return;
    }
    const sent = decrease
      ? this.d.transport.decrease({ orderId: row.orderId!, ticker: row.ticker }, remaining)
      : this.d.transport.amend(
          { orderId: row.orderId!, ticker: row.ticker, side: row.side, clientOrderId: row.clientOrderId },
          a.price,
          total,
          newCid,
        );
    // The snapshot the verdict leaves (the amend applied at the count it allowed, `total`), in the
    // same turn as the hand-over, so no other judgement can come between; unless the gate's
    // snapshot moved meanwhile (an operator prompt was awaited): then applied to the new one.
    this.d.gate.snapshot =
      this.d.gate.snapshot === judgedFrom
        ? applyIntent(judgedFrom, a, v.verdict === "resize" ? v.count : undefined, judgedAt)
        : evaluateIntents([{ ...a, count: total }], this.d.gate.snapshot, this.d.gate.limits, this.now()).snapshot;
    const r = await sent;
    if (r.kind === "ok") {
      const rem = r.remaining ?? remaining;
      const filled = r.filled ?? row.filledCount;
      this.d.ledger.updateOrder(
        row.id,
        {
          price: a.price,
          count: filled + rem,
          filledCount: filled,
          remainingCount: rem,
          status: statusFromAccepted(filled, rem),
          ...(decrease ? {} : { clientOrderId: newCid }),
        },
        decrease ? "decreased" : "amended",
      );
      sum.amended++;
      sum.decisions.push({ intent: a, result: decrease ? "decreased" : "amended", detail: a.reason, count: total });
    } else if (r.kind === "rejected") {
      if (r.gone) this.needsReconcile = true;
      this.d.ledger.audit("amend_rejected", `${row.ticker} ${row.orderId}: ${r.error}`, { ticker: row.ticker });
      sum.decisions.push({ intent: a, result: "amend rejected", detail: r.error });
    } else {
      // The amend may have happened: the row is unknown (its market blocked) until the exchange says.
      this.d.ledger.updateOrder(
        row.id,
        { status: "unknown", amendClientOrderId: newCid, error: `amend outcome unknown (new client_order_id ${newCid}): ${r.error}` },
        "amend unknown",
      );
      this.needsReconcile = true;
      sum.unknown++;
      sum.decisions.push({ intent: a, result: "unknown", detail: r.error });
    }
  }

  // ---- creates ---------------------------------------------------------------------------------------

  private async create(creates: readonly CreateIntent[], cycleId: number | null, sum: ExecSummary): Promise<void> {
    const ready = this.unblocked(creates, sum);
    if (ready.length === 0) return;
    if (this.d.killSwitchActive()) {
      for (const c of ready) sum.decisions.push({ intent: c, result: "skipped", detail: "kill switch active" });
      return;
    }
    // Risk gate, at this instant, over the whole batch (sets pass or fail together).
    const { toSend, snapshot } = this.gateCreates(ready, sum);
    if (toSend.length === 0) return;
    this.applyBurstCap(toSend, sum);
    if (toSend.length === 0) return;
    const confirmed = await this.confirmCreates(toSend, sum);
    if (confirmed.length === 0) return;
    this.d.gate.snapshot = snapshot;
    if (this.stepStamps) this.stepStamps.judged = monoNow();
    // The rows exist (committed) before any byte leaves: a crash from here on leaves `pending`
    // rows that start-up resolves by lookup, never a request the ledger does not know about.
    const rows = this.d.ledger.insertPending(confirmed.map((s) => this.pendingRow(s, cycleId)));
    if (this.stepStamps) this.stepStamps.written = monoNow();
    // Kill switch once more, immediately before the request.
    if (this.d.killSwitchActive()) {
      for (const row of rows)
        this.d.ledger.updateOrder(row.id, { status: "rejected", error: "kill switch became active before sending; not sent" }, "not sent");
      for (const s of confirmed) sum.decisions.push({ intent: s.intent, result: "skipped", detail: "kill switch active" });
      return;
    }
    const outcomes = await this.d.transport.create(rows.map(requestOf));
    rows.forEach((row, i) => {
      this.applyCreateOutcome(row, outcomes[i] ?? { kind: "unknown", error: "no outcome" }, confirmed[i]!, sum);
    });
  }

  /** Creates not on a market blocked by an unknown outcome; a set (arbitrage legs) must not lose a leg to blocking, so it is dropped whole. */
  private unblocked(creates: readonly CreateIntent[], sum: ExecSummary): CreateIntent[] {
    if (creates.length === 0) return [];
    const blocked = this.d.ledger.blockedTickers();
    const eligible: CreateIntent[] = [];
    for (const c of creates) {
      if (blocked.has(c.ticker)) {
        sum.decisions.push({
          intent: c,
          result: "blocked",
          detail: "an order on this market has an unknown outcome; waiting for the lookup",
        });
        continue;
      }
      eligible.push(c);
    }
    const blockedSets = new Set(creates.filter((c) => c.groupKey && blocked.has(c.ticker)).map((c) => c.groupKey));
    return eligible.filter((c) => {
      if (c.groupKey && blockedSets.has(c.groupKey)) {
        sum.decisions.push({ intent: c, result: "blocked", detail: "another leg of this set is blocked" });
        return false;
      }
      return true;
    });
  }

  /** The risk gate's verdicts over the batch: what may go (resized where the gate says), and the snapshot once it has. */
  private gateCreates(ready: readonly CreateIntent[], sum: ExecSummary): { toSend: ToSend[]; snapshot: RiskSnapshot } {
    const { verdicts, snapshot } = evaluateIntents(ready, this.d.gate.snapshot, this.d.gate.limits, this.now());
    const toSend: ToSend[] = [];
    for (const bv of verdicts) {
      const c = bv.intent as CreateIntent;
      if (bv.verdict.verdict === "reject") {
        sum.decisions.push({ intent: c, result: "risk rejected", detail: bv.verdict.reason });
        continue;
      }
      toSend.push({ intent: c, count: bv.verdict.verdict === "resize" ? bv.verdict.count : c.count, verdict: bv.verdict });
    }
    return { toSend, snapshot };
  }

  /** Interactive confirmation, per order (a set declined in part is declined whole). Without a prompt, all of them. */
  private async confirmCreates(toSend: ToSend[], sum: ExecSummary): Promise<ToSend[]> {
    if (!this.d.confirm) return toSend;
    const confirmed: ToSend[] = [];
    const declinedSets = new Set<string>();
    for (const s of toSend) {
      if (s.intent.groupKey && declinedSets.has(s.intent.groupKey)) continue;
      if (await this.d.confirm(`${describeIntent({ ...s.intent, count: s.count })} — ${s.intent.strategy}: ${s.intent.reason}`))
        confirmed.push(s);
      else {
        if (s.intent.groupKey) declinedSets.add(s.intent.groupKey);
        sum.decisions.push({ intent: s.intent, result: "skipped", detail: "declined by the operator" });
      }
    }
    return confirmed.filter((s) => !(s.intent.groupKey && declinedSets.has(s.intent.groupKey)));
  }

  /** The ledger row of a create about to be sent, with a fresh client_order_id. */
  private pendingRow(s: ToSend, cycleId: number | null): NewOrder {
    return {
      clientOrderId: this.clientOrderId(),
      ticker: s.intent.ticker,
      eventTicker: s.intent.eventTicker,
      side: s.intent.side,
      price: s.intent.price,
      count: s.count,
      timeInForce: s.intent.timeInForce,
      postOnly: s.intent.postOnly,
      reduceOnly: s.intent.reduceOnly,
      strategy: s.intent.strategy,
      reason: s.verdict.verdict === "resize" ? `${s.intent.reason} [${s.verdict.reason}]` : s.intent.reason,
      orderGroupId: this.d.orderGroupId,
      groupKey: s.intent.groupKey ?? null,
      cycleId,
      expiresAt: this.d.expiry?.(s.intent.timeInForce) ?? null,
    };
  }

  /** Drops (in place) sets and crossing orders that would not fit whole into the burst window. */
  private applyBurstCap(toSend: Array<{ intent: CreateIntent; count: Count }>, sum: ExecSummary): void {
    const cap = this.d.burstCap;
    if (!cap) return;
    let left = cap.limit - this.burstUsed();
    const units = new Map<string, Array<{ intent: CreateIntent; count: Count }>>();
    for (const s of toSend) {
      const k = s.intent.groupKey ?? `single:${units.size}`;
      units.set(k, [...(units.get(k) ?? []), s]);
    }
    const drop = new Set<{ intent: CreateIntent; count: Count }>();
    for (const unit of units.values()) {
      // Post-only orders never match on arrival; a set counts whole if any leg may.
      if (unit.every((u) => u.intent.postOnly)) continue;
      const need = unit.reduce((a, u) => a + u.count, 0);
      if (need <= left) {
        left -= need;
        continue;
      }
      const detail = `burst cap: ${countToContractsFloat(need)} contracts would exceed what is left (${countToContractsFloat(Math.max(0, left))}) of ${countToContractsFloat(cap.limit)} per ${cap.windowMs / 1000} s`;
      for (const u of unit) {
        drop.add(u);
        sum.decisions.push({ intent: u.intent, result: "skipped", detail });
      }
      const first = unit[0]!.intent;
      // Reactive passes re-decide a capped set many times a minute: one audit row per set and
      // minute says it all (a set's key ends in its decision time, dropped here).
      const key = first.groupKey ? first.groupKey.replace(/:\d+$/, "") : `single:${first.ticker}`;
      const now = this.now();
      if (now - (this.burstAudited.get(key) ?? Number.NEGATIVE_INFINITY) >= 60_000) {
        this.burstAudited.set(key, now);
        this.d.ledger.audit(
          "burst_cap",
          `${first.groupKey ? `set ${first.groupKey} (${unit.length} legs)` : `${first.ticker}`} not sent: ${detail}`,
          { ticker: first.ticker, strategy: first.strategy },
        );
      }
    }
    if (drop.size) toSend.splice(0, toSend.length, ...toSend.filter((s) => !drop.has(s)));
  }

  /**
   * The gate's snapshot holds a sent create under a placeholder id until the next rebuild from the
   * ledger. Between cycles (reactive passes) there is no rebuild before the next decision, so the
   * placeholder takes the exchange's order id: an amend of that order must find it. Remaining and
   * filled follow the exchange; a rejected order leaves the snapshot, but its cash stays spent until
   * the next rebuild (never more cash than the exchange would show).
   */
  private settleGateEntry(row: OrderRow, o: CreateOutcome): void {
    if (o.kind === "unknown") return;
    const s = this.d.gate.snapshot;
    const prefix = `pending:${row.ticker}:${row.side}:${row.price}:`;
    const i = s.resting.findIndex((r) => r.orderId.startsWith(prefix));
    if (i < 0) return;
    const resting = [...s.resting];
    if (o.kind === "accepted" && o.remaining > 0)
      resting[i] = { ...resting[i]!, orderId: o.orderId, remaining: o.remaining, filled: o.filled };
    else if (o.kind === "accepted") {
      // Executed at once: the contracts are a position now, which the snapshot learns at the next
      // reconciliation; until then they stay counted as a resting order (same exposure, same side).
      resting[i] = { ...resting[i]!, orderId: `executed:${o.orderId}` };
    } else resting.splice(i, 1);
    this.d.gate.snapshot = { ...s, resting };
  }

  private applyCreateOutcome(row: OrderRow, o: CreateOutcome, s: { intent: CreateIntent; count: Count }, sum: ExecSummary): void {
    this.settleGateEntry(row, o);
    // Paper fills are in the ledger already; live ones arrive there with the next reconciliation.
    if (o.kind === "accepted" && o.filled > 0 && !this.d.transport.paper) this.filledSinceReconcile.add(row.ticker);
    if (o.kind === "accepted" && o.filled > 0 && this.d.burstCap && !this.d.transport.paper) this.burstLog.push([monoNow(), o.filled]);
    if (o.kind === "accepted") {
      const status = statusFromAccepted(o.filled, o.remaining);
      this.d.ledger.updateOrder(
        row.id,
        { status, orderId: o.orderId, filledCount: o.filled, remainingCount: o.remaining },
        `accepted: filled ${o.filled}, remaining ${o.remaining}`,
      );
      sum.created++;
      sum.filledImmediately += o.filled;
      sum.decisions.push({ intent: s.intent, result: status, detail: s.intent.reason, count: s.count });
    } else if (o.kind === "rejected") {
      this.d.ledger.updateOrder(row.id, { status: "rejected", remainingCount: 0, error: o.error }, `rejected: ${o.error}`);
      sum.rejected++;
      sum.decisions.push({ intent: s.intent, result: "rejected", detail: o.error, count: s.count });
    } else {
      this.d.ledger.updateOrder(row.id, { status: "unknown", error: o.error }, `outcome unknown: ${o.error}`);
      this.needsReconcile = true;
      sum.unknown++;
      sum.decisions.push({ intent: s.intent, result: "unknown", detail: o.error, count: s.count });
      this.log("warn", `order ${row.clientOrderId} on ${row.ticker}: outcome unknown (${o.error}); market blocked until it is looked up`);
    }
  }

  // ---- resolution of pending / unknown rows ------------------------------------------------------------

  /**
   * Look every pending or unknown row up by its client_order_id. Found: the exchange's state is
   * recorded. Not found and older than the grace period: it never reached the exchange (rejected).
   * Not found but younger: stays unknown (the request may still land). Returns the rows still open.
   */
  async resolveOpen(graceMs: number): Promise<{ resolved: number; open: number }> {
    const rows = this.d.ledger.ordersWithStatus(["pending", "unknown"]);
    let resolved = 0;
    for (const row of rows) {
      const amendCid = row.amendClientOrderId;
      const minTsSec = Math.floor(row.createdAt / 1000) - 60;
      let found: ExchangeOrder | null = null;
      if (amendCid) found = await this.d.transport.findByClientOrderId(amendCid, { ticker: row.ticker, minTsSec });
      if (!found) found = await this.d.transport.findByClientOrderId(row.clientOrderId, { ticker: row.ticker, minTsSec });
      if (found) {
        const status: OrderStatus =
          found.status === "resting" || found.status === "executed"
            ? found.status
            : found.status === "canceled"
              ? canceledOrExpired(found, row.expiresAt)
              : "unknown";
        if (status === "unknown") continue;
        this.d.ledger.updateOrder(
          row.id,
          {
            status,
            orderId: found.orderId,
            price: found.price,
            count: found.initial,
            filledCount: found.filled,
            remainingCount: found.remaining,
            clientOrderId: found.clientOrderId,
            error: null,
            amendClientOrderId: null,
          },
          `resolved by lookup: ${status}`,
        );
        resolved++;
        continue;
      }
      if (row.status === "unknown" && amendCid && row.orderId) {
        // An amend whose outcome is unknown and whose order is no longer listed under either id:
        // reconciliation's order refresh (by order id) settles it.
        continue;
      }
      if (this.now() - row.updatedAt > graceMs) {
        this.d.ledger.updateOrder(
          row.id,
          {
            status: "rejected",
            remainingCount: 0,
            error: `${row.error ?? ""} — not on the exchange after ${Math.round(graceMs / 1000)} s: never placed`,
          },
          "resolved: not on the exchange",
        );
        resolved++;
      }
    }
    return { resolved, open: this.d.ledger.ordersWithStatus(["pending", "unknown"]).length };
  }
}
