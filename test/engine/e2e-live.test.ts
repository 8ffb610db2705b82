// The daemon with WebSocket books (trading.websocket, default on), through the binary against the
// local exchange on 127.0.0.1, with cycles 30 s apart so anything that happens in between is the
// reactive path's doing:
//   - a move of a quoted market's book makes the bot requote within milliseconds (ledger rows and
//     events are written just before each request leaves; their time is the reaction);
//   - a fill of one of our resting orders arrives on the private feed and is reconciled into the
//     ledger over REST within seconds, long before the next cycle;
//   - afterwards the ledger agrees with the exchange exactly, nothing sent twice;
//   - with the WebSocket refused (a proxy that answers REST only) the daemon trades on REST alone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Account } from "../../src/sim/accounts.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import {
  daemonArgs,
  duplicateClientIds,
  exchangeAccount,
  onceArgs,
  readLedger,
  startVenue,
  writeBotConfig,
  type Venue,
} from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const POKE = "poke-user";

function db(dir: string): Database {
  return new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
}

/** Resting market_maker orders the ledger holds: ticker, side, price. */
function restingQuotes(
  dir: string,
): Array<{ ticker: string; side: "bid" | "ask"; price: number; order_id: string; remaining_count: number }> {
  const d = db(dir);
  try {
    return d
      .query(
        "select ticker, side, price, order_id, remaining_count from orders where paper = 0 and status = 'resting' and strategy = 'market_maker'",
      )
      .all() as never;
  } finally {
    d.close();
  }
}

/** First ledger write for `ticker` at or after `t0` (the bot's wall ms): a new row or an event on a row. */
function firstWriteAfter(dir: string, ticker: string, t0: number): number | null {
  const d = db(dir);
  try {
    const a = d
      .query("select min(e.at) as at from order_events e join orders o on o.id = e.order_row_id where o.ticker = ? and e.at >= ?")
      .get(ticker, t0) as { at: number | null };
    const b = d.query("select min(created_at) as at from orders where ticker = ? and created_at >= ?").get(ticker, t0) as {
      at: number | null;
    };
    const xs = [a.at, b.at].filter((x): x is number => x !== null);
    return xs.length ? Math.min(...xs) : null;
  } finally {
    d.close();
  }
}

function fillsFor(dir: string, orderId: string): number {
  const d = db(dir);
  try {
    return (d.query("select count(*) as n from fills where paper = 0 and order_id = ?").get(orderId) as { n: number }).n;
  } finally {
    d.close();
  }
}

function cyclesDone(dir: string): number {
  const d = db(dir);
  try {
    return (d.query("select count(*) as n from cycles where ended_at is not null").get() as { n: number }).n;
  } finally {
    d.close();
  }
}

function agree(v: Venue, dir: string) {
  const l = readLedger(join(dir, "data/kalshi.sqlite"), false);
  const ex = exchangeAccount(v);
  expect(duplicateClientIds(v)).toEqual([]);
  const known = new Set(l.orders.map((o) => o.client_order_id));
  expect(ex.orders.filter((o) => !known.has(o.clientOrderId)).map((o) => o.clientOrderId)).toEqual([]);
  expect(Object.fromEntries(l.positions)).toEqual(Object.fromEntries(ex.positions));
  expect(l.cashMicros).toBe(ex.cashMicros);
}

