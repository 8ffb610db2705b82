// Dry-run against live on the same scenario (issue 6: "a test runs the same scenario of the local
// exchange twice, live and dry-run, and reports how far the dry-run P&L is from the live one").
//
// Two local exchanges with the same seed and the same start time are the same scenario. The test
// drives both clocks in lockstep and runs the binary `--once` on each, CYCLES times: live trading on
// venue A, paper trading (dry_run) on venue B. Between cycles both markets move the same sim time.
// The clock stands still during a cycle, so the book the paper model saw is exactly the book the test
// reads from venue B right before the cycle.
//
// Checked and reported:
//   - cycle 1 (identical markets, identical state): the same orders decided in both, to the contract;
//   - the paper model never takes more than venue B's visible book showed at a price level, and its
//     resting orders never fill more than venue B's tape printed in that market over the cycle;
//   - P&L of each (cash + positions at the venue's own marks − the starting bankroll) and the
//     difference. The paper model is built to be conservative (visible book only, taker fees on
//     every level, resting orders fill only when trades go through them), so paper may trail live but
//     must not beat it by more than `tolerance` ($1 + 10 % of what live traded): the two markets do
//     diverge (the live bot's orders move venue A, venue B never sees them), and marks move with that
//     divergence (see `tolerance` for the spread over start dates). Measured (seed 61, 17 cycles): arbitrage identical in both (14 taker fills each,
//     same cash to the micro); live's resting quotes were filled more often (21 vs 12 maker fills)
//     and those fills lost a little to adverse selection, so paper ended $0.55 ahead. That is the
//     honest limit of a conservative FILL model: under-filling quotes that lose on average makes the
//     paper P&L look better, not worse.
//
// What this test found and what was fixed for it: the exchange triggered the bot's order group
// (its contracts limit inside 15 s) and live never traded again while paper went on; now the engine
// caps bursts the same way in paper and live (a set goes whole or not at all) and resets a group
// the exchange triggered after a cool-down. Paper resting orders were filled by prints from before
// they existed, and one print could fill several of our orders; both fixed (paperRestingFillsShared).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { formatDollars2 } from "../../src/kalshi/money.ts";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import {
  E2E_START_MS,
  exchangeAccount,
  onceArgs,
  positionsValue,
  readLedger,
  startVenue,
  writeBotConfig,
  type Venue,
} from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const CYCLES = 16;
const STEP_MS = 7_000;
const START_MICROS = 1_000_000_000;
/**
 * Paper may beat live by at most this much (micros): $1.00 plus 10 % of what live traded. The
 * scenario's tickers carry the date and hour, which changes the order the bot meets markets in, so
 * each day is a different run of the same seed. Measured over 8 start dates (17 cycles, live
 * traded $16–34): paper − live from −$0.49 to +$2.10, mean +$0.85, every time with the arbitrage
 * identical and live's extra maker fills (adverse selection the conservative paper model skips)
 * making the difference. The earlier bound ($1 + 2 %) failed on 2 of those 8 dates. The strict
 * checks of the paper model are the visible-book and tape checks above, which hold on every date.
 */
const tolerance = (liveTradedMicros: number) => 1_000_000 + Math.round(liveTradedMicros * 0.1);

interface Fill {
  id: number;
  ticker: string;
  side: "bid" | "ask";
  price: number;
  count: number;
  is_taker: number;
}

function fillsAfter(dbPath: string, paper: boolean, afterId: number): Fill[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db
      .query("select id, ticker, side, price, count, is_taker from fills where paper = ? and id > ? order by id")
      .all(paper ? 1 : 0, afterId) as Fill[];
  } finally {
    db.close();
  }
}

function firstCycleOrders(dbPath: string, paper: boolean): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    const first = (
      db.query("select min(cycle_id) as c from orders where paper = ? and origin = 'bot'").get(paper ? 1 : 0) as { c: number | null }
    ).c;
    const rows = db
      .query(
        "select strategy, ticker, side, price, count, time_in_force, post_only from orders where paper = ? and origin = 'bot' and cycle_id = ?",
      )
      .all(paper ? 1 : 0, first) as Array<Record<string, unknown>>;
    return rows
      .map((r) => `${r.strategy} ${r.ticker} ${r.side} ${r.price} ×${r.count} ${r.time_in_force}${r.post_only ? " post_only" : ""}`)
      .sort();
  } finally {
    db.close();
  }
}

/** Visible size per YES price on each side of venue B's book right now: bid side, ask side. */
function visible(v: Venue): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const [t, m] of v.sim.exchange.markets) {
    if (m.status !== "active") continue;
    const b = v.sim.exchange.book(t);
    const levels = new Map<string, number>();
    for (const [p, c] of b.depth("bid")) levels.set(`bid:${p}`, c);
    for (const [p, c] of b.depth("ask")) levels.set(`ask:${p}`, c);
    out.set(t, levels);
  }
  return out;
}

const usd = (m: number) => `${m < 0 ? "-" : ""}$${formatDollars2(Math.abs(m))}`;

