// The risk gate. Pure: every decision is a function of (intent, snapshot, limits, nowMs), so it can
// be property-tested and replayed. The engine builds a RiskSnapshot from the portfolio each cycle,
// asks evaluateIntent (or evaluateIntents for a batch with arbitrage sets) before every order, and
// persists the state part (toRiskRow) in the `risk_state` table so a restart never forgets a trip.
//
// Units (src/kalshi/money.ts): Price 1/10,000 $, Count 1/100 contract, Micros 1/1,000,000 $.
//
// Cash: `cashMicros` is what Kalshi calls the balance, i.e. cash NOT held for resting orders (the
// exchange and the local sim both deduct a resting order's collateral when it is placed). Orders
// this process sends after the snapshot was built are deducted by applyIntent, with a worst-case
// taker fee, until the next snapshot from the exchange replaces the number. Cancels credit nothing
// back until then: being short of cash for one cycle is harmless, counting it twice is not.
//
// Halt: `halted` never ends by itself, not even on a new trading day. The operator ends it with
// `kalshi-bot run --reset-halt` (engine CLI), which calls resetHalt(): state back to `active`, and
// the day-start equity and the high-water mark rebased to the current equity, so the same loss does
// not trip the limit again at the next cycle.
import type { RiskConfig } from "../config/risk-schema.ts";
import {
  COUNT_ONE,
  PRICE_ONE,
  formatDollars2,
  isValidPrice,
  parseDollars,
  parsePrice,
  takerFee,
  type Count,
  type Micros,
  type Price,
} from "../kalshi/money.ts";
import type { AmendIntent, BookSide, CancelIntent, CreateIntent, Intent } from "../strategies/types.ts";

export type RiskStateName = "active" | "reducing" | "halted";

export interface ResolvedRiskLimits {
  /** Count units (1/100 contract). */
  maxContractsPerOrder: Count;
  maxPositionPerMarket: Count;
  maxEventExposureMicros: Micros;
  maxTotalExposureMicros: Micros;
  maxOrderMicros: Micros;
  /** 0 disables the check. */
  maxDailyLossMicros: Micros;
  /** Drawdown from the high-water mark in 1/10,000 of it (2000 = 20 %); 0 disables the check. */
  maxDrawdownE4: number;
  /** Share of a limit (1/10,000) at which the state becomes `reducing`; 0 disables reducing. */
  reduceAtE4: number;
  maxOrdersPerMinute: number;
  minPrice: Price;
  maxPrice: Price;
  minCashReserveMicros: Micros;
  timezone: string;
}

export interface RiskPosition {
  eventTicker: string;
  /** Signed: + YES contracts, − NO contracts. */
  position: Count;
  /** Cost basis of the open position (sign ignored). */
  costMicros: Micros;
  /**
   * Signed contracts of `position` that are legs of complete arbitrage sets (same sign, never
   * more): they carry no per-market risk, so the per-market position cap counts only the rest.
   */
  hedged?: Count;
}

export interface RiskRestingOrder {
  orderId: string;
  ticker: string;
  eventTicker: string;
  side: BookSide;
  price: Price;
  remaining: Count;
  /** Already filled; amend counts include it. */
  filled?: Count;
}

/**
 * Everything the gate looks at. Plain JSON (records, arrays, numbers, strings, null) so it can be
 * written out and read back across a restart without loss.
 */
export interface RiskSnapshot extends RiskPortfolio {
  // ---- persisted in risk_state (see toRiskRow / fromRiskRow) ----
  state: RiskStateName;
  reason: string | null;
  sinceMs: number;
  highWaterMicros: Micros | null;
  /** Trading day "YYYY-MM-DD" in limits.timezone. */
  day: string | null;
  dayStartEquityMicros: Micros | null;
}

export interface RiskRow {
  state: RiskStateName;
  reason: string | null;
  since: number;
  highWaterMicros: Micros | null;
  day: string | null;
  dayStartEquityMicros: Micros | null;
}

/** The part of the snapshot rebuilt every cycle from the portfolio and the ledger. */
export interface RiskPortfolio {
  /** Kalshi balance: cash not held for resting orders. */
  cashMicros: Micros;
  /** Cash + resting collateral + positions marked to market: the bankroll. */
  equityMicros: Micros;
  positions: Record<string, RiskPosition>;
  resting: RiskRestingOrder[];
  /** Send times of orders (creates and amends) of the last minute; the engine rebuilds it from the ledger. */
  recentOrderTimesMs: number[];
  /** Series fee multiplier per ticker (1/10,000); absent = ×1. */
  feeMultiplierE4?: Record<string, number>;
}

