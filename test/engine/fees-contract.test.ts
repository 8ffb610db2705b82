// Fees as Kalshi's contract states them: an event's fee_type_override / fee_multiplier_override win
// over its series' schedule, a fee waiver (fee_waiver_expiration_time in the future) means no fee,
// and a fee type the bot cannot price (flat, or one Kalshi adds) means the market is not traded,
// with the reason in the scan table. Against the in-process local exchange (scenario with event
// overrides) through the real client, and through the binary's --mode scan.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LiveBooks, type LiveLifecycle } from "../../src/engine/live-books.ts";
import { effectiveFee, lifecycleInScope, MarketDataSource } from "../../src/engine/market-data.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import type { ScenarioInput } from "../../src/sim/scenario-schema.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";

const kp = generateKeyPair();
let sim: SimServer;
const scope = { seriesTickers: [], eventTickers: [], marketTickers: [], whole: true };

const book = { yes: [["0.4000", "10.00"]] as [string, string][], no: [["0.5000", "10.00"]] as [string, string][] };
const scenario: ScenarioInput = {
  name: "fees",
  series: [
    { ticker: "KXQ", title: "Quadratic", fee_type: "quadratic", fee_multiplier: 1 },
    { ticker: "KXFLAT", title: "Flat", fee_type: "flat", fee_multiplier: 1 },
  ],
  events: [
    {
      event_ticker: "KXQ-26JUN10",
      series_ticker: "KXQ",
      title: "Plain",
      close_in_s: 3600,
      liquidity: "none",
      markets: [{ ticker: "KXQ-26JUN10-A", yes_sub_title: "A", book }],
    },
    {
      event_ticker: "KXQ-26JUN11",
      series_ticker: "KXQ",
      title: "Maker fees, half",
      close_in_s: 3600,
      liquidity: "none",
      fee_type_override: "quadratic_with_maker_fees",
      fee_multiplier_override: 0.5,
      markets: [{ ticker: "KXQ-26JUN11-A", yes_sub_title: "A", book }],
    },
    {
      event_ticker: "KXQ-26JUN12",
      series_ticker: "KXQ",
      title: "Flat by override",
      close_in_s: 3600,
      liquidity: "none",
      fee_type_override: "flat",
      markets: [{ ticker: "KXQ-26JUN12-A", yes_sub_title: "A", book }],
    },
    {
      event_ticker: "KXFLAT-26JUN10",
      series_ticker: "KXFLAT",
      title: "Flat series",
      close_in_s: 3600,
      liquidity: "none",
      markets: [{ ticker: "KXFLAT-26JUN10-A", yes_sub_title: "A", book }],
    },
  ],
  participants: { makers: false, noise_takers: false, mispricing_every_s: 0, activity: 0 },
};

