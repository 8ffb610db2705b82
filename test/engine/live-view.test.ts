// The engine's live overlay (src/engine/live-view.ts) between full loads lays again only what changed
// since the last cycle: the markets re-read over REST, those whose live book changed, those whose
// depth choice changed, and the views reactive passes noted as decided. Each round here, against the
// local exchange over a real WebSocket, the overlay must equal one computed from scratch (every market:
// its trusted live book over its REST view, full depth where wanted), and each of those changes must
// show in it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openDb } from "../../src/db/open.ts";
import { Ledger } from "../../src/engine/ledger.ts";
import { LiveBooks } from "../../src/engine/live-books.ts";
import { LiveView } from "../../src/engine/live-view.ts";
import { TrackedMarkets } from "../../src/engine/market-changes.ts";
import { MarketDataSource, type MarketData } from "../../src/engine/market-data.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { enabledStrategies } from "../../src/strategies/index.ts";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import type { EventView, Intent, MarketView } from "../../src/strategies/types.ts";

const kp = generateKeyPair();
const KEY = "live-view-key";
const privateKey = privateKeyFromPem(kp.privateKeyPem);
const scope = { seriesTickers: [], eventTickers: [], marketTickers: [], whole: true };
let sim: SimServer;
let clock: ManualClock;
let source: MarketDataSource;
let live: LiveBooks;

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  sim = await startSimServer({
    port: 0,
    seed: 21,
    markets: 40,
    clock,
    quiet: true,
    tier: "unlimited",
    accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  const client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: KEY, privateKey, tier: "prime", backoffBaseMs: 5 });
  source = new MarketDataSource(client);
  const md = await source.load(scope);
  live = await LiveBooks.open({
    wsOptions: { url: sim.wsUrl, apiKeyId: KEY, privateKey, reconnectBaseMs: 20, reconnectMaxMs: 200, commandTimeoutMs: 2_000 },
    tickers: [...md.markets.keys()],
    ownOrders: false,
  });
}, 60_000);

afterAll(async () => {
  live?.close();
  await sim?.stop();
});

/** Every market from scratch: its trusted live book laid over its REST view (full depth where wanted). */
function fromScratch(rest: ReadonlyMap<string, MarketView>, wantsDepth: (m: MarketView) => boolean): Map<string, MarketView> {
  const out = new Map<string, MarketView>();
  for (const [t, m] of rest) {
    const top = live.top(t);
    out.set(t, !top ? m : wantsDepth(m) ? live.overlay(m)! : { ...m, ...top });
  }
  return out;
}

/** Let the feed's frames in, then wait until every book in scope is trusted. */
async function settle(tickers: readonly string[]): Promise<void> {
  const end = Date.now() + 5_000;
  await Bun.sleep(30);
  while (tickers.some((t) => !live.isTrusted(t))) {
    if (Date.now() > end) throw new Error("live books not trusted after 5 s");
    await Bun.sleep(20);
  }
}

