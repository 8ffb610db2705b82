// Client-side token buckets mirroring Kalshi's (API.md §5.3): one read and one write bucket per key,
// refilled continuously, every request paying its endpoint's cost. Kalshi answers an overdraft with a
// bare 429 and no Retry-After, so the only way to stay fast is never to overdraw: requests wait here.

export type Tier = "basic" | "advanced" | "premier" | "paragon" | "prime";
export type BucketName = "read" | "write";

export interface BucketBudget {
  /** tokens per second */
  refill: number;
  /** burst size in tokens */
  capacity: number;
}

/** Per-second budgets; read buckets hold 1 s, write buckets above Basic hold 2 s. */
export const TIER_BUDGETS: Record<Tier, { read: BucketBudget; write: BucketBudget }> = {
  basic: { read: { refill: 200, capacity: 200 }, write: { refill: 100, capacity: 100 } },
  advanced: { read: { refill: 300, capacity: 300 }, write: { refill: 300, capacity: 600 } },
  premier: { read: { refill: 1000, capacity: 1000 }, write: { refill: 1000, capacity: 2000 } },
  paragon: { read: { refill: 2000, capacity: 2000 }, write: { refill: 2000, capacity: 4000 } },
  prime: { read: { refill: 4000, capacity: 4000 }, write: { refill: 4000, capacity: 8000 } },
};

export const DEFAULT_COST = 10;

/** Non-default costs seen on the wire in June 2026 (fixture account__endpoint_costs); replaced by a refresh. */
export const KNOWN_ENDPOINT_COSTS: ReadonlyArray<{ method: string; path: string; cost: number }> = [
  { method: "DELETE", path: "/trade-api/v2/portfolio/events/orders/:order_id", cost: 2 },
  { method: "DELETE", path: "/trade-api/v2/portfolio/events/orders/batched", cost: 2 },
  { method: "GET", path: "/trade-api/v2/portfolio/orders/:order_id", cost: 2 },
  { method: "POST", path: "/trade-api/v2/portfolio/orders", cost: 20 },
  { method: "DELETE", path: "/trade-api/v2/portfolio/orders/:order_id", cost: 4 },
  { method: "POST", path: "/trade-api/v2/portfolio/orders/:order_id/amend", cost: 20 },
  { method: "POST", path: "/trade-api/v2/portfolio/orders/:order_id/decrease", cost: 20 },
  { method: "POST", path: "/trade-api/v2/portfolio/orders/batched", cost: 20 },
  { method: "DELETE", path: "/trade-api/v2/portfolio/orders/batched", cost: 4 },
  { method: "POST", path: "/trade-api/v2/account/api_usage_level/upgrade", cost: 30 },
];

export function isTier(s: string): s is Tier {
  return s in TIER_BUDGETS;
}

/** Which bucket an endpoint draws from: writes are order/order-group/quote mutations. */
export function bucketOf(method: string, path: string): BucketName {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD") return "read";
  const p = stripPrefix(path);
  if (p.startsWith("/portfolio/") || p.startsWith("/communications/")) return "write";
  return "read";
}

const stripPrefix = (p: string): string => {
  const q = p.indexOf("?");
  const path = q >= 0 ? p.slice(0, q) : p;
  return path.startsWith("/trade-api/v2") ? path.slice("/trade-api/v2".length) : path;
};

/**
 * A token bucket that lets the balance go negative: each caller reserves its tokens at once and
 * sleeps until the debt is repaid. That keeps callers in FIFO order and the long-run rate exactly
 * at `refill`, with no polling.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    public refill: number,
    public capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  private update(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.refill) / 1000);
    this.last = t;
  }

  /** Current balance (may be negative while callers wait). */
  get level(): number {
    this.update();
    return this.tokens;
  }

  /** Reserve `cost` tokens; returns how many ms the caller must wait before sending. */
  reserve(cost: number): number {
    this.update();
    this.tokens -= cost;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.refill;
  }

  /** Give back a reservation that was never used (request aborted while waiting). */
  refund(cost: number): void {
    this.update();
    this.tokens = Math.min(this.capacity, this.tokens + cost);
  }

  /** After a 429 the server's bucket is empty whatever ours says: empty ours too. */
  drain(): void {
    this.update();
    this.tokens = Math.min(this.tokens, 0);
  }

  setBudget(refill: number, capacity: number): void {
    this.update();
    this.refill = refill;
    this.capacity = capacity;
    this.tokens = Math.min(this.tokens, capacity);
  }
}

