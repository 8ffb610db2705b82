// event_arbitrage: on a mutually exclusive event, a set of one contract in every market has a known
// payout, so buying the set below that payout after fees is a locked-in profit.
//
//   YES set: buy YES of every market. Pays $1 when exactly one market resolves YES. Mutually
//            exclusive alone is "at most one": if none wins, the set pays $0. So YES sets are
//            bought only on events the engine proved exhaustive (EventView.exhaustive), whatever
//            `yes_side` says.
//   NO set:  buy NO of every market (book side `ask` at the YES bid, i.e. NO at 1 − yesBid).
//            Pays n − 1 dollars whenever at most one market resolves YES.
//
// Legs are sent fill-or-kill (or IOC) and share a groupKey, so a broken set is visible in the fills
// of that group; repairArbSet says how to complete or unwind it.
import { COUNT_ONE, formatMicrosAs4dp, PRICE_ONE, parseDollars, takerFee, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { StrategiesConfig } from "../config/strategies-schema.ts";
import { isOnGrid } from "../kalshi/price-grid.ts";
import type { BookSide, CreateIntent, EventView, Intent, MarketView, Strategy, StrategyInput, TimeInForce } from "./types.ts";

export const EVENT_ARBITRAGE = "event_arbitrage";

export interface EventArbitrageParams {
  /** Required edge per complete set, after fees. */
  minEdgeMicros: Micros;
  /** Count units (1/100 contract): sets per opportunity. */
  maxSets: Count;
  yesSide: boolean;
  noSide: boolean;
  timeInForce: Extract<TimeInForce, "fill_or_kill" | "immediate_or_cancel">;
}

export function resolveEventArbitrageParams(cfg: StrategiesConfig["event_arbitrage"]): EventArbitrageParams {
  return {
    minEdgeMicros: parseDollars(cfg.min_edge_dollars, "event_arbitrage.min_edge_dollars"),
    maxSets: cfg.max_sets * COUNT_ONE,
    yesSide: cfg.yes_side,
    noSide: cfg.no_side,
    timeInForce: cfg.time_in_force,
  };
}

export type ArbDirection = "yes" | "no";

export interface ArbLeg {
  ticker: string;
  /** Book side of the order: bid buys YES, ask buys NO. */
  side: BookSide;
  /** Order price on the YES scale (what the API takes). */
  price: Price;
  /** What one contract of the leg costs: the YES ask, or 1 − YES bid for NO. */
  legPrice: Price;
  available: Count;
  feeMicros: Micros;
}

export interface ArbOpportunity {
  eventTicker: string;
  direction: ArbDirection;
  legs: ArbLeg[];
  /** Sets (Count units: 100 = one contract of every leg). */
  count: Count;
  costMicros: Micros;
  feeMicros: Micros;
  payoutMicros: Micros;
  edgeMicros: Micros;
}

/** Guaranteed payout of one set (one contract per leg), in Price units. */
export const setPayout = (direction: ArbDirection, legs: number): Price => (direction === "yes" ? PRICE_ONE : (legs - 1) * PRICE_ONE);

function legFor(m: MarketView, direction: ArbDirection): Omit<ArbLeg, "feeMicros"> | null {
  if (direction === "yes") {
    if (m.yesAsk === null || m.yesAskSize <= 0 || m.yesAsk <= 0 || m.yesAsk >= PRICE_ONE) return null;
    return { ticker: m.ticker, side: "bid", price: m.yesAsk, legPrice: m.yesAsk, available: m.yesAskSize };
  }
  if (m.yesBid === null || m.yesBidSize <= 0 || m.yesBid <= 0 || m.yesBid >= PRICE_ONE) return null;
  return { ticker: m.ticker, side: "ask", price: m.yesBid, legPrice: PRICE_ONE - m.yesBid, available: m.yesBidSize };
}

/** One price level a leg can buy from: order price (YES scale), what a contract costs, size. */
interface Level {
  price: Price;
  legPrice: Price;
  size: Count;
}

/**
 * The levels a leg buys from, best first. With depth (a live book, or one the engine fetched) the
 * whole opposite book: YES asks are NO bids at 1 − q; NO is bought at 1 − (YES bid). Without depth,
 * the top of book only. Levels must start at the top of book the view shows, else the book is
 * inconsistent with it and only the top is used.
 */
function levelsFor(m: MarketView, direction: ArbDirection): Level[] | null {
  const top = legFor(m, direction);
  if (!top) return null;
  const topLevel: Level = { price: top.price, legPrice: top.legPrice, size: top.available };
  if (!m.book) return [topLevel];
  const raw = direction === "yes" ? m.book.no : m.book.yes;
  const levels: Level[] = [];
  // Bids are listed best last: walk from the end.
  for (let i = raw.length - 1; i >= 0; i--) {
    const [q, c] = raw[i]!;
    if (c <= 0) continue;
    const price = direction === "yes" ? PRICE_ONE - q : q;
    if (price <= 0 || price >= PRICE_ONE) continue;
    levels.push({ price, legPrice: direction === "yes" ? price : PRICE_ONE - price, size: c });
  }
  if (levels.length === 0 || levels[0]!.price !== top.price) return [topLevel];
  return levels;
}

/** Cost and taker fee of buying `n` from the levels (fees per level, as fills are charged). */
function walkCost(levels: readonly Level[], n: Count, feeMultiplierE4: number): { cost: Micros; fee: Micros; worst: Level } | null {
  let left = n;
  let cost = 0;
  let fee = 0;
  let worst = levels[0]!;
  for (const l of levels) {
    if (left <= 0) break;
    const q = Math.min(left, l.size);
    cost += l.legPrice * q;
    fee += takerFee(l.legPrice, q, feeMultiplierE4);
    worst = l;
    left -= q;
  }
  return left > 0 ? null : { cost, fee, worst };
}

/** The markets of an event when every one is in view and active; null otherwise. */
export function eventMarkets(event: EventView, markets: ReadonlyMap<string, MarketView>): MarketView[] | null {
  if (!event.mutuallyExclusive || event.marketTickers.length < 2) return null;
  const out: MarketView[] = [];
  for (const t of event.marketTickers) {
    const m = markets.get(t);
    if (m?.status !== "active") return null;
    out.push(m);
  }
  return out;
}

/**
 * Price the set in one direction, walking each leg's depth: the set count grows one whole contract
 * at a time (up to max_sets) while that next set still earns at least min_edge after fees at the
 * levels it would take. Each leg's order is priced at the deepest level it reaches (fill-or-kill
 * at that limit fills the better levels first, at their own prices).
 */
export function priceSet(
  event: EventView,
  ms: readonly MarketView[],
  direction: ArbDirection,
  params: EventArbitrageParams,
): ArbOpportunity | null {
  const legs: Array<{ m: MarketView; levels: Level[] }> = [];
  for (const m of ms) {
    const levels = levelsFor(m, direction);
    if (!levels?.every((l) => isOnGrid(l.price, m.priceRanges))) return null;
    legs.push({ m, levels });
  }
  const payout = setPayout(direction, legs.length);
  const at = (n: Count) => {
    let cost = 0;
    let fee = 0;
    const out: ArbLeg[] = [];
    for (const { m, levels } of legs) {
      const w = walkCost(levels, n, m.feeMultiplierE4);
      if (!w) return null;
      cost += w.cost;
      fee += w.fee;
      out.push({
        ticker: m.ticker,
        side: direction === "yes" ? "bid" : "ask",
        price: w.worst.price,
        legPrice: w.worst.legPrice,
        available: levels.reduce((a, l) => a + l.size, 0),
        feeMicros: w.fee,
      });
    }
    return { cost, fee, legs: out, edge: payout * n - cost - fee };
  };
  // Whole contracts: fractional sizes are not enabled on every market.
  let best: { n: Count; r: NonNullable<ReturnType<typeof at>> } | null = null;
  let prevEdge = 0;
  for (let n = COUNT_ONE; n <= params.maxSets; n += COUNT_ONE) {
    const r = at(n);
    if (!r) break;
    // The marginal set must carry min_edge on its own and be profitable after fees.
    if (r.edge - prevEdge < params.minEdgeMicros || r.edge - prevEdge <= 0) break;
    best = { n, r };
    prevEdge = r.edge;
  }
  if (!best) {
    // Report the one-set price for the scan even when it does not pay (meetsEdge rejects it).
    const r = at(COUNT_ONE);
    if (!r) return null;
    best = { n: COUNT_ONE, r };
  }
  const { n, r } = best;
  return {
    eventTicker: event.eventTicker,
    direction,
    legs: r.legs,
    count: n,
    costMicros: r.cost,
    feeMicros: r.fee,
    payoutMicros: payout * n,
    edgeMicros: r.edge,
  };
}

/** True when the edge after fees is positive and at least min_edge per set. */
export function meetsEdge(o: ArbOpportunity, params: EventArbitrageParams): boolean {
  // edge ≥ minEdge × sets, with sets = count / 100, kept integral by multiplying through.
  return o.edgeMicros > 0 && o.edgeMicros * COUNT_ONE >= params.minEdgeMicros * o.count;
}

export function findArbitrage(
  event: EventView,
  markets: ReadonlyMap<string, MarketView>,
  params: EventArbitrageParams,
): ArbOpportunity | null {
  const ms = eventMarkets(event, markets);
  if (!ms) return null;
  let best: ArbOpportunity | null = null;
  const dirs: ArbDirection[] = [];
  if (params.yesSide && event.exhaustive === true) dirs.push("yes");
  if (params.noSide) dirs.push("no");
  for (const d of dirs) {
    const o = priceSet(event, ms, d, params);
    if (o && meetsEdge(o, params) && (!best || o.edgeMicros > best.edgeMicros)) best = o;
  }
  return best;
}

/**
 * A cheap necessary condition for findArbitrage: some allowed direction whose first set, at the
 * top of book and before fees, costs less than it pays. The first set's cost is at least that
 * (fees are not negative, deeper levels are dearer), and without a paying first set no set pays.
 */
export function mayPay(event: EventView, markets: ReadonlyMap<string, MarketView>, params: EventArbitrageParams): boolean {
  const ms = eventMarkets(event, markets);
  if (!ms) return false;
  const dirs: ArbDirection[] = [];
  if (params.yesSide && event.exhaustive === true) dirs.push("yes");
  if (params.noSide) dirs.push("no");
  return dirs.some((d) => {
    let cost = 0;
    for (const m of ms) {
      const leg = legFor(m, d);
      if (!leg) return false;
      cost += leg.legPrice;
    }
    return cost < setPayout(d, ms.length);
  });
}

export const arbGroupKey = (eventTicker: string, direction: ArbDirection, nowMs: number): string =>
  `${EVENT_ARBITRAGE}:${eventTicker}:${direction}:${nowMs}`;

export function arbIntents(o: ArbOpportunity, params: EventArbitrageParams, nowMs: number): CreateIntent[] {
  const groupKey = arbGroupKey(o.eventTicker, o.direction, nowMs);
  const n = o.legs.length;
  // Each leg carries its share of the set's edge so that a table summing legs shows the set's edge.
  const share = Math.trunc(o.edgeMicros / n);
  const sets = o.count / COUNT_ONE;
  return o.legs.map((l, i) => ({
    kind: "create",
    strategy: EVENT_ARBITRAGE,
    ticker: l.ticker,
    eventTicker: o.eventTicker,
    side: l.side,
    price: l.price,
    count: o.count,
    timeInForce: params.timeInForce,
    postOnly: false,
    reduceOnly: false,
    reason:
      `${o.direction.toUpperCase()} set of ${n} legs x${sets}: cost+fees $${formatMicrosAs4dp(o.costMicros + o.feeMicros)} ` +
      `for payout $${formatMicrosAs4dp(o.payoutMicros)}, edge $${formatMicrosAs4dp(o.edgeMicros)} (leg ${i + 1}/${n})`,
    edgeMicros: i === 0 ? o.edgeMicros - share * (n - 1) : share,
    feeMicros: l.feeMicros,
    groupKey,
  }));
}

export const eventArbitrage: Strategy<EventArbitrageParams> = {
  name: EVENT_ARBITRAGE,
  needsDepth: () => false,
  // An event without an opportunity at its current book adds nothing to the output; nowMs is only
  // the sets' group key.
  relevance: {
    unit: "event",
    test: (ev, markets, params) => mayPay(ev, markets, params) && findArbitrage(ev, markets, params) !== null,
  },
  // Depth only where the top of book already shows a set worth buying: the walk then takes every
  // deeper level that still pays after fees (the other events cost no order-book requests).
  depthFor(markets, events, params) {
    const out: string[] = [];
    const one = { ...params, maxSets: COUNT_ONE };
    // mayPay first: a necessary condition, far cheaper than pricing every event's set.
    for (const ev of events.values()) if (mayPay(ev, markets, one) && findArbitrage(ev, markets, one)) out.push(...ev.marketTickers);
    return out;
  },
  decide(input: StrategyInput<EventArbitrageParams>): Intent[] {
    const busy = new Set(input.portfolio.restingOrders.filter((o) => o.strategy === EVENT_ARBITRAGE).map((o) => o.ticker));
    const out: Intent[] = [];
    const events = [...input.events.values()].sort((a, b) => (a.eventTicker < b.eventTicker ? -1 : a.eventTicker > b.eventTicker ? 1 : 0));
    for (const ev of events) {
      // A set still in flight (IOC leg not yet reported) must not be doubled.
      if (ev.marketTickers.some((t) => busy.has(t))) continue;
      const o = findArbitrage(ev, input.markets, input.params);
      if (o) out.push(...arbIntents(o, input.params, input.nowMs));
    }
    return out;
  },
};

// ---- repairing a broken set ----------------------------------------------------------------------

export interface ArbSetLeg {
  ticker: string;
  /** The book side the leg was bought on (bid = YES leg, ask = NO leg). */
  side: BookSide;
  /** Contracts of this leg the set holds (filled so far). */
  filled: Count;
}

export interface ArbSetState {
  groupKey: string;
  eventTicker: string;
  legs: ArbSetLeg[];
}

export interface ArbRepair {
  action: "done" | "complete" | "unwind" | "wait";
  intents: CreateIntent[];
  reason: string;
  /** Forward value of the chosen action (payout of the resulting sets + proceeds − new costs). */
  valueMicros?: Micros;
}

/**
 * What to do with a set whose legs filled unevenly (FOK legs that were killed, IOC partials). Sunk
 * costs are ignored; the two candidates are compared on what they still pay and cost:
 *   complete: buy the missing contracts of the short legs at the current touch, holding max(filled)
 *             full sets: value = payout × max − cost − fees;
 *   unwind:   sell the excess of the long legs (reduce_only) at the current touch, holding min(filled)
 *             full sets: value = payout × min + proceeds − fees.
 * Completion needs the whole shortfall available at the touch; an unwind sells what the touch takes
 * and the engine calls this again next cycle for the rest. `wait`: neither is possible now (a market
 * not active or one side of the book empty); the position stays recorded under its groupKey.
 */
export function repairArbSet(
  set: ArbSetState,
  markets: ReadonlyMap<string, MarketView>,
  opts: { timeInForce?: TimeInForce } = {},
): ArbRepair {
  const tif = opts.timeInForce ?? "immediate_or_cancel";
  const n = set.legs.length;
  if (n === 0) return { action: "done", intents: [], reason: "empty set" };
  const direction: ArbDirection = set.legs[0]?.side === "bid" ? "yes" : "no";
  if (set.legs.some((l) => (l.side === "bid") !== (direction === "yes"))) {
    return { action: "wait", intents: [], reason: "legs of mixed direction: not an arbitrage set, left for the operator" };
  }
  const max = Math.max(...set.legs.map((l) => l.filled));
  const min = Math.min(...set.legs.map((l) => l.filled));
  if (max === min) return { action: "done", intents: [], reason: max === 0 ? "nothing filled" : `complete: ${max / COUNT_ONE} sets` };
  const payout = setPayout(direction, n);
  const base = (l: ArbSetLeg) => ({
    strategy: EVENT_ARBITRAGE,
    ticker: l.ticker,
    eventTicker: set.eventTicker,
    timeInForce: tif,
    postOnly: false,
    groupKey: set.groupKey,
  });

  // Complete: short legs buy on the same side as before.
  let completeCost = 0;
  let completeOk = true;
  const completes: CreateIntent[] = [];
  for (const l of set.legs) {
    const need = max - l.filled;
    if (need === 0) continue;
    const m = markets.get(l.ticker);
    const leg = m && m.status === "active" ? legFor(m, direction) : null;
    if (!m || !leg || leg.available < need || !isOnGrid(leg.price, m.priceRanges)) {
      completeOk = false;
      break;
    }
    const fee = takerFee(leg.legPrice, need, m.feeMultiplierE4);
    completeCost += leg.legPrice * need + fee;
    completes.push({
      kind: "create",
      ...base(l),
      side: l.side,
      price: leg.price,
      count: need,
      reduceOnly: false,
      reason: `complete set ${set.groupKey}: buy ${need / COUNT_ONE} missing`,
      feeMicros: fee,
    });
  }
  const completeValue = payout * max - completeCost;

  // Unwind: long legs sell their excess into the opposite side of the book.
  let proceeds = 0;
  let sold = 0;
  const unwinds: CreateIntent[] = [];
  for (const l of set.legs) {
    const excess = l.filled - min;
    if (excess === 0) continue;
    const m = markets.get(l.ticker);
    if (m?.status !== "active") continue;
    // Selling a YES leg hits the YES bid (ask side); selling a NO leg lifts the YES ask (bid side).
    const px = l.side === "bid" ? m.yesBid : m.yesAsk;
    const size = l.side === "bid" ? m.yesBidSize : m.yesAskSize;
    if (px === null || px <= 0 || px >= PRICE_ONE || !isOnGrid(px, m.priceRanges)) continue;
    const q = Math.min(excess, Math.floor(size / COUNT_ONE) * COUNT_ONE);
    if (q <= 0) continue;
    const recv = l.side === "bid" ? px : PRICE_ONE - px;
    const fee = takerFee(recv, q, m.feeMultiplierE4);
    proceeds += recv * q - fee;
    sold += q;
    unwinds.push({
      kind: "create",
      ...base(l),
      side: l.side === "bid" ? "ask" : "bid",
      price: px,
      count: q,
      reduceOnly: true,
      reason: `unwind set ${set.groupKey}: sell ${q / COUNT_ONE} excess`,
      feeMicros: fee,
    });
  }
  const totalExcess = set.legs.reduce((a, l) => a + (l.filled - min), 0);
  const unwindFull = sold === totalExcess;
  const unwindValue = payout * min + proceeds;

  if (completeOk && (!unwindFull || completeValue >= unwindValue)) {
    return {
      action: "complete",
      intents: completes,
      valueMicros: completeValue,
      reason: `complete to ${max / COUNT_ONE} sets (value $${formatMicrosAs4dp(completeValue)} vs unwind $${formatMicrosAs4dp(unwindValue)})`,
    };
  }
  if (unwinds.length > 0) {
    return {
      action: "unwind",
      intents: unwinds,
      valueMicros: unwindValue,
      reason: `unwind to ${min / COUNT_ONE} sets${unwindFull ? "" : " (partly: the book is thin)"}`,
    };
  }
  return { action: "wait", intents: [], reason: "neither completion nor unwind is possible at the current book" };
}
