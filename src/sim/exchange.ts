// The in-memory exchange: markets, books, orders, accounts, fees, settlement, and the event
// stream the WebSocket layer fans out. No HTTP here; the REST and WS layers only translate.
import { makerFee, PRICE_ONE, takerFee, type Count, type Micros, type Price } from "../kalshi/money.ts";
import { type Account, applyFill, closableQty, legPrice, releaseAll, releaseFor, reserveFor, settlePosition } from "./accounts.ts";
import { Book } from "./book.ts";
import { CandleStore } from "./candles.ts";
import type { SimClock } from "./clock.ts";
import * as E from "./errors.ts";
import { crosses, fillableQty, matchIncoming } from "./matching.ts";
import { isOnGrid } from "../kalshi/price-grid.ts";
import { Rng } from "./rng.ts";
import { Scheduler } from "./scheduler.ts";
import type {
  BookSide,
  Fill,
  Market,
  MarketResult,
  Order,
  OrderGroup,
  Series,
  Settlement,
  SimEvent,
  StpType,
  TimeInForce,
  Trade,
  UpdateReason,
} from "./types.ts";

export interface NewOrder {
  ticker: string;
  side: BookSide;
  price: Price;
  count: Count;
  tif: TimeInForce;
  stp: StpType;
  clientOrderId?: string;
  /** Unix seconds, as on the wire. */
  expirationTs?: number | null;
  postOnly?: boolean;
  reduceOnly?: boolean;
  orderGroupId?: string | null;
  cancelOnPause?: boolean;
  subaccount?: number;
  legacy?: boolean;
}

export type LifecycleType = "created" | "activated" | "deactivated" | "close_date_updated" | "determined" | "settled";

export type ExchangeEvent =
  | {
      type: "book";
      ticker: string;
      side: BookSide;
      price: Price;
      delta: Count;
      userId?: string;
      clientOrderId?: string;
      subaccount?: number;
      /** A trade's delta: the taker's order triggered it (the maker's order is the one it changed). */
      taker?: { userId: string; clientOrderId: string; subaccount: number };
      tsMs: number;
    }
  | { type: "trade"; trade: Trade }
  | { type: "fill"; fill: Fill }
  | { type: "order"; order: Order }
  | { type: "position"; userId: string; ticker: string; tsMs: number }
  | { type: "ticker"; ticker: string; tsMs: number }
  | { type: "lifecycle"; ticker: string; event: LifecycleType; tsMs: number }
  | { type: "event_lifecycle"; eventTicker: string; tsMs: number }
  | { type: "event_fee_update"; eventTicker: string; tsMs: number }
  | {
      type: "order_group";
      userId: string;
      groupId: string;
      event: "created" | "triggered" | "reset" | "deleted" | "limit_updated";
      limit: Count;
      tsMs: number;
    };

export type Listener = (e: ExchangeEvent) => void;

/** How long a closed market waits for its result, sim time. */
export const DETERMINATION_DELAY_MS = 30_000;
/** Public tape kept in memory; older trades fall off. */
const TAPE_MAX = 200_000;
const ORDER_GROUP_WINDOW_MS = 15_000;

export interface PlaceResult {
  order: Order;
  /** The taker's own fills from this placement. */
  fills: Fill[];
}

export class Exchange {
  readonly series = new Map<string, Series>();
  readonly events = new Map<string, SimEvent>();
  readonly markets = new Map<string, Market>();
  readonly books = new Map<string, Book>();
  readonly orders = new Map<string, Order>();
  readonly accounts = new Map<string, Account>();
  readonly accountsByKey = new Map<string, Account>();
  readonly orderGroups = new Map<string, OrderGroup>();
  /** Public tape, oldest first. */
  readonly trades: Trade[] = [];
  /** Minute quotes and trades per market, for the candlestick endpoints. */
  readonly candles = new CandleStore();
  /** Sim time the exchange opened: nothing here is older, so it is the earliest historical cutoff. */
  readonly startedMs: number;
  /**
   * Sim ms after which settled markets and trades move to `/historical/*` (Kalshi archives them);
   * null: never, the cutoff stays at the start and the historical lists are empty.
   */
  historyAfterMs: number | null = null;
  readonly scheduler = new Scheduler();
  exchangeActive = true;
  tradingActive = true;
  /** Per event: how a closed market's result is drawn (the scenario's price process). */
  readonly resolvers = new Map<string, (m: Market) => MarketResult>();
  resolveResult(m: Market): MarketResult {
    return m.forcedResult || this.resolvers.get(m.eventTicker)?.(m) || (m.lastPrice >= PRICE_ONE / 2 ? "yes" : "no");
  }

