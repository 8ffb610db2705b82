// Between cycles paper's risk gate knows the positions its own fills left, as live's does. Live's
// own fills ask for a pass that reconciles over REST and rebuilds the risk state from the ledger;
// paper's fills were in its ledger at once but its risk state was rebuilt only at the next cycle, so
// until then the gate judged on the positions the cycle started from (an immediate fill counted as
// an order still resting on its side). An order on the other side was refused by the per-market
// cap on paper and let through live (issue 13's fair_value parity bench, seed 8: a sale of 10 YES
// at the cycle, then a buy of 10 YES in the pass after the step, live only).
// Through the binary as a daemon on a stepped venue (the parity bench's), live and dry-run alike.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { Account } from "../../src/sim/accounts.ts";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { daemonIdle, daemonArgs, queryLedger, QUIET_TICKER, quietMarket, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

/** fair_value's YES position after: a buy at the cap, a sale at the next cycle, a cheap ask answered by the pass after it. */
async function positionAfterPass(dryRun: boolean): Promise<number> {
  const dir = tempDir(`paper-risk-${dryRun ? "paper" : "live"}-`);
  // 0.40 bid / 0.50 ask, 20 contracts each, nobody else trading.
  const v = await startVenue(dir, { seed: 1, scenario: quietMarket("paper-risk") });
  try {
    const source = join(dir, "probs.json");
    const forecast = (p: string) => writeFileSync(source, JSON.stringify({ [QUIET_TICKER]: p }));
    forecast("0.95");
    const strategies = {
      event_arbitrage: { enabled: false },
      market_maker: { enabled: false },
      fair_value: { enabled: true, source, min_edge: "0.01", max_contracts: 20, max_event_dollars: "100" },
    };
    const cfg = writeBotConfig(dir, v, {
      exchange: { clock: "stepped" },
      trading: { dry_run: dryRun, cycle_interval_seconds: 86_400, strategies },
      risk: { max_contracts_per_order: 10, max_position_per_market: 10 },
    });
    const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
    const idle = (cycles: number, releases: number) => daemonIdle(bot, v, cycles, releases);
    const yes = () =>
      dryRun
        ? (queryLedger<{ position: number }>(
            join(dir, "data/kalshi.sqlite"),
            `select position from positions where ticker = '${QUIET_TICKER}'`,
          )[0]?.position ?? 0)
        : (v.sim.exchange.accountsByKey.get(v.keyId)!.positions.get(QUIET_TICKER)?.position ?? 0);
    try {
      // Cycle 1: YES at 0.50 is worth 0.95: 10 bought, the per-market cap.
      await idle(1, 0);
      expect(yes()).toBe(10 * COUNT_ONE);
      // Cycle 2: YES is worth 0.05 now: the 10 sold at 0.40 (NO bought at 0.60).
      forecast("0.05");
      bot.proc.kill("SIGUSR1");
      await idle(2, 0);
      expect(yes()).toBe(0);
      // Someone sells whatever is left of the 0.40 bid, then offers 5 YES at 0.02, under the 0.05 it is
      // worth: the pass after the move buys them (5 YES: within the cap of 10, now that nothing is held).
      const ex = v.sim.exchange;
      ex.addAccount(new Account("seller", 1_000_000_000));
      ex.placeOrder("seller", {
        ticker: QUIET_TICKER,
        side: "ask",
        price: 4000,
        // All there is (paper's sale never reached its venue's book: 20 there, 10 on live's).
        count: 20 * COUNT_ONE,
        tif: "immediate_or_cancel",
        stp: "taker_at_cross",
      });
      ex.placeOrder("seller", {
        ticker: QUIET_TICKER,
        side: "ask",
        price: 200,
        count: 5 * COUNT_ONE,
        tif: "good_till_canceled",
        stp: "taker_at_cross",
      });
      await idle(2, 0);
      bot.proc.kill("SIGUSR2");
      await idle(2, 1);
    } finally {
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    }
    return yes() / COUNT_ONE;
  } finally {
    await v.stop();
  }
}

describe("paper's risk gate between cycles", () => {
  test("knows what its own fills left: after a sale at the cycle, the pass buys within the cap, as live does", async () => {
    const [live, paper] = await Promise.all([positionAfterPass(false), positionAfterPass(true)]);
    expect({ live, paper }).toEqual({ live: 5, paper: 5 });
  }, 180_000);
});
