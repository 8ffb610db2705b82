// The WebSocket API at /trade-api/ws/v2 (API.md §6): one sid per channel subscription, seq per
// sid on the sequenced channels, snapshots then signed deltas, both use_yes_price modes, the error
// codes of §6.3, heartbeat pings every 10 s. Messages come from the Exchange's event stream.
import type { ServerWebSocket } from "bun";
import { WsCommand } from "../kalshi/wire/index.ts";
import { COUNT_ONE, formatCount, formatMicros, formatPrice, PRICE_ONE, type Count, type Price } from "../kalshi/money.ts";
import type { Exchange, ExchangeEvent } from "./exchange.ts";
import type { FaultInjector } from "./faults.ts";
import type { Fill, Order } from "./types.ts";
import { isoMicro } from "./wire-format.ts";

export const PING_EVERY_MS = 10_000;

const SEQUENCED = new Set(["orderbook_delta", "trade", "market_lifecycle_v2", "order_group_updates", "multivariate_market_lifecycle"]);
const PRIVATE = new Set(["orderbook_delta", "fill", "market_positions", "user_orders", "order_group_updates"]);
const UPDATE_ACTIONS = new Set(["add_markets", "delete_markets", "get_snapshot"]);
/** Kalshi's `last_update_reason` values (API.md §4.3); our own internal reasons are not sent. */
const UPDATE_REASONS = new Set([
  "Decrease",
  "Amend",
  "MarginCancel",
  "SelfTradeCancel",
  "ExpiryCancel",
  "CloseCancel",
  "HaltCancel",
  "Trade",
  "PostOnlyCrossCancel",
  "ReduceOnlyCancel",
]);
const KNOWN = new Set([
  "orderbook_delta",
  "ticker",
  "trade",
  "fill",
  "market_positions",
  "user_orders",
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "order_group_updates",
]);

export interface WsData {
  userId: string;
}

interface Sub {
  sid: number;
  channel: string;
  /** null = every market. */
  tickers: Set<string> | null;
  seq: number;
  useYesPrice: boolean;
  /** skip_ticker_ack: `ok` replies to update_subscription leave out the market list. */
  skipAck: boolean;
}

interface Conn {
  ws: ServerWebSocket<WsData>;
  userId: string;
  subs: Map<number, Sub>;
  nextSid: number;
  closed: boolean;
}

const ERR: Record<number, string> = {
  1: "Unable to process message",
  2: "Params required",
  3: "Channels required",
  4: "Subscription IDs required",
  5: "Unknown command",
  7: "Unknown subscription ID",
  8: "Unknown channel name",
  9: "Authentication required",
  11: "Invalid parameter",
  12: "Exactly one subscription ID is required",
  13: "Unsupported action",
  14: "Market Ticker required",
  15: "Action required",
};

export class WsHub {
  private conns = new Set<Conn>();
  private byWs = new WeakMap<ServerWebSocket<WsData>, Conn>();
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: () => void;
  /** Last ticker message per market, so unchanged tops are not re-sent. */
  private lastTicker = new Map<string, string>();
  /** Frames handed to connections so far, over all of them (SimServer.traffic). */
  framesSent = 0;

  constructor(
    private readonly ex: Exchange,
    private readonly faults: FaultInjector | null,
    pingEveryMs = PING_EVERY_MS,
  ) {
    this.unsubscribe = ex.on((e) => this.onEvent(e));
    this.pingTimer = setInterval(() => {
      for (const c of this.conns) if (!c.closed) c.ws.ping("heartbeat");
    }, pingEveryMs);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  stop(): void {
    this.unsubscribe();
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const c of this.conns) {
      c.closed = true;
      c.ws.close(1001, "server stopping");
    }
    this.conns.clear();
  }

  open(ws: ServerWebSocket<WsData>): void {
    const c: Conn = { ws, userId: ws.data.userId, subs: new Map(), nextSid: 1, closed: false };
    this.conns.add(c);
    this.byWs.set(ws, c);
  }

  close(ws: ServerWebSocket<WsData>): void {
    const c = this.byWs.get(ws);
    if (!c) return;
    c.closed = true;
    this.conns.delete(c);
  }

