import { afterAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { KalshiApiError } from "../../src/kalshi/errors.ts";
import { RateLimiter } from "../../src/kalshi/rate-limit.ts";
import { FIXTURES } from "./fixtures.ts";
import { json, RecordingServer, testKeys } from "./helpers.ts";

const keys = testKeys();
const fixture = (n: string) => JSON.parse(readFileSync(join(FIXTURES, `${n}.json`), "utf8"));
const baseMarket = fixture("markets__single").market;

const servers: Array<{ stop(): void }> = [];
afterAll(() => {
  for (const s of servers) s.stop();
});
function serve(handler: ConstructorParameters<typeof RecordingServer>[0]): RecordingServer {
  const s = new RecordingServer(handler);
  servers.push(s);
  return s;
}
function client(url: string, extra: Partial<ConstructorParameters<typeof KalshiClient>[0]> = {}): KalshiClient {
  return new KalshiClient({ baseUrl: url, apiKeyId: "test-key", privateKey: keys.privateKey, timeoutMs: 2000, backoffBaseMs: 5, ...extra });
}
const order = {
  ticker: "T",
  side: "bid",
  price: 4700,
  count: 100,
  time_in_force: "good_till_canceled",
  self_trade_prevention_type: "taker_at_cross",
} as const;

async function caught(p: Promise<unknown>): Promise<KalshiApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KalshiApiError) return e;
    throw e;
  }
  throw new Error("expected a KalshiApiError");
}

describe("pagination", () => {
  test("walks 2,500 markets at limit=1000 to the empty cursor, in order, no duplicates", async () => {
    const all = Array.from({ length: 2500 }, (_, i) => ({ ...baseMarket, ticker: `M-${i}` }));
    const s = serve((_req, hit) => {
      const limit = Number(hit.url.searchParams.get("limit") ?? 100);
      if (limit > 1000) return json({ msg: "Parameter validation failed for GetMarkets" }, 400);
      const start = Number(hit.url.searchParams.get("cursor") || 0);
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? String(start + limit) : "";
      return json({ markets: page, cursor: next });
    });
    const markets = await client(s.url).allMarkets({ status: "open" });
    expect(markets.length).toBe(2500);
    expect(new Set(markets.map((m) => m.ticker)).size).toBe(2500);
    expect(markets[2499]!.ticker).toBe("M-2499");
    expect(s.hits.map((h) => h.url.searchParams.get("limit"))).toEqual(["1000", "1000", "1000"]);
    expect(s.hits.map((h) => h.url.searchParams.get("cursor"))).toEqual([null, "1000", "2000"]);
    expect(s.hits.every((h) => h.url.searchParams.get("status") === "open")).toBe(true);
  });

  test("a server that repeats a cursor is stopped, not looped on", async () => {
    const s = serve(() => json({ markets: [baseMarket], cursor: "same" }));
    await expect(client(s.url).allMarkets()).rejects.toThrow(/cursor repeated/);
    expect(s.hits.length).toBe(2);
  });

  test("fills, orders, settlements and positions walk too", async () => {
    const s = serve((_req, hit) => {
      const cursor = hit.url.searchParams.get("cursor");
      const p = hit.url.pathname;
      if (p.endsWith("/portfolio/fills"))
        return json(cursor ? { ...fixture("fills__after_taker"), cursor: "" } : { ...fixture("fills__after_taker"), cursor: "c1" });
      if (p.endsWith("/portfolio/positions"))
        return json(cursor ? fixture("portfolio__positions") : { ...fixture("portfolio__positions"), cursor: "c1" });
      if (p.endsWith("/portfolio/settlements")) return json(fixture("settlements__page"));
      return json(fixture("portfolio__orders_list"));
    });
    const c = client(s.url);
    expect((await c.allFills()).length).toBe(6);
    const pos = await c.allPositions();
    expect(pos.market_positions.length).toBe(2);
    expect(pos.event_positions.length).toBe(2);
    expect(await c.allSettlements()).toEqual([]);
    const found = await c.findOrderByClientOrderId("4a75a66e-ca85-4187-93cd-aac5e01ad982");
    expect(found?.order_id).toBe("2597b999-f887-4195-8bac-c3f97a1f2021");
    expect(await c.findOrderByClientOrderId("nope")).toBeNull();
    expect(s.hits.find((h) => h.url.pathname.endsWith("/portfolio/fills"))!.url.searchParams.get("limit")).toBe("1000");
  });
});

