// Incremental decisions for the daemon's cycle (issue 14, goal 3). Strategies are pure functions of
// their input, and a strategy that declares `relevance` (src/strategies/types.ts) says which markets
// or events can matter to its output. This cache keeps each market's (or event's) last verdict and
// re-tests only those whose inputs changed since: the market's view (every field, book included),
// the portfolio's entries for its ticker (position, resting orders, inventory), its presence in the
// scope, and for an event its own view and any of its markets. The strategy then decides over the
// relevant part only: by the contract, the same intents as over the whole scope, for a fraction of
// the work. Used in the daemon with live books, where most views are the same from one cycle to the
// next; a REST-only cycle reloads every view (new volumes, new objects), so comparing them would
// cost more than it saves (measured: scripts/bench/engine-cycle.ts --modes rest --decision-cache on,off).
//
// Time: a verdict may read nowMs (a closing time), and the contract says a false verdict stays false
// as time passes, so a kept "false" is safe; a kept "true" only keeps a market in the input, which
// never changes the output, except among the first `limit` of a `top` cut (it would push out one
// that belongs there): those few are re-tested every cycle.
//
// Work per cycle for a market-unit strategy is proportional to what changed: the changed markets are
// re-tested, the relevant ones are kept as a set, and a `top` cut is answered from a kept prefix of
// the strategy's order (ranking 8,000 relevant markets every cycle was most of its cost at 10,000).
//
// `verify` mode decides both ways and reports any difference: the check that the contract holds for
// the strategies as shipped, against a live exchange (test/engine/decision-cache-e2e.test.ts).
import type { EnabledStrategy } from "../strategies/index.ts";
import type { EventView, Intent, MarketView, PortfolioView, Relevance, StrategyInput } from "../strategies/types.ts";
import { legsByTicker, type LegIndex } from "./event-legs.ts";

/** What one strategy decides over this cycle. */
export interface DecisionInput {
  markets: ReadonlyMap<string, MarketView>;
  events: ReadonlyMap<string, EventView>;
}

interface Verdicts {
  params: unknown;
  /** Event unit: each event's last verdict. */
  byUnit: Map<string, boolean>;
  /** Market unit: the markets whose last verdict was true (a false one is simply absent). */
  relevant: Set<string>;
  /**
   * Market unit with `top`: the first relevant markets in the strategy's order (tickers, in that
   * order). Every relevant market not in it comes after `cutoff` (a view as it was ranked), or there
   * is none (`complete`). Null until built, or when it must be rebuilt from `relevant`.
   */
  prefix: { tickers: string[]; cutoff: MarketView | null; complete: boolean } | null;
  /** The cycle (begin count) these verdicts were brought up to date in: a cycle missed means re-testing all. */
  cycle: number;
}

export interface DecisionCacheStats {
  /** Units (markets or events) whose verdict was re-tested / reused in the last cycle, all strategies. */
  tested: number;
  reused: number;
}

export class DecisionCache {
  /**
   * The inputs as last seen, per ticker: a private copy (views can be changed in place later), or
   * with `immutableViews` the view objects themselves (the same object needs no comparison).
   */
  private readonly markets = new Map<string, MarketView>();
  /** The caller never changes a view in place (see the constructor). */
  private readonly immutable: boolean;
  private readonly holdings = new Map<string, string>();
  private readonly events = new Map<string, EventView>();
  private readonly verdicts = new Map<string, Verdicts>();
  /** Changed since the previous cycle (markets by ticker, events by event ticker). */
  private dirtyMarkets = new Set<string>();
  private dirtyEvents = new Set<string>();
  stats: DecisionCacheStats = { tested: 0, reused: 0 };
  /** Cycles begun: verdicts not updated in the previous one missed its changes. */
  private cycle = 0;

  /** `immutableViews`: the caller never changes a view (market or event) in place once handed over (the engine's promise). */
  constructor(opts: { immutableViews?: boolean } = {}) {
    this.immutable = opts.immutableViews === true;
  }

  /**
   * Start of a cycle's decisions: compare the scope and the portfolio with the previous cycle's and
   * note what changed. `markets` is what the strategies see (blocked markets already left out).
   */
  begin(
    markets: ReadonlyMap<string, MarketView>,
    events: ReadonlyMap<string, EventView>,
    portfolio: PortfolioView,
    /**
     * Optional (with `immutableViews`): the tickers whose view or presence in `markets` may differ
     * from the last begin's; the caller vouches that every other one is the same view object as
     * then. Only these are compared (10,000 markets a cycle, most of them the same).
     */
    changed?: ReadonlySet<string> | null,
  ): void {
    const dirty = new Set<string>();
    const holdings = holdingsByTicker(portfolio);
    const hinted = this.immutable && changed != null && this.cycle > 0;
    for (const t of hinted ? changed : markets.keys()) this.noteMarket(t, markets.get(t), dirty);
    if (!hinted) {
      for (const t of this.markets.keys()) if (!markets.has(t)) this.noteMarket(t, undefined, dirty);
    }
    for (const t of new Set([...holdings.keys(), ...this.holdings.keys()])) {
      const h = holdings.get(t);
      if (h !== this.holdings.get(t)) {
        dirty.add(t);
        if (h === undefined) this.holdings.delete(t);
        else this.holdings.set(t, h);
      }
    }
    const dirtyEvents = this.noteEvents(events, dirty);
    this.cycle++;
    this.dirtyMarkets = dirty;
    this.dirtyEvents = dirtyEvents;
    this.stats = { tested: 0, reused: 0 };
  }