  message(ws: ServerWebSocket<WsData>, raw: string | Buffer): void {
    const c = this.byWs.get(ws);
    if (!c) return;
    let json: unknown;
    try {
      json = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"));
    } catch {
      return this.error(c, 0, 1);
    }
    const id = typeof (json as { id?: unknown })?.id === "number" ? (json as { id: number }).id : 0;
    const cmd = (json as { cmd?: unknown })?.cmd;
    if (typeof cmd !== "string") return this.error(c, id, 5);
    if (!["subscribe", "unsubscribe", "update_subscription", "list_subscriptions"].includes(cmd)) return this.error(c, id, 5);
    const params = (json as { params?: unknown }).params;
    if (cmd !== "list_subscriptions" && (typeof params !== "object" || params === null)) return this.error(c, id, 2);
    if (cmd === "subscribe" && !Array.isArray((params as { channels?: unknown }).channels)) return this.error(c, id, 3);
    if (cmd === "unsubscribe" && !Array.isArray((params as { sids?: unknown }).sids)) return this.error(c, id, 4);
    if (cmd === "update_subscription") {
      const action = (params as { action?: unknown }).action;
      if (!action) return this.error(c, id, 15);
      // An action outside Kalshi's list is "Unsupported action" (13), not a malformed parameter.
      if (typeof action !== "string" || !UPDATE_ACTIONS.has(action)) return this.error(c, id, 13);
      const { sid, sids } = params as { sid?: unknown; sids?: unknown };
      if (sid === undefined && (!Array.isArray(sids) || sids.length !== 1)) return this.error(c, id, 12);
    }
    const parsed = WsCommand.safeParse({ params: {}, ...(json as object), id });
    if (!parsed.success) return this.error(c, id, 11);
    const p = parsed.data;
    switch (p.cmd) {
      case "subscribe":
        return this.subscribe(c, id, p.params);
      case "unsubscribe":
        for (const sid of p.params.sids) {
          const s = c.subs.get(sid);
          if (!s) {
            this.error(c, id, 7, sid);
            continue;
          }
          c.subs.delete(sid);
          // The AsyncAPI marks seq required on `unsubscribed`, for every channel.
          this.send(c, { id, sid, seq: ++s.seq, type: "unsubscribed" });
        }
        return;
      case "update_subscription":
        return this.update(c, id, p.params);
      case "list_subscriptions":
        return this.send(c, { id, msg: [...c.subs.values()].map((s) => ({ channel: s.channel, sid: s.sid })), type: "ok" });
    }
  }

  /** Markets named by tickers, and by market ids on the ticker channel only (AsyncAPI: "ticker only"). */
  private tickersOf(
    p: { market_ticker?: string; market_tickers?: string[]; market_id?: string; market_ids?: string[] },
    channel: string,
  ): string[] | null {
    const out = [...(p.market_tickers ?? []), ...(p.market_ticker ? [p.market_ticker] : [])];
    const ids = channel === "ticker" ? [...(p.market_ids ?? []), ...(p.market_id ? [p.market_id] : [])] : [];
    if (ids.length > 0) for (const m of this.ex.markets.values()) if (ids.includes(m.marketId)) out.push(m.ticker);
    return out.length > 0 ? out : null;
  }

  private subscribe(
    c: Conn,
    id: number,
    p: {
      channels: string[];
      use_yes_price?: boolean;
      send_initial_snapshot?: boolean;
      skip_ticker_ack?: boolean;
      market_ticker?: string;
      market_tickers?: string[];
      market_id?: string;
      market_ids?: string[];
    },
  ): void {
    for (const ch of p.channels) {
      const tickers = this.tickersOf(p, ch);
      if (!KNOWN.has(ch)) {
        this.error(c, id, 8);
        continue;
      }
      if (ch === "orderbook_delta" && !tickers) {
        this.error(c, id, 14);
        continue;
      }
      if (PRIVATE.has(ch) && !c.userId) {
        this.error(c, id, 9);
        continue;
      }
      const scoped =
        ch === "market_lifecycle_v2" || ch === "order_group_updates" || ch === "multivariate_market_lifecycle" ? null : tickers;
      const sub: Sub = {
        sid: c.nextSid++,
        channel: ch,
        tickers: scoped ? new Set(scoped) : null,
        seq: 0,
        useYesPrice: Boolean(p.use_yes_price),
        skipAck: Boolean(p.skip_ticker_ack),
      };
      c.subs.set(sub.sid, sub);
      this.send(c, { id, msg: { channel: ch, sid: sub.sid }, type: "subscribed" });
      if (ch === "orderbook_delta") for (const t of scoped ?? []) this.snapshot(c, sub, t);
      if (ch === "ticker" && p.send_initial_snapshot) for (const t of scoped ?? []) this.sendTicker(c, sub, t);
    }
  }

