// Signatures made ahead of time for order create, amend and cancel (issue 14 goal 2): valid for the path they were
// made for, used once, never older than their limit, and sent by the client over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import {
  HEADER_KEY,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  Presigner,
  privateKeyFromPem,
  signingMessage,
  verifyMessage,
} from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { json, RecordingServer, testKeys } from "./helpers.ts";

const PATH = "/trade-api/v2/portfolio/events/orders";

describe("Presigner", () => {
  test("a prepared signature verifies for its method and path, and is handed out once", () => {
    const k = testKeys();
    let mono = 1_000;
    const p = new Presigner("key-1", k.privateKey, 2_000, () => mono);
    p.prepare("POST", PATH);
    const h = p.take("POST", PATH)!;
    expect(h[HEADER_KEY]).toBe("key-1");
    expect(verifyMessage(k.publicKey, signingMessage(h[HEADER_TIMESTAMP], "POST", PATH), h[HEADER_SIGNATURE])).toBe(true);
    // Not for another method or path, and not twice; each one has its own timestamp.
    expect(verifyMessage(k.publicKey, signingMessage(h[HEADER_TIMESTAMP], "DELETE", PATH), h[HEADER_SIGNATURE])).toBe(false);
    expect(p.take("POST", PATH)).toBeUndefined();
    p.prepare("POST", PATH);
    expect(p.take("GET", PATH)).toBeUndefined();
    mono += 10;
    p.prepare("POST", PATH);
    const a = p.take("POST", PATH)!;
    const b = p.take("POST", PATH)!;
    expect(Number(b[HEADER_TIMESTAMP])).toBeGreaterThan(Number(a[HEADER_TIMESTAMP]));
    expect(p.take("POST", PATH)).toBeUndefined();
  });

  test("a signature older than maxAgeMs on the monotonic clock is never handed out", () => {
    let mono = 0;
    const p = new Presigner("key-1", testKeys().privateKey, 2_000, () => mono);
    p.prepare("POST", PATH);
    mono = 2_001;
    expect(p.take("POST", PATH)).toBeUndefined();
    p.prepare("POST", PATH);
    mono = 4_001; // exactly maxAgeMs later: still inside
    expect(p.take("POST", PATH)).toBeDefined();
  });
});

describe("Presigner.keepReady", () => {
  test("aging signatures are replaced one per event-loop turn, each kept until its successor exists", async () => {
    let mono = 0;
    const p = new Presigner("key-1", testKeys().privateKey, 40, () => mono);
    p.keepReady([["POST", PATH, 3]]);
    expect(p.prepared("POST", PATH)).toBe(3);
    mono = 25; // past half of maxAgeMs: all three are due for replacement
    const seen: number[] = [];
    // The renewal starts on the keepReady timer (every maxAgeMs / 4 of real time), then goes on turn by turn.
    const until = performance.now() + 100;
    while (performance.now() < until) {
      await new Promise((r) => setImmediate(r));
      seen.push(p.prepared("POST", PATH));
    }
    // Never fewer than three ready while they were renewed: an old one leaves with its successor's arrival.
    expect(Math.min(...seen)).toBe(3);
    expect(Math.max(...seen)).toBe(3);
    // All renewed: the three handed out now are fresh (made at mono 25), the old ones are gone.
    mono = 60; // an old one (made at 0) would be past maxAgeMs; a renewed one is 35 old
    expect(p.take("POST", PATH)).toBeDefined();
    expect(p.take("POST", PATH)).toBeDefined();
    expect(p.take("POST", PATH)).toBeDefined();
    p.stop();
  });
});

describe("KalshiClient.presignOrders", () => {
  const servers: RecordingServer[] = [];
  afterAll(() => {
    for (const s of servers) s.stop();
  });

  test("order creates go out with signatures made ahead, valid, each used once; other requests sign on the spot", async () => {
    const k = testKeys();
    const s = new RecordingServer((_req, hit) => {
      const ok = verifyMessage(
        k.publicKey,
        signingMessage(hit.headers.get(HEADER_TIMESTAMP)!, hit.method, hit.url.pathname),
        hit.headers.get(HEADER_SIGNATURE)!,
      );
      return ok
        ? json({ error: { code: "bad_request", message: "signature fine; order refused on purpose" } }, 400)
        : json({ error: { code: "authentication_error" } }, 401);
    });
    servers.push(s);
    const c = new KalshiClient({ baseUrl: `${s.url}/trade-api/v2`, apiKeyId: "key-1", privateKey: k.privateKey, maxAttempts: 1 });
    const pre = c.presignOrders()!;
    try {
      const order = {
        ticker: "T",
        side: "bid",
        price: 4700,
        count: 100,
        time_in_force: "good_till_canceled",
        self_trade_prevention_type: "taker_at_cross",
      } as const;
      for (const cid of ["cid-1", "cid-2", "cid-3"]) {
        const e = await c.createOrder({ ...order, client_order_id: cid }).catch((x: unknown) => x as { status: number });
        expect(e.status).toBe(400); // the server verified the signature (a bad one is 401)
        // The refill is queued behind the request: wait for it, as the daemon's idle moments do.
        for (let i = 0; i < 1_000 && pre.prepared("POST", PATH) < 4; i++) await new Promise((r) => setImmediate(r));
        expect(pre.prepared("POST", PATH)).toBe(4);
      }
      expect(pre.stats).toEqual({ hits: 3, misses: 0 });
      const stamps = s.hits.map((h) => h.headers.get(HEADER_TIMESTAMP));
      expect(new Set(stamps.map((t, i) => `${t}:${s.hits[i]!.headers.get(HEADER_SIGNATURE)}`)).size).toBe(3);
      await c.getBalance().catch(() => {});
      expect(pre.stats.hits).toBe(3);
      expect(s.hits.at(-1)!.url.pathname).toBe("/trade-api/v2/portfolio/balance");
    } finally {
      pre.stop();
    }
  });
});

