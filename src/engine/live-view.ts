// The engine's live-book view between cycles: the REST views of the last cycle with the trusted
// live books laid over them, what each market looked like when strategies last decided on it, the
// markets whose book moving wakes a reactive pass (the watch list), and per strategy the markets it
// touched. A cycle rebuilds it (setCycle, overlayLive, updateWatch, updateTouched); reactive
// passes read it and extend it (refreshView, noteDecided, noteIntents).
import type { EnabledStrategy } from "../strategies/index.ts";
import type { EventView, Intent, MarketView } from "../strategies/types.ts";
import type { StrategyDecision } from "./cycle.ts";
import type { Ledger } from "./ledger.ts";
import type { LiveBooks } from "./live-books.ts";
import type { MarketData } from "./market-data.ts";
import { TrackedMarkets } from "./market-changes.ts";

export interface LiveViewDeps {
  ledger: Ledger;
  /** The daemon's WebSocket books (null: REST only), set on the engine by the lifecycle. */
  live: () => LiveBooks | null;
  log: (level: "info" | "warn" | "debug" | "error", msg: string) => void;
}

export class LiveView {
  /** REST views of the last cycle, before any overlay (the base a live book is laid over). */
  restViews = new Map<string, MarketView>();
  /**
   * The view each market had when strategies last decided on it, where it has no overlaid entry
   * (`Overlaid.decided` holds it for the others: one table per market, not two). Only reactive
   * passes add here, and every overlay empties it (all its markets are among `passEdited`).
   */
  private readonly decidedElsewhere = new Map<string, MarketView>();
  /** Markets whose book moving may change a decision: bot orders rest there, a strategy wanted to
   * act there last time, or they are legs of a mutually exclusive event (arbitrage). */
  private watch = new Set<string>();
  /** Whether any strategy needs full depth in a market (set each cycle with its portfolio). */
  private wantsDepth: (m: MarketView) => boolean = () => true;

  constructor(private readonly d: LiveViewDeps) {}

  /**
   * A cycle's market data, before any overlay, and which markets a strategy wants full depth in.
   * `changed`: the markets whose REST view may differ from the last cycle's (the ones re-read), or
   * null when every one may (a full load). `depthKey`: equal to the last cycle's when `wantsDepth`
   * answers the same for the same view (same strategies, same portfolio), except for the markets in
   * `depthChanged` (those whose portfolio entries changed).
   */
  setCycle(
    md: MarketData,
    wantsDepth: (m: MarketView) => boolean,
    opts: { changed: ReadonlySet<string> | null; depthKey: string; depthChanged?: ReadonlySet<string> },
  ): void {
    // Derived from the REST views whose markets are those subscribed (the last overlay's), this
    // map's markets can differ from them only at `changed`: the scope is compared there alone.
    const live = this.subscribed;
    this.scopeHint =
      opts.changed !== null && live !== null && this.scopeBase !== null && this.scopeBase === this.restViews
        ? md.markets.size === live.scopeSize && [...opts.changed].every((t) => md.markets.has(t) === live.inScope(t))
        : null;
    // With live books the overlay follows (and copies it where it lays views over md.markets in
    // place); without, md.markets is changed later (REST depth), so it is copied now.
    this.restShared = this.d.live() !== null;
    this.restViews = this.restShared ? md.markets : new Map(md.markets);
    this.wantsDepth = wantsDepth;
    this.changedBases = opts.changed;
    if (opts.changed === null) this.stale = null;
    else if (this.stale) for (const t of opts.changed) this.stale.rebased.add(t);
    this.depthRecheck = opts.depthKey === this.depthKey ? (opts.depthChanged ?? EMPTY) : null;
    this.depthKey = opts.depthKey;
  }
  /** Whether this cycle's markets are the subscribed ones, known from `changed` alone (null: not known, compare them all). */
  private scopeHint: boolean | null = null;
  /** The REST views whose markets are exactly the subscribed ones (set by an overlay with the subscription up to date). */
  private scopeBase: ReadonlyMap<string, MarketView> | null = null;
  /** restViews is still md.markets itself (setCycle), which the overlay may change in place. */
  private restShared = false;
  private changedBases: ReadonlySet<string> | null = null;
  private depthKey = "";
  /** The markets whose depth choice may have changed since the last cycle (null: any of them). */
  private depthRecheck: ReadonlySet<string> | null = null;

