// Paper trading's upkeep, each cycle: the bankroll's anchor, expiries, fills of resting orders from
// the market's trades through them, settlement of paper positions in determined markets.
//
// Meta keys (book-namespaced by the ledger): `trades_mark:<ticker>`, the exchange ms of the newest
// print already looked at. Each order's own mark (the newest print when it began resting at its
// price: only later prints can fill it) is its row's paper_since_ms.
import type { LoadedConfig } from "../config/load.ts";
import type { KalshiClient } from "../kalshi/client.ts";
import { formatDollars2, parseDollars, type Count, type Micros, type Price } from "../kalshi/money.ts";
import type { BookDepth, BookSide, MarketView, TradePrint } from "../strategies/types.ts";
import type { Ledger, OrderRow } from "./ledger.ts";
import type { LiveBooks } from "./live-books.ts";
import { type MarketsSeen, TrackedMarkets } from "./market-changes.ts";
import type { MarketData, MarketDataSource } from "./market-data.ts";
import { crossingLevels, ownLevelSize } from "./paper.ts";
import type { PaperTransport } from "./paper-transport.ts";
import { ownViews, viewWithOwn } from "./paper-view.ts";
import { balanceMicrosOf } from "./portfolio.ts";
import { settlementRevenue } from "./position-math.ts";

const markKey = (ticker: string) => `trades_mark:${ticker}`;

export interface PaperUpkeepDeps {
  ledger: Ledger;
  marketData: MarketDataSource;
  transport: PaperTransport;
  client: KalshiClient;
  loaded: LoadedConfig;
  /** Orders expire on their own (order-ttl.ts): paper orders expire as live ones would. */
  ttlSeconds: number;
  /** Now on the clock expiries are set in (the exchange's as far as known). */
  now: () => number;
  /** An exchange time known to have passed (a balance read's, a print's). */
  exchangeTime: (ms: number) => void;
}

/** A book delta that crossed resting paper orders: the venue's book right after it, and when (exchange ms). */
interface SeenCross {
  ticker: string;
  tsMs: number;
  book: BookDepth;
}

/** A public print in a market where paper orders rest, as the trade channel sent it. */
interface SeenPrint {
  ticker: string;
  print: TradePrint;
}

/**
 * A book delta left `shown` contracts at a resting paper order's price on its side: fewer than may
 * be counted ahead of it. `drop`: by how much it shrank (0 when its size before was not known);
 * `credited`: how much of that drop prints seen after it explain (a trade's own shrink, whose print
 * may come after its delta: the print counts down the queue itself, so the cap leaves room for it).
 */
interface SeenLevel {
  ticker: string;
  side: BookSide;
  price: Price;
  shown: Count;
  drop: Count;
  credited: Count;
}

/** Crosses kept between two sync points; past it the oldest go (each is also found, later, by a look). */
const MAX_SEEN_CROSSES = 1_000;

export class PaperUpkeep {
  /** Newest print (exchange ms) per market fetched in this cycle's maintenance. */
  private printMark = new Map<string, number>();
  /** Resting paper orders per market, as last read: what a book delta is checked against (watch). */
  private watched = new Map<string, Array<{ side: BookSide; price: Price }>>();
  /** Crosses seen on deltas and prints seen on the trade channel since the last sync point, in arrival order (watch). */
  private seen: Array<SeenCross | SeenPrint | SeenLevel> = [];
  /** Per market, the crossing levels of its last kept cross: a delta that leaves them as they were adds nothing. */
  private lastCross = new Map<string, string>();
  /** Per resting paper order's market, side and price: the size the last delta showed there. */
  private lowLevel = new Map<string, number>();
  /** Markets where a cross seen on a delta or a print seen on the trade channel filled a paper quote at the last sync point. */
  readonly justFilled = new Set<string>();
  /** Paper fills from crosses seen on deltas and prints seen on the trade channel, not yet counted in a cycle's report. */
  private crossFills = 0;

  constructor(private readonly d: PaperUpkeepDeps) {}

  /** Each view handed to the strategies (with our orders in it) → the venue's view it was made from. */
  private readonly venueOf = new WeakMap<MarketView, MarketView>();

