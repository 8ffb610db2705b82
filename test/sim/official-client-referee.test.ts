// The official client `kalshi-typescript` 3.30.0 as the referee, against `dist/kalshi-bot sim`
// started as a real process. Where official-client-full.test.ts checks that every method a bot
// uses answers in the SDK's models, this file checks that the VALUES make sense together, the way
// a client sees Kalshi: lists walked by cursor while new records arrive (Kalshi's cursors are
// keysets: nothing repeats, nothing is skipped), market quotes agreeing with the order book,
// settlement of a NO result for both sides, the order life cycle through every V2 write, order
// groups, the account tier endpoints, and every error the brief names arriving as the client's
// AxiosError with Kalshi's body. 127.0.0.1 only; keys are generated at run time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import axios, { AxiosError, type AxiosResponse } from "axios";
import {
  AccountApi,
  Configuration,
  EventsApi,
  ExchangeApi,
  HistoricalApi,
  IncentiveProgramsApi,
  MarketApi,
  MilestoneApi,
  MultivariateApi,
  OrderGroupsApi,
  OrdersApi,
  PortfolioApi,
  SearchApi,
  StructuredTargetsApi,
  type Market,
} from "kalshi-typescript";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { cleanup } from "../helpers/bin.ts";
import { checkModel } from "./sdk-models.ts";
import { EV_BRACKET, handScenario, spawnSimBinary, T_BIN, T_DECI, T_MAKERFEE, type SimProcess } from "./helpers.ts";

type Ctor<T> = new (c: Configuration, basePath?: string, ax?: any) => T;

const keyA = generateKeyPair();
const keyB = generateKeyPair();
let sim: SimProcess;
const cfgA = () => new Configuration({ apiKey: "ref-a", privateKeyPem: keyA.privateKeyPem, basePath: sim.baseUrl });
const cfgB = () => new Configuration({ apiKey: "ref-b", privateKeyPem: keyB.privateKeyPem, basePath: sim.baseUrl });
/** A fresh axios instance per API object (API.md §2.8: the SDK stacks interceptors on a shared one). */
const A = <T>(C: Ctor<T>): T => new C(cfgA(), undefined, axios.create());
const B = <T>(C: Ctor<T>): T => new C(cfgB(), undefined, axios.create());

/** The body of a successful SDK call, after checking it against the SDK's generated model. */
function must<T>(r: AxiosResponse<T>, model: string, status = 200): T {
  expect(r.status).toBe(status);
  expect(checkModel(r.data, model)).toEqual([]);
  return r.data;
}

/** A call that must fail: the SDK rejects with an AxiosError carrying Kalshi's status and body. */
async function rejects(p: Promise<unknown>): Promise<{ status: number; data: any }> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error("call succeeded, expected an error");
  expect(err).toBeInstanceOf(AxiosError);
  const e = err as AxiosError;
  expect(e.isAxiosError).toBe(true);
  expect(e.response).toBeDefined();
  return { status: e.response!.status, data: e.response!.data };
}

/** Nested error body whose `error` fits the SDK's ErrorResponse (code/message/details; `service` is wire-only). */
function nestedError(data: any, code: string): void {
  expect(typeof data?.error).toBe("object");
  expect(data.error.code).toBe(code);
  expect(checkModel(data.error, "ErrorResponse")).toEqual([]);
  expect(typeof data.error.message).toBe("string");
}

const V2 = (o: Record<string, unknown>) =>
  ({
    time_in_force: "good_till_canceled",
    self_trade_prevention_type: "taker_at_cross",
    client_order_id: crypto.randomUUID(),
    ...o,
  }) as any;
const U = undefined;
const cents = (d: string) => Math.round(Number(d) * 10_000);
const fmt4 = (e4: number) => (e4 / 10_000).toFixed(4);

const FAST_EV = "KXFASTNO-26NOV24";
const T_FAST = `${FAST_EV}-N`;
const LATER_EV = "KXLATER-26NOV30";
const T_LATER = `${LATER_EV}-L`;
/** Sim seconds per wall second: the fast market closes 5 wall seconds after start and settles ~1 s later. */
const SPEED = 30;

beforeAll(async () => {
  const sc = handScenario() as any;
  // Nothing but the fast market may change status while the tests run (×30 clock).
  sc.events.find((e: any) => e.event_ticker === EV_BRACKET).close_in_s = 7200;
  sc.series.push({
    ticker: "KXWX",
    title: "Weather tags",
    fee_type: "quadratic",
    category: "Climate and Weather",
    tags: ["Daily temperature", "NYC"],
  });
  sc.events.push(
    {
      event_ticker: FAST_EV,
      series_ticker: "KXTEST",
      title: "Fast, settles NO",
      close_in_s: 150,
      settlement_timer_s: 1,
      liquidity: "none",
      markets: [{ suffix: "N", yes_sub_title: "N", result: "no", book: { yes: [["0.3000", "20.00"]], no: [["0.6000", "20.00"]] } }],
    },
    {
      event_ticker: LATER_EV,
      series_ticker: "KXWX",
      title: "Opens tomorrow",
      open_in_s: 86_400,
      close_in_s: 2 * 86_400,
      liquidity: "none",
      markets: [{ suffix: "L", yes_sub_title: "L" }],
    },
  );
  sim = await spawnSimBinary({
    accounts: [
      { id: "ref-a", publicKeyPem: keyA.publicKeyPem, balance: "1000" },
      { id: "ref-b", publicKeyPem: keyB.publicKeyPem, balance: "5" },
    ],
    args: ["--tier", "unlimited", "--speed", String(SPEED), "--seed", "3"],
    scenario: sc,
  });
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  await cleanup();
});

