// Paper trading in daemon mode fills a resting paper quote from a public print through its price
// before it decides again, as live learns of its fill from the private feed before it decides (and
// leaves that market to the pass). A sale through our bid also moves the book; before, the narrow
// path or a pass answered that move first (amending or cancelling the bid, its print stamp moved
// past the sale) and the prints were looked at only at the next cycle, which found the bid at its
// new price or gone: the fill was lost (issue 13, seeds 1 and 3 of the daemon parity bench).
// Through the binary as a daemon with its WebSocket books (now with the trade channel) on a stepped
// venue, against the local exchange; the fill carries the print's exchange time.
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
const scenario = quietMarket("print-fill");

describe("paper in the daemon", () => {
  test("a sale through our paper bid fills it at the print's time, before the move it caused is answered", async () => {
    const dir = tempDir("paper-print-fill-");
    const v = await startVenue(dir, { seed: 1, scenario });
    try {
      const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
      // A stepped venue (the parity bench's): the moves are held until SIGUSR2, when every frame of
      // the sale is in; no second cycle, so only the daemon's answer to the move can see the print.
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
      // The market maker quotes inside the 0.40/0.50 book: a print at 0.40 is through its bid.
      expect(bid!.price).toBeGreaterThan(4000);
      const ex = v.sim.exchange;
      ex.addAccount(new Account("seller", 1_000_000_000));
      const at = v.clock.now();
      // The whole 0.40 bid sold: a print through our bid, and the top of book moves.
      ex.placeOrder("seller", {
        ticker: TICKER,
        side: "ask",
        price: 4000,
        count: 20 * COUNT_ONE,
        tif: "immediate_or_cancel",
        stp: "taker_at_cross",
      });
      await idle(0);
      bot.proc.kill("SIGUSR2");
      const answered = await idle(1);
      expect(bot.output().slice(0, answered)).toMatch(/reactive pass: |narrow requote /);
      const fills = queryLedger<{ order_row: number; price: number; count: number; is_taker: number; created_at: number }>(
        db,
        "select o.id as order_row, f.price, f.count, f.is_taker, f.created_at from fills f join orders o on o.order_id = f.order_id where f.paper = 1",
      );
      // Our bid, whole (the print was 20 contracts), at its price, as maker, when the sale printed.
      expect(fills.map((f) => [f.order_row, f.price, f.count, f.is_taker, f.created_at])).toEqual([
        [bid!.id, bid!.price, bid!.remaining_count, 0, at],
      ]);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 180_000);
});
