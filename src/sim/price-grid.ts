// Per-market price grids (`price_level_structure` + `price_ranges`). An order off the grid is
// Kalshi's 400 `invalid_price`; the grid is never assumed to be whole cents.
import type { Price } from "../kalshi/money.ts";
import type { PriceRange } from "./types.ts";

export type PriceStructure = "linear_cent" | "deci_cent" | "tapered_deci_cent";

export function rangesFor(structure: string): PriceRange[] {
  switch (structure) {
    case "deci_cent":
      return [{ start: 0, end: 10_000, step: 10 }];
    case "tapered_deci_cent":
      return [
        { start: 0, end: 1_000, step: 10 },
        { start: 1_000, end: 9_000, step: 100 },
        { start: 9_000, end: 10_000, step: 10 },
      ];
    default:
      return [{ start: 0, end: 10_000, step: 100 }];
  }
}

export function onGrid(ranges: readonly PriceRange[], p: Price): boolean {
  if (!Number.isSafeInteger(p) || p <= 0 || p >= 10_000) return false;
  for (const r of ranges) {
    if (p >= r.start && p <= r.end && (p - r.start) % r.step === 0) return true;
  }
  return false;
}

/** Nearest grid price toward `dir` (−1 down, +1 up), clamped to the open interval (0, 1). */
export function snap(ranges: readonly PriceRange[], p: Price, dir: -1 | 1): Price {
  const tick = tickAt(ranges, p);
  let q = dir < 0 ? Math.floor(p / tick) * tick : Math.ceil(p / tick) * tick;
  const lo = tickAt(ranges, 1);
  const hi = 10_000 - tickAt(ranges, 9_999);
  q = Math.min(Math.max(q, lo), hi);
  return onGrid(ranges, q) ? q : Math.round(q / 100) * 100 || 100;
}

/** The grid step that applies at price p. */
export function tickAt(ranges: readonly PriceRange[], p: Price): Price {
  for (const r of ranges) if (p >= r.start && p < r.end) return r.step;
  return ranges[ranges.length - 1]?.step ?? 100;
}
