// Per-market price grids. Kalshi answers an off-grid price with 400 `invalid_price`, and grids differ
// by market (linear_cent, deci_cent, tapered_deci_cent), so every price a strategy emits goes
// through here instead of assuming whole cents. Shared by the strategies, the paper model and the
// local exchange: one definition of "on the grid".
import { PRICE_ONE, type Price } from "./money.ts";

/** One band of a market's `price_ranges`, in Price units. */
export interface PriceRange {
  start: Price;
  end: Price;
  step: Price;
}

/** Whole cents are valid on every known structure, so they are the safe grid when none is known. */
export const LINEAR_CENT: readonly PriceRange[] = [{ start: 0, end: PRICE_ONE, step: 100 }];

export function rangesForStructure(structure: string): PriceRange[] {
  switch (structure) {
    case "deci_cent":
      return [{ start: 0, end: PRICE_ONE, step: 10 }];
    case "tapered_deci_cent":
      return [
        { start: 0, end: 1_000, step: 10 },
        { start: 1_000, end: 9_000, step: 100 },
        { start: 9_000, end: PRICE_ONE, step: 10 },
      ];
    default:
      return [...LINEAR_CENT];
  }
}

function effective(ranges: readonly PriceRange[]): readonly PriceRange[] {
  const ok = ranges.filter((r) => Number.isSafeInteger(r.step) && r.step > 0 && r.end >= r.start);
  return ok.length > 0 ? ok : LINEAR_CENT;
}

const tradable = (p: number): boolean => Number.isSafeInteger(p) && p > 0 && p < PRICE_ONE;

/** A price an order may carry: strictly between 0 and 1 and on one of the ranges' steps. */
export function isOnGrid(p: Price, ranges: readonly PriceRange[]): boolean {
  if (!tradable(p)) return false;
  for (const r of effective(ranges)) {
    if (p >= r.start && p <= r.end && (p - r.start) % r.step === 0) return true;
  }
  return false;
}

/** The greatest tradable grid price ≤ p, or null when there is none (p at or below the lowest tick). */
export function snapDown(p: Price, ranges: readonly PriceRange[]): Price | null {
  let best: Price | null = null;
  for (const r of effective(ranges)) {
    if (p < r.start) continue;
    const top = Math.min(Math.floor(p), r.end);
    const q = r.start + Math.floor((top - r.start) / r.step) * r.step;
    if (tradable(q) && q <= p && (best === null || q > best)) best = q;
  }
  return best;
}

/** The least tradable grid price ≥ p, or null when there is none (p at or above the highest tick). */
export function snapUp(p: Price, ranges: readonly PriceRange[]): Price | null {
  let best: Price | null = null;
  for (const r of effective(ranges)) {
    if (p > r.end) continue;
    const bottom = Math.max(Math.ceil(p), r.start);
    const q = r.start + Math.ceil((bottom - r.start) / r.step) * r.step;
    if (q <= r.end && tradable(q) && q >= p && (best === null || q < best)) best = q;
  }
  return best;
}

/** The next grid price strictly above p (null at the top). */
export const nextUp = (p: Price, ranges: readonly PriceRange[]): Price | null => snapUp(Math.floor(p) + 1, ranges);
/** The next grid price strictly below p (null at the bottom). */
export const nextDown = (p: Price, ranges: readonly PriceRange[]): Price | null => snapDown(Math.ceil(p) - 1, ranges);

/**
 * The step that applies at p. At a boundary shared by two ranges (0.10 on a tapered grid) the range
 * starting there wins, which is the step to the next price up.
 */
export function tickAt(p: Price, ranges: readonly PriceRange[]): Price {
  const rs = effective(ranges);
  for (const r of rs) if (p >= r.start && p < r.end) return r.step;
  return rs[rs.length - 1]?.step ?? 100;
}

/**
 * Number of grid steps strictly between bid and ask plus one: 1 means adjacent ticks (no room
 * inside). As many nextUp steps as it takes from bid to reach ask: one per grid price strictly
 * between them, plus the step that reaches (or passes) ask. Counted per range rather than walked
 * tick by tick: market_maker asks this of every market in scope each cycle.
 */
export function ticksBetween(bid: Price, ask: Price, ranges: readonly PriceRange[]): number {
  if (!(bid < ask)) return 0;
  const rs = effective(ranges);
  // Grid prices strictly inside (bid, ask) that an order may carry.
  const lo = Math.max(Math.floor(bid) + 1, 1);
  const hi = Math.min(Math.ceil(ask) - 1, PRICE_ONE - 1);
  if (lo > hi) return 1;
  const inRange = (r: PriceRange): number => {
    const a = Math.max(lo, r.start);
    const b = Math.min(hi, r.end);
    if (a > b) return 0;
    const first = r.start + Math.ceil((a - r.start) / r.step) * r.step;
    const last = r.start + Math.floor((b - r.start) / r.step) * r.step;
    return first > last ? 0 : (last - first) / r.step + 1;
  };
  // (A bid at or below 0 is no market's: walked, as nextUp defines it there.)
  if (bid < 1) return walkTicks(bid, ask, ranges);
  if (rs.length === 1) return 1 + inRange(rs[0]!);
  // Ranges in order that meet only at their ends (Kalshi's tapered grid): a shared end on both
  // grids is one price, counted once. Anything else (overlaps): walk.
  const sorted = [...rs].sort((x, y) => x.start - y.start);
  if (
    sorted.every((r, i) => i === 0 || sorted[i - 1]!.end <= r.start) &&
    sorted.every((r) => Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end))
  ) {
    let n = 1;
    for (const r of sorted) n += inRange(r);
    for (let i = 1; i < sorted.length; i++) {
      const e = sorted[i]!.start;
      const prev = sorted[i - 1]!;
      if (prev.end === e && e >= lo && e <= hi && (e - prev.start) % prev.step === 0) n--;
    }
    return n;
  }
  return walkTicks(bid, ask, ranges);
}

function walkTicks(bid: Price, ask: Price, ranges: readonly PriceRange[]): number {
  let n = 0;
  let p: Price | null = bid;
  while (p !== null && p < ask) {
    p = nextUp(p, ranges);
    n++;
    if (n > 20_000) break;
  }
  return n;
}