  /**
   * The paper exchange sees these markets (the inactive ones too: fills stop, positions settle).
   * The strategies see them net of the liquidity paper took and still holds (the venue never saw
   * those orders; a live bot would have emptied those levels) and with our resting paper orders in
   * the book, as the exchange shows a live bot its own quotes (paper-view.ts); the fill model gets
   * the view without them.
   */
  setMarkets(md: MarketData): void {
    const { transport, ledger } = this.d;
    const last = this.lastSync;
    const same = last !== null && last.markets === md.markets && last.inactive === md.inactive;
    // Only views that change are set: the cycle's map logs every set as a change (market-changes.ts),
    // and what is logged is decided again. Our quotes are only ever in the views of ownTickers.
    for (const t of same ? this.ownTickers : md.markets.keys()) {
      const m = md.markets.get(t);
      const venue = m && this.venueOf.get(m);
      if (venue) md.markets.set(t, venue);
    }
    // The paper exchange's map: the last one patched where the cycle's map logged a change since
    // (the inactive map is replaced, never changed in place), or made anew; between full loads a
    // sync point at 10,000 markets works in proportion to what changed, not to the scope.
    const changed = same && last.seen && md.markets instanceof TrackedMarkets ? md.markets.changesSince(last.seen) : null;
    let all: Map<string, MarketView>;
    if (changed && last) {
      all = last.all;
      for (const t of changed) {
        const v = md.markets.get(t) ?? md.inactive.get(t);
        if (v) all.set(t, v);
        else all.delete(t);
      }
    } else all = allMarkets(md);
    transport.setMarkets(all);
    this.applySeenCrosses();
    // A market whose view and taken record have not changed since the last sync point is netted
    // already (netOfTaken would return its view as it is).
    const retaken = transport.takenChanges();
    for (const t of changed ? new Set([...changed, ...retaken]) : md.markets.keys()) {
      const m = md.markets.get(t);
      if (!m) continue;
      const net = transport.netOfTaken(m);
      if (net === m) continue;
      md.markets.set(t, net);
      all.set(t, net); // the transport's own map: it sees the netted view too
    }
    const resting = ledger.ordersWithStatus(["resting"]);
    this.watch(resting);
    this.ownTickers.clear();
    for (const [t, m] of ownViews(md.markets, resting)) {
      if (m === md.markets.get(t)) continue;
      this.venueOf.set(m, md.markets.get(t)!);
      md.markets.set(t, m);
      this.ownTickers.add(t);
    }
    this.lastSync = {
      markets: md.markets,
      inactive: md.inactive,
      all,
      seen: md.markets instanceof TrackedMarkets ? md.markets.seen() : null,
    };
  }

  /** Where the last setMarkets left the maps: the paper exchange's map, and where the cycle's map's change log stood. */
  private lastSync: {
    markets: ReadonlyMap<string, MarketView>;
    inactive: ReadonlyMap<string, MarketView>;
    all: Map<string, MarketView>;
    seen: MarketsSeen | null;
  } | null = null;

  /** Markets whose view in the cycle's map has our resting quotes in it (venueOf gives the venue's). */
  private readonly ownTickers = new Set<string>();

  /**
   * The narrow path's sync point (one market's book update): the fills the feed showed since the
   * last sync point, and `ticker`'s view made as setMarkets makes it (the venue's, net of what paper
   * took, with our resting quotes in it). Every other market keeps the view of its last sync point;
   * a decision there syncs it first (its own update, a pass, a cycle). A full setMarkets on every
   * update of a quoted market walked all 10,000 markets of a dry run each time.
   */
  syncMarket(md: MarketData, ticker: string): void {
    const cur = md.markets.get(ticker);
    // Other markets stand as the last setMarkets left them only if it synced these same maps.
    const last = this.lastSync;
    if (!cur || !last || last.markets !== md.markets || last.inactive !== md.inactive) return this.setMarkets(md);
    const { transport, ledger } = this.d;
    const venue = this.venueOf.get(cur) ?? cur;
    if (venue !== cur) md.markets.set(ticker, venue);
    transport.setMarket(ticker, venue);
    this.applySeenCrosses();
    const net = transport.netOfTaken(venue);
    if (net !== venue) {
      md.markets.set(ticker, net);
      transport.setMarket(ticker, net);
    }
    const resting = ledger.ordersWithStatus(["resting"]);
    this.watch(resting);
    const own = viewWithOwn(
      net,
      resting.filter((r) => r.ticker === ticker),
    );
    if (own !== net) {
      this.venueOf.set(own, net);
      md.markets.set(ticker, own);
      this.ownTickers.add(ticker);
    }
  }