export interface RateLimiterOptions {
  tier?: Tier;
  /**
   * Fraction of the tier's refill rate we allow ourselves (default 0.98) and of its burst
   * (default 0.5). The smaller burst leaves the server's bucket half full in steady state, so
   * network jitter that bunches our requests on arrival never overdraws it.
   */
  rateFactor?: number;
  burstFactor?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Reservation {
  bucket: BucketName;
  cost: number;
  waitedMs: number;
}

/** A request that costs more than the exchange's bucket can ever hold: it would be refused every time. */
export class OverCapacityError extends Error {
  override name = "OverCapacityError";
  constructor(
    readonly bucket: BucketName,
    readonly cost: number,
    readonly capacity: number,
  ) {
    super(
      `request costs ${cost} tokens but the ${bucket} bucket holds ${capacity}: Kalshi would refuse it every time; send fewer items per batch`,
    );
  }
}

export class RateLimiter {
  readonly read: TokenBucket;
  /** The exchange's own bucket sizes (ours hold only burstFactor of them). */
  private readonly serverCapacity: Record<BucketName, number>;
  /** The exchange's own refill rates in tokens a second (ours run at rateFactor of them). */
  private readonly serverRefill: Record<BucketName, number>;
  readonly write: TokenBucket;
  private defaultCost = DEFAULT_COST;
  private exact = new Map<string, number>();
  private patterns: Array<{ method: string; re: RegExp; cost: number }> = [];
  private readonly rateFactor: number;
  private readonly burstFactor: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  tier: Tier;
  /**
   * Since this limiter was made: requests that waited for tokens, the time they waited, 429s the
   * exchange answered anyway, and the tokens spent from each bucket (the daemon's heartbeat carries
   * them to /metrics and the dashboard, which sets them against the budget).
   */
  readonly stats = { waits: 0, waitedMs: 0, rateLimited: 0, tokens: { read: 0, write: 0 } };

  constructor(opts: RateLimiterOptions = {}) {
    this.tier = opts.tier ?? "basic";
    this.rateFactor = opts.rateFactor ?? 0.98;
    this.burstFactor = opts.burstFactor ?? 0.5;
    this.sleep = opts.sleep ?? sleep;
    const b = TIER_BUDGETS[this.tier];
    this.read = new TokenBucket(b.read.refill * this.rateFactor, b.read.capacity * this.burstFactor, opts.now);
    this.write = new TokenBucket(b.write.refill * this.rateFactor, b.write.capacity * this.burstFactor, opts.now);
    this.serverCapacity = { read: b.read.capacity, write: b.write.capacity };
    this.serverRefill = { read: b.read.refill, write: b.write.refill };
    this.setEndpointCosts({ default_cost: DEFAULT_COST, endpoint_costs: KNOWN_ENDPOINT_COSTS });
  }

  /** Install the table from GET /account/endpoint_costs. */
  setEndpointCosts(table: { default_cost: number; endpoint_costs: ReadonlyArray<{ method: string; path: string; cost: number }> }): void {
    this.defaultCost = table.default_cost > 0 ? table.default_cost : DEFAULT_COST;
    this.exact = new Map();
    this.patterns = [];
    this.costMemo.clear();
    for (const e of table.endpoint_costs) {
      const method = e.method.toUpperCase();
      const path = stripPrefix(e.path);
      if (/[:*]/.test(path)) {
        const re = new RegExp(
          "^" +
            path
              .split("/")
              .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.startsWith("*") ? ".*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
              .join("/") +
            "$",
        );
        this.patterns.push({ method, re, cost: e.cost });
      } else {
        this.exact.set(`${method} ${path}`, e.cost);
      }
    }
  }

  /** Install the budgets from GET /account/limits (covers tiers we have no table for). */
  setLimits(limits: {
    usage_tier?: string;
    read: { refill_rate: number; bucket_capacity: number };
    write: { refill_rate: number; bucket_capacity: number };
  }): void {
    if (limits.usage_tier && isTier(limits.usage_tier)) this.tier = limits.usage_tier;
    if (limits.read.bucket_capacity > 0) this.serverCapacity.read = limits.read.bucket_capacity;
    if (limits.write.bucket_capacity > 0) this.serverCapacity.write = limits.write.bucket_capacity;
    if (limits.read.refill_rate > 0) this.serverRefill.read = limits.read.refill_rate;
    if (limits.write.refill_rate > 0) this.serverRefill.write = limits.write.refill_rate;
    if (limits.read.refill_rate > 0)
      this.read.setBudget(limits.read.refill_rate * this.rateFactor, limits.read.bucket_capacity * this.burstFactor);
    if (limits.write.refill_rate > 0)
      this.write.setBudget(limits.write.refill_rate * this.rateFactor, limits.write.bucket_capacity * this.burstFactor);
  }