describe("live overlay between full loads", () => {
  test("only what changed is laid again, and the result equals an overlay from scratch every round", async () => {
    const view = new LiveView({ ledger: new Ledger(openDb(":memory:"), true), live: () => live, log: () => {} });
    let md: MarketData = await source.load(scope);
    const tickers = [...md.markets.keys()];
    await settle(tickers);
    let depthFor = new Set<string>();
    const wantsDepth = (m: MarketView) => depthFor.has(m.ticker);
    // The first overlay (a full load): every market.
    view.setCycle(md, wantsDepth, { changed: null, depthKey: "" });
    let rest = new Map(md.markets);
    await view.overlayLive(md);
    expect(md.markets).toEqual(fromScratch(rest, wantsDepth));
    // The REST views stay as loaded, the very objects, under the overlaid map handed out (the next refresh's base).
    expect([...view.restViews.keys()]).toEqual([...rest.keys()]);
    for (const [t, m] of rest) expect(view.restViews.get(t)).toBe(m);
    expect(view.restViews).not.toBe(md.markets);
    let incremental = 0;
    // What a consumer (the decision cache) last saw: where the map stood and its views then.
    let saw = { seen: (md.markets as TrackedMarkets).seen(), views: new Map(md.markets) };
    let depthSet = 0;
    for (let round = 0; round < 12; round++) {
      // Even rounds: the exchange moves, books change on the feed (their markets are taken as dirty).
      if (round % 2 === 0) {
        clock.advance(2_000);
        sim.tick();
      }
      await settle(tickers);
      // A few markets re-read over REST, as a refresh between full loads does; on odd rounds no book
      // moved, and their REST views carry a new volume (only the re-read can show it).
      const stale = tickers.filter((_, i) => (i + round) % 7 === 0);
      md = await source.refresh({ markets: view.restViews, events: md.events, inactive: md.inactive }, stale);
      if (round % 2 === 1) for (const t of stale) md.markets.set(t, { ...md.markets.get(t)!, volume: md.markets.get(t)!.volume + round });
      // Now and then a strategy wants depth somewhere else (a new portfolio): the depth key changes.
      const depthKey = String(Math.floor(round / 3));
      if (round % 3 === 0) depthFor = new Set(tickers.filter((_, i) => (i + round) % 5 === 0));
      // Otherwise, with the same key, the portfolio changed in two markets: depth wanted in one more, one fewer.
      const depthChanged = new Set<string>();
      if (round % 3 !== 0) {
        const [gone, added] = [[...depthFor][0]!, tickers.find((t) => !depthFor.has(t))!];
        depthFor = new Set([...depthFor, added].filter((t) => t !== gone));
        depthChanged.add(gone).add(added);
      }
      view.setCycle(md, wantsDepth, { changed: new Set(stale), depthKey, depthChanged });
      rest = new Map(md.markets);
      const n = await view.overlayLive(md);
      // The incremental path: the map handed out last time, changed where it changed (market-changes.ts).
      if ((md.markets as TrackedMarkets).changesSince(saw.seen) !== null) incremental++;
      const expected = fromScratch(rest, wantsDepth);
      expect([...md.markets.keys()]).toEqual([...expected.keys()]);
      expect(md.markets).toEqual(expected);
      expect(n).toBe(tickers.filter((t) => live.isTrusted(t)).length);
      // A market re-read over REST carries its new REST fields under the live book.
      for (const t of stale) expect(md.markets.get(t)!.volume).toBe(rest.get(t)!.volume);
      // Depth exactly where wanted.
      for (const t of tickers) expect(md.markets.get(t)!.book !== undefined).toBe(depthFor.has(t));
      // The watch list over every market: right after the overlay nothing has moved since the decision.
      const everyTicker: Intent[] = tickers.map((t) => ({ kind: "cancel", strategy: "s", ticker: t, orderId: "x", reason: "" }));
      view.updateWatch(md, everyTicker, []);
      expect(tickers.filter((t) => view.moved(t))).toEqual([]);
      // A reactive pass decides on a view that differs from the live book: moved until the next overlay puts it back.
      const t0 = tickers[round % tickers.length]!;
      const m0 = md.markets.get(t0)!;
      view.noteDecided({ ...md, markets: new Map([[t0, { ...m0, yesBidSize: m0.yesBidSize + 1 }]]) }, new Set([t0]));
      expect(view.moved(t0)).toBe(true);
      // Depth read over REST after the overlay (loadDepth): a new view set on this cycle's map. The
      // map's lineage then names every market whose view differs from what the consumer saw last
      // cycle (that one had its own depth view, which this cycle's overlay does not carry).
      const td = tickers[(round * 3) % tickers.length]!;
      md.markets.set(td, { ...md.markets.get(td)!, book: { yes: [], no: [] } });
      depthSet++;
      expect(md.markets).toBeInstanceOf(TrackedMarkets);
      const ch = (md.markets as TrackedMarkets).changesSince(saw.seen);
      expect(ch).not.toBeNull();
      const differ = tickers.filter((t) => md.markets.get(t) !== saw.views.get(t));
      expect(differ.filter((t) => !ch!.has(t))).toEqual([]);
      expect(differ.length).toBeGreaterThan(0);
      expect((md.markets as TrackedMarkets).changesSince({ map: new Map(md.markets), at: saw.seen.at })).toBeNull();
      saw = { seen: (md.markets as TrackedMarkets).seen(), views: new Map(md.markets) };
    }
    // Between full loads the overlay took the incremental path.
    expect(incremental).toBe(12);
    expect(depthSet).toBe(12);
    // After the last pass edit, one more overlay with nothing changed restores the decided views.
    md = await source.refresh({ markets: view.restViews, events: md.events, inactive: md.inactive }, []);
    view.setCycle(md, wantsDepth, { changed: new Set(), depthKey: "3" });
    await view.overlayLive(md);
    expect(tickers.filter((t) => view.moved(t))).toEqual([]);
  }, 60_000);

  test("a book that changed only below its top keeps its overlaid view, the same object; a new top makes a new one", async () => {
    const view = new LiveView({ ledger: new Ledger(openDb(":memory:"), true), live: () => live, log: () => {} });
    let md: MarketData = await source.load(scope);
    const tickers = [...md.markets.keys()];
    await settle(tickers);
    view.setCycle(md, () => false, { changed: null, depthKey: "" });
    await view.overlayLive(md);
    const before = new Map(md.markets);
    // Two markets with room in their books: a YES bid at least 3¢ and a spread of at least 2¢.
    const roomy = tickers.filter((t) => {
      const top = live.top(t);
      return top !== null && top.yesBid !== null && top.yesAsk !== null && top.yesBid >= 300 && top.yesAsk - top.yesBid >= 200;
    });
    expect(roomy.length).toBeGreaterThanOrEqual(2);
    const [deep, better] = [roomy[0]!, roomy[1]!];
    const deepSize = live.sizeAt(deep, "yes", 100) ?? 0;
    const betterBid = live.top(better)!.yesBid!;
    const client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: KEY, privateKey, tier: "prime", backoffBaseMs: 5 });
    const bid = (ticker: string, price: number) =>
      client.createOrder({
        ticker,
        side: "bid",
        price,
        count: 100,
        time_in_force: "good_till_canceled",
        self_trade_prevention_type: "taker_at_cross",
      });
    // A bid at 1¢ changes `deep`'s book below its top; one a cent above `better`'s best bid makes its new top.
    await bid(deep, 100);
    await bid(better, betterBid + 100);
    const end = Date.now() + 5_000;
    while (live.sizeAt(deep, "yes", 100) === deepSize || live.top(better)!.yesBid === betterBid) {
      if (Date.now() > end) throw new Error("the two book changes did not arrive on the feed");
      await Bun.sleep(10);
    }
    md = await source.refresh({ markets: view.restViews, events: md.events, inactive: md.inactive }, []);
    view.setCycle(md, () => false, { changed: new Set(), depthKey: "" });
    const rest = new Map(md.markets);
    await view.overlayLive(md);
    expect(md.markets.get(deep)).toBe(before.get(deep)!);
    expect(md.markets.get(better)).not.toBe(before.get(better)!);
    expect(md.markets.get(better)!.yesBid).toBe(betterBid + 100);
    expect(md.markets).toEqual(fromScratch(rest, () => false));
    // Nothing moved since the decision, for the kept view and the new one alike.
    view.updateWatch(
      md,
      [deep, better].map((t): Intent => ({ kind: "cancel", strategy: "s", ticker: t, orderId: "x", reason: "" })),
      [],
    );
    expect(view.moved(deep)).toBe(false);
    expect(view.moved(better)).toBe(false);
  }, 30_000);

  test("the scope between full loads is compared at the re-read markets: one that left and one that joined are both seen", async () => {
    const view = new LiveView({ ledger: new Ledger(openDb(":memory:"), true), live: () => live, log: () => {} });
    let md: MarketData = await source.load(scope);
    const tickers = [...md.markets.keys()];
    await settle(tickers);
    // The first scope leaves out `joins`; a later refresh drops `leaves` and brings `joins` in: the
    // same number of markets, a different scope.
    const [leaves, joins] = [tickers[3]!, tickers[5]!];
    const joinsView = md.markets.get(joins)!;
    md.markets.delete(joins);
    view.setCycle(md, () => false, { changed: null, depthKey: "" });
    await view.overlayLive(md);
    try {
      for (const swap of [false, false, true]) {
        md = await source.refresh({ markets: view.restViews, events: md.events, inactive: md.inactive }, swap ? [leaves, joins] : []);
        if (swap) {
          md.markets.delete(leaves);
          md.markets.set(joins, joinsView);
        }
        view.setCycle(md, () => false, { changed: new Set(swap ? [leaves, joins] : []), depthKey: "" });
        const rest = new Map(md.markets);
        await view.overlayLive(md);
        if (swap) await settle([joins]);
        expect([...md.markets.keys()].sort()).toEqual([...rest.keys()].sort());
        expect(md.markets).toEqual(fromScratch(rest, () => false));
      }
      expect(md.markets.has(leaves)).toBe(false);
      // The live books follow the new scope: `joins` is subscribed (its book trusted), `leaves` no longer.
      expect(live.isTrusted(joins)).toBe(true);
      expect(live.isTrusted(leaves)).toBe(false);
    } finally {
      // The other tests share these live books: the whole scope again.
      md = await source.load(scope);
      view.setCycle(md, () => false, { changed: null, depthKey: "" });
      await view.overlayLive(md);
      await settle(tickers);
    }
  }, 60_000);

  test("the arbitrage watch list (every leg of an event fully in scope) follows a changed event and a changed scope", async () => {
    const view = new LiveView({ ledger: new Ledger(openDb(":memory:"), true), live: () => live, log: () => {} });
    const arb = enabledStrategies(strategiesSchema.parse({ event_arbitrage: { enabled: true } }));
    let md: MarketData = await source.load(scope);
    const tickers = [...md.markets.keys()];
    await settle(tickers);
    const ev = [...md.events.values()].find(
      (e) => e.mutuallyExclusive && e.marketTickers.length >= 2 && e.marketTickers.every((t) => md.markets.has(t)),
    )!;
    expect(ev).toBeDefined();
    const leg = ev.marketTickers[0]!;
    /** Whether `leg` is watched: a decision on a view its live book no longer shows wakes a pass only if so. */
    const watched = () => {
      const m = md.markets.get(leg)!;
      view.noteDecided({ ...md, markets: new Map([[leg, { ...m, yesBidSize: m.yesBidSize + 1 }]]) }, new Set([leg]));
      return view.moved(leg);
    };
    const cycle = async (changed: ReadonlySet<string> | null, events?: Map<string, EventView>) => {
      md = await source.refresh({ markets: view.restViews, events: events ?? md.events, inactive: md.inactive }, []);
      view.setCycle(md, () => false, { changed, depthKey: "" });
      await view.overlayLive(md);
      view.updateWatch(md, [], arb);
    };
    view.setCycle(md, () => false, { changed: null, depthKey: "" });
    await view.overlayLive(md);
    view.updateWatch(md, [], arb);
    expect(watched()).toBe(true);
    // Nothing changed (an incremental overlay, the same event objects): still watched.
    await cycle(new Set());
    expect(watched()).toBe(true);
    // The event now reads as not mutually exclusive (a new event object): its legs are no longer watched.
    await cycle(new Set(), new Map([...md.events, [ev.eventTicker, { ...ev, mutuallyExclusive: false }]]));
    expect(watched()).toBe(false);
    // Back as it was: watched again.
    await cycle(new Set(), new Map([...md.events, [ev.eventTicker, ev]]));
    expect(watched()).toBe(true);
    // One of its legs leaves the scope (a full load without it): the event's legs are no longer all in scope.
    md = await source.refresh({ markets: view.restViews, events: md.events, inactive: md.inactive }, []);
    md.markets.delete(ev.marketTickers[1]!);
    view.setCycle(md, () => false, { changed: null, depthKey: "" });
    await view.overlayLive(md);
    view.updateWatch(md, [], arb);
    expect(watched()).toBe(false);
    // And the next incremental cycle keeps that answer (not last time's).
    await cycle(new Set());
    expect(watched()).toBe(false);
  }, 60_000);
});

