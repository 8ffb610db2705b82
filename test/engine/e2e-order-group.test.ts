// The bot's order group, triggered by the exchange (its contracts limit matched inside the rolling
// window): the exchange cancels the group's orders and rejects new ones until the group is reset.
// Found by the dry-run vs live comparison: without a reset the live bot never traded again while the
// paper bot went on. Through the binary, `--once` runs against the local exchange:
//   - a trigger the bot did not cause itself is detected at the next start, audited, and trading
//     pauses (no orders) for the cool-down;
//   - after the cool-down the group is reset (audited) and trading resumes;
//   - a set that would not fit whole into what is left of the burst window is not sent at all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { auditKinds, exchangeAccount, onceArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

function meta(dbPath: string, key: string): string | null {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.query("select value from meta where key = ?").get(key) as { value: string } | null)?.value ?? null;
  } finally {
    db.close();
  }
}

function setMeta(dbPath: string, key: string, value: string): void {
  const db = new Database(dbPath);
  try {
    db.query("update meta set value = ? where key = ?").run(value, key);
  } finally {
    db.close();
  }
}

describe("engine e2e: the order group's burst cap", () => {
  test("exchange-triggered group: detected and audited, trading paused, reset after the cool-down, trading resumes", async () => {
    const dir = tempDir("e2e-group");
    const v = await startVenue(dir, { seed: 71 });
    try {
      const cfg = writeBotConfig(dir, v);
      const dbPath = join(dir, "data/kalshi.sqlite");
      expect((await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 })).code).toBe(0);
      const groupKey = (() => {
        const db = new Database(dbPath, { readonly: true });
        try {
          return (db.query("select key from meta where key like 'live.order_group_id:%'").get() as { key: string }).key;
        } finally {
          db.close();
        }
      })();
      const groupId = meta(dbPath, groupKey)!;
      const user = exchangeAccount(v).account.userId;
      // What the exchange does when the limit is matched: trigger (cancels the group's orders).
      v.sim.exchange.triggerOrderGroup(user, groupId);
      expect(exchangeAccount(v).orders.filter((o) => o.status === "resting").length).toBe(0);
      v.step(5_000);

      const before = exchangeAccount(v).orders.length;
      const paused = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(paused.code).toBe(0);
      expect(paused.output).toMatch(/order group hit its contracts limit/);
      expect(paused.output).toMatch(/order group contracts limit hit: no orders until/);
      expect(exchangeAccount(v).orders.length).toBe(before);
      expect(auditKinds(dbPath).get("order_group_cap")).toBe(1);

      // Still cooling down: nothing sent, nothing reset.
      const still = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(still.code).toBe(0);
      expect(exchangeAccount(v).orders.length).toBe(before);
      expect(v.sim.exchange.orderGroup(user, groupId).triggered).toBe(true);

      // The cool-down is wall-clock (2 × the 15 s window); move the recorded trigger time back
      // instead of waiting it out.
      const capKey = `live.order_group_capped_at:${groupId}`;
      setMeta(dbPath, capKey, String(v.botNow() - 31_000));
      const resumed = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(resumed.code).toBe(0);
      expect(resumed.output).toMatch(/order group reset after its cool-down/);
      expect(v.sim.exchange.orderGroup(user, groupId).triggered).toBe(false);
      expect(auditKinds(dbPath).get("order_group_reset")).toBe(1);
      expect(exchangeAccount(v).orders.length).toBeGreaterThan(before);
      expect(meta(dbPath, capKey)).toBe("");
    } finally {
      await v.stop();
    }
  }, 180_000);

  test("a set that does not fit whole into what is left of the burst window is not sent; no set is ever split", async () => {
    const dir = tempDir("e2e-burst");
    // No competing arbitrageurs: they take the scenario's mispriced sets within seconds, and this test
    // needs sets to send (it checks the burst cap, not the strategy's edge).
    const v = await startVenue(dir, { seed: 61, participants: { arbitrageurs: false } });
    try {
      // Group limit max(10, 2 × 10) = 20 contracts per 15 s, arbitrage legs resized to 2 contracts:
      // one 7-leg set (14) fits, a second one inside the window does not.
      // market_maker off: its resting fills count against the window too, and would make this about them.
      const cfg = writeBotConfig(dir, v, {
        risk: { max_contracts_per_order: 2 },
        trading: { strategies: { market_maker: { enabled: false } } },
      });
      for (let i = 0; i < 12; i++) {
        const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
        expect(r.code).toBe(0);
        v.step(7_000);
      }
      const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
      try {
        const sets = db
          .query(
            "select group_key, count(*) as legs, sum(case when status = 'executed' then 1 else 0 end) as done, sum(case when status = 'rejected' then 1 else 0 end) as rejected from orders where paper = 0 and strategy = 'event_arbitrage' and group_key is not null and reason not like 'repair%' group by group_key",
          )
          .all() as Array<{ group_key: string; legs: number; done: number; rejected: number }>;
        const capped = (db.query("select count(*) as n from audit_log where kind = 'burst_cap'").get() as { n: number }).n;
        console.log(
          `burst cap: ${sets.length} arbitrage set(s) sent (${sets.map((s) => `${s.done}/${s.legs}`).join(", ")} legs filled), ${capped} set(s) held back by the cap`,
        );
        expect(sets.length).toBeGreaterThan(0);
        expect(capped).toBeGreaterThan(0);
        // Every set the cap let through went whole: no leg rejected for the group's limit.
        for (const s of sets) expect({ set: s.group_key, rejected: s.rejected }).toEqual({ set: s.group_key, rejected: 0 });
      } finally {
        db.close();
      }
      expect(auditKinds(join(dir, "data/kalshi.sqlite")).get("arb_repair") ?? 0).toBe(0);
    } finally {
      await v.stop();
    }
  }, 240_000);
});
