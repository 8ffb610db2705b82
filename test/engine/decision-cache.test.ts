// The decision cache (src/engine/decision-cache.ts) must never change a decision: over many rounds
// of a moving exchange, each strategy as shipped decides over the cache's pruned input exactly what it
// decides over the whole scope (same intents, same order), and its mid-history request is the same.
// The markets come from the local exchange over REST (real market views: price grids, fees, close
// times), the exchange moves between rounds on its own clock, and the portfolio changes under the
// strategies (quotes resting, fills as inventory, orders gone), with arbitrage opportunities planted
// so the event strategy has something to decide. The e2e twin runs the daemon with
// decision_cache = "verify" (test/engine/decision-cache-e2e.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DecisionCache, compareDecisions, sameView } from "../../src/engine/decision-cache.ts";
import { MarketDataSource, type MarketData } from "../../src/engine/market-data.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { COUNT_ONE, PRICE_ONE } from "../../src/kalshi/money.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { enabledStrategies, type EnabledStrategy } from "../../src/strategies/index.ts";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import type { Intent, MarketView, PortfolioView, RestingOrderView } from "../../src/strategies/types.ts";

const kp = generateKeyPair();
const KEY = "decision-cache-key";
let sim: SimServer;
let clock: ManualClock;
let source: MarketDataSource;
const ROUNDS = 30;
const scope = { seriesTickers: [], eventTickers: [], marketTickers: [], whole: true };

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  sim = await startSimServer({
    port: 0,
    seed: 14,
    markets: 300,
    clock,
    quiet: true,
    tier: "unlimited",
    accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  for (let i = 0; i < 20; i++) {
    clock.advance(1_000);
    sim.tick();
  }
  const client = new KalshiClient({
    baseUrl: sim.baseUrl,
    apiKeyId: KEY,
    privateKey: privateKeyFromPem(kp.privateKeyPem),
    tier: "prime",
    backoffBaseMs: 5,
  });
  source = new MarketDataSource(client);
}, 60_000);

afterAll(async () => {
  await sim?.stop();
});

/** Deterministic pseudo-random numbers (a failing round can be replayed). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Strategy line-ups as configured in practice: defaults, a wide market maker, a fixed market list. */
function lineups(tickers: string[]): EnabledStrategy[][] {
  const mk = (cfg: Record<string, unknown>) => enabledStrategies(strategiesSchema.parse(cfg));
  return [
    mk({ market_maker: { enabled: true } }),
    mk({ market_maker: { enabled: true, max_markets: 40, min_spread_ticks: 3, stop_before_close_minutes: 600 } }),
    mk({ market_maker: { enabled: true, markets: tickers.slice(0, 7) }, event_arbitrage: { enabled: true, max_sets: 2 } }),
  ];
}

/** Plant a NO-set arbitrage on one mutually exclusive event: YES bids high enough on every leg. */
function plantArb(md: MarketData, r: () => number): void {
  const evs = [...md.events.values()].filter(
    (e) => e.mutuallyExclusive && e.marketTickers.length >= 2 && e.marketTickers.every((t) => md.markets.has(t)),
  );
  if (!evs.length) return;
  const ev = evs[Math.floor(r() * evs.length)]!;
  for (const t of ev.marketTickers) {
    const m = md.markets.get(t)!;
    const bid = Math.round(PRICE_ONE * 0.9);
    md.markets.set(t, {
      ...m,
      yesBid: bid,
      yesBidSize: 50 * COUNT_ONE,
      yesAsk: Math.min(PRICE_ONE - 100, bid + 200),
      yesAskSize: 50 * COUNT_ONE,
    });
  }
}

function portfolioFor(md: MarketData, orders: RestingOrderView[], inv: Map<string, number>): PortfolioView {
  const positions = new Map(
    [...inv].filter(([, q]) => q !== 0).map(([t, q]) => [t, { ticker: t, position: q, costMicros: Math.abs(q) * 5_000 }]),
  );
  return {
    cashMicros: 500_000_000,
    positions,
    restingOrders: orders.filter((o) => md.markets.has(o.ticker)),
    inventory: new Map([["market_maker", inv]]),
    equityMicros: 600_000_000,
  };
}