  /** Token cost of one request (or one item of a batch). Exact paths win over `:param` patterns. */
  costOf(method: string, path: string): number {
    // Looked up once per method and path: an order's amend path (on the way from a book update to
    // the amend) matches none of the table's `:param` patterns, so every one of them was tried.
    const key = `${method} ${path}`;
    const memo = this.costMemo.get(key);
    if (memo !== undefined) return memo;
    const cost = this.lookUpCost(method, path);
    // Bounded: every order id is a path of its own.
    if (this.costMemo.size >= 512) this.costMemo.clear();
    this.costMemo.set(key, cost);
    return cost;
  }

  /** Costs found by costOf, per `METHOD path` (cleared with a new table). */
  private readonly costMemo = new Map<string, number>();

  private lookUpCost(method: string, path: string): number {
    const m = method.toUpperCase();
    const p = stripPrefix(path);
    const exact = this.exact.get(`${m} ${p}`);
    if (exact !== undefined) return exact;
    for (const e of this.patterns) if (e.method === m && e.re.test(p)) return e.cost;
    return this.defaultCost;
  }

  /** The exchange's bucket size for an endpoint's bucket. */
  capacityOf(method: string, path: string): number {
    return this.serverCapacity[bucketOf(method, path)];
  }

  /** The exchange's budget for a bucket, in tokens a second. */
  budgetPerSecond(bucket: BucketName): number {
    return this.serverRefill[bucket];
  }

  /** How many items of a batch fit the exchange's bucket at once (Kalshi bills every item). */
  maxBatchItems(method: string, path: string): number {
    return Math.max(0, Math.floor(this.capacityOf(method, path) / this.costOf(method, path)));
  }

  /**
   * Wait until the request may be sent. `items` multiplies the cost for batch endpoints. A cost
   * above the exchange's bucket capacity throws OverCapacityError at once: Kalshi answers such a
   * request with 429 however long one waits.
   */
  async acquire(method: string, path: string, items = 1, signal?: AbortSignal): Promise<Reservation> {
    const r = this.reserve(method, path, items);
    if (r.waitedMs > 0) await this.waitOut(r, signal);
    return r;
  }

  /**
   * acquire's first half, synchronous: the tokens are reserved now and `waitedMs` says how long to
   * wait before sending (waitOut); 0 sends at once. A request that need not wait then reaches
   * fetch with no promise turn in between (the daemon's requote path: book update → request).
   */
  reserve(method: string, path: string, items = 1): Reservation {
    const bucketName = bucketOf(method, path);
    const bucket = bucketName === "read" ? this.read : this.write;
    const cost = this.costOf(method, path) * Math.max(1, items);
    if (cost > this.serverCapacity[bucketName]) throw new OverCapacityError(bucketName, cost, this.serverCapacity[bucketName]);
    // A batch larger than our half-size bucket still fits the exchange's: it waits for the debt to clear.
    const wait = bucket.reserve(cost);
    if (wait > 0) {
      this.stats.waits++;
      this.stats.waitedMs += wait;
    }
    this.stats.tokens[bucketName] += cost;
    return { bucket: bucketName, cost, waitedMs: wait };
  }

  /** Sleep out a reservation's wait (reserve); aborted, its tokens are given back and the abort thrown. */
  async waitOut(r: Reservation, signal?: AbortSignal): Promise<void> {
    try {
      await this.sleep(r.waitedMs, signal);
    } catch (e) {
      (r.bucket === "read" ? this.read : this.write).refund(r.cost);
      this.stats.tokens[r.bucket] -= r.cost;
      throw e;
    }
  }

  /** Called on a 429: the server disagrees with our books, so assume its bucket is empty. */
  onRateLimited(bucket: BucketName): void {
    this.stats.rateLimited++;
    (bucket === "read" ? this.read : this.write).drain();
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^attempt)], floored at base/2. */
export function backoffMs(attempt: number, baseMs = 250, capMs = 8000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.max(baseMs / 2, Math.floor(random() * ceiling));
}
