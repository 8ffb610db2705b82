// A refresh between full loads (src/engine/market-data.ts) runs every cycle of the daemon: it must
// hand back the previous maps themselves while no re-read market changes them (copying 10,000-entry
// maps each second was a steady stream of large allocations; issue 14, the daemon's memory), and
// copy them before a re-read market changes one, leaving the previous cycle's maps as they were.
// Against the local exchange over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MarketDataSource } from "../../src/engine/market-data.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";

const kp = generateKeyPair();
const KEY = "refresh-key";
const scope = { seriesTickers: [], eventTickers: [], marketTickers: [], whole: true };
let sim: SimServer;
let source: MarketDataSource;
let client: KalshiClient;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  sim = await startSimServer({
    port: 0,
    seed: 7,
    markets: 30,
    clock,
    quiet: true,
    tier: "unlimited",
    accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: KEY, privateKey: privateKeyFromPem(kp.privateKeyPem), tier: "prime" });
  source = new MarketDataSource(client);
}, 60_000);

afterAll(async () => {
  await sim?.stop();
});

describe("refresh between full loads", () => {
  test("nothing re-read: the previous maps themselves, no copy", async () => {
    const md = await source.load(scope);
    expect(md.markets.size).toBeGreaterThan(10);
    const next = await source.refresh({ markets: md.markets, events: md.events, inactive: md.inactive }, []);
    expect(next.markets).toBe(md.markets);
    expect(next.events).toBe(md.events);
    expect(next.inactive).toBe(md.inactive);
    expect(next.requests).toBe(0);
  });

  test("markets re-read: copied before they change, the previous maps as they were", async () => {
    const md = await source.load(scope);
    const before = new Map(md.markets);
    const inactiveBefore = new Map(md.inactive);
    const [t1, t2] = [...md.markets.keys()];
    const next = await source.refresh({ markets: md.markets, events: md.events, inactive: md.inactive }, [t1!, t2!]);
    expect(next.requests).toBe(1);
    expect(next.markets).not.toBe(md.markets);
    // Re-read views are new objects in the new map; the previous map still holds the old ones.
    expect(next.markets.get(t1!)).not.toBe(md.markets.get(t1!));
    expect(next.markets.get(t1!)).toEqual(before.get(t1!)!);
    expect(md.markets).toEqual(before);
    for (const [t, m] of before) expect(md.markets.get(t)).toBe(m);
    expect(md.inactive).toEqual(inactiveBefore);
    // Events are never changed by a refresh: shared.
    expect(next.events).toBe(md.events);
  });
});

// Between full loads the daemon's look at the scope reads only the markets whose metadata changed
// since the last look (GET /markets?min_updated_ts, per series): a market closed, paused or
// otherwise changed must still be seen, and anything it cannot stand in for hands over to a full load.
describe("update between full loads", () => {
  const seriesScope = () => ({
    seriesTickers: [...new Set([...sim.exchange.events.values()].map((e) => e.seriesTicker))],
    eventTickers: [],
    marketTickers: [],
    whole: false,
  });

  test("a market paused since the last look is read and leaves the open markets; the others stay as they were", async () => {
    const src = new MarketDataSource(client);
    const md = await src.load(seriesScope());
    // Later than every market's creation: only what changes from here on is newer than the look.
    clock.advance(60_000);
    const lookMs = clock.now();
    const [t1] = [...md.markets.keys()];
    sim.exchange.pauseMarket(t1!);
    const up = await src.update(md, seriesScope(), lookMs - 5_000, []);
    expect(up).not.toBeNull();
    expect(up!.changed).toEqual([t1!]);
    expect(up!.data.markets.has(t1!)).toBe(false);
    expect(up!.data.inactive.get(t1!)?.status).toBe("inactive");
    // The previous maps as they were; every other market the same view object.
    expect(md.markets.has(t1!)).toBe(true);
    for (const [t, m] of up!.data.markets) expect(m).toBe(md.markets.get(t)!);
    expect(up!.data.markets.size).toBe(md.markets.size - 1);
    expect(up!.data.events).toBe(md.events);
    // One request per series.
    expect(up!.data.requests).toBe(seriesScope().seriesTickers.length);

    // Open again: not something an update adds back (a full load lists its event again).
    clock.advance(1_000);
    sim.exchange.resumeMarket(t1!);
    expect(await src.update(up!.data, seriesScope(), lookMs, [])).toBeNull();
    const full = await src.load(seriesScope());
    expect(full.markets.has(t1!)).toBe(true);
  });

  test("a fee waiver read at the last look that has ended since: a full load", async () => {
    let exNow: number | null = null;
    const src = new MarketDataSource(client, { exchangeNow: () => exNow });
    const [t1] = [...sim.exchange.markets.values()].filter((m) => m.status === "active").map((m) => m.ticker);
    const ends = Date.now() + 3_600_000;
    sim.exchange.markets.get(t1!)!.feeWaiverUntilMs = ends;
    const md = await src.load(seriesScope());
    expect(md.markets.get(t1!)?.feeMultiplierE4).toBe(0);
    clock.advance(1_000);
    expect(await src.update(md, seriesScope(), clock.now(), [])).not.toBeNull();
    exNow = ends + 1;
    expect(await src.update(md, seriesScope(), clock.now(), [])).toBeNull();
    sim.exchange.markets.get(t1!)!.feeWaiverUntilMs = null;
  });

  test("a scope with event or market lists: a full load", async () => {
    const src = new MarketDataSource(client);
    const md = await src.load(scope);
    const [t1] = [...md.markets.keys()];
    expect(await src.update(md, { ...seriesScope(), marketTickers: [t1!] }, clock.now(), [])).toBeNull();
  });
});
