// Every WebSocket command the client can send, and the messages the bot's own trading run does not
// provoke (ticker, trade, market_position, order_group_updates, unsubscribed, list_subscriptions,
// error), over a real WebSocket to the in-process local exchange through the recording proxy; each
// frame validated against Kalshi's AsyncAPI schemas, each REST answer against OpenAPI / SDK models.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { KalshiWs } from "../../src/kalshi/ws.ts";
import { authHeaders, privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { startRecordingProxy, type RecordingProxy } from "./recording-proxy.ts";
import { problemsOf } from "./wire-check.ts";
import { until as untilWith } from "../helpers/until.ts";

const until = (what: string, f: () => boolean, ms = 10_000) => untilWith(what, f, ms);

let sim: SimServer;
let proxy: RecordingProxy;
const clock = new ManualClock(Date.UTC(2026, 5, 10, 13, 0, 0));
const kp = generateKeyPair();
const key = privateKeyFromPem(kp.privateKeyPem);

beforeAll(async () => {
  sim = await startSimServer({
    port: 0,
    seed: 7,
    clock,
    quiet: true,
    tier: "prime",
    accounts: [{ apiKeyId: "me", publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  proxy = startRecordingProxy(new URL(sim.baseUrl).origin);
});
afterAll(async () => {
  proxy.stop();
  await sim.stop();
});

describe("client commands and exchange messages against the AsyncAPI document", () => {
  test("subscribe (every channel set), update_subscription add/delete/get_snapshot, list, unsubscribe, orders and order groups", async () => {
    const client = new KalshiClient({ baseUrl: proxy.baseUrl, apiKeyId: "me", privateKey: key, tier: "prime" });
    const ws = new KalshiWs({ url: client.wsUrl, apiKeyId: "me", privateKey: key });
    const seen = () => new Set(proxy.rec.messages.map((m) => (m as { type: string }).type));
    try {
      await ws.connect();
      const markets = [...sim.exchange.markets.values()].filter((m) => m.status === "active").map((m) => m.ticker);
      const books = await Promise.all(markets.slice(0, 12).map((t) => client.getOrderbook(t)));
      const target = books.find((b) => b.no.length > 0 && b.yes.length > 0)!;
      const [t1, t2] = [target.ticker, markets.find((t) => t !== target.ticker)!];
      const [book] = await ws.subscribe(["orderbook_delta"], { market_tickers: [t1], use_yes_price: true });
      const [tick] = await ws.subscribe(["ticker", "trade"], { market_tickers: [t1] });
      await ws.subscribe(["fill", "user_orders", "market_positions", "order_group_updates"]);
      await ws.subscribe(["market_lifecycle_v2"]);
      await ws.updateSubscription(book!, "add_markets", [t2]);
      await ws.updateSubscription(book!, "get_snapshot", [t2]);
      await ws.updateSubscription(book!, "delete_markets", [t2]);
      expect((await ws.listSubscriptions()).length).toBeGreaterThanOrEqual(4);

      // A taker order at the best YES ask: trade, fill, user_order, market_position, ticker.
      const askPrice = 10_000 - target.no[0]![0];
      const g = await client.createOrderGroup({ contracts_limit: 100 });
      await client.createOrder({
        ticker: t1,
        side: "bid",
        price: askPrice,
        count: COUNT_ONE,
        time_in_force: "immediate_or_cancel",
        self_trade_prevention_type: "maker",
        order_group_id: g.order_group_id,
      });
      await client.createOrder({
        ticker: t1,
        side: "bid",
        price: 100,
        count: COUNT_ONE,
        time_in_force: "good_till_canceled",
        self_trade_prevention_type: "maker",
        order_group_id: g.order_group_id,
      });
      await client.triggerOrderGroup(g.order_group_id);
      await client.resetOrderGroup(g.order_group_id);
      sim.exchange.setEventFees(sim.exchange.markets.get(t1)!.eventTicker, "quadratic_with_maker_fees", 5_000);
      clock.advance(2_000);
      sim.tick();
      await until("private and public messages", () =>
        ["trade", "fill", "user_order", "market_position", "order_group_updates", "ticker", "event_fee_update"].every((t) => seen().has(t)),
      );
      await ws.unsubscribe([tick!]);

      // An error reply: a raw command naming a subscription that does not exist.
      const raw = new WebSocket(client.wsUrl, { headers: authHeaders("me", key, "GET", "/trade-api/ws/v2") } as unknown as string[]);
      await new Promise((r) => raw.addEventListener("open", r));
      raw.send(JSON.stringify({ id: 1, cmd: "unsubscribe", params: { sids: [999] } }));
      await until("error reply", () => seen().has("error"));
      raw.close();
      await until("unsubscribed", () => seen().has("unsubscribed"));

      const cmds = new Set(
        proxy.rec.commands.map((c) => {
          const x = c as { cmd: string; params?: { action?: string } };
          return x.params?.action ? `${x.cmd}:${x.params.action}` : x.cmd;
        }),
      );
      expect([...cmds].sort()).toEqual([
        "list_subscriptions",
        "subscribe",
        "unsubscribe",
        "update_subscription:add_markets",
        "update_subscription:delete_markets",
        "update_subscription:get_snapshot",
      ]);
      const { problems, uncovered } = problemsOf(proxy.rec);
      expect(problems.slice(0, 20)).toEqual([]);
      expect([...uncovered]).toEqual([]);
      // What Kalshi's command schemas demand of the orderbook subscription: use_yes_price true.
      const sub = proxy.rec.commands.find((c) =>
        (c as { params?: { channels?: string[] } }).params?.channels?.includes("orderbook_delta"),
      ) as { params: Record<string, unknown> };
      expect(sub.params.use_yes_price).toBe(true);
    } finally {
      ws.close();
    }
  }, 60_000);
});
