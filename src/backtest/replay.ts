// The replay: recorded history through the bot's own parts on a simulated clock. The history is a
// ReplaySource (source.ts): a trade tape (tape-source.ts, top of book inferred from the prints) or a
// recording of the exchange's streams (recorded-source.ts, the real order book). Per pass:
//   1. the source's items since the last pass move the books and the public prints fill resting
//      paper orders through the paper fill model (PaperTransport.fillResting: trade-through, or at
//      the price after the queue ahead of the order has traded; with a recorded book the queue is
//      the book's size at the order's price when it was placed);
//   2. markets past their close time: resting orders canceled, positions settled by the recorded
//      result (Ledger.recordSettlement, as paper settlement does);
//   3. the risk state from the ledger (risk.ts nextRiskState), halts included;
//   4. the enabled strategies decide on the open markets (the same pure functions, the same params
//      from the config), and the order manager executes (risk gate per order, ledger rows, the
//      paper transport: taker orders fill only against the visible book, taker fees by Kalshi's
//      formula, GTC remainders rest with their queue position);
//   5. our taker fills take their liquidity out of the source's book; equity is marked.
// A market whose book the source does not know (a recorded seq gap, until the next snapshot) is
// left out of the pass: no strategy sees it, no paper order fills in it.
// A pass runs at the first item at least `stepMs` after the previous pass (quiet stretches cost
// nothing) and at every close time. Nothing here decides, sizes, gates or fills an order.
import { openDb } from "../db/open.ts";
import type { LoadedConfig } from "../config/load.ts";
import { COUNT_ONE, parseDollars, type FeeType, type Micros, type Price } from "../kalshi/money.ts";
import { Ledger, type PositionRow } from "../engine/ledger.ts";
import type { MidHistory } from "../engine/ledger/mid-history.ts";
import { OrderManager } from "../engine/order-manager.ts";
import { crossingLevels } from "../engine/paper.ts";
import { PaperTransport } from "../engine/paper-transport.ts";
import { viewsWithOwn } from "../engine/paper-view.ts";
import { collateralOf, portfolioView, valuePositions } from "../engine/portfolio.ts";
import { settlementRevenue } from "../engine/position-math.ts";
import { cancelsForHalt, emptyRiskSnapshot, nextRiskState, resolveRiskLimits, type RiskPortfolio } from "../engine/risk.ts";
import { orderGroupLimit } from "../engine/cycle.ts";
import { enabledStrategies, type EnabledStrategy } from "../strategies/index.ts";
import type { BookSide, EventView, Intent, MarketView, OwnFillView, TradePrint } from "../strategies/types.ts";
import type { TapeMarket } from "./tape.ts";
import type { BookGap, ReplaySource } from "./source.ts";

export interface ReplayOptions {
  /** Least simulated time between two passes. */
  stepMs: number;
  /** The series' fee schedule (the tape does not carry it). */
  feeType: FeeType;
  feeMultiplierE4: number;
  /** fair_value's ticker → probability (the engine reads them from fair_value.source). */
  probabilities?: ReadonlyMap<string, Price>;
  onProgress?: (done: number, total: number) => void;
}

export interface BacktestFill {
  tsMs: number;
  ticker: string;
  eventTicker: string;
  strategy: string;
  side: BookSide;
  price: Price;
  count: number;
  feeMicros: Micros;
  isTaker: boolean;
  result: "yes" | "no";
  /** What the contracts bought by this fill paid at settlement less what they cost, before fees. */
  grossMicros: Micros;
}

export interface ReplayResult {
  startMicros: Micros;
  /** The ledger's cash after the last settlement (every position settled). */
  endCashMicros: Micros;
  fills: BacktestFill[];
  /** [simulated ms, equity micros] after each pass (cash + open positions marked). */
  equity: Array<[number, Micros]>;
  passes: number;
  ordersCreated: number;
  ordersRejected: number;
  /** Decisions the risk gate refused or resized. */
  riskRejected: number;
  /** Why the risk gate refused, most frequent first (numbers blanked). */
  riskReasons: Array<[string, number]>;
  riskResized: number;
  halted: { atMs: number; reason: string } | null;
  settlements: number;
  strategies: string[];
  firstMs: number;
  lastMs: number;
  /** Stretches a market's book was unknown, so left out of the passes (recordings with seq gaps). */
  bookGaps: BookGap[];
}

const BURST_WINDOW_MS = 15_000;