  /**
   * Daemon: every book delta of the WebSocket books is checked, as it arrives, against the resting
   * paper orders of its market (crossingLevels). A maker's order through our price trades with ours
   * live at that moment; the venue, which never saw ours, may show it only until it is withdrawn,
   * before the next look at the book. A cross is kept with the book after the delta and the delta's
   * exchange time (its `ts_ms`; without one, the time of arrival on the exchange clock) and filled
   * at the next sync point (applySeenCrosses), by the same model as a look's. Only while the book is
   * trusted: a delta on an unknown book (a seq gap, before the snapshot) is never acted on.
   * `fillSeen`: told of each cross, and of each print at or through a resting paper quote's price,
   * as it is kept. Live, the fill on the private feed asks for a pass; the sync point that fills
   * paper's quote needs one too, even when the burst moved the top of book back (a cross withdrawn
   * at once leaves the narrow path nothing to decide, and the fill would wait for the next cycle).
   */
  watchBooks(live: LiveBooks, fillSeen: (ticker: string) => void): void {
    live.ws.on((e) => {
      // A book that becomes unknown (a seq gap, the connection lost, a snapshot refused) forgets
      // paper's last look at it, as the recorded backtest does (RecordedSource's onUnknown): a cross
      // found by a later look may have come while deltas were not read, and is stamped at that look,
      // never in the middle of a span that held the unknown stretch.
      if (e.type === "gap") for (const t of e.tickers) this.forgetLook(t);
      else if (e.type === "close") for (const t of this.watched.keys()) this.forgetLook(t);
      else if (e.type === "book") {
        if (e.book.trusted) this.forgotten.delete(e.book.ticker);
        else this.forgetLook(e.book.ticker);
      }
      if (e.type !== "message") return;
      if (e.message.type === "trade") {
        // A print through (or at) a resting paper order's price fills it as it would live, where the
        // private feed tells the bot of its fill before it decides again. Kept until the next sync
        // point, which comes before any decision: without it the narrow path or a pass answering the
        // same step's moves amended the order first, and the next cycle's look at the prints found
        // it at its new price or gone (issue 13, seeds 1 and 3 of the daemon parity bench).
        const t = e.message.msg;
        const quotes = this.watched.get(t.market_ticker);
        if (!quotes) return;
        // A trade shrinks the maker's level by a delta of its own, before or after its print: Kalshi
        // sends the two on separate channels and promises no order between them. A shrink seen
        // before this print (since the last sync point) is credited with it, most recent first, so
        // its cap does not count the same contracts off the queue twice; a shrink that comes after
        // its print needs nothing (the print counts down first, then the cap). A credit given to the
        // wrong shrink only loosens a cap that the print's own delta, when it comes, tightens again.
        const makerSide = t.taker_book_side === "ask" ? "bid" : t.taker_book_side === "bid" ? "ask" : null;
        let left = t.count_fp;
        for (let i = this.seen.length - 1; makerSide && left > 0 && i >= 0; i--) {
          const c = this.seen[i]!;
          if (!("shown" in c) || c.ticker !== t.market_ticker || c.side !== makerSide || c.price !== t.yes_price_dollars) continue;
          const take = Math.min(left, c.drop - c.credited);
          c.credited += take;
          left -= take;
        }
        const tsMs = t.ts_ms ?? (t.ts !== undefined ? t.ts * 1000 : this.d.now());
        this.seen.push({
          ticker: t.market_ticker,
          print: {
            ticker: t.market_ticker,
            price: t.yes_price_dollars,
            count: t.count_fp,
            ...(t.taker_book_side ? { takerBookSide: t.taker_book_side } : {}),
            tsMs,
          },
        });
        if (this.seen.length > MAX_SEEN_CROSSES) this.seen.shift();
        const p = t.yes_price_dollars;
        if (quotes.some((o) => (o.side === "bid" ? p <= o.price : p >= o.price))) fillSeen(t.market_ticker);
        return;
      }
      if (e.message.type !== "orderbook_delta") return;
      const d = e.message.msg;
      const orders = this.watched.get(d.market_ticker);
      if (!orders) return;
      const v = live.view(d.market_ticker);
      if (!v.trusted) {
        this.forgetLook(d.market_ticker);
        return;
      }
      // Makers ahead of a paper quote that withdraw leave its queue at that delta, not at the next
      // look. A level that shrank by a trade is not a withdrawal: the print that follows it takes
      // it back (the trade branch above), and counts down the queue itself.
      for (const o of orders) {
        const shown = ownLevelSize(v.book, o.side, o.price);
        const key = levelKey(d.market_ticker, o.side, o.price);
        const before = this.lowLevel.get(key);
        this.lowLevel.set(key, shown);
        if (before !== undefined && shown >= before) continue;
        this.seen.push({
          ticker: d.market_ticker,
          side: o.side,
          price: o.price,
          shown,
          drop: before === undefined ? 0 : before - shown,
          credited: 0,
        });
      }
      const levels = crossingLevels(orders, v.book);
      const key = JSON.stringify(levels);
      if (levels.length === 0) {
        this.lastCross.delete(d.market_ticker);
        return;
      }
      if (this.lastCross.get(d.market_ticker) === key) return;
      this.lastCross.set(d.market_ticker, key);
      const parsed = d.ts !== undefined ? Date.parse(d.ts) : Number.NaN;
      const tsMs = d.ts_ms ?? (Number.isFinite(parsed) ? parsed : this.d.now());
      this.seen.push({
        ticker: d.market_ticker,
        tsMs,
        book: { yes: v.book.yes.map(([p, c]) => [p, c]), no: v.book.no.map(([p, c]) => [p, c]) },
      });
      if (this.seen.length > MAX_SEEN_CROSSES) this.seen.shift();
      fillSeen(d.market_ticker);
    });
  }

