// End to end through the binary against the local exchange on 127.0.0.1: many cycles in which
// every strategy trades, a restart in the middle, the ledger agreeing with the exchange to the
// micro; kill switch; scope; a tripped daily-loss limit halting and staying halted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import {
  auditKinds,
  duplicateClientIds,
  exchangeAccount,
  onceArgs,
  positionsValue,
  readLedger,
  startVenue,
  writeBotConfig,
  type Venue,
} from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

/** Run --once cycles, moving the market between them. */
async function cycles(v: Venue, dir: string, cfg: string, n: number, env: Record<string, string> = {}) {
  const codes: number[] = [];
  let out = "";
  for (let i = 0; i < n; i++) {
    const r = await runBin(onceArgs(cfg, dir), { cwd: dir, env, timeoutMs: 60_000 });
    codes.push(r.code ?? -1);
    out += r.output;
    v.step(7_000);
  }
  return { codes, out };
}

function expectLedgerMatchesExchange(v: Venue, dir: string) {
  const l = readLedger(join(dir, "data/kalshi.sqlite"), false);
  const ex = exchangeAccount(v);
  expect(Object.fromEntries(l.positions)).toEqual(Object.fromEntries(ex.positions));
  // Cash including what resting orders hold, to the micro, and so the bankroll at any common mark.
  expect(l.cashMicros).toBe(ex.cashMicros);
  expect(l.cashMicros + positionsValue(v, l.positions)).toBe(v.sim.exchange.equity(ex.account.userId));
  // Every order the exchange holds for this account is in the ledger, by client_order_id.
  const known = new Set(l.orders.map((o) => o.client_order_id));
  for (const o of ex.orders) expect(known.has(o.clientOrderId)).toBe(true);
  expect(duplicateClientIds(v)).toEqual([]);
  return l;
}

