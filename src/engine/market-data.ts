// Market data for the scope, in as few requests as the API allows:
//   whole exchange / series → GET /events?with_nested_markets=true (events + their markets, 200 per page)
//   allowed_event_tickers   → the same, filtered by `tickers`
//   allowed_market_tickers  → GET /markets?tickers=… (+ their events once, cached)
// Market lists carry the top of book; order books are fetched (batched) only for markets a
// strategy needs depth in. Series fee parameters are static enough to cache for the process.
import { depthWanted } from "./depth-choice.ts";
import type { KalshiClient } from "../kalshi/index.ts";
import type * as W from "../kalshi/wire/rest.ts";
import { multiplierE4, PRICE_ONE, type Count, type FeeType, type Price } from "../kalshi/money.ts";
import type { BookDepth, EventView, MarketView, PortfolioView, PriceRange, Strategy, TradePrint } from "../strategies/types.ts";
import { isExhaustive } from "./event-coverage.ts";

export interface Scope {
  seriesTickers: string[];
  eventTickers: string[];
  marketTickers: string[];
  /** No explicit scope: the whole (small) exchange. Only allowed in dry-run or sim. */
  whole: boolean;
}

/**
 * Whether a market_lifecycle_v2 message may concern the scope. It names the market, and its event
 * only on `created`; the series is not in it, so a series matches by Kalshi's ticker convention
 * (events are SERIES-…, markets EVENT-…). A false positive costs one early full load, no more.
 */
export function lifecycleInScope(scope: Scope, ticker: string, eventTicker: string | null): boolean {
  if (scope.whole) return true;
  if (scope.marketTickers.includes(ticker)) return true;
  if (eventTicker !== null && scope.eventTickers.includes(eventTicker)) return true;
  if (scope.eventTickers.some((e) => ticker.startsWith(`${e}-`))) return true;
  const name = eventTicker ?? ticker;
  return scope.seriesTickers.some((s) => name === s || name.startsWith(`${s}-`));
}

export function inScope(scope: Scope, m: { ticker: string; eventTicker: string; seriesTicker: string }): boolean {
  if (scope.whole) return true;
  return (
    scope.marketTickers.includes(m.ticker) || scope.eventTickers.includes(m.eventTicker) || scope.seriesTickers.includes(m.seriesTicker)
  );
}

export interface MarketData {
  markets: Map<string, MarketView>;
  events: Map<string, EventView>;
  requests: number;
  /** Markets in scope that are not open (closed, determined…): used for paper settlement and marks. */
  inactive: Map<string, MarketView>;
  /** Open markets in scope that are not traded, with why (e.g. a fee type we cannot price); kept in `inactive` for marks. */
  untradeable: Map<string, string>;
}

interface SeriesInfo {
  /** As Kalshi names it; only PRICEABLE ones are traded. */
  feeType: string;
  feeMultiplierE4: number;
}

/** An event's fee overrides (GetEvents `fee_type_override` / `fee_multiplier_override`), which win over its series'. */
interface EventFees {
  feeTypeOverride: string | null;
  feeMultE4Override: number | null;
}

/** Fee types whose schedule money.ts knows. `flat` (a per-contract table Kalshi does not publish) and new ones are not. */
const PRICEABLE = new Set<string>(["quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees"]);

/**
 * The fee schedule of one market: its event's overrides, else its series'; none during a fee
 * waiver (`fee_waiver_expiration_time` in the future); or why it cannot be priced, and so is not
 * traded (a wrong fee makes every edge wrong).
 */
export function effectiveFee(
  series: SeriesInfo,
  ev: EventFees | undefined,
  m: { fee_waiver_expiration_time?: string | null | undefined },
  nowMs: number,
): { feeType: FeeType; feeMultiplierE4: number } | { reason: string } {
  const type = ev?.feeTypeOverride ?? series.feeType;
  if (!PRICEABLE.has(type)) return { reason: `fee type "${type}" cannot be priced (no published schedule); not traded` };
  const waived = m.fee_waiver_expiration_time ? Date.parse(m.fee_waiver_expiration_time) > nowMs : false;
  return { feeType: type as FeeType, feeMultiplierE4: waived ? 0 : (ev?.feeMultE4Override ?? series.feeMultiplierE4) };
}

const eventFees = (ev: W.EventData): EventFees => ({
  feeTypeOverride: ev.fee_type_override ?? null,
  feeMultE4Override:
    ev.fee_multiplier_override === null || ev.fee_multiplier_override === undefined ? null : multiplierE4(ev.fee_multiplier_override),
});