  private readonly ids: Rng;
  private readonly listeners = new Set<Listener>();
  private orderSeq = 0;
  /** While a scheduled item runs, time is its due time, so replays do not depend on tick cadence. */
  private pinnedNow: number | null = null;
  private lastAdvance = 0;
  private pendingGroupTriggers = new Set<string>();
  /** Scheduled work that threw (a bug): counted and reported, the clock keeps running. */
  errors = 0;
  onError: (e: unknown) => void = () => {};
  /** Executions so far, for the bench. */
  matchedCount = 0;

  constructor(
    readonly clock: SimClock,
    seed: number | string = 1,
  ) {
    this.ids = new Rng(`${seed}:ids`);
    this.startedMs = clock.now();
  }

  now(): number {
    return this.pinnedNow ?? this.clock.now();
  }

  /** GET /historical/cutoff: markets settled and trades made before it are served as historical. */
  historicalCutoffMs(): number {
    // Whole seconds, as the wire reports it, so a record's side never differs from what the answer says.
    return this.historyAfterMs === null
      ? this.startedMs
      : Math.floor(Math.max(this.startedMs, this.now() - this.historyAfterMs) / 1000) * 1000;
  }

  isArchived(m: Market): boolean {
    return m.settledMs !== null && m.settledMs < this.historicalCutoffMs();
  }

  uuid(): string {
    return this.ids.uuid();
  }

  /**
   * Kalshi sends a trade's print (trade channel) and its maker's book delta (orderbook_delta) on
   * separate channels and promises no order between them. Default: each print right after its
   * delta. True: the prints of one incoming order after all of its book moves, for tests of clients
   * that must not depend on either order.
   */
  printsAfterBookMoves = false;
  /** While an incoming order matches with printsAfterBookMoves: its prints, sent once it is done. */
  private heldPrints: Trade[] | null = null;

  /**
   * An incoming order (a create or an amend that crosses) matched against the book, with Kalshi's
   * self-trade prevention; its prints sent after its book moves when printsAfterBookMoves. STP
   * `maker`: "cancels the resting maker order and continues matching; after execution, any remaining
   * taker quantity is canceled" (Kalshi's SelfTradePreventionType). True: matching stopped for
   * self-trade prevention, so the rest of the order must not rest.
   */
  private matchWithStp(m: Market, book: Book, o: Order, fills: Fill[]): boolean {
    this.heldPrints = this.printsAfterBookMoves ? [] : null;
    let makerStp = false;
    try {
      const stopped = matchIncoming(book, o, {
        trade: (maker, taker, p, q) => fills.push(this.execute(m, book, maker, taker, p, q)),
        cancelMaker: (maker) => {
          makerStp = true;
          this.cancelResting(maker, "SelfTradeCancel");
        },
      });
      return stopped || makerStp;
    } finally {
      const held = this.heldPrints ?? [];
      this.heldPrints = null;
      for (const trade of held) this.emit({ type: "trade", trade });
    }
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: ExchangeEvent): void {
    if (e.type === "book") this.quoteDirty.add(e.ticker);
    else if (e.type === "trade") {
      const t = this.top(e.trade.ticker);
      this.candles.trade(
        e.trade.ticker,
        e.trade.tsMs,
        e.trade.price,
        e.trade.count,
        t.bid,
        t.ask,
        this.markets.get(e.trade.ticker)?.openInterest ?? 0,
      );
    }
    for (const l of this.listeners) l(e);
  }

  /** Markets whose top of book may have moved since the last flush. */
  private readonly quoteDirty = new Set<string>();

  /**
   * Record the top of book of the markets touched by the operation that just ended (one request,
   * one scheduled step). Recording per book event instead would put the half-built states of a
   * single operation (a book loading level by level, a sweep through levels) into the candles.
   */
  flushQuotes(): void {
    if (this.quoteDirty.size === 0) return;
    const now = this.now();
    for (const ticker of this.quoteDirty) {
      const m = this.markets.get(ticker);
      if (!m) continue;
      const t = this.top(ticker);
      this.candles.quote(ticker, now, t.bid, t.ask, m.openInterest);
    }
    this.quoteDirty.clear();
  }

  /** Run everything due up to the clock's now. */
  tick(): number {
    return this.advanceTo(this.clock.now());
  }

  advanceTo(t: number): number {
    // Items due before the previous advance (scheduled into the past) run at that time, so sim
    // time never goes backwards across ticks.
    const floor = this.lastAdvance;
    const n = this.scheduler.runUntil(
      t,
      (at) => {
        // The previous step ended: its quotes are recorded at its own time.
        this.flushQuotes();
        this.pinnedNow = Math.max(at, floor);
      },
      (e) => {
        this.errors++;
        this.onError(e);
      },
    );
    this.flushQuotes();
    this.pinnedNow = null;
    this.lastAdvance = Math.max(this.lastAdvance, t);
    return n;
  }

