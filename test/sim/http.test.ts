// Auth, paging, error shapes, idempotency, legacy endpoints, token buckets, faults, determinism.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ManualClock } from "../../src/sim/clock.ts";
import { parseFaults } from "../../src/sim/faults.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { createPrivateKey } from "node:crypto";
import { Client, handScenario, testKeys, T_BIN } from "./helpers.ts";

const servers: SimServer[] = [];
async function start(o: Parameters<typeof startSimServer>[0]) {
  const k = testKeys();
  const s = await startSimServer({
    quiet: true,
    accounts: [{ apiKeyId: "key-a", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 }],
    ...o,
  });
  servers.push(s);
  return { s, a: new Client(s.baseUrl, "key-a", k.privateKeyPem) };
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});
const order = (extra: Record<string, unknown> = {}) => ({
  ticker: T_BIN,
  side: "bid",
  count: "1.00",
  price: "0.1000",
  time_in_force: "good_till_canceled",
  self_trade_prevention_type: "taker_at_cross",
  client_order_id: crypto.randomUUID(),
  ...extra,
});

describe("authentication", () => {
  let a: Client;
  beforeAll(async () => {
    ({ a } = await start({ scenario: handScenario(), tier: "unlimited" }));
  });

  test("timestamp window: ±5 s accepted; −30 s, ±5 min rejected with header_timestamp_expired", async () => {
    const now = Date.now();
    expect((await a.get("/portfolio/balance", { nowMs: now - 5_000 })).status).toBe(200);
    expect((await a.get("/portfolio/balance", { nowMs: now + 5_000 })).status).toBe(200);
    for (const skew of [-30_000, -300_000, 300_000]) {
      const r = await a.get("/portfolio/balance", { nowMs: now + skew });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: "header_timestamp_expired", message: "header timestamp expired" } });
    }
  });

  test("missing signature, unknown key, bad signature: Kalshi's 401 bodies", async () => {
    const missing = await a.get("/portfolio/balance", { sign: false });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: "signature_is_missing_from_headers", message: "signature is missing from headers" } });
    const other = new Client(a.baseUrl, "00000000-0000-0000-0000-000000000000", testKeys().privateKeyPem);
    expect((await other.get("/portfolio/balance")).body).toEqual({
      error: { code: "authentication_error", message: "authentication_error", details: "NOT_FOUND" },
    });
    const ts = String(Date.now());
    const r = await fetch(`${a.baseUrl}/portfolio/balance`, {
      headers: {
        "KALSHI-ACCESS-KEY": "key-a",
        "KALSHI-ACCESS-TIMESTAMP": ts,
        "KALSHI-ACCESS-SIGNATURE": Buffer.from("x".repeat(256)).toString("base64"),
      },
    });
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({
      error: { code: "authentication_error", message: "authentication_error", details: "INCORRECT_API_KEY_SIGNATURE" },
    });
  });

  test("the signature covers the path without the query", async () => {
    expect((await a.get("/portfolio/orders?limit=5&status=resting")).status).toBe(200);
  });

  test("public market data answers without a signature", async () => {
    for (const p of [
      "/exchange/status",
      "/markets?limit=2",
      `/markets/${T_BIN}`,
      "/markets/trades?limit=3",
      "/series",
      "/events",
      `/markets/${T_BIN}/orderbook`,
      "/account/endpoint_costs",
    ]) {
      expect([p, (await a.get(p, { sign: false })).status]).toEqual([p, 200]);
    }
  });
});

