// Paper trading in daemon mode counts the queue ahead of a resting paper quote down as the book
// deltas show it, not only at a look: a maker ahead of our bid that cancels and bids the same price
// again within one look rejoins behind us (price-time priority), and a sale at our price then
// reaches us live. Before, paper capped its queue only at the next look at the book, which showed
// the level as full as before, and the sale filled the maker, not us (issue 13, seed 3 of the daemon
// parity bench: live's bid at 0.20 filled first of a 90-contract sale, paper's not). Through the
// binary as a daemon with its WebSocket books on a stepped venue, against the local exchange.
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

describe("paper in the daemon", () => {
  test("a maker ahead of our paper bid that cancels and bids again is behind us: a sale at our price fills us", async () => {
    const dir = tempDir("paper-queue-delta-");
    const v = await startVenue(dir, { seed: 1, scenario });
    const ex = v.sim.exchange;
    ex.addAccount(new Account("maker", 1_000_000_000));
    ex.addAccount(new Account("seller", 1_000_000_000));
    // Bids at every price up to one tick under the ask: wherever the market maker bids, someone is ahead.
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
    try {
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
      // Within one step: the maker withdraws its better bids, cancels ours' level and bids the
      // same again (now behind us), and a seller sells 10 at our price: live, our 2 first, then 8
      // of the maker's.
      for (const [p, id] of ahead) if (p > bid!.price) ex.cancelOrder("maker", id);
      ex.cancelOrder("maker", ahead.get(bid!.price)!);
      makerBid(bid!.price);
      const at = v.clock.now();
      ex.placeOrder("seller", {
        ticker: TICKER,
        side: "ask",
        price: bid!.price,
        count: 10 * COUNT_ONE,
        tif: "immediate_or_cancel",
        stp: "taker_at_cross",
      });
      await idle(0);
      bot.proc.kill("SIGUSR2");
      await idle(1);
      const fills = queryLedger<{ order_row: number; price: number; count: number; is_taker: number; created_at: number }>(
        db,
        "select o.id as order_row, f.price, f.count, f.is_taker, f.created_at from fills f join orders o on o.order_id = f.order_id where f.paper = 1",
      );
      expect(fills.map((f) => [f.order_row, f.price, f.count, f.is_taker, f.created_at])).toEqual([
        [bid!.id, bid!.price, bid!.remaining_count, 0, at],
      ]);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 180_000);
});
