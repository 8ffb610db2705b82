// The other traders, each with its own random stream per market (or per event) derived from the
// seed, all scheduled on the sim clock's grid, so a seed replays the same exogenous market whatever
// the wall clock or the bot does (the bot's orders change what fills, never what they draw):
// - makers quote tight and deep (four to six levels of hundreds to thousands of contracts) around a
//   favourite-longshot-biased fair value (longshots dear, favourites cheap) and requote on their own
//   schedule;
// - noise takers cross the spread at random, with order sizes drawn from a lognormal fitted to the
//   real tape;
// - informed takers know the fair value a minute ahead and take the book when it is on the wrong
//   side of it by more than the fee (so the mid drifts their way after they trade);
// - arbitrageurs scan each mutually exclusive event every few seconds and take a YES or NO set
//   that pays after fees;
// - now and then a stale quote: for a while the makers ask too little on every strike of an event
//   (YES asks summing below $1.00), a tape-sized order once per strike: an ask that is hit is not
//   posted again.
// They trade through the same matching engine and accounts as any client.
import { centsToMicros, PRICE_ONE, takerFee, type Count, type Price } from "../kalshi/money.ts";
import { Account } from "./accounts.ts";
import type { Exchange } from "./exchange.ts";
import { snapDown, snapUp, tickAt } from "../kalshi/price-grid.ts";
import type { EventProcess } from "./process.ts";
import { Rng } from "./rng.ts";
import type { Liquidity } from "./scenario-schema.ts";
import type { BookSide, Market, Order } from "./types.ts";
import { SimError } from "./errors.ts";
import type { FlowAction, FlowMode } from "./participant-flow.ts";

export const MAKER_USER = "sim-maker";
export const NOISE_USER = "sim-noise";
export const INFORMED_USER = "sim-informed";
export const ARB_USER = "sim-arb";
const BIG_BALANCE = centsToMicros(10_000_000_000); // $100M each: they must never run dry.

interface Style {
  quoteEveryMs: number;
  noiseEveryMs: number;
  informedEveryMs: number;
  halfSpread: Price;
  levels: number;
  /** Contracts per quoted level, uniform. */
  size: [number, number];
}

// Calibrated against the real KXHIGHNY tape and the crypto15m top of book (README, "The local
// exchange"): the default scenario trades about as often as a real temperature strike (~8 trades a
// market-hour, median), with a 1–2¢ spread and ~12,000 contracts of YES bids (KXXRP15M's median).
const STYLES: Record<Exclude<Liquidity, "none">, Style> = {
  deep: { quoteEveryMs: 3_000, noiseEveryMs: 230_000, informedEveryMs: 1_200_000, halfSpread: 25, levels: 6, size: [1_000, 6_000] },
  normal: { quoteEveryMs: 8_000, noiseEveryMs: 580_000, informedEveryMs: 3_000_000, halfSpread: 50, levels: 5, size: [500, 4_000] },
  thin: { quoteEveryMs: 30_000, noiseEveryMs: 2_300_000, informedEveryMs: 12_000_000, halfSpread: 100, levels: 4, size: [200, 2_000] },
};

/** Favourite-longshot bias of the makers' reference price: logit shrunk toward 0.5 by this factor. */
const FLB_SHRINK = 0.9;
/** A move of a maker's reference since its last quote that makes it requote the event's other strikes too. */
const SIBLING_REQUOTE_MOVE = 200;
/** How far ahead the informed takers see the fair value. */
const INFORMED_HORIZON_MS = 60_000;
/** Mean wait between an arbitrageur's scans of one event. */
const ARB_EVERY_MS = 3_000;
/**
 * Taker order sizes: lognormal fitted to the real KXHIGHNY tape (mean and sd of log size over
 * 244,872 trades: median 26 contracts, sigma 1.71; the tape's p90 / p99 are 200 / 1,083).
 */
const SIZE_MEDIAN = 26;
const SIZE_SIGMA = 1.71;
/** The largest trade on the tape (its p99.9). */
const SIZE_CAP = 5_000;

interface Quoter {
  rng: Rng;
  style: Style;
  lastRef?: number;
}

interface Episode {
  untilMs: number;
  edge: number;
  /** Per market: the stale ask's price once posted (it is never posted twice). */
  posted: Map<string, Price>;
}

export interface ParticipantOptions {
  makers: boolean;
  noiseTakers: boolean;
  informedTakers: boolean;
  arbitrageurs: boolean;
  mispricingEveryS: number;
  activity: number;
  /** Record what they do, or replay a recording of the same seed instead of deciding. */
  flow?: FlowMode;
}