describe("lists, errors and idempotency", () => {
  let a: Client;
  beforeAll(async () => {
    ({ a } = await start({ markets: 120, seed: 5, tier: "unlimited", clock: new ManualClock() }));
  });

  test('walking /markets to the end: opaque cursors, last page cursor ""', async () => {
    const seen = new Set<string>();
    let cursor = "";
    let pages = 0;
    do {
      const r = await a.get(`/markets?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      for (const m of r.body.markets) seen.add(m.ticker);
      cursor = r.body.cursor;
      expect(typeof cursor).toBe("string");
      pages++;
    } while (cursor);
    expect(seen.size).toBe(120);
    expect(pages).toBe(3);
  });

  test("garbage cursor silently restarts; limit over the max is a bare 400", async () => {
    const g = await a.get("/markets?limit=5&cursor=garbage-cursor-fixture");
    expect(g.status).toBe(200);
    expect(g.body.markets.length).toBe(5);
    const over = await a.get("/markets?limit=1001");
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      msg: "Parameter validation failed for GetMarkets: Key: 'GetMarketsParams.Limit' Error:Field validation for 'Limit' failed on the 'lte' tag",
    });
    expect((await a.get("/events?limit=201")).status).toBe(400);
  });

  test("numeric JSON where Kalshi wants strings is the flat 400", async () => {
    const ticker = (await a.get("/markets?status=open&limit=1")).body.markets[0].ticker;
    const r = await a.post("/portfolio/events/orders", order({ ticker, count: 1, price: 0.01 }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: "bad_request",
      message: "bad request",
      details: "json: cannot unmarshal number into Go struct field CreateOrderV2Request.count of type string",
    });
  });

  test("a client_order_id is spent forever, even after cancel: 409", async () => {
    const ticker = (await a.get("/markets?status=open&limit=1")).body.markets[0].ticker;
    const body = order({ ticker, price: "0.0100" });
    const r = await a.post("/portfolio/events/orders", body);
    expect(r.status).toBe(201);
    const dup = await a.post("/portfolio/events/orders", body);
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ error: { code: "order_already_exists", message: "order already exists", service: "exchange" } });
    expect((await a.del(`/portfolio/events/orders/${r.body.order_id}`)).status).toBe(200);
    expect((await a.post("/portfolio/events/orders", body)).status).toBe(409);
    expect((await a.del("/portfolio/events/orders/00000000-0000-0000-0000-000000000000")).body).toEqual({
      error: { code: "not_found", message: "not found", service: "exchange" },
    });
  });

  test("legacy create and cancel on /portfolio/orders", async () => {
    const ticker = (await a.get("/markets?status=open&limit=1")).body.markets[0].ticker;
    const c = await a.post("/portfolio/orders", {
      action: "buy",
      client_order_id: crypto.randomUUID(),
      count: 1,
      side: "yes",
      ticker,
      yes_price: 1,
    });
    expect(c.status).toBe(201);
    expect(c.body.order).toMatchObject({
      status: "resting",
      yes_price_dollars: "0.0100",
      no_price_dollars: "0.9900",
      side: "yes",
      action: "buy",
      type: "limit",
    });
    const d = await a.del(`/portfolio/orders/${c.body.order.order_id}`);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ reduced_by_fp: "1.00", order: { status: "canceled", remaining_count_fp: "0.00" } });
  });

  test("V2 amend and decrease", async () => {
    const ticker = (await a.get("/markets?status=open&limit=200")).body.markets.find((m: any) => m.yes_ask_dollars > "0.1000").ticker;
    const r = await a.post("/portfolio/events/orders", order({ ticker, price: "0.0200", count: "5.00" }));
    const d = await a.post(`/portfolio/events/orders/${r.body.order_id}/decrease`, { reduce_by: "2.00" });
    expect(d.body.remaining_count).toBe("3.00");
    const am = await a.post(`/portfolio/events/orders/${r.body.order_id}/amend`, { ticker, side: "bid", price: "0.0300", count: "4.00" });
    expect(am.status).toBe(200);
    expect(am.body.remaining_count).toBe("4.00");
    const o = (await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order;
    expect(o).toMatchObject({ yes_price_dollars: "0.0300", remaining_count_fp: "4.00" });
  });

  test("order groups: a triggered group cancels its orders and refuses new ones", async () => {
    const ticker = (await a.get("/markets?status=open&limit=1")).body.markets[0].ticker;
    const g = await a.post("/portfolio/order_groups/create", { contracts_limit: 5 });
    expect(g.status).toBe(201);
    const id = g.body.order_group_id;
    const r = await a.post("/portfolio/events/orders", order({ ticker, price: "0.0200", order_group_id: id }));
    expect((await a.call("PUT", `/portfolio/order_groups/${id}/trigger`)).status).toBe(200);
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.status).toBe("canceled");
    expect((await a.post("/portfolio/events/orders", order({ ticker, price: "0.0200", order_group_id: id }))).status).toBe(400);
  });
});

describe("token buckets", () => {
  test('basic tier: 200 read tokens at 10 each, then 429 {"error":"too many requests"} without headers', async () => {
    const { a } = await start({ scenario: handScenario(), tier: "basic" });
    // Sent at once: the bucket refills 200 tokens a second in real time, so a slow machine answering
    // one by one could refill between them. 100 reads cost 1,000 tokens; only a burst slower than 4 s
    // could be served whole. The first 20 always fit (the bucket starts full and only refills).
    const answers = await Promise.all(Array.from({ length: 100 }, () => a.get("/portfolio/balance")));
    const ok = answers.filter((r) => r.status === 200).length;
    const limited = answers.filter((r) => r.status === 429);
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(limited.length).toBeGreaterThan(0);
    expect(ok + limited.length).toBe(100);
    expect(limited[0]!.body).toEqual({ error: "too many requests" });
    expect(limited[0]!.headers.get("retry-after")).toBeNull();
    await new Promise((r) => setTimeout(r, 250));
    expect((await a.get("/portfolio/balance")).status).toBe(200);
  });
});

describe("faults", () => {
  test("the spec parser names unknown faults and bad rates", () => {
    expect(
      parseFaults("429=0.1,500=0.05,slow=0.05,timeout=0.02,drop_after_accept=0.05,ws_disconnect=0.01,ws_skip_seq=0.01").http["429"],
    ).toBe(0.1);
    expect(() => parseFaults("teapot=0.1")).toThrow(/unknown fault/);
    expect(() => parseFaults("429=2")).toThrow(/between 0 and 1/);
  });

  test("429 and 500 at rate 1 answer every request that way", async () => {
    const { a } = await start({ scenario: handScenario(), tier: "unlimited", faults: "429=1" });
    expect((await a.get("/exchange/status")).body).toEqual({ error: "too many requests" });
    const { a: b } = await start({ scenario: handScenario(), tier: "unlimited", faults: "500=1" });
    expect((await b.get("/exchange/status")).status).toBe(500);
  });

  test("drop_after_accept: the order exists although the connection died", async () => {
    const { s, a } = await start({ scenario: handScenario(), tier: "unlimited", faults: "drop_after_accept=1" });
    const body = order();
    await expect(a.post("/portfolio/events/orders", body)).rejects.toThrow();
    const acct = s.exchange.accountsByKey.get("key-a")!;
    expect(acct.clientOrderIds.has(body.client_order_id)).toBe(true);
    expect((await a.get("/portfolio/orders?status=resting")).body.orders.length).toBe(1);
  });

  test("slow answers arrive late; faults are deterministic for a seed", async () => {
    const { a } = await start({ scenario: handScenario(), tier: "unlimited", faults: "slow=1,slow_ms=300" });
    const t = performance.now();
    expect((await a.get("/exchange/status")).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(250);
    const run = async () => {
      const { a: c } = await start({ scenario: handScenario(), tier: "unlimited", faults: "429=0.3,500=0.2", seed: 42 });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await c.get("/exchange/status")).status);
      return out;
    };
    const [x, y] = [await run(), await run()];
    expect(x).toEqual(y);
    expect(new Set(x).size).toBe(3);
  });
});

describe("determinism", () => {
  test("the same seed replays the same market; another seed does not", async () => {
    const run = async (seed: number) => {
      const clock = new ManualClock();
      const { s } = await start({ seed, clock, tier: "unlimited" });
      for (let i = 0; i < 120; i++) {
        clock.advance(1000);
        s.tick();
      }
      const ex = s.exchange;
      return JSON.stringify({
        trades: ex.trades.map((t) => [t.ticker, t.price, t.count, t.tsMs, t.tradeId]),
        tickers: [...ex.markets.keys()],
        books: [...ex.markets.keys()].map((t) => ex.top(t)),
      });
    };
    const a1 = await run(9);
    const a2 = await run(9);
    const b = await run(10);
    expect(a1).toEqual(a2);
    expect(a1).not.toEqual(b);
    expect(JSON.parse(a1).trades.length).toBeGreaterThan(20);
  });

  test("src/sim never uses Math.random", () => {
    const dir = join(import.meta.dir, "../../src/sim");
    for (const f of readdirSync(dir))
      expect([f, /Math\.random/.test(readFileSync(join(dir, f), "utf8").replace(/\/\/.*$/gm, ""))]).toEqual([f, false]);
  });
});

describe("more faults and order expiry", () => {
  test("timeout: the answer never comes and the connection is dropped after timeout_ms", async () => {
    const { a } = await start({ scenario: handScenario(), tier: "unlimited", faults: "timeout=1,timeout_ms=300" });
    const t = performance.now();
    await expect(a.get("/exchange/status")).rejects.toThrow();
    expect(performance.now() - t).toBeGreaterThanOrEqual(250);
  });

  test("ws_skip_seq leaves gaps in seq; ws_disconnect closes the socket", async () => {
    const { s } = await start({ scenario: handScenario(), tier: "unlimited", faults: "ws_skip_seq=0.5", seed: 3 });
    const { authHeaders, privateKeyFromPem } = await import("../../src/kalshi/signer.ts");
    const hdr = () => authHeaders("key-a", privateKeyFromPem(testKeys().privateKeyPem), "GET", "/trade-api/ws/v2");
    const ws = new WebSocket(s.wsUrl, { headers: hdr() } as any);
    const frames: any[] = [];
    ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
    await new Promise<void>((r) => (ws.onopen = () => r()));
    ws.send(JSON.stringify({ id: 1, cmd: "subscribe", params: { channels: ["orderbook_delta"], market_tickers: [T_BIN] } }));
    while (!frames.some((f) => f.type === "orderbook_snapshot")) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 10; i++)
      s.exchange.placeOrder(s.exchange.accountsByKey.get("key-a")!.userId, {
        ticker: T_BIN,
        side: "bid",
        price: 1000 + i * 100,
        count: 100,
        tif: "good_till_canceled",
        stp: "taker_at_cross",
      });
    await new Promise((r) => setTimeout(r, 200));
    const seqs = frames.filter((f) => typeof f.seq === "number").map((f) => f.seq as number);
    expect(seqs.length).toBe(11);
    expect(seqs.some((x, i) => i > 0 && x !== seqs[i - 1]! + 1)).toBe(true);
    ws.close();

    const { s: s2 } = await start({ scenario: handScenario(), tier: "unlimited", faults: "ws_disconnect=1" });
    const ws2 = new WebSocket(s2.wsUrl, { headers: hdr() } as any);
    const closed = new Promise<void>((r) => (ws2.onclose = () => r()));
    await new Promise<void>((r) => (ws2.onopen = () => r()));
    ws2.send(JSON.stringify({ id: 1, cmd: "subscribe", params: { channels: ["ticker"] } }));
    await closed;
  });

  test("good_till_canceled with expiration_time is cancelled when it expires (sim time)", async () => {
    const clock = new ManualClock();
    const { s, a } = await start({ scenario: handScenario(), tier: "unlimited", clock });
    const exp = Math.floor(clock.now() / 1000) + 60;
    const r = await a.post("/portfolio/events/orders", order({ expiration_time: exp }));
    expect(r.status).toBe(201);
    expect((await a.post("/portfolio/events/orders", order({ expiration_time: exp, time_in_force: "immediate_or_cancel" }))).status).toBe(
      400,
    );
    clock.advance(61_000);
    s.tick();
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.status).toBe("canceled");
    expect(s.accountSnapshot("key-a")!.reservedMicros).toBe(0);
  });
});

describe("batches", () => {
  test("batch create answers 201 with per-item results and errors; batch cancel; costs count per item", async () => {
    const { a } = await start({ scenario: handScenario(), tier: "basic" });
    const dupId = crypto.randomUUID();
    const r = await a.post("/portfolio/events/orders/batched", {
      orders: [order({ client_order_id: dupId }), order({ client_order_id: dupId }), order({ price: "0.1050" })],
    });
    expect(r.status).toBe(201);
    expect(r.body.orders[0].remaining_count).toBe("1.00");
    expect(r.body.orders[1].error.code).toBe("order_already_exists");
    expect(r.body.orders[2].error.code).toBe("invalid_price");
    const c = await a.del("/portfolio/events/orders/batched", { orders: [{ order_id: r.body.orders[0].order_id }, { order_id: "nope" }] });
    expect(c.status).toBe(200);
    expect(c.body.orders[0].reduced_by).toBe("1.00");
    expect(c.body.orders[1].error.code).toBe("not_found");
    // Basic write bucket: 100 tokens; 11 V2 creates at 10 each do not fit in one batch.
    const big = await a.post("/portfolio/events/orders/batched", { orders: Array.from({ length: 11 }, () => order()) });
    expect(big.status).toBe(429);
  });
});

describe("events and positions paging (keyset cursors)", () => {
  let s: SimServer;
  let a: Client;
  /** Buy 1 YES at the ask; false when the book has none left (the clock does not move, makers do not requote). */
  const tryBuy = async (ticker: string) => {
    const m = (await a.get(`/markets/${ticker}`)).body.market;
    if (m.yes_ask_dollars === "0.0000" || m.yes_ask_dollars === "1.0000") return false;
    const r = await a.post(
      "/portfolio/events/orders",
      order({ ticker, count: "1.00", price: m.yes_ask_dollars, time_in_force: "immediate_or_cancel" }),
    );
    expect([ticker, r.status]).toEqual([ticker, 201]);
    return r.body.fill_count === "1.00";
  };
  const buy = async (ticker: string) => expect([ticker, await tryBuy(ticker)]).toEqual([ticker, true]);
  /** Every page of `path` (which has no query yet or ends in one) at `limit`, items by `pick`. */
  async function walk(path: string, limit: number, pick: (b: any) => any[], between?: (page: number, body: any) => void | Promise<void>) {
    const pages: any[] = [];
    let cursor = "";
    for (let i = 0; i < 500; i++) {
      const r = await a.get(
        `${path}${path.includes("?") ? "&" : "?"}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(r.status).toBe(200);
      expect(pick(r.body).length).toBeLessThanOrEqual(limit);
      pages.push(r.body);
      cursor = r.body.cursor;
      expect(typeof cursor).toBe("string");
      if (!cursor) return pages;
      await between?.(i, r.body);
    }
    throw new Error(`${path}: no last page after 500 pages`);
  }
  /** A new event with one active market (a copy of an open market), created now. */
  let added = 0;
  const addEvent = (eventTicker: string) => {
    const ex = s.exchange;
    const base = [...ex.markets.values()].find((m) => m.status === "active")!;
    const t = `${eventTicker}-X`;
    ex.addEvent({ ...ex.events.get(base.eventTicker)!, eventTicker, marketTickers: [], updatedMs: ex.now() });
    ex.addMarket({
      ...base,
      ticker: t,
      eventTicker,
      marketId: `added-${++added}`,
      createdMs: ex.now(),
      updatedMs: ex.now(),
      volume: 0,
      volume24h: 0,
      openInterest: 0,
    });
    return eventTicker;
  };

  beforeAll(async () => {
    ({ s, a } = await start({ markets: 60, seed: 11, tier: "unlimited", clock: new ManualClock() }));
    a = new Client(s.baseUrl, "key-a", testKeys().privateKeyPem);
    // Positions in a dozen markets spread over several events (1 YES each, at the ask).
    const open = (await a.get("/markets?status=open&limit=1000")).body.markets.filter(
      (m: any) => m.yes_ask_dollars !== "0.0000" && m.yes_ask_dollars < "0.9000",
    );
    const byEvent = new Map<string, string[]>();
    for (const m of open) byEvent.set(m.event_ticker, [...(byEvent.get(m.event_ticker) ?? []), m.ticker]);
    const picked = [...byEvent.values()].slice(0, 5).flatMap((ts) => ts.slice(0, 3));
    expect(picked.length).toBeGreaterThanOrEqual(8);
    for (const t of picked) await buy(t);
  });

  test('walks at limit 1..3 equal the unpaged answer, in the same order, last page cursor ""', async () => {
    const evTickers = (b: any) => b.events.map((e: any) => e.event_ticker);
    for (const q of [
      "/events",
      "/events?status=open",
      "/events?with_nested_markets=true",
      `/events?series_ticker=${s.exchange.markets.get((await a.get("/markets?limit=1")).body.markets[0].ticker)!.seriesTicker}`,
    ]) {
      const whole = await a.get(`${q}${q.includes("?") ? "&" : "?"}limit=200`);
      expect(whole.body.cursor).toBe("");
      for (const limit of [1, 2, 3]) {
        const pages = await walk(q, limit, (b) => b.events);
        expect([q, limit, pages.flatMap(evTickers)]).toEqual([q, limit, evTickers(whole.body)]);
        if (q.includes("nested")) expect(pages.flatMap((p) => p.events)).toEqual(whole.body.events);
      }
    }
    const all = (await a.get("/events?limit=200")).body.events;
    expect(all.length).toBeGreaterThan(5);

    for (const q of [
      "/portfolio/positions",
      "/portfolio/positions?count_filter=position",
      `/portfolio/positions?event_ticker=${all[0].event_ticker}`,
    ]) {
      const whole = (await a.get(`${q}${q.includes("?") ? "&" : "?"}limit=1000`)).body;
      expect(whole.cursor).toBe("");
      for (const limit of [1, 2, 3]) {
        const pages = await walk(q, limit, (b) => b.market_positions);
        expect([q, limit, pages.flatMap((p) => p.market_positions)]).toEqual([q, limit, whole.market_positions]);
        // event_positions: each event once, on the page of its first market position, with the
        // whole event's totals, so the pages together are the unpaged list.
        expect([q, limit, pages.flatMap((p) => p.event_positions)]).toEqual([q, limit, whole.event_positions]);
        expect(pages.at(-1).cursor).toBe("");
      }
    }
    const pos = (await a.get("/portfolio/positions")).body;
    expect(pos.market_positions.length).toBeGreaterThanOrEqual(8);
    expect(pos.event_positions.length).toBeGreaterThanOrEqual(3);
    // Grouped by event, then ticker: an event's markets are together.
    const evOf = (t: string) => s.exchange.markets.get(t)!.eventTicker;
    const keys = pos.market_positions.map((p: any) => [evOf(p.ticker), p.ticker]);
    expect(keys).toEqual([...keys].sort((x: string[], y: string[]) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : x[1]! < y[1]! ? -1 : 1)));
    expect(pos.event_positions.map((e: any) => e.event_ticker)).toEqual([...new Set(keys.map((k: string[]) => k[0]))]);
  });

  test("positions opened, traded and closed during a walk: nothing repeats, nothing that was there is skipped", async () => {
    const all = (await a.get("/portfolio/positions?count_filter=position&limit=1000")).body.market_positions.map((p: any) => p.ticker);
    const held = all.filter((t: string) => s.exchange.markets.get(t)!.status === "active");
    expect(held.length).toBeGreaterThanOrEqual(8);
    const fresh = (await a.get("/markets?status=open&limit=1000")).body.markets
      .filter((m: any) => !held.includes(m.ticker) && m.yes_ask_dollars !== "0.0000" && m.yes_ask_dollars < "0.9000")
      .map((m: any) => m.ticker);
    expect(fresh.length).toBeGreaterThanOrEqual(6);
    const sell = async (ticker: string) => {
      const m = (await a.get(`/markets/${ticker}`)).body.market;
      if (m.yes_bid_dollars === "0.0000") return false;
      const r = await a.post(
        "/portfolio/events/orders",
        order({ ticker, side: "ask", count: "1.00", price: m.yes_bid_dollars, time_in_force: "immediate_or_cancel" }),
      );
      return r.status === 201 && r.body.fill_count === "1.00";
    };
    const soldOut = new Set<string>();
    const seen: string[] = [];
    let traded = 0;
    const pages = await walk(
      "/portfolio/positions?count_filter=position",
      1,
      (b) => b.market_positions,
      async (i, body) => {
        const returned = body.market_positions[0].ticker;
        seen.push(returned);
        if (i >= 6) return;
        // A new position (it may sort before or after the cursor), more of one already returned and
        // of one still ahead (both become the most recently updated), and every other page the
        // position the cursor names is closed out and leaves the count_filter.
        await buy(fresh[i]!);
        if (await tryBuy(held[0]!)) traded++;
        const ahead = held.find((t: string) => !seen.includes(t));
        if (ahead && (await tryBuy(ahead))) traded++;
        if (i % 2 === 1 && (await sell(returned)) && (await sell(returned))) soldOut.add(returned);
      },
    );
    const walked = pages.flatMap((p) => p.market_positions.map((m: any) => m.ticker));
    expect(new Set(walked).size).toBe(walked.length);
    for (const t of all) expect(walked).toContain(t);
    // Sold-out positions were returned before they left; the held[0] bought again is still there once.
    expect(soldOut.size).toBeGreaterThan(0);
    expect(traded).toBeGreaterThan(3);
    for (const t of soldOut) expect(walked).toContain(t);
    const now = (await a.get("/portfolio/positions?count_filter=position&limit=1000")).body.market_positions.map((p: any) => p.ticker);
    for (const t of soldOut) expect(now).not.toContain(t);
    // Of the new positions, exactly those sorting after the cursor at the time were walked; all exist now.
    for (const t of fresh.slice(0, 6)) expect(now).toContain(t);
    const eventsWalked = pages.flatMap((p) => p.event_positions.map((e: any) => e.event_ticker));
    expect(new Set(eventsWalked).size).toBe(eventsWalked.length);
  });

  test("events created and markets closing during a walk: nothing repeats, nothing that was there is skipped", async () => {
    const before = (await a.get("/events?limit=200")).body.events.map((e: any) => e.event_ticker);
    let n = 0;
    const pages = await walk(
      "/events",
      2,
      (b) => b.events,
      (i) => {
        if (i < 10) addEvent(`KXPAGED-${String(++n).padStart(3, "0")}`);
      },
    );
    const walked = pages.flatMap((p) => p.events.map((e: any) => e.event_ticker));
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked.slice(0, before.length)).toEqual(before);
    // New events go to the end, so the walk reaches them too.
    expect(walked.slice(before.length)).toEqual(
      Array.from({ length: walked.length - before.length }, (_, i) => `KXPAGED-${String(i + 1).padStart(3, "0")}`),
    );

    // status=open while the events already returned close and new ones open: an event that left
    // the filter shifts nothing.
    const openBefore = (await a.get("/events?status=open&limit=200")).body.events.map((e: any) => e.event_ticker);
    const closed = new Set<string>();
    const openPages = await walk(
      "/events?status=open",
      1,
      (b) => b.events,
      (i, body) => {
        // Every other page, the event just returned (the one the cursor names) closes.
        if (i % 2 === 0) {
          const returned = body.events[0].event_ticker;
          for (const t of s.exchange.events.get(returned)!.marketTickers) s.exchange.setCloseTime(t, s.exchange.now());
          s.tick();
          closed.add(returned);
        }
        if (i < 8) addEvent(`KXOPENED-${String(i).padStart(3, "0")}`);
      },
    );
    const openWalked = openPages.flatMap((p) => p.events.map((e: any) => e.event_ticker));
    expect(new Set(openWalked).size).toBe(openWalked.length);
    expect(openWalked.slice(0, openBefore.length)).toEqual(openBefore);
    expect(closed.size).toBeGreaterThan(2);
    expect(openWalked.slice(openBefore.length)).toEqual(Array.from({ length: 8 }, (_, i) => `KXOPENED-${String(i).padStart(3, "0")}`));
    const openNow = (await a.get("/events?status=open&limit=200")).body.events.map((e: any) => e.event_ticker);
    for (const t of closed) expect(openNow).not.toContain(t);
  });

  test("the bot's own client (src/kalshi/client.ts) walks events and positions to the end at any page size", async () => {
    const bot = new KalshiClient({
      baseUrl: s.baseUrl,
      apiKeyId: "key-a",
      privateKey: createPrivateKey(testKeys().privateKeyPem),
      tier: "premier",
      timeoutMs: 5_000,
    });
    const events = (await a.get("/events?limit=200&with_nested_markets=true")).body.events;
    const positions = (await a.get("/portfolio/positions?limit=1000")).body;
    expect(positions.market_positions.length).toBeGreaterThan(3);
    for (const limit of [1, 2, 3, undefined]) {
      const evs = await bot.allEvents({ with_nested_markets: true, ...(limit ? { limit } : {}) });
      expect(evs.map((e) => e.event_ticker)).toEqual(events.map((e: any) => e.event_ticker));
      const pos = await bot.allPositions(limit ? { limit } : {});
      expect(pos.market_positions.map((p) => p.ticker)).toEqual(positions.market_positions.map((p: any) => p.ticker));
      expect(pos.event_positions.map((e) => e.event_ticker)).toEqual(positions.event_positions.map((e: any) => e.event_ticker));
    }
  });

  test("limits: over the max is the bare 400 {msg}; 0 is the default page; a garbage cursor restarts from the top", async () => {
    const cases: Array<[string, string, number]> = [
      ["/events", "GetEvents", 200],
      ["/events/multivariate", "GetMultivariateEvents", 200],
      ["/portfolio/positions", "GetPositions", 1000],
    ];
    for (const [path, op, max] of cases) {
      const over = await a.get(`${path}?limit=${max + 1}`);
      expect([path, over.status, over.body]).toEqual([
        path,
        400,
        {
          msg: `Parameter validation failed for ${op}: Key: '${op}Params.Limit' Error:Field validation for 'Limit' failed on the 'lte' tag`,
        },
      ]);
      expect((await a.get(`${path}?limit=-1`)).status).toBe(400);
      expect((await a.get(`${path}?limit=${max}`)).status).toBe(200);
    }
    expect((await a.get("/events/multivariate?limit=5")).body).toEqual({ cursor: "", events: [] });
    const top = (await a.get("/events?limit=3")).body;
    expect(top.events).toHaveLength(3);
    expect(top.cursor).not.toBe("");
    expect((await a.get("/events?limit=0")).body.events.length).toBe(Math.min(200, s.exchange.events.size));
    for (const garbage of ["garbage-cursor-fixture", "CgwIuKKp0QYQ-MDV3QISJ0tYTUxCSElU", "%%%"]) {
      expect((await a.get(`/events?limit=3&cursor=${encodeURIComponent(garbage)}`)).body.events).toEqual(top.events);
    }
    const ptop = (await a.get("/portfolio/positions?limit=2")).body;
    const marketsCursor = (await a.get("/markets?limit=1")).body.cursor;
    for (const garbage of ["garbage", marketsCursor, "CgwIuKKp0QYQ-MDV3QISJ0tYTUxCSElU"]) {
      expect((await a.get(`/portfolio/positions?limit=2&cursor=${encodeURIComponent(garbage)}`)).body).toEqual(ptop);
    }
  });
});