const BATCH_TICKERS = 100;

/**
 * What a stop request aborts the reads with. Only the scope's reads (load, refresh, depth) take the
 * signal: they come before any order of the cycle, so abandoning them leaves nothing half done, and
 * a 1,000-series scope on the Basic tier is ~50 s of paging and rate-limit waits that a SIGTERM
 * would otherwise sit through. tradesSince does not: it keeps the paper fill marks, and runs after
 * orders too (stamping), where a cycle must finish what it started.
 */
export class StopRequested extends Error {
  override name = "StopRequested";
}

export interface MarketDataOptions {
  /** Aborted (with a StopRequested) when the bot is asked to stop. */
  signal?: AbortSignal;
  /**
   * The exchange's time as last seen (a lower bound), or null before any sample. A fee waiver is
   * judged against the later of it and this machine's clock: an exchange time compared with the
   * exchange's, and when in doubt the fee is assumed (a waiver taken for running when it has ended
   * makes every edge look a fee bigger than it is).
   */
  exchangeNow?: () => number | null;
  /** Called after each page of a walk over events (the daemon collects garbage there: ops/heap-collector.ts). */
  betweenPages?: () => void;
}

/**
 * A REST order book (KalshiClient gives each leg best FIRST, whatever order the server used) in the
 * strategies' BookDepth order: best LAST, as src/strategies/types.ts and Kalshi's own wire format
 * have it, and as LiveBooks serves it. One order for every producer, so a strategy or the paper
 * model never sees a different book for the same market depending on where it came from.
 */
export function depthFromOrderbook(b: {
  yes: ReadonlyArray<readonly [Price, Count]>;
  no: ReadonlyArray<readonly [Price, Count]>;
}): BookDepth {
  const bestLast = (levels: ReadonlyArray<readonly [Price, Count]>): Array<[Price, Count]> => {
    const out = levels.map(([p, c]) => [p, c] as [Price, Count]);
    // Ascending price = best bid last on both legs (each leg is a list of bids).
    return out.sort((x, y) => x[0] - y[0]);
  };
  return { yes: bestLast(b.yes), no: bestLast(b.no) };
}
const QUADRATIC = { feeType: "quadratic", feeMultiplierE4: 10_000 } as const;

/**
 * Distinct price grids kept for sharing. Kalshi uses a handful (the cent grid, a tapered one); a
 * grid met after this many is built per market as before, so an odd answer cannot grow the table.
 */
export const MAX_SHARED_GRIDS = 32;

export class MarketDataSource {
  private readonly series = new Map<string, SeriesInfo>();
  /**
   * One priceRanges array per distinct grid, shared by every view on it (views are never changed in
   * place): at 10,000 markets a full load otherwise made 10,000 arrays of the same ranges, every
   * minute, each kept as long as its view (issue 14, the daemon's memory).
   */
  private readonly grids = new Map<string, PriceRange[]>();
  private readonly eventMeta = new Map<string, { seriesTicker: string; mutuallyExclusive: boolean; fees: EventFees }>();
  requests = 0;

  private readonly signal: AbortSignal | undefined;
  private readonly exchangeNow: () => number | null;
  private readonly betweenPages: (() => void) | undefined;

  constructor(
    private readonly client: KalshiClient,
    opts: MarketDataOptions = {},
  ) {
    this.signal = opts.signal;
    this.exchangeNow = opts.exchangeNow ?? (() => null);
    this.betweenPages = opts.betweenPages;
  }

  /** Now, for the fee waivers: the later of the exchange's clock and this machine's. */
  private feeNow(): number {
    return Math.max(Date.now(), this.exchangeNow() ?? 0);
  }