/** The gross settlement P&L of the contracts one fill bought (a bid buys YES at p, an ask NO at 1 − p). */
export function fillGross(side: BookSide, price: Price, count: number, result: "yes" | "no"): Micros {
  const paid = side === "bid" ? price : 10_000 - price;
  const pays = (side === "bid") === (result === "yes") ? 10_000 : 0;
  return (pays - paid) * count;
}

export async function replay(src: ReplaySource, loaded: LoadedConfig, opts: ReplayOptions): Promise<ReplayResult> {
  const cfg = loaded.config;
  // A backtest's probability file stands for the model at every moment of the replay, so it is never
  // stale (fair_value's max_source_age_minutes guards a live source that stopped being updated).
  const strategies: EnabledStrategy[] = enabledStrategies(
    cfg.trading.strategies,
    opts.probabilities ? { probabilities: opts.probabilities, probabilitiesAsOfMs: Number.POSITIVE_INFINITY } : {},
  );
  const limits = resolveRiskLimits(cfg.risk);
  const startMicros = parseDollars(cfg.sim.balance_dollars, "sim.balance_dollars");
  let now = src.firstMs;
  const clock = () => now;

  const db = openDb(":memory:");
  const ledger = new Ledger(db, true);
  // The live ledger looks orders up by exchange order id rarely; the paper transport of a replay
  // does it for every amend and cancel. An index of this throwaway database only (no migration).
  ledger.indexOrdersByOrderId();
  ledger.setCashAnchor(startMicros);
  // The sources remove what our orders take from their books themselves (src.take).
  const pt = new PaperTransport(ledger, clock, false);
  const gate = { snapshot: emptyRiskSnapshot(now, { cashMicros: startMicros, equityMicros: startMicros }), limits };
  const om = new OrderManager({
    ledger,
    transport: pt,
    gate,
    killSwitchActive: () => false,
    orderGroupId: null,
    burstCap: { limit: orderGroupLimit(loaded) * COUNT_ONE, windowMs: BURST_WINDOW_MS },
    now: clock,
    // The replay's fills carry its clock's times: the burst window ends at its now, not this machine's.
    exchangeNow: clock,
  });

  const seriesOf = new Map<string, string>();
  const events = new Map<string, EventView>();
  for (const e of src.events) {
    events.set(e.eventTicker, {
      eventTicker: e.eventTicker,
      seriesTicker: e.seriesTicker,
      mutuallyExclusive: e.mutuallyExclusive,
      exhaustive: e.exhaustive,
      marketTickers: e.markets.map((m) => m.ticker),
    });
    for (const m of e.markets) seriesOf.set(m.ticker, e.seriesTicker);
  }
  // Close times, soonest first: a pass runs at each (settlement).
  const closing = [...src.markets.values()].sort((a, b) => a.closeMs - b.closeMs);
  let nextClose = 0;
  const settled = new Set<string>();
  // Events whose first market has not settled, in the source's order (the order views are built
  // in): a settled event is in no view again, and walking all of them each pass grew with the replay.
  let liveEvents = src.events;

  const view = (m: TapeMarket, status: string): MarketView | null => {
    const b = src.book(m.ticker, now);
    if (!b) return null;
    return {
      ticker: m.ticker,
      eventTicker: m.eventTicker,
      seriesTicker: seriesOf.get(m.ticker)!,
      status,
      ...b,
      openInterest: 0,
      priceRanges: m.priceRanges,
      feeType: opts.feeType,
      feeMultiplierE4: opts.feeMultiplierE4,
      closeTimeMs: m.closeMs,
    };
  };

  /** Markets open at `now` whose book is known: the external book (what paper fills against). */
  const openViews = (): Map<string, MarketView> => {
    const out = new Map<string, MarketView>();
    for (const e of liveEvents) {
      const first = e.markets[0]!;
      if (first.openMs > now) continue;
      for (const m of e.markets) {
        if (!(m.openMs <= now && now < m.closeMs)) continue;
        const v = view(m, "active");
        if (v) out.set(m.ticker, v);
      }
    }
    return out;
  };

  // When each resting order took its current price (simulated ms): only later prints reach it.
  const stamps = new Map<string, { price: Price; ms: number }>();
  const sendTimes: number[] = [];
  let lastFillId = 0;
  /** Resting orders after the last pass: with none, prints have nothing to fill. */
  let restingCount = 0;
  const fills: BacktestFill[] = [];
  const equity: Array<[number, Micros]> = [];
  let riskRejected = 0;
  const riskReasons = new Map<string, number>();
  let riskResized = 0;
  let ordersCreated = 0;
  let ordersRejected = 0;
  let passes = 0;
  let halted: ReplayResult["halted"] = null;

  const collectFills = () => {
    for (const r of ledger.fillsWithStrategyAfter(lastFillId)) {
      lastFillId = r.id;
      const m = src.markets.get(r.ticker)!;
      if (r.taker) src.take(r.ticker, r.side, r.price, r.count);
      const strategy = r.strategy ?? "unknown";
      fills.push({
        tsMs: r.at,
        ticker: r.ticker,
        eventTicker: m.eventTicker,
        strategy,
        side: r.side,
        price: r.price,
        count: r.count,
        feeMicros: r.fee,
        isTaker: r.taker === 1,
        result: m.result,
        grossMicros: fillGross(r.side, r.price, r.count, m.result),
      });
    }
  };

  const settleDue = () => {
    while (nextClose < closing.length && closing[nextClose]!.closeMs <= now) {
      const m = closing[nextClose++]!;
      for (const r of ledger.ordersWithStatus(["resting"]))
        if (r.ticker === m.ticker) ledger.updateOrder(r.id, { status: "canceled", remainingCount: 0 }, "backtest: market closed");
      const p = ledger.positions().get(m.ticker);
      if (p && p.position !== 0) {
        ledger.recordSettlement({
          ticker: m.ticker,
          eventTicker: m.eventTicker,
          result: m.result,
          yesCount: Math.max(0, p.position),
          noCount: Math.max(0, -p.position),
          revenueMicros: settlementRevenue(p.position, m.result),
          feeMicros: 0,
          settledTime: new Date(m.closeMs).toISOString(),
        });
      }
      settled.add(m.ticker);
      if (m.ticker === events.get(m.eventTicker)?.marketTickers[0]) liveEvents = liveEvents.filter((e) => e.eventTicker !== m.eventTicker);
    }
  };

  // The ledger's positions less settled markets' (closed, at zero, in no view), kept while neither
  // changes: every market ever held, read each pass, grew with the replay.
  let openPos: { all: ReadonlyMap<string, PositionRow>; settledN: number; open: Map<string, PositionRow> } | null = null;
  const openPositions = (): ReadonlyMap<string, PositionRow> => {
    const all = ledger.positions();
    if (openPos?.all !== all || openPos.settledN !== settled.size)
      openPos = { all, settledN: settled.size, open: new Map([...all].filter(([t]) => !settled.has(t))) };
    return openPos.open;
  };

  const markEquity = (ext: ReadonlyMap<string, MarketView>) => {
    const cash = ledger.cashMicros() ?? startMicros;
    const val = valuePositions(openPositions(), (t) => ext.get(t));
    equity.push([now, cash + val.positionsValueMicros]);
  };

  let mids: MidHistory | undefined;
  // Inventory is the net of the strategies' fills: kept while no fill came and the tickers are the
  // same (every fill is collected, lastFillId, before a pass decides). The ledger's own read memo
  // cannot keep it: a pass always writes (mid history, orders).
  let invKept: { key: string; inventory: Map<string, ReadonlyMap<string, number>> } | null = null;
  // Likewise a strategy's own fills since a time: read again only after a fill, else cut from the
  // last read (the window only moves forward), as Ledger.strategyFills cuts its own memo.
  const fillsKept = new Map<string, { fillId: number; sinceMs: number; rows: OwnFillView[] }>();
  const ownFillsSince = (strategy: string, sinceMs: number): OwnFillView[] => {
    const k = fillsKept.get(strategy);
    if (k && k.fillId === lastFillId && k.sinceMs <= sinceMs) return k.rows.filter((f) => f.tsMs >= sinceMs);
    const rows = ledger.strategyFills(strategy, sinceMs);
    fillsKept.set(strategy, { fillId: lastFillId, sinceMs, rows: [...rows] });
    return rows;
  };
  // Resting paper orders per market, for the check of each recorded book delta (onDelta); a tape has none.
  let watched = new Map<string, Array<{ side: BookSide; price: Price }>>();
  const rewatch = () => {
    if (src.format !== "recording") return;
    watched = new Map();
    for (const r of ledger.ordersWithStatus(["resting"])) {
      let list = watched.get(r.ticker);
      if (!list) watched.set(r.ticker, (list = []));
      list.push({ side: r.side, price: r.price });
    }
  };
  const pass = async () => {
    passes++;
    let ext = openViews();
    pt.setMarkets(ext);
    // Resting orders a recorded book now crosses fill first (a tape's book is not a full one: none).
    if (pt.fillCrossed((t, side, price, count) => src.take(t, side, price, count)) > 0) {
      collectFills();
      ext = openViews();
      pt.setMarkets(ext);
    }
    const positions = openPositions();
    const resting = ledger.ordersWithStatus(["resting"]);
    restingCount = resting.length;
    while (sendTimes.length && sendTimes[0]! <= now - 60_000) sendTimes.shift();
    const val = valuePositions(positions, (t) => ext.get(t));
    const cash = ledger.cashMicros() ?? startMicros;
    // What PaperTransport.availableMicros() says, from the rows already read.
    const available = cash - collateralOf(resting);
    const riskPortfolio: RiskPortfolio = {
      cashMicros: available,
      equityMicros: cash + val.positionsValueMicros,
      positions: Object.fromEntries(
        [...positions.values()]
          .filter((p) => p.position !== 0)
          .map((p) => [
            p.ticker,
            { eventTicker: p.eventTicker ?? src.markets.get(p.ticker)!.eventTicker, position: p.position, costMicros: p.costMicros },
          ]),
      ),
      resting: resting.map((r) => ({
        orderId: r.orderId ?? r.clientOrderId,
        ticker: r.ticker,
        eventTicker: r.eventTicker ?? r.ticker,
        side: r.side,
        price: r.price,
        remaining: r.remainingCount,
        filled: r.filledCount,
      })),
      recentOrderTimesMs: [...sendTimes],
      feeMultiplierE4: Object.fromEntries([...ext.keys()].map((t) => [t, opts.feeMultiplierE4])),
    };
    gate.snapshot = nextRiskState({ ...gate.snapshot, ...riskPortfolio }, limits, now);
    let intents: Intent[];
    if (gate.snapshot.state === "halted") {
      halted ??= { atMs: now, reason: gate.snapshot.reason ?? "halted" };
      intents = cancelsForHalt(gate.snapshot, gate.snapshot.reason ?? "halted");
    } else {
      // The book as the exchange would show it to the strategies: our own resting orders in it.
      const markets = viewsWithOwn(ext, resting);
      // What the cycle hands strategies (src/engine/cycle.ts decide): each one's own inventory, the
      // equity, the mid history it asks for, its own recent fills.
      // Settled markets left out (openPositions; a settled market rests nothing): no view holds
      // them, so no strategy reads their inventory, and the ledger read grew with the replay.
      const held = [...new Set([...positions.keys(), ...resting.map((r) => r.ticker)])];
      const heldKey = `${lastFillId}\u0000${held.join(",")}`;
      if (invKept?.key !== heldKey)
        invKept = { key: heldKey, inventory: new Map(strategies.map((s) => [s.name as string, ledger.strategyInventory(s.name, held)])) };
      const inventory = invKept.inventory;
      const pv = { ...portfolioView(available, positions, resting), inventory, equityMicros: cash + val.positionsValueMicros };
      const evs = new Map<string, EventView>();
      for (const e of liveEvents) {
        const v = events.get(e.eventTicker)!;
        if (v.marketTickers.some((t) => markets.has(t))) evs.set(v.eventTicker, v);
      }
      intents = [];
      mids ??= ledger.midHistory();
      for (const s of strategies) {
        const hist = s.strategy.historyFor?.(markets, s.params, pv, now);
        const midHistory = hist
          ? mids.observe(
              hist.flatMap((t) => {
                const m = markets.get(t);
                return m ? [m] : [];
              }),
              now,
              null,
              pv.restingOrders,
            )
          : undefined;
        const since = s.strategy.fillsSince?.(s.params, now);
        const ownFills = since === undefined ? undefined : ownFillsSince(s.name, since);
        intents.push(
          ...s.strategy.decide({
            markets,
            events: evs,
            portfolio: pv,
            params: s.params,
            nowMs: now,
            ...(midHistory ? { midHistory } : {}),
            ...(ownFills ? { ownFills } : {}),
          }),
        );
      }
      intents = intents.filter((i) => ext.has(i.ticker));
    }
    if (intents.length) {
      const r = await om.execute(intents, null);
      ordersCreated += r.created;
      ordersRejected += r.rejected;
      for (let k = 0; k < r.created; k++) sendTimes.push(now);
      for (const d of r.decisions) {
        if (d.result === "risk rejected") {
          riskRejected++;
          // The reason without its numbers, so like reasons count together.
          const why = d.detail.replace(/[-\d.,$]+/g, "#").slice(0, 120);
          riskReasons.set(why, (riskReasons.get(why) ?? 0) + 1);
        } else if (d.intent.kind === "create" && d.count !== undefined && d.count < d.intent.count) riskResized++;
      }
    }
    // Orders that took a new price in this pass rest from now: only later prints reach them.
    if (intents.length) {
      const restingNow = ledger.ordersWithStatus(["resting"]);
      restingCount = restingNow.length;
      for (const row of restingNow) {
        if (!row.orderId) continue;
        const s = stamps.get(row.orderId);
        if (!s || s.price !== row.price) stamps.set(row.orderId, { price: row.price, ms: now });
      }
    }
    collectFills();
    rewatch();
    markEquity(ext);
  };

  const n = src.total;
  let lastPass = Number.NEGATIVE_INFINITY;
  const pending = new Map<string, TradePrint[]>();
  const onPrint = (p: TradePrint) => {
    let list = pending.get(p.ticker);
    if (!list) pending.set(p.ticker, (list = []));
    list.push(p);
  };
  // A recorded book delta that crosses a resting paper order fills it then, at the delta's time
  // (PaperTransport.fillCrossedIn: the model the daemon's paper uses on its WebSocket deltas), so a
  // maker's order through our price that is withdrawn before the next pass is not missed. The
  // prints before it reach our orders first. Only on a book the source knows (src.book: null in a gap).
  const onDelta = (ticker: string, ms: number) => {
    const orders = watched.get(ticker);
    if (!orders) return;
    const b = src.book(ticker, ms);
    if (!b?.book || crossingLevels(orders, b.book).length === 0) return;
    pt.setMarkets(openViews());
    if (pending.size) {
      pt.fillResting(pending, (row) => stamps.get(row.orderId ?? "")?.ms ?? now);
      pending.clear();
    }
    pt.fillCrossedIn(ticker, b.book, ms, (t, side, price, count) => src.take(t, side, price, count));
    collectFills();
    rewatch();
  };
  const progressEvery = Math.max(1, Math.floor(n / 200));
  let nextProgress = 0;
  while (src.nextMs() !== Number.POSITIVE_INFINITY || nextClose < closing.length) {
    // The next pass: the first item at least stepMs after the last pass, or the next close.
    const nextItem = src.nextMs();
    const closeAt = nextClose < closing.length ? closing[nextClose]!.closeMs : Number.POSITIVE_INFINITY;
    const t = Math.min(Math.max(nextItem, lastPass + opts.stepMs), closeAt);
    if (t === Number.POSITIVE_INFINITY) break;
    // Every item up to t moves its book; the prints may fill our resting orders.
    // A book that became unknown since the last look: a cross found after it is stamped at the look
    // that finds it, never in the middle of a span that held an unknown stretch.
    const moved = src.advance(t, onPrint, onDelta, (tk) => pt.forgetLook(tk));
    now = t;
    if (pending.size && restingCount > 0) {
      pt.setMarkets(openViews());
      pt.fillResting(pending, (row) => stamps.get(row.orderId ?? "")?.ms ?? now);
      collectFills();
    }
    pending.clear();
    settleDue();
    if (moved > 0 || t !== closeAt) {
      await pass();
      lastPass = now;
    } else markEquity(openViews());
    if (opts.onProgress && src.done >= nextProgress) {
      opts.onProgress(src.done, n);
      nextProgress = src.done + progressEvery;
    }
  }
  opts.onProgress?.(n, n);
  return {
    startMicros,
    // Summed afresh from the rows (a new Ledger has no cache): the check of the per-fill figures.
    endCashMicros: new Ledger(db, true).cashMicros() ?? startMicros,
    fills,
    equity,
    passes,
    ordersCreated,
    ordersRejected,
    riskRejected,
    riskReasons: [...riskReasons].sort((a, b) => b[1] - a[1]),
    riskResized,
    halted,
    settlements: ledger.settlementCount(),
    strategies: strategies.map((s) => s.name),
    firstMs: src.firstMs,
    lastMs: src.lastMs,
    bookGaps: src.gaps(),
  };
}
