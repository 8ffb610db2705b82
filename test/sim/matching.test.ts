// Hand-worked matching, fee and collateral cases over real HTTP on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Account } from "../../src/sim/accounts.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { Client, handScenario, testKeys, T_BIN, T_DECI, T_MAKERFEE } from "./helpers.ts";

let s: SimServer;
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

beforeAll(async () => {
  const k = testKeys();
  s = await startSimServer({
    clock: new ManualClock(),
    scenario: handScenario(),
    tier: "unlimited",
    quiet: true,
    accounts: [
      { apiKeyId: "key-a", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 },
      { apiKeyId: "key-b", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 },
    ],
  });
  a = new Client(s.baseUrl, "key-a", k.privateKeyPem);
  b = new Client(s.baseUrl, "key-b", k.privateKeyPem);
});
afterAll(async () => {
  await s.stop();
});

describe("matching and fees, by hand", () => {
  test("the starting book reads back in Kalshi's REST shape", async () => {
    const r = await a.get(`/markets/${T_BIN}/orderbook`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      orderbook_fp: {
        no_dollars: [
          ["0.4800", "3.00"],
          ["0.5000", "4.00"],
        ],
        yes_dollars: [
          ["0.4000", "10.00"],
          ["0.4500", "5.00"],
        ],
      },
    });
    const m = (await a.get(`/markets/${T_BIN}`)).body.market;
    expect([m.yes_bid_dollars, m.yes_ask_dollars, m.no_bid_dollars, m.no_ask_dollars]).toEqual(["0.4500", "0.5000", "0.5000", "0.5500"]);
  });

  test("an IOC bid walks two ask levels at the makers' prices; taker fee per fill rounded up to $0.0001", async () => {
    // 4 @ 0.50: 0.07×4×0.5×0.5 = 0.0700 ; 1 @ 0.52: 0.017472 → 0.0175. Cost 2.52, fees 0.0875.
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "5.00", "0.5200"));
    expect(r.status).toBe(201);
    expect(r.body.fill_count).toBe("5.00");
    expect(r.body.remaining_count).toBe("0.00");
    expect(r.body.average_fill_price).toBe("0.5040");
    expect(r.body.average_fee_paid).toBe("0.0175");
    const bal = (await a.get("/portfolio/balance")).body;
    expect(bal.balance_dollars).toBe("97.3925");
    expect(bal.balance).toBe(9739);
    const fills = (await a.get(`/portfolio/fills?order_id=${r.body.order_id}`)).body.fills;
    expect(fills.map((f: any) => [f.count_fp, f.yes_price_dollars, f.fee_cost, f.is_taker])).toEqual([
      ["1.00", "0.5200", "0.017500", true],
      ["4.00", "0.5000", "0.070000", true],
    ]);
    const pos = (await a.get("/portfolio/positions")).body.market_positions[0];
    expect(pos).toMatchObject({
      ticker: T_BIN,
      position_fp: "5.00",
      market_exposure_dollars: "2.520000",
      fees_paid_dollars: "0.087500",
      total_traded_dollars: "2.520000",
      realized_pnl_dollars: "0.000000",
    });
  });

  test("selling YES (an ask) redeems YES+NO pairs for $1.00 and realizes P&L against the average cost", async () => {
    // 2 @ 0.45: pay NO 0.55×2 = 1.10, fee 0.03465 → 0.0347, redeem 2 pairs = +2.00 ⇒ +0.8653.
    // Realized: 2.00 − 1.10 − (2.52 × 2/5 = 1.008) = −0.108.
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "ask", "2.00", "0.4500"));
    expect(r.body.fill_count).toBe("2.00");
    expect((await a.get("/portfolio/balance")).body.balance_dollars).toBe("98.2578");
    const pos = (await a.get("/portfolio/positions")).body.market_positions[0];
    expect(pos).toMatchObject({
      position_fp: "3.00",
      market_exposure_dollars: "1.512000",
      realized_pnl_dollars: "-0.108000",
      fees_paid_dollars: "0.122200",
    });
  });

  test("a resting bid holds its collateral; cancel returns it, and a second cancel is 404", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "10.00", "0.3000", "good_till_canceled"));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ fill_count: "0.00", remaining_count: "10.00" });
    expect(r.body.average_fill_price).toBeUndefined();
    expect((await a.get("/portfolio/balance")).body.balance_dollars).toBe("95.2578");
    const c = await a.del(`/portfolio/events/orders/${r.body.order_id}`);
    expect(c.status).toBe(200);
    expect(c.body.reduced_by).toBe("10.00");
    expect((await a.get("/portfolio/balance")).body.balance_dollars).toBe("98.2578");
    expect((await a.del(`/portfolio/events/orders/${r.body.order_id}`)).status).toBe(404);
    const got = (await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order;
    expect(got).toMatchObject({ status: "canceled", remaining_count_fp: "0.00", initial_count_fp: "10.00" });
  });

  test("maker fees only on quadratic_with_maker_fees series: 0.0175×C×P×(1−P)", async () => {
    const rest = await a.post("/portfolio/events/orders", order(T_MAKERFEE, "ask", "10.00", "0.6000", "good_till_canceled"));
    expect(rest.status).toBe(201);
    const take = await b.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "10.00", "0.6000"));
    expect(take.body.fill_count).toBe("10.00");
    const makerFill = (await a.get(`/portfolio/fills?ticker=${T_MAKERFEE}`)).body.fills[0];
    expect(makerFill).toMatchObject({
      is_taker: false,
      fee_cost: "0.042000",
      outcome_side: "no",
      book_side: "ask",
      yes_price_dollars: "0.6000",
      no_price_dollars: "0.4000",
    });
    const takerFill = (await b.get(`/portfolio/fills?ticker=${T_MAKERFEE}`)).body.fills[0];
    expect(takerFill).toMatchObject({ is_taker: true, fee_cost: "0.168000" });
    expect((await b.get("/portfolio/balance")).body.balance_dollars).toBe("93.8320");
    const aPos = (await a.get(`/portfolio/positions?ticker=${T_MAKERFEE}`)).body.market_positions[0];
    expect(aPos.position_fp).toBe("-10.00");
    expect(aPos.market_exposure_dollars).toBe("4.000000");
  });

  test("fee_multiplier 0.5 scales the fee; deci-cent grid accepts 0.555 and rejects 0.5555", async () => {
    expect((await a.post("/portfolio/events/orders", order(T_DECI, "ask", "3.00", "0.5555", "good_till_canceled"))).body).toEqual({
      error: { code: "invalid_price", message: "invalid price", service: "exchange" },
    });
    expect((await a.post("/portfolio/events/orders", order(T_DECI, "ask", "3.00", "0.5550", "good_till_canceled"))).status).toBe(201);
    const t = await b.post("/portfolio/events/orders", order(T_DECI, "bid", "3.00", "0.5550"));
    // 0.07 × 3 × 0.555 × 0.445 × 0.5 = 0.025932375 → 0.0260
    expect(t.body.average_fee_paid).toBe("0.008667");
    const f = (await b.get(`/portfolio/fills?ticker=${T_DECI}`)).body.fills[0];
    expect(f.fee_cost).toBe("0.026000");
  });

  test("cent grid rejects 0.515 with Kalshi's invalid_price", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.5150", "good_till_canceled", { post_only: true }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: "invalid_price", message: "invalid price", service: "exchange" } });
  });

  test("post_only that would cross is rejected at create", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.9900", "good_till_canceled", { post_only: true }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: "invalid_order", message: "invalid order", details: "post only cross" } });
  });

  test("self-trade prevention taker_at_cross: the incoming order dies, the resting one stays", async () => {
    const rest = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.4600", "good_till_canceled", { post_only: true }));
    const cross = await a.post("/portfolio/events/orders", order(T_BIN, "ask", "1.00", "0.4600"));
    expect(cross.status).toBe(201);
    expect(cross.body).toMatchObject({ fill_count: "0.00", remaining_count: "0.00" });
    expect((await a.get(`/portfolio/orders/${rest.body.order_id}`)).body.order.status).toBe("resting");
    expect((await a.del(`/portfolio/events/orders/${rest.body.order_id}`)).status).toBe(200);
  });

  test("fill_or_kill without enough resting volume fills nothing and costs nothing", async () => {
    const before = (await a.get("/portfolio/balance")).body.balance_dollars;
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "100.00", "0.6000", "fill_or_kill"));
    expect(r.body).toMatchObject({ fill_count: "0.00", remaining_count: "0.00" });
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.status).toBe("canceled");
    expect((await a.get("/portfolio/balance")).body.balance_dollars).toBe(before);
  });

  test("insufficient balance is Kalshi's 400", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "10099.00", "0.9900", "good_till_canceled"));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: "insufficient_balance", message: "insufficient balance", service: "exchange" } });
  });

  test("reduce_only is capped at the position", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "ask", "5.00", "0.4000", "immediate_or_cancel", { reduce_only: true }));
    expect(r.body.fill_count).toBe("3.00");
    const p = (await a.get(`/portfolio/positions?ticker=${T_BIN}`)).body.market_positions[0];
    expect(p.position_fp).toBe("0.00");
    expect(p.market_exposure_dollars).toBe("0.000000");
  });

  test("fractional counts to 0.01 contract", async () => {
    const rest = await a.post("/portfolio/events/orders", order(T_MAKERFEE, "ask", "0.37", "0.7000", "good_till_canceled"));
    expect(rest.status).toBe(201);
    const t = await b.post("/portfolio/events/orders", order(T_MAKERFEE, "bid", "0.25", "0.7000"));
    expect(t.body.fill_count).toBe("0.25");
    // 0.07 × 0.25 × 0.7 × 0.3 = 0.003675 → 0.0037
    expect((await b.get(`/portfolio/fills?ticker=${T_MAKERFEE}&limit=1`)).body.fills[0].fee_cost).toBe("0.003700");
    expect((await a.get(`/portfolio/orders/${rest.body.order_id}`)).body.order.remaining_count_fp).toBe("0.12");
  });

  test("cancel-all answers 204 with an empty body and releases every hold", async () => {
    await a.post("/portfolio/events/orders", order(T_BIN, "bid", "2.00", "0.1000", "good_till_canceled"));
    const r = await a.del("/portfolio/events/orders");
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    const acct = s.exchange.accountsByKey.get("key-a")!;
    expect(acct.reserved).toBe(0);
  });
});

