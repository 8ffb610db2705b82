// The other traders: resting makers that quote around each event's fair value, noise takers that
// cross the spread at random, and now and then a maker that quotes a bracket event too cheaply (the
// YES asks of all strikes summing, with fees, to less than $1.00), the edge a good strategy takes.
// They trade through the same matching engine and accounts as any client.
import { centsToMicros, type Count, type Price } from "../kalshi/money.ts";
import { Account } from "./accounts.ts";
import type { Exchange } from "./exchange.ts";
import { snapDown, snapUp, tickAt } from "../kalshi/price-grid.ts";
import type { EventProcess } from "./process.ts";
import { Rng } from "./rng.ts";
import type { Liquidity } from "./scenario-schema.ts";
import type { BookSide, Market } from "./types.ts";
import { SimError } from "./errors.ts";

export const MAKER_USER = "sim-maker";
export const NOISE_USER = "sim-noise";
const BIG_BALANCE = centsToMicros(10_000_000_000); // $100M each: they must never run dry.

interface Style {
  quoteEveryMs: number;
  noiseEveryMs: number;
  halfSpread: Price;
  levels: number;
  size: [number, number];
}

const STYLES: Record<Exclude<Liquidity, "none">, Style> = {
  deep: { quoteEveryMs: 2_000, noiseEveryMs: 3_000, halfSpread: 150, levels: 3, size: [20, 80] },
  normal: { quoteEveryMs: 6_000, noiseEveryMs: 10_000, halfSpread: 300, levels: 2, size: [10, 40] },
  thin: { quoteEveryMs: 30_000, noiseEveryMs: 60_000, halfSpread: 600, levels: 1, size: [2, 10] },
};

interface Episode {
  untilMs: number;
  edge: number;
}

export interface ParticipantOptions {
  makers: boolean;
  noiseTakers: boolean;
  mispricingEveryS: number;
  activity: number;
}

export class Participants {
  readonly maker: Account;
  readonly noise: Account;
  private readonly processes = new Map<string, EventProcess>();
  private readonly episodes = new Map<string, Episode>();
  private readonly meEvents: string[] = [];
  private readonly rng: Rng;

  constructor(private readonly ex: Exchange, seed: number | string, private readonly opts: ParticipantOptions) {
    this.maker = ex.accounts.get(MAKER_USER) ?? ex.addAccount(new Account(MAKER_USER, BIG_BALANCE, null, null, true));
    this.noise = ex.accounts.get(NOISE_USER) ?? ex.addAccount(new Account(NOISE_USER, BIG_BALANCE, null, null, true));
    this.rng = new Rng(`${seed}:participants`);
    if (opts.mispricingEveryS > 0 && opts.activity > 0) this.scheduleRandomEpisode(ex.now());
  }

  process(eventTicker: string): EventProcess | undefined {
    return this.processes.get(eventTicker);
  }

  addEvent(eventTicker: string, process: EventProcess, markets: Market[], liquidity: Map<string, Liquidity>, mutuallyExclusive: boolean, seed: number | string): void {
    this.processes.set(eventTicker, process);
    if (mutuallyExclusive && markets.length > 2) this.meEvents.push(eventTicker);
    if (this.opts.activity <= 0) return;
    for (const m of markets) {
      const liq = liquidity.get(m.ticker) ?? "normal";
      if (liq === "none") continue;
      const style = STYLES[liq];
      const rng = new Rng(`${seed}:${m.ticker}`);
      const start = Math.max(m.openMs, this.ex.now());
      if (this.opts.makers) {
        const loop = (at: number) => {
          if (!this.alive(m)) return;
          if (m.status === "active") this.quote(m, process, style, rng, at);
          this.ex.at(at + Math.round((style.quoteEveryMs * (0.7 + 0.6 * rng.next())) / this.opts.activity), loop);
        };
        this.ex.at(start, loop);
      }
      if (this.opts.noiseTakers) {
        const loop = (at: number) => {
          if (!this.alive(m)) return;
          if (m.status === "active") this.noiseTrade(m, process, style, rng, at);
          this.ex.at(at + Math.max(50, Math.round(rng.exp(style.noiseEveryMs) / this.opts.activity)), loop);
        };
        this.ex.at(start + Math.round(rng.exp(style.noiseEveryMs)), loop);
      }
    }
  }

  /** Quote `edge` too cheaply on every strike of an event for a while. */
  startEpisode(eventTicker: string, durationMs: number, edge: number): void {
    this.episodes.set(eventTicker, { untilMs: this.ex.now() + durationMs, edge });
    const ev = this.ex.events.get(eventTicker);
    const proc = this.processes.get(eventTicker);
    if (!ev || !proc) return;
    for (const t of ev.marketTickers) {
      const m = this.ex.markets.get(t);
      if (m && m.status === "active") this.quote(m, proc, STYLES.normal, this.rng, this.ex.now(), true);
    }
  }

