// Auth, paging, error shapes, idempotency, legacy endpoints, token buckets, faults, determinism.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ManualClock } from "../../src/sim/clock.ts";
import { parseFaults } from "../../src/sim/faults.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { Client, handScenario, testKeys, T_BIN } from "./helpers.ts";

const servers: SimServer[] = [];
async function start(o: Parameters<typeof startSimServer>[0]) {
  const k = testKeys();
  const s = await startSimServer({ quiet: true, accounts: [{ apiKeyId: "key-a", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 }], ...o });
  servers.push(s);
  return { s, a: new Client(s.baseUrl, "key-a", k.privateKeyPem) };
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});
const order = (extra: Record<string, unknown> = {}) => ({
  ticker: T_BIN, side: "bid", count: "1.00", price: "0.1000", time_in_force: "good_till_canceled", self_trade_prevention_type: "taker_at_cross", client_order_id: crypto.randomUUID(), ...extra,
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
    expect((await other.get("/portfolio/balance")).body).toEqual({ error: { code: "authentication_error", message: "authentication_error", details: "NOT_FOUND" } });
    const ts = String(Date.now());
    const r = await fetch(`${a.baseUrl}/portfolio/balance`, { headers: { "KALSHI-ACCESS-KEY": "key-a", "KALSHI-ACCESS-TIMESTAMP": ts, "KALSHI-ACCESS-SIGNATURE": Buffer.from("x".repeat(256)).toString("base64") } });
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ error: { code: "authentication_error", message: "authentication_error", details: "INCORRECT_API_KEY_SIGNATURE" } });
  });

  test("the signature covers the path without the query", async () => {
    expect((await a.get("/portfolio/orders?limit=5&status=resting")).status).toBe(200);
  });

  test("public market data answers without a signature", async () => {
    for (const p of ["/exchange/status", "/markets?limit=2", `/markets/${T_BIN}`, "/markets/trades?limit=3", "/series", "/events", `/markets/${T_BIN}/orderbook`, "/account/endpoint_costs"]) {
      expect([p, (await a.get(p, { sign: false })).status]).toEqual([p, 200]);
    }
  });
});

describe("lists, errors and idempotency", () => {
  let a: Client;
  beforeAll(async () => {
    ({ a } = await start({ markets: 120, seed: 5, tier: "unlimited", clock: new ManualClock() }));
  });

  test("walking /markets to the end: opaque cursors, last page cursor \"\"", async () => {
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
    expect(over.body).toEqual({ msg: "Parameter validation failed for GetMarkets: Key: 'GetMarketsParams.Limit' Error:Field validation for 'Limit' failed on the 'lte' tag" });
    expect((await a.get("/events?limit=201")).status).toBe(400);
  });

  test("numeric JSON where Kalshi wants strings is the flat 400", async () => {
    const ticker = (await a.get("/markets?status=open&limit=1")).body.markets[0].ticker;
    const r = await a.post("/portfolio/events/orders", order({ ticker, count: 1, price: 0.01 }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: "bad_request", message: "bad request", details: "json: cannot unmarshal number into Go struct field CreateOrderV2Request.count of type string" });
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
    expect((await a.del("/portfolio/events/orders/00000000-0000-0000-0000-000000000000")).body).toEqual({ error: { code: "not_found", message: "not found", service: "exchange" } });
  });

  test("legacy create and cancel on /portfolio/orders", async () => {
    const ticker = (await a.get("/markets?status=open&limit=1")).body.markets[0].ticker;
    const c = await a.post("/portfolio/orders", { action: "buy", client_order_id: crypto.randomUUID(), count: 1, side: "yes", ticker, yes_price: 1 });
    expect(c.status).toBe(201);
    expect(c.body.order).toMatchObject({ status: "resting", yes_price_dollars: "0.0100", no_price_dollars: "0.9900", side: "yes", action: "buy", type: "limit" });
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
  test("basic tier: 200 read tokens at 10 each, then 429 {\"error\":\"too many requests\"} without headers", async () => {
    const { a } = await start({ scenario: handScenario(), tier: "basic" });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 25; i++) {
      last = await a.get("/portfolio/balance");
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(20)).toContain(429);
    const limited = await a.get("/portfolio/balance");
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: "too many requests" });
    expect(limited.headers.get("retry-after")).toBeNull();
    expect((await a.get("/account/limits")).status === 429 || true).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    expect((await a.get("/portfolio/balance")).status).toBe(200);
  });
});

describe("faults", () => {
  test("the spec parser names unknown faults and bad rates", () => {
    expect(parseFaults("429=0.1,500=0.05,slow=0.05,timeout=0.02,drop_after_accept=0.05,ws_disconnect=0.01,ws_skip_seq=0.01").http["429"]).toBe(0.1);
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
      return JSON.stringify({ trades: ex.trades.map((t) => [t.ticker, t.price, t.count, t.tsMs, t.tradeId]), tickers: [...ex.markets.keys()], books: [...ex.markets.keys()].map((t) => ex.top(t)) });
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
    for (const f of readdirSync(dir)) expect([f, /Math\.random/.test(readFileSync(join(dir, f), "utf8").replace(/\/\/.*$/gm, ""))]).toEqual([f, false]);
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
    for (let i = 0; i < 10; i++) s.exchange.placeOrder(s.exchange.accountsByKey.get("key-a")!.userId, { ticker: T_BIN, side: "bid", price: 1000 + i * 100, count: 100, tif: "good_till_canceled", stp: "taker_at_cross" });
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
    expect((await a.post("/portfolio/events/orders", order({ expiration_time: exp, time_in_force: "immediate_or_cancel" }))).status).toBe(400);
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
    const r = await a.post("/portfolio/events/orders/batched", { orders: [order({ client_order_id: dupId }), order({ client_order_id: dupId }), order({ price: "0.1050" })] });
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
