// The acceptance tester's view: the official generated client `kalshi-typescript` (v3.30.0) drives
// the compiled binary `dist/kalshi-bot sim` through every API method a trading bot would use, and
// every answer is checked against the SDK's own generated model (required fields present, types
// right, enums known, numeric strings in Kalshi's formats: prices 4 dp, costs 6 dp, counts 2 dp).
// Each API class gets its own axios instance (API.md §2.8). Everything runs on 127.0.0.1 with keys
// generated at run time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import axios, { type AxiosResponse } from "axios";
import {
  AccountApi,
  Configuration,
  EventsApi,
  ExchangeApi,
  HistoricalApi,
  MarketApi,
  OrderGroupsApi,
  OrdersApi,
  PortfolioApi,
} from "kalshi-typescript";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { cleanup } from "../helpers/bin.ts";
import { checkLevels, checkModel } from "./sdk-models.ts";
import { EV_BRACKET, handScenario, spawnSimBinary, T_BIN, T_DECI, T_MAKERFEE, type SimProcess } from "./helpers.ts";

type Ctor<T> = new (c: Configuration, basePath?: string, ax?: any) => T;

interface Side {
  sim: SimProcess;
  cfg: Configuration;
  api<T>(C: Ctor<T>): T;
}

const keyA = generateKeyPair();
const keyB = generateKeyPair();
let live: Side; // default scenario with participants: many markets that move
let hand: Side; // hand-made books, two accounts, accelerated clock for settlement
let handB: Side; // second account on the hand exchange

/**
 * A dedicated axios instance whose errors are short: status and body only (an AxiosError drags the
 * whole socket into a failure message).
 */
function ax() {
  const a = axios.create();
  a.interceptors.response.use(undefined, (e) => {
    if (!e?.response) return Promise.reject(e);
    const err = Object.assign(
      new Error(`HTTP ${e.response.status} ${e.config?.method?.toUpperCase()} ${e.config?.url}: ${JSON.stringify(e.response.data)}`),
      {
        response: { status: e.response.status, data: e.response.data },
      },
    );
    return Promise.reject(err);
  });
  return a;
}

function side(sim: SimProcess, keyId: string, privateKeyPem: string): Side {
  const cfg = new Configuration({ apiKey: keyId, privateKeyPem, basePath: sim.baseUrl });
  return { sim, cfg, api: <T>(C: Ctor<T>) => new C(cfg, undefined, ax()) };
}

/** Assert that an SDK answer deserializes into `model` with nothing missing or mistyped. */
function must<T>(r: AxiosResponse<T>, model: string, status = 200): T {
  expect(r.status).toBe(status);
  // `object` is what the SDK declares for bodies without a model (order-group trigger/reset/…).
  if (model === "object") expect(typeof r.data === "object" && r.data !== null && !Array.isArray(r.data)).toBe(true);
  else expect(checkModel(r.data, model)).toEqual([]);
  return r.data;
}

/** The axios error of a call expected to fail: status and body. */
async function fails(p: Promise<unknown>): Promise<{ status: number; data: any }> {
  try {
    await p;
  } catch (e: any) {
    if (e?.response) return { status: e.response.status, data: e.response.data };
    throw e;
  }
  throw new Error("call succeeded, expected an error");
}

const FAST_EV = "KXFAST-26NOV24";
const T_FAST = `${FAST_EV}-Y`;
/** Sim seconds per wall second on the hand exchange: the fast event settles ~6 s after start. */
const SPEED = 30;

beforeAll(async () => {
  const sc = handScenario() as any;
  // Closes 150 sim s after start (5 wall s: time to buy first even on a busy machine), determined
  // 30 sim s later, paid 1 sim s after that.
  sc.events.push({
    event_ticker: FAST_EV,
    series_ticker: "KXTEST",
    title: "Fast",
    close_in_s: 150,
    settlement_timer_s: 1,
    liquidity: "none",
    markets: [{ suffix: "Y", yes_sub_title: "Y", result: "yes", book: { yes: [], no: [["0.4000", "20.00"]] } }],
  });
  const [l, h] = await Promise.all([
    spawnSimBinary({
      accounts: [{ id: "live-a", publicKeyPem: keyA.publicKeyPem, balance: "1000" }],
      args: ["--seed", "9", "--markets", "60", "--tier", "unlimited", "--speed", "5"],
    }),
    spawnSimBinary({
      accounts: [
        { id: "hand-a", publicKeyPem: keyA.publicKeyPem, balance: "1000" },
        { id: "hand-b", publicKeyPem: keyB.publicKeyPem, balance: "50" },
      ],
      args: ["--tier", "unlimited", "--speed", String(SPEED), "--seed", "2"],
      scenario: sc,
    }),
  ]);
  live = side(l, "live-a", keyA.privateKeyPem);
  hand = side(h, "hand-a", keyA.privateKeyPem);
  handB = side(h, "hand-b", keyB.privateKeyPem);
}, 60_000);

afterAll(async () => {
  await Promise.all([live?.sim.stop(), hand?.sim.stop()]);
  await cleanup();
});

const V2 = (o: Record<string, unknown>) =>
  ({
    time_in_force: "good_till_canceled",
    self_trade_prevention_type: "taker_at_cross",
    client_order_id: crypto.randomUUID(),
    ...o,
  }) as any;