beforeAll(async () => {
  await ensureBinary();
  sim = await startSimServer({
    port: 0,
    seed: 3,
    scenario,
    clock: new ManualClock(Date.UTC(2026, 5, 10, 13)),
    quiet: true,
    tier: "prime",
    accounts: [{ apiKeyId: "me", publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
}, 180_000);
afterAll(async () => {
  await sim.stop();
  await cleanup();
});

describe("fees per Kalshi's contract", () => {
  test("event overrides win over the series; unpriceable fee types are not traded, with the reason", async () => {
    const client = new KalshiClient({
      baseUrl: sim.baseUrl,
      apiKeyId: "me",
      privateKey: privateKeyFromPem(kp.privateKeyPem),
      tier: "prime",
    });
    const md = await new MarketDataSource(client).load(scope);
    expect([...md.markets.keys()].sort()).toEqual(["KXQ-26JUN10-A", "KXQ-26JUN11-A"]);
    expect(md.markets.get("KXQ-26JUN10-A")).toMatchObject({ feeType: "quadratic", feeMultiplierE4: 10_000 });
    expect(md.markets.get("KXQ-26JUN11-A")).toMatchObject({ feeType: "quadratic_with_maker_fees", feeMultiplierE4: 5_000 });
    expect(md.untradeable.get("KXQ-26JUN12-A")).toMatch(/fee type "flat" cannot be priced/);
    expect(md.untradeable.get("KXFLAT-26JUN10-A")).toMatch(/fee type "flat" cannot be priced/);
    expect(md.inactive.has("KXFLAT-26JUN10-A")).toBe(true);
  });

  test("the local exchange charges the event's overridden fees", async () => {
    const client = new KalshiClient({
      baseUrl: sim.baseUrl,
      apiKeyId: "me",
      privateKey: privateKeyFromPem(kp.privateKeyPem),
      tier: "prime",
    });
    const take = (ticker: string) =>
      client.createOrder({
        ticker,
        side: "bid",
        price: 5000,
        count: 100,
        time_in_force: "immediate_or_cancel",
        self_trade_prevention_type: "maker",
      });
    await take("KXQ-26JUN10-A");
    await take("KXQ-26JUN11-A");
    const fee = async (ticker: string) => (await client.listFills({ ticker })).items.map((f) => f.fee_cost);
    // Taker 0.07 x 1 x 0.5 x 0.5 = $0.0175; x 0.5 (event override) = $0.00875, rounded up to $0.0088.
    expect(await fee("KXQ-26JUN10-A")).toEqual([17_500]);
    expect(await fee("KXQ-26JUN11-A")).toEqual([8_800]);
  });

  test("event_fee_update reaches the daemon's lifecycle listener (which starts an early full load), and the new fees are read", async () => {
    const privateKey = privateKeyFromPem(kp.privateKeyPem);
    const live = await LiveBooks.open({
      wsOptions: { url: sim.wsUrl, apiKeyId: "me", privateKey, commandTimeoutMs: 5_000 },
      tickers: [],
      trades: false,
      ownOrders: false,
      lifecycle: true,
    });
    try {
      const got: LiveLifecycle[] = [];
      live.onLifecycle((e) => got.push(e));
      sim.exchange.setEventFees("KXQ-26JUN10", "quadratic", 2_500);
      await until("event_fee_update delivered", () => got.some((e) => e.eventType === "event_fee_update"), 10_000, { pollMs: 10 });
      const e = got.find((x) => x.eventType === "event_fee_update")!;
      expect(e).toEqual({ ticker: "", eventTicker: "KXQ-26JUN10", eventType: "event_fee_update" });
      expect(lifecycleInScope({ seriesTickers: ["KXQ"], eventTickers: [], marketTickers: [], whole: false }, e.ticker, e.eventTicker)).toBe(
        true,
      );
      const client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: "me", privateKey, tier: "prime" });
      const md = await new MarketDataSource(client).load(scope);
      expect(md.markets.get("KXQ-26JUN10-A")).toMatchObject({ feeType: "quadratic", feeMultiplierE4: 2_500 });
    } finally {
      live.close();
      sim.exchange.setEventFees("KXQ-26JUN10", null, null);
    }
  });

  test("a fee waiver in force means no fee; an expired one changes nothing", () => {
    const series = { feeType: "quadratic", feeMultiplierE4: 10_000 };
    const now = Date.UTC(2026, 5, 10, 13);
    expect(effectiveFee(series, undefined, { fee_waiver_expiration_time: "2026-06-11T00:00:00Z" }, now)).toEqual({
      feeType: "quadratic",
      feeMultiplierE4: 0,
    });
    expect(effectiveFee(series, undefined, { fee_waiver_expiration_time: "2026-06-01T00:00:00Z" }, now)).toEqual({
      feeType: "quadratic",
      feeMultiplierE4: 10_000,
    });
    expect(effectiveFee(series, { feeTypeOverride: "new_kind", feeMultE4Override: null }, {}, now)).toEqual({
      reason: 'fee type "new_kind" cannot be priced (no published schedule); not traded',
    });
  });

  test("--mode scan through the binary lists the unpriceable markets as not traded, with why", async () => {
    const dir = tempDir("kbot-fees-");
    const keyPath = join(dir, "key.pem");
    writeFileSync(keyPath, kp.privateKeyPem, { mode: 0o600 });
    const cfg = join(dir, "bot.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        exchange: { environment: "sim", base_url: sim.baseUrl, api_key_id: "me", private_key_path: keyPath, rate_tier: "prime" },
        trading: { dry_run: true, non_interactive: true, series_tickers: ["KXQ", "KXFLAT"] },
        paths: { database: "data/kalshi.sqlite", reports_dir: "reports", backups_dir: "backups", lock_file: "bot.lock" },
      }),
    );
    const r = await runBin(
      ["--config", cfg, "--mode", "scan", "--once", "--skip-setup-wizard", "--non-interactive", "--lock-file", join(dir, "bot.lock")],
      { cwd: dir, timeoutMs: 60_000 },
    );
    const out = r.stdout + r.stderr;
    expect(r.code).toBe(0);
    expect(out).toMatch(/KXFLAT-26JUN10-A\s+not traded\s+.*fee type "flat" cannot be priced/);
    expect(out).toMatch(/KXQ-26JUN12-A\s+not traded/);
  }, 90_000);
});