describe("settlement of a NO result, both sides (runs first: the market settles seconds after start)", () => {
  test("YES holder gets a $0 settlement, NO holder $1.00 a contract; balances, fills, positions, lists", async () => {
    const a = A(OrdersApi);
    const b = B(OrdersApi);
    // NO bid 0.60 ⇒ YES ask 0.40: A buys 2 YES. Fee 0.07·2·0.4·0.6 = 0.0336.
    const ra = must(
      await a.createOrderV2(V2({ ticker: T_FAST, side: "bid", count: "2.00", price: "0.4000", time_in_force: "immediate_or_cancel" })),
      "CreateOrderV2Response",
      201,
    );
    expect(ra).toMatchObject({ fill_count: "2.00", remaining_count: "0.00", average_fill_price: "0.4000", average_fee_paid: "0.0168" });
    // B sells 3 YES into the 0.30 YES bid = buys 3 NO at 0.70. Fee 0.07·3·0.3·0.7 = 0.0441.
    const rb = must(
      await b.createOrderV2(V2({ ticker: T_FAST, side: "ask", count: "3.00", price: "0.3000", time_in_force: "fill_or_kill" })),
      "CreateOrderV2Response",
      201,
    );
    expect(rb).toMatchObject({ fill_count: "3.00", remaining_count: "0.00", average_fill_price: "0.3000", average_fee_paid: "0.0147" });

    const fb = must(await B(PortfolioApi).getFills(T_FAST), "GetFillsResponse").fills;
    expect(
      fb.map((f) => [f.book_side, f.outcome_side, f.yes_price_dollars, f.no_price_dollars, f.count_fp, f.fee_cost, f.is_taker, f.order_id]),
    ).toEqual([["ask", "no", "0.3000", "0.7000", "3.00", "0.044100", true, rb.order_id]]);
    const pb = must(await B(PortfolioApi).getPositions(U, U, U, T_FAST), "GetPositionsResponse").market_positions;
    expect(pb).toHaveLength(1);
    expect(pb[0]).toMatchObject({
      position_fp: "-3.00",
      market_exposure_dollars: "2.100000",
      fees_paid_dollars: "0.044100",
      total_traded_dollars: "2.100000",
    });
    expect(must(await B(PortfolioApi).getBalance(), "GetBalanceResponse")).toMatchObject({ balance_dollars: "2.8559", balance: 285 });

    const mk = A(MarketApi);
    const deadline = Date.now() + 20_000;
    let m = must(await mk.getMarket(T_FAST), "GetMarketResponse").market;
    while (m.status !== "finalized" && Date.now() < deadline) {
      await Bun.sleep(100);
      m = must(await mk.getMarket(T_FAST), "GetMarketResponse").market;
    }
    expect(m).toMatchObject({ status: "finalized", result: "no", settlement_value_dollars: "0.0000" });
    expect(typeof m.settlement_ts).toBe("string");

    const sa = must(await A(PortfolioApi).getSettlements(100, U, T_FAST), "GetSettlementsResponse").settlements;
    expect(sa).toHaveLength(1);
    expect(sa[0]).toMatchObject({
      ticker: T_FAST,
      event_ticker: FAST_EV,
      market_result: "no",
      yes_count_fp: "2.00",
      yes_total_cost_dollars: "0.800000",
      no_count_fp: "0.00",
      no_total_cost_dollars: "0.000000",
      revenue: 0,
      value: 0,
      fee_cost: "0.000000",
    });
    const sb = must(await B(PortfolioApi).getSettlements(100, U, T_FAST), "GetSettlementsResponse").settlements;
    expect(sb[0]).toMatchObject({
      market_result: "no",
      yes_count_fp: "0.00",
      no_count_fp: "3.00",
      no_total_cost_dollars: "2.100000",
      revenue: 300,
      value: 0,
    });
    // B: 5 − 2.10 − 0.0441 + 3.00.
    expect(must(await B(PortfolioApi).getBalance(), "GetBalanceResponse")).toMatchObject({
      balance_dollars: "5.8559",
      balance: 585,
      portfolio_value: 0,
    });
    // Realized P&L of the settled position: A lost its 0.80, B made 0.90.
    const after = must(await B(PortfolioApi).getPositions(U, U, "total_traded", T_FAST), "GetPositionsResponse").market_positions;
    expect(after[0]).toMatchObject({ position_fp: "0.00", market_exposure_dollars: "0.000000", realized_pnl_dollars: "0.900000" });

    // The settled market and event appear under the settled filters, not under open.
    const settled = must(await mk.getMarkets(1000, U, U, U, U, U, U, U, U, U, U, "settled" as any), "GetMarketsResponse").markets;
    expect(settled.map((x) => x.ticker)).toContain(T_FAST);
    const nowS = Math.floor(Date.now() / 1000);
    const bySettledTs = must(
      await mk.getMarkets(1000, U, U, U, U, U, U, U, U, nowS - 86_400, nowS + 30 * 86_400),
      "GetMarketsResponse",
    ).markets;
    expect(bySettledTs.map((x) => x.ticker)).toEqual([T_FAST]);
    const open = must(await mk.getMarkets(1000, U, U, U, U, U, U, U, U, U, U, "open" as any), "GetMarketsResponse").markets;
    expect(open.map((x) => x.ticker)).not.toContain(T_FAST);
    const evSettled = must(await A(EventsApi).getEvents(200, U, true, false, "settled" as any), "GetEventsResponse").events;
    expect(evSettled.map((e) => e.event_ticker)).toEqual([FAST_EV]);
    expect(evSettled[0]!.markets!.map((x) => x.status)).toEqual(["finalized"]);
    // Orders on a finalized market are refused.
    nestedError(
      (await rejects(a.createOrderV2(V2({ ticker: T_FAST, side: "bid", count: "1.00", price: "0.1000" })))).data,
      "market_closed",
    );
  }, 40_000);
});

describe("ExchangeApi", () => {
  test("status and schedule carry usable values", async () => {
    const ex = A(ExchangeApi);
    expect(must(await ex.getExchangeStatus(), "ExchangeStatus")).toMatchObject({ exchange_active: true, trading_active: true });
    const sch = must(await ex.getExchangeSchedule(), "GetExchangeScheduleResponse").schedule;
    expect(sch.standard_hours.length).toBeGreaterThan(0);
    expect(Array.isArray(sch.maintenance_windows)).toBe(true);
    for (const w of sch.standard_hours) {
      expect(Date.parse(w.start_time)).toBeLessThan(Date.now());
      expect(Date.parse(w.end_time)).toBeGreaterThan(Date.now());
      for (const day of [w.monday, w.tuesday, w.wednesday, w.thursday, w.friday, w.saturday, w.sunday]) {
        expect(day.length).toBeGreaterThan(0);
        for (const s of day) {
          expect(s.open_time).toMatch(/^\d\d:\d\d$/);
          expect(s.close_time).toMatch(/^\d\d:\d\d$/);
        }
      }
    }
  });
});

describe("series", () => {
  test("one series, the list, category / tags / min_updated_ts filters, include_volume sums the series' markets", async () => {
    const mk = A(MarketApi);
    const all = must(await mk.getSeriesList(), "GetSeriesListResponse").series;
    expect(all.map((s) => s.ticker).sort()).toEqual(["KXBRK", "KXDECI", "KXMAKER", "KXTEST", "KXWX"]);
    for (const s of all) {
      expect(s.volume_fp).toBeUndefined();
      expect(Number.isNaN(Date.parse(s.last_updated_ts!))).toBe(false);
      expect(["quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees", "flat"]).toContain(s.fee_type);
    }
    expect(all.find((s) => s.ticker === "KXDECI")!.fee_multiplier).toBe(0.5);
    const one = must(await mk.getSeries("KXWX"), "GetSeriesResponse").series;
    expect(one).toMatchObject({ ticker: "KXWX", category: "Climate and Weather", tags: ["Daily temperature", "NYC"] });
    expect(one.categories).toContain("Climate and Weather");
    expect(must(await mk.getSeriesList("Climate and Weather"), "GetSeriesListResponse").series.map((s) => s.ticker)).toEqual(["KXWX"]);
    expect(must(await mk.getSeriesList(U, "NYC"), "GetSeriesListResponse").series.map((s) => s.ticker)).toEqual(["KXWX"]);
    expect(must(await mk.getSeriesList(U, "No such tag"), "GetSeriesListResponse").series).toEqual([]);
    const nowS = Math.floor(Date.now() / 1000);
    expect(must(await mk.getSeriesList(U, U, U, U, nowS + 86_400), "GetSeriesListResponse").series).toEqual([]);
    expect(must(await mk.getSeriesList(U, U, U, U, nowS - 86_400), "GetSeriesListResponse").series.length).toBe(all.length);

    // KXTEST's traded volume: the fast market's 5 contracts (settlement test) plus whatever T_BIN traded.
    const markets = must(await mk.getMarkets(1000, U, U, "KXTEST"), "GetMarketsResponse").markets;
    const traded = markets.reduce((s, m) => s + cents(m.volume_fp), 0);
    expect(traded).toBeGreaterThanOrEqual(50_000);
    const withVol = must(await mk.getSeries("KXTEST", true), "GetSeriesResponse").series;
    expect(cents(withVol.volume_fp!)).toBe(traded);
    const listVol = must(await mk.getSeriesList(U, U, U, true), "GetSeriesListResponse").series;
    expect(listVol.every((s) => typeof s.volume_fp === "string")).toBe(true);
    expect(listVol.find((s) => s.ticker === "KXWX")!.volume_fp).toBe("0.00");
    expect((await rejects(mk.getSeries("KXNOSUCH"))).status).toBe(404);
  });
});

