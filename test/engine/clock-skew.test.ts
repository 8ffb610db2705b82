// A wrong or stepped wall clock never loses a fill and never freezes the daemon (issue 10, items 1
// and 2). The binary runs under a shifted clock (the hidden test hook KALSHI_BOT_TEST_WALL_OFFSET_FILE,
// src/ops/clock.ts: its Date.now() and `new Date()` run the file's milliseconds ahead, re-read while
// it runs), against a local exchange on the true clock in this process, where every resting order
// the bot places is hit for one contract as it lands (fills from its first seconds). For each clock:
//   - every fill the exchange lists for the account is in the ledger, and positions agree;
//   - no cycle fails with "positions disagree";
//   - after a step (back or forward) cycles go on within an interval, the step is logged, and the
//     heartbeat is fresh: `watchdog` (on the same shifted clock) says healthy, next_cycle_at is
//     within an interval of the bot's now (not the size of the step ahead).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin, tempDir, type Running } from "../helpers/bin.ts";
import {
  daemonArgs,
  exchangeAccount,
  onceArgs,
  startRealTimeVenue,
  takeOneContract,
  writeBotConfig,
  type RealTimeVenue,
} from "./e2e-harness.ts";
import { Account } from "../../src/sim/accounts.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { until as untilWith } from "../helpers/until.ts";

// The heartbeat and the ledger may not be written yet when the first looks come.
const until = <T>(what: string, f: () => T | null | undefined | false, ms: number) => untilWith(what, f, ms, { tolerateErrors: true });

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const INTERVAL_S = 2;

function ledgerFillIds(dir: string): Set<string> {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return new Set((d.query("select fill_id from fills where paper = 0").all() as Array<{ fill_id: string }>).map((r) => r.fill_id));
  } finally {
    d.close();
  }
}

function ledgerPositions(dir: string): Record<string, number> {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return Object.fromEntries(
      (
        d.query("select ticker, position from positions where paper = 0 and position != 0").all() as Array<{
          ticker: string;
          position: number;
        }>
      ).map((r) => [r.ticker, r.position]),
    );
  } finally {
    d.close();
  }
}

function cyclesDone(dir: string): number {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return (d.query("select count(*) as n from cycles where ended_at is not null and status != 'error'").get() as { n: number }).n;
  } finally {
    d.close();
  }
}

interface Run {
  dir: string;
  v: RealTimeVenue;
  bot: Running;
  offsetFile: string;
  env: Record<string, string>;
  setOffset(ms: number): void;
}

const TAKER = "clock-taker";

/**
 * Every resting order the bot places is hit for one contract the moment it lands: fills from the
 * bot's very first seconds, which a cursor taken from a fast clock skipped.
 */
function hitEveryNewOrder(v: RealTimeVenue): void {
  const ex = v.sim.exchange;
  ex.addAccount(new Account(TAKER, 1_000_000_000_000, null, null, true));
  const bot = exchangeAccount(v).account.userId;
  const original = ex.placeOrder.bind(ex);
  ex.placeOrder = (userId, req) => {
    const r = original(userId, req);
    if (userId === bot && r.order.status === "resting" && r.order.remaining >= 2 * COUNT_ONE) takeOneContract(ex, r.order, TAKER);
    return r;
  };
}

async function startUnderClock(offsetMs: number, seed: number): Promise<Run> {
  const dir = tempDir("clock-skew");
  const v = await startRealTimeVenue(dir, { seed });
  hitEveryNewOrder(v);
  const offsetFile = join(dir, "wall-offset-ms");
  const setOffset = (ms: number) => writeFileSync(offsetFile, String(v.baseOffsetMs + ms));
  setOffset(offsetMs);
  const cfg = writeBotConfig(dir, v, { trading: { cycle_interval_seconds: INTERVAL_S, reconcile_every_cycles: 1 } });
  const env = { KALSHI_BOT_TEST_WALL_OFFSET_FILE: offsetFile };
  const bot = startBin(daemonArgs(cfg, dir), { cwd: dir, env });
  return { dir, v, bot, offsetFile, env, setOffset };
}

/** Every fill the exchange lists for the bot is in the ledger, positions agree, no cycle saw disagreement. */
function expectNoFillLost(r: Run): void {
  const ex = exchangeAccount(r.v);
  const exchangeFills = ex.account.fills.map((f) => f.fillId);
  const ledger = ledgerFillIds(r.dir);
  expect(exchangeFills.length).toBeGreaterThan(0);
  expect(exchangeFills.filter((id) => !ledger.has(id))).toEqual([]);
  expect(ledgerPositions(r.dir)).toEqual(Object.fromEntries(ex.positions));
  expect(r.bot.output()).not.toMatch(/positions disagree/);
}

/** Wait for the bot's first fills on the exchange (its crossing orders and quotes being hit). */
async function someFills(r: Run): Promise<void> {
  await until("fills on the exchange", () => exchangeAccount(r.v).account.fills.length > 0, 40_000);
}

