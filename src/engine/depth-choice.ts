// Which markets of a cycle need full depth read over REST: a strategy wants depth there
// (`needsDepth` per market, `depthFor` per event) and no trusted live book already gave it. Asking
// every strategy about 10,000 markets and 1,700 events each cycle cost 3-10 ms of a warm daemon
// cycle; between full loads the market map logs what changed (market-changes.ts), so only the
// changed markets, those whose entries in the portfolio changed, and the events that list one of
// them, are asked again (issue 14, goal 3).
import type { EventView, MarketView, PortfolioView, Strategy } from "../strategies/types.ts";
import { sameValue } from "./decision-cache.ts";
import { legsByTicker, type LegIndex } from "./event-legs.ts";
import { seenOf, TrackedMarkets, type MarketsSeen } from "./market-changes.ts";

type Asker = { strategy: Strategy<unknown>; params: unknown };

/** From scratch: every ticker of `markets` some strategy wants depth in (with a book already or not). */
export function depthWanted(
  markets: ReadonlyMap<string, MarketView>,
  events: ReadonlyMap<string, EventView>,
  strategies: readonly Asker[],
  portfolio: PortfolioView | undefined,
): Set<string> {
  const out = new Set(strategies.flatMap((s) => s.strategy.depthFor?.(markets, events, s.params, portfolio) ?? []));
  for (const m of markets.values())
    if (!out.has(m.ticker) && strategies.some((s) => s.strategy.needsDepth(m, s.params, portfolio))) out.add(m.ticker);
  return out;
}

export class DepthChoice {
  /** Markets some strategy's `needsDepth` answered true for. */
  private readonly needs = new Set<string>();
  /** Per event, what the strategies' `depthFor` named for it alone. */
  private readonly byEvent = new Map<string, string[]>();
  /** Per ticker, how many events' answers name it. */
  private readonly named = new Map<string, number>();
  /** Per ticker, the events that list it (rebuilt when the events change). */
  private legs: LegIndex = new Map();
  /** What the last answer was made from: where the market map stood, the strategies (`key`), the portfolio, the events. */
  private last: {
    seen: MarketsSeen | null;
    key: string;
    portfolio: PortfolioView | undefined;
    events: ReadonlyMap<string, EventView>;
  } | null = null;

  /**
   * The tickers of `markets` to read depth for: wanted by a strategy, no book yet. `key` is equal to
   * the last call's only when the strategies and their parameters are the same. Then, with the same
   * event objects and the map's log reaching back to the last call, only the markets logged since,
   * those whose portfolio entries changed, and the events listing one of them are asked again: a
   * strategy's `needsDepth` reads its market's view and portfolio entries, and `depthFor` answers
   * event by event (src/strategies/types.ts).
   */
  want(
    markets: ReadonlyMap<string, MarketView>,
    events: ReadonlyMap<string, EventView>,
    strategies: readonly Asker[],
    portfolio: PortfolioView | undefined,
    key: string,
  ): string[] {
    const last = this.last;
    // Until this answer is complete, the next one starts from scratch (a strategy that throws leaves it half done).
    this.last = null;
    // A map that logs nothing (REST only: every view reloaded each cycle): nothing to keep.
    if (!(markets instanceof TrackedMarkets))
      return [...depthWanted(markets, events, strategies, portfolio)].filter((t) => markets.has(t) && !markets.get(t)!.book);
    const logged = last !== null && last.key === key && sameEvents(last.events, events) ? markets.changesSince(last.seen) : null;
    if (logged === null || !last) this.rebuild(markets, events, strategies, portfolio);
    else {
      const changed = new Set(logged);
      for (const t of holdingsChanged(last.portfolio, portfolio)) changed.add(t);
      const dirtyEvents = new Set<string>();
      for (const t of changed) {
        this.ask(t, markets.get(t), strategies, portfolio);
        for (const e of this.legs.get(t) ?? []) dirtyEvents.add(e);
      }
      for (const e of dirtyEvents) {
        const ev = events.get(e);
        if (ev) this.askEvent(ev, markets, strategies, portfolio);
      }
    }
    this.last = { seen: seenOf(markets), key, portfolio, events };
    const out: string[] = [];
    for (const t of this.needs) if (!markets.get(t)?.book && markets.has(t)) out.push(t);
    for (const t of this.named.keys()) if (!this.needs.has(t) && markets.has(t) && !markets.get(t)!.book) out.push(t);
    return out;
  }

  private rebuild(
    markets: ReadonlyMap<string, MarketView>,
    events: ReadonlyMap<string, EventView>,
    strategies: readonly Asker[],
    portfolio: PortfolioView | undefined,
  ): void {
    this.needs.clear();
    this.byEvent.clear();
    this.named.clear();
    for (const [t, m] of markets) this.ask(t, m, strategies, portfolio);
    this.legs = legsByTicker(events);
    if (strategies.some((s) => s.strategy.depthFor)) for (const ev of events.values()) this.askEvent(ev, markets, strategies, portfolio);
  }

  private ask(t: string, m: MarketView | undefined, strategies: readonly Asker[], portfolio: PortfolioView | undefined): void {
    if (m !== undefined && strategies.some((s) => s.strategy.needsDepth(m, s.params, portfolio))) this.needs.add(t);
    else this.needs.delete(t);
  }

  private askEvent(
    ev: EventView,
    markets: ReadonlyMap<string, MarketView>,
    strategies: readonly Asker[],
    portfolio: PortfolioView | undefined,
  ): void {
    const one = new Map([[ev.eventTicker, ev]]);
    const now = strategies.flatMap((s) => s.strategy.depthFor?.(markets, one, s.params, portfolio) ?? []);
    for (const t of this.byEvent.get(ev.eventTicker) ?? []) {
      const n = this.named.get(t)! - 1;
      if (n === 0) this.named.delete(t);
      else this.named.set(t, n);
    }
    if (now.length === 0) this.byEvent.delete(ev.eventTicker);
    else {
      this.byEvent.set(ev.eventTicker, now);
      for (const t of now) this.named.set(t, (this.named.get(t) ?? 0) + 1);
    }
  }
}

/**
 * The tickers whose entries differ between two portfolios: position, resting orders (in their
 * order), each strategy's inventory. Cash and equity are not per ticker (no depth choice may read them).
 */
export function holdingsChanged(a: PortfolioView | undefined, b: PortfolioView | undefined): Set<string> {
  const x = byTicker(a);
  const y = byTicker(b);
  const out = new Set<string>();
  for (const [t, e] of x) if (!sameValue(e, y.get(t))) out.add(t);
  for (const t of y.keys()) if (!x.has(t)) out.add(t);
  return out;
}

function byTicker(
  p: PortfolioView | undefined,
): Map<string, { position?: unknown; orders: unknown[]; inventory: Array<[string, number]> }> {
  const out = new Map<string, { position?: unknown; orders: unknown[]; inventory: Array<[string, number]> }>();
  if (!p) return out;
  const at = (t: string) => {
    let e = out.get(t);
    if (!e) out.set(t, (e = { orders: [], inventory: [] }));
    return e;
  };
  for (const [t, pos] of p.positions) at(t).position = pos;
  for (const o of p.restingOrders) at(o.ticker).orders.push(o);
  for (const [name, inv] of p.inventory ?? []) for (const [t, q] of inv) at(t).inventory.push([name, q]);
  return out;
}

/** The same event objects under the same keys (a refresh between full loads keeps them). */
function sameEvents(a: ReadonlyMap<string, EventView>, b: ReadonlyMap<string, EventView>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [e, ev] of b) if (a.get(e) !== ev) return false;
  return true;
}
