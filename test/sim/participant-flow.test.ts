// A recording of the participants replays the same orders and cancels on another exchange of the
// same seed, whatever another account does there: the market the paper-vs-live bench uses to
// measure the fill model alone (scripts/bench/paper-parity.ts --flow fixed). Without the
// recording, the same foreign trading changes what the participants send (they react to it).
import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/sim/clock.ts";
import { ParticipantFlow, type FlowMode } from "../../src/sim/participant-flow.ts";
import { startSimServer } from "../../src/sim/server.ts";
import { testKeys } from "./helpers.ts";

const START = Date.UTC(2026, 10, 20, 14, 0, 0);
const SPAN_MS = 40 * 60_000;
const FOREIGN_EVERY_MS = 20_000;

interface Run {
  tape: string[];
  /** Every order the participants sent, in order: time, user, market, side, price, size. */
  sent: string[];
  books: string[];
  foreignFills: number;
}

async function run(seed: number, opts: { flow?: FlowMode; foreign?: boolean }): Promise<Run> {
  const clock = new ManualClock(START);
  const keys = testKeys();
  const sim = await startSimServer({
    port: 0,
    seed,
    clock,
    quiet: true,
    tier: "unlimited",
    ...(opts.flow ? { flow: opts.flow } : {}),
    accounts: [{ apiKeyId: "other", publicKeyPem: keys.publicKeyPem, balanceMicros: 1_000_000_000_000_000 }],
  });
  const out: Run = { tape: [], sent: [], books: [], foreignFills: 0 };
  const other = sim.exchange.accountsByKey.get("other")!;
  const seen = new Set<string>();
  const off = sim.exchange.on((e) => {
    if (e.type === "trade") out.tape.push(`${e.trade.tsMs} ${e.trade.ticker} ${e.trade.price} ${e.trade.count} ${e.trade.takerSide}`);
    // Orders from the exchange's start (before this listener) show up only when they change: left out.
    if (e.type === "order" && e.order.userId.startsWith("sim-") && e.order.createdMs > START && !seen.has(e.order.id)) {
      seen.add(e.order.id);
      const o = e.order;
      out.sent.push(`${o.createdMs} ${o.userId} ${o.ticker} ${o.side} ${o.price} ${o.initial}`);
    }
    if (e.type === "fill" && e.fill.userId === other.userId) out.foreignFills++;
  });
  try {
    for (let t = START + 1_000; t <= START + SPAN_MS; t += 1_000) {
      clock.set(t);
      sim.tick();
      if (opts.foreign && t % FOREIGN_EVERY_MS === 0) {
        // Take each active market's whole best ask: the makers' quotes there are gone, unlike on
        // the recording exchange.
        for (const m of sim.exchange.markets.values()) {
          const top = sim.exchange.top(m.ticker);
          if (m.status !== "active" || top.askSize <= 0) continue;
          sim.exchange.placeOrder(other.userId, {
            ticker: m.ticker,
            side: "bid",
            price: top.ask,
            count: top.askSize,
            tif: "immediate_or_cancel",
            stp: "taker_at_cross",
          });
        }
      }
      if (t % 10_000 === 0)
        for (const m of sim.exchange.markets.values()) {
          if (m.status !== "active") continue;
          const top = sim.exchange.top(m.ticker);
          out.books.push(`${t} ${m.ticker} ${top.bid}x${top.bidSize} ${top.ask}x${top.askSize}`);
        }
    }
    return out;
  } finally {
    off();
    await sim.stop();
  }
}

describe("sim: the participants' recorded flow", () => {
  test("replayed alone, it is the same market; beside foreign trading, the same orders where the reactive market sends others", async () => {
    const flow = new ParticipantFlow();
    const recorded = await run(9, { flow: { record: flow } });
    const plain = await run(9, {});
    const replayed = await run(9, { flow: { replay: flow } });
    const reactiveForeign = await run(9, { foreign: true });
    const replayedForeign = await run(9, { flow: { replay: flow }, foreign: true });
    console.log(
      `seed 9, ${SPAN_MS / 60_000} min: ${flow.size} recorded orders and cancels, ${recorded.sent.length} orders, ${recorded.tape.length} trades; ` +
        `foreign fills ${reactiveForeign.foreignFills} (reactive) / ${replayedForeign.foreignFills} (replayed)`,
    );
    expect(recorded.sent.length).toBeGreaterThan(1_000);
    expect(recorded.tape.length).toBeGreaterThan(20);
    // Recording changes nothing; the replay alone is the same market, trade for trade.
    expect(plain.sent).toEqual(recorded.sent);
    expect(plain.tape).toEqual(recorded.tape);
    expect(replayed.sent).toEqual(recorded.sent);
    expect(replayed.tape).toEqual(recorded.tape);
    expect(replayed.books).toEqual(recorded.books);
    // The foreign account traded in both, and the reactive participants answered it with other orders.
    expect(reactiveForeign.foreignFills).toBeGreaterThan(10);
    expect(replayedForeign.foreignFills).toBeGreaterThan(10);
    expect(reactiveForeign.sent).not.toEqual(recorded.sent);
    // Replaying, they send exactly the recorded orders whatever the foreign account did.
    expect(replayedForeign.sent).toEqual(recorded.sent);
    expect(replayedForeign.tape).not.toEqual(recorded.tape);
  }, 120_000);
});
