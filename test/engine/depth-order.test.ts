// One book, two producers: the depth a strategy sees must not depend on whether it came from REST
// (MarketDataSource.loadDepth) or from the WebSocket (LiveBooks.overlay). src/strategies/types.ts
// says BookDepth levels are best LAST; KalshiClient hands REST books best FIRST, and loadDepth once
// passed that order through, so the two producers disagreed on every multi-level book. This test
// holds both to types.ts on the same frozen exchange (manual clock: nothing moves between the REST
// read and the WebSocket snapshot) and checks that market_maker and the paper model decide the same.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LiveBooks } from "../../src/engine/live-books.ts";
import { MarketDataSource, type MarketData } from "../../src/engine/market-data.ts";
import { consumeBook, paperExecute } from "../../src/engine/paper.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { COUNT_ONE, PRICE_ONE, type Price } from "../../src/kalshi/money.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { marketMaker, type MarketMakerParams } from "../../src/strategies/market-maker.ts";
import type { BookDepth, CreateIntent, MarketView, PortfolioView, Strategy } from "../../src/strategies/types.ts";
import { until } from "../helpers/until.ts";

const kp = generateKeyPair();
const KEY = "depth-order-key";
const privateKey = privateKeyFromPem(kp.privateKeyPem);

let sim: SimServer;
let clock: ManualClock;
let client: KalshiClient;
let live: LiveBooks;
let rest: MarketData;
let tickers: string[];

const wantAll: Strategy<unknown> = { name: "depth_all", needsDepth: () => true, decide: () => [] };
const scope = { seriesTickers: [], eventTickers: [], marketTickers: [], whole: true };

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  sim = await startSimServer({
    port: 0,
    seed: 31,
    markets: 24,
    clock,
    quiet: true,
    tier: "unlimited",
    accounts: [{ apiKeyId: KEY, publicKeyPem: kp.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  // Let the participants build books several levels deep, then freeze the clock.
  for (let i = 0; i < 30; i++) {
    clock.advance(1_000);
    sim.tick();
  }
  client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: KEY, privateKey, tier: "prime", backoffBaseMs: 5 });
  const md = new MarketDataSource(client);
  rest = await md.load(scope);
  await md.loadDepth(rest, [{ strategy: wantAll, params: {} }]);
  tickers = [...rest.markets.keys()].sort();
  live = await LiveBooks.open({
    wsOptions: { url: sim.wsUrl, apiKeyId: KEY, privateKey, commandTimeoutMs: 5_000 },
    tickers,
    trades: false,
    ownOrders: false,
  });
  await until("every book trusted", () => live.trustedCount >= tickers.length, 10_000).catch(() => null);
}, 60_000);

afterAll(async () => {
  live?.close();
  await sim?.stop();
});

const isBestLast = (b: BookDepth) => {
  const asc = (xs: Array<[Price, number]>) => xs.every((l, i) => i === 0 || xs[i - 1]![0] < l[0]);
  return asc(b.yes) && asc(b.no);
};

function multiLevel(): MarketView[] {
  return tickers.map((t) => rest.markets.get(t)!).filter((m) => m.book && m.book.yes.length >= 2 && m.book.no.length >= 2);
}