  /** Markets whose last look was forgotten since their book was last trusted (one ledger write per unknown stretch). */
  private readonly forgotten = new Set<string>();

  private forgetLook(ticker: string): void {
    if (this.forgotten.has(ticker)) return;
    this.forgotten.add(ticker);
    this.d.transport.forgetLook(ticker);
  }

  /** The resting paper orders book deltas are checked against (watchBooks). */
  private watch(resting: readonly OrderRow[]): void {
    const w = new Map<string, Array<{ side: BookSide; price: Price }>>();
    for (const r of resting) {
      if (!r.orderId) continue;
      let list = w.get(r.ticker);
      if (!list) w.set(r.ticker, (list = []));
      list.push({ side: r.side, price: r.price });
    }
    this.watched = w;
    // The level sizes last shown where no paper order rests any more go: kept, they grew with every
    // price and market ever quoted, and a quote placed there again starts from its own first delta.
    const quoted = new Set<string>();
    for (const [ticker, list] of w) for (const o of list) quoted.add(levelKey(ticker, o.side, o.price));
    for (const key of this.lowLevel.keys()) if (!quoted.has(key)) this.lowLevel.delete(key);
  }

  /**
   * The crosses seen on deltas and the prints seen on the trade channel since the last sync point,
   * filled in the order they came. A print counts for an order as a look at the prints would count
   * it (fillResting: newer than the market's mark and the order's own stamp); the mark then moves
   * to it, so the next look does not count it again.
   */
  private applySeenCrosses(): void {
    this.justFilled.clear();
    if (this.seen.length === 0) return;
    const seen = this.seen;
    this.seen = [];
    const { ledger, transport } = this.d;
    // Each market's mark as this sync point found it: the prints of one match share a time.
    const marks = new Map<string, number>();
    for (const c of seen) {
      if ("shown" in c) {
        transport.capQueuesAt(c.ticker, c.side, c.price, c.shown + c.credited);
        continue;
      }
      if (!("print" in c)) {
        const n = transport.fillCrossedIn(c.ticker, c.book, c.tsMs);
        if (n > 0) this.justFilled.add(c.ticker);
        this.crossFills += n;
        continue;
      }
      let mark = marks.get(c.ticker);
      if (mark === undefined) {
        const meta = ledger.getMeta(markKey(c.ticker));
        marks.set(c.ticker, (mark = meta === null ? Number.NEGATIVE_INFINITY : Number(meta)));
      }
      if (c.print.tsMs <= mark) continue;
      const since = mark;
      const n = transport.fillResting(new Map([[c.ticker, [c.print]]]), (row) =>
        Math.max(since, row.paperSinceMs ?? Number.POSITIVE_INFINITY),
      );
      if (n > 0) this.justFilled.add(c.ticker);
      this.crossFills += n;
      const newest = Number(ledger.getMeta(markKey(c.ticker)) ?? Number.NEGATIVE_INFINITY);
      if (c.print.tsMs > newest) ledger.setMeta(markKey(c.ticker), String(c.print.tsMs));
    }
  }