  /** Schedule work at sim time `at` (runs with now() = at). */
  at(at: number, run: (at: number) => void) {
    return this.scheduler.at(at, run);
  }

  // ---- accounts ----------------------------------------------------------------------------

  addAccount(a: Account): Account {
    if (this.accounts.has(a.userId)) throw new Error(`duplicate account ${a.userId}`);
    if (a.apiKeyId && this.accountsByKey.has(a.apiKeyId)) throw new Error(`duplicate api key id ${a.apiKeyId}`);
    this.accounts.set(a.userId, a);
    if (a.apiKeyId) this.accountsByKey.set(a.apiKeyId, a);
    return a;
  }

  account(userId: string): Account {
    const a = this.accounts.get(userId);
    if (!a) throw E.nested(401, "authentication_error", { details: "NOT_FOUND", service: false });
    return a;
  }

  // ---- reference data ---------------------------------------------------------------------

  addSeries(s: Series): void {
    this.series.set(s.ticker, s);
  }

  addEvent(ev: SimEvent): void {
    this.events.set(ev.eventTicker, ev);
    this.emit({ type: "event_lifecycle", eventTicker: ev.eventTicker, tsMs: this.now() });
  }

  addMarket(m: Market): void {
    if (this.markets.has(m.ticker)) throw new Error(`duplicate market ${m.ticker}`);
    this.markets.set(m.ticker, m);
    this.books.set(m.ticker, new Book());
    const ev = this.events.get(m.eventTicker);
    if (ev && !ev.marketTickers.includes(m.ticker)) ev.marketTickers.push(m.ticker);
    this.emit({ type: "lifecycle", ticker: m.ticker, event: "created", tsMs: this.now() });
    this.scheduleLifecycle(m);
  }

  book(ticker: string): Book {
    const b = this.books.get(ticker);
    if (!b) throw E.marketNotFound();
    return b;
  }

  feeParams(m: Market): { feeType: Series["feeType"]; mult: number } {
    const s = this.series.get(m.seriesTicker);
    const e = this.events.get(m.eventTicker);
    // An event's overrides win over its series' fee schedule, as on Kalshi; a market's waiver, while it runs, over both.
    const waived = m.feeWaiverUntilMs !== null && this.now() < m.feeWaiverUntilMs;
    return {
      feeType: e?.feeTypeOverride ?? s?.feeType ?? "quadratic",
      mult: waived ? 0 : (e?.feeMultE4Override ?? s?.feeMultE4 ?? 10_000),
    };
  }

  // ---- orders ------------------------------------------------------------------------------

  placeOrder(userId: string, req: NewOrder): PlaceResult {
    const acct = this.account(userId);
    const now = this.now();
    if (req.clientOrderId && acct.clientOrderIds.has(req.clientOrderId)) throw E.orderExists();
    const m = this.markets.get(req.ticker);
    if (!m) throw E.marketNotFound();
    if (!this.exchangeActive || !this.tradingActive) throw E.nested(503, "exchange_unavailable");
    if (m.status === "inactive") throw E.tradingPaused();
    if (m.status !== "active") throw E.marketClosed();
    if (!Number.isSafeInteger(req.count) || req.count <= 0) throw E.invalidOrder("count must be at least 0.01");
    if (!isOnGrid(req.price, m.priceRanges)) throw E.invalidPrice();
    if (req.tif !== "good_till_canceled" && req.expirationTs != null)
      throw E.invalidOrder("expiration_time is only valid with good_till_canceled");
    if (req.expirationTs != null && req.expirationTs * 1000 <= now) throw E.invalidOrder("expiration_time is in the past");
    let group: OrderGroup | undefined;
    if (req.orderGroupId) {
      group = this.orderGroups.get(req.orderGroupId);
      if (!group || group.userId !== userId) throw E.nested(404, "order_group_not_found");
      if (group.triggered) throw E.invalidOrder("order group triggered");
    }
    const book = this.book(m.ticker);
    const willCross = crosses(book, req.side, req.price);
    if (req.postOnly && willCross) throw E.postOnlyCross();

    let count = req.count;
    let reduceCapped = false;
    if (req.reduceOnly) {
      const cap = closableQty(acct, m.ticker, req.side, count);
      if (cap < count) {
        count = cap;
        reduceCapped = true;
      }
    }
    const closing = closableQty(acct, m.ticker, req.side, count);
    const { mult } = this.feeParams(m);
    const need = legPrice(req.side, req.price) * (count - closing) + (willCross ? takerFee(req.price, count, mult) : 0);
    if (need > acct.available()) throw E.insufficientBalance();

    const o: Order = {
      id: this.uuid(),
      userId,
      clientOrderId: req.clientOrderId ?? "",
      ticker: m.ticker,
      side: req.side,
      price: req.price,
      initial: count,
      remaining: count,
      filled: 0,
      status: "resting",
      tif: req.tif,
      postOnly: Boolean(req.postOnly),
      reduceOnly: Boolean(req.reduceOnly),
      stp: req.stp,
      expirationMs: req.expirationTs != null ? req.expirationTs * 1000 : null,
      createdMs: now,
      updatedMs: now,
      takerFillCost: 0,
      makerFillCost: 0,
      takerFees: 0,
      makerFees: 0,
      orderGroupId: group?.id ?? null,
      cancelOnPause: Boolean(req.cancelOnPause),
      subaccount: req.subaccount ?? 0,
      lastUpdateReason: null,
      reserved: 0,
      closingQty: 0,
      legacy: Boolean(req.legacy),
      seq: this.orderSeq++,
    };
    if (o.clientOrderId) acct.clientOrderIds.add(o.clientOrderId);
    this.remember(acct, o);
    const fills: Fill[] = [];

    if (count === 0) {
      this.finish(o, "canceled", reduceCapped ? "ReduceOnlyCancel" : "Cancel");
      this.emit({ type: "order", order: o });
      return { order: o, fills };
    }
    if (req.tif === "fill_or_kill" && fillableQty(book, o) < o.remaining) {
      o.remaining = 0;
      this.finish(o, "canceled", "Cancel");
      this.emit({ type: "order", order: o });
      return { order: o, fills };
    }
    const stpStopped = this.matchWithStp(m, book, o, fills);
    if (o.remaining > 0) {
      if (stpStopped) {
        o.remaining = 0;
        this.finish(o, o.filled > 0 ? "executed" : "canceled", "SelfTradeCancel");
      } else if (req.tif !== "good_till_canceled") {
        o.remaining = 0;
        this.finish(o, o.filled > 0 ? "executed" : "canceled", "Cancel");
      } else {
        this.rest(acct, book, o);
      }
    } else {
      this.finish(o, "executed", "Trade");
    }
    if (fills.length > 0 || o.status === "resting") this.emit({ type: "ticker", ticker: m.ticker, tsMs: now });
    this.emit({ type: "order", order: o });
    this.flushGroupTriggers();
    return { order: o, fills };
  }

