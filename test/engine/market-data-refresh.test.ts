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

beforeAll(async () => {
  sim = await startSimServer({
    port: 0,
    seed: 7,
    markets: 30,
    clock: new ManualClock(Date.now()),
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
