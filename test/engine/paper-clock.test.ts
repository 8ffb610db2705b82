// A dry run decides on the exchange's clock, not this machine's: with the bot's clock three hours
// ahead of the exchange, the market maker's mid history, its paper orders' expiries and the
// strategies' time all stay on the exchange's time (the prints that fill paper orders carry it, so
// a markout window or a time to close measured on the machine's clock would be hours off).
// Through the binary, against the local exchange on a stepped clock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { onceArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const SHIFT_MS = 3 * 3_600_000;

describe("paper on the exchange's clock", () => {
  test("bot clock 3 h ahead: mid history and paper expiries are in exchange time", async () => {
    const dir = tempDir("paper-clock-");
    const v = await startVenue(dir, { seed: 3 });
    const start = v.clock.now();
    v.setBotNow(start + SHIFT_MS);
    try {
      const strategies = { event_arbitrage: { enabled: false }, fair_value: { enabled: false }, market_maker: { enabled: true } };
      const cfg = writeBotConfig(dir, v, { trading: { dry_run: true, cancel_on_exit: false, strategies } });
      for (let i = 0; i < 4; i++) {
        const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
        expect(r.code).toBe(0);
        v.step(20_000);
      }
      const end = v.clock.now();
      const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
      try {
        const mids = db.query("select at from market_snapshots").all() as Array<{ at: number }>;
        const orders = db.query("select expires_at from orders where paper = 1").all() as Array<{ expires_at: number | null }>;
        expect(mids.length).toBeGreaterThan(4);
        expect(orders.length).toBeGreaterThan(0);
        // The exchange's time (carried forward on the monotonic clock for a few seconds at most).
        for (const { at } of mids) {
          expect(at).toBeGreaterThanOrEqual(start);
          expect(at).toBeLessThan(end + 60_000);
        }
        for (const { expires_at } of orders) {
          expect(expires_at).not.toBeNull();
          expect(expires_at!).toBeGreaterThan(start);
          expect(expires_at!).toBeLessThan(end + 15 * 60_000);
        }
      } finally {
        db.close();
      }
    } finally {
      await v.stop();
    }
  }, 180_000);
});