  private remember(acct: Account, o: Order): void {
    this.orders.set(o.id, o);
    if (!acct.internal) acct.orders.push(o);
  }

  private rest(acct: Account, book: Book, o: Order): void {
    reserveFor(acct, o);
    acct.addResting(o);
    book.add(o);
    this.emit({
      type: "book",
      ticker: o.ticker,
      side: o.side,
      price: o.price,
      delta: o.remaining,
      userId: o.userId,
      clientOrderId: o.clientOrderId,
      subaccount: o.subaccount,
      tsMs: this.now(),
    });
    if (o.expirationMs !== null) {
      const exp = o.expirationMs;
      this.at(exp, () => {
        if (o.status === "resting" && o.expirationMs === exp) this.cancelResting(o, "ExpiryCancel");
      });
    }
  }

  private finish(o: Order, status: "executed" | "canceled", reason: UpdateReason): void {
    o.status = status;
    o.lastUpdateReason = reason;
    o.updatedMs = this.now();
    const acct = this.accounts.get(o.userId);
    if (acct?.internal) this.orders.delete(o.id);
  }

  /** One execution: fees, cash, positions, records and messages for both sides. */
  private execute(m: Market, book: Book, maker: Order, taker: Order, price: Price, q: Count): Fill {
    const now = this.now();
    const { feeType, mult } = this.feeParams(m);
    const tFee = takerFee(price, q, mult);
    const mFee = makerFee(feeType, price, q, mult);
    const makerAcct = this.accounts.get(maker.userId)!;
    const takerAcct = this.accounts.get(taker.userId)!;

    maker.remaining -= q;
    maker.filled += q;
    maker.makerFillCost += legPrice(maker.side, price) * q;
    maker.makerFees += mFee;
    maker.updatedMs = now;
    maker.lastUpdateReason = "Trade";
    releaseFor(makerAcct, maker, q);
    if (maker.remaining === 0) {
      book.remove(maker, q);
      makerAcct.dropResting(maker);
      releaseAll(makerAcct, maker);
      this.finish(maker, "executed", "Trade");
    } else {
      book.shrink(maker, q);
    }
    taker.remaining -= q;
    taker.filled += q;
    taker.takerFillCost += legPrice(taker.side, price) * q;
    taker.takerFees += tFee;
    taker.updatedMs = now;

    const oiBefore =
      Math.max(0, makerAcct.positions.get(m.ticker)?.position ?? 0) + Math.max(0, takerAcct.positions.get(m.ticker)?.position ?? 0);
    const mPos = applyFill(makerAcct, m.ticker, maker.side, price, q, mFee, now);
    const tPos = applyFill(takerAcct, m.ticker, taker.side, price, q, tFee, now);
    const oiAfter = Math.max(0, mPos.position) + Math.max(0, tPos.position);
    m.openInterest += oiAfter - oiBefore;
    m.lastPrice = price;
    m.volume += q;
    m.volume24h += q;
    m.updatedMs = now;
    this.matchedCount++;

    const tradeId = this.uuid();
    const trade: Trade = { tradeId, ticker: m.ticker, price, count: q, takerSide: taker.side, tsMs: now };
    this.trades.push(trade);
    if (this.trades.length > TAPE_MAX) this.trades.splice(0, this.trades.length - TAPE_MAX);

    const makerFill = this.recordFill(makerAcct, maker, tradeId, price, q, false, mFee, mPos.position, now);
    const takerFill = this.recordFill(takerAcct, taker, tradeId, price, q, true, tFee, tPos.position, now);
    this.emit({
      type: "book",
      ticker: m.ticker,
      side: maker.side,
      price,
      delta: -q,
      userId: maker.userId,
      clientOrderId: maker.clientOrderId,
      subaccount: maker.subaccount,
      taker: { userId: taker.userId, clientOrderId: taker.clientOrderId, subaccount: taker.subaccount },
      tsMs: now,
    });
    if (this.heldPrints) this.heldPrints.push(trade);
    else this.emit({ type: "trade", trade });
    this.emit({ type: "fill", fill: makerFill });
    this.emit({ type: "fill", fill: takerFill });
    this.emit({ type: "order", order: maker });
    this.emit({ type: "position", userId: maker.userId, ticker: m.ticker, tsMs: now });
    this.emit({ type: "position", userId: taker.userId, ticker: m.ticker, tsMs: now });
    this.countForGroup(maker, q, now);
    this.countForGroup(taker, q, now);
    return takerFill;
  }