describe("the markets a refresh re-reads between full loads", () => {
  test("every untrusted or closed one, as checking all of them finds, under seq gaps", async () => {
    const gclock = new ManualClock(Date.now());
    const gsim = await startSimServer({
      port: 0,
      seed: 5,
      markets: 40,
      clock: gclock,
      quiet: true,
      tier: "unlimited",
      faults: "ws_skip_seq=0.03",
      accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
    });
    const client = new KalshiClient({ baseUrl: gsim.baseUrl, apiKeyId: KEY, privateKey, tier: "prime", backoffBaseMs: 5 });
    const src = new MarketDataSource(client);
    let md = await src.load(scope);
    const lb = await LiveBooks.open({
      wsOptions: { url: gsim.wsUrl, apiKeyId: KEY, privateKey, reconnectBaseMs: 20, reconnectMaxMs: 200, commandTimeoutMs: 2_000 },
      tickers: [...md.markets.keys()],
      ownOrders: false,
    });
    const drive = async (n: number) => {
      for (let i = 0; i < n; i++) {
        gclock.advance(1_000);
        gsim.tick();
        await Bun.sleep(3);
      }
    };
    try {
      const view = new LiveView({ ledger: new Ledger(openDb(":memory:"), true), live: () => lb, log: () => {} });
      view.setCycle(md, () => false, { changed: null, depthKey: "" });
      await view.overlayLive(md);
      let lastOut = (md.markets as TrackedMarkets).seen();
      // "Now" moves past one more close time every other round (the sim's own markets stay open).
      const closes = [...md.markets.values()].flatMap((m) => (m.closeTimeMs === null ? [] : [m.closeTimeMs])).sort((a, b) => a - b);
      let now = gclock.now();
      const seen = { untrusted: 0, closed: 0, rebased: 0 };
      let rebased = new Set<string>();
      let incremental = 0;
      for (let round = 0; round < 30; round++) {
        await drive(3);
        // A market re-read while untrusted is trusted again once its new snapshot is in: wait for one
        // (bounded), so that the case below is met however slowly this machine resubscribes.
        const until = performance.now() + 5_000;
        while (rebased.size > 0 && ![...rebased].some((t) => lb.isTrusted(t)) && performance.now() < until) await Bun.sleep(5);
        if (round % 2 === 1) now = Math.max(now, closes[Math.min(closes.length - 1, round >> 1)]!);
        const got = view.staleBases(lb, now).sort();
        const want = [...view.restViews]
          .filter(([t, m]) => !lb.isTrusted(t) || (m.closeTimeMs !== null && m.closeTimeMs <= now))
          .map(([t]) => t)
          .sort();
        expect(got).toEqual(want);
        // The markets re-read below for want of a trusted book (whether or not it is back by then).
        const untrustedAtCheck = got.filter((t) => !lb.isTrusted(t));
        for (const t of got) {
          if (!lb.isTrusted(t)) seen.untrusted++;
          if (rebased.has(t) && lb.isTrusted(t)) seen.rebased++;
          else if (view.restViews.get(t)!.closeTimeMs! <= now) seen.closed++;
        }
        // Frames arrive between this call and the overlay (the overlay takes their notices).
        await drive(2);
        md = await src.refresh({ markets: view.restViews, events: md.events, inactive: md.inactive }, got);
        // A re-read market may carry a new, earlier close time: only the re-read view shows it.
        rebased = new Set();
        for (const t of untrustedAtCheck.slice(0, 2)) {
          md.markets.set(t, { ...md.markets.get(t)!, closeTimeMs: now - 1 });
          rebased.add(t);
        }
        const before = md.markets;
        view.setCycle(md, () => false, { changed: new Set(got), depthKey: "" });
        const last = lastOut;
        await view.overlayLive(md);
        lastOut = (md.markets as TrackedMarkets).seen();
        // Incremental: the map handed out last time, changed where it changed.
        if (md.markets !== before && (md.markets as TrackedMarkets).changesSince(last) !== null) incremental++;
      }
      // Each way a market turns stale happened, between full overlays.
      expect(incremental).toBe(30);
      expect(seen.untrusted).toBeGreaterThan(0);
      expect(seen.closed).toBeGreaterThan(0);
      expect(seen.rebased).toBeGreaterThan(0);
    } finally {
      lb.close();
      await gsim.stop();
    }
  }, 60_000);
});

