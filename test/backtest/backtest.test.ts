// `kalshi-bot backtest` through the compiled binary: on the vendored real sample (3 kxhighny events,
// MIT) the report, files and picture, and numbers that agree with each other and with the recorded
// results; on small synthetic tapes the two fill rules that matter (a resting order at the touch
// waits for the volume queued ahead of it; taker orders pay Kalshi's fee formula); bad input.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, gunzipSync } from "node:zlib";
import { cleanup, ensureBinary, ROOT, runBin, tempDir, writeConfig } from "../helpers/bin.ts";

const SAMPLE = join(ROOT, "test", "fixtures", "kxhighny-sample");

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

/** Decimal dollar string ("-0.310000") to integer micros, without floats. */
function micros(s: string): number {
  const neg = s.startsWith("-");
  const [i, d = ""] = (neg ? s.slice(1) : s).split(".");
  const v = Number(i) * 1_000_000 + Number((d + "000000").slice(0, 6));
  return neg ? -v : v;
}

function parseCsv(text: string): Array<Record<string, string>> {
  const [head, ...rows] = text.trim().split("\r\n");
  const cols = head!.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, k) => [cols[k]!, v])));
}

/** Kalshi's taker fee, computed here from the published formula: ceil to $0.0001 of
 * 0.07 × C × P × (1 − P), in micros (P in cents, C whole contracts). */
function kalshiTakerFeeMicros(priceCents: number, contracts: number): number {
  return Math.ceil((7 * contracts * priceCents * (100 - priceCents)) / 100) * 100;
}

interface Summary {
  total: { fills: number; pnl_before_fees_dollars: string; fees_dollars: string; pnl_after_fees_dollars: string };
  by_strategy: Array<{ key: string; fills: number; pnl_after_fees_dollars: string }>;
  by_event: Array<{ key: string; fills: number; pnl_before_fees_dollars: string; fees_dollars: string; pnl_after_fees_dollars: string }>;
  start_dollars: string;
  end_dollars: string;
  ledger_check_dollars: string;
  max_drawdown_dollars: string;
  hit_rate: number | null;
}