  private recordFill(
    acct: Account,
    o: Order,
    tradeId: string,
    price: Price,
    q: Count,
    isTaker: boolean,
    fee: Micros,
    post: Count,
    now: number,
  ): Fill {
    const f: Fill = {
      fillId: tradeId,
      tradeId,
      orderId: o.id,
      userId: o.userId,
      clientOrderId: o.clientOrderId,
      ticker: o.ticker,
      side: o.side,
      price,
      count: q,
      isTaker,
      fee,
      tsMs: now,
      postPosition: post,
      subaccount: o.subaccount,
    };
    if (!acct.internal) acct.fills.push(f);
    return f;
  }

  /** Take a resting order off the book. */
  cancelResting(o: Order, reason: UpdateReason): Count {
    if (o.status !== "resting") return 0;
    const acct = this.accounts.get(o.userId)!;
    const reducedBy = o.remaining;
    const book = this.books.get(o.ticker);
    book?.remove(o, reducedBy);
    acct.dropResting(o);
    releaseAll(acct, o);
    o.remaining = 0;
    this.finish(o, "canceled", reason);
    const now = this.now();
    this.emit({
      type: "book",
      ticker: o.ticker,
      side: o.side,
      price: o.price,
      delta: -reducedBy,
      userId: o.userId,
      clientOrderId: o.clientOrderId,
      subaccount: o.subaccount,
      tsMs: now,
    });
    this.emit({ type: "order", order: o });
    this.emit({ type: "ticker", ticker: o.ticker, tsMs: now });
    return reducedBy;
  }

  /** A user's own live order, or Kalshi's 404 (unknown, someone else's, or already dead). */
  liveOrder(userId: string, orderId: string): Order {
    const o = this.orders.get(orderId);
    if (!o || o.userId !== userId || o.status !== "resting") throw E.notFound();
    return o;
  }

  /** Set or clear (null) an event's fee overrides, as Kalshi announces with `event_fee_update`. */
  setEventFees(eventTicker: string, feeType: Series["feeType"] | null, multE4: number | null): void {
    const ev = this.events.get(eventTicker);
    if (!ev) throw E.notFound();
    ev.feeTypeOverride = feeType;
    ev.feeMultE4Override = multE4;
    ev.updatedMs = this.now();
    this.emit({ type: "event_fee_update", eventTicker, tsMs: this.now() });
  }

  /**
   * Kalshi routes order writes to the shard of the order's market by `market_ticker` (or
   * `exchange_index`); without either, only the default shard (0) is searched, so an order on
   * another shard is not found.
   */
  checkShard(userId: string, orderId: string, route: { marketTicker?: string | null; exchangeIndex?: number | null }): void {
    const o = this.orders.get(orderId);
    if (!o || o.userId !== userId) return;
    const ix = this.markets.get(o.ticker)?.exchangeIndex ?? 0;
    const named = route.marketTicker ? (this.markets.get(route.marketTicker)?.exchangeIndex ?? 0) : (route.exchangeIndex ?? 0);
    if (named !== ix) throw E.notFound();
  }

