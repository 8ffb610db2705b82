// The local exchange honours `expiration_time` on V2 create (Unix seconds, with good_till_canceled)
// as Kalshi does: the order rests until the exchange's clock reaches it, then is cancelled on its
// own — REST shows it `canceled` (remaining 0, its expiration_time, last_update_time at the expiry)
// and no longer lists it as resting, and the user_orders channel sends a `user_order` with status
// `canceled` and last_update_reason `ExpiryCancel`. Expiries in the past and with IOC are refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authHeaders, privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { Client, handScenario, testKeys, T_BIN } from "./helpers.ts";

let s: SimServer;
let a: Client;
let clock: ManualClock;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 20, 12, 0, 0));
  const k = testKeys();
  s = await startSimServer({
    clock,
    scenario: handScenario(),
    tier: "unlimited",
    quiet: true,
    accounts: [{ apiKeyId: "key-a", publicKeyPem: k.publicKeyPem, balanceMicros: 100_000_000 }],
  });
  a = new Client(s.baseUrl, "key-a", k.privateKeyPem);
});
afterAll(async () => {
  await s.stop();
});

async function openWs(): Promise<{
  frames: any[];
  until(pred: (f: any) => boolean, ms?: number): Promise<any>;
  send(x: unknown): void;
  close(): void;
}> {
  const headers = authHeaders("key-a", privateKeyFromPem(testKeys().privateKeyPem), "GET", "/trade-api/ws/v2");
  const ws = new WebSocket(s.wsUrl, { headers } as any);
  const frames: any[] = [];
  ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
  await new Promise<void>((res, rej) => {
    ws.onopen = () => res();
    ws.onerror = () => rej(new Error("ws error"));
  });
  return {
    frames,
    send: (x) => ws.send(JSON.stringify(x)),
    close: () => ws.close(),
    async until(pred, ms = 3_000) {
      const end = Date.now() + ms;
      for (;;) {
        const f = frames.find(pred);
        if (f) return f;
        if (Date.now() > end) throw new Error(`no matching frame; got ${JSON.stringify(frames).slice(0, 1500)}`);
        await Bun.sleep(20);
      }
    },
  };
}

const gtc = (extra: Record<string, unknown>) => ({
  ticker: T_BIN,
  side: "bid",
  count: "2.00",
  price: "0.3000",
  time_in_force: "good_till_canceled",
  self_trade_prevention_type: "maker",
  client_order_id: crypto.randomUUID(),
  ...extra,
});

describe("expiration_time on V2 create", () => {
  test("the order rests until the exchange's clock reaches it, then is cancelled: REST canceled, user_order ExpiryCancel", async () => {
    const ws = await openWs();
    ws.send({ id: 1, cmd: "subscribe", params: { channels: ["user_orders"] } });
    await ws.until((f) => f.type === "subscribed");
    const expSec = Math.floor(clock.now() / 1000) + 30;
    const r = await a.post("/portfolio/events/orders", gtc({ expiration_time: expSec }));
    expect(r.status, r.text).toBe(201);
    const id = r.body.order_id as string;
    const created = await ws.until((f) => f.type === "user_order" && f.msg.order_id === id && f.msg.status === "resting");
    expect(created.msg.expiration_ts_ms).toBe(expSec * 1000);

    // One second short of the expiry: still resting.
    clock.advance(29_000);
    s.tick();
    let o = (await a.get(`/portfolio/orders/${id}`)).body.order;
    expect(o.status).toBe("resting");
    expect(Date.parse(o.expiration_time)).toBe(expSec * 1000);
    expect((await a.get(`/portfolio/orders?status=resting&ticker=${T_BIN}`)).body.orders.map((x: any) => x.order_id)).toContain(id);

    clock.advance(1_000);
    s.tick();
    o = (await a.get(`/portfolio/orders/${id}`)).body.order;
    expect(o.status).toBe("canceled");
    expect(o.remaining_count_fp).toBe("0.00");
    expect(o.fill_count_fp).toBe("0.00");
    expect(Date.parse(o.last_update_time)).toBe(expSec * 1000);
    expect((await a.get(`/portfolio/orders?status=resting&ticker=${T_BIN}`)).body.orders.map((x: any) => x.order_id)).not.toContain(id);
    const expired = await ws.until((f) => f.type === "user_order" && f.msg.order_id === id && f.msg.status === "canceled");
    expect(expired.msg).toMatchObject({ remaining_count_fp: "0.00", last_update_reason: "ExpiryCancel", expiration_ts_ms: expSec * 1000 });
    // Its collateral is free again.
    expect((await a.get("/portfolio/balance")).body.balance).toBe(10_000);
    ws.close();
  });

  test("an order without expiration_time stays resting; an expiry in the past or with IOC is refused", async () => {
    const r = await a.post("/portfolio/events/orders", gtc({}));
    expect(r.status).toBe(201);
    clock.advance(120_000);
    s.tick();
    expect((await a.get(`/portfolio/orders/${r.body.order_id}`)).body.order.status).toBe("resting");
    await a.del(`/portfolio/events/orders/${r.body.order_id}`);

    const past = await a.post("/portfolio/events/orders", gtc({ expiration_time: Math.floor(clock.now() / 1000) - 1 }));
    expect(past.status).toBe(400);
    const ioc = await a.post(
      "/portfolio/events/orders",
      gtc({ time_in_force: "immediate_or_cancel", expiration_time: Math.floor(clock.now() / 1000) + 60 }),
    );
    expect(ioc.status).toBe(400);
  });
});
