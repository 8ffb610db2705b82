// Issue 16: equity marks one-sided books against the holder, because equity drives the drawdown
// and daily-loss limits. Positions come from a real SQLite ledger (fills recorded as the engine
// records them); the valuation feeds the risk state exactly as the cycle does (cash + positions).
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { riskSchema } from "../../src/config/risk-schema.ts";
import { openDb } from "../../src/db/open.ts";
import { Ledger } from "../../src/engine/ledger.ts";
import { markOf, valuePositions } from "../../src/engine/portfolio.ts";
import { emptyRiskSnapshot, nextRiskState, resolveRiskLimits } from "../../src/engine/risk.ts";
import type { MarketView } from "../../src/strategies/types.ts";
import { market } from "../strategies/helpers.ts";
import { cleanup, tempDir } from "../helpers/bin.ts";

afterAll(() => cleanup());
const T0 = Date.UTC(2026, 2, 10, 15, 0, 0);

describe("conservative marks of one-sided books", () => {
  test("markOf by holder", () => {
    const collapsed: MarketView = market("X", { yesBid: null, yesBidSize: 0, yesAsk: 500, yesAskSize: 1000, lastPrice: 6000 });
    // Long YES, nobody bids, asks at 0.05, last trade 0.60: worth at most 0.05, not 0.60.
    expect(markOf(collapsed, 100)).toBe(500);
    // Long NO on the same book: the exit (buy YES to close) is the ask: NO worth 0.95.
    expect(markOf(collapsed, -100)).toBe(500);
    const bidOnly: MarketView = market("Y", { yesBid: 9500, yesBidSize: 1000, yesAsk: null, yesAskSize: 0, lastPrice: 4000 });
    // Long YES marks at the bid (its exit); long NO at least the bid on the YES scale (NO ≤ 0.05).
    expect(markOf(bidOnly, 100)).toBe(9500);
    expect(markOf(bidOnly, -100)).toBe(9500);
    // Two-sided: the mid for everyone; empty: the last price.
    expect(markOf(market("Z", { yesBid: 4000, yesAsk: 4200 }), 100)).toBe(4100);
    expect(markOf(market("E", { yesBid: null, yesBidSize: 0, yesAsk: null, yesAskSize: 0, lastPrice: 3000 }), 100)).toBe(3000);
  });

  test("a real ledger's long position in a collapsed one-sided market halts on drawdown (the last trade would hide it)", () => {
    const dir = tempDir("equity-marks");
    const ledger = new Ledger(openDb(join(dir, "k.sqlite")), true);
    // Bought 20 YES at 0.60 ($12) from $100 cash.
    ledger.recordFill({
      fillId: "f1",
      orderId: "o1",
      clientOrderId: "c1",
      ticker: "X",
      eventTicker: "EV",
      side: "bid",
      price: 6000,
      count: 2000,
      feeMicros: 0,
      isTaker: true,
      tsMs: T0,
    });
    const cash = 100_000_000 - 12_000_000;
    const collapsed = market("X", { yesBid: null, yesBidSize: 0, yesAsk: 500, yesAskSize: 1000, lastPrice: 6000 });
    const val = valuePositions(ledger.positions(), (t) => (t === "X" ? collapsed : undefined));
    expect(val.positionsValueMicros).toBe(20 * 50_000); // 20 × $0.05
    const L = resolveRiskLimits(riskSchema.parse({ max_drawdown_pct: 10, max_daily_loss_dollars: "50" }));
    let s = nextRiskState(emptyRiskSnapshot(T0, { cashMicros: 100_000_000, equityMicros: 100_000_000 }), L, T0);
    s = nextRiskState({ ...s, cashMicros: cash, equityMicros: cash + val.positionsValueMicros }, L, T0 + 1000);
    expect(s.state).toBe("halted");
    // Marked at the last trade (the old rule) the same account looked flat: $100.
    expect(cash + 20 * 6000 * 100).toBe(100_000_000);
  });
});