  cancelOrder(userId: string, orderId: string): { order: Order; reducedBy: Count } {
    const o = this.liveOrder(userId, orderId);
    const reducedBy = this.cancelResting(o, "Cancel");
    return { order: o, reducedBy };
  }

  cancelAll(userId: string, subaccount?: number): number {
    const acct = this.account(userId);
    let n = 0;
    for (const set of [...acct.resting.values()]) {
      for (const o of [...set]) {
        if (subaccount === undefined || o.subaccount === subaccount) {
          this.cancelResting(o, "Cancel");
          n++;
        }
      }
    }
    return n;
  }

  decreaseOrder(userId: string, orderId: string, by: { reduceBy?: Count; reduceTo?: Count }): Order {
    const o = this.liveOrder(userId, orderId);
    const target = by.reduceTo !== undefined ? by.reduceTo : o.remaining - (by.reduceBy ?? 0);
    if (!Number.isSafeInteger(target) || target < 0 || target >= o.remaining) throw E.invalidOrder("reduce must lower the remaining count");
    if (target === 0) {
      this.cancelResting(o, "Decrease");
      return o;
    }
    const acct = this.accounts.get(userId)!;
    const by2 = o.remaining - target;
    this.books.get(o.ticker)?.shrink(o, by2);
    releaseFor(acct, o, by2);
    o.remaining = target;
    o.initial -= by2;
    o.updatedMs = this.now();
    o.lastUpdateReason = "Decrease";
    this.emit({
      type: "book",
      ticker: o.ticker,
      side: o.side,
      price: o.price,
      delta: -by2,
      userId: o.userId,
      clientOrderId: o.clientOrderId,
      subaccount: o.subaccount,
      tsMs: this.now(),
    });
    this.emit({ type: "order", order: o });
    return o;
  }

  /**
   * Amend price and/or total size (`count` = filled + new remaining). The order keeps its id; it
   * keeps its queue place only when the price is unchanged and the size does not grow.
   */
  amendOrder(userId: string, orderId: string, price: Price, count: Count, updatedClientOrderId?: string): PlaceResult {
    const o = this.liveOrder(userId, orderId);
    const m = this.markets.get(o.ticker)!;
    const acct = this.accounts.get(userId)!;
    if (!isOnGrid(price, m.priceRanges)) throw E.invalidPrice();
    const newRemaining = count - o.filled;
    if (!Number.isSafeInteger(newRemaining) || newRemaining <= 0) throw E.invalidOrder("count must exceed the filled count");
    if (updatedClientOrderId && updatedClientOrderId !== o.clientOrderId) {
      if (acct.clientOrderIds.has(updatedClientOrderId)) throw E.orderExists();
    }
    const book = this.book(o.ticker);
    // A post-only order stays post-only when amended: a new price that would take is refused as at create.
    if (o.postOnly && price !== o.price && crosses(book, o.side, price)) throw E.postOnlyCross();
    if (price === o.price && newRemaining <= o.remaining) {
      if (newRemaining < o.remaining) this.decreaseOrder(userId, orderId, { reduceTo: newRemaining });
      if (updatedClientOrderId) this.renameClientId(acct, o, updatedClientOrderId);
      o.lastUpdateReason = "Amend";
      return { order: o, fills: [] };
    }
    const extra = legPrice(o.side, price) * newRemaining - o.reserved;
    if (extra > acct.available()) throw E.insufficientBalance();
    const was = o.remaining;
    book.remove(o, was);
    acct.dropResting(o);
    releaseAll(acct, o);
    this.emit({
      type: "book",
      ticker: o.ticker,
      side: o.side,
      price: o.price,
      delta: -was,
      userId: o.userId,
      clientOrderId: o.clientOrderId,
      subaccount: o.subaccount,
      tsMs: this.now(),
    });
    if (updatedClientOrderId) this.renameClientId(acct, o, updatedClientOrderId);
    o.price = price;
    o.remaining = newRemaining;
    o.initial = count;
    o.seq = this.orderSeq++;
    o.lastUpdateReason = "Amend";
    o.updatedMs = this.now();
    const fills: Fill[] = [];
    const stopped = this.matchWithStp(m, book, o, fills);
    if (o.remaining === 0) this.finish(o, "executed", "Trade");
    else if (stopped) {
      o.remaining = 0;
      this.finish(o, o.filled > 0 ? "executed" : "canceled", "SelfTradeCancel");
    } else this.rest(acct, book, o);
    this.emit({ type: "order", order: o });
    this.emit({ type: "ticker", ticker: o.ticker, tsMs: this.now() });
    this.flushGroupTriggers();
    return { order: o, fills };
  }

  private renameClientId(acct: Account, o: Order, id: string): void {
    acct.clientOrderIds.add(id);
    o.clientOrderId = id;
  }