  /**
   * Subscribe the live books to this cycle's markets and lay every trusted one over its REST view
   * (fresher top of book, full depth). Returns how many were trusted. A failing subscription is
   * logged and the cycle goes on over REST: the WebSocket is an accelerator, never a dependency.
   */
  async overlayLive(md: MarketData): Promise<number> {
    const live = this.d.live();
    if (!live) {
      this.scopeEpoch++;
      this.unshareRest();
      this.lastOverlay = null;
      this.scopeBase = null;
      return 0;
    }
    let reuse = true;
    let sameScope = true;
    // The same markets as the last subscription that went through: nothing to ask the exchange
    // (and no wait, during which the feed's frames would run inside the cycle).
    if (!this.sameScope(md.markets)) {
      sameScope = false;
      this.subscribed = null;
      try {
        await live.updateScope(md.markets.keys());
        this.subscribed = live;
      } catch (e) {
        reuse = false;
        this.d.log("warn", `live books: subscription update failed (${(e as Error).message}); REST for now, retried next cycle`);
      }
    }
    // Markets whose live book changed (or turned untrusted) since the last overlay.
    const dirty = this.takeDirty(live);
    const prev = this.lastOverlay;
    // Until this overlay completes, the next one starts from scratch (a throw here loses `dirty`).
    this.lastOverlay = null;
    // Between full loads, with the same scope and an open feed, only what changed since the last
    // overlay is laid again: the markets re-read over REST, those whose live book changed, and those
    // whose depth choice did (rebuilding or re-checking 10,000 views a cycle was most of its cost).
    if (sameScope && prev !== null && prev.live === live && this.changedBases !== null && live.usable) {
      const n = this.overlayChanged(live, md, prev.out, dirty);
      this.scopeBase = this.restViews;
      return n;
    }
    this.scopeEpoch++;
    // Until the subscription is brought up to date, the scope is compared in full. (overlayAll
    // leaves md.markets' REST map as it is: restViews, shared or not, stays these REST views.)
    this.scopeBase = this.subscribed === live ? this.restViews : null;
    return this.overlayAll(live, md, new Set(dirty), reuse);
  }

  /** The live books' change notices since the last overlay (some may have been taken earlier, by staleBases). */
  private takeDirty(live: LiveBooks): string[] {
    const out = this.pendingFrom === live ? this.pendingDirty : [];
    this.pendingDirty = [];
    const taken = live.takeDirty();
    // staleBases must see these too (a trust change among them).
    if (this.stale?.live === live) for (const t of taken) this.stale.noticed.push(t);
    return out.length ? [...out, ...taken] : taken;
  }
  private pendingDirty: string[] = [];
  private pendingFrom: LiveBooks | null = null;

  /**
   * The markets of restViews a refresh must re-read over REST: those whose live book is not trusted
   * and those past their close time. A book's trust changes only with a notice while the books are
   * usable and the scope the same (live-books.ts), and a close time only with a re-read REST view:
   * so between full loads and full overlays only the noticed and re-read markets are asked again,
   * with the untrusted and closing ones kept from the last call (10,000 checks a cycle otherwise).
   */
  staleBases(live: LiveBooks, now: number): string[] {
    const taken = live.takeDirty();
    if (this.pendingFrom !== live) this.pendingDirty = [];
    this.pendingFrom = live;
    for (const t of taken) this.pendingDirty.push(t);
    const trusted = live.trustCheck();
    let st = this.stale;
    if (!st || st.live !== live || st.epoch !== this.scopeEpoch || !live.usable) {
      // From scratch: every market's trust, the close times in order.
      const untrusted = new Set<string>();
      const closing: Array<[number, string]> = [];
      for (const [t, m] of this.restViews) {
        if (!trusted(t)) untrusted.add(t);
        if (m.closeTimeMs !== null) closing.push([m.closeTimeMs, t]);
      }
      closing.sort((a, b) => a[0] - b[0]);
      st = { live, epoch: this.scopeEpoch, untrusted, closing, next: 0, closed: new Set(), rebased: new Set(), noticed: [] };
      this.stale = live.usable ? st : null;
    } else {
      for (const t of [...st.noticed, ...taken]) {
        if (trusted(t)) st.untrusted.delete(t);
        else st.untrusted.add(t);
      }
      st.noticed = [];
    }
    // Close times passed since the last call (as the views had them when ordered; re-read ones are in `rebased`).
    while (st.next < st.closing.length && st.closing[st.next]![0] <= now) st.closed.add(st.closing[st.next++]![1]);
    const out: string[] = [];
    const seen = new Set<string>();
    for (const set of [st.untrusted, st.closed, st.rebased])
      for (const t of set) {
        if (seen.has(t)) continue;
        seen.add(t);
        const m = this.restViews.get(t);
        if (m && (!trusted(t) || (m.closeTimeMs !== null && m.closeTimeMs <= now))) out.push(t);
      }
    return out;
  }
  /** staleBases' state: valid while the live books, the overlay's scope epoch and (setCycle) the REST load's markets are the same. */
  private stale: {
    live: LiveBooks;
    epoch: number;
    untrusted: Set<string>;
    closing: Array<[number, string]>;
    next: number;
    closed: Set<string>;
    rebased: Set<string>;
    /** Notices the overlay took from the live books since the last call. */
    noticed: string[];
  } | null = null;

