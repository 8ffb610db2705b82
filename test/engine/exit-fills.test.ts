// The ledger holds the account's fills when the bot stops. A fill can come after the last
// reconciliation: fair_value's immediate-or-cancel take at the end of --once, or in a daemon's last
// cycle before a stop. Before, the ledger learned it only at the next start, so `status` after a run
// showed a position short of the exchange's. Through the binary against the local exchange.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import { daemonArgs, onceArgs, QUIET_TICKER, queryLedger, quietMarket, startVenue, type Venue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

/** fair_value alone, sure the quiet market's YES is worth 0.95: it takes 5 of the 20 offered at 0.50. */
function takerConfig(dir: string, v: Venue, extra: { exchange?: Record<string, unknown>; trading?: Record<string, unknown> } = {}): string {
  const source = join(dir, "probs.json");
  writeFileSync(source, JSON.stringify({ [QUIET_TICKER]: "0.95" }));
  return writeBotConfig(dir, v, {
    ...(extra.exchange ? { exchange: extra.exchange } : {}),
    trading: {
      ...extra.trading,
      strategies: {
        event_arbitrage: { enabled: false },
        market_maker: { enabled: false },
        fair_value: { enabled: true, source, max_contracts: 5, max_event_dollars: "100" },
      },
    },
  });
}

/** Contracts held on the venue. */
const onVenue = (v: Venue): number => (v.sim.exchange.accountsByKey.get(v.keyId)?.positions.get(QUIET_TICKER)?.position ?? 0) / COUNT_ONE;

/** Contracts: the ledger's fills and the venue's position. */
function held(dir: string, v: Venue): { ledger: number; exchange: number } {
  const rows = queryLedger<{ n: number | null }>(join(dir, "data/kalshi.sqlite"), "select sum(count) as n from fills where paper = 0");
  return { ledger: (rows[0]?.n ?? 0) / COUNT_ONE, exchange: onVenue(v) };
}

describe("fills at exit", () => {
  test("--once: the cycle's immediate fill is in the ledger when the run ends, and said", async () => {
    const dir = tempDir("exit-fills-once-");
    const v = await startVenue(dir, { seed: 1, scenario: quietMarket("exit-fills-once") });
    try {
      const r = await runBin(onceArgs(takerConfig(dir, v), dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r.code).toBe(0);
      expect(held(dir, v)).toEqual({ ledger: 5, exchange: 5 });
      expect(r.stdout + r.stderr).toContain("exiting: 1 fill(s) since the last read recorded");
    } finally {
      await v.stop();
    }
  }, 120_000);

  test("daemon: a stop right after a cycle that took leaves the fill in the ledger", async () => {
    const dir = tempDir("exit-fills-daemon-");
    const v = await startVenue(dir, { seed: 1, scenario: quietMarket("exit-fills-daemon") });
    // On a stepped clock the daemon holds what the feed brings until told (SIGUSR2): no pass reads the fill.
    const cfg = takerConfig(dir, v, { exchange: { clock: "stepped" }, trading: { cycle_interval_seconds: 86_400 } });
    const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
    try {
      await until(
        "the first cycle's take on the venue and the daemon idle after it",
        () => onVenue(v) === 5 && /idle: after cycle 1,/.test(bot.output()),
        30_000,
      );
    } finally {
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    }
    expect(held(dir, v)).toEqual({ ledger: 5, exchange: 5 });
    expect(bot.output()).toContain("stopped: 1 fill(s) since the last read recorded");
    await v.stop();
  }, 120_000);
});
