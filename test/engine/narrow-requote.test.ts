// The narrow requote path (issue 14 goal 2): a book update of a market where market_maker quotes is
// decided and sent from the WebSocket listener itself, not by a general reactive pass. Through the
// binary against the local exchange on 127.0.0.1 (real SQLite ledger), cycles 60 s apart so that
// everything here happens between cycles. What must hold of that path:
//   - it requotes (and says so), and never sends the same order change twice, also when a general
//     pass for another strategy follows on the same market;
//   - a market with an own fill the ledger does not have yet is left alone until it is reconciled;
//   - the kill switch engaged right before the update: nothing is sent;
//   - a risk limit the amend would breach: the gate refuses it, nothing is sent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Account } from "../../src/sim/accounts.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { cleanup, ensureBinary, startBin, tempDir, type Running } from "../helpers/bin.ts";
import { daemonArgs, duplicateClientIds, startVenue, writeBotConfig, type Venue } from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const POKE = "poke-user";

interface Quote {
  ticker: string;
  side: "bid" | "ask";
  price: number;
  order_id: string;
}

function restingQuotes(dir: string): Quote[] {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return d
      .query("select ticker, side, price, order_id from orders where paper = 0 and status = 'resting' and strategy = 'market_maker'")
      .all() as Quote[];
  } finally {
    d.close();
  }
}

function fillsOf(dir: string, orderId: string): number {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return (d.query("select count(*) as n from fills where paper = 0 and order_id = ?").get(orderId) as { n: number }).n;
  } finally {
    d.close();
  }
}

/** Every write request of the bot's account as the exchange takes it (after HTTP parsing and the signature check). */
type Write = { kind: "place" | "amend" | "cancel" | "decrease"; orderId: string | null; ticker: string | null };
function recordWrites(v: Venue): Write[] {
  const ex = v.sim.exchange;
  const bot = ex.accountsByKey.get(v.keyId)!.userId;
  const out: Write[] = [];
  const place = ex.placeOrder.bind(ex);
  ex.placeOrder = (u, r) => {
    if (u === bot) out.push({ kind: "place", orderId: null, ticker: r.ticker });
    return place(u, r);
  };
  const amend = ex.amendOrder.bind(ex);
  ex.amendOrder = (u, id, p, c, cid) => {
    if (u === bot) out.push({ kind: "amend", orderId: id, ticker: null });
    return amend(u, id, p, c, cid);
  };
  const cancel = ex.cancelOrder.bind(ex);
  ex.cancelOrder = (u, id) => {
    if (u === bot) out.push({ kind: "cancel", orderId: id, ticker: null });
    return cancel(u, id);
  };
  const decrease = ex.decreaseOrder.bind(ex);
  ex.decreaseOrder = (u, id, by) => {
    if (u === bot) out.push({ kind: "decrease", orderId: id, ticker: null });
    return decrease(u, id, by);
  };
  return out;
}

/** Another account bids just under the ask of a market we quote: its fair value moves, our quotes must follow. */
function poke(v: Venue, ticker: string): boolean {
  const top = v.sim.exchange.top(ticker);
  const price = top.ask - 200 > top.bid ? top.ask - 200 : top.ask - 100;
  if (price <= top.bid) return false;
  v.sim.exchange.placeOrder(POKE, { ticker, side: "bid", price, count: 50 * COUNT_ONE, tif: "good_till_canceled", stp: "taker_at_cross" });
  return true;
}

function unpoke(v: Venue, ticker: string): void {
  for (const o of [...(v.sim.exchange.accounts.get(POKE)?.resting.get(ticker) ?? [])]) v.sim.exchange.cancelOrder(POKE, o.id);
}

async function startDaemon(
  dir: string,
  v: Venue,
  patch: { strategies?: Record<string, Record<string, unknown>>; risk?: Record<string, unknown> },
  minBids: number,
): Promise<Running> {
  const cfg = writeBotConfig(dir, v, {
    trading: {
      cycle_interval_seconds: 60,
      strategies: { ...patch.strategies, market_maker: { stop_before_close_minutes: 0, ...patch.strategies?.market_maker } },
    },
    ...(patch.risk ? { risk: patch.risk } : {}),
  });
  const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
  await bot.waitFor(/cycle 1 \(trade, LIVE\)/, 30_000);
  await until("market_maker bids resting", () => restingQuotes(dir).filter((q) => q.side === "bid").length >= minBids || null, 15_000);
  // What the first cycle left is settled by the passes that follow it.
  await Bun.sleep(1_500);
  return bot;
}

