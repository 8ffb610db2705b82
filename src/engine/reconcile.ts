// Reconciliation: the ledger against the exchange. Runs before the first order of a process, right
// after any unknown outcome, and every `trading.reconcile_every_cycles` cycles (the cheap part —
// balance, positions, resting orders, fills, settlements — runs every cycle anyway). Any failure
// (the exchange unreachable, positions that disagree after re-reading fills) throws ReconcileError
// and the bot does not trade until a later reconciliation succeeds.
import type { KalshiClient } from "../kalshi/index.ts";
import { formatDollars2, type Count, type Micros } from "../kalshi/money.ts";
import { CASH_DRIFT_EXACT_KEY, CASH_DRIFT_SEEN_KEY, CASH_QUIET_ROUNDS_KEY, type Ledger, type OrderRow } from "./ledger.ts";
import type { OrderManager } from "./order-manager.ts";
import {
  ANCHOR_FILL_IDS_KEY,
  ANCHOR_SETTLED_KEY,
  FILLS_CURSOR_KEY,
  SETTLEMENTS_CURSOR_KEY,
  balanceMicrosOf,
  collateralOf,
  fetchExchangePortfolio,
  fetchHoldings,
  withBalance,
  listFillIds,
  listSettledTickers,
  syncFills,
  syncOrders,
  syncSettlements,
  type ExchangePortfolio,
} from "./portfolio.ts";
import { wholeContracts } from "./position-math.ts";

type Holdings = Parameters<typeof withBalance>[0];
type Balance = Parameters<typeof withBalance>[1];

export class ReconcileError extends Error {
  override name = "ReconcileError";
}

export interface ReconcileReport {
  exchange: ExchangePortfolio;
  adopted: OrderRow[];
  newFills: number;
  newSettlements: number;
  requests: number;
  /** Orders still pending/unknown after lookup (their markets stay blocked). */
  openUnknown: number;
  /** |ledger cash − what the exchange implies| outside what resting orders can explain (micros). */
  cashDriftMicros: Micros;
  /**
   * The cash check saw a drift twice but cannot know its amount while orders rest (what they hold
   * is the exchange's to decide): no order may rest until a reconciliation measures it exactly.
   */
  cashQuiet: boolean;
  anchored: boolean;
}