  private update(
    c: Conn,
    id: number,
    p: {
      sid?: number;
      sids?: number[];
      action: string;
      send_initial_snapshot?: boolean;
      market_ticker?: string;
      market_tickers?: string[];
      market_id?: string;
      market_ids?: string[];
    },
  ): void {
    // "Either sid or sids must be provided, not both", and sids holds exactly one.
    if ((p.sid === undefined) === (p.sids === undefined) || (p.sids && p.sids.length !== 1)) return this.error(c, id, 12);
    const sid = p.sid ?? p.sids![0]!;
    const s = c.subs.get(sid);
    if (!s) return this.error(c, id, 7, sid);
    const tickers = this.tickersOf(p, s.channel);
    if (!tickers) return this.error(c, id, 14, sid);
    if (p.action === "get_snapshot") {
      if (s.channel !== "orderbook_delta") return this.error(c, id, 13, sid);
      for (const t of tickers) this.snapshot(c, s, t, id);
      return;
    }
    if (!s.tickers) return this.error(c, id, 13, sid);
    if (p.action === "add_markets") {
      for (const t of tickers) {
        if (s.tickers.has(t)) continue;
        s.tickers.add(t);
        if (s.channel === "orderbook_delta") this.snapshot(c, s, t);
        if (s.channel === "ticker" && p.send_initial_snapshot) this.sendTicker(c, s, t);
      }
    } else if (p.action === "delete_markets") {
      for (const t of tickers) s.tickers.delete(t);
    } else return this.error(c, id, 13, sid);
    this.send(c, {
      id,
      msg: s.skipAck ? undefined : { market_tickers: [...s.tickers] },
      seq: SEQUENCED.has(s.channel) ? ++s.seq : undefined,
      sid,
      type: "ok",
    });
  }

  private error(c: Conn, id: number, code: number, sid?: number): void {
    this.send(c, { id, msg: { code, msg: ERR[code] ?? "Error" }, sid, type: "error" });
  }

  private snapshot(c: Conn, s: Sub, ticker: string, id?: number): void {
    const m = this.ex.markets.get(ticker);
    const msg: Record<string, unknown> = { market_id: m?.marketId ?? "", market_ticker: ticker };
    if (m) {
      const b = this.ex.book(ticker);
      const yes = b.depth("bid").sort((a, z) => a[0] - z[0]);
      const no = this.noLevels(b.depth("ask"), s.useYesPrice);
      if (yes.length > 0) msg.yes_dollars_fp = yes.map(([p, n]) => [formatPrice(p), formatCount(n)]);
      if (no.length > 0) msg.no_dollars_fp = no.map(([p, n]) => [formatPrice(p), formatCount(n)]);
    }
    this.sendSeq(c, s, { id, msg, type: "orderbook_snapshot" });
  }

  /** Asks as NO bids: NO-leg prices ascending, or YES prices (use_yes_price) with the best last. */
  private noLevels(asks: [Price, Count][], useYes: boolean): [Price, Count][] {
    if (useYes) return [...asks].sort((a, z) => z[0] - a[0]);
    return asks.map(([p, n]): [Price, Count] => [PRICE_ONE - p, n]).sort((a, z) => a[0] - z[0]);
  }

  private tickerMsg(ticker: string, tsMs: number): Record<string, unknown> | null {
    const m = this.ex.markets.get(ticker);
    if (!m) return null;
    const t = this.ex.top(ticker);
    const last =
      this.ex.trades.length > 0 && this.ex.trades[this.ex.trades.length - 1]!.ticker === ticker
        ? this.ex.trades[this.ex.trades.length - 1]!.count
        : 0;
    return {
      dollar_open_interest: Math.floor(m.openInterest / COUNT_ONE),
      dollar_volume: Math.floor(m.volume / COUNT_ONE),
      last_trade_size_fp: formatCount(last),
      market_id: m.marketId,
      market_ticker: ticker,
      open_interest_fp: formatCount(m.openInterest),
      price_dollars: formatPrice(m.lastPrice),
      time: new Date(tsMs).toISOString(),
      ts: Math.floor(tsMs / 1000),
      ts_ms: tsMs,
      volume_fp: formatCount(m.volume),
      yes_ask_dollars: formatPrice(t.ask),
      yes_ask_size_fp: formatCount(t.askSize),
      yes_bid_dollars: formatPrice(t.bid),
      yes_bid_size_fp: formatCount(t.bidSize),
    };
  }