  /**
   * Between pages and batches: a stop request ends the fetch here rather than at its last page. The
   * cycle calls it once more just before its orders go out, the last point where stopping leaves
   * nothing half done.
   */
  checkStop(): void {
    if (this.signal?.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : new StopRequested("stop requested");
  }

  private async seriesInfo(ticker: string): Promise<SeriesInfo> {
    let s = this.series.get(ticker);
    if (!s) {
      this.requests++;
      try {
        const r = await this.client.getSeries(ticker, {}, this.signal);
        s = { feeType: r.fee_type, feeMultiplierE4: multiplierE4(r.fee_multiplier) };
      } catch {
        // An abandoned read says nothing about the series: never cache the fallback for it.
        this.checkStop();
        // Unknown series: assume the standard taker schedule (×1), never a cheaper one.
        s = { feeType: "quadratic", feeMultiplierE4: 10_000 };
      }
      this.series.set(ticker, s);
    }
    return s;
  }

  toView(m: W.Market, seriesTicker: string, fee: { feeType: FeeType; feeMultiplierE4: number }): MarketView {
    const bidSize = m.yes_bid_size_fp ?? 0;
    const askSize = m.yes_ask_size_fp ?? 0;
    return {
      ticker: m.ticker,
      eventTicker: m.event_ticker,
      seriesTicker,
      status: m.status,
      yesBid: m.yes_bid_dollars > 0 && bidSize > 0 ? m.yes_bid_dollars : null,
      yesBidSize: bidSize,
      yesAsk: m.yes_ask_dollars < PRICE_ONE && askSize > 0 ? m.yes_ask_dollars : null,
      yesAskSize: askSize,
      lastPrice: m.last_price_dollars > 0 ? m.last_price_dollars : null,
      volume: m.volume_fp,
      openInterest: m.open_interest_fp,
      priceRanges: this.grid(m.price_ranges),
      feeType: fee.feeType,
      feeMultiplierE4: fee.feeMultiplierE4,
      closeTimeMs: m.close_time ? Date.parse(m.close_time) : null,
      ...(m.result ? { result: m.result } : {}),
    } as MarketView;
  }

  private grid(ranges: readonly W.PriceRange[]): PriceRange[] {
    let key = "";
    for (const r of ranges) key += `${r.start}/${r.end}/${r.step};`;
    const known = this.grids.get(key);
    if (known) return known;
    const g = ranges.map((r) => ({ start: r.start, end: r.end, step: r.step }));
    if (this.grids.size < MAX_SHARED_GRIDS) this.grids.set(key, g);
    return g;
  }

  private async addEvent(out: MarketData, ev: W.EventData, markets: W.Market[], scope: Scope): Promise<void> {
    const fees = eventFees(ev);
    this.eventMeta.set(ev.event_ticker, { seriesTicker: ev.series_ticker, mutuallyExclusive: ev.mutually_exclusive, fees });
    const series = await this.seriesInfo(ev.series_ticker);
    const tickers: string[] = [];
    for (const m of markets) {
      const fee = effectiveFee(series, fees, m, this.feeNow());
      const view = this.toView(m, ev.series_ticker, "reason" in fee ? QUADRATIC : fee);
      if (!inScope(scope, view)) continue;
      tickers.push(m.ticker);
      if (m.status === "active" && "reason" in fee) {
        out.inactive.set(m.ticker, view);
        out.untradeable.set(m.ticker, fee.reason);
      } else if (m.status === "active") out.markets.set(m.ticker, view);
      else out.inactive.set(m.ticker, view);
    }
    if (tickers.length) {
      out.events.set(ev.event_ticker, {
        eventTicker: ev.event_ticker,
        seriesTicker: ev.series_ticker,
        mutuallyExclusive: ev.mutually_exclusive,
        exhaustive: isExhaustive(ev.mutually_exclusive, markets),
        marketTickers: markets.map((m) => m.ticker),
      });
    }
  }

  private async walkEvents(out: MarketData, q: Parameters<KalshiClient["walkEvents"]>[0], scope: Scope): Promise<void> {
    this.checkStop();
    for await (const page of this.client.walkEvents({ ...q, with_nested_markets: true }, this.signalOpt())) {
      this.requests++;
      for (const ev of page) await this.addEvent(out, ev, ev.markets ?? [], scope);
      this.betweenPages?.();
    }
  }

  private signalOpt(): { signal?: AbortSignal } {
    return this.signal ? { signal: this.signal } : {};
  }

  /** One cycle's market data for the scope. `extraTickers`: markets outside the lists we must mark (positions). */
  async load(scope: Scope, extraTickers: readonly string[] = []): Promise<MarketData> {
    const before = this.requests;
    const out: MarketData = { markets: new Map(), events: new Map(), requests: 0, inactive: new Map(), untradeable: new Map() };
    if (scope.whole) {
      await this.walkEvents(out, { status: "open" }, scope);
    } else {
      for (const s of scope.seriesTickers) await this.walkEvents(out, { series_ticker: s, status: "open" }, scope);
      for (let i = 0; i < scope.eventTickers.length; i += BATCH_TICKERS) {
        await this.walkEvents(out, { tickers: scope.eventTickers.slice(i, i + BATCH_TICKERS) }, scope);
      }
      const loose = scope.marketTickers.filter((t) => !out.markets.has(t) && !out.inactive.has(t));
      await this.loadTickers(out, loose, scope);
    }
    const missing = extraTickers.filter((t) => !out.markets.has(t) && !out.inactive.has(t));
    // Positions outside the lists (out of scope, or markets that closed): fetched for marks and
    // settlement only; an out-of-scope market never reaches the strategies.
    await this.loadTickers(out, missing, { ...scope, whole: true }, true);
    // Events come and go (a daemon sees thousands over months): forget the ones this load did not
    // meet. One that is needed again is looked up again (loadTickers, refresh).
    // Asked of the load's own maps, without copying their 10,000 keys into arrays and sets first (issue 14, memory).
    const otherEvents = new Set<string>();
    for (const ms of [out.markets, out.inactive])
      for (const m of ms.values()) if (!out.events.has(m.eventTicker)) otherEvents.add(m.eventTicker);
    for (const e of this.eventMeta.keys()) if (!out.events.has(e) && !otherEvents.has(e)) this.eventMeta.delete(e);
    // Markets too: the client's shard table keeps what this load met (open in scope, or held).
    this.client.retainShards((t) => out.markets.has(t) || out.inactive.has(t));
    out.requests = this.requests - before;
    return out;
  }

  /** One chunk of markets by ticker (GET /markets?tickers=…), with the metadata of events not met yet. */
  private async fetchByTickers(chunk: readonly string[]): Promise<W.Market[]> {
    const ms: W.Market[] = [];
    this.checkStop();
    for await (const page of this.client.walkMarkets({ tickers: chunk }, this.signalOpt())) {
      this.requests++;
      ms.push(...page);
    }
    const unknownEvents = [...new Set(ms.map((m) => m.event_ticker))].filter((e) => !this.eventMeta.has(e));
    for (let j = 0; j < unknownEvents.length; j += BATCH_TICKERS) {
      for await (const page of this.client.walkEvents({ tickers: unknownEvents.slice(j, j + BATCH_TICKERS) }, this.signalOpt())) {
        this.requests++;
        for (const ev of page)
          this.eventMeta.set(ev.event_ticker, {
            seriesTicker: ev.series_ticker,
            mutuallyExclusive: ev.mutually_exclusive,
            fees: eventFees(ev),
          });
      }
    }
    return ms;
  }

  /** A market's view with its fees (plain quadratic when the series is unknown), and why it cannot be traded, if so. */
  private async viewWithFees(m: W.Market, seriesTicker: string): Promise<{ view: MarketView; untradeable?: string }> {
    const series = seriesTicker ? await this.seriesInfo(seriesTicker) : QUADRATIC;
    const fee = effectiveFee(series, this.eventMeta.get(m.event_ticker)?.fees, m, this.feeNow());
    if ("reason" in fee) return { view: this.toView(m, seriesTicker, QUADRATIC), untradeable: fee.reason };
    return { view: this.toView(m, seriesTicker, fee) };
  }

  private async loadTickers(out: MarketData, tickers: readonly string[], scope: Scope, markOnly = false): Promise<void> {
    for (let i = 0; i < tickers.length; i += BATCH_TICKERS) {
      const ms = await this.fetchByTickers(tickers.slice(i, i + BATCH_TICKERS));
      for (const m of ms) {
        const meta = this.eventMeta.get(m.event_ticker);
        const seriesTicker = meta?.seriesTicker ?? "";
        const { view, untradeable } = await this.viewWithFees(m, seriesTicker);
        if (!markOnly && !inScope(scope, view)) continue;
        if (untradeable && m.status === "active" && !markOnly) out.untradeable.set(m.ticker, untradeable);
        if (m.status === "active" && !markOnly && !untradeable) out.markets.set(m.ticker, view);
        else out.inactive.set(m.ticker, view);
        if (!markOnly && meta && !out.events.has(m.event_ticker)) {
          // Only the listed markets of this event are known here; arbitrage needs the whole event, and
          // event_arbitrage checks that every market of the event is present before it trades.
          // Never exhaustive: only the listed markets are known, so a YES set is not provably covered.
          out.events.set(m.event_ticker, {
            eventTicker: m.event_ticker,
            seriesTicker,
            mutuallyExclusive: meta.mutuallyExclusive,
            exhaustive: false,
            marketTickers: [],
          });
        }
        if (!markOnly) out.events.get(m.event_ticker)?.marketTickers.push(m.ticker);
      }
    }
  }

  /**
   * Between full loads (daemon with trusted live books): the previous REST views, with `stale`
   * markets re-read over REST (GET /markets?tickers=…, 100 per request): those whose live book is
   * not trusted, those past their close time, held or resting ones that are not open, and extra
   * tickers not seen yet. A market that is no longer open moves to `inactive`. New markets and
   * events, volumes and other slow fields arrive with the next full `load`.
   */
  async refresh(
    prev: {
      markets: Map<string, MarketView>;
      events: Map<string, EventView>;
      inactive: Map<string, MarketView>;
      untradeable?: Map<string, string>;
    },
    stale: readonly string[],
  ): Promise<MarketData> {
    const before = this.requests;
    // The previous maps themselves until a re-read market changes one: a refresh runs every cycle
    // between full loads, and copying 10,000-entry maps each time was ~1 MB of large allocations a
    // second for the collector (issue 14, the daemon's memory). Events are never changed here.
    const out: MarketData = {
      markets: prev.markets,
      events: prev.events,
      requests: 0,
      inactive: prev.inactive,
      untradeable: prev.untradeable ?? new Map(),
    };
    let own = false;
    const want = [...new Set(stale)];
    for (let i = 0; i < want.length; i += BATCH_TICKERS) {
      const ms = await this.fetchByTickers(want.slice(i, i + BATCH_TICKERS));
      if (ms.length > 0 && !own) {
        out.markets = new Map(prev.markets);
        out.inactive = new Map(prev.inactive);
        out.untradeable = new Map(prev.untradeable ?? []);
        own = true;
      }
      for (const m of ms) {
        const seriesTicker = this.eventMeta.get(m.event_ticker)?.seriesTicker ?? prev.markets.get(m.ticker)?.seriesTicker ?? "";
        const { view, untradeable } = await this.viewWithFees(m, seriesTicker);
        // Only markets that were open in scope stay tradable; anything else is for marks only.
        if (untradeable) out.untradeable.set(m.ticker, untradeable);
        if (m.status === "active" && out.markets.has(m.ticker) && !untradeable) out.markets.set(m.ticker, view);
        else {
          out.markets.delete(m.ticker);
          out.inactive.set(m.ticker, view);
        }
      }
    }
    out.requests = this.requests - before;
    return out;
  }

  /**
   * Full depth for the markets any strategy asks depth for, batched; markets that already carry a
   * book (a trusted live book laid over them) are skipped. `portfolio` lets a strategy ask for depth
   * where it already has orders (market_maker subtracts its own quotes level by level).
   */
  async loadDepth(
    data: MarketData,
    strategies: ReadonlyArray<{ strategy: Strategy<unknown>; params: unknown }>,
    portfolio?: PortfolioView,
  ): Promise<number> {
    const wanted = depthWanted(data.markets, data.events, strategies, portfolio);
    return this.loadBooks(
      data,
      [...wanted].filter((t) => data.markets.has(t) && !data.markets.get(t)!.book),
    );
  }

  /** Full depth for these markets of `data` (batched); returns the requests made. */
  async loadBooks(data: MarketData, want: readonly string[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < want.length; i += BATCH_TICKERS) {
      this.checkStop();
      this.requests++;
      n++;
      const books = await this.client.getOrderbooks(want.slice(i, i + BATCH_TICKERS), this.signal);
      for (const b of books) {
        const m = data.markets.get(b.ticker);
        // A new view, never the old one changed in place: views are kept across cycles (live-view.ts)
        // and compared by identity (decision-cache.ts).
        if (m) data.markets.set(b.ticker, { ...m, book: depthFromOrderbook(b) });
      }
    }
    data.requests += n;
    return n;
  }

  /**
   * Public trades of one market newer than `afterMs` (exchange time), oldest first, for paper fills;
   * `latestMs` is the newest print seen (the next call's `afterMs`). With afterMs null only the
   * mark is taken: prints from before our order rested must never fill it.
   */
  async tradesSince(ticker: string, afterMs: number | null): Promise<{ prints: TradePrint[]; latestMs: number }> {
    const prints: TradePrint[] = [];
    const q = afterMs === null ? { ticker, limit: 1 } : { ticker, min_ts: Math.floor(afterMs / 1000), limit: 1000 };
    this.requests++;
    const page = await this.client.listTrades(q);
    let latest = afterMs ?? 0;
    for (const t of page.items) {
      const ts = Date.parse(t.created_time);
      latest = Math.max(latest, ts);
      if (afterMs === null || ts <= afterMs) continue;
      prints.push({ ticker, price: t.yes_price_dollars, count: t.count_fp, takerBookSide: t.taker_book_side, tsMs: ts });
    }
    return { prints: prints.sort((a, b) => a.tsMs - b.tsMs), latestMs: latest };
  }
}
