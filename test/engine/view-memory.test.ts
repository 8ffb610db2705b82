// What the daemon keeps per market (issue 14, resident memory at 10,000 markets): market views share
// one priceRanges array per price grid, within a load and across loads, with the table of grids
// bounded; and the decision cache, whose views are never changed in place, lets an old view go when
// an equal new one arrives (a full load every minute makes new objects of the same content), so a
// market's view is held once, not twice; and the client's shard table (exchange_index by ticker)
// keeps only the markets the last full load met, where it grew by every market ever seen. Against
// the in-process local exchange over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DecisionCache } from "../../src/engine/decision-cache.ts";
import { legsByTicker } from "../../src/engine/event-legs.ts";
import { MAX_SHARED_GRIDS, MarketDataSource } from "../../src/engine/market-data.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import type { ScenarioInput } from "../../src/sim/scenario-schema.ts";
import type { MarketView, PortfolioView } from "../../src/strategies/types.ts";

const kp = generateKeyPair();
const KEY = "view-memory-key";
const scope = { seriesTickers: [], eventTickers: [], marketTickers: [], whole: true };
let sim: SimServer;
let client: KalshiClient;

beforeAll(async () => {
  sim = await startSimServer({
    port: 0,
    seed: 5,
    markets: 200,
    clock: new ManualClock(Date.now()),
    quiet: true,
    tier: "unlimited",
    accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: KEY, privateKey: privateKeyFromPem(kp.privateKeyPem), tier: "prime" });
}, 60_000);

afterAll(async () => {
  await sim?.stop();
});

const gridKey = (v: MarketView) => JSON.stringify(v.priceRanges);

describe("price grids are shared", () => {
  test("views on the same grid hold one array, within a load and across loads", async () => {
    const source = new MarketDataSource(client);
    const a = await source.load(scope);
    const b = await source.load(scope);
    const views = [...a.markets.values(), ...a.inactive.values()];
    expect(views.length).toBeGreaterThan(100);
    const byGrid = new Map<string, MarketView["priceRanges"]>();
    for (const v of views) {
      const first = byGrid.get(gridKey(v));
      if (first) expect(v.priceRanges).toBe(first);
      else byGrid.set(gridKey(v), v.priceRanges);
    }
    // Fewer grids than markets, or the test shows nothing.
    expect(byGrid.size).toBeLessThan(views.length / 10);
    for (const [t, v] of b.markets) {
      expect(v).not.toBe(a.markets.get(t)); // a new view per load ...
      expect(v.priceRanges).toBe(byGrid.get(gridKey(v))!); // ... on the grid already known
    }
  });

  test(`at most ${MAX_SHARED_GRIDS} grids are kept; a market on a grid met after that gets its own array`, async () => {
    const source = new MarketDataSource(client);
    const [m] = (await client.walkMarkets({ limit: 1 }).next()).value!;
    const fee = { feeType: "quadratic", feeMultiplierE4: 10_000 } as const;
    const onGrid = (k: number) => source.toView({ ...m!, price_ranges: [{ start: 0, end: 10_000, step: 10 + k }] }, "S", fee);
    for (let k = 0; k < MAX_SHARED_GRIDS; k++) expect(onGrid(k).priceRanges).toBe(onGrid(k).priceRanges);
    const extra = onGrid(MAX_SHARED_GRIDS);
    expect(onGrid(MAX_SHARED_GRIDS).priceRanges).not.toBe(extra.priceRanges);
    expect(onGrid(MAX_SHARED_GRIDS).priceRanges).toEqual(extra.priceRanges);
    // The kept ones are still shared.
    expect(onGrid(0).priceRanges).toBe(onGrid(0).priceRanges);
  });
});

describe("the decision cache holds one view a market", () => {
  test("after a reload of equal views, the previous load's views are collectable", async () => {
    const source = new MarketDataSource(client);
    const cache = new DecisionCache({ immutableViews: true });
    const portfolio: PortfolioView = { cashMicros: 0, positions: new Map(), restingOrders: [] };
    // In a function of its own, so no local of this test keeps the first load alive.
    const first = async (): Promise<Array<WeakRef<MarketView>>> => {
      const md = await source.load(scope);
      cache.begin(md.markets, md.events, portfolio);
      return [...md.markets.values()].map((v) => new WeakRef(v));
    };
    const old = await first();
    const md2 = await source.load(scope);
    cache.begin(md2.markets, md2.events, portfolio);
    // WeakRef targets stay alive until the job that made them ends.
    await Bun.sleep(0);
    Bun.gc(true);
    const alive = old.filter((w) => w.deref() !== undefined).length;
    expect(old.length).toBeGreaterThan(100);
    // The second load is equal (the exchange's clock did not move): the cache had kept every old view.
    // JSC scans the stack conservatively, so a stale word can keep one or two alive (seen here when
    // run after other test files); with the cache holding them, every one of them stays.
    expect(alive).toBeLessThanOrEqual(Math.floor(old.length / 20));
    expect(md2.markets.size).toBe(old.length);
  });
});

