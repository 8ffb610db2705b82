// Live order books for daemon mode (issue 6: "WebSocket between cycles when running as a daemon").
//
// One KalshiWs connection carries, for the markets in scope:
//   orderbook_delta → local books (snapshot + signed deltas, seq-checked per sid by KalshiWs)
//   trade           → a bounded ring of public prints per market, for the paper model
//   fill, user_orders (all markets, private) → our own fills and order changes between cycles
// The `ticker` channel is not used: the full book already gives the top of book, sequenced.
//
// Trust: a book is served only while KalshiWs holds it trusted (a snapshot arrived and no seq gap,
// impossible delta or disconnect happened since) AND the connection is open. Anything else comes
// back as `trusted: false` with empty levels, so stale data cannot be used by accident: the engine
// falls back to REST for that market. KalshiWs re-snapshots after a gap and resubscribes after a
// reconnect by itself; the book turns trusted again when the fresh snapshot is applied.
//
// Units are those of the strategies (src/kalshi/money.ts): Price 1/10,000 $, Count 1/100 contract,
// Micros 1/1,000,000 $. BookDepth levels are bid levels per leg (NO leg in NO prices), best LAST,
// exactly as MarketDataSource.loadDepth hands them to strategies; YES ask = 1 − best NO bid.
import { KalshiWs, type KalshiWsOptions, type Subscription } from "../kalshi/ws.ts";
import type { OrderBook } from "../kalshi/orderbook.ts";
import type { WsChannel, WsMessage } from "../kalshi/wire/ws.ts";
import { PRICE_ONE, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { BookDepth, BookSide, MarketView, TradePrint } from "../strategies/types.ts";

/** The body of one kind of WebSocket message. */
type WsMsg<K extends WsMessage["type"]> = Extract<WsMessage, { type: K }>["msg"];

/** What `view()` returns. Untrusted views carry no prices and empty levels. */
export interface LiveBookView {
  ticker: string;
  trusted: boolean;
  /** Why the view is untrusted ("" when trusted). */
  reason: string;
  yesBid: Price | null;
  yesBidSize: Count;
  yesAsk: Price | null;
  yesAskSize: Count;
  book: BookDepth;
  /** Local wall time (ms) of the last snapshot or delta applied to this book; 0 = never. */
  lastUpdateMs: number;
}

/** One of our fills, from the private `fill` channel. */
export interface LiveFill {
  tradeId: string;
  orderId: string;
  clientOrderId: string | null;
  ticker: string;
  /** YES book side of our order: bid = we bought YES, ask = we bought NO (sold YES). */
  side: BookSide | null;
  /** YES price. */
  price: Price;
  count: Count;
  feeMicros: Micros;
  isTaker: boolean;
  /** Exchange time (ms). */
  tsMs: number;
  /** Signed position after the fill, when the exchange sent it. */
  postPosition: Count | null;
}

/** One change of one of our orders, from the private `user_orders` channel. */
export interface LiveOrderUpdate {
  orderId: string;
  clientOrderId: string | null;
  ticker: string;
  status: "resting" | "canceled" | "executed" | "unknown" | "pending";
  side: BookSide | null;
  price: Price;
  filled: Count;
  remaining: Count;
  initial: Count;
  tsMs: number | null;
}

export type LiveUpdateCause = "snapshot" | "delta" | "untrusted" | "trade";

/** A market_lifecycle_v2 message: `eventTicker` only where Kalshi sends it (on `created`). */
export interface LiveLifecycle {
  ticker: string;
  eventTicker: string | null;
  eventType: string;
}

export interface LiveBooksOptions {
  /** Use this connection (LiveBooks will not close it), or give `wsOptions` and LiveBooks owns one. */
  ws?: KalshiWs;
  wsOptions?: KalshiWsOptions;
  /** Initial scope. May be empty: nothing is subscribed until updateScope gives markets. */
  tickers?: Iterable<string>;
  /** Subscribe to `trade` for the scope (default true). */
  trades?: boolean;
  /** Subscribe to `fill` and `user_orders` for all markets (default true; needs an authenticated connection). */
  ownOrders?: boolean;
  /** Prints kept per market for tradesSince (default 512; 0 keeps none: listeners still hear each print). */
  tradeRing?: number;
  /** Fills / order updates kept until drained (default 10,000; the oldest are dropped, and `fillGap` is set). */
  maxQueued?: number;
  /** Subscribe with use_yes_price (the local books are canonical either way). Default false. */
  useYesPrice?: boolean;
  /**
   * Subscribe to market_lifecycle_v2 (every market's creation, opening, closing, settlement on the
   * exchange; needs an authenticated connection), so a market created in scope is seen at once
   * rather than at the next full REST load. Default false.
   */
  lifecycle?: boolean;
  logger?: (level: "debug" | "info" | "warn" | "error", msg: string) => void;
  /** Each exchange time a frame carries (a delta's, a print's, a fill's `ts_ms`), before its listeners run: the exchange clock's samples. */
  exchangeTime?: (ms: number) => void;
  /** Wall clock (tests). */
  now?: () => number;
}

export interface LiveBooksStats {
  snapshots: number;
  deltas: number;
  /** Deltas that arrived for a book waiting for its snapshot (dropped; KalshiWs asks for a snapshot). */
  deltasDropped: number;
  trades: number;
  fills: number;
  orderUpdates: number;
  gaps: number;
  disconnects: number;
  scopeUpdates: number;
  lifecycle: number;
}

const EMPTY_DEPTH = (): BookDepth => ({ yes: [], no: [] });
/** Level removals kept, all markets together (removedSince): far more than one burst of frames brings. */
const REMOVALS_KEPT = 1024;

/** A fixed-capacity ring of prints, oldest first when read. */
class TradeRing {
  private readonly buf: TradePrint[] = [];
  private start = 0;
  constructor(private readonly cap: number) {}
  push(t: TradePrint): void {
    if (this.buf.length < this.cap) this.buf.push(t);
    else {
      this.buf[this.start] = t;
      this.start = (this.start + 1) % this.cap;
    }
  }
  get size(): number {
    return this.buf.length;
  }
  /** Prints with tsMs > afterMs, oldest first. */
  since(afterMs: number): TradePrint[] {
    const out: TradePrint[] = [];
    const n = this.buf.length;
    for (let k = 0; k < n; k++) {
      const t = this.buf[(this.start + k) % n]!;
      if (t.tsMs > afterMs) out.push(t);
    }
    // Arrival order is exchange order; a stable sort keeps it for equal timestamps.
    return out.sort((a, b) => a.tsMs - b.tsMs);
  }
  latestMs(): number | null {
    if (this.buf.length === 0) return null;
    let m = -Infinity;
    for (const t of this.buf) if (t.tsMs > m) m = t.tsMs;
    return m;
  }
}

export class LiveBooks {
  readonly ws: KalshiWs;
  private readonly ownsWs: boolean;
  private readonly opts: Required<Pick<LiveBooksOptions, "trades" | "ownOrders" | "tradeRing" | "maxQueued" | "useYesPrice" | "lifecycle">>;
  private readonly log: NonNullable<LiveBooksOptions["logger"]>;
  private readonly now: () => number;
  private readonly exchangeTime: (ms: number) => void;
  private scopeSet = new Set<string>();
  /** The market-filtered subscriptions (orderbook_delta, trade); null while the scope is empty. */
  private marketSubs: Subscription[] | null = null;
  private privateSubs: Subscription[] | null = null;
  private lifecycleSubs: Subscription[] | null = null;
  private readonly lifecycleListeners = new Set<(e: LiveLifecycle) => void>();
  private readonly listeners = new Set<(ticker: string, cause: LiveUpdateCause, own: boolean) => void>();
  private readonly fillListeners = new Set<(f: LiveFill) => void>();
  private readonly orderListeners = new Set<(o: LiveOrderUpdate) => void>();
  private readonly rings = new Map<string, TradeRing>();
  /** Per market: wall time since which the trade feed has been continuous; absent = not covered now. */
  private readonly tradeCoverage = new Map<string, number>();
  private dirty = new Set<string>();
  private fills: LiveFill[] = [];
  private orders: LiveOrderUpdate[] = [];
  private detach: () => void;
  private started = false;
  private closed = false;
  /** Serializes scope changes: each waits for the previous one. */
  private chain: Promise<unknown> = Promise.resolve();
  /**
   * True once our private feed may have missed something (a disconnect, or a queue overflow):
   * fills and orders must be reconciled over REST. The engine clears it after doing so.
   */
  fillGap = false;
  readonly stats: LiveBooksStats = {
    snapshots: 0,
    deltas: 0,
    deltasDropped: 0,
    trades: 0,
    fills: 0,
    orderUpdates: 0,
    gaps: 0,
    disconnects: 0,
    scopeUpdates: 0,
    lifecycle: 0,
  };

  constructor(opts: LiveBooksOptions) {
    if (!opts.ws && !opts.wsOptions) throw new Error("LiveBooks needs a KalshiWs (ws) or the options to make one (wsOptions)");
    this.ws = opts.ws ?? new KalshiWs(opts.wsOptions!);
    this.ownsWs = !opts.ws;
    this.opts = {
      trades: opts.trades ?? true,
      ownOrders: opts.ownOrders ?? true,
      tradeRing: Math.max(0, opts.tradeRing ?? 512),
      maxQueued: Math.max(1, opts.maxQueued ?? 10_000),
      useYesPrice: opts.useYesPrice ?? false,
      lifecycle: opts.lifecycle ?? false,
    };
    this.log = opts.logger ?? (() => {});
    this.exchangeTime = opts.exchangeTime ?? (() => {});
    this.now = opts.now ?? Date.now;
    for (const t of opts.tickers ?? []) this.scopeSet.add(t);
    this.detach = this.ws.on((e) => {
      switch (e.type) {
        case "message":
          this.onMessage(e.message);
          break;
        case "gap":
          this.stats.gaps++;
          if (this.marketSubs?.some((s) => s.channel === "trade" && s.sid === e.sid)) {
            // Missed prints: the paper model must not believe the ring is complete before now.
            const t = this.now();
            for (const k of this.scopeSet) this.tradeCoverage.set(k, t);
          }
          for (const t of e.tickers) this.notify(t, "untrusted");
          break;
        case "close":
          this.stats.disconnects++;
          this.fillGap = true;
          this.tradeCoverage.clear();
          for (const t of this.scopeSet) this.notify(t, "untrusted");
          break;
      }
    });
  }

  /** Construct, connect and subscribe; resolves once every subscription is acked. */
  static async open(opts: LiveBooksOptions): Promise<LiveBooks> {
    const lb = new LiveBooks(opts);
    try {
      await lb.start();
    } catch (e) {
      lb.close();
      throw e;
    }
    return lb;
  }

  /**
   * Connect (if needed) and subscribe to the current scope. Waits until the connection opens
   * (KalshiWs keeps redialling), so a daemon should not block its first REST cycle on it: every
   * view is untrusted until the snapshots are in, and the cycle falls back to REST meanwhile.
   */
  async start(): Promise<void> {
    if (this.closed) throw new Error("LiveBooks is closed");
    if (this.started) return;
    this.started = true;
    await this.ws.connect();
    await this.enqueue(async () => {
      if (this.opts.ownOrders && !this.privateSubs) this.privateSubs = await this.ws.subscribe(["fill", "user_orders"]);
      if (this.opts.lifecycle && !this.lifecycleSubs) this.lifecycleSubs = await this.ws.subscribe(["market_lifecycle_v2"]);
      if (this.scopeSet.size > 0 && !this.marketSubs) await this.subscribeMarkets([...this.scopeSet]);
    });
  }

  // ---- scope --------------------------------------------------------------------------------------

  scope(): string[] {
    return [...this.scopeSet];
  }

  inScope(ticker: string): boolean {
    return this.scopeSet.has(ticker);
  }

  /** Markets in the scope (the last updateScope's). */
  get scopeSize(): number {
    return this.scopeSet.size;
  }

  /**
   * Make the scope exactly `tickers`: add_markets for new ones (each arrives with a snapshot),
   * delete_markets for dropped ones (their books and prints are forgotten). Serialized; resolves
   * when the exchange acked. Before start() it only records the scope. If it rejects (command
   * timeout, error ack), call it again with the same tickers: it re-subscribes what is missing, and
   * KalshiWs re-sends the recorded scope on its next reconnect anyway.
   */
  updateScope(tickers: Iterable<string>): Promise<{ added: string[]; removed: string[] }> {
    const want = new Set(tickers);
    return this.enqueue(async () => {
      const added = [...want].filter((t) => !this.scopeSet.has(t));
      const removed = [...this.scopeSet].filter((t) => !want.has(t));
      // Same scope but no subscription (an earlier subscribe failed): try again below.
      const retry = this.started && !this.closed && want.size > 0 && !this.marketSubs;
      if (added.length === 0 && removed.length === 0 && !retry) return { added, removed };
      this.stats.scopeUpdates++;
      this.scopeSet = want;
      for (const t of removed) {
        this.rings.delete(t);
        this.tradeCoverage.delete(t);
        this.dirty.delete(t);
      }
      if (!this.started || this.closed) {
        for (const t of removed) this.ws.books.remove(t);
        return { added, removed };
      }
      if (want.size === 0) {
        // Kalshi wants a market filter on orderbook_delta: with nothing left, drop the subscriptions.
        const subs = this.marketSubs;
        this.marketSubs = null;
        for (const t of removed) this.ws.books.remove(t);
        if (subs) await this.ws.unsubscribe(subs);
        return { added, removed };
      }
      if (!this.marketSubs) {
        for (const t of removed) this.ws.books.remove(t);
        await this.subscribeMarkets([...want]);
        return { added, removed };
      }
      for (const sub of this.marketSubs) {
        // delete first: the server's market count stays under the subscription limit.
        if (removed.length) await this.ws.updateSubscription(sub, "delete_markets", removed);
        if (added.length) {
          if (sub.channel === "trade") {
            const t = this.now();
            for (const k of added) this.tradeCoverage.set(k, t);
          }
          await this.ws.updateSubscription(sub, "add_markets", added);
        }
      }
      return { added, removed };
    });
  }

  private async subscribeMarkets(tickers: string[]): Promise<void> {
    const channels: WsChannel[] = this.opts.trades ? ["orderbook_delta", "trade"] : ["orderbook_delta"];
    this.marketSubs = await this.ws.subscribe(channels, {
      market_tickers: tickers,
      ...(this.opts.useYesPrice ? { use_yes_price: true } : {}),
    });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => {});
    return p;
  }

  // ---- reads --------------------------------------------------------------------------------------

  /** The connection is open and these books not closed: a book's trust then changes only with a notice (`takeDirty`). */
  get usable(): boolean {
    return !this.closed && this.ws.connected;
  }

  /**
   * isTrusted for many tickers in one synchronous pass (10,000 a cycle): the connection and the
   * scope read once. Not to be kept across an await (the scope or the connection may change).
   */
  trustCheck(): (ticker: string) => boolean {
    if (!this.usable) return () => false;
    const scope = this.scopeSet;
    const books = this.ws.books;
    return (t) => scope.has(t) && books.get(t)?.trusted === true;
  }

  /** True when `ticker` is in scope, its book is trusted and the connection is open. */
  isTrusted(ticker: string): boolean {
    return this.trustedBook(ticker) !== null;
  }

  private trustedBook(ticker: string): OrderBook | null {
    if (!this.usable || !this.scopeSet.has(ticker)) return null;
    const b = this.ws.books.get(ticker);
    return b?.trusted ? b : null;
  }

  get trustedCount(): number {
    if (!this.usable) return 0;
    let n = 0;
    for (const t of this.scopeSet) if (this.ws.books.get(t)?.trusted) n++;
    return n;
  }

  /** Markets in scope whose book may not be used (REST fallback). */
  untrusted(): string[] {
    return [...this.scopeSet].filter((t) => !this.isTrusted(t));
  }

  /**
   * The book of one market in strategy units. `depth` limits the levels per leg (default: all).
   * Untrusted (not in scope, no snapshot yet, seq gap, disconnected): `trusted: false`, no prices.
   */
  view(ticker: string, depth = Infinity): LiveBookView {
    const b = this.trustedBook(ticker);
    if (!b) {
      const raw = this.ws.books.get(ticker);
      const reason = this.closed
        ? "closed"
        : !this.scopeSet.has(ticker)
          ? "not in scope"
          : !this.ws.connected
            ? "websocket not connected"
            : raw
              ? raw.reason || "untrusted"
              : "no snapshot yet";
      return {
        ticker,
        trusted: false,
        reason,
        yesBid: null,
        yesBidSize: 0,
        yesAsk: null,
        yesAskSize: 0,
        book: EMPTY_DEPTH(),
        lastUpdateMs: raw?.lastUpdateMs ?? 0,
      };
    }
    const bid = b.bestYesBid();
    const noBid = b.bestNoBid();
    // levels() is best first; strategies get Kalshi's order, best last.
    const yes = b.levels("yes", depth).reverse() as Array<[Price, Count]>;
    const no = b.levels("no", depth).reverse() as Array<[Price, Count]>;
    return {
      ticker,
      trusted: true,
      reason: "",
      yesBid: bid ? bid.price : null,
      yesBidSize: bid ? bid.size : 0,
      yesAsk: noBid ? PRICE_ONE - noBid.price : null,
      yesAskSize: noBid ? noBid.size : 0,
      book: { yes, no },
      lastUpdateMs: b.lastUpdateMs,
    };
  }

  /**
   * Top of book only (no level arrays): cheap enough to call on every delta, which is what the
   * engine's wake-up filter does. Null when the book may not be used.
   */
  top(ticker: string): { yesBid: Price | null; yesBidSize: Count; yesAsk: Price | null; yesAskSize: Count } | null {
    const b = this.trustedBook(ticker);
    if (!b) return null;
    const bid = b.bestYesBid();
    const noBid = b.bestNoBid();
    return {
      yesBid: bid ? bid.price : null,
      yesBidSize: bid ? bid.size : 0,
      yesAsk: noBid ? PRICE_ONE - noBid.price : null,
      yesAskSize: noBid ? noBid.size : 0,
    };
  }

  /**
   * Whether `v` carries `ticker`'s live top of book as top() would give it (prices and sizes), or
   * null when the book may not be used. Nothing is allocated: it runs on every book update of a
   * watched market, and for every market whose book changed at each overlay (issue 14 goal 5).
   */
  topIs(
    ticker: string,
    v: { yesBid: Price | null; yesBidSize: Count; yesAsk: Price | null; yesAskSize: Count } | undefined,
  ): boolean | null {
    const b = this.trustedBook(ticker);
    if (!b) return null;
    if (v === undefined) return false;
    const bid = b.bestPrice("yes");
    const noBid = b.bestPrice("no");
    return (
      v.yesBid === (bid < 0 ? null : bid) &&
      v.yesBidSize === b.bestSize("yes") &&
      v.yesAsk === (noBid < 0 ? null : PRICE_ONE - noBid) &&
      v.yesAskSize === b.bestSize("no")
    );
  }

  /** Resting size at one level (NO leg in NO prices), or null when the book may not be used. O(1). */
  sizeAt(ticker: string, leg: "yes" | "no", price: Price): Count | null {
    const b = this.trustedBook(ticker);
    return b ? b.sizeAt(leg, price) : null;
  }

  /**
   * Levels of `ticker` that lost size (NO leg in NO prices) in frames that arrived at or after
   * `sinceMono` (the WebSocket's frame clock, ws.lastFrameAt), or null when that cannot be told
   * (the ring of recent removals, shared by every market, has wrapped since then). The narrow
   * requote path reads it to tell a sweep toward our quote from a market that only moved.
   */
  removedSince(ticker: string, sinceMono: number): Array<readonly ["yes" | "no", Price]> | null {
    const r = this.rem;
    if (r.count > REMOVALS_KEPT && r.at[r.next]! >= sinceMono) return null;
    const out: Array<readonly ["yes" | "no", Price]> = [];
    for (let k = 1; k <= Math.min(r.count, REMOVALS_KEPT); k++) {
      const i = (r.next - k + REMOVALS_KEPT) % REMOVALS_KEPT;
      if (r.at[i]! < sinceMono) break;
      if (r.ticker[i] === ticker) out.push([r.no[i] ? "no" : "yes", r.price[i]!]);
    }
    return out;
  }
  /** The last REMOVALS_KEPT level removals of every market, newest at next − 1 (fixed arrays: nothing allocated per delta). */
  private readonly rem = {
    ticker: new Array<string>(REMOVALS_KEPT).fill(""),
    no: new Uint8Array(REMOVALS_KEPT),
    price: new Int32Array(REMOVALS_KEPT),
    at: new Float64Array(REMOVALS_KEPT),
    next: 0,
    count: 0,
  };
  private noteRemoval(ticker: string, leg: "yes" | "no", price: Price): void {
    const r = this.rem;
    r.ticker[r.next] = ticker;
    r.no[r.next] = leg === "no" ? 1 : 0;
    r.price[r.next] = price;
    r.at[r.next] = this.ws.lastFrameAt;
    r.next = (r.next + 1) % REMOVALS_KEPT;
    r.count++;
  }

  /**
   * `m` (from REST) with the live top of book and depth laid over it, or null when the live book is
   * not trusted (keep the REST view, and fetch depth over REST if a strategy needs it).
   */
  overlay(m: MarketView, depth = Infinity): MarketView | null {
    const v = this.view(m.ticker, depth);
    if (!v.trusted) return null;
    return { ...m, yesBid: v.yesBid, yesBidSize: v.yesBidSize, yesAsk: v.yesAsk, yesAskSize: v.yesAskSize, book: v.book };
  }

  /** Markets whose book changed (or turned untrusted) since the last call, and forget them. */
  takeDirty(): string[] {
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  // ---- trades -------------------------------------------------------------------------------------

  /**
   * Public prints of `ticker` with exchange time strictly after `afterMs`, oldest first. Only what
   * the feed delivered while connected, at most `tradeRing` per market: check `tradesCoveredSince`
   * before relying on it for a window (the paper model must not fill on prints it cannot see, and
   * must not miss prints it would have seen over REST).
   */
  tradesSince(ticker: string, afterMs: number): TradePrint[] {
    return this.rings.get(ticker)?.since(afterMs) ?? [];
  }

  /** Newest print time (exchange ms) seen for `ticker`, or null. */
  latestTradeMs(ticker: string): number | null {
    return this.rings.get(ticker)?.latestMs() ?? null;
  }

  /**
   * Local wall time since which the trade feed of `ticker` has been continuous (subscribed, no seq
   * gap, no disconnect), or null when it is not covered now. Prints before it may be missing.
   */
  tradesCoveredSince(ticker: string): number | null {
    return this.tradeCoverage.get(ticker) ?? null;
  }

  // ---- our own orders -----------------------------------------------------------------------------

  /** Fills received since the last drain, oldest first. */
  drainFills(): LiveFill[] {
    const out = this.fills;
    this.fills = [];
    return out;
  }

  /** Order updates received since the last drain, oldest first. */
  drainOrderUpdates(): LiveOrderUpdate[] {
    const out = this.orders;
    this.orders = [];
    return out;
  }

  /** Call after reconciling fills and orders over REST. */
  clearFillGap(): void {
    this.fillGap = false;
  }

  // ---- listeners ----------------------------------------------------------------------------------

  /**
   * Called synchronously for every applied snapshot or delta, trust loss, and print of an in-scope
   * market. `own`: the delta was caused by one of our orders (Kalshi tags those with our
   * client_order_id), so a reaction to it would be a reaction to ourselves.
   */
  onUpdate(listener: (ticker: string, cause: LiveUpdateCause, own: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onFill(listener: (f: LiveFill) => void): () => void {
    this.fillListeners.add(listener);
    return () => this.fillListeners.delete(listener);
  }

  onOrderUpdate(listener: (o: LiveOrderUpdate) => void): () => void {
    this.orderListeners.add(listener);
    return () => this.orderListeners.delete(listener);
  }

  /** market_lifecycle_v2 messages (with `lifecycle: true`). */
  onLifecycle(listener: (e: LiveLifecycle) => void): () => void {
    this.lifecycleListeners.add(listener);
    return () => this.lifecycleListeners.delete(listener);
  }

  /** Stop listening; unsubscribe (borrowed connection) or close (own connection). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.listeners.clear();
    this.fillListeners.clear();
    this.orderListeners.clear();
    this.lifecycleListeners.clear();
    const subs = [...(this.marketSubs ?? []), ...(this.privateSubs ?? []), ...(this.lifecycleSubs ?? [])];
    this.marketSubs = null;
    this.privateSubs = null;
    this.lifecycleSubs = null;
    if (this.ownsWs) this.ws.close();
    else if (subs.length) this.ws.unsubscribe(subs).catch(() => {});
  }

  // ---- incoming -----------------------------------------------------------------------------------

  private notify(ticker: string, cause: LiveUpdateCause, own = false): void {
    if (!this.scopeSet.has(ticker)) return;
    this.dirty.add(ticker);
    for (const l of this.listeners) {
      try {
        l(ticker, cause, own);
      } catch (e) {
        this.log("error", `live-books listener threw: ${(e as Error).message}`);
      }
    }
  }

  // KalshiWs emits "message" after it has applied the message to its books. One handler per kind.
  private onMessage(m: WsMessage): void {
    switch (m.type) {
      case "orderbook_snapshot":
        this.stats.snapshots++;
        this.notify(m.msg.market_ticker, "snapshot");
        return;
      case "orderbook_delta":
        return this.handleDelta(m.msg);
      case "subscribed":
        if (m.msg.channel === "trade") {
          // (Re)subscribed: the trade feed of every market in scope is continuous from now on.
          const t = this.now();
          for (const k of this.scopeSet) this.tradeCoverage.set(k, t);
        }
        return;
      case "trade":
        return this.handleTrade(m.msg);
      case "fill":
        return this.handleFill(m.msg);
      case "market_lifecycle_v2":
        return this.handleLifecycle(m.msg);
      case "event_fee_update":
        // An event's fees changed (same channel as market_lifecycle_v2): passed on as a lifecycle
        // event of the event, with no market.
        this.stats.lifecycle++;
        this.fire(this.lifecycleListeners, { ticker: "", eventTicker: m.msg.event_ticker, eventType: "event_fee_update" }, "lifecycle");
        return;
      case "user_order":
        return this.handleOrderUpdate(m.msg);
    }
  }

  private handleDelta(d: WsMsg<"orderbook_delta">): void {
    if (d.ts_ms !== undefined) this.exchangeTime(d.ts_ms);
    const b = this.ws.books.get(d.market_ticker);
    if (b?.trusted) {
      this.stats.deltas++;
      if (d.delta_fp < 0)
        this.noteRemoval(d.market_ticker, d.side, d.side === "no" && this.opts.useYesPrice ? PRICE_ONE - d.price_dollars : d.price_dollars);
      this.notify(d.market_ticker, "delta", d.client_order_id !== undefined);
    } else {
      this.stats.deltasDropped++;
      if (b) this.notify(d.market_ticker, "untrusted");
    }
  }

  private handleTrade(t: WsMsg<"trade">): void {
    if (!this.scopeSet.has(t.market_ticker)) return;
    this.stats.trades++;
    const tsMs = t.ts_ms ?? (t.ts !== undefined ? t.ts * 1000 : this.now());
    if (t.ts_ms !== undefined || t.ts !== undefined) this.exchangeTime(tsMs);
    if (this.opts.tradeRing > 0) {
      let ring = this.rings.get(t.market_ticker);
      if (!ring) this.rings.set(t.market_ticker, (ring = new TradeRing(this.opts.tradeRing)));
      ring.push({
        ticker: t.market_ticker,
        price: t.yes_price_dollars,
        count: t.count_fp,
        ...(t.taker_book_side ? { takerBookSide: t.taker_book_side } : {}),
        tsMs,
      });
    }
    this.notify(t.market_ticker, "trade");
  }

  private handleFill(f: WsMsg<"fill">): void {
    if (f.ts_ms !== undefined) this.exchangeTime(f.ts_ms);
    const fill: LiveFill = {
      tradeId: f.trade_id,
      orderId: f.order_id,
      clientOrderId: f.client_order_id ?? null,
      ticker: f.market_ticker,
      side: f.book_side ?? null,
      price: f.yes_price_dollars,
      count: f.count_fp,
      feeMicros: f.fee_cost,
      isTaker: f.is_taker,
      tsMs: f.ts_ms ?? (f.ts !== undefined ? f.ts * 1000 : this.now()),
      postPosition: f.post_position_fp ?? null,
    };
    this.stats.fills++;
    this.push(this.fills, fill);
    this.fire(this.fillListeners, fill, "fill");
  }

  private handleLifecycle(l: WsMsg<"market_lifecycle_v2">): void {
    const meta = l.additional_metadata as { event_ticker?: unknown } | undefined;
    const e: LiveLifecycle = {
      ticker: l.market_ticker,
      eventTicker: meta && typeof meta === "object" && typeof meta.event_ticker === "string" ? meta.event_ticker : null,
      eventType: l.event_type,
    };
    this.stats.lifecycle++;
    this.fire(this.lifecycleListeners, e, "lifecycle");
  }

  private handleOrderUpdate(o: WsMsg<"user_order">): void {
    const upd: LiveOrderUpdate = {
      orderId: o.order_id,
      clientOrderId: o.client_order_id ?? null,
      ticker: o.ticker,
      status: o.status,
      side: o.book_side ?? null,
      price: o.yes_price_dollars,
      filled: o.fill_count_fp,
      remaining: o.remaining_count_fp,
      initial: o.initial_count_fp,
      tsMs: o.last_updated_ts_ms ?? o.created_ts_ms ?? null,
    };
    this.stats.orderUpdates++;
    this.push(this.orders, upd);
    this.fire(this.orderListeners, upd, "order");
  }

  /** A listener that throws is logged and skipped: one bad consumer must not starve the others. */
  private fire<T>(listeners: ReadonlySet<(x: T) => void>, x: T, what: string): void {
    for (const l of listeners) {
      try {
        l(x);
      } catch (e) {
        this.log("error", `live-books ${what} listener threw: ${(e as Error).message}`);
      }
    }
  }

  private push<T>(q: T[], item: T): void {
    q.push(item);
    if (q.length > this.opts.maxQueued) {
      q.splice(0, q.length - this.opts.maxQueued);
      // Something was dropped before the engine read it: REST must fill the hole.
      this.fillGap = true;
    }
  }
}