/** The makers' biased reference: longshots priced above their fair value, favourites below. */
export function longshotBiased(p: number): number {
  const l = Math.log(p / (1 - p)) * FLB_SHRINK;
  return 1 / (1 + Math.exp(-l));
}

/** A tape-like trade size in contracts. */
function tradeSize(rng: Rng): number {
  return Math.min(SIZE_CAP, Math.max(1, Math.round(SIZE_MEDIAN * Math.exp(SIZE_SIGMA * rng.normal()))));
}

export class Participants {
  readonly maker: Account;
  private readonly processes = new Map<string, EventProcess>();
  private readonly meEvents: string[] = [];
  private readonly episodes = new Map<string, Episode>();
  /** Each market's maker: its stream, its style, and the reference of its last quote. */
  private readonly quoters = new Map<string, Quoter>();
  private readonly rng: Rng;
  /** Recording: the current call's orders and cancels. */
  private recording: FlowAction[] | null = null;
  /** Replay: the recording's order ids → this exchange's orders. */
  private readonly replayed = new Map<string, Order>();
  /** Replay: per one-off key (stale quotes), how many of its calls ran. */
  private readonly cursor = new Map<string, number>();

  constructor(
    private readonly ex: Exchange,
    seed: number | string,
    private readonly opts: ParticipantOptions,
  ) {
    const account = (user: string) => ex.accounts.get(user) ?? ex.addAccount(new Account(user, BIG_BALANCE, null, null, true));
    this.maker = account(MAKER_USER);
    for (const u of [NOISE_USER, INFORMED_USER, ARB_USER]) account(u);
    this.rng = new Rng(`${seed}:participants`);
    if (opts.mispricingEveryS > 0 && opts.activity > 0) this.scheduleRandomEpisode(ex.now());
  }

  process(eventTicker: string): EventProcess | undefined {
    return this.processes.get(eventTicker);
  }

  addEvent(
    eventTicker: string,
    process: EventProcess,
    markets: Market[],
    liquidity: Map<string, Liquidity>,
    mutuallyExclusive: boolean,
    seed: number | string,
  ): void {
    this.processes.set(eventTicker, process);
    if (mutuallyExclusive && markets.length > 2) this.meEvents.push(eventTicker);
    if (this.opts.activity <= 0) return;
    const act = this.opts.activity;
    const start = Math.max(Math.min(...markets.map((m) => m.openMs)), this.ex.now());
    for (const m of markets) {
      const liq = liquidity.get(m.ticker) ?? "normal";
      if (liq === "none") continue;
      const style = STYLES[liq];
      const mStart = Math.max(m.openMs, this.ex.now());
      // One stream per participant per market: one's draws never shift another's.
      if (this.opts.makers) {
        const q: Quoter = { rng: new Rng(`${seed}:${m.ticker}:maker`), style };
        this.quoters.set(m.ticker, q);
        this.loop(
          `maker:${m.ticker}`,
          mStart,
          () => this.alive(m),
          (at) => {
            if (m.status === "active") this.quote(m, process, q, at);
          },
          (at) => at + Math.round((style.quoteEveryMs * (0.7 + 0.6 * q.rng.next())) / act),
        );
      }
      if (this.opts.noiseTakers) {
        const rng = new Rng(`${seed}:${m.ticker}:noise`);
        this.loop(
          `noise:${m.ticker}`,
          mStart + Math.round(rng.exp(style.noiseEveryMs) / act),
          () => this.alive(m),
          (at) => this.noiseTrade(m, process, style, rng, at),
          (at) => at + Math.max(50, Math.round(rng.exp(style.noiseEveryMs) / act)),
        );
      }
      if (this.opts.informedTakers) {
        const rng = new Rng(`${seed}:${m.ticker}:informed`);
        this.loop(
          `informed:${m.ticker}`,
          mStart + Math.round(rng.exp(style.informedEveryMs) / act),
          () => this.alive(m),
          (at) => this.informedTrade(m, process, rng, at),
          (at) => at + Math.max(50, Math.round(rng.exp(style.informedEveryMs) / act)),
        );
      }
    }
    if (this.opts.arbitrageurs && mutuallyExclusive && markets.length >= 2) {
      const rng = new Rng(`${seed}:${eventTicker}:arb`);
      this.loop(
        `arb:${eventTicker}`,
        start + Math.round(rng.exp(ARB_EVERY_MS)),
        () => markets.some((m) => this.alive(m)),
        () => this.arbitrage(markets, rng),
        (at) => at + Math.max(200, Math.round(rng.exp(ARB_EVERY_MS))),
      );
    }
  }

