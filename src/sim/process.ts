// Where the other participants think prices should be: one stochastic process per event.
// Probabilities are floats (they are beliefs, not money); quotes built from them are snapped to
// integer grid prices before they reach the book.
//
// Every process is a path on a fixed grid of sim time (one step a second from the event's open to
// its close), drawn from the event's own random stream step by step. So the path depends only on the
// seed and the event's times, never on when or how often anyone asks (the bot's orders included),
// and a participant can look ahead on it (the informed takers know the next minute).
// Uncertainty converges toward close: the outcome is the path's value at close, and the fair
// probability is the chance of that given what is left (diffusion plus rare jumps), which goes to
// 0 or 1 as the close nears.
import type { Rng } from "./rng.ts";
import type { EventSpec } from "./scenario-schema.ts";
import type { Market, MarketResult } from "./types.ts";

export interface EventProcess {
  /** Fair YES probability of a market at sim time `now` (also a later time: the path is fixed). */
  fair(ticker: string, now: number): number;
  /** Outcome of every market of the event: the path at close. */
  outcome(ticker: string, now: number): MarketResult;
}

export const STEP_MS = 1_000;
/** Expected jumps over an event's life and their share of its total variance (the rest diffuses). */
const JUMPS_PER_LIFE = 3;
const JUMP_SHARE = 0.3;
/** Steps kept behind the furthest one asked for (look-ahead is a minute; the rest is slack). */
const KEEP_STEPS = 600;

const clampP = (p: number) => Math.min(0.99, Math.max(0.01, p));

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26: plenty for quoting.
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
export const phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
/** Inverse of phi by bisection (called once per market at creation). */
export function phiInv(p: number): number {
  let lo = -9,
    hi = 9;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

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

/**
 * A vector of latent values stepped on the fixed grid: each step adds Gaussian diffusion and, with a
 * small chance, a jump to every coordinate; total variance over the life is `totalVar` per coordinate.
 */
class SteppedPath {
  private readonly states: Float64Array[] = [];
  private base = 0;
  readonly steps: number;
  private readonly diffSd: number;
  private readonly jumpP: number;
  private readonly jumpSd: number;
  /** A path that never moves (a scenario's vol_per_min 0): fairs stay put and the close is a draw. */
  readonly frozen: boolean;
  private settleDraw: number[] | null = null;

  constructor(
    start: Float64Array,
    private readonly openMs: number,
    closeMs: number,
    totalVar: number,
    private readonly rng: Rng,
  ) {
    this.steps = Math.max(1, Math.ceil((closeMs - openMs) / STEP_MS));
    this.diffSd = Math.sqrt(((1 - JUMP_SHARE) * totalVar) / this.steps);
    this.jumpP = Math.min(0.5, JUMPS_PER_LIFE / this.steps);
    this.jumpSd = Math.sqrt((JUMP_SHARE * totalVar) / JUMPS_PER_LIFE);
    this.frozen = totalVar === 0;
    this.states.push(start);
  }

  /** Standard normals added to the final value of a frozen path (drawn once, at the first outcome asked). */
  finalNoise(): number[] {
    if (!this.frozen) return Array.from(this.states[0]!, () => 0);
    return (this.settleDraw ??= Array.from(this.states[0]!, () => this.rng.normal()));
  }

  /** Grid step of a sim time, clamped to [0, steps]. */
  stepOf(now: number): number {
    return Math.min(this.steps, Math.max(0, Math.floor((now - this.openMs) / STEP_MS)));
  }

  /** Share of the life's variance still to come at step k. */
  remaining(k: number): number {
    return this.frozen ? 1 : (this.steps - k) / this.steps;
  }

  at(k: number): Float64Array {
    while (this.base + this.states.length <= k) {
      const prev = this.states[this.states.length - 1]!;
      const next = new Float64Array(prev.length);
      // Draws per step are fixed (one chance, then one normal per coordinate for diffusion and for the jump): the stream never shifts.
      const jump = this.rng.next() < this.jumpP;
      for (let i = 0; i < prev.length; i++) {
        const d = this.diffSd * this.rng.normal();
        const j = this.jumpSd * this.rng.normal();
        next[i] = prev[i]! + d + (jump ? j : 0);
      }
      this.states.push(next);
      if (this.states.length > 2 * KEEP_STEPS) {
        this.states.splice(0, KEEP_STEPS);
        this.base += KEEP_STEPS;
      }
    }
    return this.states[Math.max(0, k - this.base)]!;
  }
}

/** An underlying number (a temperature): markets are strike ranges on its value at close. */
class NormalProcess implements EventProcess {
  private readonly path: SteppedPath;
  constructor(
    private readonly spec: { mean: number; sd: number; vol_per_min: number },
    private readonly markets: Map<string, Market>,
    rng: Rng,
    openMs: number,
    closeMs: number,
  ) {
    this.path = new SteppedPath(Float64Array.of(spec.mean), openMs, closeMs, spec.vol_per_min === 0 ? 0 : spec.sd * spec.sd, rng);
  }
  fair(ticker: string, now: number): number {
    const m = this.markets.get(ticker);
    if (!m) return 0.5;
    const k = this.path.stepOf(now);
    const x = this.path.at(k)[0]!;
    const sd = this.spec.sd * Math.sqrt(this.path.remaining(k));
    const [lo, hi] = strikeInterval(m);
    if (sd <= 0) return clampP(x >= lo && x < hi ? 1 : 0);
    const p = (hi === Infinity ? 1 : phi((hi - x) / sd)) - (lo === -Infinity ? 0 : phi((lo - x) / sd));
    return clampP(p);
  }
  outcome(ticker: string): MarketResult {
    const x = this.path.at(this.path.steps)[0]! + this.spec.sd * this.path.finalNoise()[0]!;
    const m = this.markets.get(ticker);
    if (!m) return "no";
    const [lo, hi] = strikeInterval(m);
    return x >= lo && x < hi ? "yes" : "no";
  }
}

/**
 * Mutually exclusive outcomes: one latent score each (variance 1 over the life); the highest at
 * close wins. Fair = chance that a score stays highest given the remaining noise.
 */
class CategoricalProcess implements EventProcess {
  private readonly path: SteppedPath;
  private readonly index = new Map<string, number>();
  constructor(fairs: Map<string, number>, rng: Rng, openMs: number, closeMs: number, moves: boolean) {
    const tickers = [...fairs.keys()];
    tickers.forEach((t, i) => {
      this.index.set(t, i);
    });
    const target = tickers.map((t) => Math.min(0.98, Math.max(0.005, fairs.get(t)!)));
    const sum = target.reduce((a, b) => a + b, 0);
    const p = target.map((x) => x / sum);
    // Start scores that give the starting fairs (a few damped corrections).
    const l = Float64Array.from(p.map((x) => phiInv(x)));
    for (let it = 0; it < 40; it++) {
      const cur = winChances(l, 1);
      for (let i = 0; i < l.length; i++) l[i] = l[i]! + 0.5 * (phiInv(p[i]!) - phiInv(Math.min(0.999, Math.max(0.001, cur[i]!))));
    }
    this.path = new SteppedPath(l, openMs, closeMs, moves ? 1 : 0, rng);
  }
  fair(ticker: string, now: number): number {
    const i = this.index.get(ticker);
    if (i === undefined) return 0.5;
    const k = this.path.stepOf(now);
    return clampP(winChances(this.path.at(k), Math.sqrt(this.path.remaining(k)))[i]!);
  }
  outcome(ticker: string): MarketResult {
    const noise = this.path.finalNoise();
    const l = this.path.at(this.path.steps).map((x, i) => x + noise[i]!);
    let best = 0;
    for (let i = 1; i < l.length; i++) if (l[i]! > l[best]!) best = i;
    return this.index.get(ticker) === best ? "yes" : "no";
  }
}

/** P(score i ends highest) when each score still moves by N(0, sd²): a 1-D integral per outcome. */
function winChances(l: Float64Array, sd: number): number[] {
  const n = l.length;
  if (sd <= 1e-9) {
    let best = 0;
    for (let i = 1; i < n; i++) if (l[i]! > l[best]!) best = i;
    return Array.from({ length: n }, (_, i) => (i === best ? 1 : 0));
  }
  const out: number[] = [];
  const N = 48;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let q = 0; q < N; q++) {
      const z = -6 + (12 * (q + 0.5)) / N;
      let prod = Math.exp(-0.5 * z * z);
      for (let j = 0; j < n; j++) if (j !== i) prod *= phi((l[i]! - l[j]!) / sd + z);
      s += prod;
    }
    out.push((s * (12 / N)) / Math.sqrt(2 * Math.PI));
  }
  const tot = out.reduce((a, b) => a + b, 0);
  return out.map((x) => x / tot);
}

