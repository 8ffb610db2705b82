// A resting paper order that the venue's book comes to cross (a maker quoting through our price)
// fills, as live it would have traded at the moment that maker's order arrived: sometime between
// the fill model's last look at the book and the look that finds the cross. Stamped at the look that
// finds it, the fill is always late, by up to a whole cycle, and what is measured after a fill moves
// with it (the market maker's markout reads the mid markout_seconds after each fill): on the paper
// vs live bench a late stamp read a later, worse mid than live's and pulled quotes live kept
// (README, Paper vs live). Through the binary, against the local exchange on a stepped clock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { Account } from "../../src/sim/accounts.ts";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { onceArgs, QUIET_TICKER, quietMakerOnly, quietMarket, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const TICKER = QUIET_TICKER;
const scenario = quietMarket("cross-time");

describe("a crossed paper fill's time", () => {
  test("lies between the look that saw our bid uncrossed and the look that found the cross, not at the latter", async () => {
    const dir = tempDir("paper-cross-time-");
    const v = await startVenue(dir, { seed: 1, scenario });
    try {
      const strategies = quietMakerOnly();
      const cfg = writeBotConfig(dir, v, { trading: { dry_run: true, cancel_on_exit: false, strategies } });
      const db = join(dir, "data/kalshi.sqlite");
      const first = v.clock.now();
      const r1 = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r1.code).toBe(0);
      const bid = (() => {
        const d = new Database(db, { readonly: true });
        try {
          return d.query("select price from orders where paper = 1 and status = 'resting' and side = 'bid'").get() as {
            price: number;
          } | null;
        } finally {
          d.close();
        }
      })();
      // The market maker quotes inside the 0.40/0.50 book.
      expect(bid).not.toBeNull();
      expect(bid!.price).toBeGreaterThan(4000);
      // 5 s later another trader asks at our bid's price: live it would trade with our bid then. The
      // venue never saw our paper bid, so the ask rests there, crossing it.
      v.step(5_000);
      const ex = v.sim.exchange;
      ex.addAccount(new Account("crosser", 1_000_000_000));
      ex.placeOrder("crosser", {
        ticker: TICKER,
        side: "ask",
        price: bid!.price,
        count: 100,
        tif: "good_till_canceled",
        stp: "taker_at_cross",
      });
      v.step(25_000);
      const second = v.clock.now();
      const r2 = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r2.code).toBe(0);
      const d = new Database(db, { readonly: true });
      try {
        const fills = d.query("select price, count, is_taker, created_at from fills where paper = 1").all() as Array<{
          price: number;
          count: number;
          is_taker: number;
          created_at: number;
        }>;
        expect(fills.map((f) => [f.price, f.count, f.is_taker])).toEqual([[bid!.price, 100, 0]]);
        // Between the two looks (the first run placed the bid; the second found the cross), and
        // before the second: the look that found it is the latest the cross can have happened.
        expect(fills[0]!.created_at).toBeGreaterThan(first);
        expect(fills[0]!.created_at).toBeLessThan(second);
      } finally {
        d.close();
      }
    } finally {
      await v.stop();
    }
  }, 180_000);
});
