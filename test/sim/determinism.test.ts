// A seed and a start time replay the same market: the participants draw from their own streams on
// the sim clock's grid, so neither the cadence the exchange is driven at nor another account's
// orders change what they do. A different seed is a different market.
import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/sim/clock.ts";
import { startSimServer, type SimServer } from "../../src/sim/server.ts";
import { testKeys } from "./helpers.ts";

const START = Date.UTC(2026, 10, 20, 14, 0, 0);
const SPAN_MS = 3 * 3_600_000; // three hours of market: many events open, close and settle
const SAMPLE_MS = 10_000;

interface Run {
  tape: string[];
  books: string[];
  settled: string[];
}

/** Drive a sim from START in steps of `stepMs`; optionally let a foreign account rest orders each step. */
async function run(seed: number, stepMs: number, foreign = false): Promise<Run> {
  const clock = new ManualClock(START);
  const keys = testKeys();
  const sim: SimServer = await startSimServer({
    port: 0,
    seed,
    clock,
    quiet: true,
    tier: "unlimited",
    accounts: [{ apiKeyId: "other", publicKeyPem: keys.publicKeyPem, balanceMicros: 1_000_000_000 }],
  });
  const out: Run = { tape: [], books: [], settled: [] };
  const off = sim.exchange.on((e) => {
    // Ids come from the exchange's id stream, which other accounts' orders also use: compare content.
    if (e.type === "trade") out.tape.push(`${e.trade.tsMs} ${e.trade.ticker} ${e.trade.price} ${e.trade.count} ${e.trade.takerSide}`);
  });
  const other = sim.exchange.accountsByKey.get("other")!;
  try {
    for (let t = START + stepMs; t <= START + SPAN_MS; t += stepMs) {
      clock.set(t);
      sim.tick();
      if (foreign) {
        // Orders placed and cancelled between the participants' turns: ids and sequence numbers
        // move on, the participants' draws must not.
        for (const m of sim.exchange.markets.values()) {
          if (m.status !== "active" || sim.exchange.top(m.ticker).ask <= 100) continue;
          sim.exchange.placeOrder(other.userId, {
            ticker: m.ticker,
            side: "bid",
            price: 100,
            count: 100,
            tif: "good_till_canceled",
            stp: "taker_at_cross",
          });
          for (const o of [...(other.resting.get(m.ticker) ?? [])]) sim.exchange.cancelResting(o, "Cancel");
        }
      }
      if (t % SAMPLE_MS === 0) {
        for (const m of sim.exchange.markets.values()) {
          if (m.status !== "active") continue;
          const top = sim.exchange.top(m.ticker);
          out.books.push(`${t} ${m.ticker} ${top.bid}x${top.bidSize} ${top.ask}x${top.askSize}`);
        }
      }
    }
    for (const m of sim.exchange.markets.values()) if (m.result) out.settled.push(`${m.ticker}=${m.result}`);
    return out;
  } finally {
    off();
    await sim.stop();
  }
}

describe("sim: a seed replays the same market", () => {
  test("same seed and start: the same tape, books and results whatever the step and another account's orders; another seed differs", async () => {
    const a = await run(5, 1_000);
    const b = await run(5, 10_000);
    const c = await run(5, 1_000, true);
    const d = await run(6, 1_000);
    console.log(
      `seed 5: ${a.tape.length} trades, ${a.books.length} book samples, ${a.settled.length} settled markets over ${SPAN_MS / 3_600_000} h`,
    );
    expect(a.tape.length).toBeGreaterThan(100);
    expect(a.settled.length).toBeGreaterThan(20);
    expect(b.tape).toEqual(a.tape);
    expect(b.books).toEqual(a.books);
    expect(b.settled).toEqual(a.settled);
    expect(c.tape).toEqual(a.tape);
    expect(c.books).toEqual(a.books);
    expect(c.settled).toEqual(a.settled);
    expect(d.tape).not.toEqual(a.tape);
    expect(d.settled).not.toEqual(a.settled);
  }, 120_000);
});
