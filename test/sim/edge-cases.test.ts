// Edge cases an acceptance tester tries, on a hand-stepped clock so time-windowed rules (order
// group windows, expirations) are exact: order-group limit trigger and limit lowering, post-only
// amend, expiration, decrease and amend edges, settlement of both outcomes to the micro.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/sim/clock.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { Client, EV_BRACKET, handScenario, testKeys, T_BIN, T_MAKERFEE } from "./helpers.ts";

let s: SimServer;
let clock: ManualClock;
let a: Client;
let b: Client;
const order = (
  ticker: string,
  side: "bid" | "ask",
  count: string,
  price: string,
  tif = "immediate_or_cancel",
  extra: Record<string, unknown> = {},
) => ({
  ticker,
  side,
  count,
  price,
  time_in_force: tif,
  self_trade_prevention_type: "taker_at_cross",
  client_order_id: crypto.randomUUID(),
  ...extra,
});
const micros = (d: string) => Math.round(Number(d) * 1e6);

beforeAll(async () => {
  const k = testKeys();
  clock = new ManualClock();
  s = await startSimServer({
    clock,
    scenario: handScenario(),
    tier: "unlimited",
    quiet: true,
    accounts: [
      { apiKeyId: "edge-a", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 },
      { apiKeyId: "edge-b", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 },
    ],
  });
  a = new Client(s.baseUrl, "edge-a", k.privateKeyPem);
  b = new Client(s.baseUrl, "edge-b", k.privateKeyPem);
});
afterAll(async () => {
  await s.stop();
});

describe("order groups", () => {
  test("matching the contracts limit inside 15 s triggers the group: its resting orders are cancelled, new ones refused", async () => {
    const g = (await a.post("/portfolio/order_groups/create", { contracts_limit: 4 })).body.order_group_id;
    const resting = await a.post(
      "/portfolio/events/orders",
      order(T_MAKERFEE, "bid", "2.00", "0.2000", "good_till_canceled", { order_group_id: g }),
    );
    expect(resting.status).toBe(201);
    // B sells 2 into it: 2 of 4 matched, not yet.
    expect((await b.post("/portfolio/events/orders", order(T_MAKERFEE, "ask", "2.00", "0.2000"))).body.fill_count).toBe("2.00");
    expect((await a.get(`/portfolio/order_groups/${g}`)).body.is_auto_cancel_enabled).toBe(false);
    // 16 s later the window has forgotten those 2; 3 more do not trip a limit of 4.
    clock.advance(16_000);
    s.tick();
    const r2 = await a.post(
      "/portfolio/events/orders",
      order(T_MAKERFEE, "bid", "3.00", "0.2000", "good_till_canceled", { order_group_id: g }),
    );
    expect((await b.post("/portfolio/events/orders", order(T_MAKERFEE, "ask", "3.00", "0.2000"))).body.fill_count).toBe("3.00");
    expect((await a.get(`/portfolio/order_groups/${g}`)).body.is_auto_cancel_enabled).toBe(false);
    // Another resting order, then 1 more matched inside the window: 3 + 1 = 4 = the limit.
    const r3 = await a.post(
      "/portfolio/events/orders",
      order(T_MAKERFEE, "bid", "5.00", "0.1900", "good_till_canceled", { order_group_id: g }),
    );
    expect((await b.post("/portfolio/events/orders", order(T_MAKERFEE, "ask", "1.00", "0.1900"))).body.fill_count).toBe("1.00");
    const info = (await a.get(`/portfolio/order_groups/${g}`)).body;
    expect(info).toMatchObject({ is_auto_cancel_enabled: true, orders: [resting.body.order_id, r2.body.order_id, r3.body.order_id] });
    expect((await a.get(`/portfolio/orders/${r3.body.order_id}`)).body.order).toMatchObject({
      status: "canceled",
      fill_count_fp: "1.00",
      remaining_count_fp: "0.00",
    });
    expect((await a.get(`/portfolio/orders/${r2.body.order_id}`)).body.order.status).toBe("executed");
    const refused = await a.post(
      "/portfolio/events/orders",
      order(T_MAKERFEE, "bid", "1.00", "0.1000", "good_till_canceled", { order_group_id: g }),
    );
    expect(refused.status).toBe(400);
  });

  test("lowering the limit to what was already matched in the window triggers the group at once", async () => {
    const g = (await a.post("/portfolio/order_groups/create", { contracts_limit_fp: "10.00" })).body.order_group_id;
    await a.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "2.00", "0.1500", "good_till_canceled", { order_group_id: g }));
    expect((await b.post("/portfolio/events/orders", order(T_MAKERFEE, "ask", "1.00", "0.1500"))).body.fill_count).toBe("1.00");
    const other = await a.post(
      "/portfolio/events/orders",
      order(T_MAKERFEE, "bid", "1.00", "0.1000", "good_till_canceled", { order_group_id: g }),
    );
    expect((await a.call("PUT", `/portfolio/order_groups/${g}/limit`, { contracts_limit_fp: "1.00" })).status).toBe(200);
    expect((await a.get(`/portfolio/order_groups/${g}`)).body).toMatchObject({ is_auto_cancel_enabled: true, contracts_limit_fp: "1.00" });
    expect((await a.get(`/portfolio/orders/${other.body.order_id}`)).body.order.status).toBe("canceled");
    // A reset re-opens it; the limit stays.
    expect((await a.call("PUT", `/portfolio/order_groups/${g}/reset`, {})).status).toBe(200);
    expect(
      (await a.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "1.00", "0.1000", "good_till_canceled", { order_group_id: g })))
        .status,
    ).toBe(201);
    await a.del("/portfolio/events/orders");
  });
});