/** Walk a cursor list to the end with the SDK; fails on a loop. */
async function walk<T>(fetch: (cursor: string | undefined) => Promise<{ items: T[]; cursor?: string }>, maxPages = 500): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const p = await fetch(cursor);
    out.push(...p.items);
    expect(typeof p.cursor).toBe("string");
    if (!p.cursor) return out;
    cursor = p.cursor;
  }
  throw new Error(`no last page after ${maxPages} pages`);
}

describe("events", () => {
  test("walked one at a time with nested markets; one event; status, series and tickers filters", async () => {
    const ev = A(EventsApi);
    const walked = await walk(async (c) => {
      const p = must(await ev.getEvents(1, c, true), "GetEventsResponse");
      expect(p.events.length).toBeLessThanOrEqual(1);
      return { items: p.events, cursor: p.cursor };
    });
    const tickers = walked.map((e) => e.event_ticker);
    expect(new Set(tickers).size).toBe(tickers.length);
    expect([...tickers].sort()).toEqual(["KXBRK-26NOV24", FAST_EV, LATER_EV, "KXDECI-26NOV24", "KXMAKER-26NOV24", "KXTEST-26NOV24"].sort());
    for (const e of walked) {
      expect(e.markets!.length).toBeGreaterThan(0);
      expect(e.markets!.every((m) => m.event_ticker === e.event_ticker)).toBe(true);
      const one = must(await ev.getEvent(e.event_ticker, true), "GetEventResponse");
      expect(one.event.event_ticker).toBe(e.event_ticker);
      expect(one.event.series_ticker).toBe(e.series_ticker);
      expect(one.event.markets!.map((m) => m.ticker)).toEqual(e.markets!.map((m) => m.ticker));
      expect(one.markets.map((m) => m.ticker)).toEqual(e.markets!.map((m) => m.ticker));
    }
    const unopened = must(await ev.getEvents(200, U, true, false, "unopened" as any), "GetEventsResponse").events;
    expect(unopened.map((e) => e.event_ticker)).toEqual([LATER_EV]);
    expect(unopened[0]!.markets![0]!.status).toBe("initialized");
    const open = must(await ev.getEvents(200, U, true, false, "open" as any), "GetEventsResponse").events;
    expect(open.map((e) => e.event_ticker)).not.toContain(LATER_EV);
    expect(open.every((e) => e.markets!.some((m) => m.status === "active"))).toBe(true);
    expect(must(await ev.getEvents(200, U, false, false, U, "KXWX"), "GetEventsResponse").events.map((e) => e.event_ticker)).toEqual([
      LATER_EV,
    ]);
    const two = must(await ev.getEvents(200, U, false, false, U, U, `${LATER_EV},KXDECI-26NOV24`), "GetEventsResponse").events;
    expect(two.map((e) => e.event_ticker).sort()).toEqual(["KXDECI-26NOV24", LATER_EV]);
    expect(two.every((e) => e.markets === undefined)).toBe(true);
    const bad = await rejects(ev.getEvents(200, U, false, false, "paused" as any));
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.data)).toEqual(["msg"]);
  });
});

describe("discovery APIs of the official client", () => {
  test("search tags by category, sports filters, milestones, structured targets, incentive programs, multivariate collections", async () => {
    const tags = must(await A(SearchApi).getTagsForSeriesCategories(), "GetTagsForSeriesCategoriesResponse").tags_by_categories;
    expect(tags["Climate and Weather"]).toEqual(["Daily temperature", "NYC"]);
    expect(tags.Economics).toEqual([]);
    expect(must(await A(SearchApi).getFiltersForSports(), "GetFiltersBySportsResponse")).toEqual({
      filters_by_sports: {},
      sport_ordering: [],
    });
    expect(must(await A(MilestoneApi).getMilestones(10), "GetMilestonesResponse").milestones).toEqual([]);
    expect((await rejects(A(MilestoneApi).getMilestone("00000000-0000-0000-0000-000000000000"))).status).toBe(404);
    expect(must(await A(StructuredTargetsApi).getStructuredTargets(), "GetStructuredTargetsResponse").structured_targets).toEqual([]);
    expect((await rejects(A(StructuredTargetsApi).getStructuredTarget("00000000-0000-0000-0000-000000000000"))).status).toBe(404);
    expect(must(await A(IncentiveProgramsApi).getIncentivePrograms(), "GetIncentiveProgramsResponse").incentive_programs).toEqual([]);
    expect(
      must(await A(MultivariateApi).getMultivariateEventCollections(), "GetMultivariateEventCollectionsResponse").multivariate_contracts,
    ).toEqual([]);
    expect((await rejects(A(MultivariateApi).getMultivariateEventCollection("KXMVENOPE"))).status).toBe(404);
    // GetEvents carries `milestones` only when asked for.
    expect("milestones" in must(await A(EventsApi).getEvents(5), "GetEventsResponse")).toBe(false);
    expect(must(await A(EventsApi).getEvents(5, U, false, true), "GetEventsResponse").milestones).toEqual([]);
  });
});

/** Kalshi's GetMarkets order (fixtures/markets__page1..3): created_time descending, then ticker descending. */
function inKalshiOrder(ms: Market[]): boolean {
  for (let i = 1; i < ms.length; i++) {
    const [p, q] = [ms[i - 1]!, ms[i]!];
    const [tp, tq] = [Date.parse(p.created_time), Date.parse(q.created_time)];
    if (tp < tq || (tp === tq && p.ticker <= q.ticker)) return false;
  }
  return true;
}