describe("backtest on the vendored real sample", () => {
  let out: string;
  let run: Awaited<ReturnType<typeof runBin>>;
  beforeAll(async () => {
    const dir = tempDir("bt-sample");
    out = join(dir, "out");
    // Both strategies (the market maker ships disabled): the sample's fills are all the market maker's.
    writeConfig(dir, { trading: { strategies: { market_maker: { enabled: true } } } });
    run = await runBin(["backtest", "--data", SAMPLE, "--out", out], { cwd: dir, timeoutMs: 120_000 });
  }, 150_000);

  test("prints the report and writes the JSON, CSVs and a self-contained SVG equity curve", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Backtest: 3 events, 18 markets, 1593 trades (2025-01-28 to 2025-01-31)");
    for (const line of ["market_maker", "event_arbitrage", "P&L before fees", "Hit rate:", "Max drawdown:"])
      expect(run.stdout).toContain(line);
    for (const f of ["summary.json", "fills.csv", "events.csv", "strategies.csv", "equity.csv", "equity.svg"])
      expect(existsSync(join(out, f))).toBe(true);
    const svg = readFileSync(join(out, "equity.svg"), "utf8");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain("<polyline");
    // Self-contained: no script, no external reference.
    expect(svg).not.toMatch(/<script|href=|url\(/);
  });

  test("the numbers agree: events and strategies add up to the total, the ledger's cash to the fills", () => {
    const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Summary;
    expect(s.total.fills).toBeGreaterThan(0);
    const sum = (xs: string[]) => xs.reduce((a, x) => a + micros(x), 0);
    expect(sum(s.by_event.map((e) => e.pnl_after_fees_dollars))).toBe(micros(s.total.pnl_after_fees_dollars));
    expect(sum(s.by_event.map((e) => e.pnl_before_fees_dollars))).toBe(micros(s.total.pnl_before_fees_dollars));
    expect(sum(s.by_event.map((e) => e.fees_dollars))).toBe(micros(s.total.fees_dollars));
    expect(s.by_event.reduce((a, e) => a + e.fills, 0)).toBe(s.total.fills);
    expect(sum(s.by_strategy.map((e) => e.pnl_after_fees_dollars))).toBe(micros(s.total.pnl_after_fees_dollars));
    expect(micros(s.total.pnl_before_fees_dollars) - micros(s.total.fees_dollars)).toBe(micros(s.total.pnl_after_fees_dollars));
    // The ledger (fills and settlements through the engine's own Ledger) ends where the per-fill figures say.
    expect(s.ledger_check_dollars).toBe("0.000000");
    expect(micros(s.end_dollars) - micros(s.start_dollars)).toBe(micros(s.total.pnl_after_fees_dollars));
    expect(micros(s.max_drawdown_dollars)).toBeGreaterThanOrEqual(0);
  });

  test("every fill settles by the recorded result and pays the fee formula", () => {
    const results = new Map<string, string>();
    for (const d of ["2025-01-28", "2025-01-29", "2025-01-31"]) {
      const ev = JSON.parse(gunzipSync(readFileSync(join(SAMPLE, "events", `${d}.json.gz`))).toString()) as {
        markets: Array<{ ticker: string; result: string }>;
      };
      for (const m of ev.markets) results.set(m.ticker, m.result);
    }
    const fills = parseCsv(readFileSync(join(out, "fills.csv"), "utf8"));
    expect(fills.length).toBeGreaterThan(0);
    for (const f of fills) {
      expect(f.result).toBe(results.get(f.ticker!)!);
      const yes = micros(f.yes_price!) / 100; // Price units (1/10,000 $)
      const count = micros(f.count!) / 10_000; // Count units (1/100 contract)
      const paid = f.side === "buy YES" ? yes : 10_000 - yes;
      const pays = (f.side === "buy YES") === (f.result === "yes") ? 10_000 : 0;
      expect(micros(f.pnl_before_fees!)).toBe((pays - paid) * count);
      const fee = micros(f.fee!);
      // KXHIGHNY charges takers only (quadratic schedule).
      expect(fee).toBe(f.is_taker === "true" ? kalshiTakerFeeMicros(yes / 100, count / 100) : 0);
      expect(micros(f.pnl_after_fees!)).toBe(micros(f.pnl_before_fees!) - fee);
    }
  });
});

// ---- synthetic tapes ---------------------------------------------------------------------------