  /** One market's view now (undefined: not in the scope): kept, and marked dirty when it changed. */
  private noteMarket(t: string, m: MarketView | undefined, dirty: Set<string>): void {
    if (m === undefined) {
      if (this.markets.delete(t)) dirty.add(t);
      return;
    }
    // With `immutableViews`, the very view object seen last cycle is the same input (the engine's
    // views are never changed in place: market-data.ts and live-view.ts make new ones, and
    // live-view.ts keeps the unchanged ones), so only new objects are compared field by field.
    const prev = this.markets.get(t);
    if (this.immutable && prev === m) return;
    if (prev === undefined || !sameView(prev, m)) {
      dirty.add(t);
      // A view that is never changed in place is its own copy (10,000 fewer objects kept).
      this.markets.set(t, this.immutable ? m : copyView(m));
    } else if (this.immutable) this.markets.set(t, m); // an equal new view replaces the old: one view a market held, not two
  }

  /**
   * The events whose view changed, or one of whose markets did. When every event is the same
   * object as last cycle (between full loads), the events of the dirty markets are found through
   * an index of legs instead of walking every event's markets.
   */
  private noteEvents(events: ReadonlyMap<string, EventView>, dirty: ReadonlySet<string>): Set<string> {
    const dirtyEvents = new Set<string>();
    let same = this.immutable && this.legs !== null && events.size === this.events.size;
    if (same) {
      for (const [e, ev] of events)
        if (this.events.get(e) !== ev) {
          same = false;
          break;
        }
    }
    if (same) {
      for (const t of dirty) for (const e of this.legs!.get(t) ?? []) dirtyEvents.add(e);
      return dirtyEvents;
    }
    for (const [e, ev] of events) {
      const prev = this.events.get(e);
      // With `immutableViews` the event seen last cycle is kept as is: the same object, the same event.
      const same = prev === ev || (prev !== undefined && sameEvent(prev, ev));
      if (!same) this.events.set(e, this.immutable ? ev : { ...ev, marketTickers: [...ev.marketTickers] });
      else if (this.immutable && prev !== ev) this.events.set(e, ev); // the old equal event is let go (issue 14: memory)
      if (!same || ev.marketTickers.some((t) => dirty.has(t))) dirtyEvents.add(e);
    }
    for (const e of this.events.keys()) {
      if (!events.has(e)) {
        dirtyEvents.add(e);
        this.events.delete(e);
      }
    }
    // Verdicts of events gone from the scope are forgotten (a daemon meets thousands over months);
    // a market's are dropped with its change (every market gone is in `dirty`).
    for (const v of this.verdicts.values()) {
      for (const k of v.byUnit.keys()) if (!events.has(k)) v.byUnit.delete(k);
    }
    if (this.immutable) {
      // The kept events are the caller's objects from here on: next cycle, the same objects mean the same events.
      for (const [e, ev] of events) this.events.set(e, ev);
      this.legs = legsByTicker(events);
    }
    return dirtyEvents;
  }
  /** Per market ticker, the events that list it (immutableViews, rebuilt whenever an event changed). */
  private legs: LegIndex | null = null;

  /** The part of the scope that can matter to `s` this cycle (all of it for a strategy without `relevance`). */
  inputFor(
    s: EnabledStrategy,
    markets: ReadonlyMap<string, MarketView>,
    events: ReadonlyMap<string, EventView>,
    portfolio: PortfolioView,
    nowMs: number,
  ): DecisionInput {
    const rel = s.strategy.relevance;
    if (!rel) return { markets, events };
    let v = this.verdicts.get(s.name);
    if (!v || v.params !== s.params || v.cycle !== this.cycle - 1) {
      // New parameters (strategies reloaded), or a cycle whose changes these verdicts missed: every verdict is re-tested.
      v = { params: s.params, byUnit: new Map(), relevant: new Set(), prefix: null, cycle: -1 };
      this.verdicts.set(s.name, v);
    }
    const fresh = v.cycle === -1;
    // Until brought up to date (a test that throws leaves them half done), these verdicts are not reused.
    v.cycle = -1;
    if (rel.unit === "market") {
      const out = this.marketsFor(rel, s.params, v, fresh, markets, portfolio, nowMs);
      v.cycle = this.cycle;
      return { markets: out, events };
    }
    const byUnit = v.byUnit;
    const out = new Map<string, EventView>();
    for (const [e, ev] of events) {
      let keep = this.dirtyEvents.has(e) ? undefined : byUnit.get(e);
      if (keep === undefined) {
        keep = rel.test(ev, markets, s.params, portfolio, nowMs);
        byUnit.set(e, keep);
        this.stats.tested++;
      } else this.stats.reused++;
      if (keep) out.set(e, ev);
    }
    v.cycle = this.cycle;
    return { markets, events: out };
  }