describe("markets", () => {
  test("walked by cursor with every filter equals the unpaged answer, in Kalshi's order", async () => {
    const mk = A(MarketApi);
    const get = async (limit: number, cursor?: string, f: { ev?: string; series?: string; status?: string; tickers?: string } = {}) =>
      must(await mk.getMarkets(limit, cursor, f.ev, f.series, U, U, U, U, U, U, U, f.status as any, f.tickers), "GetMarketsResponse");
    const everything = (await get(1000)).markets;
    expect(everything.length).toBe(8);
    expect(inKalshiOrder(everything)).toBe(true);
    const filters = [
      {},
      { status: "open" },
      { status: "unopened" },
      { status: "settled" },
      { ev: "KXBRK-26NOV24" },
      { series: "KXTEST" },
      { series: "KXBRK", status: "open" },
      { tickers: `${T_BIN},${T_DECI},${T_LATER}` },
    ];
    for (const f of filters) {
      const whole = (await get(1000, U, f)).markets;
      const walked = await walk(async (c) => {
        const p = await get(2, c, f);
        return { items: p.markets, cursor: p.cursor };
      });
      expect([JSON.stringify(f), walked.map((m) => m.ticker)]).toEqual([JSON.stringify(f), whole.map((m) => m.ticker)]);
    }
    expect((await get(1000, U, { ev: "KXBRK-26NOV24" })).markets.map((m) => m.ticker)).toEqual([
      "KXBRK-26NOV24-C",
      "KXBRK-26NOV24-B",
      "KXBRK-26NOV24-A",
    ]);
    expect((await get(1000, U, { status: "unopened" })).markets.map((m) => m.ticker)).toEqual([T_LATER]);
    // A cursor of ours is Kalshi's shape (protobuf of created_time + ticker, base64url without padding).
    const first = await get(2);
    expect(first.cursor).toMatch(/^Cg[A-Za-z0-9_-]+$/);
    expect(Buffer.from(first.cursor, "base64url").toString("latin1")).toContain(first.markets[1]!.ticker);
    // mve_filter: no multivariate markets exist here.
    expect(must(await mk.getMarkets(100, U, U, U, U, U, U, U, U, U, U, U, U, "only" as any), "GetMarketsResponse")).toEqual({
      cursor: "",
      markets: [],
    });
    expect(must(await mk.getMarkets(1000, U, U, U, U, U, U, U, U, U, U, U, U, "exclude" as any), "GetMarketsResponse").markets.length).toBe(
      everything.length,
    );
    const badMve = await rejects(mk.getMarkets(100, U, U, U, U, U, U, U, U, U, U, U, U, "sometimes" as any));
    expect(badMve.status).toBe(400);
    expect(Object.keys(badMve.data)).toEqual(["msg"]);
  });

  test("a market's quote agrees with its order book; depth; unknown ticker 404", async () => {
    const mk = A(MarketApi);
    const open = must(await mk.getMarkets(1000, U, U, U, U, U, U, U, U, U, U, "open" as any), "GetMarketsResponse").markets;
    expect(open.length).toBeGreaterThan(3);
    for (const m of open) {
      const one = must(await mk.getMarket(m.ticker), "GetMarketResponse").market;
      const ob = must(await mk.getMarketOrderbook(m.ticker), "GetMarketOrderbookResponse").orderbook_fp;
      const yes = ob.yes_dollars;
      const no = ob.no_dollars;
      const bestYes = yes[yes.length - 1];
      const bestNo = no[no.length - 1];
      expect([m.ticker, one.yes_bid_dollars, one.yes_bid_size_fp]).toEqual([m.ticker, bestYes?.[0] ?? "0.0000", bestYes?.[1] ?? "0.00"]);
      expect([m.ticker, one.yes_ask_dollars, one.yes_ask_size_fp]).toEqual([
        m.ticker,
        bestNo ? fmt4(10_000 - cents(bestNo[0]!)) : "1.0000",
        bestNo?.[1] ?? "0.00",
      ]);
      expect(cents(one.no_bid_dollars)).toBe(10_000 - cents(one.yes_ask_dollars));
      expect(cents(one.no_ask_dollars)).toBe(10_000 - cents(one.yes_bid_dollars));
      if (bestYes && bestNo) expect(cents(bestYes[0]!) + cents(bestNo[0]!)).toBeLessThan(10_000); // never crossed
      for (const side of [yes, no])
        for (let i = 1; i < side.length; i++) expect(cents(side[i]![0]!)).toBeGreaterThan(cents(side[i - 1]![0]!));
      const top = must(await mk.getMarketOrderbook(m.ticker, 1), "GetMarketOrderbookResponse").orderbook_fp;
      expect(top.yes_dollars).toEqual(bestYes ? [bestYes] : []);
      expect(top.no_dollars).toEqual(bestNo ? [bestNo] : []);
      expect(one.price_ranges.length).toBeGreaterThan(0);
      expect(["linear_cent", "deci_cent", "tapered_deci_cent"]).toContain(one.price_level_structure);
    }
    nestedError((await rejects(mk.getMarket("KXNOPE-26NOV24-X"))).data, "not_found");
  });
});

