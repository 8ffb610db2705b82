// The WebSocket API of `dist/kalshi-bot sim` seen by a plain WebSocket client with signed handshake
// headers: every frame type is checked against Kalshi's AsyncAPI payload schemas (required keys
// present, no keys Kalshi does not send, value types, numeric-string formats), seq runs per sid
// without gaps, both use_yes_price modes, the command replies (subscribed, ok, unsubscribed,
// list_subscriptions) and the error codes of API.md §6.3. Bounded, 127.0.0.1, keys made at run time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authHeaders, privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { cleanup } from "../helpers/bin.ts";
import { formatProblem } from "./sdk-models.ts";
import { Client, handScenario, spawnSimBinary, T_BIN, T_MAKERFEE, type SimProcess } from "./helpers.ts";

type Kind = "str" | "int" | "bool" | "arr" | "obj" | "levels" | "num";
interface Shape {
  top: Record<string, Kind>;
  topOpt?: Record<string, Kind>;
  msg?: Record<string, Kind>;
  msgOpt?: Record<string, Kind>;
}

// From Kalshi's asyncapi.yaml (components/schemas/*Payload): required vs optional keys.
const SHAPES: Record<string, Shape> = {
  subscribed: { top: { type: "str", msg: "obj" }, topOpt: { id: "int" }, msg: { channel: "str", sid: "int" } },
  unsubscribed: { top: { type: "str", sid: "int", seq: "int" }, topOpt: { id: "int" } },
  error: {
    top: { type: "str", msg: "obj" },
    topOpt: { id: "int", sid: "int", seq: "int" },
    msg: { code: "int", msg: "str" },
    msgOpt: { market_ticker: "str", market_tickers: "arr" },
  },
  orderbook_snapshot: {
    top: { type: "str", sid: "int", seq: "int", msg: "obj" },
    topOpt: { id: "int" },
    msg: { market_ticker: "str", market_id: "str" },
    msgOpt: { yes_dollars_fp: "levels", no_dollars_fp: "levels" },
  },
  orderbook_delta: {
    top: { type: "str", sid: "int", seq: "int", msg: "obj" },
    msg: { market_ticker: "str", market_id: "str", price_dollars: "str", delta_fp: "str", side: "str" },
    msgOpt: { client_order_id: "str", ts: "str", ts_ms: "int", subaccount: "int" },
  },
  ticker: {
    top: { type: "str", sid: "int", msg: "obj" },
    msg: {
      market_id: "str",
      market_ticker: "str",
      price_dollars: "str",
      yes_bid_dollars: "str",
      yes_ask_dollars: "str",
      volume_fp: "str",
      open_interest_fp: "str",
      dollar_volume: "int",
      dollar_open_interest: "int",
      yes_bid_size_fp: "str",
      yes_ask_size_fp: "str",
      last_trade_size_fp: "str",
      ts: "int",
      ts_ms: "int",
      time: "str",
    },
  },
  trade: {
    top: { type: "str", sid: "int", seq: "int", msg: "obj" },
    msg: {
      trade_id: "str",
      market_ticker: "str",
      yes_price_dollars: "str",
      no_price_dollars: "str",
      count_fp: "str",
      taker_side: "str",
      taker_outcome_side: "str",
      taker_book_side: "str",
      is_block_trade: "bool",
      ts: "int",
      ts_ms: "int",
    },
  },
  fill: {
    top: { type: "str", sid: "int", msg: "obj" },
    msg: {
      trade_id: "str",
      order_id: "str",
      market_ticker: "str",
      exchange_index: "int",
      is_taker: "bool",
      side: "str",
      yes_price_dollars: "str",
      count_fp: "str",
      fee_cost: "str",
      action: "str",
      outcome_side: "str",
      book_side: "str",
      ts: "int",
      ts_ms: "int",
      post_position_fp: "str",
      purchased_side: "str",
    },
    msgOpt: { client_order_id: "str", subaccount: "int" },
  },
  market_position: {
    top: { type: "str", sid: "int", msg: "obj" },
    msg: {
      user_id: "str",
      market_ticker: "str",
      position_fp: "str",
      position_cost_dollars: "str",
      realized_pnl_dollars: "str",
      fees_paid_dollars: "str",
      position_fee_cost_dollars: "str",
      volume_fp: "str",
    },
    msgOpt: { subaccount: "int" },
  },
  user_order: {
    top: { type: "str", sid: "int", msg: "obj" },
    msg: {
      order_id: "str",
      user_id: "str",
      ticker: "str",
      exchange_index: "int",
      status: "str",
      side: "str",
      is_yes: "bool",
      outcome_side: "str",
      book_side: "str",
      yes_price_dollars: "str",
      fill_count_fp: "str",
      remaining_count_fp: "str",
      initial_count_fp: "str",
      taker_fill_cost_dollars: "str",
      maker_fill_cost_dollars: "str",
      taker_fees_dollars: "str",
      maker_fees_dollars: "str",
      client_order_id: "str",
      created_time: "str",
      created_ts_ms: "int",
    },
    msgOpt: {
      order_group_id: "str",
      self_trade_prevention_type: "str",
      last_update_time: "str",
      expiration_time: "str",
      expiration_ts_ms: "int",
      last_updated_ts_ms: "int",
      last_update_reason: "str",
      subaccount_number: "int",
    },
  },
  market_lifecycle_v2: {
    top: { type: "str", sid: "int", seq: "int", msg: "obj" },
    msg: { market_ticker: "str", event_type: "str" },
    msgOpt: {
      exchange_index: "int",
      open_ts: "int",
      close_ts: "int",
      determination_ts: "int",
      settled_ts: "int",
      result: "str",
      settlement_value: "str",
      is_deactivated: "bool",
      additional_metadata: "obj",
      price_level_structure: "str",
      price_ranges: "arr",
      strike_type: "str",
      floor_strike: "num",
      cap_strike: "num",
      custom_strike: "obj",
      yes_sub_title: "str",
    },
  },
  event_lifecycle: {
    top: { type: "str", sid: "int", seq: "int", msg: "obj" },
    msg: { event_ticker: "str", exchange_index: "int", title: "str", subtitle: "str", collateral_return_type: "str", series_ticker: "str" },
    msgOpt: { strike_date: "int", strike_period: "str" },
  },
  order_group_updates: {
    top: { type: "str", sid: "int", seq: "int", msg: "obj" },
    msg: { event_type: "str", order_group_id: "str", ts_ms: "int" },
    msgOpt: { contracts_limit_fp: "str" },
  },
};
const OK_UPDATE: Shape = {
  top: { type: "str" },
  topOpt: { id: "int", sid: "int", seq: "int", msg: "obj" },
  msgOpt: { market_tickers: "arr", market_ids: "arr" },
};
const OK_LIST: Shape = { top: { type: "str", msg: "arr" }, topOpt: { id: "int" } };