  /**
   * Market unit: only the markets changed since the last cycle are re-tested (all of them when
   * `fresh`); the others keep their verdict. With `top`, the first `limit` relevant markets in the
   * strategy's order come from the kept prefix of that order, merged with the changed markets,
   * without ranking every relevant market each cycle. The input is in that order (with `top`) or
   * in the order the markets turned relevant: the strategy must not depend on its map's order.
   */
  private marketsFor(
    rel: Extract<Relevance<unknown>, { unit: "market" }>,
    params: unknown,
    v: Verdicts,
    fresh: boolean,
    markets: ReadonlyMap<string, MarketView>,
    portfolio: PortfolioView,
    nowMs: number,
  ): Map<string, MarketView> {
    const { relevant } = v;
    const tested = new Set<string>();
    const test = (t: string, m: MarketView | undefined): boolean => {
      tested.add(t);
      const keep = m !== undefined && rel.test(m, params, portfolio, nowMs);
      if (keep) relevant.add(t);
      else relevant.delete(t);
      return keep;
    };
    const changed = fresh ? markets.keys() : this.dirtyMarkets;
    for (const t of changed) test(t, markets.get(t));
    const top = rel.top;
    const limit = top ? top.limit(params) : Infinity;
    const out = new Map<string, MarketView>();
    if (!top || limit === Infinity) {
      v.prefix = null;
      for (const t of relevant) out.set(t, markets.get(t)!);
    } else if (limit > 0) {
      // Ranked on the views as this cache last saw them (the current ones, for every market in scope).
      const viewOf = (t: string) => (this.immutable ? markets.get(t)! : this.markets.get(t)!);
      const order = (a: string, b: string) => top.order(viewOf(a), viewOf(b));
      const want = limit + PREFIX_SPARE;
      const cut = (tickers: string[], complete: boolean, cutoff: MarketView | null) =>
        tickers.length > want
          ? { tickers: tickers.slice(0, want), cutoff: viewOf(tickers[want - 1]!), complete: false }
          : { tickers, cutoff, complete };
      let p = fresh ? null : v.prefix;
      if (p) {
        // Its unchanged markets keep their rank; a changed one joins when relevant and no later than
        // the cut-off (every relevant market outside the prefix comes after it, unchanged ones still do).
        const joined = [...this.dirtyMarkets].filter((t) => relevant.has(t) && (p!.complete || top.order(viewOf(t), p!.cutoff!) <= 0));
        const kept = p.tickers.filter((t) => !this.dirtyMarkets.has(t));
        p = cut(joined.length ? [...kept, ...joined].sort(order) : kept, p.complete, p.cutoff);
      }
      for (;;) {
        if (!p || (!p.complete && p.tickers.length < limit)) {
          // Too few left to answer from: ranked again from every relevant market.
          const all = firstInOrder(relevant, order, want + 1);
          p = cut(all, all.length <= want, null);
        }
        // Time alone can turn a kept "true" false (a market now closing too soon): harmless outside
        // the cut, but one kept among the first `limit` would push out a market that belongs there.
        // So the prefix's own markets are re-tested each cycle (a few, never the whole scope).
        const still = p.tickers.filter((t) => tested.has(t) || test(t, markets.get(t)));
        p = { ...p, tickers: still };
        if (p.complete || still.length >= limit) break;
      }
      v.prefix = p;
      for (const t of p.tickers.slice(0, limit)) out.set(t, markets.get(t)!);
    }
    let inScope = 0;
    for (const t of tested) if (markets.has(t)) inScope++;
    this.stats.tested += inScope;
    this.stats.reused += markets.size - inScope;
    return out;
  }
}

/** Relevant markets ranked beyond a strategy's `top` limit, kept so that a few leaving it need no re-ranking. */
const PREFIX_SPARE = 32;

/**
 * The first `limit` items in `order` (as a sort then a slice would give them, for an order that
 * ties nothing): a small limit over thousands of relevant markets keeps a short sorted list
 * instead of sorting them all every cycle.
 */