describe("lists walked while new records arrive (keyset cursors: no repeats, no gaps)", () => {
  test("public trades, fills and orders", async () => {
    const mk = A(MarketApi);
    const orders = A(OrdersApi);
    const pf = A(PortfolioApi);
    // Three trades on T_BIN against the house book (YES asks 0.50×4, 0.52×3).
    for (let i = 0; i < 3; i++)
      must(
        await orders.createOrderV2(
          V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.5000", time_in_force: "immediate_or_cancel" }),
        ),
        "CreateOrderV2Response",
        201,
      );
    const t1 = must(await mk.getTrades(2, U, T_BIN), "GetTradesResponse");
    const f1 = must(await pf.getFills(T_BIN, U, U, U, 2), "GetFillsResponse");
    const o1 = must(await orders.getOrders(T_BIN, U, U, U, U, 2), "GetOrdersResponse");
    expect([t1.trades.length, f1.fills.length, o1.orders.length]).toEqual([2, 2, 2]);
    // Meanwhile: a new trade (and fill, and order) lands at the head of each list.
    const fresh = must(
      await orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.5000", time_in_force: "immediate_or_cancel" })),
      "CreateOrderV2Response",
      201,
    );
    expect(fresh.fill_count).toBe("1.00");
    const t2 = must(await mk.getTrades(2, t1.cursor, T_BIN), "GetTradesResponse");
    const f2 = must(await pf.getFills(T_BIN, U, U, U, 2, f1.cursor), "GetFillsResponse");
    const o2 = must(await orders.getOrders(T_BIN, U, U, U, U, 2, o1.cursor), "GetOrdersResponse");
    const tradesNow = must(await mk.getTrades(1000, U, T_BIN), "GetTradesResponse").trades.map((t) => t.trade_id);
    const fillsNow = must(await pf.getFills(T_BIN, U, U, U, 1000), "GetFillsResponse").fills.map((f) => f.fill_id);
    const ordersNow = must(await orders.getOrders(T_BIN, U, U, U, U, 1000), "GetOrdersResponse").orders.map((o) => o.order_id);
    // Page 2 continues exactly where page 1 stopped: the next two of the list as it stood.
    expect(t2.trades.map((t) => t.trade_id)).toEqual(tradesNow.slice(3, 5));
    expect(t2.trades.map((t) => t.trade_id)).not.toContain(t1.trades[1]!.trade_id);
    expect(f2.fills.map((f) => f.fill_id)).toEqual(fillsNow.slice(3, 5));
    expect(o2.orders.map((o) => o.order_id)).toEqual(ordersNow.slice(3, 5));
    expect(ordersNow[0]).toBe(fresh.order_id);
    // Newest first, everywhere.
    const times = (xs: string[]) => xs.every((t, i) => i === 0 || Date.parse(xs[i - 1]!) >= Date.parse(t));
    expect(times(must(await mk.getTrades(1000, U, T_BIN), "GetTradesResponse").trades.map((t) => t.created_time))).toBe(true);
    expect(times(must(await pf.getFills(U, U, U, U, 1000), "GetFillsResponse").fills.map((f) => f.created_time!))).toBe(true);
    expect(times(must(await orders.getOrders(U, U, U, U, U, 1000), "GetOrdersResponse").orders.map((o) => o.created_time!))).toBe(true);
    // A full walk, one at a time, sees every fill exactly once.
    const walkedFills = await walk(async (c) => {
      const p = must(await pf.getFills(U, U, U, U, 1, c), "GetFillsResponse");
      return { items: p.fills.map((f) => f.fill_id), cursor: p.cursor };
    });
    expect(walkedFills).toEqual(must(await pf.getFills(U, U, U, U, 1000), "GetFillsResponse").fills.map((f) => f.fill_id));
    // A garbage cursor restarts from the top (as recorded on Kalshi).
    expect(must(await mk.getTrades(2, "garbage-cursor", T_BIN), "GetTradesResponse").trades.map((t) => t.trade_id)).toEqual(
      tradesNow.slice(0, 2),
    );
  });

  test("candlesticks account for every contract the market traded", async () => {
    const mk = A(MarketApi);
    const m = must(await mk.getMarket(T_BIN), "GetMarketResponse").market;
    const nowS = Math.floor(Date.now() / 1000);
    // The sim clock runs ×30: look a day either side of now.
    const c = must(await mk.getMarketCandlesticks("KXTEST", T_BIN, nowS - 86_400, nowS + 86_400, 1), "GetMarketCandlesticksResponse");
    expect(c.ticker).toBe(T_BIN);
    const vol = c.candlesticks.reduce((s, k) => s + cents(k.volume_fp), 0);
    expect(vol).toBe(cents(m.volume_fp));
    const traded = c.candlesticks.filter((k) => cents(k.volume_fp) > 0);
    expect(traded.length).toBeGreaterThan(0);
    expect(traded[traded.length - 1]!.price.close_dollars).toBe(m.last_price_dollars);
    for (const k of c.candlesticks) {
      expect(k.end_period_ts % 60).toBe(0);
      expect(cents(k.yes_bid.low_dollars)).toBeLessThanOrEqual(cents(k.yes_bid.high_dollars));
      expect(cents(k.yes_ask.low_dollars)).toBeLessThanOrEqual(cents(k.yes_ask.high_dollars));
    }
    for (let i = 1; i < c.candlesticks.length; i++)
      expect(c.candlesticks[i]!.end_period_ts).toBeGreaterThan(c.candlesticks[i - 1]!.end_period_ts);
    const hourly = must(await mk.getMarketCandlesticks("KXTEST", T_BIN, nowS - 86_400, nowS + 86_400, 60), "GetMarketCandlesticksResponse");
    expect(hourly.candlesticks.reduce((s, k) => s + cents(k.volume_fp), 0)).toBe(vol);
    expect(hourly.candlesticks.every((k) => k.end_period_ts % 3600 === 0)).toBe(true);
    const bad = await rejects(mk.getMarketCandlesticks("KXTEST", T_BIN, nowS - 3600, nowS, 5 as any));
    expect(bad.status).toBe(400);
  });
});

describe("events and positions walked by cursor (keysets: the order never shifts under a walk)", () => {
  test("walks at limit 1..3 equal the unpaged answer; a position opened and one traded mid-walk; over-limit 400s", async () => {
    const ev = A(EventsApi);
    const pf = A(PortfolioApi);
    const orders = A(OrdersApi);
    const whole = must(await ev.getEvents(200, U, true), "GetEventsResponse");
    expect(whole.cursor).toBe("");
    for (const limit of [1, 2, 3]) {
      const walked = await walk(async (c) => {
        const p = must(await ev.getEvents(limit, c, true), "GetEventsResponse");
        expect(p.events.length).toBeLessThanOrEqual(limit);
        return { items: p.events, cursor: p.cursor };
      });
      // Nested markets move with the ×30 clock; the events and their markets' tickers may not.
      expect(walked.map((e) => [e.event_ticker, e.markets!.map((m) => m.ticker)])).toEqual(
        whole.events.map((e) => [e.event_ticker, e.markets!.map((m) => m.ticker)]),
      );
    }
    expect(must(await ev.getMultivariateEvents(200), "GetMultivariateEventsResponse")).toEqual({ cursor: "", events: [] });

    // Positions in two events: bracket A and C (YES asks 0.40, 0.15) beside T_BIN's.
    const buy = async (ticker: string, price: string) =>
      expect(
        must(
          await orders.createOrderV2(V2({ ticker, side: "bid", count: "1.00", price, time_in_force: "immediate_or_cancel" })),
          "CreateOrderV2Response",
          201,
        ).fill_count,
      ).toBe("1.00");
    await buy(`${EV_BRACKET}-A`, "0.4000");
    await buy(`${EV_BRACKET}-C`, "0.1500");
    const all = must(await pf.getPositions(U, 1000), "GetPositionsResponse");
    expect(all.cursor).toBe("");
    expect(all.market_positions.map((p) => p.ticker)).toEqual([`${EV_BRACKET}-A`, `${EV_BRACKET}-C`, T_BIN]);
    expect(all.event_positions.map((e) => [e.event_ticker, e.total_cost_shares_fp, e.event_exposure_dollars])).toEqual([
      [EV_BRACKET, "2.00", "0.550000"],
      ["KXTEST-26NOV24", all.market_positions[2]!.position_fp, all.market_positions[2]!.market_exposure_dollars],
    ]);
    for (const limit of [1, 2, 3]) {
      const pages: Array<{ market_positions: any[]; event_positions: any[] }> = [];
      await walk(async (c) => {
        const p = must(await pf.getPositions(c, limit), "GetPositionsResponse");
        expect(p.market_positions.length).toBeLessThanOrEqual(limit);
        pages.push(p);
        return { items: p.market_positions, cursor: p.cursor };
      });
      expect(pages.flatMap((p) => p.market_positions)).toEqual(all.market_positions);
      // An event split over pages comes once, whole, on the page of its first market position.
      expect(pages.flatMap((p) => p.event_positions)).toEqual(all.event_positions);
    }
    // Mid-walk: after A, a new position in B (sorts after the cursor: walked) and more C (ahead:
    // walked once, with the new count).
    const first = must(await pf.getPositions(U, 1), "GetPositionsResponse");
    expect(first.market_positions.map((p) => p.ticker)).toEqual([`${EV_BRACKET}-A`]);
    await buy(`${EV_BRACKET}-B`, "0.2500");
    await buy(`${EV_BRACKET}-C`, "0.1500");
    const tail: Array<[string, string]> = [];
    let c = first.cursor;
    for (let i = 0; i < 10 && c; i++) {
      const p = must(await pf.getPositions(c, 1), "GetPositionsResponse");
      tail.push(...p.market_positions.map((m) => [m.ticker, m.position_fp] as [string, string]));
      c = p.cursor;
    }
    expect(c).toBe("");
    expect(tail).toEqual([
      [`${EV_BRACKET}-B`, "1.00"],
      [`${EV_BRACKET}-C`, "2.00"],
      [T_BIN, all.market_positions[2]!.position_fp],
    ]);

    const overE = await rejects(ev.getEvents(201));
    expect([overE.status, overE.data]).toEqual([
      400,
      {
        msg: "Parameter validation failed for GetEvents: Key: 'GetEventsParams.Limit' Error:Field validation for 'Limit' failed on the 'lte' tag",
      },
    ]);
    const overP = await rejects(pf.getPositions(U, 1001));
    expect([overP.status, overP.data]).toEqual([
      400,
      {
        msg: "Parameter validation failed for GetPositions: Key: 'GetPositionsParams.Limit' Error:Field validation for 'Limit' failed on the 'lte' tag",
      },
    ]);
    expect((await rejects(ev.getMultivariateEvents(201))).status).toBe(400);
  });
});