describe("one index of event legs", () => {
  test("the same index while the events are the same objects (a refresh keeps them); a new one, right, when one changes", async () => {
    const source = new MarketDataSource(client);
    const md = await source.load(scope);
    const legs = legsByTicker(md.events);
    // What the decision cache and the depth choice each built: per ticker, the events listing it, in order.
    const expected = new Map<string, string[]>();
    for (const [e, ev] of md.events) for (const t of ev.marketTickers) expected.set(t, [...(expected.get(t) ?? []), e]);
    expect(new Map([...legs].map(([t, es]) => [t, [...es]]))).toEqual(expected);
    expect(legs.size).toBeGreaterThan(100);
    // Both ask on every cycle with the same events: one index, not one each and not one per cycle.
    expect(legsByTicker(md.events)).toBe(legs);
    expect(legsByTicker(new Map(md.events))).toBe(legs);
    // One event changed (a new object, one more leg): a new index that has it.
    const [e0, ev0] = md.events.entries().next().value!;
    const changed = new Map(md.events);
    changed.set(e0, { ...ev0, marketTickers: [...ev0.marketTickers, "KX-NEW-LEG"] });
    const next = legsByTicker(changed);
    expect(next).not.toBe(legs);
    expect(next.get("KX-NEW-LEG")).toEqual([e0]);
    // A full load makes new event objects of the same content: rebuilt once, then shared again.
    const md2 = await source.load(scope);
    const again = legsByTicker(md2.events);
    expect(again).not.toBe(legs);
    expect(legsByTicker(md2.events)).toBe(again);
  });
});

describe("the client's shard table follows the scope", () => {
  test("a market no longer open (nor held) is forgotten at the next full load; open ones are kept", async () => {
    const book = { yes: [["0.4000", "10.00"]] as [string, string][], no: [["0.5000", "10.00"]] as [string, string][] };
    const event = (t: string, closeInS: number) => ({
      event_ticker: t,
      series_ticker: "KXS",
      title: t,
      close_in_s: closeInS,
      liquidity: "none" as const,
      markets: [{ ticker: `${t}-A`, yes_sub_title: "A", book }],
    });
    const scenario: ScenarioInput = {
      name: "shards",
      series: [{ ticker: "KXS", title: "S", fee_type: "quadratic", fee_multiplier: 1 }],
      events: [event("KXS-SOON", 60), event("KXS-LATER", 3600)],
      participants: { makers: false, noise_takers: false, mispricing_every_s: 0, activity: 0 },
    };
    const clock = new ManualClock(Date.UTC(2026, 5, 10, 13));
    const own = await startSimServer({ port: 0, seed: 1, scenario, clock, quiet: true, tier: "unlimited" });
    try {
      const c = new KalshiClient({ baseUrl: own.baseUrl });
      const source = new MarketDataSource(c);
      const first = await source.load(scope);
      expect([...first.markets.keys()].sort()).toEqual(["KXS-LATER-A", "KXS-SOON-A"]);
      expect(c.shardOf("KXS-SOON-A")).toBe(0);
      expect(c.shardOf("KXS-LATER-A")).toBe(0);
      clock.advance(120_000);
      own.tick();
      const second = await source.load(scope);
      expect([...second.markets.keys()]).toEqual(["KXS-LATER-A"]);
      expect(c.shardOf("KXS-SOON-A")).toBeUndefined();
      expect(c.shardOf("KXS-LATER-A")).toBe(0);
      // Held (a position or order outside what is open): kept, as the load reads it for marks.
      await source.load(scope, ["KXS-SOON-A"]);
      expect(c.shardOf("KXS-SOON-A")).toBe(0);
    } finally {
      await own.stop();
    }
  });
});
