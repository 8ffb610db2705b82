// Paper trading in the daemon takes the same narrow requote path as live (Engine.requote): a book
// update of a market where market_maker quotes is decided from the update itself, on that market
// alone, not left to a general pass at most every 250 ms. The difference between paper and live is
// the transport and its fill model only; before, paper's quotes followed a move only by the general
// passes, so a live daemon made intermediate amends a paper one did not (issue 13, seed 2 of the
// daemon parity bench). Through the binary against the local exchange on 127.0.0.1, real SQLite.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { Account } from "../../src/sim/accounts.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const POKE = "poke-user";

interface Quote {
  id: number;
  ticker: string;
  side: "bid" | "ask";
  price: number;
}

function paperQuotes(dir: string): Quote[] {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return d
      .query("select id, ticker, side, price from orders where paper = 1 and status = 'resting' and strategy = 'market_maker' order by id")
      .all() as Quote[];
  } finally {
    d.close();
  }
}

describe("paper daemon: the narrow requote path", () => {
  test("a move in a quoted market is requoted from the update itself, as live does, and the paper quote follows", async () => {
    const dir = tempDir("paper-narrow");
    const v = await startVenue(dir, { seed: 51, markets: 40 });
    v.sim.exchange.addAccount(new Account(POKE, 1_000_000_000_000, null, null, true));
    try {
      const cfg = writeBotConfig(dir, v, {
        trading: {
          dry_run: true,
          cycle_interval_seconds: 60,
          strategies: { market_maker: { max_markets: 3, stop_before_close_minutes: 0 } },
        },
      });
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      await bot.waitFor(/cycle 1 \(trade, dry-run\)/, 30_000);
      const bids = () => paperQuotes(dir).filter((x) => x.side === "bid");
      await until("paper bids resting", () => bids().length >= 2 || null, 15_000);
      // What the first cycle left is settled by the passes that follow it.
      await Bun.sleep(1_500);
      // Another account bids just under the ask of a market we quote: its fair value moves.
      const before = paperQuotes(dir);
      const q = bids().find((x) => {
        const top = v.sim.exchange.top(x.ticker);
        const price = top.ask - 200 > top.bid ? top.ask - 200 : top.ask - 100;
        if (price <= top.bid) return false;
        v.sim.exchange.placeOrder(POKE, {
          ticker: x.ticker,
          side: "bid",
          price,
          count: 50 * COUNT_ONE,
          tif: "good_till_canceled",
          stp: "taker_at_cross",
        });
        return true;
      });
      expect(q).toBeDefined();
      const o0 = bot.output().length;
      const line = new RegExp(`narrow requote ${q!.ticker}: [^\\n]*amend amended \\(paper\\)`);
      await until("paper's narrow requote", () => line.test(bot.output().slice(o0)) || null, 10_000);
      // The paper quotes in that market moved with it.
      const prices = (qs: Quote[]) => qs.filter((x) => x.ticker === q!.ticker).map((x) => `${x.side} ${x.price}`);
      expect(prices(paperQuotes(dir))).not.toEqual(prices(before));
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 120_000);
});