describe("settlement through the SDK (runs first: the fast market settles seconds after start)", () => {
  test("YES bought at 0.60 pays exactly $1.00 per contract; settlement record; balance to the cent", async () => {
    const orders = hand.api(OrdersApi);
    const portfolio = hand.api(PortfolioApi);
    const before = must(await portfolio.getBalance(), "GetBalanceResponse");
    // NO bid 0.40 ⇒ YES ask 0.60. Taker fee 0.07 × 5 × 0.6 × 0.4 = 0.084 exactly.
    const r = must(
      await orders.createOrderV2(V2({ ticker: T_FAST, side: "bid", count: "5.00", price: "0.6000", time_in_force: "immediate_or_cancel" })),
      "CreateOrderV2Response",
      201,
    );
    expect(r).toMatchObject({ fill_count: "5.00", remaining_count: "0.00", average_fill_price: "0.6000", average_fee_paid: "0.0168" });
    const mid = must(await portfolio.getBalance(), "GetBalanceResponse");
    expect(before.balance_dollars).toBe("1000.0000");
    expect(mid.balance_dollars).toBe("996.9160"); // 1000 − 3.00 − 0.084
    const markets = hand.api(MarketApi);
    const deadline = Date.now() + 15_000;
    let m = must(await markets.getMarket(T_FAST), "GetMarketResponse").market;
    while (m.status !== "finalized" && Date.now() < deadline) {
      await Bun.sleep(100);
      m = must(await markets.getMarket(T_FAST), "GetMarketResponse").market;
    }
    expect(m).toMatchObject({ status: "finalized", result: "yes", settlement_value_dollars: "1.0000" });
    const st = must(await portfolio.getSettlements(100, undefined, T_FAST), "GetSettlementsResponse");
    expect(st.settlements.length).toBe(1);
    expect(st.settlements[0]).toMatchObject({
      ticker: T_FAST,
      event_ticker: FAST_EV,
      market_result: "yes",
      yes_count_fp: "5.00",
      no_count_fp: "0.00",
      yes_total_cost_dollars: "3.000000",
      no_total_cost_dollars: "0.000000",
      revenue: 500,
      fee_cost: "0.000000",
      value: 100,
    });
    const after = must(await portfolio.getBalance(), "GetBalanceResponse");
    expect(after.balance_dollars).toBe("1001.9160"); // + 5 × $1.00, nothing withheld
    expect(after.balance).toBe(100191);
    const nowS = Math.floor(Date.now() / 1000);
    // min_ts/max_ts bound settled_time (sim time runs ×30 here, so allow a wide window).
    expect(
      must(await portfolio.getSettlements(100, undefined, undefined, undefined, nowS - 3600, nowS + 86_400), "GetSettlementsResponse")
        .settlements.length,
    ).toBe(1);
    expect(
      must(await portfolio.getSettlements(100, undefined, undefined, undefined, nowS + 86_400), "GetSettlementsResponse").settlements,
    ).toEqual([]);
    const evFilter = must(await portfolio.getSettlements(100, undefined, undefined, FAST_EV), "GetSettlementsResponse");
    expect(evFilter.settlements.map((s) => s.ticker)).toEqual([T_FAST]);
    // The settled position is flat, and the market shows up under status=settled.
    const settled = must(
      await markets.getMarkets(
        1000,
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
        "settled" as any,
      ),
      "GetMarketsResponse",
    );
    expect(settled.markets.map((x) => x.ticker)).toContain(T_FAST);
  }, 30_000);
});

describe("ExchangeApi", () => {
  test("status, schedule, user data timestamp, series fee changes", async () => {
    const ex = live.api(ExchangeApi);
    expect(must(await ex.getExchangeStatus(), "ExchangeStatus")).toMatchObject({ exchange_active: true, trading_active: true });
    const sch = must(await ex.getExchangeSchedule(), "GetExchangeScheduleResponse");
    expect(sch.schedule.standard_hours.length).toBeGreaterThan(0);
    const ts = must(await ex.getUserDataTimestamp(), "GetUserDataTimestampResponse");
    expect(Number.isNaN(Date.parse(ts.as_of_time))).toBe(false);
    must(await ex.getSeriesFeeChanges(), "GetSeriesFeeChangesResponse");
    must(await ex.getSeriesFeeChanges("KXHIGHNY", true), "GetSeriesFeeChangesResponse");
  });
});

describe("series and events", () => {
  test("series list and one series", async () => {
    const mk = live.api(MarketApi);
    const list = must(await mk.getSeriesList(), "GetSeriesListResponse");
    expect(list.series.length).toBeGreaterThan(3);
    const one = must(await mk.getSeries(list.series[0]!.ticker), "GetSeriesResponse");
    expect(one.series.ticker).toBe(list.series[0]!.ticker);
    const byCat = must(await mk.getSeriesList(list.series[0]!.category), "GetSeriesListResponse");
    expect(byCat.series.every((s) => s.category === list.series[0]!.category)).toBe(true);
    const missing = await fails(mk.getSeries("NOSUCHSERIES"));
    expect(missing.status).toBe(404);
  });

  test("events walked to the end with nested markets; one event; filters; metadata", async () => {
    const ev = live.api(EventsApi);
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const p = must(await ev.getEvents(3, cursor, true), "GetEventsResponse");
      for (const e of p.events) {
        seen.add(e.event_ticker);
        expect(e.markets?.length).toBeGreaterThan(0);
      }
      expect(typeof p.cursor).toBe("string");
      cursor = p.cursor || undefined;
      pages++;
    } while (cursor && pages < 200);
    const all = must(await ev.getEvents(200), "GetEventsResponse");
    expect(all.cursor).toBe("");
    expect(seen.size).toBe(all.events.length);
    expect(all.events[0]!.markets).toBeUndefined();
    const first = all.events[0]!;
    const one = must(await ev.getEvent(first.event_ticker), "GetEventResponse");
    expect(one.markets.length).toBeGreaterThan(0);
    expect(one.markets.every((m) => m.event_ticker === first.event_ticker)).toBe(true);
    const nested = must(await ev.getEvent(first.event_ticker, true), "GetEventResponse");
    expect(nested.event.markets?.length).toBe(one.markets.length);
    expect(nested.markets.map((m) => m.ticker)).toEqual(nested.event.markets!.map((m) => m.ticker));
    expect(one.event.markets).toBeUndefined();
    const bySeries = must(await ev.getEvents(200, undefined, false, false, undefined, first.series_ticker), "GetEventsResponse");
    expect(bySeries.events.every((e) => e.series_ticker === first.series_ticker)).toBe(true);
    const byTickers = must(await ev.getEvents(200, undefined, false, false, undefined, undefined, first.event_ticker), "GetEventsResponse");
    expect(byTickers.events.map((e) => e.event_ticker)).toEqual([first.event_ticker]);
    const open = must(await ev.getEvents(200, undefined, true, false, "open" as any), "GetEventsResponse");
    expect(open.events.length).toBeGreaterThan(0);
    expect(open.events.every((e) => e.markets!.some((m) => m.status === "active"))).toBe(true);
    must(await ev.getEventMetadata(first.event_ticker), "GetEventMetadataResponse");
    must(await ev.getEventFeeChanges(), "GetEventFeeChangesResponse");
    must(await ev.getMultivariateEvents(), "GetMultivariateEventsResponse");
    expect((await fails(ev.getEvent("KXNOPE-00"))).status).toBe(404);
  });
});

