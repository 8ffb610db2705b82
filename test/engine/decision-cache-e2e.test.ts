// The decision cache in the daemon, through the binary against the local exchange: with
// `trading.decision_cache = "verify"` every cycle decides over the cache's pruned input AND over the
// whole scope and logs any difference. Over cycles of a moving exchange (participants trade, the
// market maker's quotes rest, fill and move) not one difference may appear, while the strategies do
// act (orders go out). The pure twin, over many more rounds: test/engine/decision-cache.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

function cyclesDone(dir: string): number {
  if (!existsSync(join(dir, "data/kalshi.sqlite"))) return 0;
  try {
    const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
    try {
      return (d.query("select count(*) as n from cycles where ended_at is not null and status = 'active'").get() as { n: number }).n;
    } finally {
      d.close();
    }
  } catch {
    return 0; // the daemon is still creating its ledger
  }
}

function ordersSent(dir: string): number {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return (d.query("select count(*) as n from orders where paper = 0 and origin = 'bot'").get() as { n: number }).n;
  } finally {
    d.close();
  }
}

describe("decision cache in the daemon (verify mode)", () => {
  test("cycles of a moving exchange: the cached decisions equal those over the whole scope, every cycle", async () => {
    const dir = tempDir("decision-cache-e2e");
    const v = await startVenue(dir, { seed: 14, markets: 300 });
    const stopDriving = v.drive(100, 2_000);
    try {
      const cfg = writeBotConfig(dir, v, {
        trading: {
          cycle_interval_seconds: 1,
          decision_cache: "verify",
          strategies: { market_maker: { max_markets: 10, stop_before_close_minutes: 0 }, event_arbitrage: { enabled: true } },
        },
      });
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      await until("12 active cycles", () => cyclesDone(dir) >= 12 || null, 90_000);
      await bot.stop();
      const out = bot.output();
      expect(out).not.toMatch(/decision cache: .* decided differently/);
      // Not vacuous: the cycles decided, and the strategies acted on what they decided.
      expect(cyclesDone(dir)).toBeGreaterThanOrEqual(12);
      expect(ordersSent(dir)).toBeGreaterThan(0);
    } finally {
      stopDriving();
      await v.stop();
    }
  }, 150_000);
});
