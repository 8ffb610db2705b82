// The cash check through the binary: the daemon trading live on the local exchange (seed 61, the
// run where a $12.34 deposit was recorded as $6.58 and the rest surfaced later as "drift" with no
// deposit). What resting orders hold is the exchange's to decide, so a deposit read while quotes rest
// is only known to within their collateral: the amount must be measured with none resting, once,
// exactly, and the ledger's cash must equal the exchange's to the micro-dollar afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import { Account } from "../../src/sim/accounts.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import {
  daemonArgs,
  exchangeAccount,
  onceArgs,
  queryLedger,
  readLedger,
  startVenue,
  takeOneContract,
  writeBotConfig,
} from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const adjustments = (db: string) =>
  queryLedger<{ message: string; data: string }>(db, "select message, data from audit_log where kind = 'cash_adjust' order by id").map(
    (r) => ({
      message: r.message,
      deltaMicros: (JSON.parse(r.data) as { deltaMicros: number }).deltaMicros,
    }),
  );
const TAKER = "test-taker";
const count = (db: string, sql: string) => queryLedger<{ n: number }>(db, sql)[0]!.n;

describe("cash check in the live daemon", () => {
  test("a deposit while quotes rest is recorded once, exactly; trading and renewals leave no adjustment; ledger cash = exchange cash", async () => {
    const dir = tempDir("cash-drift");
    const v = await startVenue(dir, { seed: 61 });
    let stopDrive = v.drive(100, 2_000);
    const db = join(dir, "data/kalshi.sqlite");
    try {
      const cfg = writeBotConfig(dir, v);
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      const acct = exchangeAccount(v).account;
      const restingOnExchange = () => [...acct.resting.values()].reduce((n, s) => n + s.size, 0);
      // Trading: fills recorded and quotes renewed (cancelled past half their TTL, quoted again).
      await until(
        "fills and a renewal",
        () => {
          try {
            return (
              count(db, "select count(*) as n from fills where paper = 0") > 0 &&
              count(db, "select count(*) as n from order_events where detail like 'canceled: renewal:%'") > 0
            );
          } catch {
            return false;
          }
        },
        120_000,
      );
      expect(adjustments(db)).toEqual([]);

      // The market stands still with the bot's quotes resting and holding collateral, then $12.34 arrives.
      await until("quotes resting", () => restingOnExchange() > 0 && acct.reserved > 0, 60_000);
      stopDrive();
      await until("quotes resting after the last step", () => restingOnExchange() > 0 && acct.reserved > 0, 30_000);
      expect(acct.reserved).toBeGreaterThan(0);
      acct.cash += 12_340_000;
      await until("the deposit recorded", () => adjustments(db).length > 0, 60_000);
      expect(adjustments(db)).toEqual([
        {
          message: "cash drift $12.34 (ledger below the exchange, seen twice): deposit, withdrawal or a missed fill",
          deltaMicros: 12_340_000,
        },
      ]);
      // Logged right after the row is written; the pipe may deliver it a moment after the row shows.
      await until("the deposit logged", () => bot.output().includes("cash differs from the exchange by $12.34"), 10_000);
      // Measured with the quotes taken off the book (they held part of the difference).
      expect(count(db, "select count(*) as n from order_events where detail like 'canceled: cash check%'")).toBeGreaterThan(0);

      // Quoting resumes and the market trades again: no further adjustment. The scenario's takers
      // come when its random flow brings them (on some runs not for a minute and more of wall time,
      // the bot quoting all along); past 5 s without, a taker of the test's own takes one contract
      // of a resting quote every half second, so the check always meets fills.
      stopDrive = v.drive(100, 2_000);
      const fillsBefore = count(db, "select count(*) as n from fills where paper = 0");
      const ex = v.sim.exchange;
      ex.addAccount(new Account(TAKER, 1_000_000_000_000, null, null, true));
      const organicUntil = performance.now() + 5_000;
      let lastTake = 0;
      await until(
        "quotes back and more fills",
        () => {
          const fills = count(db, "select count(*) as n from fills where paper = 0");
          if (restingOnExchange() > 0 && fills > fillsBefore + 3) return true;
          const o = [...acct.resting.values()].flatMap((set) => [...set]).find((q) => q.remaining >= COUNT_ONE);
          if (o && performance.now() > organicUntil && performance.now() - lastTake > 500) {
            takeOneContract(ex, o, TAKER);
            lastTake = performance.now();
          }
          return false;
        },
        120_000,
      );
      stopDrive();
      expect(await bot.stop()).toBe(0);

      // A last reconciliation of what landed while the daemon stopped (its exit cancelled its quotes).
      const quiet = writeBotConfig(dir, v, { trading: { series_tickers: ["NONE-IN-SCOPE"] } }, "quiet.json");
      const last = await runBin(onceArgs(quiet, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(last.code, last.output).toBe(0);
      expect(restingOnExchange()).toBe(0);
      expect(readLedger(db, false).cashMicros).toBe(acct.cash);
      expect(adjustments(db).length).toBe(1);
      const st = await runBin(["status", "--config", cfg], { cwd: dir });
      expect(st.stdout).not.toContain("Cash check: the exchange's balance differs");
    } finally {
      stopDrive();
      await v.stop();
    }
  }, 300_000);
});