  /**
   * A participant's loop: from `first`, while `alive`, `body` then the next call at `next`. Replaying,
   * the recorded calls of `key` at their recorded times instead (scheduled from the same places, so
   * ties with the exchange's own work at the same time run in the same order).
   */
  private loop(key: string, first: number, alive: () => boolean, body: (at: number) => void, next: (at: number) => number): void {
    const flow = this.opts.flow;
    if (flow && "replay" in flow) {
      const calls = flow.replay.calls.get(key) ?? [];
      let i = 0;
      const run = () => {
        this.replay(calls[i++]!.actions);
        if (i < calls.length) this.ex.at(calls[i]!.at, run);
      };
      if (calls.length > 0) this.ex.at(calls[0]!.at, run);
      return;
    }
    const run = (at: number) => {
      if (!alive()) return;
      this.call(key, at, () => body(at));
      this.ex.at(next(at), run);
    };
    this.ex.at(first, run);
  }

  /** One call of a participant: decided here (and recorded when recording), or replayed. */
  private call(key: string, at: number, body: () => void): void {
    const flow = this.opts.flow;
    if (!flow) return body();
    if ("replay" in flow) {
      const n = this.cursor.get(key) ?? 0;
      this.cursor.set(key, n + 1);
      const c = flow.replay.calls.get(key)?.[n];
      if (c) this.replay(c.actions);
      return;
    }
    this.recording = flow.record.add(key, at);
    try {
      body();
    } finally {
      this.recording = null;
    }
  }

  private replay(actions: FlowAction[]): void {
    for (const a of actions) {
      if (a.kind === "place") {
        const o = this.send(a.user, a.ticker, a.side, a.price, a.count, a.tif);
        if (o) this.replayed.set(a.id, o);
        continue;
      }
      // An order the scenario placed (a starting book) has the same id on every exchange of a seed;
      // anything else found under a recorded id must still be that participant's order there.
      const o = this.replayed.get(a.id) ?? this.ex.orders.get(a.id);
      if (o && o.userId === a.user && o.ticker === a.ticker && o.side === a.side && o.price === a.price) this.ex.cancelResting(o, "Cancel");
    }
  }

  /**
   * A stale quote: for `durationMs` the makers of every strike of an event ask `edge` below their
   * reference, once per strike: an ask that is hit is not posted again.
   */
  startEpisode(eventTicker: string, durationMs: number, edge: number): void {
    this.call(`episode:${eventTicker}`, this.ex.now(), () => this.openEpisode(eventTicker, durationMs, edge));
  }

  private openEpisode(eventTicker: string, durationMs: number, edge: number): void {
    this.episodes.set(eventTicker, { untilMs: this.ex.now() + durationMs, edge, posted: new Map() });
    const ev = this.ex.events.get(eventTicker);
    const proc = this.processes.get(eventTicker);
    if (!ev || !proc) return;
    for (const t of ev.marketTickers) {
      const m = this.ex.markets.get(t);
      const q = this.quoters.get(t);
      if (m && q && m.status === "active") this.quote(m, proc, q, this.ex.now());
    }
  }

  private scheduleRandomEpisode(from: number): void {
    const next = from + Math.round(this.rng.exp(this.opts.mispricingEveryS * 1000) / this.opts.activity);
    this.ex.at(next, (at) => {
      const live = this.meEvents.filter((e) => {
        const ev = this.ex.events.get(e);
        return ev?.marketTickers.every((t) => this.ex.markets.get(t)?.status === "active");
      });
      const pick = live.length > 0 ? this.rng.pick(live) : null;
      const duration = 30_000 + this.rng.int(0, 60_000);
      const edge = 0.08 + this.rng.next() * 0.06;
      if (pick) this.startEpisode(pick, duration, edge);
      this.scheduleRandomEpisode(at);
    });
  }

  private alive(m: Market): boolean {
    return m.status === "initialized" || m.status === "active" || m.status === "inactive";
  }

