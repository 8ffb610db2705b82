// Paper trading in daemon mode sees a maker's order that crosses a resting paper quote on the book
// delta that brings it, not only at the next look at the book. On the venue, which never saw our
// paper bid, an ask at its price rests through it; live it would have traded with our bid at once.
// Withdrawn before the next look, the cross leaves nothing public (no print, the book as before):
// a dry run that looks only once a cycle never fills that bid, and understates a market maker (the
// paper vs live bench's "transient crosses", README). Through the binary as a daemon with its
// WebSocket books, against the local exchange; the fill carries the delta's exchange time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Account } from "../../src/sim/accounts.ts";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import { daemonArgs, queryLedger, QUIET_TICKER, quietMakerOnly, quietMarket, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const TICKER = QUIET_TICKER;
const scenario = quietMarket("delta-cross");

describe("paper in the daemon", () => {
  test("a maker's ask through our paper bid, withdrawn before the next look, fills the bid at the delta's time", async () => {
    const dir = tempDir("paper-delta-cross-");
    const v = await startVenue(dir, { seed: 1, scenario });
    try {
      const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
      // Cycles a minute apart: everything here happens between two looks at the book.
      const cfg = writeBotConfig(dir, v, { trading: { dry_run: true, cycle_interval_seconds: 60, strategies } });
      const db = join(dir, "data/kalshi.sqlite");
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      await bot.waitFor(/cycle 1 \(/, 30_000);
      const bid = await until(
        "the paper bid resting",
        () =>
          queryLedger<{ price: number }>(db, "select price from orders where paper = 1 and status = 'resting' and side = 'bid'")[0] ?? null,
        15_000,
      );
      // The market maker quotes inside the 0.40/0.50 book: no one else bids at its price.
      expect(bid.price).toBeGreaterThan(4000);
      // The books are subscribed after the first cycle (the connection opens beside it).
      await until("the live books", () => /live books: WebSocket/.test(bot.output()) || null, 10_000);
      await Bun.sleep(1_500);
      const ex = v.sim.exchange;
      ex.addAccount(new Account("crosser", 1_000_000_000));
      const at = v.clock.now();
      const o = ex.placeOrder("crosser", {
        ticker: TICKER,
        side: "ask",
        price: bid.price,
        count: 100,
        tif: "good_till_canceled",
        stp: "taker_at_cross",
      });
      ex.cancelOrder("crosser", o.order.id);
      const fills = await until(
        "the paper fill",
        () => {
          const f = queryLedger<{ price: number; count: number; is_taker: number; created_at: number }>(
            db,
            "select price, count, is_taker, created_at from fills where paper = 1",
          );
          return f.length > 0 ? f : null;
        },
        20_000,
      );
      // One contract (what the ask showed), at our price, as maker, when the ask came.
      expect(fills.map((f) => [f.price, f.count, f.is_taker, f.created_at])).toEqual([[bid.price, 100, 0, at]]);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 180_000);
});
