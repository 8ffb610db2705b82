// LiveBooks against the local exchange over a real WebSocket on 127.0.0.1: books equal REST after the
// market moved, seq gaps and disconnects make books untrusted until a fresh snapshot, scope changes,
// public prints and our own fills. The sim runs on a hand-driven clock, so the books only move when
// a test ticks it, and "eventually equal to REST" is a sound check (REST does not move under it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LiveBooks, type LiveUpdateCause } from "../../src/engine/live-books.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { PRICE_ONE } from "../../src/kalshi/money.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";

const kp = generateKeyPair();
const KEY = "live-books-key";
const privateKey = privateKeyFromPem(kp.privateKeyPem);

interface Env {
  sim: SimServer;
  clock: ManualClock;
  client: KalshiClient;
  tickers: string[];
}

async function startEnv(faults?: string, seed = 7): Promise<Env> {
  const clock = new ManualClock(Date.now());
  const sim = await startSimServer({
    port: 0,
    seed,
    markets: 12,
    clock,
    quiet: true,
    tier: "unlimited",
    ...(faults ? { faults } : {}),
    accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  const client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: KEY, privateKey, tier: "prime", backoffBaseMs: 5 });
  const tickers = [...sim.exchange.markets.values()]
    .filter((m) => m.status === "active")
    .map((m) => m.ticker)
    .sort();
  return { sim, clock, client, tickers };
}

const wsOptions = (env: Env) => ({
  url: env.sim.wsUrl,
  apiKeyId: KEY,
  privateKey,
  reconnectBaseMs: 20,
  reconnectMaxMs: 200,
  commandTimeoutMs: 2_000,
});

/** Move the exchange: `n` steps of `stepMs` sim time, letting frames flow between steps. */
async function drive(env: Env, n: number, stepMs = 1_000): Promise<void> {
  for (let i = 0; i < n; i++) {
    env.clock.advance(stepMs);
    env.sim.tick();
    await Bun.sleep(2);
  }
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await Bun.sleep(20);
  }
}

/** Every listed book equals REST: levels on both legs (best last in the view), top of book and sizes. */
async function mismatches(lb: LiveBooks, client: KalshiClient, tickers: readonly string[]): Promise<string[]> {
  const bad: string[] = [];
  for (const t of tickers) {
    const v = lb.view(t);
    if (!v.trusted) {
      bad.push(`${t}: untrusted (${v.reason})`);
      continue;
    }
    const rest = await client.getOrderbook(t);
    const yes = [...rest.yes].reverse().map(([p, c]) => [p, c]);
    const no = [...rest.no].reverse().map(([p, c]) => [p, c]);
    if (JSON.stringify(v.book.yes) !== JSON.stringify(yes))
      bad.push(`${t}: yes ${JSON.stringify(v.book.yes)} vs REST ${JSON.stringify(yes)}`);
    if (JSON.stringify(v.book.no) !== JSON.stringify(no)) bad.push(`${t}: no ${JSON.stringify(v.book.no)} vs REST ${JSON.stringify(no)}`);
    const bid = rest.yes[0] ?? null;
    const noBid = rest.no[0] ?? null;
    if (v.yesBid !== (bid ? bid[0] : null) || v.yesBidSize !== (bid ? bid[1] : 0)) bad.push(`${t}: yes bid ${v.yesBid}×${v.yesBidSize}`);
    if (v.yesAsk !== (noBid ? PRICE_ONE - noBid[0] : null) || v.yesAskSize !== (noBid ? noBid[1] : 0))
      bad.push(`${t}: yes ask ${v.yesAsk}×${v.yesAskSize}`);
  }
  return bad;
}

