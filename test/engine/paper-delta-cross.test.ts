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

/**
 * A maker's ask through the paper bid, placed and withdrawn on the venue while the bot sees it
 * (`frozen`: while the bot is stopped, so both deltas reach it in one read). Returns the paper
 * fills and the bid's price and the ask's exchange time.
 */
async function crossAndWithdraw(frozen: boolean) {
  const dir = tempDir("paper-delta-cross-");
  const v = await startVenue(dir, { seed: 1, scenario });
  try {
    const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
    // Cycles a minute apart (frozen: 20 s, and after the second): everything here happens between
    // two looks at the book.
    const cycle = frozen ? 20 : 60;
    const cfg = writeBotConfig(dir, v, { trading: { dry_run: true, cycle_interval_seconds: cycle, strategies } });
    const db = join(dir, "data/kalshi.sqlite");
    const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
    await bot.waitFor(/cycle 1 \(/, 30_000);
    const restingBid = () =>
      until(
        "the paper bid resting",
        () =>
          queryLedger<{ price: number }>(db, "select price from orders where paper = 1 and status = 'resting' and side = 'bid'")[0] ?? null,
        15_000,
      );
    let bid = await restingBid();
    // The market maker quotes inside the 0.40/0.50 book: no one else bids at its price.
    expect(bid.price).toBeGreaterThan(4000);
    // The books are subscribed after the first cycle (the connection opens beside it).
    await until("the live books", () => /live books: WebSocket/.test(bot.output()) || null, 10_000);
    await Bun.sleep(1_500);
    const ex = v.sim.exchange;
    ex.addAccount(new Account("crosser", 1_000_000_000));
    if (frozen) {
      // The second cycle decides on the live book, so a burst that brings the top back to it is
      // "nothing moved" for the reactor. Its next look is a cycle away.
      await bot.waitFor(/cycle 2 \(/, 30_000);
      await Bun.sleep(500);
      bid = await restingBid();
      expect(bid.price).toBeGreaterThan(4000);
    }
    if (frozen) process.kill(bot.pid, "SIGSTOP");
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
    if (frozen) {
      // Both deltas wait in the socket; the bot reads them together, its top of book back where it was.
      await Bun.sleep(300);
      process.kill(bot.pid, "SIGCONT");
    }
    const fills = await until(
      "the paper fill",
      () => {
        const f = queryLedger<{ price: number; count: number; is_taker: number; created_at: number }>(
          db,
          "select price, count, is_taker, created_at from fills where paper = 1",
        );
        return f.length > 0 ? f : null;
      },
      frozen ? 10_000 : 20_000,
    );
    // Before the next look: only the seen cross can have made it.
    expect(bot.output()).not.toMatch(frozen ? /cycle 3 \(/ : /cycle 2 \(/);
    expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    return { fills, price: bid.price, at };
  } finally {
    await v.stop();
  }
}

describe("paper in the daemon", () => {
  test("a maker's ask through our paper bid, withdrawn before the next look, fills the bid at the delta's time", async () => {
    const { fills, price, at } = await crossAndWithdraw(false);
    // All 100 contracts the ask showed, at our price, as maker, when the ask came.
    expect(fills.map((f) => [f.price, f.count, f.is_taker, f.created_at])).toEqual([[price, 100, 0, at]]);
  }, 180_000);

  // The two deltas in one burst leave nothing for the narrow path to decide (the top is back where
  // it was). Live, the fill on the private feed would still ask for a pass; paper's seen cross must
  // too, or it waits for the next cycle (a minute here).
  test("the same cross placed and withdrawn within one read of the feed is filled before the next cycle", async () => {
    const { fills, price, at } = await crossAndWithdraw(true);
    expect(fills.map((f) => [f.price, f.count, f.is_taker, f.created_at])).toEqual([[price, 100, 0, at]]);
  }, 180_000);
});
