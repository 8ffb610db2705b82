// The built-in scenario: Kalshi-like markets that move, liquid books a market maker can quote
// inside, bracket mispricings an event-arbitrage strategy can take, events that open, close and
// settle while it runs; scenario files validated with clear errors.
import { afterAll, describe, expect, test } from "bun:test";
import { takerFee } from "../../src/kalshi/money.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { parseScenario, ScenarioError } from "../../src/sim/scenario-schema.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";

const servers: SimServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe("default scenario", () => {
  // How fast it starts is a benchmark's question (scripts/bench), not a test's: no timed assertion.
  test("starts with ~40 Kalshi-like markets, brackets of 7 strikes, several grids and fee types", async () => {
    const s = await startSimServer({ quiet: true });
    servers.push(s);
    const ex = s.exchange;
    expect(ex.markets.size).toBeGreaterThanOrEqual(35);
    expect(ex.markets.size).toBeLessThanOrEqual(45);
    const ny = [...ex.events.values()].find((e) => e.eventTicker.startsWith("KXHIGHNY-"))!;
    expect(ny.mutuallyExclusive).toBe(true);
    expect(ny.marketTickers.length).toBe(7);
    expect(ny.marketTickers[1]).toMatch(/^KXHIGHNY-\d\d[A-Z]{3}\d\d-B\d+\.5$/);
    const structures = new Set([...ex.markets.values()].map((m) => m.priceLevelStructure));
    expect(structures).toEqual(new Set(["linear_cent", "deci_cent", "tapered_deci_cent"]));
    const feeTypes = new Set([...ex.series.values()].map((x) => x.feeType));
    expect(feeTypes.has("quadratic_with_maker_fees")).toBe(true);
    expect([...ex.series.values()].some((x) => x.feeMultE4 === 5000)).toBe(true);
  });

  test("several liquid two-sided books with spreads of at least 2¢ to quote inside", async () => {
    const s = await startSimServer({ quiet: true, clock: new ManualClock(), seed: 3 });
    servers.push(s);
    const wide = [...s.exchange.markets.keys()].filter((t) => {
      const top = s.exchange.top(t);
      return top.bidSize >= 1000 && top.askSize >= 1000 && top.ask - top.bid >= 200;
    });
    expect(wide.length).toBeGreaterThanOrEqual(5);
  });

  test("a bracket event's YES asks plus fees sum below $1.00 within two minutes of sim time, and the competing arbitrageurs take it within seconds", async () => {
    for (const seed of [1, 2, 3]) {
      const clock = new ManualClock();
      const s = await startSimServer({ quiet: true, clock, seed });
      servers.push(s);
      const ex = s.exchange;
      const arb = ex.accounts.get("sim-arb")!;
      let found: { at: number; event: string } | null = null;
      let goneAt = -1;
      // One-second steps: the opportunity lasts seconds, as on a real exchange with fast desks.
      for (let t = 1; t <= 120 && goneAt < 0; t++) {
        clock.advance(1000);
        s.tick();
        let open: string | null = null;
        for (const ev of ex.events.values()) {
          if (!ev.mutuallyExclusive || ev.marketTickers.length < 3) continue;
          let sum = 0;
          let ok = true;
          for (const tk of ev.marketTickers) {
            const m = ex.markets.get(tk)!;
            const top = ex.top(tk);
            if (m.status !== "active" || top.askSize < 100) ok = false;
            sum += top.ask + takerFee(top.ask, 100, ex.series.get(m.seriesTicker)!.feeMultE4) / 100;
          }
          // Above the arbitrageurs' half-cent margin: what a desk takes.
          if (ok && sum + 50 < 10_000) open = ev.eventTicker;
        }
        if (!found && open) found = { at: t, event: open };
        else if (found && open !== found.event) goneAt = t;
      }
      expect([seed, found !== null]).toEqual([seed, true]);
      // Gone within 15 s, and the arbitrageurs hold positions on every strike of that event.
      expect([seed, goneAt > 0 && goneAt - found!.at <= 15]).toEqual([seed, true]);
      const legs = ex.events.get(found!.event)!.marketTickers.filter((t) => (arb.positions.get(t)?.position ?? 0) > 0);
      expect(legs.length).toBe(ex.events.get(found!.event)!.marketTickers.length);
    }
  });

  test("markets open, close, settle and reopen while it runs; books move", async () => {
    const clock = new ManualClock();
    const s = await startSimServer({ quiet: true, clock, seed: 4 });
    servers.push(s);
    const ex = s.exchange;
    const first = ex.top([...ex.markets.keys()][0]!);
    const before = ex.markets.size;
    for (let i = 0; i < 20 * 60; i++) {
      clock.advance(1000);
      s.tick();
    }
    const statuses = new Set([...ex.markets.values()].map((m) => m.status));
    expect(statuses.has("finalized")).toBe(true);
    expect(statuses.has("active")).toBe(true);
    expect(ex.markets.size).toBeGreaterThan(before);
    // Calibrated to the real KXHIGHNY tape (about 10 trades per market-hour; README "The local exchange").
    const marketHours = (40 * 20) / 60;
    expect(ex.trades.length / marketHours).toBeGreaterThan(3);
    expect(ex.trades.length / marketHours).toBeLessThan(60);
    const openNow = [...ex.markets.values()].filter((m) => m.status === "active").length;
    expect(openNow).toBeGreaterThanOrEqual(30);
    void first;
  });

  test("--markets scales from a handful to 10,000", async () => {
    const small = await startSimServer({ quiet: true, markets: 5, clock: new ManualClock() });
    servers.push(small);
    expect(small.exchange.markets.size).toBe(5);
    const t = performance.now();
    const big = await startSimServer({ quiet: true, markets: 10_000, clock: new ManualClock() });
    servers.push(big);
    expect(big.exchange.markets.size).toBe(10_000);
    expect(performance.now() - t).toBeLessThan(10_000);
  }, 30_000);
});

describe("scenario files", () => {
  test("errors name the path of each problem", () => {
    let err: ScenarioError | null = null;
    try {
      parseScenario(
        {
          series: [{ ticker: "bad ticker", title: "x" }],
          events: [{ event_ticker: "E-1", series_ticker: "NOPE", title: "t", close_in_s: -5, markets: [] }],
        },
        "my.json",
      );
    } catch (e) {
      err = e as ScenarioError;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err!.problems.join("\n")).toContain("series.0.ticker");
    expect(err!.problems.join("\n")).toContain("events.0.close_in_s");
    expect(err!.problems.join("\n")).toContain("events.0.markets");
  });

  test("a file with a fixed result and starting book runs", async () => {
    const clock = new ManualClock();
    const sc = parseScenario({
      series: [{ ticker: "KXF", title: "F" }],
      events: [
        {
          event_ticker: "KXF-26NOV24",
          series_ticker: "KXF",
          title: "F",
          close_in_s: 60,
          settlement_timer_s: 1,
          liquidity: "none",
          markets: [{ suffix: "Y", yes_sub_title: "Y", result: "yes", book: { yes: [["0.3000", "5"]], no: [["0.6000", "7.50"]] } }],
        },
      ],
    });
    const s = await startSimServer({ quiet: true, clock, scenario: sc });
    servers.push(s);
    expect(s.exchange.top("KXF-26NOV24-Y")).toEqual({ bid: 3000, bidSize: 500, ask: 4000, askSize: 750 });
    clock.advance(120_000);
    s.tick();
    expect(s.exchange.markets.get("KXF-26NOV24-Y")).toMatchObject({ status: "finalized", result: "yes" });
  });
});