  /** restViews as its own map (the overlay then changes md.markets in place). */
  private unshareRest(): void {
    if (this.restShared) this.restViews = new Map(this.restViews);
    this.restShared = false;
  }

  /**
   * Every market: a trusted live book laid over its REST view. A market whose live book, REST base
   * and depth choice did not change keeps last cycle's overlaid view (new objects would defeat the
   * decision cache's identity check). Trust is checked for each market.
   */
  private overlayAll(live: LiveBooks, md: MarketData, dirty: ReadonlySet<string>, reuse: boolean): number {
    const overlaid = this.overlaid;
    if (!reuse) overlaid.clear();
    let n = 0;
    // Entries laid or kept by this overlay carry its epoch (overlayLive raised it); the rest are dropped below.
    const epoch = this.scopeEpoch;
    const trusted = live.trustCheck();
    const rest = md.markets;
    // The overlaid map is made as the views are laid, in md.markets' order; md.markets, left as
    // loaded, stays the REST views (no copy of 10,000 entries kept aside first, then another made).
    const out = new TrackedMarkets([]);
    for (const [t, m] of rest) {
      const depth = this.wantsDepth(m);
      const prev = overlaid.get(t);
      let o: MarketView | null;
      if (prev && prev.depth === depth && (dirty.has(t) ? this.keepsView(live, prev, m, depth) : prev.base === m && trusted(t))) {
        o = prev.view;
        // Strategies decide on this overlay's view from here on.
        prev.decided = o;
        prev.epoch = epoch;
      } else {
        o = this.overlayOne(live, m, depth);
        if (o) overlaid.set(t, { base: m, view: o, depth, decided: o, epoch });
        else overlaid.delete(t);
      }
      if (o) n++;
      out.init(t, o ?? m);
    }
    // Markets gone from the scope are forgotten.
    if (overlaid.size > n) for (const [t, e] of overlaid) if (e.epoch !== epoch) overlaid.delete(t);
    this.decidedElsewhere.clear();
    this.passEdited.clear();
    // A new map: whoever kept something per market compares it all this cycle.
    // restViews was md.markets' REST map or a copy of it: either way not the map handed out from here on.
    this.restShared = false;
    out.checkpoint();
    md.markets = out;
    this.lastOverlay = { live, out };
    return n;
  }

