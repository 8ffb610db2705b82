// Paper trading in the daemon: a WebSocket book that becomes unknown (a seq gap) forgets paper's
// last look at the market, as the recorded backtest does. A cross that a later look finds may have
// come while the deltas were not read; it is stamped at that look, never in the middle of a span
// that held the unknown stretch (where, with the look kept, it could even be stamped before the
// order that crossed ours existed). Through the binary, as a daemon then `--once`, against the
// local exchange with a seq gap injected on one frame.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Account } from "../../src/sim/accounts.ts";
import { parseFaults } from "../../src/sim/faults.ts";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import { daemonArgs, onceArgs, queryLedger, QUIET_TICKER, quietMakerOnly, quietMarket, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const TICKER = QUIET_TICKER;
const scenario = quietMarket("paper-gap-look");

const IDLE = /idle: after cycle (\d+), (\d+) frames received, (\d+) requests sent/g;

describe("paper in the daemon, a seq gap", () => {
  test("forgets the last look: a cross the next look finds is not stamped before the order that crossed ours", async () => {
    const dir = tempDir("paper-gap-look-");
    // A fault spec the test turns on for one frame (the hub keeps it only when a rate is set at the start).
    const faults = parseFaults("ws_skip_seq=0.000000001");
    const v = await startVenue(dir, { seed: 1, scenario, faults });
    faults.wsSkipSeq = 0;
    try {
      const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
      // A day between cycles: nothing but the book's frames moves the daemon. Quotes rest at the exit.
      const cfg = writeBotConfig(dir, v, {
        trading: { dry_run: true, cycle_interval_seconds: 86_400, cancel_on_exit: false, order_ttl_seconds: 86_400, strategies },
      });
      const db = join(dir, "data/kalshi.sqlite");
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      // Idle (the daemon's idle line) with every frame the exchange sent received.
      const idle = () =>
        until(
          "the daemon idle after every frame sent",
          () => {
            const m = [...bot.output().matchAll(IDLE)].at(-1);
            return m && Number(m[2]) === v.sim.traffic().framesSent ? m : null;
          },
          30_000,
        );
      await idle();
      const bid = queryLedger<{ price: number }>(
        db,
        "select price from orders where paper = 1 and status = 'resting' and side = 'bid'",
      )[0]!;
      expect(bid.price).toBeGreaterThan(4000);
      const seen = () => queryLedger<{ key: string }>(db, `select key from meta where key like '%paper_book_seen:${TICKER}'`).length;
      expect(seen()).toBe(1);
      // An ask behind the top (the top does not move: no pass, no look), on a frame whose seq skips one.
      const ex = v.sim.exchange;
      ex.addAccount(new Account("other", 1_000_000_000));
      faults.wsSkipSeq = 1;
      ex.placeOrder("other", { ticker: TICKER, side: "ask", price: 6000, count: 100, tif: "good_till_canceled", stp: "taker_at_cross" });
      faults.wsSkipSeq = 0;
      await bot.waitFor(/seq gap/, 15_000);
      await idle();
      expect(seen()).toBe(0);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
      // Ten minutes on, a maker's ask at our bid's price rests through it (the venue never saw ours).
      v.step(600_000);
      const crossAt = v.clock.now();
      ex.placeOrder("other", {
        ticker: TICKER,
        side: "ask",
        price: bid.price,
        count: 100,
        tif: "good_till_canceled",
        stp: "taker_at_cross",
      });
      const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r.code).toBe(0);
      const fills = queryLedger<{ price: number; created_at: number }>(db, "select price, created_at from fills where paper = 1");
      expect(fills.map((f) => f.price)).toEqual([bid.price]);
      // Stamped at the look that found it, not halfway between the daemon's last look and that look.
      expect(fills[0]!.created_at).toBeGreaterThanOrEqual(crossAt);
    } finally {
      await v.stop();
    }
  }, 120_000);
});
