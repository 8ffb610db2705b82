// The ledger holds the account's fills when the bot stops. A fill can come after the last
// reconciliation: fair_value's immediate-or-cancel take at the end of --once, or in a daemon's last
// cycle before a stop. Before, the ledger learned it only at the next start, so `status` after a run
// showed a position short of the exchange's. Through the binary against the local exchange.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { Account } from "../../src/sim/accounts.ts";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import {
  daemonArgs,
  daemonIdle,
  onceArgs,
  QUIET_TICKER,
  queryLedger,
  quietMakerOnly,
  quietMarket,
  startVenue,
  type Venue,
  writeBotConfig,
} from "./e2e-harness.ts";

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

  test("paper daemon: a cross the feed showed since the last pass fills before the exit cancels the quote", async () => {
    const dir = tempDir("exit-fills-paper-");
    const v = await startVenue(dir, { seed: 1, scenario: quietMarket("exit-fills-paper") });
    const db = join(dir, "data/kalshi.sqlite");
    // On a stepped clock the daemon holds what the feed brings until told (SIGUSR2): no pass fills it.
    const cfg = writeBotConfig(dir, v, {
      exchange: { clock: "stepped" },
      trading: { dry_run: true, cycle_interval_seconds: 86_400, strategies: quietMakerOnly({ stop_before_close_minutes: 0 }) },
    });
    const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
    const IDLE = /idle: after cycle (\d+), (\d+) frames received, (\d+) requests sent/g;
    const idle = (what: string) =>
      until(
        what,
        () => {
          const m = [...bot.output().matchAll(IDLE)].at(-1);
          const t = v.sim.traffic();
          return m && Number(m[1]) >= 1 && Number(m[2]) === t.framesSent && Number(m[3]) === t.requestsReceived ? m : null;
        },
        30_000,
      );
    const paperFills = () => queryLedger<{ price: number; count: number }>(db, "select price, count from fills where paper = 1");
    let bid = 0;
    try {
      await until("the live books", () => /live books: WebSocket/.test(bot.output()) || null, 30_000);
      await idle("idle after the first cycle, its books in");
      bid = queryLedger<{ price: number }>(db, "select price from orders where paper = 1 and status = 'resting' and side = 'bid'")[0]!
        .price;
      // The market maker quotes inside the 0.40/0.50 book: no one else bids at its price.
      expect(bid).toBeGreaterThan(4000);
      // A maker's ask through the paper bid, withdrawn at once: live, it would have traded with the bid.
      v.sim.exchange.addAccount(new Account("crosser", 1_000_000_000));
      const o = v.sim.exchange.placeOrder("crosser", {
        ticker: QUIET_TICKER,
        side: "ask",
        price: bid,
        count: 100,
        tif: "good_till_canceled",
        stp: "taker_at_cross",
      });
      v.sim.exchange.cancelOrder("crosser", o.order.id);
      await idle("idle with both deltas in");
      expect(paperFills()).toEqual([]);
    } finally {
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    }
    expect(paperFills()).toEqual([{ price: bid, count: 100 }]);
    expect(bot.output()).toContain("1 paper fill(s) seen on the feed since the last pass recorded before the exit");
    await v.stop();
  }, 120_000);

  test("daemon that sent nothing: a fill of an earlier run's quote, then the exit's cancel of its rest, is in the ledger", async () => {
    const dir = tempDir("exit-fills-earlier-");
    const v = await startVenue(dir, { seed: 1, scenario: quietMarket("exit-fills-earlier") });
    const db = join(dir, "data/kalshi.sqlite");
    // Run 1 quotes and leaves its quotes resting (no cancel at exit, no expiry).
    const quoting = writeBotConfig(dir, v, {
      trading: { cancel_on_exit: false, order_ttl_seconds: 0, strategies: quietMakerOnly({ stop_before_close_minutes: 0 }) },
    });
    expect((await runBin(onceArgs(quoting, dir), { cwd: dir, timeoutMs: 60_000 })).code).toBe(0);
    const bid = queryLedger<{ price: number; count: number }>(
      db,
      "select price, count from orders where paper = 0 and status = 'resting' and side = 'bid'",
    )[0]!;
    expect(bid.count).toBeGreaterThan(COUNT_ONE);
    // Run 2 trades nothing (every strategy off) on a stepped clock: no pass reads what the feed brings.
    const idleCfg = writeBotConfig(dir, v, {
      exchange: { clock: "stepped" },
      trading: {
        cycle_interval_seconds: 86_400,
        strategies: { event_arbitrage: { enabled: false }, fair_value: { enabled: false }, market_maker: { enabled: false } },
      },
    });
    const before = v.sim.traffic();
    const bot = startBin([...daemonArgs(idleCfg, dir), "--verbose"], { cwd: dir });
    try {
      await daemonIdle(bot, v, 1, 0, 30_000, before);
      // Another trader sells one contract into the earlier run's bid.
      v.sim.exchange.addAccount(new Account("seller", 1_000_000_000));
      v.sim.exchange.placeOrder("seller", {
        ticker: QUIET_TICKER,
        side: "ask",
        price: bid.price,
        count: COUNT_ONE,
        tif: "immediate_or_cancel",
        stp: "taker_at_cross",
      });
      expect(onVenue(v)).toBe(1);
      await daemonIdle(bot, v, 1, 0, 30_000, before);
    } finally {
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    }
    expect(held(dir, v)).toEqual({ ledger: 1, exchange: 1 });
    expect(bot.output()).toContain("stopped: 1 fill(s) since the last read recorded");
    await v.stop();
  }, 120_000);
});