  /**
   * Only the markets that changed since the last overlay (same scope, feed open): `out` is the map
   * the last overlay handed out, first put back as that overlay laid it (the cycle's depth reads and
   * reactive passes changed some views in it since), then changed where its views change and handed
   * out again. Every other market's REST view, live book (its changes are in `dirty`, trust
   * included) and depth choice are the same as then, so its overlaid view (or REST view, untrusted) is too.
   */
  private overlayChanged(live: LiveBooks, md: MarketData, out: TrackedMarkets, dirty: readonly string[]): number {
    const overlaid = this.overlaid;
    // Back to the views this overlay laid last time.
    out.revert();
    const changed = new Set<string>(this.changedBases);
    for (const t of dirty) changed.add(t);
    // A new strategy set may change where depth is wanted: asked again of each overlaid market; a
    // new portfolio only of the markets whose entries in it changed.
    if (this.depthRecheck === null) {
      for (const [t, e] of overlaid) if (e.depth !== this.wantsDepth(e.base)) changed.add(t);
    } else
      for (const t of this.depthRecheck) {
        const e = overlaid.get(t);
        if (e && e.depth !== this.wantsDepth(e.base)) changed.add(t);
      }
    for (const t of changed) {
      const m = md.markets.get(t);
      if (!m) continue;
      const depth = this.wantsDepth(m);
      const prev = overlaid.get(t);
      if (prev && this.keepsView(live, prev, m, depth)) {
        prev.decided = prev.view;
        prev.epoch = this.scopeEpoch;
        if (out.get(t) !== prev.view) out.set(t, prev.view);
        continue;
      }
      const o = this.overlayOne(live, m, depth);
      if (o) overlaid.set(t, { base: m, view: o, depth, decided: o, epoch: this.scopeEpoch });
      else overlaid.delete(t);
      out.set(t, o ?? m);
    }
    // What reactive passes noted as decided since goes back to this cycle's view.
    for (const t of this.passEdited) {
      const e = overlaid.get(t);
      if (e) e.decided = e.view;
    }
    this.decidedElsewhere.clear();
    this.passEdited.clear();
    // restViews stays md.markets' REST map; the strategies get the overlaid one, whose log names
    // every ticker changed since a consumer last looked (market-changes.ts).
    this.restShared = false;
    out.checkpoint();
    md.markets = out;
    this.lastOverlay = { live, out };
    return overlaid.size;
  }
  /** Overlays that were not incremental: while it stays the same, md.markets has the same markets. */
  private scopeEpoch = 0;
  /** The live books the last overlay read and the map it handed out (its checkpoint is the overlay's result). */
  private lastOverlay: { live: LiveBooks; out: TrackedMarkets } | null = null;
  /** Markets whose `decided` view a reactive pass changed since the last overlay. */
  private readonly passEdited = new Set<string>();

  /** The live books of the last subscription update that succeeded (their scope is then its markets: no copy kept here). */
  private subscribed: LiveBooks | null = null;

  private sameScope(markets: ReadonlyMap<string, MarketView>): boolean {
    const live = this.subscribed;
    if (live === null || live !== this.d.live() || markets.size !== live.scopeSize) return false;
    if (this.scopeHint !== null) return this.scopeHint;
    for (const t of markets.keys()) if (!live.inScope(t)) return false;
    return true;
  }

  /** Last overlay per market (see Overlaid). */
  private readonly overlaid = new Map<string, Overlaid>();

  /** The view strategies last decided on for `ticker` (see `moved`). */
  private decided(ticker: string): MarketView | undefined {
    return this.overlaid.get(ticker)?.decided ?? this.decidedElsewhere.get(ticker);
  }

  private setDecided(ticker: string, m: MarketView): void {
    const e = this.overlaid.get(ticker);
    if (e) e.decided = m;
    else this.decidedElsewhere.set(ticker, m);
    this.passEdited.add(ticker);
  }

  /**
   * A market whose book changed only below its top (most book deltas) keeps its last overlaid view
   * when that view carries no depth: the same REST view under the same live top makes an equal
   * view, so the old object stands (no new one for the collector, and the decision cache, which
   * compares views by identity, sees no change). Depth views are laid again: their levels changed.
   */
  private keepsView(live: LiveBooks, prev: Overlaid, m: MarketView, depth: boolean): boolean {
    return !depth && !prev.depth && prev.base === m && live.topIs(m.ticker, prev.view) === true;
  }

  /**
   * One REST view with its trusted live book laid over it, or null. Full depth only where a
   * strategy asks for it (building level arrays for every one of 10,000 markets each cycle was a
   * large share of the cycle); elsewhere only the live top of book replaces the REST one.
   */
  private overlayOne(live: LiveBooks, m: MarketView, depth = this.wantsDepth(m)): MarketView | null {
    if (depth) return live.overlay(m);
    const top = live.top(m.ticker);
    return top ? { ...m, ...top } : null;
  }

  /**
   * The engine's wake-up filter for reactive passes (called on every book update, so cheap): true
   * when `ticker` is watched and its trusted live top of book differs from what the last decision saw.
   */
  moved(ticker: string): boolean {
    const live = this.d.live();
    if (!live || !(this.watch.has(ticker) || this.watchLegs.has(ticker))) return false;
    // Untrusted (null): not moved; no decision yet (false): moved.
    return live.topIs(ticker, this.decided(ticker)) === false;
  }

  /** Our own order changed `ticker`'s live top: the decision that sent it expected that. */
  ownMove(ticker: string): void {
    const top = this.d.live()?.top(ticker);
    const d = this.decided(ticker);
    if (top && d) this.setDecided(ticker, { ...d, ...top });
  }