describe("Presigner.keepGroup", () => {
  const amend = (id: string) => `${PATH}/${id}/amend`;

  test("a group's paths are replaced as a whole: those that left are dropped, new ones signed on later turns, one a turn", async () => {
    const mono = 0;
    const p = new Presigner("key-1", testKeys().privateKey, 2_000, () => mono);
    p.keepGroup("orders", [
      ["POST", amend("a")],
      ["POST", amend("b")],
    ]);
    // Nothing signed in the caller's turn: the caller is on the hot path.
    expect(p.prepared("POST", amend("a")) + p.prepared("POST", amend("b"))).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(p.prepared("POST", amend("a")) + p.prepared("POST", amend("b"))).toBe(1);
    for (let i = 0; i < 100 && p.prepared("POST", amend("b")) < 1; i++) await new Promise((r) => setImmediate(r));
    expect([p.prepared("POST", amend("a")), p.prepared("POST", amend("b"))]).toEqual([1, 1]);
    p.keepGroup("orders", [
      ["POST", amend("b")],
      ["POST", amend("c")],
    ]);
    expect(p.prepared("POST", amend("a"))).toBe(0);
    expect(p.take("POST", amend("a"))).toBeUndefined();
    for (let i = 0; i < 100 && p.prepared("POST", amend("c")) < 1; i++) await new Promise((r) => setImmediate(r));
    expect([p.prepared("POST", amend("b")), p.prepared("POST", amend("c"))]).toEqual([1, 1]);
    p.stop();
  });

  test("a kept signature past maxAgeMs is never handed out: the request finds none and signs on the spot", async () => {
    let mono = 0;
    const p = new Presigner("key-1", testKeys().privateKey, 2_000, () => mono);
    p.keepGroup("orders", [["POST", amend("a")]]);
    for (let i = 0; i < 100 && p.prepared("POST", amend("a")) < 1; i++) await new Promise((r) => setImmediate(r));
    expect(p.prepared("POST", amend("a"))).toBe(1);
    mono = 2_001; // no turn of the event loop in between, so no renewal either
    expect(p.take("POST", amend("a"))).toBeUndefined();
    expect(p.stats).toEqual({ hits: 0, misses: 1 });
    p.stop();
  });
});

describe("KalshiClient.presignOrderPaths against the local exchange", () => {
  let sim: SimServer;
  const kp = generateKeyPair();
  beforeAll(async () => {
    sim = await startSimServer({
      port: 0,
      seed: 7,
      clock: new ManualClock(Date.UTC(2026, 5, 10, 13, 0, 0)),
      quiet: true,
      tier: "prime",
      accounts: [{ apiKeyId: "me", publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  test("an amend and a cancel of a resting order go out with signatures made ahead, and the exchange takes both", async () => {
    const c = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: "me", privateKey: privateKeyFromPem(kp.privateKeyPem), tier: "prime" });
    const pre = c.presignOrders()!;
    try {
      // A market on shard 0: the client routes a cancel without reading the market first.
      // Asked at 10¢ or more, so bids at 1¢ and 2¢ rest.
      const ticker = [...sim.exchange.markets.values()].find(
        (m) => m.status === "active" && m.exchangeIndex === 0 && sim.exchange.top(m.ticker).ask >= 1_000,
      )!.ticker;
      const placed = await c.createOrder({
        ticker,
        side: "bid",
        price: 200,
        count: COUNT_ONE,
        time_in_force: "good_till_canceled",
        self_trade_prevention_type: "maker",
      });
      const id = placed.order_id;
      const amendPath = `/trade-api/v2/portfolio/events/orders/${id}/amend`;
      const cancelPath = `/trade-api/v2/portfolio/events/orders/${id}`;
      c.presignOrderPaths([id]);
      for (let i = 0; i < 1_000 && (pre.prepared("POST", amendPath) < 1 || pre.prepared("DELETE", cancelPath) < 1); i++)
        await new Promise((r) => setImmediate(r));
      const before = { ...pre.stats };
      const amended = await c.amendOrder(id, {
        ticker,
        side: "bid",
        price: 100,
        count: COUNT_ONE,
        client_order_id: placed.client_order_id,
        updated_client_order_id: "cid-amended",
      });
      expect(amended.order_id).toBe(id);
      expect(pre.stats.hits).toBe(before.hits + 1);
      const after = await c.getOrder(id);
      expect([after.yes_price_dollars, after.status]).toEqual([100, "resting"]);
      // The amend's path names the same order: its next signature is made for the next requote.
      for (let i = 0; i < 1_000 && pre.prepared("POST", amendPath) < 1; i++) await new Promise((r) => setImmediate(r));
      expect(pre.prepared("POST", amendPath)).toBe(1);
      await c.cancelOrder(id, { market_ticker: ticker });
      expect(pre.stats.hits).toBe(before.hits + 2);
      expect(pre.stats.misses).toBe(before.misses);
      expect((await c.getOrder(id)).status).toBe("canceled");
    } finally {
      pre.stop();
    }
  });
});
