// Paper trading in daemon mode counts the queue ahead of a resting paper quote down as the book
// deltas show it, not only at a look: a maker ahead of our bid that cancels and bids the same price
// again within one look rejoins behind us (price-time priority), and a sale at our price then
// reaches us live. Before, paper capped its queue only at the next look at the book, which showed
// the level as full as before, and the sale filled the maker, not us (issue 13, seed 3 of the daemon
// parity bench: live's bid at 0.20 filled first of a 90-contract sale, paper's not). Through the
// binary as a daemon with its WebSocket books on a stepped venue, against the local exchange.
// And a sale that takes part of the level ahead counts the queue down once, whichever of its print
// and its book delta comes first (Kalshi sends them on separate channels, in no promised order).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Account } from "../../src/sim/accounts.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import { daemonArgs, queryLedger, QUIET_TICKER, quietMakerOnly, quietMarket, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const TICKER = QUIET_TICKER;
const scenario = quietMarket("queue-delta");

/**
 * The market maker's paper bid resting on a stepped venue where a maker bid 10 at every price up to
 * one tick under the ask first (wherever our bid is, 10 are ahead of it), one second on.
 */
async function quotingBehindMakers(printsAfterBookMoves: boolean) {
  const dir = tempDir("paper-queue-delta-");
  const v = await startVenue(dir, { seed: 1, scenario });
  const ex = v.sim.exchange;
  ex.printsAfterBookMoves = printsAfterBookMoves;
  ex.addAccount(new Account("maker", 1_000_000_000));
  ex.addAccount(new Account("seller", 1_000_000_000));
  const makerBid = (price: number) =>
    ex.placeOrder("maker", {
      ticker: TICKER,
      side: "bid",
      price,
      count: 10 * COUNT_ONE,
      tif: "good_till_canceled",
      stp: "taker_at_cross",
    }).order;
  const ahead = new Map<number, string>();
  for (let p = 4100; p <= 4900; p += 100) ahead.set(p, makerBid(p).id);
  const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
  const cfg = writeBotConfig(dir, v, {
    exchange: { clock: "stepped" },
    trading: { dry_run: true, cycle_interval_seconds: 86_400, strategies },
  });
  const db = join(dir, "data/kalshi.sqlite");
  const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
  const RELEASED = /idle: after cycle (\d+), (\d+) frames received, (\d+) requests sent, (\d+) releases/g;
  const idle = (releases: number) =>
    until(
      `idle after ${releases} releases, matching the exchange's traffic`,
      () => {
        const m = [...bot.output().matchAll(RELEASED)].at(-1);
        const t = v.sim.traffic();
        return m && Number(m[4]) === releases && Number(m[2]) === t.framesSent && t.requestsReceived === t.requestsAnswered
          ? bot.output().length
          : null;
      },
      30_000,
    );
  await idle(0);
  const [bid] = queryLedger<{ id: number; price: number; remaining_count: number }>(
    db,
    "select id, price, remaining_count from orders where paper = 1 and status = 'resting' and side = 'bid'",
  );
  // The maker's 10 contracts were there first at our bid's price: paper counts them ahead of it.
  expect(ahead.has(bid!.price)).toBe(true);
  // A second on (a print at the time our bid was stamped with could not reach it).
  bot.proc.kill("SIGSTOP");
  v.step(1_000);
  bot.proc.kill("SIGCONT");
  await idle(0);
  const sell = (count: number) =>
    ex.placeOrder("seller", { ticker: TICKER, side: "ask", price: bid!.price, count, tif: "immediate_or_cancel", stp: "taker_at_cross" });
  /** The step's moves answered (SIGUSR2), then the paper fills. */
  const release = async () => {
    await idle(0);
    bot.proc.kill("SIGUSR2");
    await idle(1);
    return queryLedger<{ order_row: number; price: number; count: number; is_taker: number; created_at: number }>(
      db,
      "select o.id as order_row, f.price, f.count, f.is_taker, f.created_at from fills f join orders o on o.order_id = f.order_id where f.paper = 1",
    );
  };
  return { v, ex, bot, db, bid: bid!, ahead, makerBid, sell, release };
}

describe("paper in the daemon", () => {
  test("a maker ahead of our paper bid that cancels and bids again is behind us: a sale at our price fills us", async () => {
    const { v, ex, bot, bid, ahead, makerBid, sell, release } = await quotingBehindMakers(false);
    try {
      // Within one step: the maker withdraws its better bids, cancels ours' level and bids the
      // same again (now behind us), and a seller sells 10 at our price: live, our 2 first, then 8
      // of the maker's.
      for (const [p, id] of ahead) if (p > bid.price) ex.cancelOrder("maker", id);
      ex.cancelOrder("maker", ahead.get(bid.price)!);
      makerBid(bid.price);
      const at = v.clock.now();
      sell(10 * COUNT_ONE);
      const fills = await release();
      expect(fills.map((f) => [f.order_row, f.price, f.count, f.is_taker, f.created_at])).toEqual([
        [bid.id, bid.price, bid.remaining_count, 0, at],
      ]);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 180_000);

  // A sale through the better bids and 6 of the 10 ahead of ours: live, none reach our bid and 4
  // stay ahead of it. Counting the 6 off twice (once as the level's shrink, once as the print)
  // would leave none ahead and fill 2 of ours from this very print.
  for (const printsAfter of [false, true]) {
    test(`a sale that takes part of the level ahead counts the queue down once (${printsAfter ? "prints after the book moves" : "each print after its delta"})`, async () => {
      const { v, bot, db, bid, ahead, sell, release } = await quotingBehindMakers(printsAfter);
      try {
        const better = [...ahead.keys()].filter((p) => p > bid.price).length;
        sell((better * 10 + 6) * COUNT_ONE);
        expect(await release()).toEqual([]);
        // Paper's count of those still ahead (the quote itself may since be withdrawn: the better
        // bids went, and the market maker answers the move).
        const [queue] = queryLedger<{ value: string }>(
          db,
          `select m.value from meta m join orders o on m.key = 'paper.paper_queue:' || o.order_id where o.id = ${bid.id}`,
        );
        expect(Number(queue!.value)).toBe(4 * COUNT_ONE);
        expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
      } finally {
        await v.stop();
      }
    }, 180_000);
  }
});
