// Issue 16: event_arbitrage captures the arbitrage the local exchange offers. One small deterministic
// scenario: the built-in exchange with only its makers (no noise or informed takers, no competing
// arbitrageurs, no random episodes), the New York temperature ladder's scheduled stale quote (45 s
// in: every strike's makers ask 12% too little, once). The exchange's own books say what the
// episode offers (every set that pays after taker fees, walking all levels:
// scripts/bench/arb-offer.ts); the compiled binary, live with advanced_config.json's strategies and
// risk limits, runs a cycle every 5 s of market time while the episode lasts. What it captured is its
// complete sets at the exchange: at least 95% of the offered profit. A correctness bound (sizing,
// depth walking, fees, repeated cycles), not a timing one: the clock waits for the bot.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EpisodeTracker, exhaustiveEvents, offeredArbitrage } from "../../scripts/bench/arb-offer.ts";
import { ROOT, cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { exchangeAccount, onceArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const SHIPPED = JSON.parse(readFileSync(join(ROOT, "advanced_config.json"), "utf8")) as {
  trading: { strategies: Record<string, Record<string, unknown>> };
  risk: Record<string, unknown>;
};

describe("event_arbitrage capture on a scheduled stale quote", () => {
  test("≥ 95% of the offered profit after fees, competing arbitrageurs off", async () => {
    const dir = tempDir("e2e-arb-capture");
    const v = await startVenue(dir, {
      seed: 5,
      markets: 12,
      participants: { arbitrageurs: false, noise_takers: false, informed_takers: false, mispricing_every_s: 0 },
    });
    try {
      const ex = v.sim.exchange;
      const ny = [...ex.events.values()].find((e) => e.eventTicker.startsWith("KXHIGHNY-"))!;
      expect(exhaustiveEvents(ex).has(ny.eventTicker)).toBe(true);
      const fills = () => exchangeAccount(v).account.fills;
      const tracker = new EpisodeTracker(ex, fills);
      // Before the episode nothing is offered; one second after it starts, the stale asks are up.
      for (let s = 0; s < 40; s++) {
        v.step(1_000);
        tracker.observe();
      }
      expect(offeredArbitrage(ex, ny.eventTicker, true)).toBeNull();
      for (let s = 0; s < 6; s++) {
        v.step(1_000);
        tracker.observe();
      }
      const first = offeredArbitrage(ex, ny.eventTicker, true)!;
      expect(first).not.toBeNull();
      expect(first.direction).toBe("yes");
      expect(first.sets).toBeGreaterThanOrEqual(300);
      const cfg = writeBotConfig(dir, v, {
        trading: { strategies: SHIPPED.trading.strategies },
        risk: { ...SHIPPED.risk, max_orders_per_minute: 600 },
      });
      // A cycle every 5 s of market time while the episode lasts (and one more after).
      for (let i = 0; i < 20 && offeredArbitrage(ex, ny.eventTicker, true); i++) {
        const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
        expect(r.code).toBe(0);
        for (let s = 0; s < 5; s++) {
          v.step(1_000);
          tracker.observe();
        }
      }
      expect(offeredArbitrage(ex, ny.eventTicker, true)).toBeNull();
      const episodes = tracker.finish().filter((e) => e.event === ny.eventTicker);
      expect(episodes.length).toBeGreaterThan(0);
      const offered = episodes.reduce((a, e) => a + e.offeredMicros, 0);
      const captured = episodes.reduce((a, e) => a + e.capturedMicros, 0);
      expect(offered).toBeGreaterThanOrEqual(first.profitMicros);
      expect(captured).toBeGreaterThanOrEqual(Math.ceil(0.95 * offered));
      // Every leg bought in whole sets: none left over.
      const per = ny.marketTickers.map((t) =>
        fills()
          .filter((f) => f.ticker === t)
          .reduce((a, f) => a + f.count, 0),
      );
      expect(per[0]).toBeGreaterThan(0);
      expect(new Set(per).size).toBe(1);
    } finally {
      await v.stop();
    }
  }, 300_000);
});
