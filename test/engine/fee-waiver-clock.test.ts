// A market's fee waiver (GetMarkets fee_waiver_expiration_time) is an exchange time, so the bot
// judges it on the exchange's clock, never on this machine's alone: with the machine's clock behind
// the exchange's, a waiver that has ended at the exchange looked still running, and the strategies
// priced every trade in that market without its fee (a taker edge a fee too big). The local
// exchange charges by the same waiver (nothing while it runs, the schedule after), so the test
// checks both sides against it: real client, real HTTP, the in-process local exchange 2 h ahead
// of this machine.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MarketDataSource } from "../../src/engine/market-data.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import type { ScenarioInput } from "../../src/sim/scenario-schema.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";

const kp = generateKeyPair();
const AHEAD_MS = 2 * 3600_000;
const clock = new ManualClock(Math.floor((Date.now() + AHEAD_MS) / 1000) * 1000);
let sim: SimServer;
let client: KalshiClient;
const scope = { seriesTickers: [], eventTickers: [], marketTickers: [], whole: true };
const book = { yes: [["0.4000", "10.00"]] as [string, string][], no: [["0.5000", "10.00"]] as [string, string][] };

const scenario: ScenarioInput = {
  name: "fee-waiver",
  series: [{ ticker: "KXW", title: "Waived", fee_type: "quadratic", fee_multiplier: 1 }],
  events: [
    {
      event_ticker: "KXW-26DEC06",
      series_ticker: "KXW",
      title: "Waiver ends a minute in",
      close_in_s: 7200,
      liquidity: "none",
      // Opened an hour before the start (open_in_s's default): the waiver ends 60 s after the start.
      markets: [{ ticker: "KXW-26DEC06-A", yes_sub_title: "A", book, fee_waiver_s: 3660 }],
    },
  ],
  participants: { makers: false, noise_takers: false, mispricing_every_s: 0, activity: 0 },
};

beforeAll(async () => {
  sim = await startSimServer({
    port: 0,
    seed: 5,
    scenario,
    clock,
    quiet: true,
    tier: "prime",
    accounts: [{ apiKeyId: "me", publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: "me", privateKey: privateKeyFromPem(kp.privateKeyPem), tier: "prime" });
}, 60_000);
afterAll(async () => {
  await sim.stop();
});

const take = async () => {
  await client.createOrder({
    ticker: "KXW-26DEC06-A",
    side: "bid",
    price: 5000,
    count: 100,
    time_in_force: "immediate_or_cancel",
    self_trade_prevention_type: "maker",
  });
  return (await client.listFills({ ticker: "KXW-26DEC06-A" })).items.map((f) => f.fee_cost);
};

describe("fee waiver on the exchange's clock", () => {
  test("while it runs no fee, on both sides; once it ended at the exchange the fee is back, whatever this machine's clock says", async () => {
    const onExchangeClock = () => new MarketDataSource(client, { exchangeNow: () => clock.now() }).load(scope);
    const onMachineClock = () => new MarketDataSource(client).load(scope);
    const market = (md: Awaited<ReturnType<typeof onMachineClock>>) => md.markets.get("KXW-26DEC06-A");

    expect(market(await onExchangeClock())).toMatchObject({ feeType: "quadratic", feeMultiplierE4: 0 });
    expect(await take()).toEqual([0]);

    clock.advance(120_000); // the waiver ended 60 s ago at the exchange; this machine's clock is still 2 h before it
    const md = await onExchangeClock();
    expect(market(md)).toMatchObject({ feeType: "quadratic", feeMultiplierE4: 10_000 });
    // The machine's clock alone (no exchange time seen yet) still takes the waiver for running: the case fixed here.
    expect(market(await onMachineClock())).toMatchObject({ feeMultiplierE4: 0 });
    // Taker 0.07 x 1 x 0.5 x 0.5 = $0.0175, as the bot now prices it.
    expect(await take()).toEqual([17_500, 0]);
  });
});
