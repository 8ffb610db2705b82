// The official client kalshi-typescript runs against the local exchange and succeeds. Each API
// class gets its own axios instance (API.md §2.8: the SDK stacks interceptors on a shared one).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import axios from "axios";
import { Configuration, ExchangeApi, MarketApi, OrdersApi, PortfolioApi } from "kalshi-typescript";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { testKeys } from "./helpers.ts";

let s: SimServer;
let cfg: Configuration;
const api = <T>(C: new (c: Configuration, b?: string, ax?: any) => T): T => new C(cfg, undefined, axios.create());

beforeAll(async () => {
  const k = testKeys();
  s = await startSimServer({
    seed: 11,
    markets: 250,
    tier: "unlimited",
    quiet: true,
    accounts: [{ apiKeyId: "sdk-key", publicKeyPem: k.publicKeyPem, balanceMicros: 500_000_000 }],
  });
  cfg = new Configuration({ apiKey: "sdk-key", privateKeyPem: k.privateKeyPem, basePath: s.baseUrl });
});
afterAll(async () => {
  await s.stop();
});

describe("kalshi-typescript against the sim", () => {
  test("exchange status", async () => {
    const r = await api(ExchangeApi).getExchangeStatus();
    expect(r.data.exchange_active).toBe(true);
    expect(r.data.trading_active).toBe(true);
  });

  test("market list walked to the end, order book, balance", async () => {
    const markets = api(MarketApi);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await markets.getMarkets(100, cursor);
      seen.push(...r.data.markets.map((m) => m.ticker));
      cursor = r.data.cursor || undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(s.exchange.markets.size);
    const open = (
      await markets.getMarkets(
        50,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        "open" as any,
      )
    ).data.markets;
    const liquid = open.find((m) => m.yes_bid_dollars !== "0.0000" && m.yes_ask_dollars !== "1.0000")!;
    expect(liquid).toBeDefined();
    const ob = await markets.getMarketOrderbook(liquid.ticker);
    expect(ob.data.orderbook_fp.yes_dollars.length).toBeGreaterThan(0);
    const bal = await api(PortfolioApi).getBalance();
    expect(bal.data.balance).toBe(50_000);
    expect(bal.data.balance_dollars).toBe("500.0000");
  });

  test("create a V2 order, list and get it, cancel it; positions, fills; duplicate client_order_id rejected", async () => {
    const orders = api(OrdersApi);
    const portfolio = api(PortfolioApi);
    const open = (
      await api(MarketApi).getMarkets(
        200,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        "open" as any,
      )
    ).data.markets;
    const m = open.find(
      (x) =>
        x.yes_ask_dollars !== "1.0000" && Number(x.yes_ask_dollars.replace(".", "")) < 9000 && x.price_level_structure === "linear_cent",
    )!;
    const clientOrderId = crypto.randomUUID();
    const created = await orders.createOrderV2({
      ticker: m.ticker,
      side: "bid",
      count: "1.00",
      price: "0.0100",
      time_in_force: "good_till_canceled",
      self_trade_prevention_type: "taker_at_cross",
      client_order_id: clientOrderId,
    } as any);
    expect(created.status).toBe(201);
    const id = created.data.order_id;
    const listed = await orders.getOrders(m.ticker, undefined, undefined, undefined, "resting");
    expect(listed.data.orders.map((o) => o.order_id)).toContain(id);
    const got = await orders.getOrder(id);
    expect(got.data.order.client_order_id).toBe(clientOrderId);
    const cancelled = await orders.cancelOrderV2(id);
    expect(cancelled.data.reduced_by).toBe("1.00");

    const dup = await orders
      .createOrderV2({
        ticker: m.ticker,
        side: "bid",
        count: "1.00",
        price: "0.0100",
        time_in_force: "good_till_canceled",
        self_trade_prevention_type: "taker_at_cross",
        client_order_id: clientOrderId,
      } as any)
      .then(
        () => null,
        (e) => e,
      );
    expect(dup?.response?.status).toBe(409);
    expect(dup.response.data.error.code).toBe("order_already_exists");

    const taker = await orders.createOrderV2({
      ticker: m.ticker,
      side: "bid",
      count: "2.00",
      price: m.yes_ask_dollars,
      time_in_force: "immediate_or_cancel",
      self_trade_prevention_type: "taker_at_cross",
      client_order_id: crypto.randomUUID(),
    } as any);
    expect(Number(taker.data.fill_count)).toBeGreaterThan(0);
    const pos = await portfolio.getPositions(undefined, undefined, undefined, m.ticker);
    expect(pos.data.market_positions[0]?.position_fp).toBe(taker.data.fill_count);
    const fills = await portfolio.getFills(m.ticker);
    expect(fills.data.fills.length).toBeGreaterThan(0);
    expect(fills.data.fills[0]!.order_id).toBe(taker.data.order_id);
  });
});
