// Where the daemon reads depth over REST (src/engine/depth-choice.ts): between full loads only the
// markets the market map logged as changed, and the events listing one, are asked again. Over many
// rounds of changes of every kind that can move the answer (a market's view, an arbitrage showing
// up or going on an event's legs, a new portfolio, a changed event, a book laid over a market, a
// market leaving, strategies reloaded), the answer must equal asking every strategy about every
// market and event.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DepthChoice, depthWanted } from "../../src/engine/depth-choice.ts";
import { TrackedMarkets } from "../../src/engine/market-changes.ts";
import { MarketDataSource } from "../../src/engine/market-data.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { COUNT_ONE, PRICE_ONE } from "../../src/kalshi/money.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import { enabledStrategies } from "../../src/strategies/index.ts";
import type { EventView, MarketView, PortfolioView, RestingOrderView, Strategy } from "../../src/strategies/types.ts";

const kp = generateKeyPair();
const KEY = "depth-choice-key";
const scope = { seriesTickers: [], eventTickers: [], marketTickers: [], whole: true };
let sim: SimServer;
let clock: ManualClock;
let source: MarketDataSource;

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  sim = await startSimServer({
    port: 0,
    seed: 17,
    markets: 300,
    clock,
    quiet: true,
    tier: "unlimited",
    accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  const client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: KEY, privateKey: privateKeyFromPem(kp.privateKeyPem), tier: "prime" });
  source = new MarketDataSource(client);
}, 60_000);

afterAll(async () => {
  await sim?.stop();
});

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A strategy whose depth want reads its market's view (a spread of at least 8 cents), as a strategy
 * may: the shipped ones read only the ticker (market_maker) or whole events (event_arbitrage).
 */
const wideSpreads: Strategy<null> = {
  name: "wide_spreads",
  needsDepth: (m) => m.yesAsk !== null && m.yesBid !== null && m.yesAsk - m.yesBid >= 8 * (PRICE_ONE / 100),
  decide: () => [],
};

