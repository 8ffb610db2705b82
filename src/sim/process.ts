// Where the other participants think prices should be: one stochastic process per event.
// Probabilities are floats (they are beliefs, not money); quotes built from them are snapped to
// integer grid prices before they reach the book.
import type { Rng } from "./rng.ts";
import type { EventSpec } from "./scenario-schema.ts";
import type { Market, MarketResult } from "./types.ts";

export interface EventProcess {
  /** Fair YES probability of a market at sim time `now`. */
  fair(ticker: string, now: number): number;
  /** Outcome of every market of the event, drawn once. */
  outcome(ticker: string, now: number): MarketResult;
}

const clampP = (p: number) => Math.min(0.99, Math.max(0.01, p));

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26: plenty for quoting.
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** The interval [lo, hi) of the underlying that makes a strike market pay YES. */
export function strikeInterval(m: Pick<Market, "strikeType" | "floorStrike" | "capStrike">): [number, number] {
  const f = m.floorStrike ?? -Infinity;
  const c = m.capStrike ?? Infinity;
  switch (m.strikeType) {
    case "less":
    case "less_or_equal":
      return [-Infinity, c - 0.5];
    case "greater":
    case "greater_or_equal":
      return [f + 0.5, Infinity];
    case "between":
      return [f - 0.5, c + 0.5];
    default:
      return [-Infinity, Infinity];
  }
}

class NormalProcess implements EventProcess {
  private mean: number;
  private last: number;
  private drawn: number | null = null;
  constructor(private readonly spec: { mean: number; sd: number; vol_per_min: number }, private readonly markets: Map<string, Market>, private readonly rng: Rng, start: number) {
    this.mean = spec.mean;
    this.last = start;
  }
  private advance(now: number): void {
    if (now <= this.last || this.drawn !== null) return;
    const dtMin = (now - this.last) / 60_000;
    this.mean += this.spec.vol_per_min * Math.sqrt(dtMin) * this.rng.normal();
    this.last = now;
  }
  fair(ticker: string, now: number): number {
    this.advance(now);
    const m = this.markets.get(ticker);
    if (!m) return 0.5;
    const [lo, hi] = strikeInterval(m);
    const sd = this.spec.sd;
    const p = (hi === Infinity ? 1 : phi((hi - this.mean) / sd)) - (lo === -Infinity ? 0 : phi((lo - this.mean) / sd));
    return clampP(p);
  }
  outcome(ticker: string, now: number): MarketResult {
    this.advance(now);
    if (this.drawn === null) this.drawn = this.mean + this.spec.sd * this.rng.normal();
    const m = this.markets.get(ticker);
    if (!m) return "no";
    const [lo, hi] = strikeInterval(m);
    return this.drawn >= lo && this.drawn < hi ? "yes" : "no";
  }
}

class CategoricalProcess implements EventProcess {
  private logits = new Map<string, number>();
  private last: number;
  private winner: string | null = null;
  constructor(private readonly vol: number, fairs: Map<string, number>, private readonly rng: Rng, start: number) {
    for (const [t, p] of fairs) this.logits.set(t, Math.log(Math.max(p, 0.005)));
    this.last = start;
  }
  private advance(now: number): void {
    if (now <= this.last || this.winner !== null) return;
    const k = this.vol * Math.sqrt((now - this.last) / 60_000);
    for (const [t, l] of this.logits) this.logits.set(t, l + k * this.rng.normal());
    this.last = now;
  }
  private probs(): Map<string, number> {
    let z = 0;
    for (const l of this.logits.values()) z += Math.exp(l);
    const out = new Map<string, number>();
    for (const [t, l] of this.logits) out.set(t, Math.exp(l) / z);
    return out;
  }
  fair(ticker: string, now: number): number {
    this.advance(now);
    return clampP(this.probs().get(ticker) ?? 0.5);
  }
  outcome(ticker: string, now: number): MarketResult {
    this.advance(now);
    if (this.winner === null) {
      let u = this.rng.next();
      this.winner = "";
      for (const [t, p] of this.probs()) {
        this.winner = t;
        u -= p;
        if (u < 0) break;
      }
    }
    return this.winner === ticker ? "yes" : "no";
  }
}

class IndependentProcess implements EventProcess {
  private logit = new Map<string, number>();
  private last = new Map<string, number>();
  private results = new Map<string, MarketResult>();
  constructor(private readonly vol: number, fairs: Map<string, number>, private readonly rng: Rng, private readonly start: number) {
    for (const [t, p] of fairs) this.logit.set(t, Math.log(p / (1 - p)));
  }
  private advance(ticker: string, now: number): number {
    let l = this.logit.get(ticker) ?? 0;
    const last = this.last.get(ticker) ?? this.start;
    if (now > last && !this.results.has(ticker)) {
      l += this.vol * Math.sqrt((now - last) / 60_000) * this.rng.normal();
      this.logit.set(ticker, l);
      this.last.set(ticker, now);
    }
    return 1 / (1 + Math.exp(-l));
  }
  fair(ticker: string, now: number): number {
    return clampP(this.advance(ticker, now));
  }
  outcome(ticker: string, now: number): MarketResult {
    const p = this.advance(ticker, now);
    let r = this.results.get(ticker);
    if (!r) this.results.set(ticker, (r = this.rng.next() < p ? "yes" : "no"));
    return r;
  }
}

export function makeProcess(spec: EventSpec["process"], markets: Map<string, Market>, fairs: Map<string, number>, rng: Rng, start: number): EventProcess {
  switch (spec.kind) {
    case "normal":
      return new NormalProcess(spec, markets, rng, start);
    case "categorical":
      return new CategoricalProcess(spec.vol_per_min, fairs, rng, start);
    default:
      return new IndependentProcess(spec.vol_per_min, fairs, rng, start);
  }
}
