// Orders that expire on their own (trading.order_ttl_seconds, src/engine/order-ttl.ts), through the
// compiled binary against the local exchange on 127.0.0.1, its clock driven at real speed:
//   - kill -9 of the daemon: nothing cancels its quotes, yet once the exchange's clock passes the
//     TTL none of them rests; the next run records them `expired` (not unknown, not canceled);
//   - a daemon running for several TTLs keeps its quotes alive by renewing them (cancelled past
//     half their life, quoted again with a fresh expiry): never two of its quotes on one market and
//     side at once, none lost to expiry, and quotes resting all along;
//   - quotes that come due for renewal while a reactive pass is still running (its requests slowed)
//     are renewed all the same: the pass's end must not drop them from the renewal schedule.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, duplicateClientIds, exchangeAccount, onceArgs, startVenue, writeBotConfig, type Venue } from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";
import { Account } from "../../src/sim/accounts.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const restingOnExchange = (v: Venue) => exchangeAccount(v).orders.filter((o) => o.status === "resting");

function ledgerRows(dir: string): Array<{ client_order_id: string; status: string; expires_at: number | null }> {
  const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return db.query("select client_order_id, status, expires_at from orders where paper = 0 and origin = 'bot'").all() as never;
  } finally {
    db.close();
  }
}

