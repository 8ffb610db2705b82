// Kalshi's read and write token buckets (API.md §5.3): each request costs tokens (10 by default,
// some endpoints less or more), buckets refill continuously at the tier's rate. Real time, not sim
// time: a client's pacing is measured in wall seconds whatever --speed says.

export const TIERS = {
  basic: { read: [200, 200], write: [100, 100] },
  advanced: { read: [300, 300], write: [300, 600] },
  premier: { read: [1000, 1000], write: [1000, 2000] },
  paragon: { read: [2000, 2000], write: [2000, 4000] },
  prime: { read: [4000, 4000], write: [4000, 8000] },
  /** Not Kalshi's: for tests and benchmarks that must never be throttled. */
  unlimited: { read: [1e12, 1e12], write: [1e12, 1e12] },
} as const satisfies Record<string, { read: [number, number]; write: [number, number] }>;
export type Tier = keyof typeof TIERS;
export const isTier = (s: string): s is Tier => s in TIERS;

export const DEFAULT_COST = 10;

/** Non-default costs recorded on the wire (fixtures/account__endpoint_costs). Paths use `:param`. */
export const ENDPOINT_COSTS: { method: string; path: string; cost: number }[] = [
  { cost: 30, method: "POST", path: "/trade-api/v2/account/api_usage_level/upgrade" },
  { cost: 2, method: "DELETE", path: "/trade-api/v2/portfolio/events/orders/:order_id" },
  { cost: 2, method: "DELETE", path: "/trade-api/v2/portfolio/events/orders/batched" },
  { cost: 20, method: "POST", path: "/trade-api/v2/portfolio/orders" },
  { cost: 4, method: "DELETE", path: "/trade-api/v2/portfolio/orders/:order_id" },
  { cost: 2, method: "GET", path: "/trade-api/v2/portfolio/orders/:order_id" },
  { cost: 20, method: "POST", path: "/trade-api/v2/portfolio/orders/:order_id/amend" },
  { cost: 20, method: "POST", path: "/trade-api/v2/portfolio/orders/:order_id/decrease" },
  { cost: 4, method: "DELETE", path: "/trade-api/v2/portfolio/orders/batched" },
  { cost: 20, method: "POST", path: "/trade-api/v2/portfolio/orders/batched" },
];

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(readonly rate: number, readonly capacity: number, private readonly now: () => number = performance.now.bind(performance)) {
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
  constructor(readonly tier: Tier, private readonly now?: () => number) {}

  /** Charge `cost` to the caller's read or write bucket; false means answer 429. */
  allow(caller: string, kind: "read" | "write", cost: number): boolean {
    let b = this.buckets.get(caller);
    if (!b) {
      const t = TIERS[this.tier];
      b = { read: new TokenBucket(t.read[0], t.read[1], this.now), write: new TokenBucket(t.write[0], t.write[1], this.now) };
      this.buckets.set(caller, b);
    }
    return b[kind].take(cost);
  }

  limitsJson(): Record<string, unknown> {
    const t = TIERS[this.tier];
    return { grants: [], read: { bucket_capacity: t.read[1], refill_rate: t.read[0] }, usage_tier: this.tier, write: { bucket_capacity: t.write[1], refill_rate: t.write[0] } };
  }
}