  /**
   * The exit's sync point (daemon): the crosses and prints the feed showed since the last one fill
   * the paper quotes they reached, before the exit cancels them, as those quotes would have traded
   * live before the cancel. Returns how many paper fills that made.
   */
  syncAtExit(): number {
    const before = this.crossFills;
    this.applySeenCrosses();
    return this.crossFills - before;
  }

  /**
   * Depth for the markets where paper took liquidity it still holds: the venue still shows that
   * level, and what a live bot would meet behind it (the next level) is only in the depth.
   */
  async loadTakenDepth(md: MarketData): Promise<void> {
    if (!this.d.client.hasCredentials) return;
    const want = this.d.ledger
      .metaWithPrefix("paper_taken:")
      .map(({ key }) => key.slice("paper_taken:".length))
      .filter((t) => md.markets.get(t) && !md.markets.get(t)!.book);
    if (want.length > 0) await this.d.marketData.loadBooks(md, want);
  }

  /** Cash the paper book has free (its balance less what resting orders hold). */
  availableMicros(): Micros {
    return this.d.transport.availableMicros();
  }

  /**
   * With a key, one balance read for the exchange's clock (its `updated_ts`), as each live
   * reconciliation has; without one, the prints read are the only exchange times. Returns the
   * requests made.
   */
  async sampleClock(): Promise<number> {
    if (!this.d.client.hasCredentials) return 0;
    try {
      this.d.exchangeTime((await this.d.client.getBalance()).updated_ts * 1000);
    } catch {
      // A failed read leaves the clock where it was (the monotonic time since the last sample).
    }
    return 1;
  }

  /** The paper bankroll starts at the account's balance (or sim.balance_dollars without a key). */
  async anchor(): Promise<void> {
    let start: Micros;
    const c = this.d.client;
    const configured = () => parseDollars(this.d.loaded.config.sim.balance_dollars, "sim.balance_dollars");
    if (c.hasCredentials) {
      try {
        start = balanceMicrosOf(await c.getBalance());
      } catch {
        start = configured();
      }
    } else start = configured();
    this.d.ledger.setCashAnchor(start);
    this.d.ledger.audit("anchor", `paper bankroll starts at $${formatDollars2(start)}`);
  }

  /**
   * Every order that rests at a new price since `sinceWall` (created or amended in this cycle or
   * pass) is stamped with its market's newest print as of now, so only later prints can fill it
   * (maintain). Without it an order placed after the market's mark was taken could be filled by
   * prints from before it existed: a paper P&L rosier than live. `fresh`: marks fetched in this
   * cycle may be used; a reactive pass fetches its own.
   */
  async stampSince(sinceWall: number, fresh: boolean): Promise<void> {
    const { ledger, marketData } = this.d;
    const resting = ledger.ordersWithStatus(["resting"]);
    this.watch(resting);
    const rows = resting.filter((r) => r.updatedAt >= sinceWall);
    if (rows.length === 0) return;
    const latest = new Map<string, number>(fresh ? this.printMark : []);
    for (const row of rows) {
      let t = latest.get(row.ticker);
      if (t === undefined) {
        t = (await marketData.tradesSince(row.ticker, null)).latestMs;
        latest.set(row.ticker, t);
      }
      ledger.setPaperSince(row.id, t);
    }
  }

