// Where Kalshi's published contract differs from what the client used to do, each through a real
// HTTP exchange: the in-process local exchange (which follows the contract: shards, per-item batch
// billing) or a loopback server answering what the contract allows.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { KalshiClient, type CreateOrderInput } from "../../src/kalshi/client.ts";
import { KalshiApiError } from "../../src/kalshi/errors.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { LiveTransport, packBatches } from "../../src/engine/live-transport.ts";
import type { OrderRequest } from "../../src/engine/transport.ts";
import { json, RecordingServer, testKeys } from "./helpers.ts";
import { startRecordingProxy, type RecordingProxy } from "../contract/recording-proxy.ts";

const keys = testKeys();
const kp = generateKeyPair();
const key = privateKeyFromPem(kp.privateKeyPem);
const clock = new ManualClock(Date.UTC(2026, 5, 10, 13, 0, 0));
let sim: SimServer;
let proxy: RecordingProxy;
const servers: RecordingServer[] = [];

beforeAll(async () => {
  sim = await startSimServer({
    port: 0,
    seed: 7,
    clock,
    quiet: true,
    tier: "basic",
    accounts: [{ apiKeyId: "me", publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  proxy = startRecordingProxy(new URL(sim.baseUrl).origin);
});
afterAll(async () => {
  for (const s of servers) s.stop();
  proxy.stop();
  await sim.stop();
});

function loopback(handler: ConstructorParameters<typeof RecordingServer>[0]): RecordingServer {
  const s = new RecordingServer(handler);
  servers.push(s);
  return s;
}
const simClient = (extra: Partial<ConstructorParameters<typeof KalshiClient>[0]> = {}) =>
  new KalshiClient({ baseUrl: proxy.baseUrl, apiKeyId: "me", privateKey: key, tier: "basic", ...extra });
const restingBid = (ticker: string, price = 100): CreateOrderInput => ({
  ticker,
  side: "bid",
  price,
  count: COUNT_ONE,
  time_in_force: "good_till_canceled",
  self_trade_prevention_type: "maker",
});
const shardOneTicker = () => [...sim.exchange.markets.values()].find((m) => m.exchangeIndex === 1 && m.status === "active")!.ticker;

async function rejected(p: Promise<unknown>): Promise<KalshiApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KalshiApiError) return e;
    throw e;
  }
  throw new Error("expected a KalshiApiError");
}

describe("shard routing (exchange_index)", () => {
  test("the local exchange puts a series on shard 1 and answers 404 to a cancel that does not name the market", async () => {
    const raw = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: "me", privateKey: key, tier: "basic" });
    const t = shardOneTicker();
    const o = await raw.createOrder(restingBid(t));
    // Called with no market: Kalshi searches the default shard only.
    const e = await rejected(raw.cancelOrder(o.order_id, {}));
    expect(e.status).toBe(404);
    const batch = await raw.batchCancelOrders([{ order_id: o.order_id }]);
    expect(batch.orders[0]!.error?.code).toBe("not_found");
    await raw.cancelOrder(o.order_id, { market_ticker: t });
  });

  test("the client reads exchange_index from markets and sends market_ticker + exchange_index on cancel, batch cancel and decrease", async () => {
    const c = simClient();
    const t = shardOneTicker();
    const [m] = (await c.listMarkets({ tickers: [t] })).items;
    expect(m!.exchange_index).toBe(1);
    expect(c.shardOf(t)).toBe(1);
    const tr = new LiveTransport(c);
    const [a, b, d] = await tr.create([1, 2, 3].map((i) => req(t, i)));
    expect([a!.kind, b!.kind, d!.kind]).toEqual(["accepted", "accepted", "accepted"]);
    const id = (x: typeof a) => (x!.kind === "accepted" ? x!.orderId : "");
    proxy.rec.rest.length = 0;
    expect((await tr.decrease({ orderId: id(d), ticker: t }, 50)).kind).toBe("ok");
    expect((await tr.cancel([{ orderId: id(a), ticker: t }])).map((o) => o.kind)).toEqual(["ok"]);
    expect(
      (
        await tr.cancel([
          { orderId: id(b), ticker: t },
          { orderId: id(d), ticker: t },
        ])
      ).map((o) => o.kind),
    ).toEqual(["ok", "ok"]);
    const [dec, one, many] = proxy.rec.rest;
    expect(dec!.requestBody).toMatchObject({ market_ticker: t, exchange_index: 1 });
    expect(new URL(`http://x${one!.path}`).searchParams.get("market_ticker")).toBe(t);
    expect(new URL(`http://x${one!.path}`).searchParams.get("exchange_index")).toBe("1");
    expect((many!.requestBody as { orders: unknown[] }).orders).toEqual([
      { order_id: id(b), market_ticker: t, exchange_index: 1 },
      { order_id: id(d), market_ticker: t, exchange_index: 1 },
    ]);
  });
});

function req(ticker: string, i: number, groupKey: string | null = null): OrderRequest {
  return {
    clientOrderId: crypto.randomUUID(),
    ticker,
    eventTicker: "",
    side: "bid",
    price: 100 * (1 + (i % 20)),
    count: COUNT_ONE,
    timeInForce: "good_till_canceled",
    postOnly: false,
    reduceOnly: false,
    orderGroupId: null,
    groupKey,
  };
}

