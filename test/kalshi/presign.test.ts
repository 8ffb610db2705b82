// Signatures made ahead of time for order create (issue 14 goal 2): valid for the path they were
// made for, used once, never older than their limit, and sent by the client over real HTTP.
import { afterAll, describe, expect, test } from "bun:test";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, Presigner, signingMessage, verifyMessage } from "../../src/kalshi/signer.ts";
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