export interface ReconcileDeps {
  client: KalshiClient;
  ledger: Ledger;
  om: OrderManager;
  graceMs: number;
  eventOf: (ticker: string) => string | null;
  log: (level: "info" | "warn" | "debug", msg: string) => void;
  /** Resolve pending/unknown rows by lookup (start-up, after unknowns, every N cycles). */
  full: boolean;
  /**
   * Read the cash check's balance before the fills rather than after them (default true): one pair
   * of fill and settlement reads fewer whenever they find nothing new. False when fills are known
   * to be on their way (the feed saw some): the early balance would be wasted.
   */
  balanceFirst?: boolean;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;

/**
 * First start on this account: the ledger begins following it from here. Its fill and settlement
 * cursors are the exchange's time, never this machine's: a clock running fast would otherwise put
 * the cursor past the bot's own first fills and lose them for good. The positions seeded here
 * already hold every fill listed around them, so those fills (ids) are remembered and never applied
 * again; the snapshot is taken between two fill reads that agree, so no fill falls in between.
 */
async function anchor(d: ReconcileDeps, first: ExchangePortfolio): Promise<ExchangePortfolio> {
  const l = d.ledger;
  let ex = first;
  let snapshot: { fills: string[]; settled: string[]; fromMs: number; requests: number } | null = null;
  for (let attempt = 0; attempt < 3 && snapshot === null; attempt++) {
    const fromMs = ex.exchangeTimeMs;
    const a = await listFillIds(d.client, fromMs);
    const sa = await listSettledTickers(d.client, fromMs);
    const next = await fetchExchangePortfolio(d.client);
    const b = await listFillIds(d.client, fromMs);
    const sb = await listSettledTickers(d.client, fromMs);
    ex = next;
    if (sameSet(a.ids, b.ids) && sameSet(sa.tickers, sb.tickers))
      snapshot = { fills: b.ids, settled: sb.tickers, fromMs, requests: a.requests + sa.requests + b.requests + sb.requests };
  }
  if (snapshot === null)
    throw new ReconcileError("fills kept arriving while the ledger anchored to the account (first start); retried at the next cycle");
  // Orders resting now belong to someone else (another tool, a person): adopted as external.
  await syncOrders(d.client, l, ex.resting);
  const held = collateralOf(l.ordersWithStatus(["resting"]));
  l.setCashAnchor(ex.balanceMicros + held);
  for (const [ticker, position] of ex.positions) {
    // Cost unknown for positions opened before the ledger existed: marked at their exposure later.
    l.seedPosition(ticker, d.eventOf(ticker), { position, costMicros: 0, realizedPnlMicros: 0, feesMicros: 0 });
  }
  l.setMeta(FILLS_CURSOR_KEY, String(snapshot.fromMs));
  l.setMeta(SETTLEMENTS_CURSOR_KEY, String(snapshot.fromMs));
  l.setMeta(ANCHOR_FILL_IDS_KEY, JSON.stringify(snapshot.fills));
  l.setMeta(ANCHOR_SETTLED_KEY, JSON.stringify(snapshot.settled));
  // Shown only (the exchange's time of the snapshot).
  l.setMeta("anchored_at", new Date(snapshot.fromMs).toISOString());
  l.audit(
    "anchor",
    `ledger anchored to the account: balance $${formatDollars2(ex.balanceMicros)}, ${ex.positions.size} position(s), ${ex.resting.length} resting order(s)`,
  );
  if (ex.positions.size || ex.resting.length) {
    d.log(
      "warn",
      `first start on an account with ${ex.positions.size} open position(s) and ${ex.resting.length} resting order(s): adopted as external, left alone`,
    );
  }
  return ex;
}

function positionMismatches(ledger: Ledger, ex: Map<string, Count>): string[] {
  const lp = ledger.positions();
  const out: string[] = [];
  const tickers = new Set([...ex.keys(), ...[...lp.values()].filter((p) => p.position !== 0).map((p) => p.ticker)]);
  for (const t of tickers) {
    const a = lp.get(t)?.position ?? 0;
    const b = ex.get(t) ?? 0;
    if (a !== b) out.push(`${t}: ledger ${wholeContracts(a)}, exchange ${wholeContracts(b)}`);
  }
  return out;
}

export async function reconcileLive(d: ReconcileDeps): Promise<ReconcileReport> {
  let requests = 0;
  let openUnknown = 0;
  try {
    let anchored = false;
    if (d.full) {
      const r = await d.om.resolveOpen(d.graceMs);
      openUnknown = r.open;
    } else openUnknown = d.ledger.ordersWithStatus(["pending", "unknown"]).length;

    // The balance is read once, for the cash check; only the anchor (first start) reads it here too.
    let ex: Holdings;
    // The cash check's balance read right after the holdings, before the fills (see checkCash).
    let early: Balance | null = null;
    if (d.ledger.cashMicros() === null) {
      const first = await fetchExchangePortfolio(d.client);
      requests += first.requests;
      ex = await anchor(d, first);
      anchored = true;
    } else {
      ex = await fetchHoldings(d.client);
      requests += ex.requests;
      if (d.balanceFirst !== false) {
        early = await d.client.getBalance();
        requests++;
      }
    }
    let newFills = 0;
    let newSettlements = 0;
    let adopted: OrderRow[] = [];
    let mismatches: string[] = [];
    let attempts = 0;
    // Fills can land between our reads of fills and of positions: re-read both before calling it drift.
    for (let attempt = 0; attempt < 3; attempt++) {
      attempts++;
      const [f, fr] = await syncFills(d.client, d.ledger, d.eventOf);
      const [s, sr] = await syncSettlements(d.client, d.ledger);
      newFills += f;
      newSettlements += s;
      requests += fr + sr;
      const o = await syncOrders(d.client, d.ledger, ex.resting);
      adopted = adopted.concat(o.adopted);
      requests += o.requests;
      mismatches = positionMismatches(d.ledger, ex.positions);
      if (mismatches.length === 0) break;
      await Bun.sleep(150 * (attempt + 1));
      ex = await fetchHoldings(d.client);
      requests += ex.requests;
    }
    if (mismatches.length) {
      d.ledger.audit("reconcile_failed", `positions disagree: ${mismatches.join("; ")}`);
      throw new ReconcileError(
        `positions disagree with the exchange: ${mismatches.slice(0, 5).join("; ")}${mismatches.length > 5 ? ` (+${mismatches.length - 5} more)` : ""}`,
      );
    }
    for (const a of adopted) {
      d.ledger.audit("external_order", `adopted external order ${a.orderId} on ${a.ticker}`, { ticker: a.ticker });
      d.log("warn", `order ${a.orderId} on ${a.ticker} is not in the ledger: adopted as external and left alone`);
    }

    // The early balance serves only if the one fill and settlement read after it found nothing new
    // (and the holdings were not read again since: the collateral bound comes from the first ones).
    const cash = await checkCash(d, early !== null && attempts === 1 && newFills === 0 && newSettlements === 0 ? early : null);
    requests += cash.requests;
    newFills += cash.newFills;
    newSettlements += cash.newSettlements;
    const cashDriftMicros = cash.driftMicros;
    return {
      exchange: withBalance(ex, cash.balance, 0),
      adopted,
      newFills,
      newSettlements,
      requests,
      openUnknown,
      cashDriftMicros,
      cashQuiet: cash.quiet,
      anchored,
    };
  } catch (e) {
    if (e instanceof ReconcileError) throw e;
    // The exchange's own error stays reachable: an unreachable exchange or a refused key is an
    // exchange problem (exit 4) with its fix, not a ledger that disagrees (exit 7).
    throw new ReconcileError(`reconciliation failed: ${(e as Error).message}`, { cause: e });
  }
}

/** Reconciliations in a row the cash check may keep the book empty to measure a drift (then it waits, reporting it). */
export const CASH_QUIET_MAX_ROUNDS = 6;
/**
 * Reconciliations without another quiet measurement after one found no drift: an exchange that holds
 * more than the full collateral the check assumes (e.g. fees on resting orders) would otherwise pull
 * the quotes every few cycles. The apparent shortfall still counts against risk meanwhile.
 */
export const CASH_QUIET_COOLDOWN = 100;
// (Only for "ledger above": no hold can make the balance exceed the ledger's cash.)
const CASH_QUIET_COOLDOWN_KEY = "cash_quiet_cooldown";

/**
 * Cash. The ledger's cash minus the exchange's balance is what resting orders hold: between 0 and
 * their full collateral (orders that close a position hold less, by the exchange's own rules).
 * Anything outside that is drift: a deposit, a withdrawal, or a fill the ledger missed.
 *
 * The balance and the fills come from separate requests, and our resting orders trade while we
 * read. Compared blindly, a fill landing between the two reads looks like a deposit or withdrawal
 * of its cash for one reconciliation, and recording that as an adjustment turns a passing race into
 * a permanent error (seen after kill -9 rounds: five adjustments of ±$0.73–$2.00 leaving the ledger
 * $0.96 off). So the balance is taken between two fill/settlement reads, the second of which found
 * nothing new: the ledger then holds every fill and settlement that moved the balance, and none
 * after it. The first of the two is the ledger's last read, wherever it was (an earlier
 * reconciliation): `early` is a balance read after it, at the start of this reconciliation, and
 * serves when this reconciliation's own fill and settlement reads found nothing new. Otherwise the
 * balance is read again here, followed by another pair of reads.
 *
 * While orders rest, what they hold is unknown within [0, full collateral], so a drift's amount is
 * only known to within that: a $12.34 deposit with $5.76 held reads as $6.58. Recording such a
 * bound left the ledger off by what the orders held, surfacing later as "drift" with no deposit. So
 * an adjustment is recorded only from two consecutive exact readings (nothing that could hold
 * collateral: no resting, pending or unknown order) that agree to the micro; a drift seen twice
 * while orders rest asks the engine for a book without the bot's orders (`quiet`) so that the next
 * readings are exact. A drift that stays ambiguous (external orders resting) is reported, not
 * recorded; an apparent shortfall counts against risk limits at once (cashForRiskMicros).
 */
async function checkCash(
  d: ReconcileDeps,
  early: Balance | null,
): Promise<{ driftMicros: Micros; quiet: boolean; requests: number; newFills: number; newSettlements: number; balance: Balance }> {
  let requests = 0;
  let newFills = 0;
  let newSettlements = 0;
  let balance: Micros | null = early === null ? null : balanceMicrosOf(early);
  // The latest reading: the cycle's balance, whether or not it was quiet enough for the check.
  let bal!: Balance;
  if (early !== null) bal = early;
  for (let attempt = 0; attempt < 3 && balance === null; attempt++) {
    bal = await d.client.getBalance();
    requests++;
    const [f, fr] = await syncFills(d.client, d.ledger, d.eventOf);
    const [s, sr] = await syncSettlements(d.client, d.ledger);
    requests += fr + sr;
    newFills += f;
    newSettlements += s;
    if (f === 0 && s === 0) balance = balanceMicrosOf(bal);
  }
  const l = d.ledger;
  const quietRounds = Number(l.getMeta(CASH_QUIET_ROUNDS_KEY) ?? "0");
  const cooldown = Number(l.getMeta(CASH_QUIET_COOLDOWN_KEY) ?? "0");
  if (cooldown > 0) l.setMeta(CASH_QUIET_COOLDOWN_KEY, String(cooldown - 1));
  if (balance === null) {
    d.log("debug", "cash check skipped: fills kept arriving while the balance was read");
    // Still measuring a drift: the book stays empty for the next reading.
    return {
      driftMicros: 0,
      quiet: quietRounds > 0 && quietRounds < CASH_QUIET_MAX_ROUNDS,
      requests,
      newFills,
      newSettlements,
      balance: bal,
    };
  }
  const ledgerCash = l.cashMicros()!;
  const held = ledgerCash - balance;
  // Rows whose outcome is not known yet may hold collateral on the exchange as well.
  const maxHeld = collateralOf(l.ordersWithStatus(["resting", "pending", "unknown"]));
  const exact = maxHeld === 0;
  const drift = held < 0 ? held : held > maxHeld ? held - maxHeld : 0;
  const seen = Number(l.getMeta(CASH_DRIFT_SEEN_KEY) ?? "0");
  const seenExact = l.getMeta(CASH_DRIFT_EXACT_KEY) === "1";
  if (drift === 0) {
    if (seen !== 0) l.setMeta(CASH_DRIFT_SEEN_KEY, "0");
    if (quietRounds !== 0) {
      l.setMeta(CASH_QUIET_ROUNDS_KEY, "0");
      // Measured with nothing resting and found nothing: what the orders held explained it.
      if (exact && seen > 0) {
        l.setMeta(CASH_QUIET_COOLDOWN_KEY, String(CASH_QUIET_COOLDOWN));
        d.log(
          "info",
          `cash check: no difference with the exchange once no order rested; the exchange holds more for resting orders than their price (not measured again for ${CASH_QUIET_COOLDOWN} reconciliations)`,
        );
      }
    }
    return { driftMicros: 0, quiet: false, requests, newFills, newSettlements, balance: bal };
  }
  if (exact && seenExact && seen === drift) {
    l.setMeta(CASH_DRIFT_SEEN_KEY, "0");
    l.setMeta(CASH_QUIET_ROUNDS_KEY, "0");
    // Deposits and withdrawals show up here too; recorded as an adjustment and reported, never
    // silently absorbed.
    l.adjustCash(
      -drift,
      `cash drift $${formatDollars2(Math.abs(drift))} (${drift > 0 ? "ledger above" : "ledger below"} the exchange, seen twice): deposit, withdrawal or a missed fill`,
    );
    d.log(
      "warn",
      `ledger cash differs from the exchange by $${formatDollars2(Math.abs(drift))}; recorded as an adjustment (deposit/withdrawal?)`,
    );
    return { driftMicros: drift, quiet: false, requests, newFills, newSettlements, balance: bal };
  }
  l.setMeta(CASH_DRIFT_SEEN_KEY, String(drift));
  l.setMeta(CASH_DRIFT_EXACT_KEY, exact ? "1" : "0");
  // Seen before on the same side: a deposit or withdrawal, not a passing race. Its amount needs
  // readings with nothing held, so the engine keeps the bot's orders off the book for a few rounds.
  const persistent = Math.sign(seen) === Math.sign(drift);
  const quiet = persistent && quietRounds < CASH_QUIET_MAX_ROUNDS && (cooldown === 0 || exact || drift < 0);
  if (quiet) l.setMeta(CASH_QUIET_ROUNDS_KEY, String(quietRounds + 1));
  const what = exact
    ? `$${formatDollars2(Math.abs(drift))}`
    : `at least $${formatDollars2(Math.abs(drift))} (orders hold up to $${formatDollars2(maxHeld)})`;
  if (persistent && !quiet && quietRounds === CASH_QUIET_MAX_ROUNDS) {
    l.setMeta(CASH_QUIET_ROUNDS_KEY, String(quietRounds + 1));
    d.log(
      "warn",
      `ledger cash differs from the exchange by ${what}, not measurable exactly with orders resting; not recorded (kalshi-bot status shows it)`,
    );
  } else
    d.log(
      "debug",
      `cash differs from the exchange by ${what}; ${quiet ? "measured with no order resting before it is recorded" : "recorded if the next reconciliation sees it too"}`,
    );
  return { driftMicros: drift, quiet, requests, newFills, newSettlements, balance: bal };
}

/**
 * Paper book: nothing to compare with an exchange, but a crash can leave `pending` paper rows. A
 * paper order executes in-process, so a pending row with recorded fills executed and one without
 * never happened.
 */
export function reconcilePaper(ledger: Ledger): number {
  let n = 0;
  for (const row of ledger.ordersWithStatus(["pending", "unknown"])) {
    const filled = ledger.paperFilledByClientOrderId(row.clientOrderId);
    if (filled > 0)
      ledger.updateOrder(row.id, { status: "executed", filledCount: filled, remainingCount: 0 }, "paper: executed before a crash");
    else
      ledger.updateOrder(
        row.id,
        { status: "rejected", remainingCount: 0, error: "paper order interrupted before execution" },
        "paper: never executed",
      );
    n++;
  }
  return n;
}
