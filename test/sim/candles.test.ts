// Candlesticks by hand on a stepped clock: quotes and trades of one minute, the hourly aggregate,
// the batch and event endpoints, Kalshi's synthetic include_latest_before_start candle, and the
// parameter errors. Every body is also checked against the official SDK's generated models.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/sim/clock.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { checkModel } from "./sdk-models.ts";
import { Client, handScenario, testKeys, T_BIN } from "./helpers.ts";

let s: SimServer;
let clock: ManualClock;
let b: Client;
const order = (side: "bid" | "ask", count: string, price: string) => ({
  ticker: T_BIN,
  side,
  count,
  price,
  time_in_force: "immediate_or_cancel",
  self_trade_prevention_type: "taker_at_cross",
  client_order_id: crypto.randomUUID(),
});
const path = (q: string) => `/series/KXTEST/markets/${T_BIN}/candlesticks?${q}`;

beforeAll(async () => {
  const k = testKeys();
  clock = new ManualClock();
  s = await startSimServer({
    clock,
    scenario: handScenario(),
    tier: "unlimited",
    quiet: true,
    accounts: [{ apiKeyId: "cndl", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 }],
  });
  b = new Client(s.baseUrl, "cndl", k.privateKeyPem);
});
afterAll(async () => {
  await s.stop();
});

