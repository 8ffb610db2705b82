// Where the daemon collects garbage (src/ops/heap-collector.ts, wired in src/engine/bot.ts): between
// cycles, between the pages of a full load and between a cycle's market-data steps, each saying so
// on a debug line; a `--once` run, which exits after its cycle, never forces one. Through the binary
// against the local exchange. The policy itself (when a collection is due) is heap-collector.test.ts's.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import { daemonArgs, onceArgs, quietMakerOnly, quietMarket, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const scenario = quietMarket("daemon-collections");
const GC = /full GC [\d.]+ ms(?: \(([^)]+)\))?/g;

test("the daemon collects between a cycle's market-data steps; --once never forces a collection", async () => {
  const dir = tempDir("daemon-collections-");
  const v = await startVenue(dir, { seed: 1, scenario });
  try {
    const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
    const cfg = writeBotConfig(dir, v, { trading: { cycle_interval_seconds: 1, strategies } });

    const once = await runBin([...onceArgs(cfg, dir), "--verbose"], { cwd: dir });
    expect(once.code, once.output).toBe(0);
    expect([...once.output.matchAll(GC)]).toEqual([]);

    // At this scope memory hardly grows: collections come by the longest gap (5 s), at the first
    // check after it, which is mostly a cycle's first market-data step (the gap runs out while the
    // daemon waits for the next cycle).
    const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
    const sites = await until(
      "a collection between a cycle's market-data steps",
      () => {
        const where = [...bot.output().matchAll(GC)].map((m) => m[1] ?? "between cycles");
        return where.includes("between the market-data steps of a cycle") ? where : null;
      },
      60_000,
    );
    // The first check of all collects (nothing known yet); it is the first full load's first page.
    expect(sites[0]).toBe("between pages of a full load");
    expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
  } finally {
    await v.stop();
  }
}, 120_000);