  private sendTicker(c: Conn, s: Sub, ticker: string): void {
    const msg = this.tickerMsg(ticker, this.ex.now());
    if (msg) this.send(c, { msg, sid: s.sid, type: "ticker" });
  }

  // ---- fan-out ----------------------------------------------------------------------------

  private onEvent(e: ExchangeEvent): void {
    if (this.conns.size === 0) return;
    switch (e.type) {
      case "book":
        return this.each("orderbook_delta", e.ticker, null, (c, s) => {
          const m = this.ex.markets.get(e.ticker);
          const isAsk = e.side === "ask";
          const msg: Record<string, unknown> = {
            delta_fp: formatCount(e.delta),
            market_id: m?.marketId ?? "",
            market_ticker: e.ticker,
            price_dollars: formatPrice(isAsk && !s.useYesPrice ? PRICE_ONE - e.price : e.price),
            side: isAsk ? "no" : "yes",
            ts: isoMicro(e.tsMs),
            ts_ms: e.tsMs,
          };
          // "Present only when you caused this orderbook change": "the client_order_id of your order
          // that triggered this delta" (AsyncAPI). A trade's delta goes to the maker tagged with the
          // maker's order, whose size it changed, and to the taker with the taker's, which triggered it.
          const own = e.userId && e.userId === c.userId ? e : e.taker && e.taker.userId === c.userId ? e.taker : null;
          if (own) {
            if (own.clientOrderId) msg.client_order_id = own.clientOrderId;
            // "Present only when you caused this orderbook change and are using subaccounts" (AsyncAPI).
            if (own.subaccount) msg.subaccount = own.subaccount;
          }
          this.sendSeq(c, s, { msg, type: "orderbook_delta" });
        });
      case "trade": {
        const t = e.trade;
        const msg = {
          count_fp: formatCount(t.count),
          is_block_trade: false,
          market_ticker: t.ticker,
          no_price_dollars: formatPrice(PRICE_ONE - t.price),
          taker_book_side: t.takerSide,
          taker_outcome_side: t.takerSide === "bid" ? "yes" : "no",
          taker_side: t.takerSide === "bid" ? "yes" : "no",
          trade_id: t.tradeId,
          ts: Math.floor(t.tsMs / 1000),
          ts_ms: t.tsMs,
          yes_price_dollars: formatPrice(t.price),
        };
        this.each("trade", t.ticker, null, (c, s) => this.sendSeq(c, s, { msg, type: "trade" }));
        return this.tickerChanged(t.ticker, t.tsMs);
      }
      case "ticker":
        return this.tickerChanged(e.ticker, e.tsMs);
      case "fill":
        return this.each("fill", e.fill.ticker, e.fill.userId, (c, s) => this.send(c, { msg: fillMsg(e.fill), sid: s.sid, type: "fill" }));
      case "order":
        return this.each("user_orders", e.order.ticker, e.order.userId, (c, s) =>
          this.send(c, { msg: userOrderMsg(e.order), sid: s.sid, type: "user_order" }),
        );
      case "position": {
        const p = this.ex.accounts.get(e.userId)?.positions.get(e.ticker);
        if (!p) return;
        const msg = {
          fees_paid_dollars: formatMicros(p.feesPaid),
          market_ticker: e.ticker,
          position_cost_dollars: formatMicros(p.cost),
          position_fee_cost_dollars: formatMicros(p.feesPaid),
          position_fp: formatCount(p.position),
          realized_pnl_dollars: formatMicros(p.realizedPnl),
          subaccount: 0,
          user_id: e.userId,
          volume_fp: formatCount(p.volume),
        };
        return this.each("market_positions", e.ticker, e.userId, (c, s) => this.send(c, { msg, sid: s.sid, type: "market_position" }));
      }
      case "lifecycle": {
        const msg = this.lifecycleMsg(e.ticker, e.event, e.tsMs);
        if (msg) this.each("market_lifecycle_v2", null, null, (c, s) => this.sendSeq(c, s, { msg, type: "market_lifecycle_v2" }));
        return;
      }
      case "event_lifecycle": {
        const ev = this.ex.events.get(e.eventTicker);
        if (!ev) return;
        const msg: Record<string, unknown> = {
          collateral_return_type: ev.mutuallyExclusive ? "MECNET" : "",
          event_ticker: ev.eventTicker,
          exchange_index: 0,
          series_ticker: ev.seriesTicker,
          subtitle: ev.subTitle,
          title: ev.title,
        };
        if (ev.strikeDateMs !== null) msg.strike_date = Math.floor(ev.strikeDateMs / 1000);
        return this.each("market_lifecycle_v2", null, null, (c, s) => this.sendSeq(c, s, { msg, type: "event_lifecycle" }));
      }
      case "event_fee_update": {
        const ev = this.ex.events.get(e.eventTicker);
        if (!ev) return;
        const msg = {
          event_ticker: ev.eventTicker,
          fee_multiplier_override: ev.feeMultE4Override === null ? null : ev.feeMultE4Override / 10_000,
          fee_type_override: ev.feeTypeOverride,
        };
        return this.each("market_lifecycle_v2", null, null, (c, s) => this.sendSeq(c, s, { msg, type: "event_fee_update" }));
      }
      case "order_group": {
        // contracts_limit_fp rides only on created and limit_updated (AsyncAPI orderGroupUpdatesPayload).
        const msg: Record<string, unknown> = { event_type: e.event, order_group_id: e.groupId, ts_ms: e.tsMs };
        if (e.event === "created" || e.event === "limit_updated") msg.contracts_limit_fp = formatCount(e.limit);
        return this.each("order_group_updates", null, e.userId, (c, s) => this.sendSeq(c, s, { msg, type: "order_group_updates" }));
      }
    }
  }

