// Between full loads, the daemon's once-a-minute look at its scope reads only the markets whose
// metadata changed since its last look (GET /markets?min_updated_ts per series; issue 14, the
// daemon's memory): a market paused on the exchange, whose live book stays as it was and about
// which the daemon hears nothing else, must still leave the markets it trades at that look, without
// a full load. Through the binary as a daemon with its WebSocket books, against the local exchange.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ScenarioInput } from "../../src/sim/scenario-schema.ts";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, quietMakerOnly, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const QUOTED = "KXS-E-A";
const PAUSED = "KXS-E-B";

/** Two markets of one event, nobody else trading. */
const scenario: ScenarioInput = {
  name: "market-update",
  series: [{ ticker: "KXS", title: "S", fee_type: "quadratic", fee_multiplier: 1 }],
  events: [
    {
      event_ticker: "KXS-E",
      series_ticker: "KXS",
      title: "E",
      close_in_s: 86_400,
      liquidity: "none",
      markets: [
        { ticker: QUOTED, yes_sub_title: "A", book: { yes: [["0.4000", "20.00"]], no: [["0.5000", "20.00"]] } },
        { ticker: PAUSED, yes_sub_title: "B", book: { yes: [["0.3000", "20.00"]], no: [["0.6000", "20.00"]] } },
      ],
    },
  ],
  participants: { makers: false, noise_takers: false, informed_takers: false, arbitrageurs: false, mispricing_every_s: 0, activity: 0 },
};

const SCANNED = /markets scanned: (\d+) in \d+ events/g;
const FULL_LOAD_PAGE = /DEBUG GET \/events 200/g;

describe("the daemon's look at its scope between full loads", () => {
  test("a market paused on the exchange leaves the traded markets at the next look, without a full load", async () => {
    const dir = tempDir("market-update-");
    const v = await startVenue(dir, { seed: 1, scenario });
    try {
      const cfg = writeBotConfig(dir, v, { trading: { strategies: quietMakerOnly({ stop_before_close_minutes: 0 }) } });
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      await bot.waitFor(/markets scanned: 2 in 1 events/, 30_000);
      const pagesBefore = bot.output().match(FULL_LOAD_PAGE)?.length ?? 0;
      expect(pagesBefore).toBeGreaterThan(0);
      // Later than the markets' creation on the exchange's clock, then the pause: the only change.
      v.step(10_000);
      v.sim.exchange.pauseMarket(PAUSED);
      // The next look comes a minute after the first load (cycles every second in between).
      await bot.waitFor(/markets scanned: 1 in 1 events/, 100_000);
      const scanned = [...bot.output().matchAll(SCANNED)].map((m) => Number(m[1]));
      // Two markets until the look, one from it on.
      expect(scanned.indexOf(1)).toBeGreaterThan(scanned.lastIndexOf(2));
      // Read by the update, not by a full load (whose pages are GET /events).
      expect(bot.output().match(FULL_LOAD_PAGE)?.length ?? 0).toBe(pagesBefore);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 150_000);
});