  /** refreshView's answer without storing it (the narrow path's warm-up: reads only). */
  peekView(md: MarketData, ticker: string): MarketView | undefined {
    const base = this.restViews.get(ticker);
    const live = this.d.live();
    if (!base || !live) return md.markets.get(ticker);
    return this.overlayOne(live, base) ?? base;
  }

  /**
   * The freshest view of `ticker` for a reactive pass: the live book laid over the cycle's REST view
   * (or that REST view when the live book is not trusted), stored into `md`.
   */
  refreshView(md: MarketData, ticker: string): MarketView | undefined {
    const v = this.peekView(md, ticker);
    if (v) md.markets.set(ticker, v);
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

  updateTouched(decisions: readonly StrategyDecision[]): void {
    const t = new Map<string, Set<string>>();
    for (const d of decisions) t.set(d.strategy, new Set(d.intents.map((i) => i.ticker)));
    for (const r of this.d.ledger.ordersWithStatus(["resting"])) {
      if (r.origin !== "bot" || !r.strategy) continue;
      if (!t.has(r.strategy)) t.set(r.strategy, new Set());
      t.get(r.strategy)!.add(r.ticker);
    }
    this.touched = t;
  }

  passMarkets(s: EnabledStrategy, woken: ReadonlySet<string>): ReadonlySet<string> | null {
    if (s.betweenCycles === "every_market") return null;
    const mine = this.touched.get(s.name) ?? new Set<string>();
    if (s.betweenCycles === "own_markets") return mine;
    return new Set([...mine, ...woken]);
  }

  /** See `watch`. */
  updateWatch(md: MarketData, intents: readonly Intent[], strategies: readonly EnabledStrategy[]): void {
    if (!this.d.live()) return;
    const w = new Set<string>();
    for (const r of this.d.ledger.ordersWithStatus(["resting"])) if (r.origin === "bot" && md.markets.has(r.ticker)) w.add(r.ticker);
    for (const i of intents) if (md.markets.has(i.ticker)) w.add(i.ticker);
    this.watch = w;
    this.watchLegs = strategies.some((s) => s.watchesEventLegs) ? this.eventLegs(md) : EMPTY;
  }

  /**
   * Every leg of the mutually exclusive events whose legs are all in scope. The same as last time
   * when the events are the same objects and every overlay since was incremental (the same markets):
   * then not walked again (10,000 legs a cycle).
   */
  private eventLegs(md: MarketData): ReadonlySet<string> {
    const c = this.legsCache;
    if (c && c.epoch === this.scopeEpoch && c.events.size === md.events.size) {
      let same = true;
      for (const [e, ev] of md.events)
        if (c.events.get(e) !== ev) {
          same = false;
          break;
        }
      if (same) return c.legs;
    }
    const legs = new Set<string>();
    for (const ev of md.events.values()) {
      if (!ev.mutuallyExclusive || ev.marketTickers.length < 2) continue;
      if (ev.marketTickers.every((t) => md.markets.has(t))) for (const t of ev.marketTickers) legs.add(t);
    }
    this.legsCache = { epoch: this.scopeEpoch, events: new Map(md.events), legs };
    return legs;
  }
  /** Legs watched for arbitrage (see `watch`), kept apart from the rest: they seldom change. */
  private watchLegs: ReadonlySet<string> = EMPTY;
  private legsCache: { epoch: number; events: Map<string, EventView>; legs: ReadonlySet<string> } | null = null;

  /** A pass decided on these markets' current views: the next wake-up compares with them. */
  noteDecided(md: MarketData, woken: ReadonlySet<string>): void {
    for (const t of woken) {
      const m = md.markets.get(t);
      if (m) this.setDecided(t, m);
    }
  }

  /** The watch list and touched markets grow with what a pass decided (the next cycle rebuilds them). */
  noteIntents(md: MarketData, intents: readonly Intent[]): void {
    for (const i of intents) {
      if (!md.markets.has(i.ticker)) continue;
      this.watch.add(i.ticker);
      if (!this.touched.has(i.strategy)) this.touched.set(i.strategy, new Set());
      this.touched.get(i.strategy)!.add(i.ticker);
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * One market's last overlay: the REST view it was laid over, whether with full depth, the result,
 * and the view strategies last decided on there (the result, or what a reactive pass saw since).
 * `epoch`: the scopeEpoch of the overlay that laid or kept it.
 */
interface Overlaid {
  readonly base: MarketView;
  readonly view: MarketView;
  readonly depth: boolean;
  decided: MarketView;
  epoch: number;
}