describe("batch creates sized by the write bucket (Basic: 100 tokens, 10 per order)", () => {
  test("packing keeps every set whole and no batch over the limit", () => {
    const rs = [
      ...[0, 1, 2].map((i) => ({ id: `a${i}`, groupKey: "A" })),
      ...[0, 1, 2, 3].map((i) => ({ id: `s${i}`, groupKey: null })),
      ...[0, 1, 2, 3, 4].map((i) => ({ id: `b${i}`, groupKey: "B" })),
    ];
    const { batches, tooLarge } = packBatches(rs, 5);
    expect(tooLarge).toEqual([]);
    expect(batches.every((b) => b.length <= 5)).toBe(true);
    for (const k of ["A", "B"]) expect(batches.filter((b) => b.some((r) => r.groupKey === k)).length).toBe(1);
    expect(batches.flat().length).toBe(rs.length);
    expect(packBatches([{ groupKey: "C" }, { groupKey: "C" }, { groupKey: "C" }], 2).tooLarge.length).toBe(1);
  });

  test("the limiter refuses a request whose cost exceeds the bucket's capacity, before sending it", async () => {
    const s = loopback(() => json({ orders: [] }, 201));
    const c = new KalshiClient({ baseUrl: s.url, apiKeyId: "k", privateKey: keys.privateKey, tier: "basic" });
    expect(c.maxBatchCreate()).toBe(10);
    const e = await rejected(c.batchCreateOrders(Array.from({ length: 11 }, () => restingBid("KXT-1"))));
    expect(e.code).toBe("exceeds_bucket_capacity");
    expect(e.outcome).toBe("rejected");
    expect(s.hits.length).toBe(0);
  });

  test("the local exchange bills each batch item: 11 orders on Basic are a 429", async () => {
    const r = await fetch(`${sim.baseUrl}/portfolio/events/orders/batched`, { method: "POST" });
    expect(r.status).toBe(401); // sanity: the route is there and signed
    const raw = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: "me", privateKey: key, tier: "prime", maxAttempts: 1 });
    const t = shardOneTicker();
    const e = await rejected(raw.batchCreateOrders(Array.from({ length: 11 }, () => restingBid(t))));
    expect(e.status).toBe(429);
  });

  test("16 orders in sets of 4 on Basic: batches of at most 10 orders, no set split, every order placed", async () => {
    const c = simClient();
    await Bun.sleep(1_100); // the Basic write bucket refills after the previous test's batch
    const t = shardOneTicker();
    proxy.rec.rest.length = 0;
    const reqs = [0, 1, 2, 3].flatMap((g) => [0, 1, 2, 3].map((i) => req(t, g * 4 + i, `set${g}`)));
    const out = await new LiveTransport(c).create(reqs);
    expect(out.map((o) => o.kind)).toEqual(reqs.map(() => "accepted"));
    const batches = proxy.rec.rest
      .filter((r) => r.method === "POST" && r.path.endsWith("/batched"))
      .map((r) => (r.requestBody as { orders: Array<{ client_order_id: string }> }).orders.map((o) => o.client_order_id));
    expect(batches.length).toBe(2);
    expect(batches.every((b) => b.length <= 10)).toBe(true);
    for (let g = 0; g < 4; g++) {
      const ids = new Set(reqs.slice(g * 4, g * 4 + 4).map((r) => r.clientOrderId));
      expect(batches.filter((b) => b.some((id) => ids.has(id))).length).toBe(1);
    }
    await c.cancelAllOrders();
  });
});

describe("what the contract allows in answers", () => {
  test("order-group trigger and reset send a JSON body {} as the SDK does", async () => {
    const s = loopback(() => json({}));
    const c = new KalshiClient({ baseUrl: s.url, apiKeyId: "k", privateKey: keys.privateKey });
    await c.triggerOrderGroup("g1");
    await c.resetOrderGroup("g1");
    expect(s.hits.map((h) => [h.method, h.body, h.headers.get("content-type")])).toEqual([
      ["PUT", "{}", "application/json"],
      ["PUT", "{}", "application/json"],
    ]);
  });

  test("an orderbook answer without orderbook_fp is an error, never an empty book", async () => {
    const s = loopback(() => json({ orderbook: { yes: [[47, 300]], no: null } }));
    const c = new KalshiClient({ baseUrl: s.url, apiKeyId: "k", privateKey: keys.privateKey });
    const e = await rejected(c.getOrderbook("KXT-1"));
    expect(e.kind).toBe("invalid_response");
    expect(e.message).toMatch(/orderbook_fp/);
  });

  test("one malformed market, order or fill is skipped and reported once with its id; the page is used", async () => {
    const markets = (await simClient().listMarkets({ limit: 3 })).items;
    const raw = (await (await fetch(`${sim.baseUrl}/markets?limit=3`)).json()) as { markets: Array<Record<string, unknown>> };
    raw.markets[1] = { ...raw.markets[1], yes_bid_dollars: "abc" };
    const s = loopback((req) => {
      const p = new URL(req.url).pathname;
      if (p.endsWith("/markets")) return json({ ...raw, cursor: "" });
      if (p.endsWith("/portfolio/orders")) return json({ orders: [{ order_id: "bad-order" }], cursor: "" });
      return json({ fills: [{ fill_id: "bad-fill", order_id: "o" }], cursor: "" });
    });
    const logs: string[] = [];
    const c = new KalshiClient({
      baseUrl: s.url,
      apiKeyId: "k",
      privateKey: keys.privateKey,
      logger: (lvl, m) => lvl === "warn" && logs.push(m),
    });
    for (let i = 0; i < 2; i++) {
      const page = await c.listMarkets({ limit: 3 });
      expect(page.items.map((m) => m.ticker)).toEqual([markets[0]!.ticker, markets[2]!.ticker]);
    }
    expect((await c.listOrders()).items).toEqual([]);
    expect((await c.listFills()).items).toEqual([]);
    expect(logs.filter((l) => l.includes(markets[1]!.ticker)).length).toBe(1);
    expect(logs.some((l) => l.includes("order bad-order"))).toBe(true);
    expect(logs.some((l) => l.includes("fill bad-fill"))).toBe(true);
    expect(c.skippedItems).toBe(4);
  });
});
