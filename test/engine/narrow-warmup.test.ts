// The narrow requote path's idle warm-up (issue 14 goal 2: Engine.warmNarrowPath, narrow-warmup.ts)
// runs market_maker's decision, the risk gate and the order body encoding on the markets it quotes,
// thousands of times, while nothing moves. It must never send a request nor write the ledger.
// Through the binary against the local exchange on 127.0.0.1 (manual clock: the books hold still,
// so nothing else between cycles has a reason to send), real SQLite ledger, cycles 60 s apart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, startVenue, writeBotConfig, type Venue } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

/** Every write request of the bot's account as the exchange takes it. */
function countWrites(v: Venue): { n: number } {
  const ex = v.sim.exchange;
  const bot = ex.accountsByKey.get(v.keyId)!.userId;
  const c = { n: 0 };
  const place = ex.placeOrder.bind(ex);
  ex.placeOrder = (u, r) => {
    if (u === bot) c.n++;
    return place(u, r);
  };
  const amend = ex.amendOrder.bind(ex);
  ex.amendOrder = (u, id, p, n, cid) => {
    if (u === bot) c.n++;
    return amend(u, id, p, n, cid);
  };
  const cancel = ex.cancelOrder.bind(ex);
  ex.cancelOrder = (u, id) => {
    if (u === bot) c.n++;
    return cancel(u, id);
  };
  const decrease = ex.decreaseOrder.bind(ex);
  ex.decreaseOrder = (u, id, by) => {
    if (u === bot) c.n++;
    return decrease(u, id, by);
  };
  return c;
}

/** Every table of the ledger with its row count and largest rowid (a row written and deleted still moves the rowid). */
function ledgerRows(dir: string): Record<string, string> {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    const tables = d.query("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as Array<{
      name: string;
    }>;
    const out: Record<string, string> = {};
    for (const { name } of tables) {
      try {
        const r = d.query(`select count(*) as n, max(rowid) as m from "${name}"`).get() as { n: number; m: number | null };
        out[name] = `${r.n}/${r.m}`;
      } catch {
        // WITHOUT ROWID tables: the count alone.
        out[name] = String((d.query(`select count(*) as n from "${name}"`).get() as { n: number }).n);
      }
    }
    return out;
  } finally {
    d.close();
  }
}

describe("narrow path warm-up (daemon, through the binary)", () => {
  test("runs thousands of rounds on the quoted markets and sends no request, writes no ledger row", async () => {
    const dir = tempDir("narrow-warmup");
    const v = await startVenue(dir, { seed: 51, markets: 40 });
    const writes = countWrites(v);
    const cfg = writeBotConfig(dir, v, {
      trading: { cycle_interval_seconds: 60, strategies: { market_maker: { stop_before_close_minutes: 0, max_markets: 8 } } },
    });
    const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
    try {
      await bot.waitFor(/cycle 1 \(trade, LIVE\)/, 30_000);
      // The start-up rounds done: every quote of the first cycle rests, the books hold still.
      const started = await bot.waitFor(/narrow path warm-up: 2000 rounds after start-up/, 60_000);
      expect(started).toMatch(/market_maker: \d+ new/);
      const w0 = writes.n;
      const rows0 = ledgerRows(dir);
      expect(w0).toBeGreaterThan(0);
      // The quiet-market rounds (a batch a second while the path has not sent) for a few seconds.
      await Bun.sleep(3_500);
      expect(writes.n).toBe(w0);
      expect(ledgerRows(dir)).toEqual(rows0);
      bot.proc.kill("SIGTERM");
      const out = await bot.waitFor(/narrow path warm-up: \d+ rounds, [\d.]+ ms CPU since start/, 30_000);
      const rounds = Number(/narrow path warm-up: (\d+) rounds, [\d.]+ ms CPU since start/.exec(out)![1]);
      // The quiet-market batches ran in that window (one a second after the start-up rounds).
      expect(rounds).toBeGreaterThanOrEqual(2_020);
      // No narrow requote or reactive pass sent anything meanwhile (the book never moved).
      expect(out).not.toMatch(/narrow requote \S+: .*frame→fetch/);
    } finally {
      bot.proc.kill("SIGKILL");
      await v.stop();
    }
  }, 150_000);
});