export type RiskVerdict =
  | { verdict: "allow"; count?: Count; reason: string }
  | { verdict: "resize"; count: Count; reason: string }
  | { verdict: "reject"; reason: string };

const MINUTE_MS = 60_000;

// ---- limits ------------------------------------------------------------------------------------

/** Percent (a config number such as 20 or 12.5) → integer 1/10,000, once, at the edge. */
function pctToE4(pct: number): number {
  return parsePrice(pct.toFixed(4), "percent") / 100;
}

export function resolveRiskLimits(cfg: RiskConfig): ResolvedRiskLimits {
  const minPrice = parsePrice(cfg.min_price, "risk.min_price");
  const maxPrice = parsePrice(cfg.max_price, "risk.max_price");
  if (minPrice > maxPrice) throw new Error("risk.min_price is above risk.max_price");
  return {
    maxContractsPerOrder: cfg.max_contracts_per_order * COUNT_ONE,
    maxPositionPerMarket: cfg.max_position_per_market * COUNT_ONE,
    maxEventExposureMicros: parseDollars(cfg.max_event_exposure_dollars, "risk.max_event_exposure_dollars"),
    maxTotalExposureMicros: parseDollars(cfg.max_total_exposure_dollars, "risk.max_total_exposure_dollars"),
    maxOrderMicros: parseDollars(cfg.max_order_dollars, "risk.max_order_dollars"),
    maxDailyLossMicros: parseDollars(cfg.max_daily_loss_dollars, "risk.max_daily_loss_dollars"),
    maxDrawdownE4: Math.round(pctToE4(cfg.max_drawdown_pct)),
    reduceAtE4: Math.round(pctToE4(cfg.reduce_at_pct ?? 80)),
    maxOrdersPerMinute: cfg.max_orders_per_minute,
    minPrice,
    maxPrice,
    minCashReserveMicros: parseDollars(cfg.min_cash_reserve_dollars, "risk.min_cash_reserve_dollars"),
    timezone: cfg.timezone,
  };
}

// ---- the trading day ----------------------------------------------------------------------------

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** "YYYY-MM-DD" of nowMs in the given IANA timezone (DST handled by Intl). */
export function tradingDay(nowMs: number, timezone: string): string {
  let f = dayFormatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" });
    dayFormatters.set(timezone, f);
  }
  const parts = f.formatToParts(nowMs);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

// ---- snapshot plumbing --------------------------------------------------------------------------

export function emptyRiskSnapshot(nowMs: number, portfolio?: Partial<RiskPortfolio>): RiskSnapshot {
  return {
    state: "active",
    reason: null,
    sinceMs: nowMs,
    highWaterMicros: null,
    day: null,
    dayStartEquityMicros: null,
    cashMicros: portfolio?.cashMicros ?? 0,
    equityMicros: portfolio?.equityMicros ?? portfolio?.cashMicros ?? 0,
    positions: portfolio?.positions ?? {},
    resting: portfolio?.resting ?? [],
    recentOrderTimesMs: portfolio?.recentOrderTimesMs ?? [],
    ...(portfolio?.feeMultiplierE4 ? { feeMultiplierE4: portfolio.feeMultiplierE4 } : {}),
  };
}

/** The persisted part, shaped like the `risk_state` row (minus its `paper` key). */
export function toRiskRow(s: RiskSnapshot): RiskRow {
  return {
    state: s.state,
    reason: s.reason,
    since: s.sinceMs,
    highWaterMicros: s.highWaterMicros,
    day: s.day,
    dayStartEquityMicros: s.dayStartEquityMicros,
  };
}

/** A snapshot from the persisted row (null: first run) and this cycle's portfolio. */
export function fromRiskRow(row: RiskRow | null, portfolio: RiskPortfolio, nowMs: number): RiskSnapshot {
  const base = emptyRiskSnapshot(nowMs, portfolio);
  if (!row) return base;
  return {
    ...base,
    state: row.state,
    reason: row.reason,
    sinceMs: row.since,
    highWaterMicros: row.highWaterMicros,
    day: row.day,
    dayStartEquityMicros: row.dayStartEquityMicros,
  };
}

