// The calendar is an input like any other: the same trading run at fixed dates where the day
// matters, so a result never depends on the day the suite runs. Around a boundary the exchange's
// markets close and are relisted under the next day's tickers while the bot's own clock (pinned by
// the harness) crosses into the next trading day (risk.timezone America/New_York, or UTC midnight).
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import {
  duplicateClientIds,
  E2E_START_MS,
  exchangeAccount,
  onceArgs,
  positionsValue,
  readLedger,
  startVenue,
  writeBotConfig,
} from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const MIN = 60_000;

describe("e2e at fixed calendar dates", () => {
  for (const [name, boundaryMs, timezone] of [
    ["a Tuesday afternoon (no boundary near)", E2E_START_MS + 6 * 3600_000, "America/New_York"],
    ["New Year's Eve, midnight in New York", Date.UTC(2027, 0, 1, 5, 0, 0), "America/New_York"],
    ["the last day of November, midnight UTC", Date.UTC(2026, 11, 1, 0, 0, 0), "UTC"],
  ] as const) {
    test(`${name}: cycles across it exit 0, the ledger equals the exchange, the bot ran at that date`, async () => {
      const dir = tempDir("e2e-calendar");
      // The exchange opens 10 min before the boundary (its 15 min markets close after it), and the
      // bot's clock keeps to the exchange's as the test moves it: both cross the boundary mid-run.
      // No competing arbitrageurs: they take the scenario's mispriced sets within seconds, and this
      // test needs the bot to trade on both sides of the boundary (it checks dates, not the edge).
      const v = await startVenue(dir, { seed: 11, startMs: boundaryMs - 10 * MIN, participants: { arbitrageurs: false } });
      try {
        const cfg = writeBotConfig(dir, v, { risk: { timezone } });
        for (let i = 0; i < 10; i++) {
          v.setBotNow(v.clock.now());
          const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
          expect(r.code, r.output).toBe(0);
          v.step(2 * MIN);
        }
        // Nothing moves, kill switch on: this cycle only reconciles (see e2e-trading).
        v.setBotNow(v.clock.now());
        const last = await runBin(onceArgs(cfg, dir), { cwd: dir, env: { BOT_DISABLE_TRADING: "1" }, timeoutMs: 60_000 });
        expect(last.code, last.output).toBe(0);

        const dbPath = join(dir, "data/kalshi.sqlite");
        const l = readLedger(dbPath, false);
        const ex = exchangeAccount(v);
        expect(l.fills).toBeGreaterThan(0);
        expect(Object.fromEntries(l.positions)).toEqual(Object.fromEntries(ex.positions));
        expect(l.cashMicros).toBe(ex.cashMicros);
        expect(l.cashMicros + positionsValue(v, l.positions)).toBe(v.sim.exchange.equity(ex.account.userId));
        const known = new Set(l.orders.map((o) => o.client_order_id));
        for (const o of ex.orders) expect(known.has(o.clientOrderId)).toBe(true);
        expect(duplicateClientIds(v)).toEqual([]);

        // The bot's cycles ran on the pinned calendar, on both sides of the boundary; started_at and
        // ended_at both come from the bot's wall clock (one clock for cycle rows).
        const db = new Database(dbPath, { readonly: true });
        try {
          const c = db.query("select min(ended_at) as first, max(ended_at) as last from cycles").get() as { first: number; last: number };
          expect(c.first).toBeGreaterThanOrEqual(boundaryMs - 10 * MIN);
          expect(c.first).toBeLessThan(boundaryMs);
          expect(c.last).toBeGreaterThanOrEqual(boundaryMs);
          expect(c.last).toBeLessThan(boundaryMs + 15 * MIN);
          const st = db.query("select min(started_at) as first, max(started_at) as last from cycles").get() as {
            first: number;
            last: number;
          };
          expect(st.first).toBeGreaterThanOrEqual(boundaryMs - 11 * MIN);
          expect(st.first).toBeLessThanOrEqual(c.first);
          expect(st.last).toBeLessThan(boundaryMs + 15 * MIN);
        } finally {
          db.close();
        }
      } finally {
        await v.stop();
      }
    }, 300_000);
  }
});
