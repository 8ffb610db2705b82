// What an event arbitrage the local exchange offers, and what of it an account captured (issue 16):
// shared by scripts/bench/arb-capture.ts and its test.
//
// Offered: on a mutually exclusive event known to be exhaustive (YES sets) or any mutually
// exclusive one (NO sets), walking every market's book one whole set at a time, the profit after
// taker fees of every set that still pays on its own (the deepest profitable level included):
// contracts × edge available in the book, measured by the exchange, not by the bot.
// Captured: the account's fills in that event's markets during the episode, as complete sets: the
// sets' payout − what their legs cost − fees.
import { COUNT_ONE, PRICE_ONE, takerFee, type Count, type Micros, type Price } from "../../src/kalshi/money.ts";
import { isExhaustive } from "../../src/engine/event-coverage.ts";
import type { Exchange } from "../../src/sim/exchange.ts";
import type { Fill } from "../../src/sim/types.ts";

export type Direction = "yes" | "no";

export interface Offer {
  direction: Direction;
  /** Whole sets (Count units). */
  sets: Count;
  profitMicros: Micros;
}

interface Leg {
  levels: Array<{ legPrice: Price; size: Count }>;
  mult: number;
}

/** Events whose YES sets are sure to pay (ME and an exhaustive integer ladder), by ticker. */
export function exhaustiveEvents(ex: Exchange): Set<string> {
  const out = new Set<string>();
  for (const ev of ex.events.values()) {
    const ms = ev.marketTickers.map((t) => ex.markets.get(t)).filter((m) => m !== undefined);
    if (
      isExhaustive(
        ev.mutuallyExclusive,
        ms.map((m) => ({ strike_type: m.strikeType ?? undefined, floor_strike: m.floorStrike, cap_strike: m.capStrike })),
      )
    )
      out.add(ev.eventTicker);
  }
  return out;
}

function walk(legs: readonly Leg[], payout: Price): { sets: Count; profit: Micros } {
  // Per leg: position in its levels and contracts already taken there (whole contracts).
  const at = legs.map(() => ({ i: 0, used: 0 }));
  let sets = 0;
  let profit = 0;
  for (;;) {
    let cost = 0;
    for (let k = 0; k < legs.length; k++) {
      const leg = legs[k]!;
      const a = at[k]!;
      while (a.i < leg.levels.length && leg.levels[a.i]!.size - a.used < COUNT_ONE) {
        a.i++;
        a.used = 0;
      }
      const l = leg.levels[a.i];
      if (!l) return { sets, profit };
      // The marginal contract's fee: fees are charged per fill on the level's running count.
      cost += l.legPrice * COUNT_ONE + takerFee(l.legPrice, a.used + COUNT_ONE, leg.mult) - takerFee(l.legPrice, a.used, leg.mult);
    }
    const edge = payout * COUNT_ONE - cost;
    if (edge <= 0) return { sets, profit };
    profit += edge;
    sets += COUNT_ONE;
    for (const a of at) a.used += COUNT_ONE;
  }
}

/** The best set the event's books offer now (after taker fees), or null when none pays. */
export function offeredArbitrage(ex: Exchange, eventTicker: string, exhaustive: boolean): Offer | null {
  const ev = ex.events.get(eventTicker);
  if (!ev?.mutuallyExclusive || ev.marketTickers.length < 2) return null;
  const ms = ev.marketTickers.map((t) => ex.markets.get(t));
  if (ms.some((m) => m?.status !== "active")) return null;
  let best: Offer | null = null;
  for (const direction of (exhaustive ? ["yes", "no"] : ["no"]) as Direction[]) {
    const legs: Leg[] = ev.marketTickers.map((t) => {
      const b = ex.book(t);
      const side = direction === "yes" ? b.asks : b.bids;
      const levels = [...side.inOrder()].map((l) => ({ legPrice: direction === "yes" ? l.price : PRICE_ONE - l.price, size: l.total }));
      return { levels, mult: ex.feeParams(ex.markets.get(t)!).mult };
    });
    const payout = direction === "yes" ? PRICE_ONE : (legs.length - 1) * PRICE_ONE;
    const w = walk(legs, payout);
    if (w.sets > 0 && (!best || w.profit > best.profitMicros)) best = { direction, sets: w.sets, profitMicros: w.profit };
  }
  return best;
}