describe("dry-run vs live on the same scenario", () => {
  test(`${CYCLES} cycles each through the binary: same first decisions, paper within the visible book and the tape, P&L difference reported`, async () => {
    const startMs = E2E_START_MS; // both venues: the same scenario (tickers carry dates)
    const dirA = tempDir("e2e-vs-live");
    const dirB = tempDir("e2e-vs-paper");
    // No competing arbitrageurs: they take the scenario's mispriced sets within seconds, leaving neither
    // side anything to compare (the test compares the paper model with live, not the edge).
    const a = await startVenue(dirA, { seed: 61, startMs, balanceMicros: START_MICROS, participants: { arbitrageurs: false } });
    const b = await startVenue(dirB, { seed: 61, startMs, balanceMicros: START_MICROS, participants: { arbitrageurs: false } });
    try {
      const cfgA = writeBotConfig(dirA, a);
      const cfgB = writeBotConfig(dirB, b, { trading: { dry_run: true } });
      const dbA = join(dirA, "data/kalshi.sqlite");
      const dbB = join(dirB, "data/kalshi.sqlite");
      let lastPaperFill = 0;
      let lastTapeMs = b.clock.now();
      const overTaken: string[] = [];
      const overFilled: string[] = [];
      let liveFirst: string[] = [];
      let paperFirst: string[] = [];
      for (let i = 0; i < CYCLES; i++) {
        const book = visible(b);
        const [ra, rb] = await Promise.all([
          runBin(onceArgs(cfgA, dirA), { cwd: dirA, timeoutMs: 60_000 }),
          runBin(onceArgs(cfgB, dirB), { cwd: dirB, timeoutMs: 60_000 }),
        ]);
        expect({ cycle: i + 1, live: ra.code, paper: rb.code }).toEqual({ cycle: i + 1, live: 0, paper: 0 });
        // Cycle 1 saw identical markets and state: the same orders, read before later amends change rows.
        if (i === 0) {
          liveFirst = firstCycleOrders(dbA, false);
          paperFirst = firstCycleOrders(dbB, true);
        }
        // ---- the paper model against what venue B showed during this cycle ----
        const fresh = fillsAfter(dbB, true, lastPaperFill);
        lastPaperFill = fresh.at(-1)?.id ?? lastPaperFill;
        const taken = new Map<string, number>();
        const rested = new Map<string, number>();
        for (const f of fresh) {
          if (f.is_taker) {
            // A buy of YES takes YES asks at its price; a sell of YES takes YES bids.
            const key = `${f.ticker}|${f.side === "bid" ? "ask" : "bid"}:${f.price}`;
            taken.set(key, (taken.get(key) ?? 0) + f.count);
          } else rested.set(f.ticker, (rested.get(f.ticker) ?? 0) + f.count);
        }
        for (const [key, n] of taken) {
          const [t, level] = key.split("|") as [string, string];
          const shown = book.get(t)?.get(level) ?? 0;
          if (n > shown) overTaken.push(`cycle ${i + 1} ${t} ${level}: took ${n}, visible ${shown}`);
        }
        const now = b.clock.now();
        for (const [t, n] of rested) {
          const printed = b.sim.exchange.trades
            .filter((x) => x.ticker === t && x.tsMs > lastTapeMs && x.tsMs <= now)
            .reduce((s, x) => s + x.count, 0);
          if (n > printed) overFilled.push(`cycle ${i + 1} ${t}: resting paper fills ${n}, printed ${printed}`);
        }
        lastTapeMs = now;
        a.step(STEP_MS);
        b.step(STEP_MS);
      }
      // One more cycle each with the market still, so both books end marked at the same instant.
      await Promise.all([
        runBin(onceArgs(cfgA, dirA), { cwd: dirA, timeoutMs: 60_000 }),
        runBin(onceArgs(cfgB, dirB), { cwd: dirB, timeoutMs: 60_000 }),
      ]);

      // ---- cycle 1: same state in, same decisions out ----
      expect(liveFirst.length).toBeGreaterThan(0);
      expect(paperFirst).toEqual(liveFirst);

      // ---- P&L ----
      const exA = exchangeAccount(a);
      const livePnl = a.sim.exchange.equity(exA.account.userId) - START_MICROS;
      const paper = readLedger(dbB, true);
      const paperPnl = paper.cashMicros + positionsValue(b, paper.positions) - START_MICROS;
      const liveFills = fillsAfter(dbA, false, 0);
      const paperFills = fillsAfter(dbB, true, 0);
      const traded = (fs: Fill[]) => fs.reduce((s, f) => s + f.price * f.count, 0);
      const summary = (fs: Fill[]) =>
        `${fs.length} fills (${fs.filter((f) => f.is_taker).length} taker, ${fs.filter((f) => !f.is_taker).length} maker), ${usd(traded(fs))} traded`;
      const diff = paperPnl - livePnl;
      const tol = tolerance(traded(liveFills));
      console.log(
        [
          `dry-run vs live, seed 61, ${CYCLES + 1} cycles each, ${STEP_MS / 1000} s of market between cycles:`,
          `  live : P&L ${usd(livePnl)}; ${summary(liveFills)}; ${exA.orders.length} orders on the exchange`,
          `  paper: P&L ${usd(paperPnl)}; ${summary(paperFills)}`,
          `  difference (paper − live): ${usd(diff)} (paper may not exceed live by more than ${usd(tol)})`,
          `  first cycle: ${liveFirst.length} identical orders; paper taken beyond the visible book: ${overTaken.length}; paper resting fills beyond the tape: ${overFilled.length}`,
        ].join("\n"),
      );
      expect(overTaken).toEqual([]);
      expect(overFilled).toEqual([]);
      expect(liveFills.length).toBeGreaterThan(0);
      expect(paperFills.length).toBeGreaterThan(0);
      expect(diff).toBeLessThanOrEqual(tol);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 400_000);
});