/** Each market an independent YES: a latent score per market (variance 1 over the life); YES if above 0 at close. */
class IndependentProcess implements EventProcess {
  private readonly path: SteppedPath;
  private readonly index = new Map<string, number>();
  constructor(fairs: Map<string, number>, rng: Rng, openMs: number, closeMs: number, moves: boolean) {
    const tickers = [...fairs.keys()];
    tickers.forEach((t, i) => {
      this.index.set(t, i);
    });
    this.path = new SteppedPath(Float64Array.from(tickers.map((t) => phiInv(fairs.get(t)!))), openMs, closeMs, moves ? 1 : 0, rng);
  }
  fair(ticker: string, now: number): number {
    const i = this.index.get(ticker);
    if (i === undefined) return 0.5;
    const k = this.path.stepOf(now);
    const rem = Math.sqrt(this.path.remaining(k));
    const x = this.path.at(k)[i]!;
    return clampP(rem <= 1e-9 ? (x > 0 ? 1 : 0) : phi(x / rem));
  }
  outcome(ticker: string): MarketResult {
    const i = this.index.get(ticker);
    if (i === undefined) return "no";
    return this.path.at(this.path.steps)[i]! + this.path.finalNoise()[i]! > 0 ? "yes" : "no";
  }
}

export function makeProcess(
  spec: EventSpec["process"],
  markets: Map<string, Market>,
  fairs: Map<string, number>,
  rng: Rng,
  openMs: number,
  closeMs: number,
): EventProcess {
  switch (spec.kind) {
    case "normal":
      return new NormalProcess(spec, markets, rng, openMs, closeMs);
    case "categorical":
      return new CategoricalProcess(fairs, rng, openMs, closeMs, spec.vol_per_min > 0);
    default:
      return new IndependentProcess(fairs, rng, openMs, closeMs, spec.vol_per_min > 0);
  }
}