describe("MarketApi", () => {
  test("markets walked to the end, with every filter", async () => {
    const mk = live.api(MarketApi);
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const p = must(await mk.getMarkets(7, cursor), "GetMarketsResponse");
      all.push(...p.markets.map((m) => m.ticker));
      cursor = p.cursor || undefined;
    } while (cursor);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(60);
    const first = must(await mk.getMarket(all[0]!), "GetMarketResponse").market;
    const byEvent = must(await mk.getMarkets(1000, undefined, first.event_ticker), "GetMarketsResponse");
    expect(byEvent.markets.length).toBeGreaterThan(0);
    expect(byEvent.markets.every((m) => m.event_ticker === first.event_ticker)).toBe(true);
    const seriesTicker = first.event_ticker.split("-")[0]!;
    const bySeries = must(await mk.getMarkets(1000, undefined, undefined, seriesTicker), "GetMarketsResponse");
    expect(bySeries.markets.every((m) => m.event_ticker.startsWith(`${seriesTicker}-`))).toBe(true);
    const two = [all[0]!, all[all.length - 1]!];
    const byTickers = must(
      await mk.getMarkets(
        1000,
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
        undefined,
        two.join(","),
      ),
      "GetMarketsResponse",
    );
    expect(byTickers.markets.map((m) => m.ticker).sort()).toEqual([...two].sort());
    for (const [filter, statuses] of [
      ["open", ["active"]],
      ["unopened", ["initialized"]],
      ["closed", ["closed", "determined"]],
      ["settled", ["finalized"]],
      ["paused", ["inactive"]],
    ] as const) {
      const r = must(
        await mk.getMarkets(
          1000,
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
          filter as any,
        ),
        "GetMarketsResponse",
      );
      expect([filter, r.markets.filter((m) => !(statuses as readonly string[]).includes(m.status)).map((m) => m.status)]).toEqual([
        filter,
        [],
      ]);
    }
    const nowS = Math.floor(Date.now() / 1000);
    const closing = must(
      await mk.getMarkets(1000, undefined, undefined, undefined, undefined, undefined, undefined, nowS + 10 * 86_400, nowS - 86_400),
      "GetMarketsResponse",
    );
    expect(closing.markets.length).toBeGreaterThan(0);
    // Created-time window: everything was created around start; nothing is created in the future.
    const created = must(await mk.getMarkets(1000, undefined, undefined, undefined, nowS - 86_400), "GetMarketsResponse");
    expect(created.markets.length).toBe(all.length);
    const future = must(await mk.getMarkets(1000, undefined, undefined, undefined, nowS + 30 * 86_400), "GetMarketsResponse");
    expect(future.markets).toEqual([]);
    // Settled-time window: only finalized markets have one.
    const settledWin = must(
      await mk.getMarkets(
        1000,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        nowS - 86_400,
        nowS + 30 * 86_400,
      ),
      "GetMarketsResponse",
    );
    expect(settledWin.markets.every((m) => m.status === "finalized")).toBe(true);
    // Kalshi's filter compatibility table: close-ts only with status closed/none, created-ts only with
    // unopened/open/none, one timestamp family at a time, min_updated_ts alone.
    const U = undefined;
    for (const call of [
      () => mk.getMarkets(100, U, U, U, U, U, U, U, nowS, U, U, "open" as any),
      () => mk.getMarkets(100, U, U, U, nowS - 86_400, U, U, U, U, U, U, "closed" as any),
      () => mk.getMarkets(100, U, U, U, nowS - 86_400, U, U, U, nowS),
      () => mk.getMarkets(100, U, U, U, U, U, nowS - 86_400, U, U, U, U, "open" as any),
    ]) {
      const e = await fails(call());
      expect(e.status).toBe(400);
      expect(Object.keys(e.data)).toEqual(["msg"]);
    }
    must(await mk.getMarkets(100, U, U, U, U, U, U, U, nowS - 86_400, U, U, "closed" as any), "GetMarketsResponse");
    must(await mk.getMarkets(100, U, U, U, U, U, nowS - 86_400), "GetMarketsResponse");
    const evClose = must(
      await live.api(EventsApi).getEvents(200, undefined, true, false, undefined, undefined, undefined, nowS + 30 * 86_400),
      "GetEventsResponse",
    );
    expect(evClose.events).toEqual([]);
  });

  test("order book (auth and depth), order books batch, trades paged, candlesticks", async () => {
    const mk = live.api(MarketApi);
    const open = must(
      await mk.getMarkets(
        1000,
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
      ),
      "GetMarketsResponse",
    ).markets;
    const liquid = open.filter((m) => m.yes_bid_dollars !== "0.0000" && m.yes_ask_dollars !== "1.0000");
    expect(liquid.length).toBeGreaterThan(1);
    const ob = must(await mk.getMarketOrderbook(liquid[0]!.ticker), "GetMarketOrderbookResponse");
    expect(checkLevels(ob.orderbook_fp.yes_dollars, "yes")).toEqual([]);
    expect(checkLevels(ob.orderbook_fp.no_dollars, "no")).toEqual([]);
    // Best bid last (ascending), and the top matches the market's quote.
    const yes = ob.orderbook_fp.yes_dollars;
    expect(yes.map((l) => l[0])).toEqual([...yes.map((l) => l[0]!)].sort());
    const shallow = must(await mk.getMarketOrderbook(liquid[0]!.ticker, 1), "GetMarketOrderbookResponse");
    expect(shallow.orderbook_fp.yes_dollars.length).toBe(1);
    const books = must(await mk.getMarketOrderbooks([liquid[0]!.ticker, liquid[1]!.ticker]), "GetMarketOrderbooksResponse");
    expect(books.orderbooks.map((b) => b.ticker)).toEqual([liquid[0]!.ticker, liquid[1]!.ticker]);

    // Participants trade all the time at --speed 5; wait for a tape.
    let trades = must(await mk.getTrades(1000), "GetTradesResponse");
    for (let i = 0; i < 50 && trades.trades.length < 5; i++) {
      await Bun.sleep(200);
      trades = must(await mk.getTrades(1000), "GetTradesResponse");
    }
    expect(trades.trades.length).toBeGreaterThanOrEqual(5);
    const p1 = must(await mk.getTrades(2), "GetTradesResponse");
    expect(p1.trades.length).toBe(2);
    expect(p1.cursor).not.toBe("");
    const p2 = must(await mk.getTrades(2, p1.cursor), "GetTradesResponse");
    expect(p2.trades[0]!.trade_id).not.toBe(p1.trades[0]!.trade_id);
    const t0 = trades.trades[0]!;
    const one = must(await mk.getTrades(1000, undefined, t0.ticker), "GetTradesResponse");
    expect(one.trades.every((t) => t.ticker === t0.ticker)).toBe(true);

    const market = must(await mk.getMarket(t0.ticker), "GetMarketResponse").market;
    const seriesTicker = market.event_ticker.split("-")[0]!;
    const nowS = Math.floor(Date.now() / 1000) + 86_400;
    const c = must(await mk.getMarketCandlesticks(seriesTicker, t0.ticker, nowS - 3 * 86_400, nowS, 1), "GetMarketCandlesticksResponse");
    expect(c.ticker).toBe(t0.ticker);
    expect(c.candlesticks.length).toBeGreaterThan(0);
    const batch = must(
      await mk.batchGetMarketCandlesticks([t0.ticker, market.ticker].join(","), nowS - 3 * 86_400, nowS, 60),
      "BatchGetMarketCandlesticksResponse",
    );
    expect(batch.markets.length).toBeGreaterThan(0);
    const byEvent = must(
      await live.api(EventsApi).getMarketCandlesticksByEvent(market.event_ticker, seriesTicker, nowS - 3 * 86_400, nowS, 60),
      "GetEventCandlesticksResponse",
    );
    expect(byEvent.market_tickers.length).toBe(byEvent.market_candlesticks.length);
  }, 30_000);

  test("historical cutoff and the historical lists answer with the SDK's models", async () => {
    const h = live.api(HistoricalApi);
    must(await h.getHistoricalCutoff(), "GetHistoricalCutoffResponse");
    must(await h.getHistoricalMarkets(10), "GetMarketsResponse");
    must(await h.getTradesHistorical(undefined, undefined, undefined, 10), "GetTradesResponse");
    must(await h.getFillsHistorical(undefined, undefined, undefined, 10), "GetFillsResponse");
    must(await h.getHistoricalOrders(undefined, undefined, undefined, 10), "GetOrdersResponse");
  });
});