describe("depth choice between full loads", () => {
  test("80 rounds of changes: the same markets as asking every strategy about everything", async () => {
    const r = rng(17);
    const md = await source.load(scope);
    const markets = new TrackedMarkets(md.markets);
    markets.checkpoint();
    let events: Map<string, EventView> = new Map(md.events);
    const tickers = [...markets.keys()].sort();
    // The strategies, reloaded now and then with other parameters (a new key).
    const lineup = (n: number) => [
      ...enabledStrategies(
        strategiesSchema.parse({ market_maker: { enabled: true, markets: tickers.slice(n, n + 3) }, event_arbitrage: { enabled: true } }),
      ),
      { strategy: wideSpreads as Strategy<unknown>, params: null },
    ];
    let strategies = lineup(0);
    const legged = [...events.values()].filter(
      (e) => e.mutuallyExclusive && e.marketTickers.length >= 2 && e.marketTickers.every((t) => markets.has(t)),
    );
    expect(legged.length).toBeGreaterThan(3);
    let orders: RestingOrderView[] = [];
    let key = 0;
    const portfolio = (): PortfolioView => ({ cashMicros: 500_000_000, positions: new Map(), restingOrders: orders });
    let pv = portfolio();
    const choice = new DepthChoice();
    const seen = new Set<string>();
    let answers = 0;
    for (let round = 0; round < 80; round++) {
      const kind = round % 8;
      if (kind === 0) {
        // The exchange moves: some markets get new views (a refresh, a live book changed).
        clock.advance(2_000);
        sim.tick();
        const fresh = await source.load(scope);
        for (const t of tickers) if (r() < 0.2 && fresh.markets.has(t)) markets.set(t, fresh.markets.get(t)!);
      } else if (kind === 1 || kind === 5) {
        // An arbitrage shows on an event's legs (their top of book), or goes again.
        const ev = legged[Math.floor(r() * legged.length)]!;
        const bid = Math.round(PRICE_ONE * (kind === 1 ? 0.9 : 0.3));
        for (const t of ev.marketTickers) {
          const m = markets.get(t);
          if (m)
            markets.set(t, {
              ...m,
              yesBid: bid,
              yesBidSize: 50 * COUNT_ONE,
              yesAsk: Math.min(PRICE_ONE - 100, bid + 200),
              yesAskSize: 50 * COUNT_ONE,
            });
        }
      } else if (kind === 2) {
        // A new portfolio: market_maker quotes somewhere else (its quoted markets want depth).
        const t = tickers[Math.floor(r() * tickers.length)]!;
        orders = [
          ...orders.slice(-3),
          {
            orderId: `o${round}`,
            clientOrderId: `c${round}`,
            ticker: t,
            side: "bid",
            price: 40 * (PRICE_ONE / 100),
            remaining: COUNT_ONE,
            strategy: "market_maker",
          },
        ];
        pv = portfolio();
      } else if (kind === 3) {
        // An event changes (a new object): one with an arbitrage planted is no longer mutually exclusive, or is again.
        const ev = legged[Math.floor(r() * legged.length)]!;
        events = new Map(events);
        const cur = events.get(ev.eventTicker)!;
        events.set(ev.eventTicker, { ...cur, mutuallyExclusive: !cur.mutuallyExclusive });
      } else if (kind === 4) {
        // A book laid over a wanted market (a trusted live book, or last cycle's REST depth).
        const wanted = [...depthWanted(markets, events, strategies, pv)];
        const t = wanted[Math.floor(r() * wanted.length)];
        if (t) markets.set(t, { ...markets.get(t)!, book: { yes: [], no: [] } });
      } else if (kind === 6) {
        // A market's spread widens or narrows (only wide_spreads' answer reads it).
        const t = tickers[Math.floor(r() * tickers.length)]!;
        const m = markets.get(t);
        if (m) markets.set(t, { ...m, yesAsk: Math.min(PRICE_ONE - 100, (m.yesBid ?? 0) + (r() < 0.5 ? 1 : 12) * (PRICE_ONE / 100)) });
      } else if (kind === 7 && round > 40) {
        // A market leaves the scope.
        const t = tickers[Math.floor(r() * tickers.length)]!;
        markets.delete(t);
      } else if (kind === 7) {
        // The strategies reloaded with other parameters: market_maker's fixed markets move.
        strategies = lineup(round);
        key++;
      }
      const got = choice.want(markets, events, strategies, pv, String(key)).sort();
      const want = [...depthWanted(markets, events, strategies, pv)].filter((t) => markets.has(t) && !markets.get(t)!.book).sort();
      expect({ round, got }).toEqual({ round, got: want });
      for (const t of got) seen.add(t);
      if (got.length > 0) answers++;
      // The next round's changes are logged from here (as a cycle's overlay checkpoints its map).
      markets.checkpoint();
    }
    // Not vacuous: depth was wanted in many rounds, in many markets.
    expect(answers).toBeGreaterThan(60);
    expect(seen.size).toBeGreaterThan(20);
  }, 60_000);

  test("event_arbitrage answers depthFor event by event (the union over single events is the answer over all)", async () => {
    const md = await source.load(scope);
    const [arb] = enabledStrategies(strategiesSchema.parse({ event_arbitrage: { enabled: true } }));
    const markets = new Map<string, MarketView>(md.markets);
    // Arbitrage planted on a few events' legs.
    const legged = [...md.events.values()].filter(
      (e) => e.mutuallyExclusive && e.marketTickers.length >= 2 && e.marketTickers.every((t) => markets.has(t)),
    );
    for (const ev of legged.slice(0, 4))
      for (const t of ev.marketTickers) {
        const m = markets.get(t)!;
        markets.set(t, {
          ...m,
          yesBid: Math.round(PRICE_ONE * 0.9),
          yesBidSize: 50 * COUNT_ONE,
          yesAsk: PRICE_ONE - 100,
          yesAskSize: 50 * COUNT_ONE,
        });
      }
    const all = arb!.strategy.depthFor!(markets, md.events, arb!.params, undefined);
    const one = [...md.events.values()].flatMap((ev) =>
      arb!.strategy.depthFor!(markets, new Map([[ev.eventTicker, ev]]), arb!.params, undefined),
    );
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(one)).toEqual(new Set(all));
  }, 60_000);
});