const T0 = Date.parse("2025-03-01T15:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

interface SynthMarket {
  ticker: string;
  result: "yes" | "no";
  trades: Array<{ s: number; price: number; count: number; taker: "yes" | "no" }>;
  /** Kalshi's strike fields (an exhaustive range ladder lets event arbitrage buy YES sets). */
  strike?: { strike_type: string; floor_strike?: number; cap_strike?: number };
}

/** A one-event tape folder in the kxhighny format. */
function writeTape(dir: string, eventTicker: string, mutuallyExclusive: boolean, markets: SynthMarket[], closeAfterS = 3600): string {
  const data = join(dir, "tape");
  mkdirSync(join(data, "events"), { recursive: true });
  mkdirSync(join(data, "trades"), { recursive: true });
  const event = {
    event: { event_ticker: eventTicker, series_ticker: "KXTEST", mutually_exclusive: mutuallyExclusive },
    markets: markets.map((m) => ({
      ticker: m.ticker,
      event_ticker: eventTicker,
      open_time: at(-60),
      close_time: at(closeAfterS),
      result: m.result,
      tick_size: 1,
      status: "finalized",
      ...m.strike,
    })),
  };
  const trades = Object.fromEntries(
    markets.map((m) => [
      m.ticker,
      // Newest first, as the API returns them.
      [...m.trades].reverse().map((t, k) => ({
        trade_id: `${m.ticker}-${k}`,
        ticker: m.ticker,
        count: t.count,
        created_time: at(t.s),
        yes_price: t.price,
        no_price: 100 - t.price,
        taker_side: t.taker,
      })),
    ]),
  );
  writeFileSync(join(data, "events", "2025-03-01.json.gz"), gzipSync(JSON.stringify(event)));
  writeFileSync(join(data, "trades", "2025-03-01.json.gz"), gzipSync(JSON.stringify(trades)));
  return data;
}

describe("the fill model on synthetic tapes", () => {
  test("a passive order at the touch does not fill until the volume queued ahead of it has traded", async () => {
    const dir = tempDir("bt-queue");
    // Book: a YES ask at 47 (10 lifted) and a YES bid at 43 (10 hit). The market maker (spread 0.04,
    // no skew) quotes 43 / 47: at the touch, behind 10 contracts on each side. Then sellers hit 43:
    // 4 (queue 6 left), 4 (2 left), 3 (1 reaches us), 5 (the last of our 2).
    const data = writeTape(
      dir,
      "KXTEST-Q",
      false,
      [
        {
          ticker: "KXTEST-Q-A",
          result: "yes",
          trades: [
            { s: 0, price: 47, count: 10, taker: "yes" },
            { s: 1, price: 43, count: 10, taker: "no" },
            { s: 90, price: 43, count: 4, taker: "no" },
            { s: 150, price: 43, count: 4, taker: "no" },
            { s: 210, price: 43, count: 3, taker: "no" },
            { s: 270, price: 43, count: 5, taker: "no" },
          ],
        },
      ],
      600,
    );
    writeConfig(dir, {
      trading: {
        strategies: {
          event_arbitrage: { enabled: false },
          market_maker: {
            enabled: true,
            spread: "0.04",
            quote_size: 2,
            skew_per_contract: "0",
            max_inventory: 10,
            stop_before_close_minutes: 0,
            min_book_contracts: 1,
            risk_aversion: 0,
          },
        },
      },
    });
    // The quoting rules that would move or pull the quote (inventory aversion, close, thin book) are
    // off: this test is about the fill model holding the quote's place in the queue.
    // --step 30: a pass at every print below (fills are stamped with the pass that saw them).
    const r = await runBin(["backtest", "--data", data, "--out", join(dir, "out"), "--step", "30"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const fills = parseCsv(readFileSync(join(dir, "out", "fills.csv"), "utf8"));
    // Nothing at 90 s or 150 s (the 8 contracts went to the 10 ahead); 1 at 210 s, 1 at 270 s.
    expect(fills.map((f) => [f.time, f.side, f.yes_price, f.count, f.is_taker])).toEqual([
      [at(210), "buy YES", "0.4300", "1.00", "false"],
      [at(270), "buy YES", "0.4300", "1.00", "false"],
    ]);
    // Settled YES: each contract bought at 0.43 made 0.57.
    expect(fills.map((f) => f.pnl_before_fees)).toEqual(["0.570000", "0.570000"]);
  });

  test("a print through the price fills a resting order whatever the queue; one at the price behind the queue does not", async () => {
    const dir = tempDir("bt-through");
    const data = writeTape(
      dir,
      "KXTEST-T",
      false,
      [
        {
          ticker: "KXTEST-T-A",
          result: "no",
          trades: [
            { s: 0, price: 47, count: 10, taker: "yes" },
            { s: 1, price: 43, count: 10, taker: "no" },
            { s: 90, price: 43, count: 5, taker: "no" },
            // Through our bid: the whole level at 43 traded, ours with it.
            { s: 150, price: 42, count: 1, taker: "no" },
          ],
        },
      ],
      600,
    );
    writeConfig(dir, {
      trading: {
        strategies: {
          event_arbitrage: { enabled: false },
          market_maker: {
            enabled: true,
            spread: "0.04",
            quote_size: 2,
            skew_per_contract: "0",
            max_inventory: 10,
            stop_before_close_minutes: 0,
            min_book_contracts: 1,
            risk_aversion: 0,
          },
        },
      },
    });
    const r = await runBin(["backtest", "--data", data, "--out", join(dir, "out"), "--step", "30"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const fills = parseCsv(readFileSync(join(dir, "out", "fills.csv"), "utf8"));
    // A 1-lot print fills at most 1 contract, at our price, as maker.
    expect(fills.map((f) => [f.time, f.yes_price, f.count, f.is_taker])).toEqual([[at(150), "0.4300", "1.00", "false"]]);
    expect(fills[0]!.pnl_before_fees).toBe("-0.430000");
  });

  test("taker orders (arbitrage) take only the tape's volume, pay Kalshi's fee formula, and settle by the result", async () => {
    const dir = tempDir("bt-arb");
    // Two exclusive outcomes offered at 0.40 and 0.50 (3 contracts lifted at each): buying both YES
    // costs 0.90 plus fees and pays 1. Only 3 contracts are visible on each leg.
    const data = writeTape(
      dir,
      "KXTEST-A",
      true,
      [
        // "below 50" and "50 or above": together they cover every outcome, so a YES set surely pays 1.
        {
          ticker: "KXTEST-A-X",
          result: "yes",
          trades: [{ s: 0, price: 40, count: 3, taker: "yes" }],
          strike: { strike_type: "less", cap_strike: 50 },
        },
        {
          ticker: "KXTEST-A-Y",
          result: "no",
          trades: [{ s: 0, price: 50, count: 3, taker: "yes" }],
          strike: { strike_type: "greater", floor_strike: 49 },
        },
      ],
      600,
    );
    writeConfig(dir, { trading: { strategies: { market_maker: { enabled: false }, event_arbitrage: { enabled: true, max_sets: 5 } } } });
    const r = await runBin(["backtest", "--data", data, "--out", join(dir, "out")], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const fills = parseCsv(readFileSync(join(dir, "out", "fills.csv"), "utf8"));
    expect(fills.length).toBeGreaterThan(0);
    const byTicker = new Map<string, number>();
    for (const f of fills) {
      expect(f.is_taker).toBe("true");
      expect(f.strategy).toBe("event_arbitrage");
      const cents = micros(f.yes_price!) / 10_000;
      const contracts = micros(f.count!) / 1_000_000;
      expect(micros(f.fee!)).toBe(kalshiTakerFeeMicros(cents, contracts));
      byTicker.set(f.ticker!, (byTicker.get(f.ticker!) ?? 0) + contracts);
    }
    // Never more than the tape showed at each price, and whole sets (equal legs).
    expect(byTicker.get("KXTEST-A-X")).toBeLessThanOrEqual(3);
    expect(byTicker.get("KXTEST-A-X")).toBe(byTicker.get("KXTEST-A-Y"));
    const s = JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8")) as Summary;
    const sets = byTicker.get("KXTEST-A-X")!;
    // Each set paid 1 and cost 0.90: 0.10 before fees.
    expect(micros(s.total.pnl_before_fees_dollars)).toBe(sets * 100_000);
    expect(micros(s.total.fees_dollars)).toBe(fills.reduce((a, f) => a + micros(f.fee!), 0));
    expect(s.ledger_check_dollars).toBe("0.000000");
  });
});

describe("fair_value in a backtest", () => {
  test("reads its probabilities from fair_value.source and trades on the tape like the other strategies", async () => {
    const dir = tempDir("bt-fv");
    // Asks at 0.47 (10 lifted); the file says 0.90: fair_value buys YES, at most the tape's 10.
    const data = writeTape(
      dir,
      "KXTEST-F",
      false,
      [
        {
          ticker: "KXTEST-F-A",
          result: "yes",
          trades: [
            { s: 0, price: 47, count: 10, taker: "yes" },
            { s: 1, price: 43, count: 10, taker: "no" },
          ],
        },
      ],
      600,
    );
    writeFileSync(join(dir, "probs.json"), JSON.stringify({ "KXTEST-F-A": 0.9 }));
    writeConfig(dir, {
      trading: {
        strategies: {
          event_arbitrage: { enabled: false },
          market_maker: { enabled: false },
          fair_value: { enabled: true, source: "probs.json", max_contracts: 50, max_order_dollars: "100" },
        },
      },
    });
    const r = await runBin(["backtest", "--data", data, "--out", join(dir, "out")], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const fills = parseCsv(readFileSync(join(dir, "out", "fills.csv"), "utf8"));
    expect(fills.length).toBeGreaterThan(0);
    expect(new Set(fills.map((f) => f.strategy))).toEqual(new Set(["fair_value"]));
    const bought = fills.reduce((a, f) => a + micros(f.count!) / 1_000_000, 0);
    expect(bought).toBeGreaterThan(0);
    expect(bought).toBeLessThanOrEqual(10);
    for (const f of fills) expect([f.side, f.yes_price, f.is_taker]).toEqual(["buy YES", "0.4700", "true"]);
  });

  test("a URL source is refused (a backtest fetches nothing): exit 2, one line", async () => {
    const dir = tempDir("bt-fv");
    writeConfig(dir, { trading: { strategies: { fair_value: { enabled: true, source: "http://127.0.0.1:9/p.json" } } } });
    const r = await runBin(["backtest", "--data", SAMPLE, "--out", join(dir, "out")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(r.stderr).toContain("fetches nothing");
  });
});

describe("bad input: one line, exit 2", () => {
  const oneLine = (r: { stderr: string; stdout: string }) => {
    const lines = r.stderr.trim().split("\n");
    expect(lines.length).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  test("no --data", async () => {
    const r = await runBin(["backtest"], { cwd: tempDir("bt-bad") });
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.stderr).toContain("--data");
  });

  test("a folder that does not exist", async () => {
    const dir = tempDir("bt-bad");
    const r = await runBin(["backtest", "--data", join(dir, "nope")], { cwd: dir });
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.stderr).toContain("no such folder");
  });

  test("a folder in another format", async () => {
    const dir = tempDir("bt-bad");
    mkdirSync(join(dir, "x"));
    const r1 = await runBin(["backtest", "--data", join(dir, "x")], { cwd: dir });
    expect(r1.code).toBe(2);
    oneLine(r1);
    expect(r1.stderr).toContain("events/ and trades/");
    mkdirSync(join(dir, "x", "events"));
    mkdirSync(join(dir, "x", "trades"));
    writeFileSync(join(dir, "x", "events", "2025-01-01.json.gz"), gzipSync(JSON.stringify({ hello: "world" })));
    writeFileSync(join(dir, "x", "trades", "2025-01-01.json.gz"), gzipSync("{}"));
    const r2 = await runBin(["backtest", "--data", join(dir, "x")], { cwd: dir });
    expect(r2.code).toBe(2);
    oneLine(r2);
    expect(r2.stderr).toContain("not a kxhighny event file");
    writeFileSync(join(dir, "x", "events", "2025-01-01.json.gz"), "not gzip");
    const r3 = await runBin(["backtest", "--data", join(dir, "x")], { cwd: dir });
    expect(r3.code).toBe(2);
    oneLine(r3);
    expect(r3.stderr).toContain("not a readable gzip file");
  });

  test("a bad --step or --from", async () => {
    const dir = tempDir("bt-bad");
    const r = await runBin(["backtest", "--data", SAMPLE, "--step", "-5"], { cwd: dir });
    expect(r.code).toBe(2);
    oneLine(r);
    const r2 = await runBin(["backtest", "--data", SAMPLE, "--from", "yesterday"], { cwd: dir });
    expect(r2.code).toBe(2);
    oneLine(r2);
  });
});

/** A copy of the vendored sample with `edit` applied to each event file and trades file (parsed JSON). */
function sampleCopy(
  name: string,
  edit: {
    event?: (file: { event: Record<string, unknown>; markets: Array<Record<string, unknown>> }, date: string) => void;
    trades?: (file: Record<string, Array<Record<string, unknown>>>) => void;
  },
): string {
  const dir = join(tempDir(name), "data");
  for (const kind of ["events", "trades"] as const) {
    mkdirSync(join(dir, kind), { recursive: true });
    for (const f of readdirSync(join(SAMPLE, kind))) {
      const json = JSON.parse(gunzipSync(readFileSync(join(SAMPLE, kind, f))).toString("utf8"));
      if (kind === "events") edit.event?.(json, f.slice(0, 10));
      else edit.trades?.(json);
      writeFileSync(join(dir, kind, f), gzipSync(JSON.stringify(json)));
    }
  }
  return dir;
}

/** Cents (an integer) as Kalshi's dollar string today: 56 → "0.5600". */
const dollars = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}00`;

describe("tapes in today's fields, and events not settled", () => {
  const run = async (data: string) => {
    const dir = tempDir("bt-vintage");
    writeConfig(dir, { trading: { strategies: { market_maker: { enabled: true } } } });
    const r = await runBin(["backtest", "--data", data, "--out", join(dir, "out")], { cwd: dir, timeoutMs: 120_000 });
    const summary = r.code === 0 ? JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8")) : null;
    return { ...r, summary, fills: r.code === 0 ? readFileSync(join(dir, "out", "fills.csv"), "utf8") : "" };
  };

  test("GET /markets/trades as Kalshi answers it now (dollar strings, count_fp, price_ranges) replays exactly as the legacy cents", async () => {
    const current = sampleCopy("bt-current", {
      event: (e) => {
        for (const m of e.markets) {
          m.price_ranges = [{ start: "0.0000", end: "1.0000", step: dollars(Number(m.tick_size ?? 1)) }];
          delete m.tick_size;
        }
      },
      trades: (file) => {
        for (const trades of Object.values(file))
          for (const t of trades) {
            const yes = Number(t.yes_price);
            t.yes_price_dollars = dollars(yes);
            t.no_price_dollars = dollars(100 - yes);
            t.count_fp = `${t.count}.00`;
            t.taker_outcome_side = t.taker_side;
            t.taker_book_side = t.taker_side === "yes" ? "bid" : "ask";
            for (const k of ["yes_price", "no_price", "count", "taker_side"]) delete t[k];
          }
      },
    });
    const [legacy, now] = await Promise.all([run(SAMPLE), run(current)]);
    expect(legacy.code).toBe(0);
    expect(now.stderr).toBe("");
    expect(now.code).toBe(0);
    expect(now.summary.total.fills).toBeGreaterThan(0);
    // The same trades in other words: the same fills, at the same prices, to the micro.
    expect(now.fills).toBe(legacy.fills);
    expect(now.summary.total).toEqual(legacy.summary.total);
    expect(now.summary.end_dollars).toBe(legacy.summary.end_dollars);
  }, 200_000);

  test("an event with a market not settled (or voided) is left out and named; the others replay", async () => {
    const data = sampleCopy("bt-unsettled", {
      event: (e, date) => {
        if (date === "2025-01-28") e.markets[0]!.result = "";
        if (date === "2025-01-29") e.markets[2]!.result = "void";
      },
    });
    const r = await run(data);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Backtest: 1 events, 6 markets");
    expect(r.stdout).toContain(
      "2 event(s) left out, a market without a yes/no result (not settled, or voided): KXHIGHNY-25JAN28, KXHIGHNY-25JAN29",
    );
    expect(r.summary.data.left_out_events).toEqual(["KXHIGHNY-25JAN28", "KXHIGHNY-25JAN29"]);
    expect(r.summary.by_event.map((e: { key: string }) => e.key)).toEqual(["KXHIGHNY-25JAN31"]);
  }, 150_000);

  test("a tape with no settled event: one line naming them, exit 2", async () => {
    const data = sampleCopy("bt-none-settled", { event: (e) => void (e.markets[0]!.result = "") });
    const dir = tempDir("bt-none");
    const r = await runBin(["backtest", "--data", data], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(r.stderr).toContain("nothing to replay: its 3 event(s) have a market without a yes/no result");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