const SENDS = new Set(["place", "amend", "decrease"]);

describe("narrow requote path (daemon, through the binary)", () => {
  test("requotes from the update itself, once; leaves a market with an unreconciled own fill alone; sends nothing with the kill switch engaged", async () => {
    const dir = tempDir("narrow-requote");
    const v = await startVenue(dir, { seed: 51, markets: 40 });
    v.sim.exchange.addAccount(new Account(POKE, 1_000_000_000_000, null, null, true));
    const writes = recordWrites(v);
    try {
      const bot = await startDaemon(dir, v, { strategies: { market_maker: { max_markets: 3 } } }, 2);
      const bids = () => restingQuotes(dir).filter((q) => q.side === "bid");

      // ---- a move: requoted on the narrow path, each order changed once ----
      const q1 = bids().find((q) => poke(v, q.ticker));
      expect(q1).toBeDefined();
      const w0 = writes.length;
      await until("the requote", () => writes.slice(w0).some((w) => w.kind === "amend") || null, 10_000);
      await Bun.sleep(1_000);
      expect(bot.output()).toMatch(new RegExp(`narrow requote ${q1!.ticker}: [^\\n]*amend amended; frame→fetch [\\d.]+ ms`));
      const amended = writes.slice(w0).filter((w) => w.kind === "amend");
      expect(new Set(amended.map((w) => w.orderId)).size).toBe(amended.length);
      expect(duplicateClientIds(v)).toEqual([]);
      unpoke(v, q1!.ticker);
      await Bun.sleep(800);

      // ---- an own fill: our bid swept; the market is left alone until the fill is in the ledger ----
      const q2 = bids().find((q) => q.ticker !== q1!.ticker) ?? bids()[0]!;
      const w1 = writes.length;
      const o1 = bot.output().length;
      v.sim.exchange.placeOrder(POKE, {
        ticker: q2.ticker,
        side: "ask",
        price: q2.price,
        count: 100_000 * COUNT_ONE,
        tif: "immediate_or_cancel",
        stp: "taker_at_cross",
      });
      expect(v.sim.exchange.accountsByKey.get(v.keyId)!.orders.find((o) => o.id === q2.order_id)!.filled).toBeGreaterThan(0);
      await until("the fill reconciled into the ledger", () => fillsOf(dir, q2.order_id) > 0, 8_000);
      // Once the fill is in, the market is requoted again: by the pass that reconciled the fill when
      // the sweep's move was still waiting for it, or, when a pass had already taken that move before
      // the fill's message came (a pass decides markets whose book moved, and this one's has not
      // since), on the next move there, which a bid under the ask makes here.
      const reconciledPass = /reactive pass: [^\n]*, reconcile: [^\n]*\n/;
      await until("the pass that reconciled the fill", () => reconciledPass.test(bot.output().slice(o1)) || null, 10_000);
      await Bun.sleep(1_000);
      if (writes.length === w1) expect(poke(v, q2.ticker)).toBe(true);
      await until("a send after the fill", () => writes.length > w1 || null, 10_000);
      unpoke(v, q2.ticker);
      await Bun.sleep(800);
      // The sweep's deltas come before the one that fills us and before our fill's message: the
      // narrow path sent nothing for that market on them (a requote there would stand on a position
      // the ledger and the gate do not know yet), up to the pass that reconciled the fill. After it
      // the ledger has the fill and the narrow path may requote there (it does when the frames of a
      // loaded machine come after that pass).
      const swept = bot.output().slice(o1);
      const reconciled = /reactive pass: [^\n]*, reconcile: [^\n]*\n/.exec(swept);
      expect(reconciled, swept).not.toBeNull();
      expect(swept.slice(0, reconciled!.index + reconciled![0].length)).not.toMatch(
        new RegExp(`narrow requote ${q2.ticker}: [^\\n]*frame→fetch`),
      );
      expect(writes.slice(w1).length).toBeGreaterThan(0);

      // ---- the kill switch engaged right before the update: nothing is sent ----
      const q3 = bids().find((q) => q.ticker !== q2.ticker) ?? bids()[0]!;
      const o2 = bot.output().length;
      writeFileSync(join(dir, "data/disable-trading"), "narrow path test\n");
      const w2 = writes.length;
      expect(poke(v, q3.ticker)).toBe(true);
      // Waited for by its log line (a loaded machine can be slow to answer), then a quiet spell for any late send.
      const refused = new RegExp(`narrow requote ${q3.ticker}: left to the general pass \\(kill switch active\\)`);
      await until("the narrow path's refusal", () => refused.test(bot.output().slice(o2)) || null, 10_000);
      await Bun.sleep(1_500);
      expect(writes.slice(w2).filter((w) => SENDS.has(w.kind))).toEqual([]);
      rmSync(join(dir, "data/disable-trading"));
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
      expect(duplicateClientIds(v)).toEqual([]);
    } finally {
      await v.stop();
    }
  }, 180_000);

  test("an amend the risk gate refuses (orders per minute) is not sent", async () => {
    const dir = tempDir("narrow-requote-risk");
    const v = await startVenue(dir, { seed: 51, markets: 40 });
    v.sim.exchange.addAccount(new Account(POKE, 1_000_000_000_000, null, null, true));
    const writes = recordWrites(v);
    try {
      // One market, two quotes: the two creates use up the minute's orders.
      const bot = await startDaemon(dir, v, { strategies: { market_maker: { max_markets: 1 } }, risk: { max_orders_per_minute: 2 } }, 1);
      expect(writes.filter((w) => w.kind === "place").length).toBe(2);
      const q = restingQuotes(dir).find((x) => x.side === "bid")!;
      const w0 = writes.length;
      const o0 = bot.output().length;
      expect(poke(v, q.ticker)).toBe(true);
      const rejected = new RegExp(`narrow requote ${q.ticker}: [^\\n]*amend risk rejected[^\\n]*; nothing sent`);
      await until("the gate's refusal", () => rejected.test(bot.output().slice(o0)) || null, 10_000);
      await Bun.sleep(1_500);
      expect(writes.slice(w0).filter((w) => SENDS.has(w.kind))).toEqual([]);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 120_000);

  test("with another strategy enabled the general pass follows on the same market and sends nothing more", async () => {
    const dir = tempDir("narrow-requote-shared");
    const v = await startVenue(dir, { seed: 51, markets: 40 });
    v.sim.exchange.addAccount(new Account(POKE, 1_000_000_000_000, null, null, true));
    const writes = recordWrites(v);
    try {
      const bot = await startDaemon(dir, v, { strategies: { market_maker: { max_markets: 3 }, event_arbitrage: { enabled: true } } }, 2);
      const q = restingQuotes(dir).find((x) => x.side === "bid" && poke(v, x.ticker));
      expect(q).toBeDefined();
      const w0 = writes.length;
      const o0 = bot.output().length;
      await until("the requote", () => writes.slice(w0).some((w) => w.kind === "amend") || null, 10_000);
      // The general pass ran on the moved market after the narrow send and found nothing to send.
      const after = () => {
        const out = bot.output().slice(o0);
        const i = out.search(new RegExp(`narrow requote ${q!.ticker}: [^\\n]*amend amended; frame→fetch`));
        return i < 0 ? "" : out.slice(i);
      };
      await until("the general pass after the narrow send", () => /reactive pass: [1-9]\d* moved: /.test(after()) || null, 10_000);
      await Bun.sleep(500);
      expect(after()).toMatch(/reactive pass: [1-9]\d* moved: 0 placed, 0 amended, 0 canceled/);
      const amended = writes.slice(w0).filter((w) => w.kind === "amend");
      expect(new Set(amended.map((w) => w.orderId)).size).toBe(amended.length);
      expect(duplicateClientIds(v)).toEqual([]);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 120_000);
});
