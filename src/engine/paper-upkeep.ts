// Paper trading's upkeep, each cycle: the bankroll's anchor, expiries, fills of resting orders from
// the market's trades through them, settlement of paper positions in determined markets.
//
// Meta keys (book-namespaced by the ledger): `trades_mark:<ticker>`, the exchange ms of the newest
// print already looked at. Each order's own mark (the newest print when it began resting at its
// price: only later prints can fill it) is its row's paper_since_ms.
import type { LoadedConfig } from "../config/load.ts";
import type { KalshiClient } from "../kalshi/client.ts";
import { formatDollars2, parseDollars, type Micros } from "../kalshi/money.ts";
import type { MarketView, TradePrint } from "../strategies/types.ts";
import type { Ledger, OrderRow } from "./ledger.ts";
import type { MarketData, MarketDataSource } from "./market-data.ts";
import type { PaperTransport } from "./paper-transport.ts";
import { viewsWithOwn } from "./paper-view.ts";
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

export class PaperUpkeep {
  /** Newest print (exchange ms) per market fetched in this cycle's maintenance. */
  private printMark = new Map<string, number>();

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
    for (const [t, m] of md.markets) md.markets.set(t, this.venueOf.get(m) ?? m);
    transport.setMarkets(new Map([...md.inactive, ...md.markets]));
    for (const [t, m] of md.markets) md.markets.set(t, transport.netOfTaken(m));
    transport.setMarkets(new Map([...md.inactive, ...md.markets]));
    const resting = ledger.ordersWithStatus(["resting"]);
    for (const [t, m] of viewsWithOwn(md.markets, resting)) {
      if (m === md.markets.get(t)) continue;
      this.venueOf.set(m, md.markets.get(t)!);
      md.markets.set(t, m);
    }
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
    const rows = ledger.ordersWithStatus(["resting"]).filter((r) => r.updatedAt >= sinceWall);
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
