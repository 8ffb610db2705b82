// The narrow requote path's pure parts (the path itself is Engine.requote, cycle.ts): whether the
// book still shows our quotes as the ledger has them, and the daemon's own latency figure (book
// frame arrival → the order request handed to fetch), kept as a small ring of samples.
import { PRICE_ONE, type Count, type Price } from "../kalshi/money.ts";
import type { RestingOrderView } from "../strategies/types.ts";

/**
 * True when every one of `own` (our resting quotes in one market, as the ledger has them) can still
 * be in the live book: its level holds at least our remaining count there. A smaller level means a
 * fill of ours (or a cancel) whose private-feed message has not come yet: the narrow path then
 * leaves the market to the general pass, which waits for the fill and its reconciliation.
 * `sizeAt`: the live book's size at a level (NO leg in NO prices), null when it may not be used.
 */
export function ownQuotesIntact(own: readonly RestingOrderView[], sizeAt: (leg: "yes" | "no", price: Price) => Count | null): boolean {
  const need = new Map<string, number>();
  for (const o of own) {
    const k = `${o.side}:${o.price}`;
    need.set(k, (need.get(k) ?? 0) + o.remaining);
  }
  for (const o of own) {
    const size = o.side === "bid" ? sizeAt("yes", o.price) : sizeAt("no", PRICE_ONE - o.price);
    if (size === null || size < need.get(`${o.side}:${o.price}`)!) return false;
  }
  return true;
}

/**
 * True when one of `removed` (levels that lost size in the burst of frames being answered, NO leg
 * in NO prices) is at or better than one of `own` on its side: a bid level at or above our bid,
 * a NO level at or above 1 − our ask. A taker sweeping toward our quote looks like that on its
 * first deltas, before the one that fills us and before our fill's message: the narrow path leaves
 * such a move to the general pass rather than requote on half a sweep (a cancel there looks the same).
 */
export function sweptTowardOurs(removed: ReadonlyArray<readonly ["yes" | "no", Price]>, own: readonly RestingOrderView[]): boolean {
  for (const [leg, p] of removed)
    for (const o of own) {
      if (leg === "yes" && o.side === "bid" && p >= o.price) return true;
      if (leg === "no" && o.side === "ask" && p >= PRICE_ONE - o.price) return true;
    }
  return false;
}

/** The last `cap` samples (ms) and their percentiles: the daemon's own part of the latency. */
export class LatencySamples {
  private readonly buf: Float64Array;
  private n = 0;
  constructor(private readonly cap = 1024) {
    this.buf = new Float64Array(cap);
  }
  add(ms: number): void {
    this.buf[this.n % this.cap] = ms;
    this.n++;
  }
  /** Samples taken in all (the ring keeps the last `cap`). */
  get count(): number {
    return this.n;
  }
  /** The p-quantile (0..1) of the kept samples, or null when there are none. */
  percentile(p: number): number | null {
    const k = Math.min(this.n, this.cap);
    if (k === 0) return null;
    const s = this.buf.slice(0, k).sort();
    return s[Math.min(k - 1, Math.floor(p * k))]!;
  }
}