function kindOk(v: unknown, k: Kind): boolean {
  switch (k) {
    case "str":
      return typeof v === "string";
    case "int":
      return Number.isInteger(v);
    case "num":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "arr":
      return Array.isArray(v);
    case "obj":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "levels":
      return (
        Array.isArray(v) && v.every((l) => Array.isArray(l) && l.length === 2 && /^\d\.\d{4}$/.test(l[0]) && /^\d+\.\d{2}$/.test(l[1]))
      );
  }
}

function keys(o: Record<string, unknown>, req: Record<string, Kind>, opt: Record<string, Kind>, path: string, out: string[]): void {
  for (const [k, kind] of Object.entries(req)) {
    if (!(k in o)) out.push(`${path}.${k}: missing`);
    else if (!kindOk(o[k], kind)) out.push(`${path}.${k}: ${JSON.stringify(o[k])} is not ${kind}`);
  }
  for (const [k, v] of Object.entries(o)) {
    if (k in req) continue;
    if (!(k in opt)) out.push(`${path}.${k}: not in Kalshi's schema`);
    else if (!kindOk(v, opt[k]!)) out.push(`${path}.${k}: ${JSON.stringify(v)} is not ${opt[k]}`);
  }
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== "string") continue;
    const f = k === "settlement_value" ? (/^\d\.\d{4}$/.test(v) ? null : `"${v}" is not 4 dp`) : formatProblem(k, v);
    if (f) out.push(`${path}.${k}: ${f}`);
  }
}