  // ---- order groups -------------------------------------------------------------------------

  createOrderGroup(userId: string, limit: Count, subaccount = 0): OrderGroup {
    this.account(userId);
    if (!Number.isSafeInteger(limit) || limit <= 0) throw E.invalidOrder("contracts_limit must be positive");
    const g: OrderGroup = { id: this.uuid(), userId, contractsLimit: limit, window: [], triggered: false, subaccount };
    this.orderGroups.set(g.id, g);
    this.emit({ type: "order_group", userId, groupId: g.id, event: "created", limit, tsMs: this.now() });
    return g;
  }

  orderGroup(userId: string, id: string): OrderGroup {
    const g = this.orderGroups.get(id);
    if (!g || g.userId !== userId) throw E.notFound();
    return g;
  }

  triggerOrderGroup(userId: string, id: string): void {
    const g = this.orderGroup(userId, id);
    g.triggered = true;
    this.cancelGroupOrders(g);
    this.emit({ type: "order_group", userId, groupId: id, event: "triggered", limit: g.contractsLimit, tsMs: this.now() });
  }

  resetOrderGroup(userId: string, id: string): void {
    const g = this.orderGroup(userId, id);
    g.triggered = false;
    g.window = [];
    this.emit({ type: "order_group", userId, groupId: id, event: "reset", limit: g.contractsLimit, tsMs: this.now() });
  }

  setOrderGroupLimit(userId: string, id: string, limit: Count): void {
    const g = this.orderGroup(userId, id);
    if (!Number.isSafeInteger(limit) || limit <= 0) throw E.invalidOrder("contracts_limit must be positive");
    g.contractsLimit = limit;
    this.emit({ type: "order_group", userId, groupId: id, event: "limit_updated", limit, tsMs: this.now() });
    // "If the updated limit would immediately trigger the group, all orders in the group are
    // canceled and the group is triggered" (OrderGroupsApi.updateOrderGroupLimit).
    const now = this.now();
    g.window = g.window.filter(([t]) => t > now - ORDER_GROUP_WINDOW_MS);
    if (!g.triggered && g.window.reduce((sum, [, c]) => sum + c, 0) >= limit) this.triggerOrderGroup(userId, id);
  }

  deleteOrderGroup(userId: string, id: string): void {
    const g = this.orderGroup(userId, id);
    this.cancelGroupOrders(g);
    this.orderGroups.delete(id);
    this.emit({ type: "order_group", userId, groupId: id, event: "deleted", limit: g.contractsLimit, tsMs: this.now() });
  }

  private cancelGroupOrders(g: OrderGroup): void {
    const acct = this.accounts.get(g.userId);
    if (!acct) return;
    for (const set of [...acct.resting.values()])
      for (const o of [...set]) if (o.orderGroupId === g.id) this.cancelResting(o, "OrderGroupCancel");
  }

  private countForGroup(o: Order, q: Count, now: number): void {
    if (!o.orderGroupId) return;
    const g = this.orderGroups.get(o.orderGroupId);
    if (!g || g.triggered) return;
    g.window.push([now, q]);
    g.window = g.window.filter(([t]) => t > now - ORDER_GROUP_WINDOW_MS);
    const sum = g.window.reduce((s, [, c]) => s + c, 0);
    if (sum >= g.contractsLimit) this.pendingGroupTriggers.add(g.id);
  }

  /** Group triggers wait until matching is over: cancelling mid-match would pull orders from under it. */
  private flushGroupTriggers(): void {
    for (const id of this.pendingGroupTriggers) {
      const g = this.orderGroups.get(id);
      if (g && !g.triggered) this.triggerOrderGroup(g.userId, id);
    }
    this.pendingGroupTriggers.clear();
  }

  // ---- market lifecycle --------------------------------------------------------------------

  private scheduleLifecycle(m: Market): void {
    const now = this.now();
    if (m.status === "initialized") this.at(Math.max(m.openMs, now), () => this.openMarket(m));
    if (m.status === "initialized" || m.status === "active" || m.status === "inactive") {
      this.at(Math.max(m.closeMs, now), () => this.closeMarket(m));
    }
    if (m.status === "closed") this.at(now + DETERMINATION_DELAY_MS, () => this.determineMarket(m));
    if (m.status === "determined") this.at(now + m.settlementTimerSeconds * 1000, () => this.finalizeMarket(m));
  }

  private openMarket(m: Market): void {
    if (m.status !== "initialized") return;
    m.status = "active";
    m.updatedMs = this.now();
    // Kalshi sends no lifecycle message for the scheduled open (API.md §3.4).
  }

