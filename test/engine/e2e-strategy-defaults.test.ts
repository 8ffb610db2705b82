// Issue 16 through the binary: the shipped strategy defaults, live against the local exchange on a
// stepped clock. The market maker ships disabled (it lost money after fees on the real-data replay):
// with no strategies in the config it places nothing and event_arbitrage still runs. Enabled with
// its shipped parameters, the market maker quotes and trades; it never quotes a market that closes within
// stop_before_close_minutes (30, on the exchange's clock); it keeps a mid history (market_snapshots)
// for its volatility and fast-move checks; every event_arbitrage YES set it decides is on an event
// whose markets tile the range (the scenario's temperature ladders), never on the BTC ladder.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import { isExhaustive } from "../../src/engine/event-coverage.ts";
import { ROOT, cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { exchangeAccount, onceArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const CYCLES = 14;
const STEP_MS = 40_000;

describe("shipped strategy defaults through the binary", () => {
  test("the market maker ships disabled (schema default and advanced_config.json); a config without strategies places no quote, event_arbitrage runs", async () => {
    expect(strategiesSchema.parse({}).market_maker.enabled).toBe(false);
    expect(strategiesSchema.parse({}).event_arbitrage.enabled).toBe(true);
    const shipped = JSON.parse(readFileSync(join(ROOT, "advanced_config.json"), "utf8")) as {
      trading: { strategies: Record<string, { enabled: boolean }> };
    };
    expect(shipped.trading.strategies.market_maker!.enabled).toBe(false);
    expect(shipped.trading.strategies.event_arbitrage!.enabled).toBe(true);
    const dir = tempDir("e2e-mm-off");
    const v = await startVenue(dir, { seed: 3, startMs: Date.UTC(2026, 10, 20, 14, 0, 0) });
    try {
      // The harness enables the market maker for the trading tests; here the config has no strategies at all.
      const cfg = writeBotConfig(dir, v, { trading: { cancel_on_exit: false } });
      const c = JSON.parse(readFileSync(cfg, "utf8")) as { trading: Record<string, unknown> };
      delete c.trading.strategies;
      writeFileSync(cfg, JSON.stringify(c, null, 2));
      for (let i = 0; i < 3; i++) {
        v.step(STEP_MS);
        const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
        expect(r.code, r.output).toBe(0);
        expect(r.stdout).toContain("event_arbitrage:");
        expect(r.stdout).not.toContain("market_maker:");
        // The run says which strategies decide, so a quiet run explains itself.
        expect(r.output).toContain(
          "strategies: event_arbitrage enabled; market_maker, fair_value disabled (trading.strategies.<name>.enabled)",
        );
      }
      const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
      try {
        expect((db.query("select count(*) as n from orders where strategy = 'market_maker'").get() as { n: number }).n).toBe(0);
      } finally {
        db.close();
      }
      expect(exchangeAccount(v).orders.filter((o) => o.status === "resting")).toEqual([]);
    } finally {
      await v.stop();
    }
  }, 180_000);

  test(`market maker enabled, its shipped parameters, ${CYCLES} live --once cycles: the market maker quotes (never near close) and fills; YES sets only on exhaustive events`, async () => {
    const dir = tempDir("e2e-defaults");
    // The local exchange trades about as often as a real temperature strike (~8 trades a
    // market-hour): too rarely for a quote to fill within 14 cycles. This test checks what the
    // market maker does (quotes, fills, never near close), not what it earns, so the participants
    // here trade four times as often (the P&L bench runs the calibrated rate). The default scenario
    // has stale quotes only at two scheduled times, which the competing desks mostly take first; the
    // YES-set check below needs sets to decide, so random stale quotes are on (every 600 s, scaled
    // by the activity, as the exchange's own default).
    const v = await startVenue(dir, {
      seed: 3,
      startMs: Date.UTC(2026, 10, 20, 14, 0, 0),
      participants: { activity: 4, mispricing_every_s: 600 },
    });
    try {
      // Strategies and risk limits as shipped, except the market maker is enabled (the harness does
      // that) and the orders-per-minute window (this machine's clock: a minute of market time passes
      // in a few seconds here); quotes rest between runs.
      const cfg = writeBotConfig(dir, v, { trading: { cancel_on_exit: false } });
      const placedNearClose: string[] = [];
      // Tickers of every YES leg event_arbitrage decided (the cycle summary lists refused ones too).
      const yesLegs = new Set<string>();
      for (let i = 0; i < CYCLES; i++) {
        v.step(STEP_MS);
        const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
        expect({ cycle: i + 1, code: r.code, err: r.code === 0 ? "" : r.stderr.slice(-500) }).toEqual({ cycle: i + 1, code: 0, err: "" });
        for (const m of r.stdout.matchAll(/buy YES [\d.]+ (\S+) @ \S+ — event_arbitrage/g)) yesLegs.add(m[1]!);
        // Right after the run, on the exchange's clock: every resting market_maker quote is on a market
        // that closes 30 min or more from now.
        const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
        const mine = new Set(
          (
            db.query("select order_id from orders where paper = 0 and strategy = 'market_maker' and order_id is not null").all() as Array<{
              order_id: string;
            }>
          ).map((r) => r.order_id),
        );
        db.close();
        for (const o of exchangeAccount(v).orders) {
          if (o.status !== "resting" || !mine.has(o.id)) continue;
          const close = v.sim.exchange.markets.get(o.ticker)!.closeMs;
          if (close - v.clock.now() < 30 * 60_000)
            placedNearClose.push(`${o.ticker} closes in ${Math.round((close - v.clock.now()) / 60_000)} min`);
        }
      }
      expect(placedNearClose).toEqual([]);
      const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
      try {
        const mm = db
          .query(
            "select count(*) as n, coalesce(sum(filled_count), 0) as filled from orders where paper = 0 and strategy = 'market_maker' and order_id is not null",
          )
          .get() as { n: number; filled: number };
        expect(mm.n).toBeGreaterThan(0);
        expect(mm.filled).toBeGreaterThan(0);
        // The mid history the market maker asked for was kept.
        expect((db.query("select count(*) as n from market_snapshots").get() as { n: number }).n).toBeGreaterThan(CYCLES);
        // Every YES leg event_arbitrage decided (sent, or refused by the gate) is on an exhaustive event.
        for (const r of db.query("select ticker from orders where strategy = 'event_arbitrage' and side = 'bid'").all() as Array<{
          ticker: string;
        }>)
          yesLegs.add(r.ticker);
        expect(yesLegs.size).toBeGreaterThan(0);
        for (const t of yesLegs) {
          const ev = v.sim.exchange.events.get(v.sim.exchange.markets.get(t)!.eventTicker)!;
          const ms = ev.marketTickers
            .map((x) => v.sim.exchange.markets.get(x)!)
            .map((m) => ({ strike_type: m.strikeType ?? undefined, floor_strike: m.floorStrike, cap_strike: m.capStrike }));
          expect({ t, exhaustive: isExhaustive(ev.mutuallyExclusive, ms) }).toEqual({ t, exhaustive: true });
        }
      } finally {
        db.close();
      }
    } finally {
      await v.stop();
    }
  }, 300_000);
});
