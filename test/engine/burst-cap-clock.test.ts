// The burst cap counts the contracts matched in the order group's rolling window (issue 10, item 4).
// Fill times are the exchange's, so the window is measured back from the exchange's clock, never
// this machine's: with the exchange's clock 2 h ahead of the bot's (a machine clock off, or the
// local exchange run faster than the wall), every fill looked recent to the previous build and the
// cap blocked every set after the first, for good. Through the binary, `--once` runs against the
// local exchange, each 20 s of exchange time apart (more than the 15 s window): a set fits each time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { E2E_START_MS, onceArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

describe("burst cap: exchange times compared with exchange times", () => {
  // Paper too: a dry run stamps its fills in the exchange's time as live does (paper-transport.ts),
  // so its window must be measured back from the exchange's clock as well.
  test.each([
    ["live", false],
    ["dry run", true],
  ])(
    "%s, exchange clock 2 h ahead of the bot's: sets 20 s apart are not held back by fills outside the window",
    async (_name, dry) => {
      const dir = tempDir(dry ? "burst-clock-paper" : "burst-clock");
      const paper = dry ? 1 : 0;
      // No competing arbitrageurs: they take the scenario's mispriced sets within seconds, and this test
      // needs sets to send over several runs (it checks the cap's clock, not the strategy's edge).
      const v = await startVenue(dir, {
        seed: 61,
        startMs: E2E_START_MS + 2 * 3600_000,
        botWallMs: E2E_START_MS,
        participants: { arbitrageurs: false },
      });
      try {
        // Group limit max(10, 2 × 10) = 20 contracts per 15 s; arbitrage legs of 2 contracts (a 7-leg set is 14).
        const cfg = writeBotConfig(dir, v, {
          risk: { max_contracts_per_order: 2 },
          trading: { dry_run: dry, strategies: { market_maker: { enabled: false } } },
        });
        for (let i = 0; i < 8; i++) {
          const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
          expect(r.code, r.output).toBe(0);
          v.step(20_000);
        }
        const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
        try {
          const sets = (
            db
              .query(
                "select count(distinct group_key) as n from orders where paper = ? and strategy = 'event_arbitrage' and group_key is not null and reason not like 'repair%'",
              )
              .get(paper) as { n: number }
          ).n;
          const capped = db.query("select message from audit_log where kind = 'burst_cap'").all() as Array<{ message: string }>;
          console.log(
            `${dry ? "dry run" : "live"}, exchange 2 h ahead: ${sets} set(s) sent in 8 runs 20 s apart; ${capped.length} held back by the cap`,
          );
          expect(sets).toBeGreaterThan(1);
          // A cycle the cap held a set back in must have sent one itself: 20 s after the last run the
          // window is empty, so only this cycle's own sends can fill it.
          const heldWithoutSending = db
            .query(
              "select c.id from cycles c where (select count(*) from audit_log a where a.kind = 'burst_cap' and a.at between c.started_at and c.ended_at) > 0 and (select count(*) from orders o where o.cycle_id = c.id and o.strategy = 'event_arbitrage' and o.paper = ?) = 0",
            )
            .all(paper);
          expect(heldWithoutSending).toEqual([]);
        } finally {
          db.close();
        }
      } finally {
        await v.stop();
      }
    },
    240_000,
  );
});
