// Kalshi WebSocket client (API.md §6): signed handshake, commands with acks, per-sid seq checking,
// local order books, and reconnection. Subscriptions are kept as intents: after a reconnect they are
// sent again (the server hands out new sids and restarts seq at 1), so callers keep their handles.
import type { KeyObject } from "node:crypto";
import { authHeaders } from "./signer.ts";
import { OrderBooks, type OrderBook } from "./orderbook.ts";
import { WS_PATH } from "./urls.ts";
import type { WsMessage, WsChannel } from "./wire/ws.ts";
import { parseWsFrame } from "./wire/ws-fast.ts";
import type { Logger } from "./client.ts";

export interface KalshiWsOptions {
  /** e.g. client.wsUrl, or KALSHI_HOSTS.demo.ws */
  url: string;
  apiKeyId?: string;
  privateKey?: KeyObject;
  logger?: Logger;
  /** Reconnect backoff: base and cap in ms (default 500 ms → 30 s), with jitter. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** How long a command waits for its ack (default 10 s). */
  commandTimeoutMs?: number;
  /**
   * We ping every `pingIntervalMs` (default 10 s); if nothing at all (message, ping, pong) arrives for
   * `staleAfterMs` (default 30 s) the connection is presumed dead and redialled.
   */
  pingIntervalMs?: number;
  staleAfterMs?: number;
  /** Injected for tests and non-Bun runtimes. Must accept `{ headers }` as Bun's WebSocket does. */
  WebSocketImpl?: typeof WebSocket;
}

export interface SubscribeOptions {
  market_tickers?: string[];
  market_ids?: string[];
  /** orderbook_delta only: NO levels at YES-equivalent prices. Default true (Kalshi's coming default). */
  use_yes_price?: boolean;
  send_initial_snapshot?: boolean;
  skip_ticker_ack?: boolean;
}

/** A live subscription to one channel. `sid` changes on every reconnect. */
export interface Subscription {
  readonly key: number;
  readonly channel: WsChannel;
  sid: number | undefined;
  readonly options: SubscribeOptions;
}

export type WsEvent =
  | { type: "open" }
  | { type: "close"; code: number; reason: string }
  | { type: "message"; message: WsMessage }
  | { type: "book"; book: OrderBook }
  | { type: "gap"; sid: number; expected: number; got: number; tickers: string[] }
  | { type: "error"; error: Error; fatal: boolean };

interface Pending {
  resolve: (msgs: WsMessage[]) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  acks: WsMessage[];
  expectAcks: number;
  subscribing?: Subscription[] | undefined;
}

export class KalshiWsError extends Error {
  override name = "KalshiWsError";
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

export class KalshiWs {
  readonly books = new OrderBooks();
  private ws: WebSocket | undefined;
  private readonly opts: Required<
    Pick<KalshiWsOptions, "reconnectBaseMs" | "reconnectMaxMs" | "commandTimeoutMs" | "pingIntervalMs" | "staleAfterMs">
  > &
    KalshiWsOptions;
  private readonly log: Logger;
  private nextId = 1;
  private nextKey = 1;
  private pending = new Map<number, Pending>();
  private subs = new Map<number, Subscription>();
  private subBySid = new Map<number, Subscription>();
  private lastSeq = new Map<number, number>();
  private listeners = new Set<(e: WsEvent) => void>();
  private closedByUser = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  /** Monotonic (performance.now): staleness must not follow a stepped wall clock. */
  private lastRx = 0;
  private openWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Counters for heartbeats and tests. */
  /** `frames`: every text or binary frame received, whatever it holds (a harness compares it with what the server sent). */
  readonly stats = { connects: 0, reconnects: 0, messages: 0, frames: 0, gaps: 0, pingsAnswered: 0 };