describe("error shapes through the client", () => {
  const cases: Array<[string, number, string, string]> = [
    ["nested", 409, JSON.stringify(fixture("orders__duplicate_client_order_id")), "order_already_exists"],
    ["flat", 400, JSON.stringify(fixture("orders__numeric_field_types")), "bad_request"],
    ["bare", 400, JSON.stringify(fixture("markets__limit_over_max")), "parameter_validation_failed"],
    ["string", 429, '{"error":"too many requests"}', "too_many_requests"],
  ];
  for (const [label, status, body, code] of cases) {
    test(`${label} body → KalshiApiError ${code}, create not resent`, async () => {
      const s = serve(() => json(body, status));
      const e = await caught(client(s.url).createOrder({ ...order, client_order_id: "cid-1" }));
      expect([e.status, e.code, e.outcome, e.clientOrderId]).toEqual([status, code, "rejected", "cid-1"]);
      expect(e.endpoint).toBe("/portfolio/events/orders");
      expect(s.hits.length).toBe(1);
    });
  }

  test("a 2xx body missing a required field names endpoint and field", async () => {
    const { yes_bid_dollars: _, ...broken } = baseMarket;
    const s = serve(() => json({ market: broken }));
    const e = await caught(client(s.url).getMarket("X"));
    expect(e.kind).toBe("invalid_response");
    expect(e.message).toContain("/markets/{ticker}");
    expect(e.message).toContain("market.yes_bid_dollars");
  });

  test("an invalid request never leaves the process", async () => {
    const s = serve(() => json({}));
    const e = await caught(client(s.url).createOrder({ ...order, price: 10_000 }));
    expect([e.kind, e.outcome]).toEqual(["invalid_request", "rejected"]);
    expect(s.hits.length).toBe(0);
  });
});