  private lifecycleMsg(ticker: string, event: string, tsMs: number): Record<string, unknown> | null {
    const m = this.ex.markets.get(ticker);
    if (!m) return null;
    const msg: Record<string, unknown> = { event_type: event, market_ticker: ticker };
    const s = (ms: number) => Math.floor(ms / 1000);
    if (event === "created") {
      Object.assign(msg, {
        additional_metadata: {
          can_close_early: m.canCloseEarly,
          event_ticker: m.eventTicker,
          expected_expiration_ts: s(m.expectedExpirationMs),
          name: m.ticker,
          no_sub_title: m.noSubTitle,
          rules_primary: m.rulesPrimary,
          rules_secondary: m.rulesSecondary,
          title: m.title,
          yes_sub_title: m.yesSubTitle,
          ...(m.strikeType ? { strike_type: m.strikeType } : {}),
          ...(m.floorStrike !== null ? { floor_strike: m.floorStrike } : {}),
          ...(m.capStrike !== null ? { cap_strike: m.capStrike } : {}),
        },
        close_ts: s(m.closeMs),
        exchange_index: m.exchangeIndex,
        open_ts: s(m.openMs),
        price_level_structure: m.priceLevelStructure,
        price_ranges: m.priceRanges.map((r) => ({ end: formatPrice(r.end), start: formatPrice(r.start), step: formatPrice(r.step) })),
      });
    } else if (event === "determined") {
      Object.assign(msg, {
        determination_ts: s(tsMs),
        result: m.result,
        settlement_value: formatPrice(m.result === "yes" ? PRICE_ONE : 0),
      });
    } else if (event === "settled") {
      msg.settled_ts = s(tsMs);
    } else if (event === "deactivated" || event === "activated") {
      msg.is_deactivated = event === "deactivated";
    } else if (event === "close_date_updated") {
      msg.close_ts = s(m.closeMs);
    }
    return msg;
  }

  private tickerChanged(ticker: string, tsMs: number): void {
    const msg = this.tickerMsg(ticker, tsMs);
    if (!msg) return;
    const key = `${msg.price_dollars}|${msg.yes_bid_dollars}|${msg.yes_bid_size_fp}|${msg.yes_ask_dollars}|${msg.yes_ask_size_fp}|${msg.volume_fp}`;
    if (this.lastTicker.get(ticker) === key) return;
    this.lastTicker.set(ticker, key);
    this.each("ticker", ticker, null, (c, s) => this.send(c, { msg, sid: s.sid, type: "ticker" }));
  }