// Each way staleBases keeps its answer between calls without checking every market, alone: the
// market in question is trusted (or open) at the first call and never re-read, so only that rule
// can bring it into the second call's answer.
describe("staleBases' rules, each alone", () => {
  /** What checking every market finds: untrusted or past its close time. */
  const fromScratchStale = (view: LiveView, lb: LiveBooks, now: number) =>
    [...view.restViews]
      .filter(([t, m]) => !lb.isTrusted(t) || (m.closeTimeMs !== null && m.closeTimeMs <= now))
      .map(([t]) => t)
      .sort();

  test("a close time passed since the last call", async () => {
    const view = new LiveView({ ledger: new Ledger(openDb(":memory:"), true), live: () => live, log: () => {} });
    const md = await source.load(scope);
    // (The overlay subscribes the whole scope: an earlier test may have left the shared books on less.)
    view.setCycle(md, () => false, { changed: null, depthKey: "" });
    await view.overlayLive(md);
    await settle([...md.markets.keys()]);
    const closes = [...view.restViews.values()].flatMap((m) => (m.closeTimeMs === null ? [] : [m.closeTimeMs])).sort((a, b) => a - b);
    expect(closes.length).toBeGreaterThan(2);
    // Before any close time: nothing stale (every book trusted).
    expect(view.staleBases(live, closes[0]! - 1)).toEqual([]);
    // Past the first two close times, with no market re-read in between.
    const now = closes[1]!;
    const got = view.staleBases(live, now).sort();
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got).toEqual(fromScratchStale(view, live, now));
  }, 60_000);

  /**
   * A local exchange that skips a sequence number now and then: a gap makes every book of its
   * subscription untrusted at once, each with a notice, until the books are snapshotted again.
   * `atGap` runs synchronously as the gap is handled (after the live books' own handler), while
   * those books are still untrusted.
   */
  async function atFirstGap<T>(
    run: (view: LiveView, md: MarketData, src: MarketDataSource) => Promise<void>,
    atGap: (view: LiveView, lb: LiveBooks, md: MarketData) => T,
  ): Promise<T> {
    const gclock = new ManualClock(Date.now());
    const gsim = await startSimServer({
      port: 0,
      seed: 9,
      markets: 30,
      clock: gclock,
      quiet: true,
      tier: "unlimited",
      faults: "ws_skip_seq=0.02",
      accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
    });
    const client = new KalshiClient({ baseUrl: gsim.baseUrl, apiKeyId: KEY, privateKey, tier: "prime", backoffBaseMs: 5 });
    const src = new MarketDataSource(client);
    const md = await src.load(scope);
    const lb = await LiveBooks.open({
      wsOptions: { url: gsim.wsUrl, apiKeyId: KEY, privateKey, reconnectBaseMs: 20, reconnectMaxMs: 200, commandTimeoutMs: 2_000 },
      tickers: [...md.markets.keys()],
      ownOrders: false,
    });
    try {
      const view = new LiveView({ ledger: new Ledger(openDb(":memory:"), true), live: () => lb, log: () => {} });
      view.setCycle(md, () => false, { changed: null, depthKey: "" });
      await view.overlayLive(md);
      // Every book trusted, then the first call (no frames run between the wait and the call).
      const end = Date.now() + 10_000;
      while ([...md.markets.keys()].some((t) => !lb.isTrusted(t))) {
        if (Date.now() > end) throw new Error("live books not trusted after 10 s");
        await Bun.sleep(10);
      }
      expect(view.staleBases(lb, 0)).toEqual([]);
      await run(view, md, src);
      let out: { value: T } | null = null;
      const detach = lb.ws.on((e) => {
        if (e.type === "gap" && out === null && e.tickers.length > 0) out = { value: atGap(view, lb, md) };
      });
      const stop = Date.now() + 20_000;
      while (out === null) {
        if (Date.now() > stop) throw new Error("no seq gap in 20 s");
        gclock.advance(1_000);
        gsim.tick();
        await Bun.sleep(3);
      }
      detach();
      return (out as { value: T }).value;
    } finally {
      lb.close();
      await gsim.stop();
    }
  }

  test("trust lost since the last call, noticed by staleBases itself", async () => {
    const r = await atFirstGap(
      async () => {},
      (view, lb) => ({ got: view.staleBases(lb, 0).sort(), want: fromScratchStale(view, lb, 0) }),
    );
    expect(r.want.length).toBeGreaterThan(0);
    expect(r.got).toEqual(r.want);
  }, 60_000);

  test("trust lost since the last call, noticed by an overlay in between", async () => {
    const r = await atFirstGap(
      // The next cycle up to its overlay: a refresh of nothing, the new REST views.
      async (view, md, src) => {
        const next = await src.refresh({ markets: view.restViews, events: md.events, inactive: md.inactive }, []);
        view.setCycle(next, () => false, { changed: new Set(), depthKey: "" });
        Object.assign(md, next);
      },
      (view, lb, md) => {
        // The overlay takes the live books' notices (it runs to the end synchronously: same scope, nothing to await).
        void view.overlayLive(md);
        return { got: view.staleBases(lb, 0).sort(), want: fromScratchStale(view, lb, 0) };
      },
    );
    expect(r.want.length).toBeGreaterThan(0);
    expect(r.got).toEqual(r.want);
  }, 60_000);
});