describe("self-trade prevention", () => {
  test("maker: the own resting order is cancelled, matching continues, the rest of the taker does not rest", async () => {
    const own = await a.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "2.00", "0.3000", "good_till_canceled"));
    const other = await b.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "1.00", "0.2900", "good_till_canceled"));
    const t = await a.post("/portfolio/events/orders", {
      ...order(T_MAKERFEE, "ask", "5.00", "0.2900", "good_till_canceled"),
      self_trade_prevention_type: "maker",
    });
    expect(t.status).toBe(201);
    expect(t.body).toMatchObject({ fill_count: "1.00", remaining_count: "0.00", average_fill_price: "0.2900" });
    expect((await a.get(`/portfolio/orders/${own.body.order_id}`)).body.order).toMatchObject({
      status: "canceled",
      remaining_count_fp: "0.00",
    });
    expect((await b.get(`/portfolio/orders/${other.body.order_id}`)).body.order.status).toBe("executed");
    const book = (await a.get(`/markets/${T_MAKERFEE}/orderbook`)).body.orderbook_fp;
    expect(book).toEqual({ no_dollars: [], yes_dollars: [] });
  });

  test("taker_at_cross: the incoming order stops at its own order, keeping what it already filled", async () => {
    await b.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "1.00", "0.3100", "good_till_canceled"));
    const own = await a.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "2.00", "0.3000", "good_till_canceled"));
    await b.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "1.00", "0.2900", "good_till_canceled"));
    const t = await a.post("/portfolio/events/orders", order(T_MAKERFEE, "ask", "5.00", "0.2900", "good_till_canceled"));
    expect(t.body).toMatchObject({ fill_count: "1.00", remaining_count: "0.00", average_fill_price: "0.3100" });
    expect((await a.get(`/portfolio/orders/${own.body.order_id}`)).body.order.status).toBe("resting");
    await a.del("/portfolio/events/orders");
    await b.del("/portfolio/events/orders");
  });
});