describe("candlesticks", () => {
  let t1 = 0;
  test("one minute of trading: traded OHLC/mean/volume and the YES bid/ask OHLC, by hand", async () => {
    // Start on a fresh minute, so the minute opens at the quotes that stood (bid 0.45, ask 0.50).
    clock.advance(60_000);
    s.tick();
    t1 = Math.floor(clock.now() / 1000);
    expect((await b.post("/portfolio/events/orders", order("bid", "1.00", "0.5000"))).body.fill_count).toBe("1.00");
    clock.advance(5_000);
    expect((await b.post("/portfolio/events/orders", order("bid", "3.00", "0.5000"))).body.fill_count).toBe("3.00"); // ask → 0.52
    clock.advance(5_000);
    expect((await b.post("/portfolio/events/orders", order("ask", "2.00", "0.4500"))).body.fill_count).toBe("2.00"); // bid stays 0.45 (3 left)
    // start_ts = t1 + 1 leaves out the candle of the start-up minute (it ends at t1).
    const r = await b.get(path(`start_ts=${t1 + 1}&end_ts=${t1 + 3600}&period_interval=1`), { sign: false });
    expect(r.status).toBe(200);
    expect(checkModel(r.body, "GetMarketCandlesticksResponse")).toEqual([]);
    expect(r.body.candlesticks).toEqual([
      {
        end_period_ts: t1 + 60,
        // 4 bought, 2 sold back to the house: 2 contracts outstanding.
        open_interest_fp: "2.00",
        // mean = (0.50 × 4 + 0.45 × 2) / 6 = 0.48333… → 0.4833
        price: {
          close_dollars: "0.4500",
          high_dollars: "0.5000",
          low_dollars: "0.4500",
          max_dollars: "0.5000",
          mean_dollars: "0.4833",
          min_dollars: "0.4500",
          open_dollars: "0.5000",
        },
        volume_fp: "6.00",
        yes_ask: { close_dollars: "0.5200", high_dollars: "0.5200", low_dollars: "0.5000", open_dollars: "0.5000" },
        yes_bid: { close_dollars: "0.4500", high_dollars: "0.4500", low_dollars: "0.4500", open_dollars: "0.4500" },
      },
    ]);
  });

  test("hourly and daily candles aggregate the minutes; previous is the last earlier trade", async () => {
    clock.advance(120_000);
    expect((await b.post("/portfolio/events/orders", order("bid", "1.00", "0.5200"))).body.fill_count).toBe("1.00");
    const hour = (await b.get(path(`start_ts=${t1}&end_ts=${t1 + 7200}&period_interval=60`), { sign: false })).body.candlesticks;
    expect(hour.length).toBe(1);
    expect(hour[0].end_period_ts % 3600).toBe(0);
    // mean = (0.50 × 4 + 0.45 × 2 + 0.52) / 7 = 0.488571… → 0.4886
    expect(hour[0]).toMatchObject({
      volume_fp: "7.00",
      open_interest_fp: "3.00",
      price: { open_dollars: "0.5000", close_dollars: "0.5200", high_dollars: "0.5200", low_dollars: "0.4500", mean_dollars: "0.4886" },
    });
    expect(hour[0].yes_bid).toEqual({ open_dollars: "0.4500", high_dollars: "0.4500", low_dollars: "0.4500", close_dollars: "0.4500" });
    expect("previous_dollars" in hour[0].price).toBe(false);
    const mins = (await b.get(path(`start_ts=${t1 + 1}&end_ts=${t1 + 3600}&period_interval=1`), { sign: false })).body.candlesticks;
    expect(mins.length).toBe(2);
    expect(mins[1].price.previous_dollars).toBe("0.4500");
    const day = (await b.get(path(`start_ts=${t1}&end_ts=${t1 + 2 * 86_400}&period_interval=1440`), { sign: false })).body.candlesticks;
    expect(day[0].end_period_ts % 86_400).toBe(0);
    expect(day[0].volume_fp).toBe("7.00");
  });

  test("include_latest_before_start: a synthetic candle at the first boundary after start, prices cleared, previous = real close", async () => {
    clock.advance(10 * 60_000);
    s.tick();
    const start = Math.floor(clock.now() / 1000) - 30;
    const plain = (await b.get(path(`start_ts=${start}&end_ts=${start + 3600}&period_interval=1`), { sign: false })).body.candlesticks;
    expect(plain).toEqual([]);
    const r = await b.get(path(`start_ts=${start}&end_ts=${start + 3600}&period_interval=1&include_latest_before_start=true`), {
      sign: false,
    });
    expect(checkModel(r.body, "GetMarketCandlesticksResponse")).toEqual([]);
    expect(r.body.candlesticks).toEqual([
      {
        end_period_ts: Math.ceil(start / 60) * 60,
        open_interest_fp: "3.00",
        price: { previous_dollars: "0.5200" },
        volume_fp: "0.00",
        yes_ask: { close_dollars: "0.5200", high_dollars: "0.5200", low_dollars: "0.5200", open_dollars: "0.5200" },
        yes_bid: { close_dollars: "0.4500", high_dollars: "0.4500", low_dollars: "0.4500", open_dollars: "0.4500" },
      },
    ]);
  });

  test("batch and event candlesticks; parameter errors in Kalshi's bare shape", async () => {
    const q = `start_ts=${t1 + 1}&end_ts=${t1 + 3600}&period_interval=1`;
    const batch = await b.get(`/markets/candlesticks?market_tickers=${T_BIN},KXMAKER-26NOV24-A&${q}`, { sign: false });
    expect(checkModel(batch.body, "BatchGetMarketCandlesticksResponse")).toEqual([]);
    expect(batch.body.markets.map((m: any) => [m.market_ticker, m.candlesticks.length])).toEqual([
      [T_BIN, 2],
      ["KXMAKER-26NOV24-A", 0],
    ]);
    const ev = await b.get(`/series/KXTEST/events/KXTEST-26NOV24/candlesticks?${q}`, { sign: false });
    expect(checkModel(ev.body, "GetEventCandlesticksResponse")).toEqual([]);
    expect(ev.body.market_tickers).toEqual([T_BIN]);
    expect(ev.body.market_candlesticks[0].length).toBe(2);
    expect((await b.get(`/series/KXOTHER/events/KXTEST-26NOV24/candlesticks?${q}`, { sign: false })).status).toBe(404);
    const bad = await b.get(path(`start_ts=${t1}&end_ts=${t1 + 60}&period_interval=5`), { sign: false });
    expect(bad).toMatchObject({
      status: 400,
      body: {
        msg: "Parameter validation failed for GetMarketCandlesticks: Key: 'GetMarketCandlesticksParams.PeriodInterval' Error:Field validation for 'PeriodInterval' failed on the 'oneof' tag",
      },
    });
    expect((await b.get(path(`end_ts=${t1 + 60}&period_interval=1`), { sign: false })).body.msg).toContain(
      "'StartTs' failed on the 'required' tag",
    );
  });
});

describe("page limits and depth", () => {
  test("limit=0 is the default page; a negative limit or depth over 100 is a bare 400", async () => {
    const zero = await b.get("/markets?limit=0", { sign: false });
    expect(zero.status).toBe(200);
    expect(zero.body.markets.length).toBe(s.exchange.markets.size); // < the default 100
    expect((await b.get("/markets?limit=-1", { sign: false })).body).toEqual({
      msg: "Parameter validation failed for GetMarkets: Key: 'GetMarketsParams.Limit' Error:Field validation for 'Limit' failed on the 'gte' tag",
    });
    expect((await b.get(`/markets/${T_BIN}/orderbook?depth=101`)).body).toEqual({
      msg: "Parameter validation failed for GetMarketOrderbook: Key: 'GetMarketOrderbookParams.Depth' Error:Field validation for 'Depth' failed on the 'max' tag",
    });
    expect((await b.get(`/markets/${T_BIN}/orderbook?depth=-1`)).status).toBe(200);
  });
});