/** Problems of one frame against Kalshi's payload schema for its type. */
function frameProblems(f: any): string[] {
  const out: string[] = [];
  let shape = SHAPES[f.type];
  if (f.type === "ok") shape = Array.isArray(f.msg) ? OK_LIST : OK_UPDATE;
  if (!shape) return [`${f.type}: unknown frame type`];
  keys(f, shape.top, shape.topOpt ?? {}, f.type, out);
  if (f.msg && !Array.isArray(f.msg) && (shape.msg || shape.msgOpt)) keys(f.msg, shape.msg ?? {}, shape.msgOpt ?? {}, `${f.type}.msg`, out);
  return out;
}

class Ws {
  frames: any[] = [];
  pings: string[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      for (const line of String(e.data)
        .split("\n")
        .filter((l) => l.trim()))
        this.frames.push(JSON.parse(line));
      for (const w of this.waiters.splice(0)) w();
    };
    ws.addEventListener("ping" as any, (e: any) => this.pings.push(Buffer.from(e.data ?? "").toString()));
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
    this.ws.send(typeof x === "string" ? x : JSON.stringify(x));
  }
  async until(pred: (f: any) => boolean, ms = 4000): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (Date.now() > end) throw new Error(`no matching frame; last frames ${JSON.stringify(this.frames.slice(-12)).slice(0, 2500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  all(pred: (f: any) => boolean): any[] {
    return this.frames.filter(pred);
  }
}

const keyA = generateKeyPair();
const keyB = generateKeyPair();
let sim: SimProcess;
let a: Client;
let b: Client;
let ws: Ws;
let pinger: Ws;
const opened = Date.now();
const FAST_EV = "KXFAST-26NOV24";
const wsHeaders = (keyId = "ws-a", pem = keyA.privateKeyPem) =>
  ({ ...authHeaders(keyId, privateKeyFromPem(pem), "GET", "/trade-api/ws/v2") }) as unknown as Record<string, string>;
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
  const sc = handScenario() as any;
  // Closes 60 sim s in (2 wall s at ×30), repeats (a new market is created), determined 30 s later.
  sc.events.push({
    event_ticker: FAST_EV,
    series_ticker: "KXTEST",
    title: "Fast",
    close_in_s: 60,
    settlement_timer_s: 1,
    repeat_every_s: 600,
    liquidity: "none",
    markets: [{ suffix: "Y", yes_sub_title: "Y", result: "yes", book: { yes: [], no: [["0.4000", "20.00"]] } }],
  });
  sim = await spawnSimBinary({
    accounts: [
      { id: "ws-a", publicKeyPem: keyA.publicKeyPem, balance: "1000" },
      { id: "ws-b", publicKeyPem: keyB.publicKeyPem, balance: "1000" },
    ],
    args: ["--tier", "unlimited", "--speed", "30", "--seed", "3"],
    scenario: sc,
  });
  a = new Client(sim.baseUrl, "ws-a", keyA.privateKeyPem);
  b = new Client(sim.baseUrl, "ws-b", keyB.privateKeyPem);
  pinger = await Ws.open(sim.wsUrl, wsHeaders());
  ws = await Ws.open(sim.wsUrl, wsHeaders());
}, 60_000);

afterAll(async () => {
  ws?.ws.close();
  pinger?.ws.close();
  await sim?.stop();
  await cleanup();
});

describe("WebSocket through the binary, frame by frame against the AsyncAPI", () => {
  test("subscribe several channels: one ack per channel with the command id, distinct sids; snapshots in both price modes", async () => {
    ws.send({ id: 1, cmd: "subscribe", params: { channels: ["orderbook_delta", "trade"], market_tickers: [T_BIN], use_yes_price: true } });
    ws.send({ id: 2, cmd: "subscribe", params: { channels: ["orderbook_delta"], market_ticker: T_BIN } });
    ws.send({ id: 3, cmd: "subscribe", params: { channels: ["fill", "user_orders", "market_positions", "ticker"] } });
    ws.send({ id: 4, cmd: "subscribe", params: { channels: ["market_lifecycle_v2"] } });
    ws.send({ id: 5, cmd: "subscribe", params: { channels: ["order_group_updates"] } });
    await ws.until((f) => f.id === 5 && f.type === "subscribed");
    const acks = ws.all((f) => f.type === "subscribed");
    expect(acks.map((f) => [f.id, f.msg.channel, f.msg.sid])).toEqual([
      [1, "orderbook_delta", 1],
      [1, "trade", 2],
      [2, "orderbook_delta", 3],
      [3, "fill", 4],
      [3, "user_orders", 5],
      [3, "market_positions", 6],
      [3, "ticker", 7],
      [4, "market_lifecycle_v2", 8],
      [5, "order_group_updates", 9],
    ]);
    const yesSnap = await ws.until((f) => f.type === "orderbook_snapshot" && f.sid === 1);
    const noSnap = await ws.until((f) => f.type === "orderbook_snapshot" && f.sid === 3);
    expect(yesSnap.seq).toBe(1);
    expect(noSnap.seq).toBe(1);
    expect(yesSnap.msg.yes_dollars_fp).toEqual([
      ["0.4000", "10.00"],
      ["0.4500", "5.00"],
    ]);
    // use_yes_price: NO bids 0.48 / 0.50 appear as the YES asks 0.52 / 0.50 (best last).
    expect(yesSnap.msg.no_dollars_fp).toEqual([
      ["0.5200", "3.00"],
      ["0.5000", "4.00"],
    ]);
    expect(noSnap.msg.no_dollars_fp).toEqual([
      ["0.4800", "3.00"],
      ["0.5000", "4.00"],
    ]);
  });

  test("own resting order: deltas with client_order_id in both modes, user_order resting", async () => {
    const rest = order(T_BIN, "bid", "2.00", "0.3000", "good_till_canceled");
    const r = await a.post("/portfolio/events/orders", rest);
    expect(r.status).toBe(201);
    for (const sid of [1, 3]) {
      const d = await ws.until((f) => f.type === "orderbook_delta" && f.sid === sid && f.msg.client_order_id === rest.client_order_id);
      expect(d.msg).toMatchObject({ market_ticker: T_BIN, price_dollars: "0.3000", delta_fp: "2.00", side: "yes" });
      // subaccount only "when you … are using subaccounts"; this order is on the primary account.
      expect("subaccount" in d.msg).toBe(false);
    }
    const uo = await ws.until((f) => f.type === "user_order" && f.msg.order_id === r.body.order_id);
    expect(uo.msg).toMatchObject({
      status: "resting",
      client_order_id: rest.client_order_id,
      remaining_count_fp: "2.00",
      yes_price_dollars: "0.3000",
      book_side: "bid",
      outcome_side: "yes",
      is_yes: true,
    });
    // On a subaccount the delta names it.
    const sub = order(T_BIN, "bid", "1.00", "0.1000", "good_till_canceled", { subaccount: 2 });
    const rs = await a.post("/portfolio/events/orders", sub);
    const ds = await ws.until((f) => f.type === "orderbook_delta" && f.sid === 1 && f.msg.client_order_id === sub.client_order_id);
    expect(ds.msg.subaccount).toBe(2);
    await a.del(`/portfolio/events/orders/${rs.body.order_id}`);
  });

  test("another account hits it: maker fill, trade, deltas without our id, position, ticker", async () => {
    // Better bids come first: 0.45 × 5 and 0.40 × 10 (the house maker's), then 1 of our 0.30.
    const sell = await b.post("/portfolio/events/orders", order(T_BIN, "ask", "16.00", "0.3000"));
    expect(sell.body.fill_count).toBe("16.00");
    const fill = await ws.until((f) => f.type === "fill" && f.msg.is_taker === false);
    expect(fill.msg).toMatchObject({
      market_ticker: T_BIN,
      yes_price_dollars: "0.3000",
      count_fp: "1.00",
      fee_cost: "0.000000",
      post_position_fp: "1.00",
      book_side: "bid",
      outcome_side: "yes",
      exchange_index: 0,
    });
    expect(fill.seq).toBeUndefined();
    const tr = await ws.until((f) => f.type === "trade" && f.msg.yes_price_dollars === "0.3000");
    expect(tr.msg).toMatchObject({
      taker_outcome_side: "no",
      taker_book_side: "ask",
      taker_side: "no",
      no_price_dollars: "0.7000",
      is_block_trade: false,
    });
    const foreign = ws.all((f) => f.type === "orderbook_delta" && f.sid === 1 && f.msg.price_dollars === "0.4000");
    expect(foreign.length).toBeGreaterThan(0);
    expect(foreign.every((f) => !("client_order_id" in f.msg) && !("subaccount" in f.msg))).toBe(true);
    const mp = await ws.until((f) => f.type === "market_position" && f.msg.market_ticker === T_BIN);
    expect(mp.msg).toMatchObject({ position_fp: "1.00", position_cost_dollars: "0.300000" });
    await ws.until((f) => f.type === "ticker" && f.msg.market_ticker === T_BIN && f.msg.price_dollars === "0.3000");
  });

  test("taking NO-side liquidity: delta prices differ by mode (YES 0.52 vs NO-leg 0.48)", async () => {
    const r = await a.post("/portfolio/events/orders", order(T_BIN, "bid", "5.00", "0.5200"));
    expect(r.body.fill_count).toBe("5.00");
    const yesMode = await ws.until((f) => f.type === "orderbook_delta" && f.sid === 1 && f.msg.side === "no" && f.msg.delta_fp === "-1.00");
    const noMode = await ws.until((f) => f.type === "orderbook_delta" && f.sid === 3 && f.msg.side === "no" && f.msg.delta_fp === "-1.00");
    expect(yesMode.msg.price_dollars).toBe("0.5200");
    expect(noMode.msg.price_dollars).toBe("0.4800");
    const uo = await ws.until((f) => f.type === "user_order" && f.msg.order_id === r.body.order_id);
    expect(uo.msg).toMatchObject({
      status: "executed",
      fill_count_fp: "5.00",
      remaining_count_fp: "0.00",
      taker_fill_cost_dollars: "2.520000",
      taker_fees_dollars: "0.087500",
      last_update_reason: "Trade",
    });
  });

  test("order group updates: limit on created/limit_updated only", async () => {
    const g = await a.post("/portfolio/order_groups/create", { contracts_limit_fp: "5.00" });
    expect(g.status).toBe(201);
    const id = g.body.order_group_id;
    expect((await a.call("PUT", `/portfolio/order_groups/${id}/limit`, { contracts_limit_fp: "7.00" })).status).toBe(200);
    expect((await a.call("PUT", `/portfolio/order_groups/${id}/trigger`, {})).status).toBe(200);
    expect((await a.call("PUT", `/portfolio/order_groups/${id}/reset`, {})).status).toBe(200);
    expect((await a.del(`/portfolio/order_groups/${id}`)).status).toBe(200);
    await ws.until((f) => f.type === "order_group_updates" && f.msg.event_type === "deleted");
    const evs = ws.all((f) => f.type === "order_group_updates").map((f) => [f.msg.event_type, f.msg.contracts_limit_fp]);
    expect(evs).toEqual([
      ["created", "5.00"],
      ["limit_updated", "7.00"],
      ["triggered", undefined],
      ["reset", undefined],
      ["deleted", undefined],
    ]);
  });

  test("update_subscription: add_markets (snapshot + ok), get_snapshot with the id, delete_markets; list_subscriptions", async () => {
    ws.send({ id: 20, cmd: "update_subscription", params: { sid: 1, action: "add_markets", market_tickers: [T_MAKERFEE] } });
    const snap = await ws.until((f) => f.type === "orderbook_snapshot" && f.sid === 1 && f.msg.market_ticker === T_MAKERFEE);
    // An empty book: both side keys absent.
    expect(Object.keys(snap.msg).sort()).toEqual(["market_id", "market_ticker"]);
    const ok = await ws.until((f) => f.id === 20 && f.type === "ok");
    expect(ok.sid).toBe(1);
    expect(ok.msg.market_tickers.sort()).toEqual([T_BIN, T_MAKERFEE].sort());
    ws.send({ id: 21, cmd: "update_subscription", params: { sids: [1], action: "get_snapshot", market_tickers: [T_BIN] } });
    const again = await ws.until((f) => f.id === 21 && f.type === "orderbook_snapshot");
    expect(again.sid).toBe(1);
    ws.send({ id: 22, cmd: "update_subscription", params: { sid: 1, action: "delete_markets", market_tickers: [T_MAKERFEE] } });
    expect((await ws.until((f) => f.id === 22 && f.type === "ok")).msg.market_tickers).toEqual([T_BIN]);
    ws.send({ id: 23, cmd: "list_subscriptions" });
    const list = await ws.until((f) => f.id === 23 && f.type === "ok");
    expect(list.msg.map((s: any) => s.sid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("skip_ticker_ack, send_initial_snapshot on add_markets, market ids only on the ticker channel, id 0 = no id", async () => {
    const w = await Ws.open(sim.wsUrl, wsHeaders());
    w.send({ id: 1, cmd: "subscribe", params: { channels: ["ticker"], market_tickers: [T_BIN], skip_ticker_ack: true } });
    await w.until((f) => f.type === "subscribed");
    w.send({
      id: 2,
      cmd: "update_subscription",
      params: { sid: 1, action: "add_markets", market_tickers: [T_MAKERFEE], send_initial_snapshot: true },
    });
    const tick = await w.until((f) => f.type === "ticker" && f.msg.market_ticker === T_MAKERFEE);
    expect(tick.sid).toBe(1);
    const ok = await w.until((f) => f.id === 2 && f.type === "ok");
    expect("msg" in ok).toBe(false);
    // market_id works for ticker…
    const marketId = tick.msg.market_id;
    w.send({ id: 3, cmd: "subscribe", params: { channels: ["ticker"], market_id: marketId, send_initial_snapshot: true } });
    const byId = await w.until((f) => f.type === "ticker" && f.sid === 2);
    expect(byId.msg.market_ticker).toBe(T_MAKERFEE);
    // …but not for the order book, which then has no market: 14.
    w.send({ id: 4, cmd: "subscribe", params: { channels: ["orderbook_delta"], market_id: marketId } });
    expect((await w.until((f) => f.id === 4 && f.type === "error")).msg.code).toBe(14);
    // Both sid and sids: 12. Command id 0: the reply has no id.
    w.send({ id: 5, cmd: "update_subscription", params: { sid: 1, sids: [1], action: "delete_markets", market_tickers: [T_BIN] } });
    expect((await w.until((f) => f.id === 5 && f.type === "error")).msg.code).toBe(12);
    w.send({ id: 0, cmd: "list_subscriptions" });
    const list = await w.until((f) => f.type === "ok" && Array.isArray(f.msg));
    expect("id" in list).toBe(false);
    expect(w.frames.flatMap(frameProblems)).toEqual([]);
    w.ws.close();
  });

  test("error codes of §6.3", async () => {
    const cases: [number, unknown, number][] = [
      [30, "{not json", 1],
      [31, { id: 31, cmd: "subscribe" }, 2],
      [32, { id: 32, cmd: "subscribe", params: {} }, 3],
      [33, { id: 33, cmd: "unsubscribe", params: {} }, 4],
      [34, { id: 34, cmd: "dance", params: {} }, 5],
      [35, { id: 35, cmd: "unsubscribe", params: { sids: [999] } }, 7],
      [36, { id: 36, cmd: "subscribe", params: { channels: ["no_such_channel"] } }, 8],
      [37, { id: 37, cmd: "update_subscription", params: { action: "add_markets", market_tickers: [T_BIN] } }, 12],
      [38, { id: 38, cmd: "update_subscription", params: { sid: 1, action: "teleport", market_tickers: [T_BIN] } }, 13],
      [39, { id: 39, cmd: "subscribe", params: { channels: ["orderbook_delta"] } }, 14],
      [40, { id: 40, cmd: "update_subscription", params: { sid: 1, market_tickers: [T_BIN] } }, 15],
      [41, { id: 41, cmd: "update_subscription", params: { sids: [1, 2], action: "add_markets", market_tickers: [T_BIN] } }, 12],
    ];
    for (const [id, cmd, code] of cases) {
      ws.send(cmd);
      const e =
        id === 30
          ? await ws.until((f) => f.type === "error" && f.msg.code === 1)
          : await ws.until((f) => f.id === id && f.type === "error");
      expect([id, e.msg.code]).toEqual([id, code]);
      expect(typeof e.msg.msg).toBe("string");
    }
  });

  test("market lifecycle: determined and settled with their fields; a repeat creates a market and its event", async () => {
    const det = await ws.until(
      (f) => f.type === "market_lifecycle_v2" && f.msg.event_type === "determined" && f.msg.market_ticker === `${FAST_EV}-Y`,
      10_000,
    );
    expect(det.msg).toMatchObject({ result: "yes", settlement_value: "1.0000" });
    expect(Number.isInteger(det.msg.determination_ts)).toBe(true);
    const set = await ws.until(
      (f) => f.type === "market_lifecycle_v2" && f.msg.event_type === "settled" && f.msg.market_ticker === `${FAST_EV}-Y`,
      10_000,
    );
    expect(Number.isInteger(set.msg.settled_ts)).toBe(true);
    const created = await ws.until((f) => f.type === "market_lifecycle_v2" && f.msg.event_type === "created", 10_000);
    expect(created.msg.additional_metadata).toMatchObject({
      can_close_early: expect.any(Boolean),
      event_ticker: expect.any(String),
      expected_expiration_ts: expect.any(Number),
    });
    expect(created.msg.price_ranges[0]).toEqual({ end: "1.0000", start: "0.0000", step: "0.0100" });
    const ev = await ws.until((f) => f.type === "event_lifecycle", 10_000);
    expect(ev.msg.series_ticker).toBe("KXTEST");
  }, 20_000);

  test("unsubscribe answers once per sid with seq; nothing more arrives on those sids", async () => {
    ws.send({ id: 50, cmd: "unsubscribe", params: { sids: [2, 4, 7] } });
    const uns = [];
    for (const sid of [2, 4, 7]) uns.push(await ws.until((f) => f.id === 50 && f.type === "unsubscribed" && f.sid === sid));
    expect(uns.every((u) => Number.isInteger(u.seq))).toBe(true);
    const n = ws.frames.length;
    await a.post("/portfolio/events/orders", order(T_BIN, "bid", "1.00", "0.5200"));
    await ws.until((f) => f.type === "orderbook_delta" && f.sid === 1 && ws.frames.indexOf(f) >= n);
    await Bun.sleep(100);
    expect(ws.frames.slice(n).filter((f) => [2, 4, 7].includes(f.sid))).toEqual([]);
  });

  test("every frame so far matches Kalshi's schema; seq has no gaps per sid", () => {
    const problems = [...new Set(ws.frames.flatMap(frameProblems))];
    expect(problems).toEqual([]);
    const bySid = new Map<number, number[]>();
    for (const f of ws.frames)
      if (typeof f.seq === "number" && typeof f.sid === "number") bySid.set(f.sid, [...(bySid.get(f.sid) ?? []), f.seq]);
    for (const [sid, seqs] of bySid) expect([sid, seqs]).toEqual([sid, seqs.map((_, i) => i + 1)]);
    // Channels without seq never carry one.
    expect(ws.frames.filter((f) => ["ticker", "fill", "user_order", "market_position"].includes(f.type) && "seq" in f)).toEqual([]);
  });

  test('heartbeat: a Ping with payload "heartbeat" within ~10 s', async () => {
    const wait = Math.max(0, opened + 11_500 - Date.now());
    if (pinger.pings.length === 0) await Bun.sleep(wait);
    expect(pinger.pings.length).toBeGreaterThanOrEqual(1);
    expect(pinger.pings[0]).toBe("heartbeat");
  }, 15_000);

  test("the handshake needs a valid signature: 401 bodies", async () => {
    const http = sim.wsUrl.replace("ws://", "http://");
    const up = {
      upgrade: "websocket",
      connection: "upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    };
    const none = await fetch(http, { headers: up });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: { code: "signature_is_missing_from_headers", message: "signature is missing from headers" },
    });
    // Signed for the REST prefix instead of the WS path.
    const wrong = { ...authHeaders("ws-a", privateKeyFromPem(keyA.privateKeyPem), "GET", "/trade-api/v2") };
    const bad = await fetch(http, { headers: { ...up, ...wrong } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({
      error: { code: "authentication_error", message: "authentication_error", details: "INCORRECT_API_KEY_SIGNATURE" },
    });
  });
});