describe("amend, decrease, expiration", () => {
  test("a post-only order cannot be amended to a crossing price", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.3000", "good_till_canceled", { post_only: true }));
    expect(r.status).toBe(201);
    const am = await a.post(`/portfolio/events/orders/${r.body.order_id}/amend`, {
      ticker: T_BIN,
      side: "bid",
      price: "0.5000",
      count: "1.00",
    });
    expect(am).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_order", message: "invalid order", details: "post only cross" } },
    });
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order).toMatchObject({
      status: "resting",
      yes_price_dollars: "0.3000",
    });
    // A non-crossing amend is fine.
    expect(
      (await a.post(`/portfolio/events/orders/${r.body.order_id}/amend`, { ticker: T_BIN, side: "bid", price: "0.3100", count: "2.00" }))
        .body,
    ).toMatchObject({ remaining_count: "2.00" });
    await a.del(`/portfolio/events/orders/${r.body.order_id}`);
  });

  test("an amend that crosses trades at once; a plain order amended across takes liquidity", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.3000", "good_till_canceled"));
    const am = await a.post(`/portfolio/events/orders/${r.body.order_id}/amend`, {
      ticker: T_BIN,
      side: "bid",
      price: "0.5000",
      count: "1.00",
    });
    expect(am.status).toBe(200);
    expect(am.body).toMatchObject({ fill_count: "1.00", remaining_count: "0.00", average_fill_price: "0.5000" });
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.status).toBe("executed");
  });

  test("decrease: reduce_to 0 cancels, reduce_by more than remains is refused, both fields at once refused", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "3.00", "0.2000", "good_till_canceled"));
    const id = r.body.order_id;
    expect((await a.post(`/portfolio/events/orders/${id}/decrease`, { reduce_by: "5.00" })).status).toBe(400);
    expect((await a.post(`/portfolio/events/orders/${id}/decrease`, { reduce_by: "1.00", reduce_to: "1.00" })).status).toBe(400);
    const z = await a.post(`/portfolio/events/orders/${id}/decrease`, { reduce_to: "0" });
    expect(z.body).toMatchObject({ order_id: id, remaining_count: "0.00" });
    expect((await a.get(`/portfolio/orders/${id}`)).body.order.status).toBe("canceled");
    expect((await a.post(`/portfolio/events/orders/${id}/decrease`, { reduce_by: "1.00" })).status).toBe(404);
  });

  test("expiration_time: the order rests until then and is gone after; not with IOC; not in the past", async () => {
    const exp = Math.floor(clock.now() / 1000) + 120;
    const r = await a.post(
      "/portfolio/events/orders",
      order(T_BIN, "bid", "1.00", "0.2000", "good_till_canceled", { expiration_time: exp }),
    );
    expect(r.status).toBe(201);
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.expiration_time).toBe(
      new Date(exp * 1000).toISOString().replace(".000Z", "Z"),
    );
    clock.advance(119_000);
    s.tick();
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.status).toBe("resting");
    clock.advance(2_000);
    s.tick();
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.status).toBe("canceled");
    expect(
      (
        await a.post(
          "/portfolio/events/orders",
          order(T_BIN, "bid", "1.00", "0.2000", "immediate_or_cancel", { expiration_time: exp + 600 }),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await a.post(
          "/portfolio/events/orders",
          order(T_BIN, "bid", "1.00", "0.2000", "good_till_canceled", { expiration_time: Math.floor(clock.now() / 1000) - 1 }),
        )
      ).status,
    ).toBe(400);
  });
});