  private each(channel: string, ticker: string | null, userId: string | null, fn: (c: Conn, s: Sub) => void): void {
    for (const c of this.conns) {
      if (c.closed) continue;
      if (userId !== null && c.userId !== userId) continue;
      for (const s of c.subs.values()) {
        if (s.channel !== channel) continue;
        if (ticker !== null && s.tickers && !s.tickers.has(ticker)) continue;
        fn(c, s);
      }
    }
  }

  private sendSeq(c: Conn, s: Sub, frame: { id?: number; msg: unknown; type: string }): void {
    s.seq++;
    if (this.faults?.wsSkipSeq()) s.seq++;
    this.send(c, { ...(frame.id !== undefined ? { id: frame.id } : {}), msg: frame.msg, seq: s.seq, sid: s.sid, type: frame.type });
  }

  private send(c: Conn, frame: Record<string, unknown>): void {
    if (c.closed) return;
    const clean: Record<string, unknown> = {};
    // Command id 0 means "no id" (AsyncAPI commandId): replies then carry none.
    for (const [k, v] of Object.entries(frame)) if (v !== undefined && !(k === "id" && v === 0)) clean[k] = v;
    // 0: dropped (the connection is going away), never reaches the client.
    if (c.ws.send(JSON.stringify(clean)) !== 0) this.framesSent++;
    if (this.faults?.wsDisconnect()) {
      c.closed = true;
      this.conns.delete(c);
      c.ws.terminate();
    }
  }
}

function fillMsg(f: Fill): Record<string, unknown> {
  const out: Record<string, unknown> = {
    action: "buy",
    book_side: f.side,
    count_fp: formatCount(f.count),
    exchange_index: 0,
    fee_cost: formatMicros(f.fee),
    is_taker: f.isTaker,
    market_ticker: f.ticker,
    order_id: f.orderId,
    outcome_side: f.side === "bid" ? "yes" : "no",
    post_position_fp: formatCount(f.postPosition),
    purchased_side: f.side === "bid" ? "yes" : "no",
    side: f.side === "bid" ? "yes" : "no",
    subaccount: f.subaccount,
    trade_id: f.tradeId,
    ts: Math.floor(f.tsMs / 1000),
    ts_ms: f.tsMs,
    yes_price_dollars: formatPrice(f.price),
  };
  if (f.clientOrderId) out.client_order_id = f.clientOrderId;
  return out;
}

function userOrderMsg(o: Order): Record<string, unknown> {
  const out: Record<string, unknown> = {
    book_side: o.side,
    client_order_id: o.clientOrderId,
    created_time: isoMicro(o.createdMs),
    created_ts_ms: o.createdMs,
    exchange_index: 0,
    fill_count_fp: formatCount(o.filled),
    initial_count_fp: formatCount(o.initial),
    is_yes: o.side === "bid",
    last_update_time: isoMicro(o.updatedMs),
    last_updated_ts_ms: o.updatedMs,
    maker_fees_dollars: formatMicros(o.makerFees),
    maker_fill_cost_dollars: formatMicros(o.makerFillCost),
    order_id: o.id,
    outcome_side: o.side === "bid" ? "yes" : "no",
    remaining_count_fp: formatCount(o.remaining),
    self_trade_prevention_type: o.stp,
    side: o.side === "bid" ? "yes" : "no",
    status: o.status,
    subaccount_number: o.subaccount,
    taker_fees_dollars: formatMicros(o.takerFees),
    taker_fill_cost_dollars: formatMicros(o.takerFillCost),
    ticker: o.ticker,
    user_id: o.userId,
    yes_price_dollars: formatPrice(o.price),
  };
  if (o.lastUpdateReason && UPDATE_REASONS.has(o.lastUpdateReason)) out.last_update_reason = o.lastUpdateReason;
  if (o.orderGroupId) out.order_group_id = o.orderGroupId;
  if (o.expirationMs !== null) {
    out.expiration_time = isoMicro(o.expirationMs);
    out.expiration_ts_ms = o.expirationMs;
  }
  return out;
}