describe("orders: the V2 life cycle through the official client", () => {
  test("create → get → list → amend → decrease → cancel, with every answer's values", async () => {
    const orders = A(OrdersApi);
    const pf = A(PortfolioApi);
    const bal0 = cents(must(await pf.getBalance(), "GetBalanceResponse").balance_dollars);
    const cid = crypto.randomUUID();
    const created = must(
      await orders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "4.00", price: "0.2150", client_order_id: cid })),
      "CreateOrderV2Response",
      201,
    );
    expect(created).toMatchObject({ client_order_id: cid, fill_count: "0.00", remaining_count: "4.00" });
    expect(created.ts_ms).toBeGreaterThan(Date.now() - 60_000);
    // Resting collateral leaves the balance: 4 × 0.215.
    expect(cents(must(await pf.getBalance(), "GetBalanceResponse").balance_dollars)).toBe(bal0 - 8_600);
    const got = must(await orders.getOrder(created.order_id), "GetOrderResponse").order;
    expect(got).toMatchObject({
      order_id: created.order_id,
      client_order_id: cid,
      ticker: T_DECI,
      status: "resting",
      book_side: "bid",
      outcome_side: "yes",
      side: "yes",
      action: "buy",
      type: "limit",
      yes_price_dollars: "0.2150",
      no_price_dollars: "0.7850",
      initial_count_fp: "4.00",
      remaining_count_fp: "4.00",
      fill_count_fp: "0.00",
      self_trade_prevention_type: "taker_at_cross",
    });
    expect(Date.parse(got.created_time!)).toBeLessThanOrEqual(Date.parse(got.last_update_time!));
    const listed = must(await orders.getOrders(T_DECI, U, U, U, "resting"), "GetOrdersResponse").orders;
    expect(listed.map((o) => o.order_id)).toContain(created.order_id);
    expect(must(await orders.getOrders(U, "KXDECI-26NOV24", U, U, "resting"), "GetOrdersResponse").orders.map((o) => o.order_id)).toContain(
      created.order_id,
    );
    expect(must(await orders.getOrders(U, U, U, U, "executed", 1000), "GetOrdersResponse").orders.map((o) => o.order_id)).not.toContain(
      created.order_id,
    );
    const tooMany = await rejects(orders.getOrders(U, Array.from({ length: 11 }, (_, i) => `KXE${i}-26NOV24`).join(",")));
    expect(tooMany.status).toBe(400);

    // Amend: new price, new total, new client id. The old client id stays taken.
    const cid2 = crypto.randomUUID();
    const am = must(
      await orders.amendOrderV2(created.order_id, {
        ticker: T_DECI,
        side: "bid",
        price: "0.2200",
        count: "5.00",
        updated_client_order_id: cid2,
      } as any),
      "AmendOrderV2Response",
    );
    expect(am).toMatchObject({ order_id: created.order_id, fill_count: "0.00", remaining_count: "5.00" });
    const amended = must(await orders.getOrder(created.order_id), "GetOrderResponse").order;
    expect(amended).toMatchObject({ client_order_id: cid2, yes_price_dollars: "0.2200", remaining_count_fp: "5.00", status: "resting" });
    expect(cents(must(await pf.getBalance(), "GetBalanceResponse").balance_dollars)).toBe(bal0 - 11_000);
    nestedError(
      (await rejects(orders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.1000", client_order_id: cid })))).data,
      "order_already_exists",
    );
    // Amend must name the order's own ticker and side.
    expect(
      (await rejects(orders.amendOrderV2(created.order_id, { ticker: T_DECI, side: "ask", price: "0.9000", count: "5.00" } as any))).status,
    ).toBe(400);
    // Off-grid amend price: the deci-cent grid has 0.001 steps.
    nestedError(
      (await rejects(orders.amendOrderV2(created.order_id, { ticker: T_DECI, side: "bid", price: "0.2205", count: "5.00" } as any))).data,
      "invalid_price",
    );

    const d1 = must(await orders.decreaseOrderV2(created.order_id, { reduce_by: "1.50" } as any), "DecreaseOrderV2Response");
    expect(d1).toMatchObject({ order_id: created.order_id, remaining_count: "3.50" });
    const d2 = must(await orders.decreaseOrderV2(created.order_id, { reduce_to: "2.00" } as any), "DecreaseOrderV2Response");
    expect(d2.remaining_count).toBe("2.00");
    expect(cents(must(await pf.getBalance(), "GetBalanceResponse").balance_dollars)).toBe(bal0 - 4_400);
    expect((await rejects(orders.decreaseOrderV2(created.order_id, { reduce_to: "3.00" } as any))).status).toBe(400);
    expect(must(await orders.getOrderQueuePosition(created.order_id), "GetOrderQueuePositionResponse").queue_position_fp).toBe("0.00");

    // Cancel: Kalshi answers {order_id, reduced_by, ts_ms} (no client_order_id on the wire).
    const cx = must(await orders.cancelOrderV2(created.order_id), "CancelOrderV2Response");
    expect(Object.keys(cx).sort()).toEqual(["order_id", "reduced_by", "ts_ms"]);
    expect(cx).toMatchObject({ order_id: created.order_id, reduced_by: "2.00" });
    expect(cents(must(await pf.getBalance(), "GetBalanceResponse").balance_dollars)).toBe(bal0);
    const dead = must(await orders.getOrder(created.order_id), "GetOrderResponse").order;
    expect(dead).toMatchObject({ status: "canceled", remaining_count_fp: "0.00", fill_count_fp: "0.00" });
    // A dead order is gone for every write: 404 not_found, as recorded.
    for (const p of [
      orders.cancelOrderV2(created.order_id),
      orders.amendOrderV2(created.order_id, { ticker: T_DECI, side: "bid", price: "0.2200", count: "5.00" } as any),
      orders.decreaseOrderV2(created.order_id, { reduce_by: "1.00" } as any),
    ]) {
      const e = await rejects(p);
      expect(e.status).toBe(404);
      nestedError(e.data, "not_found");
    }
    const unknown = await rejects(orders.getOrder("00000000-0000-0000-0000-000000000000"));
    expect(unknown.status).toBe(404);
    nestedError(unknown.data, "not_found");
  });

  test("batch create (mixed results, a duplicate client id inside the batch) and batch cancel", async () => {
    const orders = A(OrdersApi);
    const dup = crypto.randomUUID();
    const r = must(
      await orders.batchCreateOrdersV2({
        orders: [
          V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.1010", client_order_id: dup }),
          V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.1020", client_order_id: dup }),
          V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "1.5000" }),
          V2({ ticker: "KXNOPE-26NOV24-X", side: "bid", count: "1.00", price: "0.1000" }),
          V2({ ticker: T_DECI, side: "ask", count: "2.50", price: "0.9010" }),
        ],
      } as any),
      "BatchCreateOrdersV2Response",
      201,
    );
    expect(r.orders).toHaveLength(5);
    expect(r.orders.map((o) => (o.error ? o.error.code : "ok"))).toEqual([
      "ok",
      "order_already_exists",
      "invalid_price",
      "market_not_found",
      "ok",
    ]);
    expect(r.orders[0]).toMatchObject({ client_order_id: dup, fill_count: "0.00", remaining_count: "1.00" });
    expect(r.orders[4]).toMatchObject({ fill_count: "0.00", remaining_count: "2.50" });
    for (const o of r.orders) if (o.error) expect(checkModel(o.error, "ErrorResponse")).toEqual([]);
    const ids = [r.orders[0]!.order_id!, r.orders[4]!.order_id!];
    const resting = must(await orders.getOrders(T_DECI, U, U, U, "resting"), "GetOrdersResponse").orders;
    expect(resting.map((o) => o.order_id).sort()).toEqual([...ids].sort());
    const ask = resting.find((o) => o.order_id === ids[1])!;
    expect(ask).toMatchObject({ book_side: "ask", outcome_side: "no", yes_price_dollars: "0.9010", no_price_dollars: "0.0990" });

    const bc = must(
      await orders.batchCancelOrdersV2({ orders: [{ order_id: ids[0]! }, { order_id: ids[1]! }, { order_id: ids[0]! }] } as any),
      "BatchCancelOrdersV2Response",
    );
    expect(bc.orders.map((o) => [o.order_id, o.reduced_by, o.error?.code ?? null])).toEqual([
      [ids[0]!, "1.00", null],
      [ids[1]!, "2.50", null],
      [ids[0]!, "0.00", "not_found"],
    ]);
    expect(must(await orders.getOrders(T_DECI, U, U, U, "resting"), "GetOrdersResponse").orders).toEqual([]);
  });

  test("cancel all (204) clears every resting order and releases the collateral", async () => {
    const orders = A(OrdersApi);
    const pf = A(PortfolioApi);
    const bal0 = must(await pf.getBalance(), "GetBalanceResponse").balance_dollars;
    await orders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.1000" }));
    // A YES ask holds the NO leg's price (0.01) as collateral (A holds no position here).
    await orders.createOrderV2(V2({ ticker: T_MAKERFEE, side: "ask", count: "1.00", price: "0.9900" }));
    expect(
      must(await pf.getPortfolioRestingOrderTotalValue(), "GetPortfolioRestingOrderTotalValueResponse").total_resting_order_value,
    ).toBe(11);
    const r = await orders.cancelAllOrders();
    expect(r.status).toBe(204);
    expect(must(await orders.getOrders(U, U, U, U, "resting"), "GetOrdersResponse").orders).toEqual([]);
    expect(must(await pf.getBalance(), "GetBalanceResponse").balance_dollars).toBe(bal0);
    expect(
      must(await pf.getPortfolioRestingOrderTotalValue(), "GetPortfolioRestingOrderTotalValueResponse").total_resting_order_value,
    ).toBe(0);
  });
});

