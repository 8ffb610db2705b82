// Whether an event's markets are collectively exhaustive: exactly one of them must resolve YES.
// Kalshi says only `mutually_exclusive` (at most one YES); it has no "exhaustive" flag. A YES set
// (one YES of every market) pays $1 only if some market wins, so on an event whose markets leave an
// outcome uncovered (a candidate not listed, a gap between ranges) the set can pay $0.
//
// The one structure we can prove exhaustive from the API's fields is a numeric range ladder: one
// lower tail (`less`/`less_or_equal` with a cap), one upper tail (`greater`/`greater_or_equal` with a
// floor) and `between` brackets, all with integer strikes, tiling the integers with no gap and no
// overlap. Kalshi's convention (e.g. KXHIGHNY: "77° or below" = less cap 78, "78° to 79°" = between
// 78..79, "86° or above" = greater floor 85) is inclusive integer brackets: less c covers ≤ c − 1,
// between f..c covers f..c, greater f covers ≥ f + 1. Anything else (structured/custom/functional
// strikes, fractional strikes, a missing tail) is "not known to be exhaustive": YES sets stay off.

export interface StrikeFields {
  strike_type?: string | undefined;
  floor_strike?: number | null | undefined;
  cap_strike?: number | null | undefined;
}

/** Integer range [lo, hi] of the outcome a market covers, or null when not a provable integer range. */
export function coveredRange(m: StrikeFields): [number, number] | null {
  const f = m.floor_strike;
  const c = m.cap_strike;
  const int = (x: number | null | undefined): x is number => typeof x === "number" && Number.isSafeInteger(x);
  switch (m.strike_type) {
    case "less":
      return int(c) ? [-Infinity, c - 1] : null;
    case "less_or_equal":
      return int(c) ? [-Infinity, c] : null;
    case "greater":
      return int(f) ? [f + 1, Infinity] : null;
    case "greater_or_equal":
      return int(f) ? [f, Infinity] : null;
    case "between":
      return int(f) && int(c) && f <= c ? [f, c] : null;
    default:
      return null;
  }
}

/**
 * True only when `mutuallyExclusive` and the markets' integer ranges tile the whole line exactly:
 * sorted by start, the first starts at −∞, each next one starts right after the previous ends, the
 * last ends at +∞. `markets` must be ALL markets of the event (a partial listing is never exhaustive).
 */
export function isExhaustive(mutuallyExclusive: boolean, markets: readonly StrikeFields[]): boolean {
  if (!mutuallyExclusive || markets.length < 2) return false;
  const ranges: Array<[number, number]> = [];
  for (const m of markets) {
    const r = coveredRange(m);
    if (!r) return false;
    ranges.push(r);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  if (ranges[0]![0] !== -Infinity || ranges[ranges.length - 1]![1] !== Infinity) return false;
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] !== ranges[i - 1]![1] + 1) return false;
  }
  return true;
}