  /** Resting orders fill from trades through them; closed markets settle paper positions. Returns the fills. */
  async maintain(md: MarketData): Promise<number> {
    this.printMark.clear();
    this.expire();
    const { trades, since } = await this.readTrades(md);
    const stamp = (row: OrderRow) => row.paperSinceMs ?? Number.NEGATIVE_INFINITY;
    // No mark yet (the market's first check): only a mark is taken, nothing fills.
    let fills = this.d.transport.fillResting(trades, (row) => Math.max(since.get(row.ticker) ?? Number.POSITIVE_INFINITY, stamp(row)));
    // Orders the venue's book now crosses (a maker requoted through our price) fill as they would live.
    fills += this.d.transport.fillCrossed();
    fills += this.crossFills;
    this.crossFills = 0;
    this.settle(md);
    // The strategies see the book with what still rests after these fills.
    if (fills > 0) this.setMarkets(md);
    return fills;
  }

  /** Paper orders expire as live ones would (a dry run that died leaves nothing resting past its TTL). */
  private expire(): void {
    if (this.d.ttlSeconds <= 0) return;
    const { ledger } = this.d;
    for (const r of ledger.ordersWithStatus(["resting"])) {
      if (r.expiresAt !== null && r.expiresAt <= this.d.now())
        ledger.updateOrder(r.id, { status: "expired", remainingCount: 0 }, `paper: expired at ${new Date(r.expiresAt).toISOString()}`);
    }
  }

  /** The prints since each resting market's mark (orders in markets no longer open are cancelled). */
  private async readTrades(md: MarketData): Promise<{ trades: Map<string, TradePrint[]>; since: Map<string, number> }> {
    const { ledger, marketData } = this.d;
    const resting = ledger.ordersWithStatus(["resting"]);
    const trades = new Map<string, TradePrint[]>();
    const since = new Map<string, number>();
    for (const t of new Set(resting.map((r) => r.ticker))) {
      const m = md.markets.get(t) ?? md.inactive.get(t);
      if (m && m.status !== "active") {
        for (const r of resting.filter((x) => x.ticker === t))
          ledger.updateOrder(r.id, { status: "canceled", remainingCount: 0 }, `paper: market ${m.status}`);
        continue;
      }
      // No mark yet: the market's first check since a paper order began resting there. The prints
      // since the oldest order's stamp (the newest print when it was placed) can fill it; only
      // without any stamp is a mark merely taken.
      const stamps = resting.filter((x) => x.ticker === t && x.paperSinceMs !== null).map((x) => x.paperSinceMs!);
      const mark = ledger.getMeta(markKey(t)) ?? (stamps.length > 0 ? String(Math.min(...stamps)) : null);
      const r = await marketData.tradesSince(t, mark === null ? null : Number(mark));
      if (mark !== null) {
        trades.set(t, r.prints);
        since.set(t, Number(mark));
      }
      ledger.setMeta(markKey(t), String(r.latestMs));
      this.printMark.set(t, r.latestMs);
      this.d.exchangeTime(r.latestMs);
    }
    return { trades, since };
  }

  /** Settle paper positions in determined markets. */
  private settle(md: MarketData): void {
    const { ledger } = this.d;
    for (const p of ledger.positions().values()) {
      if (p.position === 0) continue;
      const m = md.inactive.get(p.ticker) as (MarketView & { result?: string }) | undefined;
      if (
        !m ||
        (m.status !== "determined" && m.status !== "finalized" && m.status !== "settled") ||
        (m.result !== "yes" && m.result !== "no")
      )
        continue;
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
  }
}

/** PaperUpkeep.lowLevel's key: a resting paper order's market, side and price. */
function levelKey(ticker: string, side: BookSide, price: Price): string {
  return `${ticker}:${side}:${price}`;
}

/** The inactive markets and those in scope, one map (a market in scope wins), built without an entries array. */
function allMarkets(md: MarketData): Map<string, MarketView> {
  const all = new Map(md.inactive);
  for (const [t, m] of md.markets) all.set(t, m);
  return all;
}