describe("decision cache: same intents as deciding over the whole scope", () => {
  test(`${ROUNDS} rounds of a moving exchange, three strategy line-ups: every decision identical, most verdicts reused`, async () => {
    const r = rng(14);
    let md = await source.load(scope);
    const tickers = [...md.markets.keys()].sort();
    const ups = lineups(tickers);
    const caches = ups.map(() => new DecisionCache());
    let orders: RestingOrderView[] = [];
    const inv = new Map<string, number>();
    let nonEmpty = 0;
    let arbIntents = 0;
    let reused = 0;
    let tested = 0;
    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // The exchange moves (its participants trade and requote), and sometimes a lot of time passes
      // at once (markets closing within stop_before_close).
      clock.advance(round % 10 === 9 ? 3_600_000 : 1_000 + Math.floor(r() * 4_000));
      sim.tick();
      md = await source.load(scope);
      if (round % 4 === 1) plantArb(md, r);
      const nowMs = clock.now();
      for (let u = 0; u < ups.length; u++) {
        const portfolio = portfolioFor(md, orders, inv);
        const cache = caches[u]!;
        cache.begin(md.markets, md.events, portfolio);
        for (const s of ups[u]!) {
          const pruned = cache.inputFor(s, md.markets, md.events, portfolio, nowMs);
          const whole = { markets: md.markets, events: md.events, portfolio, params: s.params, nowMs };
          expect(s.strategy.historyFor?.(pruned.markets, s.params, portfolio, nowMs) ?? null).toEqual(
            s.strategy.historyFor?.(md.markets, s.params, portfolio, nowMs) ?? null,
          );
          const fresh = s.strategy.decide(whole);
          const cached = s.strategy.decide({ ...whole, markets: pruned.markets, events: pruned.events });
          const diff = compareDecisions(cached, fresh);
          if (diff) throw new Error(`round ${round}, line-up ${u}, ${s.name}: ${diff}`);
          n++;
          if (fresh.length) nonEmpty++;
          arbIntents += fresh.filter((i) => i.strategy === "event_arbitrage").length;
          // The portfolio follows the decisions (as the order manager would): quotes rest, amends
          // move them, cancels remove them, and now and then one fills into inventory.
          if (u === 0) orders = apply(orders, fresh, round, inv, r);
        }
        reused += cache.stats.reused;
        tested += cache.stats.tested;
      }
    }
    expect(n).toBe(ROUNDS * 6);
    // Not a vacuous comparison: strategies acted, arbitrage too, and the cache left most out.
    expect(nonEmpty).toBeGreaterThan(ROUNDS);
    expect(arbIntents).toBeGreaterThan(0);
    console.log(
      `decision cache: ${n} decisions compared, ${nonEmpty} non-empty, ${arbIntents} arbitrage intents; verdicts reused ${reused}, re-tested ${tested}`,
    );
    expect(reused).toBeGreaterThan(tested);
  }, 120_000);

  test("a view changed in place, a quote of ours, a close time: each is seen as a change", () => {
    const cache = new DecisionCache();
    const m: MarketView = {
      ticker: "T-1",
      eventTicker: "T",
      seriesTicker: "S",
      status: "active",
      yesBid: 4000,
      yesBidSize: 1000,
      yesAsk: 4600,
      yesAskSize: 1000,
      lastPrice: null,
      volume: 0,
      openInterest: 0,
      priceRanges: [{ start: 0, end: PRICE_ONE, step: 100 }],
      feeType: "quadratic",
      feeMultiplierE4: 10_000,
      closeTimeMs: null,
    };
    const markets = new Map([[m.ticker, m]]);
    const portfolio: PortfolioView = { cashMicros: 0, positions: new Map(), restingOrders: [] };
    const [s] = enabledStrategies(strategiesSchema.parse({ market_maker: { enabled: true }, event_arbitrage: { enabled: false } }));
    cache.begin(markets, new Map(), portfolio);
    expect(cache.inputFor(s!, markets, new Map(), portfolio, 0).markets.has("T-1")).toBe(true);
    // The spread narrows to one tick, in place: no longer eligible.
    m.yesAsk = 4100;
    cache.begin(markets, new Map(), portfolio);
    expect(cache.inputFor(s!, markets, new Map(), portfolio, 0).markets.has("T-1")).toBe(false);
    expect(cache.stats).toEqual({ tested: 1, reused: 0 });
    // Unchanged: reused, still out. A book added: changed.
    cache.begin(markets, new Map(), portfolio);
    cache.inputFor(s!, markets, new Map(), portfolio, 0);
    expect(cache.stats).toEqual({ tested: 0, reused: 1 });
    expect(sameView(m, { ...m, book: { yes: [[4000, 100]], no: [] } })).toBe(false);
    // Only the portfolio changes: a quote of ours rests there, which keeps a one-tick market eligible.
    const quoted: PortfolioView = {
      ...portfolio,
      restingOrders: [
        { orderId: "o1", clientOrderId: "c1", ticker: "T-1", side: "bid", price: 4000, remaining: 100, strategy: "market_maker" },
      ],
    };
    cache.begin(markets, new Map(), quoted);
    expect(cache.inputFor(s!, markets, new Map(), quoted, 0).markets.has("T-1")).toBe(true);
    expect(s!.strategy.decide({ markets, events: new Map(), portfolio: quoted, params: s!.params, nowMs: 0 }).length).toBeGreaterThan(0);
    // Time alone: the market now closes within stop_before_close, out (and stays out).
    m.closeTimeMs = 10 * 60_000;
    cache.begin(markets, new Map(), quoted);
    expect(cache.inputFor(s!, markets, new Map(), quoted, 0).markets.has("T-1")).toBe(false);
  });

  test("time alone: a chosen market now closing too soon leaves the top and the next one takes its place, no view changed", () => {
    // The engine's promise: views never changed in place, so an unchanged market is the same object.
    const cache = new DecisionCache({ immutableViews: true });
    const view = (ticker: string, volume: number, closeTimeMs: number | null): MarketView => ({
      ticker,
      eventTicker: `E-${ticker}`,
      seriesTicker: "S",
      status: "active",
      yesBid: 4000,
      yesBidSize: 1000 * COUNT_ONE,
      yesAsk: 4600,
      yesAskSize: 1000 * COUNT_ONE,
      lastPrice: null,
      volume: volume * COUNT_ONE,
      openInterest: 0,
      priceRanges: [{ start: 0, end: PRICE_ONE, step: 100 }],
      feeType: "quadratic",
      feeMultiplierE4: 10_000,
      closeTimeMs,
    });
    const HOUR = 3_600_000;
    const markets = new Map(
      [view("A", 900, 3 * HOUR), view("B", 800, null), view("C", 700, null), view("D", 600, null)].map((m) => [m.ticker, m]),
    );
    const portfolio: PortfolioView = { cashMicros: 0, positions: new Map(), restingOrders: [] };
    const [s] = enabledStrategies(
      strategiesSchema.parse({
        market_maker: { enabled: true, max_markets: 2, stop_before_close_minutes: 60 },
        event_arbitrage: { enabled: false },
      }),
    );
    const decideOver = (m: ReadonlyMap<string, MarketView>, nowMs: number) =>
      s!.strategy.decide({ markets: m, events: new Map(), portfolio, params: s!.params, nowMs });
    cache.begin(markets, new Map(), portfolio);
    expect([...cache.inputFor(s!, markets, new Map(), portfolio, 0).markets.keys()].sort()).toEqual(["A", "B"]);
    // Two and a half hours on, nothing else changed: A closes within the hour, C takes its slot.
    const later = 2.5 * HOUR;
    cache.begin(markets, new Map(), portfolio);
    const pruned = cache.inputFor(s!, markets, new Map(), portfolio, later).markets;
    expect([...pruned.keys()].sort()).toEqual(["B", "C"]);
    expect(compareDecisions(decideOver(pruned, later), decideOver(markets, later))).toBeNull();
    expect(decideOver(markets, later).some((i) => i.ticker === "C")).toBe(true);
  });
});