  constructor(opts: KalshiWsOptions) {
    this.opts = {
      reconnectBaseMs: 500,
      reconnectMaxMs: 30_000,
      commandTimeoutMs: 10_000,
      pingIntervalMs: 10_000,
      staleAfterMs: 30_000,
      ...opts,
    };
    this.log = opts.logger ?? (() => {});
  }

  on(listener: (e: WsEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** The text of the last orderbook_delta frame applied (the daemon's idle warm-up decodes copies of it). */
  lastDeltaFrame: string | null = null;

  /** When the last frame (or ping) arrived, monotonic: read inside a message listener, that message's arrival. */
  get lastFrameAt(): number {
    return this.lastRx;
  }

  subscriptions(): Subscription[] {
    return [...this.subs.values()];
  }

  /** Open the connection (resolves once open); reconnects automatically until close(). */
  connect(): Promise<void> {
    this.closedByUser = false;
    if (this.connected) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.openWaiters.push({ resolve, reject }));
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) this.dial();
    return p;
  }

  close(): void {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    this.stopPing();
    for (const w of this.openWaiters.splice(0)) w.reject(new KalshiWsError("closed"));
    this.failPending(new KalshiWsError("connection closed"));
    this.ws?.close(1000, "bye");
  }

  // ---- commands ----------------------------------------------------------------------------------------

  /** Subscribe to channels; one Subscription per channel. Resolves when every channel is acked. */
  async subscribe(channels: WsChannel[], options: SubscribeOptions = {}): Promise<Subscription[]> {
    const subs = channels.map((channel) => ({ key: this.nextKey++, channel, sid: undefined, options: { ...options } }) as Subscription);
    for (const s of subs) this.subs.set(s.key, s);
    if (this.connected) {
      try {
        await this.sendSubscribe(subs);
      } catch (e) {
        for (const s of subs) this.subs.delete(s.key);
        throw e;
      }
    }
    return subs;
  }

  async unsubscribe(subs: Subscription[]): Promise<void> {
    const sids = subs.map((s) => s.sid).filter((x): x is number => x !== undefined);
    for (const s of subs) {
      this.subs.delete(s.key);
      if (s.sid !== undefined) {
        this.subBySid.delete(s.sid);
        this.books.forgetSid(s.sid);
      }
    }
    if (sids.length && this.connected) await this.command("unsubscribe", { sids }, sids.length);
  }

  /** Add or remove markets on a subscription, or ask for fresh order-book snapshots. */
  async updateSubscription(
    sub: Subscription,
    action: "add_markets" | "delete_markets" | "get_snapshot",
    marketTickers: string[],
  ): Promise<void> {
    if (action === "add_markets") sub.options.market_tickers = [...new Set([...(sub.options.market_tickers ?? []), ...marketTickers])];
    if (action === "delete_markets") {
      const drop = new Set(marketTickers);
      sub.options.market_tickers = (sub.options.market_tickers ?? []).filter((t) => !drop.has(t));
      if (sub.channel === "orderbook_delta") for (const t of marketTickers) this.books.remove(t);
    }
    if (sub.sid === undefined || !this.connected) return;
    await this.command("update_subscription", { sids: [sub.sid], market_tickers: marketTickers, action }, 1);
  }

  /** The server's view of this connection's subscriptions. */
  async listSubscriptions(): Promise<Array<{ channel: string; sid: number }>> {
    const [ack] = await this.command("list_subscriptions", undefined, 1);
    const msg = ack && ack.type === "ok" ? ack.msg : undefined;
    return Array.isArray(msg) ? (msg as Array<{ channel: string; sid: number }>) : [];
  }

  private async sendSubscribe(subs: Subscription[]): Promise<void> {
    // Channels with the same options go in one command; acks carry the channel name to match sids.
    const groups = new Map<string, Subscription[]>();
    for (const s of subs) {
      const k = JSON.stringify(s.options);
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const group of groups.values()) {
      const o = group[0]!.options;
      const params: Record<string, unknown> = { channels: group.map((s) => s.channel) };
      if (o.market_tickers?.length) params.market_tickers = o.market_tickers;
      if (o.market_ids?.length) params.market_ids = o.market_ids;
      // Kalshi will flip this default to true and then drop the flag (AsyncAPI subscribe command):
      // ask for YES-leg prices always, so the book is read the same before and after the flip.
      if (group.some((s) => s.channel === "orderbook_delta")) params.use_yes_price = o.use_yes_price ?? true;
      if (o.send_initial_snapshot !== undefined) params.send_initial_snapshot = o.send_initial_snapshot;
      if (o.skip_ticker_ack !== undefined) params.skip_ticker_ack = o.skip_ticker_ack;
      // sids are bound as each ack arrives (see onAck), before the snapshot that follows it.
      await this.command("subscribe", params, group.length, group);
    }
  }

  private command(
    cmd: string,
    params: Record<string, unknown> | undefined,
    expectAcks: number,
    subscribing?: Subscription[],
  ): Promise<WsMessage[]> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new KalshiWsError(`${cmd}: not connected`));
    const id = this.nextId++;
    return new Promise<WsMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new KalshiWsError(`${cmd} (id ${id}): no answer within ${this.opts.commandTimeoutMs} ms`));
      }, this.opts.commandTimeoutMs);
      this.pending.set(id, { resolve, reject, timer, acks: [], expectAcks, subscribing });
      ws.send(JSON.stringify(params === undefined ? { id, cmd } : { id, cmd, params }));
    });
  }

  private failPending(e: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.pending.delete(id);
    }
  }

  // ---- connection --------------------------------------------------------------------------------------

  private dial(): void {
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    const headers: Record<string, string> = {};
    if (this.opts.apiKeyId && this.opts.privateKey) {
      // The handshake signs GET + the WS pathname (behind a proxy prefix, the actual pathname).
      const pathname = new URL(this.opts.url).pathname || WS_PATH;
      Object.assign(headers, authHeaders(this.opts.apiKeyId, this.opts.privateKey, "GET", pathname));
    }
    let ws: WebSocket;
    try {
      ws = new Impl(this.opts.url, { headers } as unknown as string[]);
    } catch (e) {
      this.emit({ type: "error", error: e as Error, fatal: false });
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.stats.connects++;
      if (this.stats.connects > 1) this.stats.reconnects++;
      this.attempt = 0;
      this.lastRx = performance.now();
      this.lastSeq.clear();
      this.subBySid.clear();
      this.startPing(ws);
      this.log("info", `websocket connected (${this.stats.connects > 1 ? "reconnect" : "first connect"})`);
      this.emit({ type: "open" });
      for (const w of this.openWaiters.splice(0)) w.resolve();
      const subs = [...this.subs.values()];
      for (const s of subs) s.sid = undefined;
      if (subs.length) {
        this.sendSubscribe(subs).catch((e) => {
          this.log("warn", `resubscribe failed: ${(e as Error).message}`);
          this.emit({ type: "error", error: e as Error, fatal: false });
          // A connection that cannot carry our subscriptions is useless: drop it and redial.
          ws.close(4000, "resubscribe failed");
        });
      }
    });
    ws.addEventListener("message", (ev) => {
      if (this.ws !== ws) return;
      this.lastRx = performance.now();
      this.stats.frames++;
      this.onText(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString("utf8"));
    });
    ws.addEventListener("ping", () => {
      this.lastRx = performance.now();
      this.stats.pingsAnswered++;
    });
    ws.addEventListener("pong", () => {
      this.lastRx = performance.now();
    });
    ws.addEventListener("error", (ev) => {
      if (this.ws !== ws) return;
      const err =
        (ev as ErrorEvent).error instanceof Error ? (ev as ErrorEvent).error : new Error((ev as ErrorEvent).message || "websocket error");
      this.log("warn", `websocket error: ${err.message}`);
      this.emit({ type: "error", error: err, fatal: false });
    });
    ws.addEventListener("close", (ev) => {
      if (this.ws !== ws) return;
      this.stopPing();
      this.failPending(new KalshiWsError(`connection closed (${ev.code})`));
      this.books.distrustAll("connection lost");
      for (const s of this.subs.values()) s.sid = undefined;
      this.subBySid.clear();
      this.emit({ type: "close", code: ev.code, reason: ev.reason });
      if (!this.closedByUser) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closedByUser) return;
    const ceiling = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectBaseMs * 2 ** this.attempt);
    const delay = Math.floor(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt++;
    this.log("info", `websocket reconnect in ${delay} ms (attempt ${this.attempt})`);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.dial(), delay);
  }

  private startPing(ws: WebSocket): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (performance.now() - this.lastRx > this.opts.staleAfterMs) {
        this.log("warn", `websocket silent for ${Math.round(performance.now() - this.lastRx)} ms; redialling`);
        ws.close(4001, "stale");
        return;
      }
      try {
        (ws as WebSocket & { ping?: (d?: string) => void }).ping?.("keepalive");
      } catch {
        // a failing ping means the socket is going away; the close handler takes over
      }
    }, this.opts.pingIntervalMs);
  }

  private stopPing(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  // ---- incoming ---------------------------------------------------------------------------------------

  private onText(text: string): void {
    // Same result as WsMessage.safeParse(JSON.parse(text)), with a fast path for the hot types.
    const r = parseWsFrame(text);
    if (!r.ok) {
      if (!r.error) {
        this.log("warn", "websocket: non-JSON frame ignored");
        return;
      }
      const type = (r.raw as { type?: unknown })?.type;
      // Unknown message types are expected as Kalshi grows; malformed known ones are worth a warning.
      if (typeof type === "string" && WS_KNOWN_TYPES.has(type)) {
        this.log("warn", `websocket: malformed ${type}: ${r.error.issues[0]?.path.join(".")} ${r.error.issues[0]?.message}`);
      }
      return;
    }
    const m = r.message;
    this.stats.messages++;

    // seq runs per sid over every sequenced message of that subscription.
    const sid = (m as { sid?: number }).sid;
    const seq = (m as { seq?: number }).seq;
    if (sid !== undefined && seq !== undefined) {
      // Whether a command reply (ok to update_subscription, unsubscribed, error) takes a seq of the
      // subscription's stream is not settled by Kalshi's documents: a reply's seq continues the
      // stream only when it is the next one, and never reports a gap by itself.
      if (m.type === "ok" || m.type === "unsubscribed" || m.type === "error" || m.type === "subscribed") {
        if (this.lastSeq.get(sid) === seq - 1) this.lastSeq.set(sid, seq);
      } else this.checkSeq(sid, seq, m.type);
    }

    switch (m.type) {
      case "subscribed":
      case "ok":
      case "unsubscribed":
      case "error":
        this.onAck(m);
        break;
      case "orderbook_snapshot": {
        const useYes = this.subBySid.get(m.sid)?.options.use_yes_price ?? true;
        const b = this.books.snapshot(m.sid, m.msg.market_ticker, m.msg.yes_dollars_fp, m.msg.no_dollars_fp, useYes);
        if (!b.trusted) this.log("warn", `websocket: order book ${b.ticker} refused: ${b.reason}`);
        this.emit({ type: "book", book: b });
        if (m.id !== undefined) this.onAck(m);
        break;
      }
      case "orderbook_delta": {
        this.lastDeltaFrame = text;
        const b = this.books.delta(m.msg.market_ticker, m.msg.side, m.msg.price_dollars, m.msg.delta_fp);
        if (b && !b.trusted) this.requestSnapshot(m.sid, [m.msg.market_ticker]);
        else if (b) this.emit({ type: "book", book: b });
        break;
      }
    }
    this.emit({ type: "message", message: m });
  }

  private checkSeq(sid: number, seq: number, type: string): void {
    const last = this.lastSeq.get(sid);
    // A snapshot starting the stream (seq 1) or answering get_snapshot resets nothing by itself;
    // the counter simply continues. The first message seen on a sid sets the baseline.
    if (last !== undefined && seq !== last + 1) {
      this.stats.gaps++;
      const tickers = this.books.distrustSid(sid, `seq gap on sid ${sid}: expected ${last + 1}, got ${seq}`);
      this.log(
        "warn",
        `websocket seq gap on sid ${sid} (${type}): expected ${last + 1}, got ${seq}; resnapshotting ${tickers.length} book(s)`,
      );
      this.emit({ type: "gap", sid, expected: last + 1, got: seq, tickers });
      if (tickers.length) this.requestSnapshot(sid, tickers);
    }
    this.lastSeq.set(sid, seq);
  }

  private snapshotRequested = new Set<string>();

  private requestSnapshot(sid: number, tickers: string[]): void {
    const fresh = tickers.filter((t) => !this.snapshotRequested.has(`${sid}:${t}`));
    if (!fresh.length || !this.connected) return;
    for (const t of fresh) this.snapshotRequested.add(`${sid}:${t}`);
    this.command("update_subscription", { sids: [sid], market_tickers: fresh, action: "get_snapshot" }, 1)
      .catch((e) => {
        this.log("warn", `get_snapshot failed (${(e as Error).message}); resubscribing`);
        // Fallback: drop and redo the subscription, which always starts with a snapshot.
        const sub = this.subBySid.get(sid);
        if (sub) this.resubscribe(sub).catch(() => {});
      })
      .finally(() => {
        for (const t of fresh) this.snapshotRequested.delete(`${sid}:${t}`);
      });
  }

  private async resubscribe(sub: Subscription): Promise<void> {
    const old = sub.sid;
    if (old !== undefined) {
      this.subBySid.delete(old);
      this.books.forgetSid(old);
      await this.command("unsubscribe", { sids: [old] }, 1).catch(() => {});
    }
    sub.sid = undefined;
    await this.sendSubscribe([sub]);
  }

  private onAck(m: WsMessage): void {
    const id = (m as { id?: number }).id;
    if (m.type === "error") {
      const err = new KalshiWsError(`websocket error ${m.msg.code}: ${m.msg.msg ?? ""}`, m.msg.code);
      // 10 (channel error) and 25 (buffer overflow) end the subscription: start it again.
      if ((m.msg.code === 10 || m.msg.code === 25) && m.sid !== undefined) {
        const sub = this.subBySid.get(m.sid);
        if (sub) this.resubscribe(sub).catch((e) => this.emit({ type: "error", error: e as Error, fatal: false }));
      }
      if (id !== undefined && this.pending.has(id)) {
        const p = this.pending.get(id)!;
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(err);
      } else this.emit({ type: "error", error: err, fatal: false });
      return;
    }
    if (id === undefined) return;
    const p = this.pending.get(id);
    if (!p) return;
    if (m.type === "subscribed" && p.subscribing) {
      const s = p.subscribing.find((g) => g.channel === m.msg.channel && g.sid === undefined);
      if (s) {
        s.sid = m.msg.sid;
        this.subBySid.set(s.sid, s);
      }
    }
    p.acks.push(m);
    if (p.acks.length >= p.expectAcks) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.resolve(p.acks);
    }
  }

  private emit(e: WsEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log("error", `websocket listener threw: ${(err as Error).message}`);
      }
    }
  }
}

const WS_KNOWN_TYPES = new Set([
  "subscribed",
  "unsubscribed",
  "ok",
  "error",
  "orderbook_snapshot",
  "orderbook_delta",
  "ticker",
  "trade",
  "fill",
  "user_order",
  "market_position",
  "market_lifecycle_v2",
  "event_lifecycle",
  "event_fee_update",
  "order_group_updates",
]);