describe("order groups through the official client", () => {
  test("create → get → trigger (cancels, refuses) → reset (accepts) → limit → delete", async () => {
    const og = A(OrderGroupsApi);
    const orders = A(OrdersApi);
    const g = must(await og.createOrderGroup({ contracts_limit: 10 } as any), "CreateOrderGroupResponse", 201);
    expect(g.order_group_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse")).toMatchObject({
      contracts_limit_fp: "10.00",
      is_auto_cancel_enabled: false,
      orders: [],
    });
    const o1 = must(
      await orders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.1000", order_group_id: g.order_group_id })),
      "CreateOrderV2Response",
      201,
    );
    expect(must(await orders.getOrder(o1.order_id), "GetOrderResponse").order.order_group_id).toBe(g.order_group_id);
    expect((await og.triggerOrderGroup(g.order_group_id)).status).toBe(200);
    expect(must(await orders.getOrder(o1.order_id), "GetOrderResponse").order.status).toBe("canceled");
    expect(must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse")).toMatchObject({
      is_auto_cancel_enabled: true,
      orders: [o1.order_id],
    });
    expect(
      (
        await rejects(
          orders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.1000", order_group_id: g.order_group_id })),
        )
      ).status,
    ).toBe(400);
    expect((await og.resetOrderGroup(g.order_group_id)).status).toBe(200);
    const o2 = must(
      await orders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.1000", order_group_id: g.order_group_id })),
      "CreateOrderV2Response",
      201,
    );
    expect(must(await orders.getOrder(o2.order_id), "GetOrderResponse").order.status).toBe("resting");
    expect((await og.updateOrderGroupLimit(g.order_group_id, { contracts_limit_fp: "4.50" } as any)).status).toBe(200);
    expect(must(await og.getOrderGroup(g.order_group_id), "GetOrderGroupResponse").contracts_limit_fp).toBe("4.50");
    const list = must(await og.getOrderGroups(), "GetOrderGroupsResponse").order_groups!;
    expect(list.find((x) => x.id === g.order_group_id)).toMatchObject({ contracts_limit_fp: "4.50", is_auto_cancel_enabled: false });
    expect((await og.deleteOrderGroup(g.order_group_id)).status).toBe(200);
    // Deleting the group cancels its orders.
    expect(must(await orders.getOrder(o2.order_id), "GetOrderResponse").order.status).toBe("canceled");
    for (const p of [
      og.getOrderGroup(g.order_group_id),
      og.triggerOrderGroup(g.order_group_id),
      og.resetOrderGroup(g.order_group_id),
      og.deleteOrderGroup(g.order_group_id),
    ]) {
      expect((await rejects(p)).status).toBe(404);
    }
    expect(
      (
        await rejects(
          orders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.1000", order_group_id: g.order_group_id })),
        )
      ).status,
    ).toBe(404);
  });
});