describe("a trade's print and its book delta", () => {
  // Kalshi sends them on separate channels in no promised order; the exchange can send either.
  const sweep = (printsAfterBookMoves: boolean) => {
    const ex = s.exchange;
    ex.addAccount(new Account(`maker-${printsAfterBookMoves}`, 1_000_000_000));
    ex.addAccount(new Account(`taker-${printsAfterBookMoves}`, 1_000_000_000));
    const rest = (price: number) =>
      ex.placeOrder(`maker-${printsAfterBookMoves}`, {
        ticker: T_BIN,
        side: "ask",
        price,
        count: 100,
        tif: "good_till_canceled",
        stp: "taker_at_cross",
      });
    rest(4600);
    rest(4700);
    const seen: string[] = [];
    const off = ex.on((e) => {
      if (e.type === "book" && e.ticker === T_BIN) seen.push(`book ${e.price}`);
      if (e.type === "trade" && e.trade.ticker === T_BIN) seen.push(`print ${e.trade.price}`);
    });
    ex.placeOrder(`taker-${printsAfterBookMoves}`, {
      ticker: T_BIN,
      side: "bid",
      price: 6200,
      count: 200,
      tif: "immediate_or_cancel",
      stp: "taker_at_cross",
    });
    off();
    ex.printsAfterBookMoves = false;
    return seen;
  };

  test("each print right after its delta by default", () => {
    expect(sweep(false)).toEqual(["book 4600", "print 4600", "book 4700", "print 4700"]);
  });

  test("the prints of an incoming order after all its book moves when asked", () => {
    s.exchange.printsAfterBookMoves = true;
    expect(sweep(true)).toEqual(["book 4600", "book 4700", "print 4600", "print 4700"]);
  });
});