describe("BookDepth order: REST and WebSocket give strategies the same book", () => {
  test("the scenario has multi-level books (otherwise the order could not matter)", () => {
    expect(live.trustedCount).toBe(tickers.length);
    expect(multiLevel().length).toBeGreaterThanOrEqual(5);
  });

  test("REST depth is best LAST, as types.ts says, and level for level equal to LiveBooks", () => {
    for (const m of multiLevel()) {
      const b = m.book!;
      expect(isBestLast(b)).toBe(true);
      // The last level is the top of book the market list reports.
      expect(b.yes.at(-1)![0]).toBe(m.yesBid!);
      expect(PRICE_ONE - b.no.at(-1)![0]).toBe(m.yesAsk!);
      const over = live.overlay({ ...m, book: undefined } as MarketView)!;
      expect(over).not.toBeNull();
      expect(over.book).toEqual(b);
      expect({ bid: over.yesBid, bs: over.yesBidSize, ask: over.yesAsk, as: over.yesAskSize }).toEqual({
        bid: m.yesBid,
        bs: m.yesBidSize,
        ask: m.yesAsk,
        as: m.yesAskSize,
      });
    }
  });

  test("market_maker decides the same on either book, with our own quotes inside the depth", () => {
    const chosen = multiLevel().slice(0, 6);
    const params: MarketMakerParams = {
      markets: chosen.map((m) => m.ticker),
      maxMarkets: 0,
      spread: 400,
      quoteSize: 2 * COUNT_ONE,
      maxInventory: 10 * COUNT_ONE,
      fairValue: "microprice",
      skewPerContract: 20,
      minSpreadTicks: 2,
      riskAversion: 0,
      minVolatility: 50,
      horizonMinutes: 60,
      stopBeforeCloseMs: 0,
      minBookSize: COUNT_ONE,
      pullMove: PRICE_ONE,
      pullWindowMs: 60_000,
      minEdge: 0,
      markoutMs: 30_000,
      toxicWindowMs: 300_000,
      toxicMarkout: PRICE_ONE,
      toxicMinSize: COUNT_ONE,
      bySeries: {},
    };
    // Our quotes rest at the second-best level of each side: externalTop must subtract them there.
    const portfolio: PortfolioView = {
      cashMicros: 500_000_000,
      positions: new Map(),
      restingOrders: chosen.flatMap((m, i) => {
        const b = m.book!;
        const bid = b.yes.at(-2)!;
        const askNo = b.no.at(-2)!;
        return [
          {
            orderId: `b${i}`,
            clientOrderId: `cb${i}`,
            ticker: m.ticker,
            side: "bid" as const,
            price: bid[0],
            remaining: Math.min(bid[1], COUNT_ONE),
            strategy: "market_maker",
          },
          {
            orderId: `a${i}`,
            clientOrderId: `ca${i}`,
            ticker: m.ticker,
            side: "ask" as const,
            price: PRICE_ONE - askNo[0],
            remaining: Math.min(askNo[1], COUNT_ONE),
            strategy: "market_maker",
          },
        ];
      }),
    };
    const restMarkets = new Map(chosen.map((m) => [m.ticker, m]));
    const liveMarkets = new Map(chosen.map((m) => [m.ticker, live.overlay({ ...m, book: undefined } as MarketView)!]));
    const input = (markets: Map<string, MarketView>) => ({ markets, events: rest.events, portfolio, params, nowMs: clock.now() });
    const a = marketMaker.decide(input(restMarkets));
    const b = marketMaker.decide(input(liveMarkets));
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });

  test("the paper model walks the same levels on either book (IOC through three levels, then what is left)", () => {
    for (const m of multiLevel().slice(0, 6)) {
      const liveView = live.overlay({ ...m, book: undefined } as MarketView)!;
      for (const side of ["bid", "ask"] as const) {
        // A limit two levels beyond the top: the walk must take best first whatever the list order.
        const levels =
          side === "bid" ? m.book!.no.map(([q]) => PRICE_ONE - q).sort((x, y) => x - y) : m.book!.yes.map(([p]) => p).sort((x, y) => y - x);
        const limit = levels[Math.min(2, levels.length - 1)]!;
        const intent: CreateIntent = {
          kind: "create",
          strategy: "t",
          ticker: m.ticker,
          eventTicker: m.eventTicker,
          side,
          price: limit,
          count: 1_000 * COUNT_ONE,
          timeInForce: "immediate_or_cancel",
          postOnly: false,
          reduceOnly: false,
          reason: "t",
        };
        const info = { priceRanges: m.priceRanges, feeType: m.feeType, feeMultiplierE4: m.feeMultiplierE4 };
        const account = { availableMicros: 1_000_000_000_000, position: 0 };
        const r1 = paperExecute(intent, m.book!, info, account);
        const r2 = paperExecute(intent, liveView.book!, info, account);
        expect(r2).toEqual(r1);
        expect(r1.fills.length).toBeGreaterThanOrEqual(1);
        // Best first: each fill no worse than the next.
        for (let i = 1; i < r1.fills.length; i++)
          expect(side === "bid" ? r1.fills[i]!.price >= r1.fills[i - 1]!.price : r1.fills[i]!.price <= r1.fills[i - 1]!.price).toBe(true);
        const left1 = consumeBook(m.book!, side, r1.fills);
        expect(consumeBook(liveView.book!, side, r2.fills)).toEqual(left1);
        expect(isBestLast(left1)).toBe(true);
      }
    }
  });
});