describe("errors as the official client sees them", () => {
  test("409 duplicate client_order_id, 400 insufficient balance / invalid price / bad parameters, 404 unknown order", async () => {
    const orders = A(OrdersApi);
    const body = V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.0500" });
    const c = must(await orders.createOrderV2(body), "CreateOrderV2Response", 201);
    const dup = await rejects(orders.createOrderV2(body));
    expect(dup).toEqual({
      status: 409,
      data: { error: { code: "order_already_exists", message: "order already exists", service: "exchange" } },
    });
    nestedError(dup.data, "order_already_exists");
    await orders.cancelOrderV2(c.order_id);
    // B holds $5.8559: 10 YES at 0.60 need $6.
    const poor = await rejects(B(OrdersApi).createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "10.00", price: "0.6000" })));
    expect(poor).toEqual({
      status: 400,
      data: { error: { code: "insufficient_balance", message: "insufficient balance", service: "exchange" } },
    });
    for (const price of ["0.2155", "1.0000", "0.0000"]) {
      const e = await rejects(orders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price })));
      expect([price, e]).toEqual([
        price,
        { status: 400, data: { error: { code: "invalid_price", message: "invalid price", service: "exchange" } } },
      ]);
    }
    // Off the linear-cent grid of T_BIN: a deci-cent price.
    nestedError(
      (await rejects(orders.createOrderV2(V2({ ticker: T_BIN, side: "bid", count: "1.00", price: "0.4150" })))).data,
      "invalid_price",
    );
    const missingTif = await rejects(
      orders.createOrderV2({
        ticker: T_DECI,
        side: "bid",
        count: "1.00",
        price: "0.1000",
        self_trade_prevention_type: "taker_at_cross",
      } as any),
    );
    expect(missingTif.status).toBe(400);
    const cancel404 = await rejects(orders.cancelOrderV2("00000000-0000-0000-0000-000000000000"));
    expect(cancel404).toEqual({ status: 404, data: { error: { code: "not_found", message: "not found", service: "exchange" } } });
    // Someone else's order is unknown to you.
    const bOrder = must(
      await B(OrdersApi).createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.0100" })),
      "CreateOrderV2Response",
      201,
    );
    expect((await rejects(orders.getOrder(bOrder.order_id))).status).toBe(404);
    expect((await rejects(orders.cancelOrderV2(bOrder.order_id))).status).toBe(404);
    await B(OrdersApi).cancelOrderV2(bOrder.order_id);
  });

  test("401: wrong private key, unknown key id, no credentials — Kalshi's bodies", async () => {
    const wrongKey = new PortfolioApi(
      new Configuration({ apiKey: "ref-a", privateKeyPem: keyB.privateKeyPem, basePath: sim.baseUrl }),
      undefined,
      axios.create(),
    );
    expect(await rejects(wrongKey.getBalance())).toEqual({
      status: 401,
      data: { error: { code: "authentication_error", message: "authentication_error", details: "INCORRECT_API_KEY_SIGNATURE" } },
    });
    const wrongOrders = new OrdersApi(
      new Configuration({ apiKey: "ref-a", privateKeyPem: keyB.privateKeyPem, basePath: sim.baseUrl }),
      undefined,
      axios.create(),
    );
    expect((await rejects(wrongOrders.createOrderV2(V2({ ticker: T_DECI, side: "bid", count: "1.00", price: "0.0100" })))).status).toBe(
      401,
    );
    const unknownKey = new PortfolioApi(
      new Configuration({ apiKey: "nobody", privateKeyPem: keyA.privateKeyPem, basePath: sim.baseUrl }),
      undefined,
      axios.create(),
    );
    expect(await rejects(unknownKey.getBalance())).toEqual({
      status: 401,
      data: { error: { code: "authentication_error", message: "authentication_error", details: "NOT_FOUND" } },
    });
    const anon = new PortfolioApi(new Configuration({ basePath: sim.baseUrl }), undefined, axios.create());
    expect(await rejects(anon.getPositions())).toEqual({
      status: 401,
      data: { error: { code: "signature_is_missing_from_headers", message: "signature is missing from headers" } },
    });
    // Nothing was placed by the refused write.
    expect(must(await A(OrdersApi).getOrders(U, U, U, U, "resting"), "GetOrdersResponse").orders).toEqual([]);
  });

  test("historical: a live market is not historical (404); positions list is empty and well-formed", async () => {
    const h = A(HistoricalApi);
    expect((await rejects(h.getHistoricalMarket(T_BIN))).status).toBe(404);
    const p = await h.getHistoricalPositions();
    expect(p.status).toBe(200);
    expect(p.data).toMatchObject({ cursor: "", market_positions: [], event_positions: [] });
  });
});

describe("AccountApi: limits, usage-level volume progress, self-service upgrade (basic-tier exchange)", () => {
  test("403 before any order, 201 after one; the tier, grant and buckets follow", async () => {
    const k = generateKeyPair();
    const basic = await spawnSimBinary({
      accounts: [{ id: "tier-a", publicKeyPem: k.publicKeyPem, balance: "100" }],
      args: ["--tier", "basic", "--markets", "1", "--seed", "4"],
    });
    try {
      const cfg = new Configuration({ apiKey: "tier-a", privateKeyPem: k.privateKeyPem, basePath: basic.baseUrl });
      const acc = new AccountApi(cfg, undefined, axios.create());
      const lim0 = must(await acc.getAccountApiLimits(), "GetAccountApiLimitsResponse");
      expect(lim0).toEqual({
        usage_tier: "basic",
        read: { refill_rate: 200, bucket_capacity: 200 },
        write: { refill_rate: 100, bucket_capacity: 100 },
        grants: [],
      });
      const vp = must(await acc.getAccountApiUsageLevelVolumeProgress(), "GetAccountApiUsageLevelVolumeProgressResponse");
      expect(vp.volume_progress).toHaveLength(1);
      expect(vp.volume_progress[0]!.trailing_30d_volume_fp).toBe("0.00");
      expect(Math.abs(vp.volume_progress[0]!.computed_ts - Date.now() / 1000)).toBeLessThan(120);
      const refused = await rejects(acc.upgradeAccountApiUsageLevel());
      expect(refused.status).toBe(403);
      nestedError(refused.data, "forbidden");

      const markets = new MarketApi(cfg, undefined, axios.create());
      const m = must(await markets.getMarkets(100, U, U, U, U, U, U, U, U, U, U, "open" as any), "GetMarketsResponse").markets[0]!;
      const orders = new OrdersApi(cfg, undefined, axios.create());
      const o = must(
        await orders.createOrderV2(
          V2({ ticker: m.ticker, side: "bid", count: "1.00", price: m.price_level_structure === "linear_cent" ? "0.0100" : "0.0010" }),
        ),
        "CreateOrderV2Response",
        201,
      );
      const up = await acc.upgradeAccountApiUsageLevel();
      expect(up.status).toBe(201);
      expect([undefined, null, ""]).toContain(up.data as unknown as string);
      const lim1 = must(await acc.getAccountApiLimits(), "GetAccountApiLimitsResponse");
      expect(lim1).toEqual({
        usage_tier: "advanced",
        read: { refill_rate: 300, bucket_capacity: 300 },
        write: { refill_rate: 300, bucket_capacity: 600 },
        grants: [{ exchange_instance: "event_contract", level: "advanced", source: "manual" }],
      });
      await orders.cancelOrderV2(o.order_id).catch(() => {}); // (a participant may have taken it)
      const costs = must(await acc.getAccountEndpointCosts(), "GetAccountEndpointCostsResponse");
      expect(costs.endpoint_costs.find((e) => e.path === "/trade-api/v2/account/api_usage_level/upgrade")).toEqual({
        method: "POST",
        path: "/trade-api/v2/account/api_usage_level/upgrade",
        cost: 30,
      });
    } finally {
      await basic.stop();
    }
  }, 30_000);
});