  /** Trading halt (`deactivated`); resting orders stay, except those that asked to go on pause. */
  pauseMarket(ticker: string): void {
    const m = this.markets.get(ticker);
    if (m?.status !== "active") return;
    m.status = "inactive";
    m.updatedMs = this.now();
    for (const o of [...this.book(ticker).allOrders()]) if (o.cancelOnPause) this.cancelResting(o, "HaltCancel");
    this.emit({ type: "lifecycle", ticker, event: "deactivated", tsMs: this.now() });
  }

  /** Reactivation cancels every resting order, as Kalshi does. */
  resumeMarket(ticker: string): void {
    const m = this.markets.get(ticker);
    if (m?.status !== "inactive") return;
    for (const o of [...this.book(ticker).allOrders()]) this.cancelResting(o, "HaltCancel");
    m.status = "active";
    m.updatedMs = this.now();
    this.emit({ type: "lifecycle", ticker, event: "activated", tsMs: this.now() });
  }

  /** Move close_time (earlier or later); a closed market may reopen. */
  setCloseTime(ticker: string, closeMs: number): void {
    const m = this.markets.get(ticker);
    if (!m || m.status === "determined" || m.status === "finalized") return;
    m.closeMs = closeMs;
    if (m.status === "closed" && closeMs > this.now()) m.status = "active";
    m.updatedMs = this.now();
    this.at(Math.max(closeMs, this.now()), () => {
      if (m.closeMs === closeMs) this.closeMarket(m);
    });
    this.emit({ type: "lifecycle", ticker, event: "close_date_updated", tsMs: this.now() });
  }

  closeMarket(m: Market): void {
    if (m.status !== "active" && m.status !== "inactive" && m.status !== "initialized") return;
    if (m.closeMs > this.now()) return;
    for (const o of [...this.book(m.ticker).allOrders()]) this.cancelResting(o, "CloseCancel");
    m.status = "closed";
    m.updatedMs = this.now();
    this.at(this.now() + DETERMINATION_DELAY_MS, () => this.determineMarket(m));
  }

  determineMarket(m: Market, result?: MarketResult): void {
    if (m.status !== "closed") return;
    const r = result || this.resolveResult(m) || "no";
    m.result = r;
    m.status = "determined";
    m.determinedMs = this.now();
    m.updatedMs = this.now();
    this.emit({ type: "lifecycle", ticker: m.ticker, event: "determined", tsMs: this.now() });
    this.at(this.now() + m.settlementTimerSeconds * 1000, () => this.finalizeMarket(m));
  }

  finalizeMarket(m: Market): Settlement[] {
    if (m.status !== "determined") return [];
    const out: Settlement[] = [];
    const now = this.now();
    for (const a of this.accounts.values()) {
      const s = settlePosition(a, m.ticker, m.eventTicker, m.result === "yes" ? "yes" : "no", now);
      if (s) {
        out.push(s);
        if (a.internal) a.settlements.length = 0;
        this.emit({ type: "position", userId: a.userId, ticker: m.ticker, tsMs: now });
      }
      if (a.internal) a.positions.delete(m.ticker);
    }
    m.openInterest = 0;
    m.status = "finalized";
    m.settledMs = now;
    m.updatedMs = now;
    this.emit({ type: "lifecycle", ticker: m.ticker, event: "settled", tsMs: now });
    return out;
  }

  // ---- views -------------------------------------------------------------------------------

  /** Top of book in YES terms: best bid, best ask (1 − best NO bid), and sizes. */
  top(ticker: string): { bid: Price; bidSize: Count; ask: Price; askSize: Count } {
    const b = this.book(ticker);
    const bb = b.bestBid();
    const ba = b.bestAsk();
    return { bid: bb?.price ?? 0, bidSize: bb?.total ?? 0, ask: ba?.price ?? PRICE_ONE, askSize: ba?.total ?? 0 };
  }

  /** Mark of a YES contract for portfolio value: mid of the book, else last trade. */
  mark(ticker: string): Price {
    const m = this.markets.get(ticker);
    if (!m) return 0;
    if (m.status === "determined" || m.status === "finalized") return m.result === "yes" ? PRICE_ONE : 0;
    const t = this.top(ticker);
    if (t.bidSize > 0 && t.askSize > 0) return Math.round((t.bid + t.ask) / 2);
    return m.lastPrice;
  }

  /** Value of open positions, micros (portfolio_value on the wire, in cents). */
  positionsValue(userId: string): Micros {
    const a = this.account(userId);
    let v = 0;
    for (const p of a.positions.values()) {
      if (p.position === 0) continue;
      const mk = this.mark(p.ticker);
      v += p.position > 0 ? mk * p.position : (PRICE_ONE - mk) * -p.position;
    }
    return v;
  }

  /** Cash + held collateral + positions at mark: what an account is worth. */
  equity(userId: string): Micros {
    const a = this.account(userId);
    return a.cash + this.positionsValue(userId);
  }
}
