// The WebSocket client against a local Bun.serve WebSocket server that speaks Kalshi's protocol.
import { afterAll, describe, expect, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import { constants, verify } from "node:crypto";
import { KalshiWs, type WsEvent } from "../../src/kalshi/ws.ts";
import { testKeys } from "./helpers.ts";

const keys = testKeys();
const T = "KXTEST-26-A";

interface Conn {
  ws: ServerWebSocket<{ n: number }>;
  commands: Array<{ id: number; cmd: string; params?: Record<string, unknown> }>;
  seq: Map<number, number>;
}

const state = {
  handshakes: [] as Array<{ ok: boolean; key: string | null }>,
  conns: [] as Conn[],
  pongs: 0,
  nextSid: 1,
  useYes: new Map<number, boolean>(),
  /** How `ok` replies to add/delete_markets carry seq: none, the stream's next one. */
  okSeq: "none" as "none" | "next" | "own",
};

function send(c: Conn, sid: number, type: string, msg: unknown, extra: Record<string, unknown> = {}): void {
  const seq = (c.seq.get(sid) ?? 0) + 1;
  c.seq.set(sid, seq);
  c.ws.send(JSON.stringify({ type, sid, seq, msg, ...extra }) + "\n");
}
function snapshot(c: Conn, sid: number, id?: number): void {
  send(
    c,
    sid,
    "orderbook_snapshot",
    { market_ticker: T, market_id: "m1", yes_dollars_fp: [["0.4700", "3.00"]], no_dollars_fp: [["0.4800", "2.00"]] },
    id ? { id } : {},
  );
}

const server = Bun.serve<{ n: number }>({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req, srv) {
    const u = new URL(req.url);
    const ts = req.headers.get("KALSHI-ACCESS-TIMESTAMP") ?? "";
    const sig = req.headers.get("KALSHI-ACCESS-SIGNATURE") ?? "";
    const ok =
      u.pathname === "/trade-api/ws/v2" &&
      verify(
        "sha256",
        Buffer.from(`${ts}GET${u.pathname}`),
        { key: keys.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        Buffer.from(sig, "base64"),
      );
    state.handshakes.push({ ok, key: req.headers.get("KALSHI-ACCESS-KEY") });
    if (!ok) return new Response(JSON.stringify({ error: { code: "authentication_error" } }), { status: 401 });
    return srv.upgrade(req, { data: { n: state.conns.length } }) ? undefined : new Response("no upgrade", { status: 400 });
  },
  websocket: {
    open(ws) {
      state.conns.push({ ws, commands: [], seq: new Map() });
    },
    pong() {
      state.pongs++;
    },
    message(ws, raw) {
      const c = state.conns.find((x) => x.ws === ws)!;
      const cmd = JSON.parse(String(raw));
      c.commands.push(cmd);
      if (cmd.cmd === "subscribe") {
        const sids: Array<[string, number]> = cmd.params.channels.map((ch: string) => [ch, state.nextSid++]);
        for (const [channel, sid] of sids) ws.send(JSON.stringify({ type: "subscribed", id: cmd.id, msg: { channel, sid } }));
        for (const [channel, sid] of sids) {
          if (channel === "orderbook_delta") {
            state.useYes.set(sid, cmd.params.use_yes_price === true);
            snapshot(c, sid);
          }
        }
      } else if (cmd.cmd === "update_subscription" && cmd.params.action === "get_snapshot") {
        snapshot(c, cmd.params.sids[0], cmd.id);
      } else if (cmd.cmd === "update_subscription" && (cmd.params.action === "add_markets" || cmd.params.action === "delete_markets")) {
        const sid = cmd.params.sids[0];
        if (state.okSeq === "next") send(c, sid, "ok", { market_tickers: [T] }, { id: cmd.id });
        else if (state.okSeq === "own") ws.send(JSON.stringify({ type: "ok", id: cmd.id, sid, seq: 1, msg: { market_tickers: [T] } }));
        else ws.send(JSON.stringify({ type: "ok", id: cmd.id, sid, msg: { market_tickers: [T] } }));
      } else if (cmd.cmd === "list_subscriptions") {
        ws.send(JSON.stringify({ type: "ok", id: cmd.id, msg: [{ channel: "orderbook_delta", sid: 1 }] }));
      } else if (cmd.cmd === "unsubscribe") {
        for (const sid of cmd.params.sids) ws.send(JSON.stringify({ type: "unsubscribed", id: cmd.id, sid, seq: 0 }));
      } else {
        ws.send(JSON.stringify({ type: "error", id: cmd.id, msg: { code: 5, msg: "Unknown command" } }));
      }
    },
  },
});

const clients: KalshiWs[] = [];
afterAll(() => {
  for (const c of clients) c.close();
  server.stop(true);
});

const url = `ws://127.0.0.1:${server.port}/trade-api/ws/v2`;
function newClient(extra: Partial<ConstructorParameters<typeof KalshiWs>[0]> = {}): KalshiWs {
  const c = new KalshiWs({
    url,
    apiKeyId: "ws-key",
    privateKey: keys.privateKey,
    reconnectBaseMs: 20,
    reconnectMaxMs: 100,
    commandTimeoutMs: 2000,
    ...extra,
  });
  clients.push(c);
  return c;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

describe("KalshiWs", () => {
  let c: KalshiWs;
  let conn: Conn;
  let obSid = 0;
  const events: WsEvent[] = [];

  test("signed handshake, subscribe acks map channels to sids, snapshot builds the book (YES-price mode)", async () => {
    c = newClient();
    c.on((e) => events.push(e));
    await c.connect();
    expect(state.handshakes.at(-1)).toEqual({ ok: true, key: "ws-key" });
    const subs = await c.subscribe(["orderbook_delta", "trade"], { market_tickers: [T], use_yes_price: true });
    expect(subs.map((s) => s.channel)).toEqual(["orderbook_delta", "trade"]);
    expect(subs.every((s) => typeof s.sid === "number")).toBe(true);
    conn = state.conns.at(-1)!;
    expect(conn.commands[0]).toMatchObject({
      id: 1,
      cmd: "subscribe",
      params: { channels: ["orderbook_delta", "trade"], market_tickers: [T], use_yes_price: true },
    });
    obSid = subs[0]!.sid!;
    await until(() => c.books.get(T)?.trusted === true);
    const b = c.books.get(T)!;
    // YES-price mode: NO level sent at 0.48 means a NO bid at 0.52.
    expect(b.bestYesBid()).toEqual({ price: 4700, size: 300 });
    expect(b.bestNoBid()).toEqual({ price: 5200, size: 200 });
    expect(b.bestYesAsk()).toEqual({ price: 4800, size: 200 });
  });

  test("deltas apply in order", async () => {
    send(conn, obSid, "orderbook_delta", { market_ticker: T, price_dollars: "0.4700", delta_fp: "-1.00", side: "yes" });
    send(conn, obSid, "orderbook_delta", { market_ticker: T, price_dollars: "0.4900", delta_fp: "5.00", side: "yes" });
    await until(() => c.books.get(T)!.bestYesBid()?.price === 4900);
    expect(c.books.get(T)!.sizeAt("yes", 4700)).toBe(200);
  });

  test("a seq gap distrusts the book and asks for a snapshot; the snapshot restores it", async () => {
    const before = conn.commands.length;
    conn.seq.set(obSid, (conn.seq.get(obSid) ?? 0) + 3); // skip three messages
    send(conn, obSid, "orderbook_delta", { market_ticker: T, price_dollars: "0.4900", delta_fp: "1.00", side: "yes" });
    await until(() => events.some((e) => e.type === "gap"));
    const gap = events.find((e) => e.type === "gap") as Extract<WsEvent, { type: "gap" }>;
    expect(gap.sid).toBe(obSid);
    expect(gap.got - gap.expected).toBe(3);
    expect(gap.tickers).toEqual([T]);
    await until(() => conn.commands.length > before);
    expect(conn.commands[before]).toMatchObject({
      cmd: "update_subscription",
      params: { sids: [obSid], market_tickers: [T], action: "get_snapshot" },
    });
    await until(() => c.books.get(T)!.trusted);
    // Fresh snapshot: the pre-gap 0.49 level is gone.
    expect(c.books.get(T)!.bestYesBid()).toEqual({ price: 4700, size: 300 });
    expect(c.stats.gaps).toBe(1);
  });

  test("list_subscriptions and an error reply", async () => {
    expect(await c.listSubscriptions()).toEqual([{ channel: "orderbook_delta", sid: 1 }]);
  });

  test("answers server pings", async () => {
    const before = state.pongs;
    conn.ws.ping("heartbeat");
    await until(() => state.pongs > before);
    expect(state.pongs).toBe(before + 1);
  });

  test("connection drop: book distrusted, redial with a fresh signature, resubscribe, new snapshot", async () => {
    const connsBefore = state.conns.length;
    const handshakesBefore = state.handshakes.length;
    conn.ws.terminate();
    await until(() => c.books.get(T)!.trusted === false);
    await until(() => state.conns.length === connsBefore + 1 && c.books.get(T)!.trusted);
    const fresh = state.conns.at(-1)!;
    expect(state.handshakes.length).toBe(handshakesBefore + 1);
    expect(state.handshakes.at(-1)!.ok).toBe(true);
    expect(fresh.commands[0]).toMatchObject({
      cmd: "subscribe",
      params: { channels: ["orderbook_delta", "trade"], market_tickers: [T], use_yes_price: true },
    });
    const subs = c.subscriptions();
    expect(subs[0]!.sid).not.toBe(obSid);
    expect(c.stats.reconnects).toBe(1);
    expect(c.books.get(T)!.bestNoBid()).toEqual({ price: 5200, size: 200 });
    conn = fresh;
    obSid = subs[0]!.sid!;
  });

  test("update_subscription add_markets is remembered for the next reconnect", async () => {
    const sub = c.subscriptions()[0]!;
    await c.updateSubscription(sub, "add_markets", ["KXOTHER"]).catch(() => {});
    expect(sub.options.market_tickers).toEqual([T, "KXOTHER"]);
  });

  test("a bad signature is refused at the handshake and retried with backoff, not hammered", async () => {
    const { privateKey: wrong } = require("node:crypto").generateKeyPairSync("rsa", { modulusLength: 2048 });
    const bad = newClient({ privateKey: wrong, reconnectBaseMs: 50, reconnectMaxMs: 200 });
    const before = state.handshakes.length;
    bad.connect().catch(() => {});
    await Bun.sleep(600);
    bad.close();
    const attempts = state.handshakes.slice(before);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThan(15);
    expect(attempts.every((h) => !h.ok)).toBe(true);
  });
});

describe("KalshiWs against Kalshi's contract", () => {
  test("orderbook_delta is subscribed with use_yes_price true without being asked, and the book reads NO levels as YES prices", async () => {
    const c = newClient();
    await c.connect();
    const [sub] = await c.subscribe(["orderbook_delta"], { market_tickers: [T] });
    const conn = state.conns.at(-1)!;
    expect(conn.commands[0]).toMatchObject({ cmd: "subscribe", params: { channels: ["orderbook_delta"], use_yes_price: true } });
    await until(() => c.books.get(T)?.trusted === true);
    // Snapshot NO level "0.4800" in YES-leg pricing: best YES ask 0.48, best NO bid 0.52.
    expect(c.books.get(T)!.bestYesAsk()!.price).toBe(4800);
    expect(sub!.sid).toBeDefined();
    c.close();
  });

  for (const mode of ["none", "next", "own"] as const) {
    test(`an ok reply to update_subscription ${mode === "none" ? "without a seq" : mode === "next" ? "with the stream's next seq" : "with a seq of its own"} leaves the stream's seq check intact`, async () => {
      state.okSeq = mode;
      const c = newClient();
      const gaps: WsEvent[] = [];
      c.on((e) => e.type === "gap" && gaps.push(e));
      await c.connect();
      const [sub] = await c.subscribe(["orderbook_delta"], { market_tickers: [T] });
      const conn = state.conns.at(-1)!;
      await until(() => c.books.get(T)?.trusted === true);
      await c.updateSubscription(sub!, "add_markets", ["KXTEST-26-B"]);
      send(conn, sub!.sid!, "orderbook_delta", {
        market_ticker: T,
        market_id: "m1",
        price_dollars: "0.4700",
        delta_fp: "1.00",
        side: "yes",
      });
      await until(() => c.books.get(T)!.sizeAt("yes", 4700) === 400);
      expect(gaps).toEqual([]);
      expect(c.books.get(T)!.trusted).toBe(true);
      state.okSeq = "none";
      c.close();
    });
  }
});