// ---- state transitions --------------------------------------------------------------------------

/** a × 10,000 ≥ b × e4, exactly (products can pass 2^53). */
function atLeastShare(a: number, b: number, e4: number): boolean {
  return BigInt(a) * 10_000n >= BigInt(b) * BigInt(e4);
}

export interface RiskMeasures {
  dailyLossMicros: Micros;
  drawdownMicros: Micros;
  highWaterMicros: Micros;
  day: string;
  dayStartEquityMicros: Micros;
}

/** Daily loss (realized + unrealized = equity fall since the day start) and drawdown from the peak. */
export function riskMeasures(s: RiskSnapshot, limits: ResolvedRiskLimits, nowMs: number): RiskMeasures {
  const day = tradingDay(nowMs, limits.timezone);
  const dayStart = s.day === day && s.dayStartEquityMicros !== null ? s.dayStartEquityMicros : s.equityMicros;
  const hw = Math.max(s.highWaterMicros ?? s.equityMicros, s.equityMicros);
  return {
    dailyLossMicros: Math.max(0, dayStart - s.equityMicros),
    drawdownMicros: Math.max(0, hw - s.equityMicros),
    highWaterMicros: hw,
    day,
    dayStartEquityMicros: dayStart,
  };
}

/**
 * Roll the trading day, raise the high-water mark and move the state:
 *   daily loss ≥ limit or drawdown ≥ limit        → halted (sticky; only resetHalt leaves it)
 *   either ≥ reduce_at_pct of its limit            → reducing
 *   otherwise                                      → active (a reducing state recovers by itself)
 */
export function nextRiskState(s: RiskSnapshot, limits: ResolvedRiskLimits, nowMs: number): RiskSnapshot {
  const m = riskMeasures(s, limits, nowMs);
  const next: RiskSnapshot = {
    ...s,
    day: m.day,
    dayStartEquityMicros: m.dayStartEquityMicros,
    highWaterMicros: m.highWaterMicros,
  };
  if (s.state === "halted") return next;

  const lossLimit = limits.maxDailyLossMicros;
  const ddLimitOn = limits.maxDrawdownE4 > 0 && m.highWaterMicros > 0;
  const lossTrip = lossLimit > 0 && m.dailyLossMicros >= lossLimit;
  const ddTrip = ddLimitOn && atLeastShare(m.drawdownMicros, m.highWaterMicros, limits.maxDrawdownE4);
  if (lossTrip || ddTrip) {
    const reason = lossTrip
      ? `daily loss $${formatDollars2(m.dailyLossMicros)} reached the limit $${formatDollars2(lossLimit)} (day ${m.day})`
      : `drawdown $${formatDollars2(m.drawdownMicros)} from the high-water mark $${formatDollars2(m.highWaterMicros)} reached ${limits.maxDrawdownE4 / 100}%`;
    return { ...next, state: "halted", reason, sinceMs: nowMs };
  }

  const r = limits.reduceAtE4;
  const lossNear = r > 0 && lossLimit > 0 && m.dailyLossMicros > 0 && atLeastShare(m.dailyLossMicros, lossLimit, r);
  const ddNear =
    r > 0 &&
    ddLimitOn &&
    m.drawdownMicros > 0 &&
    BigInt(m.drawdownMicros) * 100_000_000n >= BigInt(m.highWaterMicros) * BigInt(limits.maxDrawdownE4) * BigInt(r);
  if (lossNear || ddNear) {
    if (s.state === "reducing") return next;
    const reason = lossNear
      ? `daily loss $${formatDollars2(m.dailyLossMicros)} is at ${r / 100}% of the limit $${formatDollars2(lossLimit)}: reducing only`
      : `drawdown $${formatDollars2(m.drawdownMicros)} is at ${r / 100}% of the limit: reducing only`;
    return { ...next, state: "reducing", reason, sinceMs: nowMs };
  }
  if (s.state === "active") return next;
  return { ...next, state: "active", reason: null, sinceMs: nowMs };
}

/**
 * The operator's reset (`kalshi-bot run --reset-halt`): back to active, with the day start and the
 * high-water mark rebased to the current equity so the old loss does not trip the limit again.
 */
export function resetHalt(s: RiskSnapshot, limits: ResolvedRiskLimits, nowMs: number, reason = "reset by operator"): RiskSnapshot {
  return {
    ...s,
    state: "active",
    reason,
    sinceMs: nowMs,
    day: tradingDay(nowMs, limits.timezone),
    dayStartEquityMicros: s.equityMicros,
    highWaterMicros: s.equityMicros,
  };
}