function firstInOrder<T>(items: Iterable<T>, order: (a: T, b: T) => number, limit: number): T[] {
  if (limit <= 0) return [];
  if (limit > 64) return [...items].sort(order).slice(0, limit);
  const best: T[] = [];
  for (const x of items) {
    if (best.length === limit && order(x, best[limit - 1]!) >= 0) continue;
    let i = best.length;
    while (i > 0 && order(x, best[i - 1]!) < 0) i--;
    best.splice(i, 0, x);
    if (best.length > limit) best.pop();
  }
  return best;
}

/**
 * Verify mode: the intents decided over the pruned input against those over the whole scope. Null
 * when they are the same (in the same order), else a one-line description of the first difference.
 */
export function compareDecisions(cached: readonly Intent[], fresh: readonly Intent[]): string | null {
  const a = cached.map((i) => JSON.stringify(i));
  const b = fresh.map((i) => JSON.stringify(i));
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `intent ${i + 1} of ${b.length}: cache ${a[i] ?? "(none)"} vs fresh ${b[i] ?? "(none)"}`;
  }
  return null;
}

/**
 * Verify mode: decide again over the whole scope and report a difference as a warning (the daemon
 * goes on with the cached decision: verify is a diagnostic, not a fallback).
 */
export function verifyDecision(
  s: EnabledStrategy,
  cached: readonly Intent[],
  log: (level: "warn", msg: string) => void,
  whole: StrategyInput<unknown>,
): boolean {
  const diff = compareDecisions(cached, s.strategy.decide(whole));
  if (diff) log("warn", `decision cache: ${s.name} decided differently over the whole scope: ${diff}`);
  return diff === null;
}

/** One string per ticker the portfolio names: its position, resting orders and every strategy's inventory there. */
function holdingsByTicker(p: PortfolioView): Map<string, string> {
  const parts = new Map<string, string[]>();
  const add = (t: string, s: string) => {
    const l = parts.get(t);
    if (l) l.push(s);
    else parts.set(t, [s]);
  };
  for (const [t, pos] of p.positions) add(t, `p${pos.position}/${pos.costMicros}`);
  for (const o of p.restingOrders)
    add(
      o.ticker,
      `o${o.orderId}/${o.clientOrderId}/${o.side}/${o.price}/${o.remaining}/${o.filled ?? ""}/${o.strategy ?? ""}/${o.groupKey ?? ""}`,
    );
  for (const [name, inv] of p.inventory ?? []) for (const [t, q] of inv) add(t, `i${name}/${q}`);
  const out = new Map<string, string>();
  // Sorted: the same holdings in another order are the same input.
  for (const [t, l] of parts) out.set(t, l.sort().join(" "));
  return out;
}

function copyView(m: MarketView): MarketView {
  const c: MarketView = { ...m, priceRanges: m.priceRanges.map((r) => ({ ...r })) };
  if (m.book) c.book = { yes: m.book.yes.map(([p, q]) => [p, q]), no: m.book.no.map(([p, q]) => [p, q]) };
  return c;
}

function sameLevels(a: ReadonlyArray<readonly [number, number]>, b: ReadonlyArray<readonly [number, number]>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false;
  return true;
}

/** Every field of the view, whatever it holds (a field added to MarketView later is compared too). */
export function sameView(a: MarketView, b: MarketView): boolean {
  let n = 0;
  for (const k in b) {
    n++;
    const x: unknown = Reflect.get(a, k);
    const y: unknown = Reflect.get(b, k);
    if (x === y) continue;
    if (k === "book") {
      if (!a.book || !b.book || !sameLevels(a.book.yes, b.book.yes) || !sameLevels(a.book.no, b.book.no)) return false;
    } else if (!sameValue(x, y)) return false;
  }
  let m = 0;
  for (const _ in a) m++;
  return n === m;
}

/** Structural equality of plain data (maps, arrays, plain objects, primitives): a REST reload makes new objects with the same content. */
export function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
  if (x instanceof Map || y instanceof Map) {
    if (!(x instanceof Map) || !(y instanceof Map) || x.size !== y.size) return false;
    for (const [k, v] of x) if (!y.has(k) || !sameValue(v, y.get(k))) return false;
    return true;
  }
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameValue(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  let n = 0;
  for (const k in y) {
    n++;
    if (!sameValue(Reflect.get(x, k), Reflect.get(y, k))) return false;
  }
  for (const _ in x) n--;
  return n === 0;
}

function sameEvent(a: EventView, b: EventView): boolean {
  return (
    a.eventTicker === b.eventTicker &&
    a.seriesTicker === b.seriesTicker &&
    a.mutuallyExclusive === b.mutuallyExclusive &&
    a.exhaustive === b.exhaustive &&
    a.marketTickers.length === b.marketTickers.length &&
    a.marketTickers.every((t, i) => b.marketTickers[i] === t)
  );
}