  /**
   * The makers' reference price: the biased fair value, and on a mutually exclusive event scaled so
   * the strikes' references add up to $1.00 (makers keep a bracket consistent; the bias then only
   * moves value from favourites to longshots).
   */
  private reference(m: Market, proc: EventProcess, now: number): number {
    const own = longshotBiased(proc.fair(m.ticker, now));
    const ev = this.ex.events.get(m.eventTicker);
    if (!ev?.mutuallyExclusive || ev.marketTickers.length < 2) return own;
    let sum = 0;
    for (const t of ev.marketTickers) sum += longshotBiased(proc.fair(t, now));
    return Math.min(0.99, Math.max(0.01, own / sum));
  }

  private quote(m: Market, proc: EventProcess, q: Quoter, now: number, withSiblings = true): void {
    const { style, rng } = q;
    const ref = Math.round(this.reference(m, proc, now) * PRICE_ONE);
    const jumped = q.lastRef !== undefined && Math.abs(ref - q.lastRef) >= SIBLING_REQUOTE_MOVE;
    q.lastRef = ref;
    // Wider by half the fair value's recent move (makers know the past, not the next move).
    const moved = Math.abs(ref - Math.round(this.reference(m, proc, now - style.quoteEveryMs) * PRICE_ONE));
    const half = style.halfSpread + Math.round(moved / 2);
    const desired: { side: BookSide; price: Price; size: Count }[] = [];
    const step = Math.max(100, tickAt(ref, m.priceRanges));
    // Sizes are drawn for every level (and a stale ask) whether or not quoted: the stream never shifts.
    const sizes = Array.from({ length: 2 * style.levels }, () => rng.int(style.size[0], style.size[1]) * 100);
    const staleSize = tradeSize(rng) * 100;
    const mine = [...(this.maker.resting.get(m.ticker) ?? [])];
    const ep = this.episodes.get(m.eventTicker);
    const inEpisode = ep !== undefined && ep.untilMs > now;
    if (ep && !inEpisode) this.episodes.delete(m.eventTicker);
    let bestAsk = Infinity;
    let stale = false;
    if (inEpisode) {
      const posted = ep.posted.get(m.ticker);
      if (posted === undefined) {
        const cheap = snapDown(Math.floor(ref * (1 - ep.edge)), m.priceRanges) ?? snapUp(1, m.priceRanges);
        if (cheap !== null) {
          ep.posted.set(m.ticker, cheap);
          // A tape-sized order left behind (the real tape's sets are small: median 10 contracts).
          desired.push({ side: "ask", price: cheap, size: staleSize });
          bestAsk = cheap;
          stale = true;
        }
      } else {
        const left = mine.find((o) => o.side === "ask" && o.price === posted);
        if (left) {
          desired.push({ side: "ask", price: posted, size: left.remaining });
          bestAsk = posted;
          stale = true;
        }
      }
    }
    if (!stale) {
      for (let i = 0; i < style.levels; i++) {
        const ask = snapUp(ref + half + i * step, m.priceRanges) ?? PRICE_ONE;
        if (ask < PRICE_ONE && ask > ref) desired.push({ side: "ask", price: ask, size: sizes[i]! });
        bestAsk = Math.min(bestAsk, ask);
      }
    }
    for (let i = 0; i < style.levels; i++) {
      const bid = snapDown(ref - half - i * step, m.priceRanges) ?? 0;
      if (bid > 0 && bid < ref && bid < bestAsk) desired.push({ side: "bid", price: bid, size: sizes[style.levels + i]! });
    }
    // Keep quotes that are still wanted (they keep their queue place); replace the rest.
    for (const o of mine) {
      const i = desired.findIndex((d) => d.side === o.side && d.price === o.price);
      if (i >= 0 && o.remaining * 2 >= desired[i]!.size) desired.splice(i, 1);
      else this.cancel(o);
    }
    for (const d of desired) this.place(MAKER_USER, m, d.side, d.price, d.size, "good_till_canceled");
    // A maker keeps a mutually exclusive event's quotes coherent: after a jump in one market it
    // requotes the others at once. Each on its own schedule, deep books on the stale strikes would
    // cross the fresh one's (seconds of sets worth hundreds of dollars that no real book offers).
    const ev = this.ex.events.get(m.eventTicker);
    if (jumped && withSiblings && ev?.mutuallyExclusive)
      for (const t of ev.marketTickers) {
        const sib = this.ex.markets.get(t);
        const sq = this.quoters.get(t);
        if (t !== m.ticker && sib && sq && sib.status === "active") this.quote(sib, proc, sq, now, false);
      }
  }