describe("AccountApi", () => {
  test("limits and endpoint costs", async () => {
    const acc = live.api(AccountApi);
    const lim = must(await acc.getAccountApiLimits(), "GetAccountApiLimitsResponse");
    expect(lim.usage_tier).toBeString();
    const costs = must(await acc.getAccountEndpointCosts(), "GetAccountEndpointCostsResponse");
    expect(costs.default_cost).toBe(10);
    expect(
      costs.endpoint_costs.find((e) => e.method === "DELETE" && e.path === "/trade-api/v2/portfolio/events/orders/:order_id")?.cost,
    ).toBe(2);
  });
});

describe("OrdersApi and PortfolioApi on hand-made books", () => {
  test("create, get, list with filters and paging, queue positions, amend, decrease, batch create, batch cancel, cancel, cancel all", async () => {
    const orders = hand.api(OrdersApi);
    const cid = crypto.randomUUID();
    const created = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "2.00", price: "0.3000", client_order_id: cid })),
      "CreateOrderV2Response",
      201,
    );
    expect(created).toMatchObject({ client_order_id: cid, fill_count: "0.00", remaining_count: "2.00" });
    expect("average_fill_price" in created).toBe(false);
    const got = must(await orders.getOrder(created.order_id), "GetOrderResponse").order;
    expect(got).toMatchObject({
      order_id: created.order_id,
      client_order_id: cid,
      ticker: T_BIN,
      book_side: "bid",
      outcome_side: "yes",
      status: "resting",
      yes_price_dollars: "0.3000",
      no_price_dollars: "0.7000",
      initial_count_fp: "2.00",
      remaining_count_fp: "2.00",
      fill_count_fp: "0.00",
      taker_fill_cost_dollars: "0.000000",
      type: "limit",
    });

    // A second resting order at the same price queues behind the first.
    const second = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.3000" })),
      "CreateOrderV2Response",
      201,
    );
    expect(must(await orders.getOrderQueuePosition(second.order_id), "GetOrderQueuePositionResponse").queue_position_fp).toBe("2.00");
    const qps = must(await orders.getOrderQueuePositions(T_BIN), "GetOrderQueuePositionsResponse");
    expect(qps.queue_positions.map((q) => q.order_id).sort()).toEqual([created.order_id, second.order_id].sort());

    const resting = must(await orders.getOrders(T_BIN, undefined, undefined, undefined, "resting"), "GetOrdersResponse");
    expect(resting.orders.map((o) => o.order_id)).toEqual([second.order_id, created.order_id]);
    const byEvent = must(await orders.getOrders(undefined, "KXTEST-26NOV24"), "GetOrdersResponse");
    expect(byEvent.orders.length).toBeGreaterThanOrEqual(2);
    const page1 = must(await orders.getOrders(T_BIN, undefined, undefined, undefined, "resting", 1), "GetOrdersResponse");
    expect(page1.orders.length).toBe(1);
    const page2 = must(await orders.getOrders(T_BIN, undefined, undefined, undefined, "resting", 1, page1.cursor), "GetOrdersResponse");
    expect(page2.orders[0]!.order_id).toBe(created.order_id);
    expect(page2.cursor).toBe("");
    const nowS = Math.floor(Date.now() / 1000);
    must(await orders.getOrders(undefined, undefined, nowS - 86_400 * 400, nowS + 86_400 * 400), "GetOrdersResponse");

    const amended = must(
      await orders.amendOrderV2(created.order_id, {
        ticker: T_BIN,
        side: "bid",
        price: "0.3100",
        count: "3.00",
        updated_client_order_id: `${cid}-b`,
      } as any),
      "AmendOrderV2Response",
    );
    expect(amended).toMatchObject({ order_id: created.order_id, remaining_count: "3.00", fill_count: "0.00" });
    const dec = must(await orders.decreaseOrderV2(created.order_id, { reduce_by: "1.00" } as any), "DecreaseOrderV2Response");
    expect(dec.remaining_count).toBe("2.00");
    const dec2 = must(await orders.decreaseOrderV2(created.order_id, { reduce_to: "1.50" } as any), "DecreaseOrderV2Response");
    expect(dec2.remaining_count).toBe("1.50");

    const batch = must(
      await orders.batchCreateOrdersV2({
        orders: [
          V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.2000" }),
          V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.2050" }),
          V2({ ticker: T_DECI, side: "ask", count: "1.25", price: "0.8050" }),
        ],
      }),
      "BatchCreateOrdersV2Response",
      201,
    );
    expect(batch.orders.map((o) => Boolean(o.error))).toEqual([false, true, false]);
    expect(batch.orders[1]!.error).toMatchObject({ code: "invalid_price" });
    const bc = must(
      await orders.batchCancelOrdersV2({
        orders: [
          { order_id: batch.orders[0]!.order_id! },
          { order_id: batch.orders[2]!.order_id! },
          { order_id: "00000000-0000-0000-0000-000000000000" },
        ],
      } as any),
      "BatchCancelOrdersV2Response",
    );
    expect(bc.orders.map((o) => o.reduced_by)).toEqual(["1.00", "1.25", "0.00"]);
    expect(bc.orders[2]!.error).toMatchObject({ code: "not_found" });

    const cancelled = must(await orders.cancelOrderV2(second.order_id), "CancelOrderV2Response");
    expect(cancelled).toMatchObject({ order_id: second.order_id, reduced_by: "1.00" });
    expect((await fails(orders.cancelOrderV2(second.order_id))).status).toBe(404);
    const after = must(await orders.getOrder(second.order_id), "GetOrderResponse").order;
    expect(after).toMatchObject({ status: "canceled", remaining_count_fp: "0.00" });

    const all = await orders.cancelAllOrders();
    expect(all.status).toBe(204);
    const left = must(await orders.getOrders(undefined, undefined, undefined, undefined, "resting"), "GetOrdersResponse");
    expect(left.orders).toEqual([]);
    expect(left.cursor).toBe("");
  });

  test("taker fills: fees by hand, averages, fills, positions, balance, resting value", async () => {
    const orders = hand.api(OrdersApi);
    const portfolio = hand.api(PortfolioApi);
    const bal0 = must(await portfolio.getBalance(), "GetBalanceResponse");
    // YES asks: 0.50×4 (NO bid 0.50) then 0.52×3 (NO bid 0.48). IOC bid 0.52 × 5 takes 4 @0.50 + 1 @0.52.
    const r = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "5.00", price: "0.5200", time_in_force: "immediate_or_cancel" })),
      "CreateOrderV2Response",
      201,
    );
    // Fees per fill: 0.07·4·0.5·0.5 = 0.07; 0.07·1·0.52·0.48 = 0.017472 → 0.0175. Average fill (2.00 + 0.52) / 5 = 0.504.
    expect(r).toMatchObject({ fill_count: "5.00", remaining_count: "0.00", average_fill_price: "0.5040", average_fee_paid: "0.0175" });
    const fills = must(await portfolio.getFills(T_BIN, r.order_id), "GetFillsResponse").fills;
    expect(fills.map((f) => [f.yes_price_dollars, f.count_fp, f.fee_cost, f.is_taker, f.book_side, f.outcome_side])).toEqual([
      ["0.5200", "1.00", "0.017500", true, "bid", "yes"],
      ["0.5000", "4.00", "0.070000", true, "bid", "yes"],
    ]);
    const ord = must(await orders.getOrder(r.order_id), "GetOrderResponse").order;
    expect(ord).toMatchObject({
      status: "executed",
      taker_fill_cost_dollars: "2.520000",
      taker_fees_dollars: "0.087500",
      maker_fees_dollars: "0.000000",
    });
    const bal1 = must(await portfolio.getBalance(), "GetBalanceResponse");
    expect(Math.round(Number(bal0.balance_dollars) * 1e4) - Math.round(Number(bal1.balance_dollars) * 1e4)).toBe(26_075); // 2.52 + 0.0875
    const pos = must(await portfolio.getPositions(undefined, undefined, undefined, T_BIN), "GetPositionsResponse");
    expect(pos.market_positions).toHaveLength(1);
    expect(pos.market_positions[0]).toMatchObject({
      ticker: T_BIN,
      position_fp: "5.00",
      market_exposure_dollars: "2.520000",
      fees_paid_dollars: "0.087500",
      total_traded_dollars: "2.520000",
      realized_pnl_dollars: "0.000000",
    });
    expect(pos.event_positions[0]).toMatchObject({ event_ticker: "KXTEST-26NOV24", total_cost_shares_fp: "5.00" });
    const held = must(await portfolio.getPositions(undefined, 100, "position"), "GetPositionsResponse");
    expect(held.market_positions.every((p) => p.position_fp !== "0.00")).toBe(true);
    const both = must(await portfolio.getPositions(undefined, 100, "position,total_traded"), "GetPositionsResponse");
    expect(both.market_positions.map((p) => p.ticker)).toContain(T_BIN);
    must(await portfolio.getPositions(undefined, 100, undefined, undefined, "KXTEST-26NOV24"), "GetPositionsResponse");
    const fillsPage = must(await portfolio.getFills(undefined, undefined, undefined, undefined, 1), "GetFillsResponse");
    expect(fillsPage.fills.length).toBe(1);
    expect(fillsPage.cursor).not.toBe("");

    // A resting order holds collateral: total_resting_order_value in cents.
    const rest = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "10.00", price: "0.1000" })),
      "CreateOrderV2Response",
      201,
    );
    const rv = must(await portfolio.getPortfolioRestingOrderTotalValue(), "GetPortfolioRestingOrderTotalValueResponse");
    expect(rv.total_resting_order_value).toBe(100);
    await orders.cancelOrderV2(rest.order_id);

    // Selling 2 of the 5 YES (ask 0.45 against the 0.45 YES bid) realizes P&L; maker pays nothing on quadratic.
    const sell = must(
      await orders.createOrderV2(
        V2({ ticker: T_BIN, side: "ask", count: "2.00", price: "0.4500", time_in_force: "immediate_or_cancel", reduce_only: true }),
      ),
      "CreateOrderV2Response",
      201,
    );
    expect(sell).toMatchObject({ fill_count: "2.00", average_fill_price: "0.4500" });
    const pos2 = must(await portfolio.getPositions(undefined, undefined, undefined, T_BIN), "GetPositionsResponse").market_positions[0]!;
    expect(pos2.position_fp).toBe("3.00");
    // Basis of 2 of 5 contracts bought for 2.52: 1.008; sold at 0.45 each: realized 0.90 − 1.008 = −0.108.
    expect(pos2.realized_pnl_dollars).toBe("-0.108000");
  });

  test("maker fees on quadratic_with_maker_fees, fee multiplier 0.5, between two accounts", async () => {
    const a = hand.api(OrdersApi);
    const b = handB.api(OrdersApi);
    // B rests a YES ask at 0.40 × 3 (buys NO at 0.60: holds 1.80 of B's $50).
    const maker = must(
      await b.createOrderV2(V2({ ticker: T_MAKERFEE, side: "ask", count: "3.00", price: "0.4000" })),
      "CreateOrderV2Response",
      201,
    );
    const taker = must(
      await a.createOrderV2(V2({ ticker: T_MAKERFEE, side: "bid", count: "3.00", price: "0.4000", time_in_force: "fill_or_kill" })),
      "CreateOrderV2Response",
      201,
    );
    expect(taker.fill_count).toBe("3.00");
    // Taker 0.07·3·0.4·0.6 = 0.0504; maker 0.0175·3·0.24 = 0.0126.
    const tf = must(await hand.api(PortfolioApi).getFills(T_MAKERFEE), "GetFillsResponse").fills;
    expect(tf.map((f) => [f.fee_cost, f.is_taker])).toEqual([["0.050400", true]]);
    const mf = must(await handB.api(PortfolioApi).getFills(T_MAKERFEE), "GetFillsResponse").fills;
    expect(mf.map((f) => [f.fee_cost, f.is_taker, f.book_side, f.outcome_side, f.order_id])).toEqual([
      ["0.012600", false, "ask", "no", maker.order_id],
    ]);
    const bpos = must(await handB.api(PortfolioApi).getPositions(undefined, undefined, undefined, T_MAKERFEE), "GetPositionsResponse")
      .market_positions[0]!;
    expect(bpos).toMatchObject({ position_fp: "-3.00", market_exposure_dollars: "1.800000", fees_paid_dollars: "0.012600" });

    // Deci-cent grid, series fee multiplier 0.5: 0.5 × 0.07 × 2 × 0.805 × 0.195 = 0.010989… → 0.0110.
    await b.createOrderV2(V2({ ticker: T_DECI, side: "ask", count: "2.00", price: "0.8050" }));
    const d = must(
      await a.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "2.00", price: "0.8050", time_in_force: "immediate_or_cancel" })),
      "CreateOrderV2Response",
      201,
    );
    expect(d).toMatchObject({ fill_count: "2.00", average_fill_price: "0.8050", average_fee_paid: "0.0055" });
    const df = must(await hand.api(PortfolioApi).getFills(T_DECI), "GetFillsResponse").fills;
    expect(df[0]!.fee_cost).toBe("0.011000");
  });

  test("order groups: create, get, list, limit, trigger on the contracts limit, reset, delete", async () => {
    const og = hand.api(OrderGroupsApi);
    const orders = hand.api(OrdersApi);
    const g = must(await og.createOrderGroup({ contracts_limit_fp: "2.00" } as any), "CreateOrderGroupResponse", 201);
    const info = must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse");
    expect(info).toMatchObject({ is_auto_cancel_enabled: false, contracts_limit_fp: "2.00", orders: [] });
    const list = must(await og.getOrderGroups(), "GetOrderGroupsResponse");
    expect(list.order_groups?.map((x) => x.id)).toContain(g.order_group_id);
    must(await og.updateOrderGroupLimit(g.order_group_id, { contracts_limit_fp: "3.00" } as any), "object");
    expect(must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse").contracts_limit_fp).toBe("3.00");
    // A resting order in the group, then a taker in the group that fills 3 contracts: the limit trips.
    const restingInGroup = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.1100", order_group_id: g.order_group_id })),
      "CreateOrderV2Response",
      201,
    );
    expect(must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse").orders).toEqual([restingInGroup.order_id]);
    const t = must(
      await orders.createOrderV2(
        V2({
          ticker: T_BIN,
          side: "ask",
          count: "3.00",
          price: "0.4000",
          time_in_force: "immediate_or_cancel",
          order_group_id: g.order_group_id,
        }),
      ),
      "CreateOrderV2Response",
      201,
    );
    expect(t.fill_count).toBe("3.00");
    const tripped = must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse");
    // All the group's orders are listed, the cancelled resting one and the executed taker.
    expect(tripped).toMatchObject({ is_auto_cancel_enabled: true, orders: [restingInGroup.order_id, t.order_id] });
    expect(must(await orders.getOrder(restingInGroup.order_id), "GetOrderResponse").order.status).toBe("canceled");
    const refused = await fails(
      orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.1100", order_group_id: g.order_group_id })),
    );
    expect(refused.status).toBe(400);
    must(await og.resetOrderGroup(g.order_group_id), "object");
    expect(must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse").is_auto_cancel_enabled).toBe(false);
    must(await og.triggerOrderGroup(g.order_group_id), "object");
    expect(must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse").is_auto_cancel_enabled).toBe(true);
    must(await og.deleteOrderGroup(g.order_group_id), "object");
    expect((await fails(og.getOrderGroup(g.order_group_id))).status).toBe(404);
  });
});

describe("edge cases real Kalshi has", () => {
  test("limit over max → bare {msg}; garbage cursor → 200 from the top", async () => {
    const mk = live.api(MarketApi);
    const over = await fails(mk.getMarkets(1001));
    expect(over).toEqual({
      status: 400,
      data: {
        msg: "Parameter validation failed for GetMarkets: Key: 'GetMarketsParams.Limit' Error:Field validation for 'Limit' failed on the 'lte' tag",
      },
    });
    const calls = [
      () => live.api(EventsApi).getEvents(201),
      () => mk.getTrades(1001),
      () => hand.api(PortfolioApi).getFills(undefined, undefined, undefined, undefined, 1001),
      () => hand.api(OrdersApi).getOrders(undefined, undefined, undefined, undefined, undefined, 1001),
      () => hand.api(PortfolioApi).getPositions(undefined, 1001),
      () => hand.api(PortfolioApi).getSettlements(1001),
    ];
    for (const call of calls) {
      const e = await fails(call());
      expect(e.status).toBe(400);
      expect(Object.keys(e.data)).toEqual(["msg"]);
    }
    const g = must(await mk.getMarkets(5, "not-a-cursor"), "GetMarketsResponse");
    const top = must(await mk.getMarkets(5), "GetMarketsResponse");
    expect(g.markets.map((m) => m.ticker)).toEqual(top.markets.map((m) => m.ticker));
  });

  test("duplicate client_order_id (also after cancel) → 409; cancel twice → 404; numeric count → flat 400", async () => {
    const orders = hand.api(OrdersApi);
    const body = V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.0500" });
    const c = must(await orders.createOrderV2(body), "CreateOrderV2Response", 201);
    expect(await fails(orders.createOrderV2(body))).toEqual({
      status: 409,
      data: { error: { code: "order_already_exists", message: "order already exists", service: "exchange" } },
    });
    await orders.cancelOrderV2(c.order_id);
    expect((await fails(orders.createOrderV2(body))).status).toBe(409);
    expect(await fails(orders.cancelOrderV2(c.order_id))).toEqual({
      status: 404,
      data: { error: { code: "not_found", message: "not found", service: "exchange" } },
    });
    const num = await fails(orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: 1, price: "0.0500" })));
    expect(num).toEqual({
      status: 400,
      data: {
        code: "bad_request",
        message: "bad request",
        details: "json: cannot unmarshal number into Go struct field CreateOrderV2Request.count of type string",
      },
    });
    // Every mistyped field is the Go decoder's flat 400, not a validation error.
    const flat = (details: string) => ({ status: 400, data: { code: "bad_request", message: "bad request", details } });
    expect(
      await fails(orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.0500", expiration_time: "1700000000" }))),
    ).toEqual(flat("json: cannot unmarshal string into Go struct field CreateOrderV2Request.expiration_time of type int64"));
    expect(
      await fails(orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.0500", post_only: "true" }))),
    ).toEqual(flat("json: cannot unmarshal string into Go struct field CreateOrderV2Request.post_only of type bool"));
    expect(await fails(orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: 0.05 })))).toEqual(
      flat("json: cannot unmarshal number into Go struct field CreateOrderV2Request.price of type string"),
    );
    // In a batch the whole body is decoded first: one mistyped item fails the request, nothing is placed.
    const before = (await orders.getOrders(undefined, undefined, undefined, undefined, "resting")).data.orders.length;
    expect(
      await fails(
        orders.batchCreateOrdersV2({
          orders: [
            V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.0500" }),
            V2({ ticker: T_BIN, side: "bid", count: 2, price: "0.0500" }),
          ],
        }),
      ),
    ).toEqual(flat("json: cannot unmarshal number into Go struct field BatchCreateOrdersV2Request.orders.count of type string"));
    expect((await orders.getOrders(undefined, undefined, undefined, undefined, "resting")).data.orders.length).toBe(before);
  });

  test("off-grid price, post-only cross, insufficient balance", async () => {
    const orders = hand.api(OrdersApi);
    expect(await fails(orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.4150" })))).toEqual({
      status: 400,
      data: { error: { code: "invalid_price", message: "invalid price", service: "exchange" } },
    });
    expect(await fails(orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.5200", post_only: true })))).toEqual({
      status: 400,
      data: { error: { code: "invalid_order", message: "invalid order", details: "post only cross" } },
    });
    // B has < $50 left; 200 YES at 0.30 needs $60.
    expect(await fails(handB.api(OrdersApi).createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "200.00", price: "0.3000" })))).toEqual({
      status: 400,
      data: { error: { code: "insufficient_balance", message: "insufficient balance", service: "exchange" } },
    });
  });

  test("FOK not fillable: nothing trades; IOC partial fills what it can", async () => {
    const orders = hand.api(OrdersApi);
    const before = (await hand.api(MarketApi).getMarketOrderbook(T_BIN)).data.orderbook_fp;
    const fok = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "ask", count: "500.00", price: "0.4000", time_in_force: "fill_or_kill" })),
      "CreateOrderV2Response",
      201,
    );
    expect(fok).toMatchObject({ fill_count: "0.00", remaining_count: "0.00" });
    expect((await hand.api(MarketApi).getMarketOrderbook(T_BIN)).data.orderbook_fp).toEqual(before);
    expect(must(await orders.getOrder(fok.order_id), "GetOrderResponse").order.status).toBe("canceled");
    // An IOC sell at 0.40 takes every YES bid at 0.40 or better (all the house maker's) and drops the rest.
    const reachable = before.yes_dollars.filter((l) => l[0]! >= "0.4000").reduce((s, l) => s + Math.round(Number(l[1]) * 100), 0);
    expect(reachable).toBeGreaterThan(0);
    const ioc = must(
      await orders.createOrderV2(
        V2({ ticker: T_BIN, side: "ask", count: "500.00", price: "0.4000", time_in_force: "immediate_or_cancel" }),
      ),
      "CreateOrderV2Response",
      201,
    );
    expect(ioc.fill_count).toBe((reachable / 100).toFixed(2));
    expect(ioc.remaining_count).toBe("0.00");
  });

  test("reduce_only never grows a position; expiration_time in the past; self-trade under taker_at_cross", async () => {
    const orders = hand.api(OrdersApi);
    const portfolio = hand.api(PortfolioApi);
    // No position on the maker-fee market for A in this direction beyond what it holds (3 YES): a reduce-only ask for 10 is capped at 3.
    const held = must(await portfolio.getPositions(undefined, undefined, undefined, T_MAKERFEE), "GetPositionsResponse")
      .market_positions[0]!.position_fp;
    expect(held).toBe("3.00");
    const ro = must(
      await orders.createOrderV2(V2({ ticker: T_MAKERFEE, side: "ask", count: "10.00", price: "0.9000", reduce_only: true })),
      "CreateOrderV2Response",
      201,
    );
    expect(ro.remaining_count).toBe("3.00");
    await orders.cancelOrderV2(ro.order_id);
    // Buying more YES with reduce_only on a long position: nothing rests.
    const grow = must(
      await orders.createOrderV2(V2({ ticker: T_MAKERFEE, side: "bid", count: "1.00", price: "0.1000", reduce_only: true })),
      "CreateOrderV2Response",
      201,
    );
    expect(grow).toMatchObject({ fill_count: "0.00", remaining_count: "0.00" });

    const past = await fails(
      orders.createOrderV2(
        V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.0500", expiration_time: Math.floor(Date.now() / 1000) - 3600 }),
      ),
    );
    expect(past.status).toBe(400);

    const own = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.4600" })),
      "CreateOrderV2Response",
      201,
    );
    const cross = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "ask", count: "1.00", price: "0.4600", time_in_force: "immediate_or_cancel" })),
      "CreateOrderV2Response",
      201,
    );
    expect(cross).toMatchObject({ fill_count: "0.00", remaining_count: "0.00" });
    expect(must(await orders.getOrder(own.order_id), "GetOrderResponse").order.status).toBe("resting");
    await orders.cancelOrderV2(own.order_id);
  });

  test("unsigned portfolio call → 401 missing-signature body; public market data without a signature", async () => {
    const anon = new MarketApi(new Configuration({ basePath: hand.sim.baseUrl }), undefined, ax());
    must(await anon.getMarkets(5), "GetMarketsResponse");
    must(await anon.getMarket(T_BIN), "GetMarketResponse");
    const noAuth = new PortfolioApi(new Configuration({ basePath: hand.sim.baseUrl }), undefined, ax());
    expect(await fails(noAuth.getBalance())).toEqual({
      status: 401,
      data: { error: { code: "signature_is_missing_from_headers", message: "signature is missing from headers" } },
    });
  });

  test("bracket event: nested markets are the event's, mutually exclusive", async () => {
    const e = must(await hand.api(EventsApi).getEvent(EV_BRACKET, true), "GetEventResponse");
    expect(e.event.mutually_exclusive).toBe(true);
    expect(e.event.markets!.map((m) => m.ticker).sort()).toEqual([`${EV_BRACKET}-A`, `${EV_BRACKET}-B`, `${EV_BRACKET}-C`]);
  });
});