function apply(
  orders: RestingOrderView[],
  intents: Intent[],
  round: number,
  inv: Map<string, number>,
  r: () => number,
): RestingOrderView[] {
  let out = [...orders];
  let k = 0;
  for (const i of intents) {
    if (i.kind === "create" && i.timeInForce === "good_till_canceled") {
      out.push({
        orderId: `o${round}-${k++}`,
        clientOrderId: `c${round}-${k}`,
        ticker: i.ticker,
        side: i.side,
        price: i.price,
        remaining: i.count,
        strategy: i.strategy,
      });
    } else if (i.kind === "cancel") out = out.filter((o) => o.orderId !== i.orderId);
    else if (i.kind === "amend")
      out = out.map((o) => (o.orderId === i.orderId ? { ...o, price: i.price, remaining: i.count - (o.filled ?? 0) } : o));
  }
  // A fill now and then: part of a resting quote becomes inventory.
  return out.flatMap((o) => {
    if (r() > 0.1) return [o];
    const q = COUNT_ONE;
    inv.set(o.ticker, (inv.get(o.ticker) ?? 0) + (o.side === "bid" ? q : -q));
    return o.remaining > q ? [{ ...o, remaining: o.remaining - q, filled: (o.filled ?? 0) + q }] : [];
  });
}