  private scheduleRandomEpisode(from: number): void {
    const next = from + Math.round(this.rng.exp(this.opts.mispricingEveryS * 1000) / this.opts.activity);
    this.ex.at(next, (at) => {
      const live = this.meEvents.filter((e) => {
        const ev = this.ex.events.get(e);
        return ev?.marketTickers.every((t) => this.ex.markets.get(t)?.status === "active");
      });
      if (live.length > 0) this.startEpisode(this.rng.pick(live), 30_000 + this.rng.int(0, 60_000), 0.08 + this.rng.next() * 0.06);
      this.scheduleRandomEpisode(at);
    });
  }

  private alive(m: Market): boolean {
    return m.status === "initialized" || m.status === "active" || m.status === "inactive";
  }

  private quote(m: Market, proc: EventProcess, style: Style, rng: Rng, now: number, keepStyle = false): void {
    const fair = Math.round(proc.fair(m.ticker, now) * 10_000);
    const ep = this.episodes.get(m.eventTicker);
    const inEpisode = ep !== undefined && ep.untilMs > now;
    if (ep && !inEpisode) this.episodes.delete(m.eventTicker);
    const desired: { side: BookSide; price: Price; size: Count }[] = [];
    const step = Math.max(100, tickAt(fair, m.priceRanges));
    const sizeOf = () => rng.int(style.size[0], style.size[1]) * 100;
    let bestAsk = Infinity;
    if (inEpisode) {
      const cheap = snapDown(Math.floor(fair * (1 - ep.edge)), m.priceRanges) ?? snapUp(1, m.priceRanges)!;
      desired.push({ side: "ask", price: cheap, size: rng.int(10, 25) * 100 });
      bestAsk = cheap;
    } else {
      for (let i = 0; i < style.levels; i++) {
        const ask = snapUp(fair + style.halfSpread + i * step, m.priceRanges) ?? 10_000;
        if (ask < 10_000 && ask > fair) desired.push({ side: "ask", price: ask, size: sizeOf() });
        bestAsk = Math.min(bestAsk, ask);
      }
    }
    for (let i = 0; i < style.levels; i++) {
      const bid = snapDown(fair - style.halfSpread - i * step, m.priceRanges) ?? 0;
      if (bid > 0 && bid < fair && bid < bestAsk) desired.push({ side: "bid", price: bid, size: sizeOf() });
    }
    void keepStyle;
    // Keep quotes that are still wanted (they keep their queue place); replace the rest.
    const mine = this.maker.resting.get(m.ticker);
    if (mine) {
      for (const o of [...mine]) {
        const i = desired.findIndex((d) => d.side === o.side && d.price === o.price);
        if (i >= 0 && o.remaining * 2 >= desired[i]!.size) desired.splice(i, 1);
        else this.ex.cancelResting(o, "Cancel");
      }
    }
    for (const d of desired) this.place(MAKER_USER, m, d.side, d.price, d.size, "good_till_canceled");
  }

  private noiseTrade(m: Market, proc: EventProcess, style: Style, rng: Rng, now: number): void {
    const ep = this.episodes.get(m.eventTicker);
    if (ep && ep.untilMs > now) return; // leave the mispricing for the strategies
    const fair = proc.fair(m.ticker, now) * 10_000;
    const buy = rng.next() < 0.5;
    const reach = style.halfSpread + 300;
    const price = buy ? (snapUp(Math.round(fair + reach), m.priceRanges) ?? nextDownTop(m.priceRanges)) : (snapDown(Math.round(fair - reach), m.priceRanges) ?? snapUp(1, m.priceRanges) ?? 0);
    if (price <= 0 || price >= 10_000) return;
    const size = rng.int(1, style === STYLES.deep ? 25 : 10) * 100;
    this.place(NOISE_USER, m, buy ? "bid" : "ask", price, size, "immediate_or_cancel");
  }

  private place(user: string, m: Market, side: BookSide, price: Price, count: Count, tif: "good_till_canceled" | "immediate_or_cancel"): void {
    try {
      this.ex.placeOrder(user, { ticker: m.ticker, side, price, count, tif, stp: "taker_at_cross" });
    } catch (e) {
      // A participant's order can meet a closed market or an off-grid edge case; they just skip it.
      if (!(e instanceof SimError)) throw e;
    }
  }
}

/** The highest tradable price of a grid (a noise buyer reaching past the top pays at most this). */
function nextDownTop(ranges: Market["priceRanges"]): Price {
  return snapDown(9_999, ranges) ?? 9_900;
}