function renewalCancels(dir: string): number {
  const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return (db.query("select count(*) as n from order_events where detail like 'canceled: renewal:%'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * The market maker as a live daemon with orders of `ttl` s, once its first quotes rest. Cycles 120 s
 * apart: every renewal comes from the early cycle the TTL asks for. The local exchange's books hold
 * fewer contracts at the touch than the thin-book rule wants (min_book_contracts 5): with the rule on
 * it would pull its quotes after the first cycle and there would be nothing to renew.
 */
async function startQuoting(dir: string, v: Venue, ttl: number) {
  const cfg = writeBotConfig(dir, v, {
    trading: { cycle_interval_seconds: 120, order_ttl_seconds: ttl, strategies: { market_maker: { min_book_contracts: 1 } } },
  });
  const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
  await bot.waitFor(/cycle 1 \(trade, LIVE\)/, 60_000);
  await until("quotes resting on the exchange", () => restingOnExchange(v).length >= 2, 20_000);
  return bot;
}

describe("orders that expire on their own", () => {
  test("kill -9 of the daemon: after the TTL no order of the dead process rests; the next run records them expired", async () => {
    const dir = tempDir("ttl-kill-");
    const v = await startVenue(dir, { seed: 63 });
    let stopDrive = v.drive(100, 100);
    try {
      const ttl = 8;
      const cfg = writeBotConfig(dir, v, { trading: { cycle_interval_seconds: 30, order_ttl_seconds: ttl } });
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      await bot.waitFor(/cycle 1 \(trade, LIVE\)/, 60_000);
      await until("quotes resting on the exchange", () => restingOnExchange(v).length >= 2, 20_000);
      await bot.stop("SIGKILL");
      stopDrive();
      const left = restingOnExchange(v);
      expect(left.length).toBeGreaterThan(0);
      const killedAt = v.clock.now();
      // Each carries an expiry at most the TTL (+ rounding up to a whole second) away.
      for (const o of left) {
        expect(o.expirationMs).not.toBeNull();
        expect(o.expirationMs!).toBeGreaterThan(killedAt);
        expect(o.expirationMs! - o.createdMs).toBeLessThanOrEqual(ttl * 1000 + 1_000);
      }
      // Nobody cancels them; the exchange's clock passes the TTL (other participants may fill some).
      v.step(ttl * 1000 + 1_000);
      expect(restingOnExchange(v)).toEqual([]);
      const expired = left.filter((o) => o.status === "canceled");
      for (const o of left) expect(o.status === "executed" || o.lastUpdateReason === "ExpiryCancel").toBe(true);
      expect(expired.length).toBeGreaterThan(0);

      // The next run (a quiet scope: it only reconciles) records what became of them.
      stopDrive = v.drive(100, 100);
      const quiet = writeBotConfig(dir, v, { trading: { series_tickers: ["NONE-IN-SCOPE"], order_ttl_seconds: ttl } }, "quiet.json");
      const r = await runBin(onceArgs(quiet, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.output).toBe(0);
      const rows = new Map(ledgerRows(dir).map((x) => [x.client_order_id, x]));
      for (const o of left) {
        expect(rows.get(o.clientOrderId)?.status).toBe(o.status === "executed" ? "executed" : "expired");
        expect(rows.get(o.clientOrderId)?.expires_at).toBe(o.expirationMs);
      }
      expect(duplicateClientIds(v)).toEqual([]);
    } finally {
      stopDrive();
      await v.stop();
    }
  }, 120_000);

  test("a daemon running for several TTLs renews its quotes: never two on one market and side, none expired, quotes resting throughout", async () => {
    const dir = tempDir("ttl-renew-");
    const v = await startVenue(dir, { seed: 64 });
    const stopDrive = v.drive(100, 100);
    try {
      const ttl = 10;
      const bot = await startQuoting(dir, v, ttl);
      const firstQuotes = new Set(restingOnExchange(v).map((o) => o.id));
      const simStart = v.clock.now();
      let worst = 0;
      let emptySamples = 0;
      let samples = 0;
      // Two and a half TTLs of exchange time.
      while (v.clock.now() - simStart < 2.5 * ttl * 1000) {
        const per = new Map<string, number>();
        const resting = restingOnExchange(v);
        for (const o of resting) per.set(`${o.ticker}/${o.side}`, (per.get(`${o.ticker}/${o.side}`) ?? 0) + 1);
        worst = Math.max(worst, ...per.values(), 0);
        if (resting.length === 0) emptySamples++;
        samples++;
        await Bun.sleep(50);
      }
      expect(bot.proc.exitCode).toBeNull();
      expect(worst).toBe(1);
      // Between a renewal's cancel and the new quote nothing rests for a moment; never for long.
      expect(emptySamples).toBeLessThan(samples / 4);
      const orders = exchangeAccount(v).orders;
      // The first quotes are gone (renewed: none rests longer than the TTL), their successors rest,
      // and none ran out.
      expect(restingOnExchange(v).filter((o) => firstQuotes.has(o.id))).toEqual([]);
      expect(restingOnExchange(v).length).toBeGreaterThan(0);
      expect(orders.filter((o) => o.lastUpdateReason === "ExpiryCancel").map((o) => o.clientOrderId)).toEqual([]);
      expect(renewalCancels(dir)).toBeGreaterThan(0);
      expect(duplicateClientIds(v)).toEqual([]);
      expect(await bot.stop("SIGTERM", 60_000)).toBe(0);
      expect(restingOnExchange(v)).toEqual([]);
      expect(ledgerRows(dir).filter((r) => r.status === "resting" || r.status === "unknown")).toEqual([]);
    } finally {
      stopDrive();
      await v.stop();
    }
  }, 150_000);
  test("quotes that come due while a reactive pass runs are renewed, not left to expire", async () => {
    // Every request of the bot takes 300 ms at the exchange. A fill on one of the first quotes, 2 s
    // before they come due, starts a reactive pass (the fill reconciled over REST, the quote
    // replaced) that runs past their due time. That pass's end once rescheduled renewal from the
    // orders still to come due only, dropping those already due, and nothing else starts a cycle
    // before the next interval (120 s): they expired. The likely cause of the one failure of the test
    // above on record (a full suite under load: two quotes expired before their renewal). Now a
    // cycle starts at once for them.
    const dir = tempDir("ttl-pass-");
    const v = await startVenue(dir, { seed: 64, faults: "slow=1,slow_ms=300" });
    const stopDrive = v.drive(100, 100);
    try {
      const ttl = 20;
      const bot = await startQuoting(dir, v, ttl);
      const first = restingOnExchange(v);
      const dueAt = Math.min(...first.map((o) => o.expirationMs!)) - (ttl * 1000) / 2;
      await until("2 s before the first quotes come due", () => v.clock.now() >= dueAt - 2_000, 30_000);
      const hit = first.find((o) => o.side === "bid")!;
      v.sim.exchange.addAccount(new Account("ttl-poke", 1_000_000_000_000, null, null, true));
      v.sim.exchange.placeOrder("ttl-poke", {
        ticker: hit.ticker,
        side: "ask",
        price: hit.price,
        count: 100_000 * COUNT_ONE,
        tif: "immediate_or_cancel",
        stp: "taker_at_cross",
      });
      expect(exchangeAccount(v).orders.find((o) => o.id === hit.id)!.filled).toBeGreaterThan(0);
      // Past the first quotes' expiry, with a second to spare for the exchange to expire them.
      const expiry = Math.min(...first.map((o) => o.expirationMs!));
      await until("past the first quotes' expiry", () => v.clock.now() >= expiry + 1_000, 60_000);
      expect(bot.proc.exitCode).toBeNull();
      const orders = exchangeAccount(v).orders;
      expect(orders.filter((o) => o.lastUpdateReason === "ExpiryCancel").map((o) => `${o.ticker} ${o.side}`)).toEqual([]);
      // Each first quote (but the one filled) was cancelled by a renewal and quoted again.
      expect(restingOnExchange(v).filter((o) => first.some((f) => f.id === o.id))).toEqual([]);
      expect(renewalCancels(dir)).toBeGreaterThanOrEqual(first.length - 1);
      expect(restingOnExchange(v).length).toBeGreaterThan(0);
      expect(duplicateClientIds(v)).toEqual([]);
      expect(await bot.stop("SIGTERM", 60_000)).toBe(0);
    } finally {
      stopDrive();
      await v.stop();
    }
  }, 180_000);
});
