// Lifecycle, settlement to the $0.0001, and the WebSocket channels, with a hand-driven clock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authHeaders, privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { Client, EV_BRACKET, handScenario, testKeys, T_BIN } from "./helpers.ts";
import { until } from "../helpers/until.ts";

let s: SimServer;
let a: Client;
let clock: ManualClock;

class Ws {
  frames: any[] = [];
  pings = 0;
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      this.frames.push(JSON.parse(String(e.data)));
      for (const w of this.waiters.splice(0)) w();
    };
  }
  static async open(url: string, headers: Record<string, string>): Promise<Ws> {
    const ws = new WebSocket(url, { headers } as any);
    const w = new Ws(ws);
    await new Promise<void>((res, rej) => {
      ws.onopen = () => res();
      ws.onerror = () => rej(new Error("ws error"));
    });
    return w;
  }
  send(x: unknown) {
    this.ws.send(JSON.stringify(x));
  }
  async until(pred: (f: any) => boolean, ms = 2000): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (Date.now() > end) throw new Error(`no matching frame; got ${JSON.stringify(this.frames).slice(0, 1500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

function wsHeaders(keyId = "key-a"): Record<string, string> {
  return { ...authHeaders(keyId, privateKeyFromPem(testKeys().privateKeyPem), "GET", "/trade-api/ws/v2") };
}

const order = (ticker: string, side: "bid" | "ask", count: string, price: string, tif = "immediate_or_cancel") => ({
  ticker,
  side,
  count,
  price,
  time_in_force: tif,
  self_trade_prevention_type: "taker_at_cross",
  client_order_id: crypto.randomUUID(),
});

beforeAll(async () => {
  clock = new ManualClock();
  const k = testKeys();
  s = await startSimServer({
    clock,
    scenario: handScenario(),
    tier: "unlimited",
    quiet: true,
    pingEveryMs: 200,
    accounts: [{ apiKeyId: "key-a", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 }],
  });
  a = new Client(s.baseUrl, "key-a", k.privateKeyPem);
});
afterAll(async () => {
  await s.stop();
});

describe("WebSocket", () => {
  test("an unsigned handshake is refused with 401", async () => {
    const r = await fetch(s.wsUrl.replace("ws://", "http://"), {
      headers: {
        upgrade: "websocket",
        connection: "upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ error: { code: "signature_is_missing_from_headers", message: "signature is missing from headers" } });
  });

  test("orderbook snapshot seq 1, signed deltas, trades, fills, orders, positions; both price modes", async () => {
    const ws = await Ws.open(s.wsUrl, wsHeaders());
    ws.send({ id: 1, cmd: "subscribe", params: { channels: ["orderbook_delta", "trade"], market_tickers: [T_BIN], use_yes_price: true } });
    ws.send({ id: 2, cmd: "subscribe", params: { channels: ["orderbook_delta"], market_ticker: T_BIN } });
    ws.send({ id: 3, cmd: "subscribe", params: { channels: ["fill", "user_orders", "market_positions", "ticker"] } });
    const ack1 = await ws.until((f) => f.type === "subscribed" && f.msg.channel === "orderbook_delta" && f.id === 1);
    expect(ack1.msg.sid).toBe(1);
    expect((await ws.until((f) => f.type === "subscribed" && f.msg.channel === "trade")).msg.sid).toBe(2);
    const yesSnap = await ws.until((f) => f.type === "orderbook_snapshot" && f.sid === 1);
    expect(yesSnap.seq).toBe(1);
    expect(yesSnap.msg.yes_dollars_fp).toEqual([
      ["0.4000", "10.00"],
      ["0.4500", "5.00"],
    ]);
    expect(yesSnap.msg.no_dollars_fp).toEqual([
      ["0.5200", "3.00"],
      ["0.5000", "4.00"],
    ]);
    const noSnap = await ws.until((f) => f.type === "orderbook_snapshot" && f.sid === 3);
    expect(noSnap.msg.no_dollars_fp).toEqual([
      ["0.4800", "3.00"],
      ["0.5000", "4.00"],
    ]);

    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.5000"));
    expect(r.body.fill_count).toBe("1.00");
    const d1 = await ws.until((f) => f.type === "orderbook_delta" && f.sid === 1);
    expect(d1.seq).toBe(2);
    expect(d1.msg).toMatchObject({ market_ticker: T_BIN, price_dollars: "0.5000", delta_fp: "-1.00", side: "no" });
    const d3 = await ws.until((f) => f.type === "orderbook_delta" && f.sid === 3);
    expect(d3.msg).toMatchObject({ price_dollars: "0.5000", delta_fp: "-1.00", side: "no" });
    const tr = await ws.until((f) => f.type === "trade");
    expect(tr.msg).toMatchObject({
      yes_price_dollars: "0.5000",
      no_price_dollars: "0.5000",
      count_fp: "1.00",
      taker_outcome_side: "yes",
      taker_book_side: "bid",
    });
    expect(tr.seq).toBe(1);
    const fill = await ws.until((f) => f.type === "fill");
    expect(fill.msg).toMatchObject({
      order_id: r.body.order_id,
      is_taker: true,
      fee_cost: "0.017500",
      count_fp: "1.00",
      post_position_fp: "1.00",
    });
    expect(fill.seq).toBeUndefined();
    const uo = await ws.until((f) => f.type === "user_order" && f.msg.order_id === r.body.order_id);
    expect(uo.msg).toMatchObject({ status: "executed", fill_count_fp: "1.00", yes_price_dollars: "0.5000" });
    const mp = await ws.until((f) => f.type === "market_position");
    expect(mp.msg).toMatchObject({ market_ticker: T_BIN, position_fp: "1.00", position_cost_dollars: "0.500000" });
    await ws.until((f) => f.type === "ticker" && f.msg.market_ticker === T_BIN);

    // Own resting order: the delta carries our client_order_id.
    const rest = order(T_BIN, "bid", "2.00", "0.3000", "good_till_canceled");
    await a.post("/portfolio/events/orders", rest);
    const own = await ws.until((f) => f.type === "orderbook_delta" && f.sid === 1 && f.msg.client_order_id === rest.client_order_id);
    expect(own.msg).toMatchObject({ side: "yes", price_dollars: "0.3000", delta_fp: "2.00" });

    ws.send({ id: 9, cmd: "list_subscriptions" });
    const list = await ws.until((f) => f.id === 9 && f.type === "ok");
    expect(list.msg.length).toBe(7);
    ws.send({ id: 10, cmd: "update_subscription", params: { sid: 1, action: "get_snapshot", market_tickers: [T_BIN] } });
    const again = await ws.until((f) => f.id === 10 && f.type === "orderbook_snapshot");
    expect(again.sid).toBe(1);
    ws.send({ id: 11, cmd: "unsubscribe", params: { sids: [99] } });
    expect((await ws.until((f) => f.id === 11)).msg).toEqual({ code: 7, msg: "Unknown subscription ID" });
    ws.send({ id: 12, cmd: "subscribe", params: { channels: ["nope"] } });
    expect((await ws.until((f) => f.id === 12)).msg.code).toBe(8);
    ws.send({ id: 13, cmd: "subscribe", params: { channels: ["orderbook_delta"] } });
    expect((await ws.until((f) => f.id === 13)).msg.code).toBe(14);
    ws.send({ id: 14, cmd: "dance" });
    expect((await ws.until((f) => f.id === 14)).msg.code).toBe(5);
    ws.ws.close();
  });

  test('heartbeat pings carry the payload "heartbeat"', async () => {
    const ws = new WebSocket(s.wsUrl, { headers: wsHeaders() } as any);
    const payloads: string[] = [];
    ws.addEventListener("ping" as any, (e: any) => payloads.push(String(e.data ?? "")));
    await new Promise<void>((r) => (ws.onopen = () => r()));
    // Two pings (the test server pings every few hundred ms); waited for, not slept on, so a loaded machine does not fail it.
    await until("two heartbeat pings", () => payloads.length >= 2, 10_000);
    expect(payloads[0]).toBe("heartbeat");
    ws.close();
  });
});

describe("lifecycle and settlement", () => {
  test("close → determined → finalized, with market_lifecycle_v2 messages and $1.00 per winning contract", async () => {
    const ws = await Ws.open(s.wsUrl, wsHeaders());
    ws.send({ id: 1, cmd: "subscribe", params: { channels: ["market_lifecycle_v2"] } });
    await ws.until((f) => f.type === "subscribed");
    const start = (await a.get("/portfolio/balance")).body.balance_dollars;
    // YES A 10 @ 0.40: 4.00 + fee 0.1680 ; YES B 10 @ 0.25: 2.50 + fee 0.13125 → 0.1313.
    expect((await a.post("/portfolio/events/orders", order(`${EV_BRACKET}-A`, "bid", "10.00", "0.4000"))).body.fill_count).toBe("10.00");
    expect((await a.post("/portfolio/events/orders", order(`${EV_BRACKET}-B`, "bid", "10.00", "0.2500"))).body.fill_count).toBe("10.00");
    const after = (await a.get("/portfolio/balance")).body.balance_dollars;
    const micros = (d: string) => Math.round(Number(d.replace(".", "")) * 100);
    expect(micros(start) - micros(after)).toBe(6_799_300);
    // a resting order is cancelled at close
    const rest = await a.post("/portfolio/events/orders", order(`${EV_BRACKET}-C`, "bid", "1.00", "0.0500", "good_till_canceled"));
    clock.advance(600_000);
    s.tick();
    expect((await a.get(`/markets/${EV_BRACKET}-A`)).body.market.status).toBe("closed");
    expect((await a.get(`/portfolio/orders/${rest.body.order_id}`)).body.order.status).toBe("canceled");
    expect((await a.post("/portfolio/events/orders", order(`${EV_BRACKET}-A`, "bid", "1.00", "0.4000"))).status).toBe(400);
    clock.advance(30_000);
    s.tick();
    const mA = (await a.get(`/markets/${EV_BRACKET}-A`)).body.market;
    expect(mA).toMatchObject({ status: "determined", result: "yes", settlement_value_dollars: "1.0000" });
    const det = await ws.until(
      (f) => f.type === "market_lifecycle_v2" && f.msg.event_type === "determined" && f.msg.market_ticker === `${EV_BRACKET}-A`,
    );
    expect(det.msg).toMatchObject({ result: "yes", settlement_value: "1.0000" });
    clock.advance(60_000);
    s.tick();
    const settled = await ws.until(
      (f) => f.type === "market_lifecycle_v2" && f.msg.event_type === "settled" && f.msg.market_ticker === `${EV_BRACKET}-A`,
    );
    expect(typeof settled.msg.settled_ts).toBe("number");
    const seqs = ws.frames.filter((f) => f.sid === 1 && typeof f.seq === "number").map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const final = (await a.get("/portfolio/balance")).body.balance_dollars;
    expect(micros(final) - micros(after)).toBe(10_000_000);
    const st = (await a.get(`/portfolio/settlements?event_ticker=${EV_BRACKET}`)).body;
    expect(st.cursor).toBe("");
    const byTicker = Object.fromEntries(st.settlements.map((x: any) => [x.ticker, x]));
    expect(byTicker[`${EV_BRACKET}-A`]).toMatchObject({
      market_result: "yes",
      yes_count_fp: "10.00",
      yes_total_cost_dollars: "4.000000",
      no_count_fp: "0.00",
      revenue: 1000,
      value: 100,
    });
    expect(byTicker[`${EV_BRACKET}-B`]).toMatchObject({
      market_result: "no",
      yes_count_fp: "10.00",
      yes_total_cost_dollars: "2.500000",
      revenue: 0,
    });
    const settledList = (await a.get(`/markets?status=settled&event_ticker=${EV_BRACKET}`)).body.markets;
    expect(settledList.length).toBe(3);
    const pos = (await a.get(`/portfolio/positions?event_ticker=${EV_BRACKET}`)).body.market_positions;
    expect(pos).toEqual([]);
    ws.ws.close();
  });

  test("pausing and reactivating a market cancels its resting orders (Kalshi's reactivation rule)", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.1000", "good_till_canceled"));
    s.exchange.pauseMarket(T_BIN);
    expect((await a.get(`/markets?status=paused`)).body.markets.map((m: any) => m.ticker)).toContain(T_BIN);
    expect((await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.1000", "good_till_canceled"))).body.error.code).toBe(
      "trading_is_paused",
    );
    s.exchange.resumeMarket(T_BIN);
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.status).toBe("canceled");
  });
});