describe("settlement to the micro", () => {
  test("a winning NO position pays $1.00 per contract, a losing YES pays nothing; realized P&L and flat positions", async () => {
    // Bracket: A wins (result yes), B loses. b rests a YES bid on B under the house's 0.25 ask; a
    // sells YES into it, i.e. buys NO at 0.76: 4 × 0.76 = 3.04, taker fee 0.07×4×0.24×0.76 = 0.051072 → 0.0511.
    const tB = `${EV_BRACKET}-B`;
    const tA = `${EV_BRACKET}-A`;
    const bid = await b.post("/portfolio/events/orders", order(tB, "bid", "4.00", "0.2400", "good_till_canceled"));
    expect(bid.body).toMatchObject({ fill_count: "0.00", remaining_count: "4.00" });
    const sell = await a.post("/portfolio/events/orders", order(tB, "ask", "4.00", "0.2400"));
    expect(sell.body).toMatchObject({ fill_count: "4.00", average_fill_price: "0.2400" });
    expect(
      (await a.get(`/portfolio/fills?order_id=${sell.body.order_id}`)).body.fills.map((f: any) => [
        f.fee_cost,
        f.outcome_side,
        f.no_price_dollars,
      ]),
    ).toEqual([["0.051100", "no", "0.7600"]]);
    const yes = await a.post("/portfolio/events/orders", order(tA, "bid", "2.00", "0.4000"));
    // a buys YES A at 0.40 × 2 = 0.80; fee 0.07×2×0.4×0.6 = 0.0336.
    expect(yes.body.fill_count).toBe("2.00");
    const before = micros((await a.get("/portfolio/balance")).body.balance_dollars);
    // Close at 600 s, determined 30 s later, paid after the 60 s timer.
    clock.advance(700_000);
    s.tick();
    clock.advance(100_000);
    s.tick();
    const after = micros((await a.get("/portfolio/balance")).body.balance_dollars);
    // NO on B wins 4 × $1.00; YES on A wins 2 × $1.00.
    expect(after - before).toBe(6_000_000);
    const st = (await a.get(`/portfolio/settlements?event_ticker=${EV_BRACKET}`)).body.settlements;
    const byT = Object.fromEntries(st.map((x: any) => [x.ticker, x]));
    expect(byT[tB]).toMatchObject({
      market_result: "no",
      no_count_fp: "4.00",
      no_total_cost_dollars: "3.040000",
      yes_count_fp: "0.00",
      revenue: 400,
      value: 0,
    });
    expect(byT[tA]).toMatchObject({
      market_result: "yes",
      yes_count_fp: "2.00",
      yes_total_cost_dollars: "0.800000",
      revenue: 200,
      value: 100,
    });
    // b's YES on B lost: no settlement credit.
    const bst = (await b.get(`/portfolio/settlements?ticker=${tB}`)).body.settlements;
    expect(bst[0]).toMatchObject({ market_result: "no", yes_count_fp: "4.00", revenue: 0 });
    const pos = (await a.get(`/portfolio/positions?event_ticker=${EV_BRACKET}&count_filter=total_traded`)).body.market_positions;
    const pB = pos.find((p: any) => p.ticker === tB);
    // Realized: 4.00 revenue − 3.04 cost (fees are reported apart).
    expect(pB).toMatchObject({
      position_fp: "0.00",
      market_exposure_dollars: "0.000000",
      realized_pnl_dollars: "0.960000",
      fees_paid_dollars: "0.051100",
    });
  });
});

describe("odd requests", () => {
  test("a malformed percent-escape in a path id is a 404, not a 500", async () => {
    for (const p of ["/markets/%ZZ", "/events/%", `/portfolio/orders/%E0%A4%A`]) {
      const r = await a.get(p);
      expect([p, r.status]).toEqual([p, 404]);
    }
  });
});

describe("subaccount filters", () => {
  test("orders and fills list every subaccount by default and one when asked", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.0200", "good_till_canceled", { subaccount: 2 }));
    expect(r.status).toBe(201);
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.subaccount_number).toBe(2);
    const all = (await a.get("/portfolio/orders?status=resting")).body.orders.map((o: any) => o.order_id);
    expect(all).toContain(r.body.order_id);
    expect((await a.get("/portfolio/orders?status=resting&subaccount=2")).body.orders.map((o: any) => o.order_id)).toEqual([
      r.body.order_id,
    ]);
    expect((await a.get("/portfolio/orders?status=resting&subaccount=0")).body.orders.map((o: any) => o.order_id)).not.toContain(
      r.body.order_id,
    );
    expect((await a.get("/portfolio/fills?subaccount=2")).body.fills).toEqual([]);
    await a.del(`/portfolio/events/orders/${r.body.order_id}`);
  });
});