// ---- exposure helpers ---------------------------------------------------------------------------

/** What a buy of one leg costs per contract: the YES price for a bid, 1 − p (NO) for an ask. */
export const legPrice = (side: BookSide, price: Price): Price => (side === "bid" ? price : PRICE_ONE - price);

/**
 * Collateral the resting orders of one market side lock beyond what merely closes the opposite
 * position (closing contracts net out against held ones and lock nothing). Which orders will close
 * is unknown, so the closing share is credited to the cheapest orders: the larger figure.
 */
export function openingCollateral(s: RiskSnapshot, ticker: string, side: BookSide, extra?: { price: Price; count: Count }): Micros {
  const pos = s.positions[ticker]?.position ?? 0;
  let closing = side === "bid" ? Math.max(0, -pos) : Math.max(0, pos);
  const orders: Array<[Price, Count]> = [];
  for (const o of s.resting) if (o.ticker === ticker && o.side === side) orders.push([legPrice(side, o.price), o.remaining]);
  if (extra) orders.push([legPrice(side, extra.price), extra.count]);
  orders.sort((a, b) => a[0] - b[0]);
  let total = 0;
  for (const [lp, r] of orders) {
    const c = Math.min(closing, r);
    closing -= c;
    total += lp * (r - c);
  }
  return total;
}