describe("engine e2e: WebSocket books in the daemon", () => {
  test("book moves are answered in milliseconds and own fills reconciled within seconds, between cycles 30 s apart; ledger == exchange", async () => {
    const dir = tempDir("e2e-live");
    const v = await startVenue(dir, { seed: 51 });
    v.sim.exchange.addAccount(new Account(POKE, 1_000_000_000_000, null, null, true));
    try {
      // The market maker quotes the liquid short-lived markets here as before issue 16 (they close within
      // its default 30 min stop): this test is about the reactive path, not the quoting policy.
      const cfg = writeBotConfig(dir, v, {
        trading: { cycle_interval_seconds: 30, strategies: { market_maker: { stop_before_close_minutes: 0 } } },
      });
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      await bot.waitFor(/cycle 1 \(trade, LIVE\)/, 30_000);
      // Books arrive after the first cycle subscribed them; passes settle what the first cycle left.
      await until("market_maker quotes resting", () => restingQuotes(dir).length >= 2 || null, 10_000);
      await Bun.sleep(1_500);
      expect(cyclesDone(dir)).toBe(1);

      // ---- reaction to book moves: a bid inside the spread moves the fair value → requote ----
      const latencies: number[] = [];
      const tried = new Set<string>();
      for (let round = 0; round < 6 && cyclesDone(dir) === 1; round++) {
        const q =
          restingQuotes(dir).find((x) => x.side === "bid" && !tried.has(x.ticker)) ?? restingQuotes(dir).find((x) => x.side === "bid");
        if (!q) break;
        tried.add(q.ticker);
        const top = v.sim.exchange.top(q.ticker);
        // One tick under the ask (never crossing): the mid moves up by most of the spread (the
        // recalibrated exchange quotes spreads of 2 to 4 cents, so two ticks under the ask is often the bid).
        const price = top.ask - 100;
        if (price <= top.bid) continue;
        // Past the debounce (≥250 ms between passes) of the pass that answered the previous round's
        // clean-up: this measures the leading edge, a first move after a quiet spell. Under a steady
        // stream of moves a pass starts at most 250 ms after the last one.
        await Bun.sleep(700);
        // The ledger stamps rows with the bot's wall clock (pinned to the venue's date): compare with it.
        const t0 = v.botNow();
        v.sim.exchange.placeOrder(POKE, {
          ticker: q.ticker,
          side: "bid",
          price,
          count: 50 * COUNT_ONE,
          tif: "good_till_canceled",
          stp: "taker_at_cross",
        });
        const at = await until(`a requote on ${q.ticker}`, () => firstWriteAfter(dir, q.ticker, t0), 5_000).catch(() => null);
        if (at !== null) latencies.push(at - t0);
        // Take our book change back out so the next round starts from a quiet market.
        for (const o of [...(v.sim.exchange.accounts.get(POKE)?.resting.get(q.ticker) ?? [])]) v.sim.exchange.cancelOrder(POKE, o.id);
      }
      latencies.sort((a, b) => a - b);
      console.log(
        `book move → first order request of the requote (daemon, through the binary): ${latencies.map((x) => `${x} ms`).join(", ")}; p50 ${latencies[Math.floor(latencies.length / 2)]} ms`,
      );
      expect(latencies.length).toBeGreaterThanOrEqual(2);
      // The next cycle is 30 s away: anything under a second is the reactive path.
      expect(latencies[Math.floor(latencies.length / 2)]!).toBeLessThan(1_000);

      // ---- own fill between cycles: on the private feed, then reconciled over REST ----
      const mine = restingQuotes(dir).find((x) => x.side === "bid" && x.remaining_count >= COUNT_ONE);
      expect(mine).toBeDefined();
      const t1 = Date.now();
      // Sell YES down to our bid's price, more than every bid at or above it: our bid fills too.
      v.sim.exchange.placeOrder(POKE, {
        ticker: mine!.ticker,
        side: "ask",
        price: mine!.price,
        count: 100_000 * COUNT_ONE,
        tif: "immediate_or_cancel",
        stp: "taker_at_cross",
      });
      expect(exchangeAccount(v).orders.find((o) => o.id === mine!.order_id)!.filled).toBeGreaterThan(0);
      await until("the fill in the ledger", () => fillsFor(dir, mine!.order_id) > 0, 8_000);
      const fillLatency = Date.now() - t1;
      console.log(`own fill on the exchange → in the ledger (WebSocket fill → REST reconciliation): ${fillLatency} ms`);
      expect(cyclesDone(dir)).toBe(1);

      const out = bot.output();
      expect(out).toMatch(/live books: websocket connected/);
      // The WebSocket signs with the same key as REST; not a byte of it reaches the logs (--verbose).
      const pem = readFileSync(v.keyPath, "utf8")
        .split("\n")
        .filter((l) => l && !l.startsWith("-----"));
      for (const line of pem) expect(out).not.toContain(line.slice(0, 24));
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
      expect(bot.output()).toMatch(/reactive pass/);

      // A quiet --once run (nothing in scope) reconciles; the ledger then equals the exchange.
      const quiet = writeBotConfig(dir, v, { trading: { series_tickers: ["NONE-IN-SCOPE"] } }, "quiet.json");
      expect((await runBin(onceArgs(quiet, dir), { cwd: dir, timeoutMs: 60_000 })).code).toBe(0);
      agree(v, dir);
    } finally {
      await v.stop();
    }
  }, 180_000);

  test("a market created in scope mid-run: market_lifecycle_v2 starts a cycle early that reads it, long before the 60 s cycle", async () => {
    const dir = tempDir("e2e-live-newmkt");
    const v = await startVenue(dir, { seed: 53 });
    try {
      const cfg = writeBotConfig(dir, v, { trading: { cycle_interval_seconds: 60 } });
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      await bot.waitFor(/cycle 1 \(trade, LIVE\)/, 30_000);
      const scanned = () => [...bot.output().matchAll(/markets scanned: (\d+)/g)].map((m) => Number(m[1]));
      await until("cycle 1 summary", () => scanned().length >= 1 || null, 10_000);
      // The subscription is acked shortly after the first cycle (the connection opens in parallel).
      await until("lifecycle subscription", () => /market_lifecycle_v2/.test(bot.output()) || null, 10_000).catch(() => null);
      await Bun.sleep(500);
      const before = scanned()[0]!;
      const ex = v.sim.exchange;
      const model = [...ex.markets.values()].find((m) => m.status === "active")!;
      const ticker = `${model.eventTicker}-NEWMKT`;
      const t0 = Date.now();
      ex.addMarket({ ...model, ticker, marketId: crypto.randomUUID(), createdMs: v.clock.now(), volume: 0, volume24h: 0, openInterest: 0 });
      await bot.waitFor(/cycle 2 \(trade, LIVE\)/, 25_000);
      const waited = Date.now() - t0;
      await until("cycle 2 summary", () => scanned().length >= 2 || null, 5_000);
      expect(scanned()[1]).toBe(before + 1);
      expect(bot.output()).toContain(`market ${ticker} created in ${model.eventTicker}`);
      console.log(`new market in scope → cycle reading it: ${waited} ms after creation (cycle interval 60 s)`);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 120_000);

  test("WebSocket refused (REST-only proxy): the daemon trades on REST, says so, and stops cleanly", async () => {
    const dir = tempDir("e2e-live-nows");
    const v = await startVenue(dir, { seed: 52 });
    const stopDrive = v.drive(100, 2_000);
    const target = new URL(v.sim.baseUrl);
    // Forwards REST to the exchange; the WebSocket path gets a 404, as a proxy without upgrade would.
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const u = new URL(req.url);
        if (u.pathname.includes("/ws/")) return new Response("no websocket here", { status: 404 });
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
        const r = await fetch(`${target.origin}${u.pathname}${u.search}`, { method: req.method, headers: req.headers, body });
        return new Response(await r.arrayBuffer(), { status: r.status, headers: r.headers });
      },
    });
    try {
      const cfg = writeBotConfig(dir, v, { exchange: { base_url: `http://127.0.0.1:${proxy.port}` } });
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      await bot.waitFor(/cycle 4 \(trade, LIVE\)/, 60_000);
      const out = bot.output();
      expect(out).toMatch(/live books: 0\/\d+ trusted/);
      expect(out).not.toMatch(/websocket connected/);
      expect(exchangeAccount(v).orders.length).toBeGreaterThan(0);
      // The failing WebSocket is reported once, not on every redial.
      expect((out.match(/WARN.*live books/g) ?? []).length).toBeLessThanOrEqual(2);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      stopDrive();
      proxy.stop(true);
      await v.stop();
    }
  }, 120_000);
});