/**
 * Stop the daemon, then one quiet `--once` (nothing in scope, same shifted clock) reconciles what
 * landed meanwhile: after that every fill the exchange lists must be in the ledger. A fill behind
 * the cursor is never read again, so the previous build still missed it here.
 */
async function stopAndReconcile(r: Run): Promise<void> {
  expect(await r.bot.stop("SIGTERM", 20_000)).toBe(0);
  const quiet = writeBotConfig(r.dir, r.v, { trading: { series_tickers: ["NONE-IN-SCOPE"] } }, "quiet.json");
  const q = await runBin(onceArgs(quiet, r.dir), { cwd: r.dir, env: r.env, timeoutMs: 60_000 });
  expect(q.code, q.output).toBe(0);
}

async function heartbeatFresh(r: Run): Promise<void> {
  const hb = JSON.parse(readFileSync(join(r.dir, "reports/heartbeat.json"), "utf8")) as {
    status: string;
    next_cycle_at: string | null;
    updated_at: string;
  };
  const wd = await runBin(["watchdog", "--config", join(r.dir, "bot.json")], { cwd: r.dir, env: r.env });
  expect(wd.code, wd.output).toBe(0);
  // next_cycle_at is the bot's (shifted) wall time of the next cycle: within an interval of its now.
  const botNow = Date.now() + Number(readFileSync(r.offsetFile, "utf8"));
  if (hb.next_cycle_at) expect(Date.parse(hb.next_cycle_at) - botNow).toBeLessThan(INTERVAL_S * 1000 + 5_000);
}

describe("a wrong wall clock never loses a fill (fill cursor in exchange time)", () => {
  for (const [name, offset, seed] of [
    ["5 s fast", 5_000, 62],
    ["30 s fast", 30_000, 62],
    ["10 s slow", -10_000, 63],
  ] as const) {
    test(`clock ${name} from the first start: every fill in the ledger, no reconciliation failure`, async () => {
      const r = await startUnderClock(offset, seed);
      try {
        await r.bot.waitFor(/cycle 1 \(trade, LIVE\)/, 30_000);
        await until("4 cycles", () => cyclesDone(r.dir) >= 4, 40_000);
        await someFills(r);
        await stopAndReconcile(r);
        expectNoFillLost(r);
      } finally {
        await r.bot.stop("SIGKILL").catch(() => {});
        await r.v.stop();
      }
    }, 120_000);
  }
});

describe("a wall clock stepped during a run: scheduling is monotonic", () => {
  test("stepped back 50 s, forward 50 s, forward 1 h and back: cycles go on within an interval, the step is logged, heartbeat fresh, no fill lost", async () => {
    const r = await startUnderClock(40_000, 64);
    try {
      await r.bot.waitFor(/cycle 1 \(trade, LIVE\)/, 30_000);
      await until("3 cycles", () => cyclesDone(r.dir) >= 3, 30_000);

      for (const [to, dir] of [
        [-10_000, "back"],
        [40_000, "forward"],
      ] as const) {
        const before = cyclesDone(r.dir);
        r.setOffset(to);
        // The step is 50 s; a loop sleeping on the wall clock would wait that long (back) or fire at
        // once and then (forward) keep next_cycle_at 50 s off. Two more cycles within a few intervals:
        await until(`2 cycles after the step ${dir}`, () => cyclesDone(r.dir) >= before + 2, 3 * INTERVAL_S * 1000 + 6_000);
        await r.bot.waitFor(new RegExp(`system clock stepped ${dir} by 50\\.\\d s`), 10_000);
        await heartbeatFresh(r);
      }

      // An hour ahead: the exchange refuses the signatures (its window is a minute), cycles fail and
      // the heartbeat says degraded; stepped back, the bot trades again within an interval or two,
      // and next_cycle_at is not left an hour ahead.
      r.setOffset(3_640_000);
      await r.bot.waitFor(/system clock stepped forward by 3600\.\d s/, 15_000);
      await until(
        "degraded while the exchange refuses the clock",
        () => JSON.parse(readFileSync(join(r.dir, "reports/heartbeat.json"), "utf8")).status === "degraded",
        20_000,
      );
      const before = cyclesDone(r.dir);
      r.setOffset(40_000);
      await until("2 cycles after the step back from +1 h", () => cyclesDone(r.dir) >= before + 2, 3 * INTERVAL_S * 1000 + 6_000);
      await r.bot.waitFor(/system clock stepped back by 3600\.\d s/, 10_000);
      await heartbeatFresh(r);
      await someFills(r);
      await stopAndReconcile(r);
      expectNoFillLost(r);
    } finally {
      await r.bot.stop("SIGKILL").catch(() => {});
      await r.v.stop();
    }
  }, 150_000);
});