function restingSides(s: RiskSnapshot, eventTicker?: string): Array<[string, BookSide]> {
  const seen = new Set<string>();
  const out: Array<[string, BookSide]> = [];
  for (const o of s.resting) {
    if (eventTicker !== undefined && o.eventTicker !== eventTicker) continue;
    const k = `${o.side}\u0000${o.ticker}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push([o.ticker, o.side]);
    }
  }
  return out;
}

/** Cost basis of the event's positions plus the opening collateral of its resting orders. */
export function eventExposureMicros(s: RiskSnapshot, eventTicker: string): Micros {
  let e = 0;
  for (const p of Object.values(s.positions)) if (p.eventTicker === eventTicker) e += Math.abs(p.costMicros);
  for (const [t, side] of restingSides(s, eventTicker)) e += openingCollateral(s, t, side);
  return e;
}

export function totalExposureMicros(s: RiskSnapshot): Micros {
  let e = 0;
  for (const p of Object.values(s.positions)) e += Math.abs(p.costMicros);
  for (const [t, side] of restingSides(s)) e += openingCollateral(s, t, side);
  return e;
}

export function ordersInLastMinute(s: RiskSnapshot, nowMs: number): number {
  let n = 0;
  for (const t of s.recentOrderTimesMs) if (t > nowMs - MINUTE_MS && t <= nowMs) n++;
  return n;
}

function restingOn(s: RiskSnapshot, ticker: string, side: BookSide): Count {
  let n = 0;
  for (const o of s.resting) if (o.ticker === ticker && o.side === side) n += o.remaining;
  return n;
}

const feeMult = (s: RiskSnapshot, ticker: string): number => {
  const m = s.feeMultiplierE4?.[ticker];
  // Never below ×1: the gate must not under-reserve when the engine did not know the multiplier.
  return m === undefined ? 10_000 : Math.max(m, 10_000);
};

// ---- the gate -----------------------------------------------------------------------------------

interface OrderShape {
  ticker: string;
  eventTicker: string;
  side: BookSide;
  price: Price;
  count: Count;
  reduceOnly: boolean;
  /** A leg of a whole set judged together (shared groupKey): the per-market cap does not apply. */
  setLeg?: boolean;
}

interface Check {
  /** Built only for a failing check: formatting every limit's name cost more than the checks on each order. */
  name: () => string;
  ok(n: Count): boolean;
}

function createChecks(o: OrderShape, s: RiskSnapshot, L: ResolvedRiskLimits): Check[] {
  const lp = legPrice(o.side, o.price);
  const pos = s.positions[o.ticker]?.position ?? 0;
  // The per-market cap is about naked risk: contracts hedged inside complete sets do not count.
  const naked = pos - (s.positions[o.ticker]?.hedged ?? 0);
  const bids = restingOn(s, o.ticker, "bid");
  const asks = restingOn(s, o.ticker, "ask");
  // Contracts of this order that close an existing position not already claimed by resting orders.
  const closable = o.side === "bid" ? Math.max(0, -pos - bids) : Math.max(0, pos - asks);
  const before = openingCollateral(s, o.ticker, o.side);
  const added = (n: Count) => openingCollateral(s, o.ticker, o.side, { price: o.price, count: n }) - before;
  const fee = (n: Count) => takerFee(lp, n, feeMult(s, o.ticker));
  const ev = eventExposureMicros(s, o.eventTicker);
  const tot = totalExposureMicros(s);
  const available = s.cashMicros - L.minCashReserveMicros;

  const checks: Check[] = [
    { name: () => `at most ${L.maxContractsPerOrder / COUNT_ONE} contracts per order`, ok: (n) => n <= L.maxContractsPerOrder },
  ];
  if (s.state === "reducing") checks.push({ name: () => "reducing: only orders that shrink the position", ok: (n) => n <= closable });
  if (o.reduceOnly) checks.push({ name: () => "reduce_only beyond the position", ok: (n) => n <= closable });
  if (!o.setLeg) {
    checks.push({
      name: () => `position per market at most ${L.maxPositionPerMarket / COUNT_ONE}`,
      ok: (n) => (o.side === "bid" ? naked + bids + n <= L.maxPositionPerMarket : naked - asks - n >= -L.maxPositionPerMarket),
    });
  }
  checks.push(
    { name: () => `order cost at most $${formatDollars2(L.maxOrderMicros)}`, ok: (n) => lp * n + fee(n) <= L.maxOrderMicros },
    {
      name: () => `event exposure at most $${formatDollars2(L.maxEventExposureMicros)}`,
      ok: (n) => ev + added(n) <= L.maxEventExposureMicros,
    },
    {
      name: () => `total exposure at most $${formatDollars2(L.maxTotalExposureMicros)}`,
      ok: (n) => tot + added(n) <= L.maxTotalExposureMicros,
    },
    { name: () => "cash available after resting orders and the reserve", ok: (n) => added(n) + fee(n) <= available },
  );
  return checks;
}

/** Largest n ≤ max (in steps of `unit`) that passes every check; checks are monotone in n. */
function largestFitting(checks: Check[], max: Count, unit: Count): Count {
  const passes = (n: Count) => checks.every((c) => c.ok(n));
  let lo = 0;
  let hi = Math.floor(max / unit);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (passes(mid * unit)) lo = mid;
    else hi = mid - 1;
  }
  return lo * unit;
}

function gate(o: OrderShape, s: RiskSnapshot, L: ResolvedRiskLimits, nowMs: number): RiskVerdict {
  if (!Number.isSafeInteger(o.count) || o.count <= 0) return { verdict: "reject", reason: "count must be positive" };
  if (!isValidPrice(o.price)) return { verdict: "reject", reason: "price must be strictly between 0 and 1" };
  if (o.price < L.minPrice || o.price > L.maxPrice) {
    return { verdict: "reject", reason: `price outside the sanity band ${L.minPrice / PRICE_ONE}..${L.maxPrice / PRICE_ONE}` };
  }
  if (ordersInLastMinute(s, nowMs) >= L.maxOrdersPerMinute) {
    return { verdict: "reject", reason: `orders per minute limit ${L.maxOrdersPerMinute} reached` };
  }
  const checks = createChecks(o, s, L);
  const failing = checks.filter((c) => !c.ok(o.count));
  if (failing.length === 0) return { verdict: "allow", reason: "within limits" };
  // Whole contracts when the intent was whole: fractional sizes are not enabled on every market.
  const unit = o.count % COUNT_ONE === 0 ? COUNT_ONE : 1;
  const n = largestFitting(checks, o.count, unit);
  const why = failing.map((c) => c.name()).join("; ");
  if (n <= 0) return { verdict: "reject", reason: why };
  return { verdict: "resize", count: n, reason: `resized to ${n / COUNT_ONE} contracts: ${why}` };
}

/**
 * The verdict for one intent against the snapshot. Cancels always pass (a halted bot must still be
 * able to pull its orders). `resize.count` is the count to send: for a create the order size, for
 * an amend Kalshi's new total (filled + remaining).
 */
export function evaluateIntent(intent: Intent, s: RiskSnapshot, limits: ResolvedRiskLimits, nowMs: number, setLeg = false): RiskVerdict {
  if (intent.kind === "cancel") return { verdict: "allow", reason: "cancels are always allowed" };
  if (s.state === "halted") return { verdict: "reject", reason: `halted: ${s.reason ?? "risk limit"}` };
  if (intent.kind === "create") {
    return gate(
      {
        ticker: intent.ticker,
        eventTicker: intent.eventTicker,
        side: intent.side,
        price: intent.price,
        count: intent.count,
        reduceOnly: intent.reduceOnly,
        setLeg,
      },
      s,
      limits,
      nowMs,
    );
  }
  return evaluateAmend(intent, s, limits, nowMs);
}

function evaluateAmend(a: AmendIntent, s: RiskSnapshot, L: ResolvedRiskLimits, nowMs: number): RiskVerdict {
  const old = s.resting.find((o) => o.orderId === a.orderId);
  if (!old) return { verdict: "reject", reason: `amend of an order the gate does not know (${a.orderId})` };
  if (old.side !== a.side || old.ticker !== a.ticker) return { verdict: "reject", reason: "amend cannot change market or side" };
  const filled = old.filled ?? 0;
  const remaining = a.count - filled;
  if (remaining <= 0) return { verdict: "reject", reason: "amend leaves nothing to rest; cancel instead" };
  // An amend is judged as the replacement order with the old one gone.
  const without: RiskSnapshot = { ...s, resting: s.resting.filter((o) => o !== old) };
  const v = gate(
    { ticker: a.ticker, eventTicker: old.eventTicker, side: a.side, price: a.price, count: remaining, reduceOnly: false },
    without,
    L,
    nowMs,
  );
  if (v.verdict === "resize") return { ...v, count: filled + v.count };
  return v;
}

// ---- batches and bookkeeping --------------------------------------------------------------------

/**
 * The snapshot after an order was sent: a create rests in full (worst case for IOC/FOK too, until
 * the next snapshot), its collateral and worst-case fee leave the cash, and its send time enters the
 * rate window. `orderId` should be the client_order_id when the engine has one.
 */
export function applyIntent(s: RiskSnapshot, intent: Intent, count: Count | undefined, nowMs: number, orderId?: string): RiskSnapshot {
  const times = [...s.recentOrderTimesMs.filter((t) => t > nowMs - MINUTE_MS), nowMs];
  if (intent.kind === "cancel") {
    return { ...s, resting: s.resting.filter((o) => o.orderId !== intent.orderId) };
  }
  if (intent.kind === "create") {
    const n = count ?? intent.count;
    const lp = legPrice(intent.side, intent.price);
    const added =
      openingCollateral(s, intent.ticker, intent.side, { price: intent.price, count: n }) -
      openingCollateral(s, intent.ticker, intent.side);
    const spend = added + takerFee(lp, n, feeMult(s, intent.ticker));
    const o: RiskRestingOrder = {
      orderId: orderId ?? `pending:${intent.ticker}:${intent.side}:${intent.price}:${nowMs}:${s.resting.length}`,
      ticker: intent.ticker,
      eventTicker: intent.eventTicker,
      side: intent.side,
      price: intent.price,
      remaining: n,
    };
    return { ...s, cashMicros: s.cashMicros - spend, resting: [...s.resting, o], recentOrderTimesMs: times };
  }
  const old = s.resting.find((o) => o.orderId === intent.orderId);
  if (!old) return { ...s, recentOrderTimesMs: times };
  const total = count ?? intent.count;
  const remaining = Math.max(0, total - (old.filled ?? 0));
  const lp = legPrice(intent.side, intent.price);
  // As a cancel that credits nothing plus a new order: never more cash than the exchange would show.
  const without: RiskSnapshot = { ...s, resting: s.resting.filter((o) => o !== old) };
  const added =
    openingCollateral(without, intent.ticker, intent.side, { price: intent.price, count: remaining }) -
    openingCollateral(without, intent.ticker, intent.side);
  const spend = added + takerFee(lp, remaining, feeMult(s, intent.ticker));
  return {
    ...s,
    cashMicros: s.cashMicros - spend,
    resting: s.resting.map((o) => (o === old ? { ...o, price: intent.price, remaining } : o)),
    recentOrderTimesMs: times,
  };
}

export interface BatchVerdict {
  intent: Intent;
  verdict: RiskVerdict;
}

/**
 * Judge a cycle's intents in order, each against the snapshot as the earlier allowed ones left it.
 * Creates sharing a groupKey (arbitrage legs) pass or fail together and at one common size, so the
 * gate never turns a set into a naked leg.
 */
export function evaluateIntents(
  intents: readonly Intent[],
  s: RiskSnapshot,
  limits: ResolvedRiskLimits,
  nowMs: number,
): { verdicts: BatchVerdict[]; snapshot: RiskSnapshot } {
  const out: BatchVerdict[] = [];
  const done = new Set<Intent>();
  let snap = s;
  for (const it of intents) {
    if (done.has(it)) continue;
    if (it.kind === "create" && it.groupKey !== undefined) {
      const legs = intents.filter((x): x is CreateIntent => x.kind === "create" && x.groupKey === it.groupKey);
      for (const l of legs) done.add(l);
      const r = evaluateGroup(legs, snap, limits, nowMs);
      out.push(...r.verdicts);
      snap = r.snapshot;
      continue;
    }
    done.add(it);
    const v = evaluateIntent(it, snap, limits, nowMs);
    out.push({ intent: it, verdict: v });
    if (v.verdict !== "reject") snap = applyIntent(snap, it, v.verdict === "resize" ? v.count : undefined, nowMs);
  }
  return { verdicts: out, snapshot: snap };
}

function evaluateGroup(
  legs: CreateIntent[],
  s: RiskSnapshot,
  L: ResolvedRiskLimits,
  nowMs: number,
): { verdicts: BatchVerdict[]; snapshot: RiskSnapshot } {
  // A whole set (two or more markets, every leg buying on the same side, none reduce-only) is hedged
  // as a unit: its legs skip the per-market position cap. Every other limit (event and total
  // exposure, order cost, cash) still applies to each leg.
  const wholeSet =
    legs.length >= 2 &&
    new Set(legs.map((l) => l.ticker)).size === legs.length &&
    legs.every((l) => l.side === legs[0]!.side && !l.reduceOnly);
  const tryAt = (count: Count | null) => {
    let snap = s;
    const vs: BatchVerdict[] = [];
    let min = Infinity;
    for (const leg of legs) {
      const intent = count === null ? leg : { ...leg, count };
      const v = evaluateIntent(intent, snap, L, nowMs, wholeSet);
      vs.push({ intent: leg, verdict: v });
      if (v.verdict === "reject") return { ok: false as const, vs, min: 0, snap, reason: `${leg.ticker}: ${v.reason}` };
      const n = v.verdict === "resize" ? v.count : intent.count;
      min = Math.min(min, n);
      snap = applyIntent(snap, intent, n, nowMs);
    }
    return { ok: true as const, vs, min, snap, reason: "" };
  };
  const rejectAll = (reason: string) => ({
    verdicts: legs.map((l) => ({ intent: l as Intent, verdict: { verdict: "reject", reason: `set rejected: ${reason}` } as RiskVerdict })),
    snapshot: s,
  });
  const first = tryAt(null);
  if (!first.ok) return rejectAll(first.reason);
  const full = Math.min(...legs.map((l) => l.count));
  const uniform = legs.every((l) => l.count === full);
  if (uniform && first.min === full && first.vs.every((v) => v.verdict.verdict === "allow")) {
    return { verdicts: first.vs, snapshot: first.snap };
  }
  // Shrink every leg to the smallest size any leg may take, then make sure all still pass at it.
  const unit = first.min % COUNT_ONE === 0 ? COUNT_ONE : 1;
  for (let n = Math.floor(first.min / unit) * unit; n > 0; n -= unit) {
    const again = tryAt(n);
    if (again.ok && again.vs.every((v) => v.verdict.verdict === "allow")) {
      return {
        verdicts: legs.map((l) => ({
          intent: l as Intent,
          verdict:
            n === l.count
              ? { verdict: "allow", reason: "within limits" }
              : { verdict: "resize", count: n, reason: `set resized to ${n / COUNT_ONE} contracts per leg` },
        })),
        snapshot: again.snap,
      };
    }
  }
  return rejectAll("no common size passes every leg");
}

/** Cancels for every resting order in the snapshot: what a halt does to the book. */
export function cancelsForHalt(s: RiskSnapshot, reason: string): CancelIntent[] {
  return s.resting.map((o) => ({ kind: "cancel", strategy: "risk", ticker: o.ticker, orderId: o.orderId, reason }));
}
