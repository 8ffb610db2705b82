// fair_value refuses a stale probability source; a source's age is read on the clock that dated it
// (a file: this machine's modification time) and then carried onto the exchange's clock the
// strategy decides on. Before, the file's modification time (this machine's) was compared with the
// exchange's time: with the machine's clock ahead of the exchange's, a forecast hours old looked
// fresh and the bot traded on it; behind it, a fresh forecast looked stale and it traded nothing.
// Through the binary, dry run, against the local exchange, the bot's clock shifted 3 h each way.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { onceArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const HOUR = 3_600_000;

/**
 * One dry `--once` run with fair_value alone; fair_value's orders. The source is a file written
 * `ageMs` before now on the bot's clock, or with `http` a loopback server whose own clock is
 * `http.serverAheadMs` off this machine's, its Last-Modified `ageMs` before its Date.
 */
async function fairValueOrders(shiftMs: number, ageMs: number, http?: { serverAheadMs: number }): Promise<number> {
  const dir = tempDir("fv-clock-");
  const v = await startVenue(dir, { seed: 3 });
  v.setBotNow(v.clock.now() + shiftMs);
  let server: ReturnType<typeof Bun.serve> | null = null;
  try {
    // Every open market certain to settle YES: any ask under ~0.93 is worth buying, if the source is fresh.
    const probs: Record<string, string> = {};
    for (const m of v.sim.exchange.markets.values()) if (m.status === "active") probs[m.ticker] = "0.99";
    let source = join(dir, "probs.json");
    writeFileSync(source, JSON.stringify(probs));
    const written = (v.botNow() - ageMs) / 1000;
    utimesSync(source, written, written);
    server = http
      ? Bun.serve({
          port: 0,
          hostname: "127.0.0.1",
          fetch: () => {
            const at = Date.now() + http.serverAheadMs;
            return new Response(JSON.stringify(probs), {
              headers: { date: new Date(at).toUTCString(), "last-modified": new Date(at - ageMs).toUTCString() },
            });
          },
        })
      : null;
    if (server) source = `http://127.0.0.1:${server.port}/probs.json`;
    const strategies = {
      event_arbitrage: { enabled: false },
      market_maker: { enabled: false },
      fair_value: { enabled: true, source, max_source_age_minutes: 60 },
    };
    const cfg = writeBotConfig(dir, v, { trading: { dry_run: true, strategies } });
    const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(0);
    const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
    try {
      return (db.query("select count(*) as n from orders where paper = 1 and strategy = 'fair_value'").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } finally {
    server?.stop(true);
    await v.stop();
  }
}

describe("fair_value's source age across clocks", () => {
  test("bot clock 3 h ahead of the exchange: a forecast written 2 h ago is stale, one written now is used", async () => {
    expect(await fairValueOrders(3 * HOUR, 2 * HOUR)).toBe(0);
    expect(await fairValueOrders(3 * HOUR, 0)).toBeGreaterThan(0);
  }, 180_000);

  test("bot clock 3 h behind the exchange: a forecast written now is fresh", async () => {
    expect(await fairValueOrders(-3 * HOUR, 0)).toBeGreaterThan(0);
  }, 180_000);

  test("an http source's age is its Last-Modified against its own Date, whatever its clock", async () => {
    expect(await fairValueOrders(0, 2 * HOUR, { serverAheadMs: 5 * HOUR })).toBe(0);
    expect(await fairValueOrders(0, 60_000, { serverAheadMs: 5 * HOUR })).toBeGreaterThan(0);
  }, 180_000);
});