/** Complete sets the fills built in the event's markets, and their profit after fees (payout − cost − fees). */
export function capturedArbitrage(
  fills: readonly Fill[],
  marketTickers: readonly string[],
  fromMs: number,
  toMs: number,
): { sets: Count; profitMicros: Micros } {
  let best = { sets: 0, profitMicros: 0 };
  for (const direction of ["yes", "no"] as Direction[]) {
    const side = direction === "yes" ? "bid" : "ask";
    const per = new Map<string, { n: Count; cost: Micros }>(marketTickers.map((t) => [t, { n: 0, cost: 0 }]));
    for (const f of fills) {
      const p = per.get(f.ticker);
      if (!p || f.side !== side || f.tsMs < fromMs || f.tsMs > toMs) continue;
      const legPrice = side === "bid" ? f.price : PRICE_ONE - f.price;
      p.n += f.count;
      p.cost += legPrice * f.count + f.fee;
    }
    const sets = Math.min(...[...per.values()].map((p) => p.n));
    if (sets <= 0) continue;
    // Legs beyond the complete sets are left out at their average cost (FOK legs keep them equal).
    let cost = 0;
    for (const p of per.values()) cost += Math.round((p.cost * sets) / p.n);
    const payout = direction === "yes" ? PRICE_ONE : (marketTickers.length - 1) * PRICE_ONE;
    const profit = payout * sets - cost;
    if (sets > best.sets) best = { sets, profitMicros: profit };
  }
  return best;
}

export interface Episode {
  event: string;
  fromMs: number;
  toMs: number;
  /** Runs of offered seconds merged into this episode (see EpisodeTracker's `gapMs`). */
  runs: number;
  offeredSets: Count;
  offeredMicros: Micros;
  capturedSets: Count;
  capturedMicros: Micros;
}

/**
 * Episodes of offered arbitrage, observed once a second (before the bot runs): a run of seconds in
 * which an event offers a set that pays after fees. Its offer is the most seen at once plus what the
 * account had already taken in the episode by then (makers requote during an episode, so more can
 * show up after the first second). Captured: the account's complete sets in the event from the
 * episode's first second to a second after its last.
 *
 * `gapMs`: runs of the same event separated by fewer silent seconds than that are one episode. An
 * offer that drops out for a moment (a maker's requote, or the top left uncrossed for a second after
 * a cycle took `max_sets` of it) and comes back before the bot's next cycle is the same opportunity:
 * split in two, the sets the bot took before the pause would be offered once in the first run (as
 * "taken") and what it left offered again in the second, while captured once. Merged, the offer is
 * the most of (offered now + taken since the episode began) over the whole episode, so every set is
 * counted once. Pass the bot's cycle interval; 0 (the default) ends an episode at its first silent
 * second.
 */
export class EpisodeTracker {
  private readonly open = new Map<string, Episode>();
  private readonly done: Episode[] = [];

  constructor(
    private readonly ex: Exchange,
    private readonly fills: () => readonly Fill[],
    private readonly gapMs = 0,
  ) {}

  observe(): void {
    const exh = exhaustiveEvents(this.ex);
    const now = this.ex.now();
    for (const ev of this.ex.events.values()) {
      const o = offeredArbitrage(this.ex, ev.eventTicker, exh.has(ev.eventTicker));
      const e = this.open.get(ev.eventTicker);
      if (!o) {
        // (now − toMs) / 1 s silent seconds so far, this one included: closed once they reach the gap.
        if (e && now - e.toMs >= this.gapMs) this.close(e);
        continue;
      }
      if (!e) {
        this.open.set(ev.eventTicker, {
          event: ev.eventTicker,
          fromMs: now,
          toMs: now,
          runs: 1,
          offeredSets: o.sets,
          offeredMicros: o.profitMicros,
          capturedSets: 0,
          capturedMicros: 0,
        });
        continue;
      }
      if (now - e.toMs > 1_000) e.runs++;
      e.toMs = now;
      const taken = capturedArbitrage(this.fills(), ev.marketTickers, e.fromMs, now);
      if (o.profitMicros + taken.profitMicros > e.offeredMicros) {
        e.offeredMicros = o.profitMicros + taken.profitMicros;
        e.offeredSets = o.sets + taken.sets;
      }
    }
  }

  /** Every episode so far (open ones closed now), with what the account captured in each. */
  finish(): Episode[] {
    for (const e of [...this.open.values()]) this.close(e);
    for (const e of this.done) {
      const c = capturedArbitrage(this.fills(), this.ex.events.get(e.event)!.marketTickers, e.fromMs, e.toMs + 1_000);
      e.capturedSets = c.sets;
      e.capturedMicros = c.profitMicros;
    }
    return this.done;
  }

  private close(e: Episode): void {
    this.open.delete(e.event);
    this.done.push(e);
  }
}