  private noiseTrade(m: Market, proc: EventProcess, style: Style, rng: Rng, now: number): void {
    const buy = rng.next() < 0.5;
    const size = tradeSize(rng) * 100;
    const keen = rng.next();
    if (m.status !== "active") return;
    const p = this.reference(m, proc, now);
    // Less interest in a market that is all but decided (the real tape trades mostly between 10 and 90¢).
    if (keen > 0.2 + 3 * p * (1 - p)) return;
    const ref = p * PRICE_ONE;
    const reach = style.halfSpread + 300;
    const price = buy
      ? (snapUp(Math.round(ref + reach), m.priceRanges) ?? nextDownTop(m.priceRanges))
      : (snapDown(Math.round(ref - reach), m.priceRanges) ?? snapUp(1, m.priceRanges) ?? 0);
    if (price <= 0 || price >= PRICE_ONE) return;
    this.place(NOISE_USER, m, buy ? "bid" : "ask", price, size, "immediate_or_cancel");
  }

  /** Knows the fair value a minute ahead; takes the touch when it is wrong by more than the fee. */
  private informedTrade(m: Market, proc: EventProcess, rng: Rng, now: number): void {
    const size = tradeSize(rng) * 100;
    if (m.status !== "active") return;
    const future = Math.round(proc.fair(m.ticker, now + INFORMED_HORIZON_MS) * PRICE_ONE);
    const top = this.ex.top(m.ticker);
    const fee = (p: Price) => takerFee(p, 100) / 100; // per contract, in price units
    if (top.askSize > 0 && future - top.ask > fee(top.ask) + 100)
      this.place(INFORMED_USER, m, "bid", top.ask, Math.min(size, top.askSize), "immediate_or_cancel");
    else if (top.bidSize > 0 && top.bid - future > fee(top.bid) + 100)
      this.place(INFORMED_USER, m, "ask", top.bid, Math.min(size, top.bidSize), "immediate_or_cancel");
  }

  /**
   * Take a YES set (asks + fees < $1) or a NO set (bids − fees > $1) of an exhaustive event, top
   * level only, up to a tape-like size.
   */
  private arbitrage(markets: Market[], rng: Rng): void {
    const cap = tradeSize(rng) * 100;
    if (!markets.every((m) => m.status === "active")) return;
    const tops = markets.map((m) => this.ex.top(m.ticker));
    const margin = 50; // half a cent per set: they take what a fast desk would
    if (tops.every((t) => t.askSize > 0)) {
      const cost = tops.reduce((a, t) => a + t.ask + takerFee(t.ask, 100) / 100, 0);
      if (cost + margin < PRICE_ONE) {
        const q = Math.min(cap, ...tops.map((t) => t.askSize));
        markets.forEach((m, i) => {
          this.place(ARB_USER, m, "bid", tops[i]!.ask, q, "immediate_or_cancel");
        });
        return;
      }
    }
    if (tops.every((t) => t.bidSize > 0)) {
      const value = tops.reduce((a, t) => a + t.bid - takerFee(t.bid, 100) / 100, 0);
      if (value - margin > PRICE_ONE) {
        const q = Math.min(cap, ...tops.map((t) => t.bidSize));
        markets.forEach((m, i) => {
          this.place(ARB_USER, m, "ask", tops[i]!.bid, q, "immediate_or_cancel");
        });
      }
    }
  }

  private place(
    user: string,
    m: Market,
    side: BookSide,
    price: Price,
    count: Count,
    tif: "good_till_canceled" | "immediate_or_cancel",
  ): void {
    const o = this.send(user, m.ticker, side, price, count, tif);
    if (o && this.recording) this.recording.push({ kind: "place", user, ticker: m.ticker, side, price, count, tif, id: o.id });
  }

  private cancel(o: Order): void {
    this.recording?.push({ kind: "cancel", id: o.id, user: o.userId, ticker: o.ticker, side: o.side, price: o.price });
    this.ex.cancelResting(o, "Cancel");
  }

  private send(
    user: string,
    ticker: string,
    side: BookSide,
    price: Price,
    count: Count,
    tif: "good_till_canceled" | "immediate_or_cancel",
  ): Order | null {
    try {
      return this.ex.placeOrder(user, { ticker, side, price, count, tif, stp: "taker_at_cross" }).order;
    } catch (e) {
      // A participant's order can meet a closed market or an off-grid edge case; they just skip it.
      if (!(e instanceof SimError)) throw e;
      return null;
    }
  }
}

/** The highest tradable price of a grid (a noise buyer reaching past the top pays at most this). */
function nextDownTop(ranges: Market["priceRanges"]): Price {
  return snapDown(9_999, ranges) ?? 9_900;
}