describe("retries and unknown outcomes", () => {
  test("429 storm on reads: backs off and succeeds once the storm passes", async () => {
    const s = serve((_r, _h, n) => (n <= 3 ? json({ error: "too many requests" }, 429) : json(fixture("exchange__status"))));
    const st = await client(s.url).getExchangeStatus();
    expect(st.exchange_active).toBe(true);
    expect(s.hits.length).toBe(4);
  });

  test("a persistent 429 storm gives up within the attempt budget", async () => {
    const s = serve(() => json({ error: "too many requests" }, 429));
    const e = await caught(client(s.url, { maxAttempts: 4 }).getMarket("X"));
    expect([e.kind, e.attempts]).toEqual(["rate_limited", 4]);
    expect(s.hits.length).toBe(4);
  });

  test("503 on a cancel is retried; on a create it is not, and the outcome is unknown", async () => {
    const s = serve((req, _h, n) => {
      if (req.method === "DELETE") return n % 2 === 1 ? json({ error: { code: "unavailable" } }, 503) : json(fixture("orders__cancel_v2"));
      return json("", 503);
    });
    const c = client(s.url);
    const r = await c.cancelOrder("2597b999-f887-4195-8bac-c3f97a1f2021");
    expect(r.reduced_by).toBe(100);
    expect(s.hits.length).toBe(2);
    const e = await caught(c.createOrder({ ...order, client_order_id: "cid-503" }));
    expect([e.status, e.outcome, e.clientOrderId]).toEqual([503, "unknown", "cid-503"]);
    expect(s.hits.filter((h) => h.method === "POST").length).toBe(1);
  });

  test("timeout covers the body: a stalled body is a timeout; reads retry, creates do not", async () => {
    const stall = () =>
      new Response(
        new ReadableStream({
          start(ctl) {
            ctl.enqueue(new TextEncoder().encode('{"markets":['));
            // never closes: the body stalls after the headers
          },
        }),
        { status: 200, headers: { "content-type": "application/json" } },
      );
    const s = serve(stall);
    const c = client(s.url, { timeoutMs: 150, maxAttempts: 2 });
    const t0 = performance.now();
    const e = await caught(c.listMarkets());
    expect([e.kind, e.code, e.outcome]).toEqual(["timeout", "timeout", "unknown"]);
    expect(s.hits.length).toBe(2);
    expect(performance.now() - t0).toBeLessThan(2000);
    const e2 = await caught(c.createOrder({ ...order, client_order_id: "cid-timeout" }));
    expect([e2.kind, e2.outcome, e2.clientOrderId]).toEqual(["timeout", "unknown", "cid-timeout"]);
    expect(s.hits.filter((h) => h.method === "POST").length).toBe(1);
  });

  test("connection reset after an order POST: outcome unknown, client_order_id kept, nothing resent", async () => {
    let hits = 0;
    const listener: TCPSocketListener<undefined> = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket: Socket<undefined>, data) {
          const text = data.toString();
          if (text.includes("POST /trade-api/v2/portfolio/events/orders")) hits++;
          // The request arrived; drop the connection without a byte of answer.
          socket.terminate();
        },
      },
    });
    servers.push({ stop: () => listener.stop(true) });
    const c = client(`http://127.0.0.1:${listener.port}`);
    const e = await caught(c.createOrder({ ...order, client_order_id: "cid-reset" }));
    expect([e.kind, e.outcome, e.clientOrderId, e.status]).toEqual(["network", "unknown", "cid-reset", 0]);
    await Bun.sleep(100);
    expect(hits).toBe(1);
  });

  test("a refused connection is a rejected outcome (nothing reached the exchange)", async () => {
    const tmp = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = tmp.port;
    tmp.stop(true);
    const e = await caught(client(`http://127.0.0.1:${port}`).createOrder({ ...order }));
    expect(e.kind).toBe("network");
    expect(e.outcome).toBe("rejected");
    expect(e.clientOrderId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("all V2 writes and order groups hit the right paths with string bodies", () => {
  test("paths, methods, bodies", async () => {
    const s = serve((req, hit) => {
      const p = hit.url.pathname.replace("/trade-api/v2", "");
      if (req.method === "POST" && p === "/portfolio/events/orders/batched")
        return json(
          {
            orders: [
              { order_id: "a", client_order_id: "c1", fill_count: "0.00", remaining_count: "1.00", ts_ms: 1 },
              { error: { code: "invalid_price" } },
            ],
          },
          201,
        );
      if (req.method === "DELETE" && p === "/portfolio/events/orders/batched")
        return json({ orders: [{ order_id: "a", reduced_by: "1.00", ts_ms: 1 }] });
      if (req.method === "DELETE" && p === "/portfolio/events/orders") return new Response(null, { status: 204 });
      if (p.endsWith("/amend")) return json({ order_id: "a", remaining_count: "2.00", fill_count: "0.00", ts_ms: 2 });
      if (p.endsWith("/decrease")) return json({ order_id: "a", remaining_count: "0.50", ts_ms: 3 });
      if (p === "/portfolio/order_groups/create") return json({ order_group_id: "g1", subaccount: 0 }, 201);
      if (req.method === "GET" && p === "/portfolio/order_groups/g1")
        return json({ is_auto_cancel_enabled: true, contracts_limit_fp: "10.00", orders: ["a"] });
      if (p.startsWith("/portfolio/order_groups/g1")) return json({});
      if (p === "/account/limits") return json(fixture("account__limits"));
      if (p === "/account/endpoint_costs") return json(fixture("account__endpoint_costs"));
      return json({ msg: "unexpected" }, 418);
    });
    const c = client(s.url);
    const b = await c.batchCreateOrders([
      { ...order, client_order_id: "c1" },
      { ...order, price: 4750 },
    ]);
    expect(b.orders[0]!.remaining_count).toBe(100);
    expect(b.orders[1]!.error?.code).toBe("invalid_price");
    expect(b.orders[1]!.client_order_id).toMatch(/^[0-9a-f-]{36}$/);
    await c.batchCancelOrders([{ order_id: "a" }]);
    await c.cancelAllOrders({ subaccount: 0 });
    const a = await c.amendOrder("a", { ticker: "T", side: "bid", price: 4800, count: 200 });
    expect(a.remaining_count).toBe(200);
    const d = await c.decreaseOrder("a", { reduce_to: 50 });
    expect(d.remaining_count).toBe(50);
    expect((await c.createOrderGroup({ contracts_limit_fp: 1000 })).order_group_id).toBe("g1");
    expect((await c.getOrderGroup("g1")).contracts_limit_fp).toBe(1000);
    await c.triggerOrderGroup("g1");
    await c.resetOrderGroup("g1");
    await c.deleteOrderGroup("g1");
    expect(await c.refreshRateLimits()).toEqual({ costs: true, limits: true });
    expect(c.limiter.costOf("DELETE", "/trade-api/v2/portfolio/events/orders/xyz")).toBe(2);
    expect(c.limiter.costOf("GET", "/trade-api/v2/markets")).toBe(10);

    const seen = s.hits.map((h) => `${h.method} ${h.url.pathname.replace("/trade-api/v2", "")}`);
    expect(seen).toEqual([
      "POST /portfolio/events/orders/batched",
      "DELETE /portfolio/events/orders/batched",
      "DELETE /portfolio/events/orders",
      "POST /portfolio/events/orders/a/amend",
      "POST /portfolio/events/orders/a/decrease",
      "POST /portfolio/order_groups/create",
      "GET /portfolio/order_groups/g1",
      "PUT /portfolio/order_groups/g1/trigger",
      "PUT /portfolio/order_groups/g1/reset",
      "DELETE /portfolio/order_groups/g1",
      "GET /account/endpoint_costs",
      "GET /account/limits",
    ]);
    const bodies = s.hits.map((h) => (h.body ? JSON.parse(h.body) : null));
    expect(bodies[0].orders[1]).toMatchObject({ price: "0.4750", count: "1.00" });
    expect(bodies[3]).toEqual({ ticker: "T", side: "bid", price: "0.4800", count: "2.00" });
    expect(bodies[4]).toEqual({ reduce_to: "0.50" });
    expect(bodies[5]).toEqual({ contracts_limit_fp: "10.00" });
  });
});

describe("rate limiting", () => {
  test("an endpoint's cost, once looked up, follows a new cost table", () => {
    const limiter = new RateLimiter({ tier: "basic" });
    const amend = "/trade-api/v2/portfolio/events/orders/o-1/amend";
    expect(limiter.costOf("POST", amend)).toBe(10); // no pattern of the known table: the default
    expect(limiter.costOf("POST", amend)).toBe(10);
    limiter.setEndpointCosts({
      default_cost: 12,
      endpoint_costs: [{ method: "POST", path: "/trade-api/v2/portfolio/events/orders/:order_id/amend", cost: 25 }],
    });
    expect(limiter.costOf("POST", amend)).toBe(25);
    expect(limiter.costOf("GET", "/trade-api/v2/markets")).toBe(12);
  });

  test("requests wait for tokens instead of overdrawing the bucket", async () => {
    // A tiny 100 tokens/s budget: 10 requests of cost 10 = 1 s worth; 20 requests must take >= ~1 s beyond the burst.
    const s = serve(() => json(fixture("exchange__status")));
    const limiter = new RateLimiter({ tier: "basic", rateFactor: 0.5, burstFactor: 0.05 }); // 100 read tokens/s, burst 10
    const c = client(s.url, { rateLimiter: limiter });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 11 }, () => c.getExchangeStatus()));
    const elapsed = performance.now() - t0;
    // burst 10 covers one request; the other 10 need 100 tokens at 100/s = 1 s.
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(2500);
  });

  test("a write with tokens to spare is handed to fetch in the caller's own turn; one that must wait is not, and is sent after", async () => {
    // The daemon's requote path (book update → request) runs in one turn when nothing makes it wait:
    // a promise turn for a rate-limit check that waits for nothing let other work in before the send.
    const s = serve(() => json({ order_id: "a", remaining_count: "2.00", fill_count: "0.00", ts_ms: 2 }));
    // 10 write tokens a second, a bucket of 10 (basic tier's write budget at these factors): an amend costs 10.
    const limiter = new RateLimiter({ tier: "basic", rateFactor: 0.1, burstFactor: 0.1 });
    const c = client(s.url, { rateLimiter: limiter });
    let handed = 0;
    c.beforeFetch = () => handed++;
    const first = c.amendOrder("a", { ticker: "T", side: "bid", price: 4800, count: 200 });
    expect(handed).toBe(1);
    const second = c.amendOrder("a", { ticker: "T", side: "bid", price: 4900, count: 200 });
    expect(handed).toBe(1);
    expect((await first).remaining_count).toBe(200);
    await second;
    expect(handed).toBe(2);
    expect(s.hits.map((h) => JSON.parse(h.body!).price)).toEqual(["0.4800", "0.4900"]);
    expect(limiter.stats.waits).toBe(1);
  });

  test("a reservation whose wait is aborted gives its tokens back", async () => {
    const limiter = new RateLimiter({ tier: "basic", rateFactor: 0.1, burstFactor: 0.1 });
    const path = "/trade-api/v2/portfolio/events/orders/a/amend";
    expect(limiter.reserve("POST", path).waitedMs).toBe(0);
    const level = limiter.write.level;
    const r = limiter.reserve("POST", path);
    expect(r.waitedMs).toBeGreaterThan(0);
    const ctrl = new AbortController();
    const waiting = limiter.waitOut(r, ctrl.signal);
    ctrl.abort(new Error("gave up"));
    expect(waiting).rejects.toThrow("gave up");
    await waiting.catch(() => {});
    // Back to where it was before the second reservation (plus what refilled meanwhile).
    expect(limiter.write.level).toBeGreaterThanOrEqual(level);
    expect(limiter.write.level).toBeLessThan(level + r.cost / 2);
  });

  test("starting from a full server bucket, a long run stays under budget with zero 429s", async () => {
    let tokens = 200;
    let last = performance.now();
    let rejected = 0;
    const s = serve(() => {
      const now = performance.now();
      tokens = Math.min(200, tokens + ((now - last) * 200) / 1000);
      last = now;
      if (tokens < 10) {
        rejected++;
        return json({ error: "too many requests" }, 429);
      }
      tokens -= 10;
      return json(fixture("exchange__status"));
    });
    const c = client(s.url, { maxAttempts: 1 });
    await Promise.all(Array.from({ length: 50 }, () => c.getExchangeStatus()));
    expect(rejected).toBe(0);
    expect(s.hits.length).toBe(50);
  });

  test("orderbooks batch sends repeated tickers= parameters", async () => {
    const s = serve(() =>
      json({
        orderbooks: [
          {
            ticker: "A",
            orderbook_fp: {
              yes_dollars: [
                ["0.4000", "1.00"],
                ["0.4500", "2.00"],
              ],
              no_dollars: [],
            },
          },
        ],
      }),
    );
    const books = await client(s.url).getOrderbooks(["A", "B"]);
    expect(s.hits[0]!.url.searchParams.getAll("tickers")).toEqual(["A", "B"]);
    expect(books[0]!.yes).toEqual([
      [4500, 200],
      [4000, 100],
    ]);
  });
});
