// Kalshi's read and write token buckets (API.md §5.3): each request costs tokens (10 by default,
// some endpoints less or more), buckets refill continuously at the tier's rate. Real time, not sim
// time: a client's pacing is measured in wall seconds whatever --speed says.

import { DEFAULT_COST, KNOWN_ENDPOINT_COSTS, TIER_BUDGETS } from "../kalshi/rate-limit.ts";

/** Kalshi's tier budgets (shared with the client), plus `unlimited` for tests and benches. */
export const TIERS: Record<string, { read: [rate: number, capacity: number]; write: [rate: number, capacity: number] }> = {
  ...Object.fromEntries(
    Object.entries(TIER_BUDGETS).map(([k, v]) => [
      k,
      { read: [v.read.refill, v.read.capacity], write: [v.write.refill, v.write.capacity] },
    ]),
  ),
  unlimited: { read: [1e12, 1e12], write: [1e12, 1e12] },
};
export type Tier = keyof typeof TIER_BUDGETS | "unlimited";
export const isTier = (s: string): s is Tier => s in TIERS;

export { DEFAULT_COST };
/** Non-default costs recorded on the wire (fixtures/account__endpoint_costs). Paths use `:param`. */
export const ENDPOINT_COSTS: { method: string; path: string; cost: number }[] = KNOWN_ENDPOINT_COSTS.map((c) => ({
  cost: c.cost,
  method: c.method,
  path: c.path,
}));

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    readonly rate: number,
    readonly capacity: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = capacity;
    this.last = now();
  }
  take(cost: number): boolean {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

export class RateLimiter {
  private buckets = new Map<string, { read: TokenBucket; write: TokenBucket }>();
  /** Callers that took the self-service Advanced grant (POST /account/api_usage_level/upgrade). */
  private advancedGrants = new Set<string>();
  constructor(
    readonly tier: Tier,
    private readonly now?: () => number,
  ) {}

  /** The caller's effective tier: the exchange's, or Advanced when a grant lifts a Basic caller. */
  tierOf(caller: string): Tier {
    return this.tier === "basic" && this.advancedGrants.has(caller) ? "advanced" : this.tier;
  }

  /** Charge `cost` to the caller's read or write bucket; false means answer 429. */
  allow(caller: string, kind: "read" | "write", cost: number): boolean {
    let b = this.buckets.get(caller);
    if (!b) {
      const t = TIERS[this.tierOf(caller)]!;
      b = { read: new TokenBucket(t.read[0], t.read[1], this.now), write: new TokenBucket(t.write[0], t.write[1], this.now) };
      this.buckets.set(caller, b);
    }
    return b[kind].take(cost);
  }

  /** A permanent Advanced grant for `caller`; its buckets are rebuilt at the new budget. */
  grantAdvanced(caller: string): void {
    this.advancedGrants.add(caller);
    this.buckets.delete(caller);
  }

  limitsJson(caller?: string): Record<string, unknown> {
    const tier = caller ? this.tierOf(caller) : this.tier;
    const t = TIERS[tier]!;
    // The grant's `source` is "volume" or "manual" in the SDK's words; the self-service grant is neither (UNSURE), "manual" here.
    const grants =
      caller && this.advancedGrants.has(caller) ? [{ exchange_instance: "event_contract", level: "advanced", source: "manual" }] : [];
    return {
      grants,
      read: { bucket_capacity: t.read[1], refill_rate: t.read[0] },
      usage_tier: tier,
      write: { bucket_capacity: t.write[1], refill_rate: t.write[0] },
    };
  }
}