describe("engine e2e: trading through the binary", () => {
  test("many cycles, a restart in the middle, every strategy trades, ledger == exchange exactly", async () => {
    const dir = tempDir("e2e-trade");
    const v = await startVenue(dir, { seed: 11 });
    try {
      const cfg = writeBotConfig(dir, v);
      const a = await cycles(v, dir, cfg, 6);
      expect(a.codes.every((c) => c === 0)).toBe(true);
      // The restart: a fresh process, same ledger; it must pick up where the last left off.
      const b = await cycles(v, dir, cfg, 6);
      expect(b.codes.every((c) => c === 0)).toBe(true);
      // One more cycle with nothing moving in between, then compare. With the kill switch on, so it
      // only reconciles: arbitrage sets no longer stop at the per-market cap (hedged legs do not
      // count against it, issue 16), and the fills of a set sent in this very cycle would reach the
      // ledger only at the next reconciliation.
      const last = await runBin(onceArgs(cfg, dir), { cwd: dir, env: { BOT_DISABLE_TRADING: "1" }, timeoutMs: 60_000 });
      expect(last.code).toBe(0);
      const l = expectLedgerMatchesExchange(v, dir);
      const strategies = new Set(
        readFileSync(join(dir, "data/kalshi.sqlite")).length ? l.orders.filter((o) => o.origin === "bot").map((o) => o.ticker) : [],
      );
      expect(strategies.size).toBeGreaterThan(0);
      const db = new (await import("bun:sqlite")).Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
      const byStrategy = db
        .query(
          "select strategy, count(*) as n from orders where paper = 0 and origin = 'bot' and status in ('resting','executed','canceled') group by strategy",
        )
        .all() as Array<{ strategy: string; n: number }>;
      db.close();
      const traded = Object.fromEntries(byStrategy.map((r) => [r.strategy, r.n]));
      console.log(`orders accepted per strategy: ${JSON.stringify(traded)}; fills ${l.fills}`);
      expect(traded.market_maker ?? 0).toBeGreaterThan(0);
      expect(traded.event_arbitrage ?? 0).toBeGreaterThan(0);
      expect(auditKinds(join(dir, "data/kalshi.sqlite")).get("cash_adjust") ?? 0).toBe(0);
      const hb = JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8"));
      // The last cycle ran with the kill switch (see above).
      expect(hb.status).toBe("disabled");
      const bal = exchangeAccount(v).account.available();
      expect(hb.bankroll.cash_dollars).toBe((Math.trunc(bal / 10_000) / 100).toFixed(2));
    } finally {
      await v.stop();
    }
  }, 300_000);

  test("kill switch: BOT_DISABLE_TRADING=1 --once exits 0, places nothing and cancels resting orders", async () => {
    const dir = tempDir("e2e-kill");
    const v = await startVenue(dir, { seed: 12 });
    try {
      const cfg = writeBotConfig(dir, v);
      const off = await runBin(onceArgs(cfg, dir), { cwd: dir, env: { BOT_DISABLE_TRADING: "1" }, timeoutMs: 60_000 });
      expect(off.code).toBe(0);
      expect(exchangeAccount(v).orders.length).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8")).status).toBe("disabled");
      // Trade once, then flip the switch: the resting orders go, nothing new comes.
      const on = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(on.code).toBe(0);
      const placed = exchangeAccount(v).orders.length;
      expect(placed).toBeGreaterThan(0);
      const again = await runBin(onceArgs(cfg, dir), { cwd: dir, env: { BOT_DISABLE_TRADING: "yes" }, timeoutMs: 60_000 });
      expect(again.code).toBe(0);
      expect(exchangeAccount(v).orders.length).toBe(placed);
      expect(exchangeAccount(v).orders.filter((o) => o.status === "resting").length).toBe(0);
    } finally {
      await v.stop();
    }
  }, 180_000);

  test("scope: nothing outside series_tickers is ever ordered", async () => {
    const dir = tempDir("e2e-scope");
    const v = await startVenue(dir, { seed: 13 });
    try {
      const series = [...v.sim.exchange.series.keys()];
      const only = series[0]!;
      const cfg = writeBotConfig(dir, v, { trading: { series_tickers: [only] } });
      const r = await cycles(v, dir, cfg, 4);
      expect(r.codes.every((c) => c === 0)).toBe(true);
      for (const o of exchangeAccount(v).orders) expect(v.sim.exchange.markets.get(o.ticker)!.seriesTicker).toBe(only);
    } finally {
      await v.stop();
    }
  }, 180_000);

  test("a tripped daily-loss limit halts (exit 10), stays halted after a restart, --reset-halt resumes", async () => {
    const dir = tempDir("e2e-halt");
    const v = await startVenue(dir, { seed: 14 });
    try {
      const cfg = writeBotConfig(dir, v, { risk: { max_daily_loss_dollars: "25" } });
      expect((await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 })).code).toBe(0);
      // A $40 loss on the account (as a bad fill or a fee would be): the day's equity falls below the limit.
      exchangeAccount(v).account.cash -= 40_000_000;
      const halted = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(halted.code).toBe(10);
      expect(halted.output).toContain("halted");
      expect(JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8")).status).toBe("halted");
      expect(exchangeAccount(v).orders.filter((o) => o.status === "resting").length).toBe(0);
      const before = exchangeAccount(v).orders.length;
      const still = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(still.code).toBe(10);
      expect(exchangeAccount(v).orders.length).toBe(before);
      const reset = await runBin(["run", ...onceArgs(cfg, dir, ["--reset-halt"])], { cwd: dir, timeoutMs: 60_000 });
      if (reset.code !== 0) console.log(reset.output);
      expect(reset.code).toBe(0);
    } finally {
      await v.stop();
    }
  }, 180_000);

  test("live trading without autonomous_mode and without a terminal is refused (exit 11) with the checklist", async () => {
    const dir = tempDir("e2e-refuse");
    const v = await startVenue(dir, { seed: 15 });
    try {
      const cfg = writeBotConfig(dir, v, { trading: { autonomous_mode: false } });
      const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 30_000 });
      expect(r.code).toBe(11);
      expect(r.output).toContain("autonomous_mode");
      expect(r.output).toContain("--verify-config --mode trade");
      expect(r.output).not.toContain("    at ");
      expect(exchangeAccount(v).orders.length).toBe(0);
    } finally {
      await v.stop();
    }
  }, 60_000);
});