async function expectMatchesRest(lb: LiveBooks, env: Env, tickers: readonly string[]): Promise<void> {
  let last: string[] = [];
  try {
    await eventually("books equal REST", async () => (last = await mismatches(lb, env.client, tickers)).length === 0);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${last.slice(0, 10).join("\n")}`);
  }
}

/** 100 contracts bought at `t`'s ask as `books` shows it (immediate or cancel): a print on the feed. Returns the count filled. */
async function buyAtAsk(env: Env, books: LiveBooks, t: string): Promise<number> {
  const res = await env.client.createOrder({
    ticker: t,
    side: "bid",
    price: books.view(t).yesAsk!,
    count: 100,
    time_in_force: "immediate_or_cancel",
    self_trade_prevention_type: "taker_at_cross",
  });
  return res.fill_count;
}

describe("LiveBooks on a clean feed", () => {
  let env: Env;
  let lb: LiveBooks;

  beforeAll(async () => {
    env = await startEnv();
    lb = await LiveBooks.open({ wsOptions: wsOptions(env), tickers: env.tickers.slice(0, 8), tradeRing: 10_000 });
  });
  afterAll(async () => {
    lb?.close();
    await env?.sim.stop();
  });

  test("snapshots arrive for the scope and match REST", async () => {
    await eventually("all books trusted", () => lb.trustedCount === 8);
    expect(lb.scope().sort()).toEqual(env.tickers.slice(0, 8));
    await expectMatchesRest(lb, env, lb.scope());
  });

  test("after the market moved (hundreds of deltas), every book still equals REST, level by level", async () => {
    const seen = new Map<string, number>();
    const off = lb.onUpdate((t, cause) => {
      if (cause === "delta") seen.set(t, (seen.get(t) ?? 0) + 1);
    });
    const before = lb.stats.deltas;
    await drive(env, 40);
    await eventually("deltas flowed", () => lb.stats.deltas - before > 100);
    await expectMatchesRest(lb, env, lb.scope());
    off();
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    // The engine's between-cycles work list.
    const dirty = lb.takeDirty();
    expect(dirty.length).toBeGreaterThan(0);
    expect(dirty.every((t) => lb.inScope(t))).toBe(true);
    expect(lb.takeDirty()).toEqual([]);
    expect(lb.stats.gaps).toBe(0);
    expect(lb.stats.deltasDropped).toBe(0);
  });

  test("views have the strategies' shape: bid levels per leg, best last, YES ask = 1 − best NO bid", () => {
    for (const t of lb.scope()) {
      const v = lb.view(t);
      expect(v.trusted).toBe(true);
      for (const leg of [v.book.yes, v.book.no]) {
        for (let i = 1; i < leg.length; i++) expect(leg[i]![0]).toBeGreaterThan(leg[i - 1]![0]);
        for (const [p, c] of leg) {
          expect(Number.isSafeInteger(p) && p > 0 && p < PRICE_ONE).toBe(true);
          expect(Number.isSafeInteger(c) && c > 0).toBe(true);
        }
      }
      const lastYes = v.book.yes.at(-1);
      const lastNo = v.book.no.at(-1);
      expect(v.yesBid).toBe(lastYes ? lastYes[0] : null);
      expect(v.yesAsk).toBe(lastNo ? PRICE_ONE - lastNo[0] : null);
      const top2 = lb.view(t, 2);
      expect(top2.book.yes).toEqual(v.book.yes.slice(-2));
      expect(top2.book.no).toEqual(v.book.no.slice(-2));
    }
  });

  test("overlay lays the live book over a REST MarketView, and refuses when untrusted", () => {
    const t = lb.scope()[0]!;
    const rest = {
      ticker: t,
      eventTicker: "E",
      seriesTicker: "S",
      status: "active",
      yesBid: 1,
      yesBidSize: 1,
      yesAsk: 2,
      yesAskSize: 1,
      lastPrice: null,
      volume: 0,
      openInterest: 0,
      priceRanges: [],
      feeType: "quadratic" as const,
      feeMultiplierE4: 10_000,
      closeTimeMs: null,
    };
    const o = lb.overlay(rest)!;
    const v = lb.view(t);
    expect(o.yesBid).toBe(v.yesBid);
    expect(o.yesAsk).toBe(v.yesAsk);
    expect(o.book).toEqual(v.book);
    expect(o.eventTicker).toBe("E");
    expect(lb.overlay({ ...rest, ticker: "NOT-IN-SCOPE" })).toBeNull();
    expect(lb.view("NOT-IN-SCOPE")).toMatchObject({
      trusted: false,
      reason: "not in scope",
      yesBid: null,
      yesAsk: null,
      book: { yes: [], no: [] },
    });
  });

  test("public prints are recorded per market, as TradePrint in exchange time, matching the exchange's trades", async () => {
    const startMs = env.clock.now();
    const n0 = env.sim.exchange.trades.length;
    await drive(env, 40);
    const scope = new Set(lb.scope());
    const expected = env.sim.exchange.trades.slice(n0).filter((t) => scope.has(t.ticker));
    expect(expected.length).toBeGreaterThan(0);
    await eventually("prints arrived", () => [...scope].reduce((a, t) => a + lb.tradesSince(t, startMs).length, 0) >= expected.length);
    for (const t of scope) {
      const want = expected
        .filter((x) => x.ticker === t)
        .map((x) => ({ ticker: t, price: x.price, count: x.count, takerBookSide: x.takerSide, tsMs: x.tsMs }));
      expect(lb.tradesSince(t, startMs)).toEqual(want);
      if (want.length) {
        expect(lb.latestTradeMs(t)).toBe(Math.max(...want.map((w) => w.tsMs)));
        // strictly after
        expect(lb.tradesSince(t, lb.latestTradeMs(t)!)).toEqual([]);
      }
      expect(lb.tradesCoveredSince(t)).not.toBeNull();
    }
  });

  test("with no trade ring, prints still reach the listeners and the count, and none is kept", async () => {
    const none = await LiveBooks.open({ wsOptions: wsOptions(env), tickers: lb.scope(), tradeRing: 0, ownOrders: false });
    const heard: string[] = [];
    const off = none.onUpdate((ticker, cause) => {
      if (cause === "trade") heard.push(ticker);
    });
    try {
      await eventually("trusted", () => none.trustedCount === 8);
      const t = none.scope().find((x) => none.view(x).yesAsk !== null)!;
      expect(await buyAtAsk(env, none, t)).toBe(100);
      await eventually("its print heard", () => heard.includes(t));
      // The daemon's own LiveBooks (bot.ts) runs this way: a shared book's listener saw the same print.
      await eventually("the ringed book kept it", () => lb.tradesSince(t, 0).length > 0);
      expect(none.stats.trades).toBeGreaterThan(0);
      expect(none.tradesSince(t, 0)).toEqual([]);
      expect(none.latestTradeMs(t)).toBeNull();
    } finally {
      off();
      none.close();
    }
  });

  test("the trade ring is bounded", async () => {
    const small = await LiveBooks.open({ wsOptions: wsOptions(env), tickers: lb.scope(), tradeRing: 3, ownOrders: false });
    try {
      await eventually("trusted", () => small.trustedCount === 8);
      await drive(env, 60);
      // The local exchange trades about as often as a real strike (~8 prints a market-hour): a
      // minute of it prints about one trade across these 8 markets, so we print more ourselves.
      const t = small.scope().find((x) => small.view(x).yesAsk !== null)!;
      for (let i = 0; i < 10; i++) {
        expect(await buyAtAsk(env, small, t)).toBe(100);
        await eventually("its print", () => small.tradesSince(t, 0).length >= Math.min(3, i + 1));
      }
      await eventually("prints", () => small.stats.trades >= 10);
      const sizes = small.scope().map((t) => small.tradesSince(t, 0).length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
      expect(sizes.some((s) => s === 3)).toBe(true);
    } finally {
      small.close();
    }
  });

  test("our own order: a print, a fill and order updates arrive between cycles", async () => {
    const t = lb.scope().find((x) => lb.view(x).yesAsk !== null)!;
    expect(t).toBeDefined();
    const ask = lb.view(t).yesAsk!;
    const fills: string[] = [];
    const off = lb.onFill((f) => fills.push(f.ticker));
    lb.drainFills();
    lb.drainOrderUpdates();
    const before = env.clock.now() - 1;
    const res = await env.client.createOrder({
      ticker: t,
      side: "bid",
      price: ask,
      count: 100,
      time_in_force: "immediate_or_cancel",
      self_trade_prevention_type: "taker_at_cross",
    });
    expect(res.fill_count).toBe(100);
    await eventually("fill arrived", () => fills.length > 0);
    off();
    // Only this order's fills: a fill of an earlier test's order may still arrive in the meantime.
    const got = lb.drainFills().filter((f) => f.orderId === res.order_id);
    expect(got.length).toBeGreaterThan(0);
    // Each fill once (by trade id), and together the order's whole size.
    expect(new Set(got.map((f) => f.tradeId)).size).toBe(got.length);
    expect(got.reduce((a, f) => a + f.count, 0)).toBe(100);
    for (const f of got) {
      expect(f).toMatchObject({ ticker: t, orderId: res.order_id, side: "bid", isTaker: true });
      expect(f.price).toBeLessThanOrEqual(ask);
      expect(Number.isSafeInteger(f.feeMicros) && f.feeMicros > 0).toBe(true);
    }
    await eventually("order update arrived", () => lb.stats.orderUpdates > 0);
    const orders = lb.drainOrderUpdates();
    expect(orders.some((o) => o.orderId === res.order_id && o.status === "executed" && o.filled === 100)).toBe(true);
    await eventually("print arrived", () => lb.tradesSince(t, before).some((p) => p.takerBookSide === "bid"));
    expect(lb.fillGap).toBe(false);
  });
});

describe("LiveBooks scope updates", () => {
  let env: Env;
  let lb: LiveBooks;

  beforeAll(async () => {
    env = await startEnv(undefined, 11);
    lb = new LiveBooks({ wsOptions: wsOptions(env), tickers: env.tickers.slice(0, 3), ownOrders: false });
    await lb.start();
  });
  afterAll(async () => {
    lb?.close();
    await env?.sim.stop();
  });

  test("add_markets brings new books (snapshot, then deltas); delete_markets forgets old ones", async () => {
    await eventually("initial books", () => lb.trustedCount === 3);
    const [a, b, c] = env.tickers.slice(0, 3) as [string, string, string];
    const added = env.tickers.slice(3, 6);
    const r = await lb.updateScope([b, c, ...added]);
    expect(r.added.sort()).toEqual([...added].sort());
    expect(r.removed).toEqual([a]);
    expect(lb.inScope(a)).toBe(false);
    expect(lb.view(a)).toMatchObject({ trusted: false, reason: "not in scope" });
    expect(lb.ws.books.get(a)).toBeUndefined();
    await eventually("added books trusted", () => lb.trustedCount === 5);
    const updates = new Set<string>();
    const off = lb.onUpdate((t) => updates.add(t));
    await drive(env, 40);
    await expectMatchesRest(lb, env, lb.scope());
    off();
    expect(updates.has(a)).toBe(false);
    expect(lb.tradesSince(a, 0)).toEqual([]);
    // The server's view agrees: one orderbook_delta subscription carrying exactly the scope.
    const subs = await lb.ws.listSubscriptions();
    expect(subs.map((s) => s.channel).sort()).toEqual(["orderbook_delta", "trade"]);
  });

  test("an empty scope drops the subscriptions; a new one subscribes again", async () => {
    await lb.updateScope([]);
    expect(lb.trustedCount).toBe(0);
    expect(await lb.ws.listSubscriptions()).toEqual([]);
    await lb.updateScope(env.tickers.slice(6, 9));
    await eventually("books trusted again", () => lb.trustedCount === 3);
    await drive(env, 20);
    await expectMatchesRest(lb, env, lb.scope());
  });

  test("concurrent scope changes are serialized and end in the last one", async () => {
    const p1 = lb.updateScope(env.tickers.slice(0, 4));
    const p2 = lb.updateScope(env.tickers.slice(2, 7));
    await Promise.all([p1, p2]);
    expect(lb.scope().sort()).toEqual(env.tickers.slice(2, 7));
    await eventually("books trusted", () => lb.trustedCount === 5);
    await drive(env, 10);
    await expectMatchesRest(lb, env, lb.scope());
  });
});

describe("LiveBooks under WebSocket faults", () => {
  test("skipped seq numbers: the book is untrusted at once, re-snapshotted, and equals REST again", async () => {
    const env = await startEnv("ws_skip_seq=0.03", 3);
    const lb = await LiveBooks.open({ wsOptions: wsOptions(env), tickers: env.tickers.slice(0, 8), ownOrders: false });
    try {
      const untrustedSeen: boolean[] = [];
      lb.onUpdate((t, cause: LiveUpdateCause) => {
        // Checked synchronously, inside the notification: the stale book must not be served.
        if (cause === "untrusted") untrustedSeen.push(lb.view(t).trusted);
      });
      await eventually("some books trusted", () => lb.trustedCount > 0);
      await drive(env, 60);
      await eventually("a gap happened", () => lb.stats.gaps > 0);
      expect(untrustedSeen.length).toBeGreaterThan(0);
      expect(untrustedSeen.every((t) => t === false)).toBe(true);
      // Quiet exchange: re-snapshots settle (their own seq may be skipped too; KalshiWs asks again).
      await eventually("all books trusted again", () => lb.trustedCount === 8, 10_000);
      await expectMatchesRest(lb, env, lb.scope());
      expect(lb.tradesCoveredSince(lb.scope()[0]!)).not.toBeNull();
    } finally {
      lb.close();
      await env.sim.stop();
    }
  });

  test("forced disconnects: every book untrusted while down, recovered after the reconnect, fills flagged for REST", async () => {
    const env = await startEnv("ws_disconnect=0.004", 5);
    const lb = await LiveBooks.open({ wsOptions: wsOptions(env), tickers: env.tickers.slice(0, 8) }).catch(async (e) => {
      await env.sim.stop();
      throw e;
    });
    try {
      let downViews = 0;
      let servedWhileDown = 0;
      lb.onUpdate((t, cause) => {
        if (cause !== "untrusted" || lb.ws.connected) return;
        downViews++;
        if (lb.view(t).trusted || lb.trustedCount !== 0) servedWhileDown++;
      });
      for (let i = 0; i < 20 && lb.stats.disconnects === 0; i++) await drive(env, 10);
      expect(lb.stats.disconnects).toBeGreaterThan(0);
      expect(downViews).toBeGreaterThan(0);
      expect(servedWhileDown).toBe(0);
      expect(lb.fillGap).toBe(true);
      await eventually("reconnected and all books trusted", () => lb.ws.connected && lb.trustedCount === 8, 10_000);
      await expectMatchesRest(lb, env, lb.scope());
      expect(lb.ws.stats.reconnects).toBeGreaterThan(0);
      lb.clearFillGap();
      expect(lb.fillGap).toBe(false);
      await eventually("trade feed covered again", () => lb.scope().every((t) => lb.tradesCoveredSince(t) !== null));
    } finally {
      lb.close();
      await env.sim.stop();
    }
  });
});

describe("LiveBooks with a borrowed connection", () => {
  test("close() unsubscribes but leaves the caller's KalshiWs open", async () => {
    const env = await startEnv(undefined, 13);
    const { KalshiWs } = await import("../../src/kalshi/ws.ts");
    const ws = new KalshiWs(wsOptions(env));
    try {
      const lb = await LiveBooks.open({ ws, tickers: env.tickers.slice(0, 2) });
      await eventually("trusted", () => lb.trustedCount === 2);
      expect((await ws.listSubscriptions()).length).toBe(4);
      lb.close();
      await eventually("unsubscribed", async () => (await ws.listSubscriptions()).length === 0);
      expect(ws.connected).toBe(true);
      expect(lb.view(env.tickers[0]!)).toMatchObject({ trusted: false, reason: "closed" });
      expect(lb.trustedCount).toBe(0);
    } finally {
      ws.close();
      await env.sim.stop();
    }
  });
});
