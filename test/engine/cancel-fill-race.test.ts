// An order partly filled just before the bot's cancel arrives (issue 10, item 3): the ledger's row
// and `report orders` must say what the exchange says (canceled, filled 1), not filled 0. Through
// the binary against the local exchange in this process: the exchange is wrapped so that, before
// each cancel of the bot's, a second account takes exactly one contract of that order (everything
// queued ahead of it, plus one). `--once` places market_maker quotes, then a `--once` with the kill
// switch on (BOT_DISABLE_TRADING=1) cancels them all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { Account } from "../../src/sim/accounts.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { exchangeAccount, onceArgs, startVenue, takeOneContract, writeBotConfig, type Venue } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const TAKER = "race-taker";

/** Before each cancel of `botUser`'s resting orders, TAKER fills exactly one contract of it. */
function fillOneBeforeEachCancel(v: Venue, botUser: string): { raced: Set<string> } {
  const ex = v.sim.exchange;
  const raced = new Set<string>();
  const original = ex.cancelOrder.bind(ex);
  ex.cancelOrder = (userId: string, orderId: string) => {
    const o = userId === botUser ? ex.accounts.get(botUser)?.orders.find((x) => x.id === orderId) : undefined;
    if (o && o.status === "resting" && o.remaining >= 2 * COUNT_ONE) {
      takeOneContract(ex, o, TAKER);
      if (o.filled > 0) raced.add(o.id);
    }
    return original(userId, orderId);
  };
  return { raced };
}

function ledgerOrders(dir: string): Map<string, { status: string; filled_count: number; remaining_count: number }> {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    const rows = d
      .query("select order_id, status, filled_count, remaining_count from orders where paper = 0 and order_id is not null")
      .all() as Array<{ order_id: string; status: string; filled_count: number; remaining_count: number }>;
    return new Map(rows.map((r) => [r.order_id, r]));
  } finally {
    d.close();
  }
}

describe("cancel answer sets every count", () => {
  test("orders filled 1 contract just before the bot's cancel: ledger and report orders say canceled, filled 1.00", async () => {
    const dir = tempDir("cancel-race");
    const v = await startVenue(dir, { seed: 51 });
    v.sim.exchange.addAccount(new Account(TAKER, 1_000_000_000_000, null, null, true));
    try {
      // Quotes stay resting after the first run (cancel_on_exit false) so the second one cancels them.
      const cfg = writeBotConfig(dir, v, { trading: { cancel_on_exit: false, strategies: { event_arbitrage: { enabled: false } } } });
      const first = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(first.code, first.output).toBe(0);
      const bot = exchangeAccount(v).account;
      const resting = bot.orders.filter((o) => o.status === "resting" && o.remaining >= 2 * COUNT_ONE);
      expect(resting.length).toBeGreaterThan(0);

      const { raced } = fillOneBeforeEachCancel(v, bot.userId);
      const paused = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000, env: { BOT_DISABLE_TRADING: "1" } });
      expect(paused.code, paused.output).toBe(0);
      expect(raced.size).toBeGreaterThan(0);

      const rows = ledgerOrders(dir);
      const mismatched: string[] = [];
      for (const id of raced) {
        const o = bot.orders.find((x) => x.id === id)!;
        const r = rows.get(id);
        expect(o.status).toBe("canceled");
        expect(o.filled).toBe(COUNT_ONE);
        if (!r || r.status !== o.status || r.filled_count !== o.filled || r.remaining_count !== 0)
          mismatched.push(`${id}: exchange ${o.status}/${o.filled}, ledger ${r?.status}/${r?.filled_count}`);
      }
      expect(mismatched).toEqual([]);

      const report = await runBin(["report", "orders", "--config", cfg, "--format", "json"], { cwd: dir });
      expect(report.code, report.output).toBe(0);
      const listed = JSON.parse(report.stdout) as Array<Record<string, unknown>>;
      for (const id of raced) {
        const row = listed.find((x) => x.order_id === id);
        expect(row).toBeDefined();
        expect(String(row!.filled ?? row!.filled_count)).toMatch(/^1(\.00)?$/);
      }
    } finally {
      await v.stop();
    }
  }, 180_000);
});
