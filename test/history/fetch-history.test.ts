// `kalshi-bot fetch-history` through the binary against `kalshi-bot sim` (loopback only): it writes
// the tape format `backtest --data` reads, complete (per market, the trades and the one-minute
// candles each add up to the volume the exchange reports), an interrupted run resumes to the same
// bytes as an uninterrupted one, archived markets' candles come from the historical endpoint (its
// answer checked against the OpenAPI schema), and bad input is one line with exit 2.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { cleanup, ensureBinary, runBin, startBin, tempDir, type Running } from "../helpers/bin.ts";
import { until as untilWith } from "../helpers/until.ts";
import { checkRest } from "../contract/spec.ts";

// Looks 100 ms apart: the local exchange's public rate limit answers faster polling with 429s.
const until = <T>(what: string, f: () => Promise<T | null>, ms: number) => untilWith(what, f, ms, { pollMs: 100 });

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const gz = (p: string): unknown => JSON.parse(gunzipSync(readFileSync(p)).toString("utf8"));

type Ev = { event_ticker: string; markets?: Array<{ status: string; result?: string }> };

let sim: Running;
let dir: string;
let base: string;
/** Two finalized KXHIGHNY event dates. */
let from: string;
let to: string;

beforeAll(async () => {
  dir = tempDir("fetch-history");
  // Fast clock so events settle within seconds; every response slowed so a run is slow enough to
  // interrupt between two events.
  sim = startBin(["sim", "--port", "0", "--print-config", "--speed", "200", "--faults", "slow=1,slow_ms=60"], { cwd: dir });
  const out = await sim.waitFor(/sim: REST /, 15_000);
  const config = /^\{[\s\S]*?\n\}\n/m.exec(out)![0];
  writeFileSync(join(dir, "advanced_config.json"), config);
  base = (JSON.parse(config) as { exchange: { base_url: string } }).exchange.base_url;
  const done = await until(
    "two finalized KXHIGHNY events",
    async () => {
      const r = (await (await fetch(`${base}/events?series_ticker=KXHIGHNY&with_nested_markets=true`)).json()) as { events: Ev[] };
      const fin = r.events.filter((e) => e.markets?.length && e.markets.every((m) => m.status === "finalized")).map((e) => e.event_ticker);
      return fin.length >= 2 ? fin.slice(0, 2) : null;
    },
    90_000,
  );
  const date = (t: string) => {
    const m = /-(\d{2})([A-Z]{3})(\d{2})$/.exec(t)!;
    const mon = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"].indexOf(m[2]!) + 1;
    return `20${m[1]}-${String(mon).padStart(2, "0")}-${m[3]}`;
  };
  [from, to] = done.map(date) as [string, string];
}, 120_000);

afterAll(async () => {
  await sim?.stop();
});

type Candles = {
  period_interval: number;
  markets: Record<
    string,
    { source: string; candlesticks: Array<{ end_period_ts: number; volume_fp: string; price: { close_dollars: string | null } }> }
  >;
};
/** A market's candle volume in whole contracts. */
const candleVolume = (c: Candles, ticker: string) => c.markets[ticker]!.candlesticks.reduce((a, k) => a + Number(k.volume_fp), 0);

const files = (d: string) =>
  ["events", "trades", "candles"]
    .flatMap((k) =>
      readdirSync(join(d, k))
        .filter((f) => f.endsWith(".json.gz"))
        .map((f) => `${k}/${f}`),
    )
    .sort();

test("fetch-history writes a complete tape that backtest --data runs on", async () => {
  const r = await runBin(["fetch-history", "--series", "KXHIGHNY", "--from", from, "--to", to, "--out", "full"], {
    cwd: dir,
    timeoutMs: 90_000,
  });
  expect(r.code, r.output).toBe(0);
  expect(r.stdout).toContain("written: 2 event(s)");
  const out = join(dir, "full");
  expect(files(out)).toEqual([
    `candles/${from}.json.gz`,
    `candles/${to}.json.gz`,
    `events/${from}.json.gz`,
    `events/${to}.json.gz`,
    `trades/${from}.json.gz`,
    `trades/${to}.json.gz`,
  ]);
  expect(r.stdout).toMatch(/candles: [1-9]\d* one-minute candle\(s\) written to candles\//);
  for (const d of [from, to]) {
    const ev = gz(join(out, "events", `${d}.json.gz`)) as {
      event: { series_ticker: string };
      markets: Array<{ ticker: string; result: string; volume: number }>;
    };
    const tr = gz(join(out, "trades", `${d}.json.gz`)) as Record<
      string,
      Array<{ trade_id: string; count: number; yes_price: number; created_time: string; taker_side: string }>
    >;
    expect(ev.event.series_ticker).toBe("KXHIGHNY");
    // Every market's one-minute candles from the live endpoint (not archived): their volume is the market's.
    const cd = gz(join(out, "candles", `${d}.json.gz`)) as Candles;
    expect(cd.period_interval).toBe(1);
    expect(Object.keys(cd.markets).sort()).toEqual(ev.markets.map((m) => m.ticker).sort());
    for (const m of ev.markets) {
      expect(cd.markets[m.ticker]!.source).toBe("live");
      expect(candleVolume(cd, m.ticker)).toBe(m.volume);
      const ends = cd.markets[m.ticker]!.candlesticks.map((k) => k.end_period_ts);
      expect(ends).toEqual([...new Set(ends)].sort((a, b) => a - b));
    }
    expect(ev.markets.filter((m) => m.result === "yes").length).toBe(1);
    let trades = 0;
    for (const m of ev.markets) {
      const list = tr[m.ticker] ?? [];
      // Complete and never doubled: the counts add up to the volume the exchange reports.
      expect(list.reduce((s, t) => s + t.count, 0)).toBe(m.volume);
      expect(new Set(list.map((t) => t.trade_id)).size).toBe(list.length);
      for (let i = 1; i < list.length; i++)
        expect(Date.parse(list[i - 1]!.created_time)).toBeGreaterThanOrEqual(Date.parse(list[i]!.created_time));
      for (const t of list) {
        expect(Number.isInteger(t.yes_price) && t.yes_price >= 1 && t.yes_price <= 99).toBe(true);
        expect(["yes", "no"]).toContain(t.taker_side);
      }
      trades += list.length;
    }
    expect(trades).toBeGreaterThan(0);
  }
  const bt = await runBin(["backtest", "--data", "full", "--out", "bt"], { cwd: dir, timeoutMs: 90_000 });
  expect(bt.code, bt.output).toBe(0);
  expect(bt.stdout).toContain(`Backtest: 2 events, 14 markets`);
  expect(existsSync(join(dir, "bt", "equity.svg"))).toBe(true);
  // Re-running fetches nothing again.
  const again = await runBin(["fetch-history", "--series", "KXHIGHNY", "--from", from, "--to", to, "--out", "full"], {
    cwd: dir,
    timeoutMs: 90_000,
  });
  expect(again.code, again.output).toBe(0);
  expect(again.stdout).toContain("written: 0 event(s), 0 trade(s); already complete: 2");
  expect(again.stdout).toContain("candles: 0 one-minute candle(s)");
  // A date complete but for its candles (a folder an older version wrote): the candles alone come back, the same bytes.
  const cdFile = join(out, "candles", `${from}.json.gz`);
  const saved = readFileSync(cdFile);
  rmSync(cdFile);
  const back = await runBin(["fetch-history", "--series", "KXHIGHNY", "--from", from, "--to", to, "--out", "full"], {
    cwd: dir,
    timeoutMs: 90_000,
  });
  expect(back.code, back.output).toBe(0);
  expect(back.stdout).toContain("written: 0 event(s), 0 trade(s); already complete: 2");
  expect(back.stdout).toMatch(/candles: [1-9]\d* one-minute candle\(s\)/);
  expect(Buffer.compare(readFileSync(cdFile), saved)).toBe(0);
}, 200_000);

test("an interrupted fetch resumes to the same files as an uninterrupted one", async () => {
  const args = ["fetch-history", "--series", "KXHIGHNY", "--from", from, "--to", to, "--out", "resumed"];
  const run = startBin(args, { cwd: dir });
  const state = join(dir, "resumed", ".fetch-history.json");
  await until(
    "the first event written",
    async () =>
      existsSync(state) && Object.keys((JSON.parse(readFileSync(state, "utf8")) as { done: object }).done).length >= 1 ? true : null,
    60_000,
  );
  const code = await run.stop("SIGINT");
  expect(code, run.output()).toBe(130);
  expect(run.output()).toContain("the same command continues from there");
  expect(files(join(dir, "resumed"))).toEqual([`candles/${from}.json.gz`, `events/${from}.json.gz`, `trades/${from}.json.gz`]);
  const r = await runBin(args, { cwd: dir, timeoutMs: 90_000 });
  expect(r.code, r.output).toBe(0);
  expect(r.stdout).toContain("written: 1 event(s)");
  expect(r.stdout).toContain("already complete: 1");
  const full = join(dir, "full");
  expect(existsSync(full)).toBe(true);
  for (const f of files(full)) expect(Buffer.compare(readFileSync(join(dir, "resumed", f)), readFileSync(join(full, f))), f).toBe(0);
  expect(files(join(dir, "resumed"))).toEqual(files(full));
}, 200_000);

test("bad input: one line naming the fix, exit 2", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--from", "2026-01-01", "--to", "2026-01-02", "--out", "x"], /needs --series TICKER/],
    [["--series", "kxhighny", "--from", "2026-01-01", "--to", "2026-01-02", "--out", "x"], /expected a series ticker in capitals/],
    [["--series", "KXHIGHNY", "--from", "2026-13-01", "--to", "2026-12-02", "--out", "x"], /--from 2026-13-01: expected a date/],
    [["--series", "KXHIGHNY", "--from", "2026-02-01", "--to", "2026-01-02", "--out", "x"], /is after --to/],
    [["--series", "KXHIGHNY", "--from", "2026-01-01", "--to", "2026-01-02"], /needs --out DIR/],
    [["--series", "KXNOSUCH", "--from", "2026-01-01", "--to", "2026-01-02", "--out", "x"], /series KXNOSUCH has no events/],
    [
      ["--series", "KXHIGHNY", "--from", "2000-01-01", "--to", "2000-01-02", "--out", "x"],
      /no event dated 2000-01-01 to 2000-01-02; its events are dated/,
    ],
    [["--series", "KXHIGHCHI", "--from", from, "--to", to, "--out", "full"], /holds series KXHIGHNY, not KXHIGHCHI/],
  ];
  for (const [args, re] of cases) {
    const r = await runBin(["fetch-history", ...args], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  }
  // The embedded exchange has no history: refused before anything is written.
  const d2 = tempDir("fetch-history-embedded");
  writeFileSync(join(d2, "advanced_config.json"), JSON.stringify({ exchange: { environment: "sim" } }));
  const r = await runBin(["fetch-history", "--series", "KXHIGHNY", "--from", "2026-01-01", "--to", "2026-01-02", "--out", "x"], {
    cwd: d2,
  });
  expect(r.code, r.output).toBe(2);
  expect(r.stderr).toMatch(/a fresh embedded exchange has no history/);
  expect(existsSync(join(d2, "x"))).toBe(false);
}, 200_000);

test("an exchange that archives (sim --history-after 0): markets and trades come from /historical/*, the tape is still complete", async () => {
  const d = tempDir("fetch-history-archived");
  const s = startBin(["sim", "--port", "0", "--print-config", "--speed", "200", "--history-after", "0"], { cwd: d });
  try {
    const out = await s.waitFor(/sim: REST /, 15_000);
    const config = /^\{[\s\S]*?\n\}\n/m.exec(out)![0];
    writeFileSync(join(d, "advanced_config.json"), config);
    const url = (JSON.parse(config) as { exchange: { base_url: string } }).exchange.base_url;
    type M = { ticker: string; event_ticker: string; status: string };
    const archived = await until(
      "two archived KXHIGHNY events",
      async () => {
        const r = (await (await fetch(`${url}/historical/markets?series_ticker=KXHIGHNY`)).json()) as { markets: M[] };
        const evs = [...new Set(r.markets.filter((m) => m.status === "finalized").map((m) => m.event_ticker))].sort();
        return evs.length >= 2 ? { evs: evs.slice(0, 2), markets: r.markets } : null;
      },
      90_000,
    );
    // Archived markets left the live endpoints: GET /markets and the live tape no longer have them.
    const live = (await (await fetch(`${url}/markets?event_ticker=${archived.evs[0]}`)).json()) as { markets: M[] };
    expect(live.markets).toEqual([]);
    const liveTrades = (await (
      await fetch(`${url}/markets/trades?ticker=${archived.markets.find((m) => m.event_ticker === archived.evs[0])!.ticker}`)
    ).json()) as { trades: unknown[] };
    expect(liveTrades.trades).toEqual([]);
    const dates = archived.evs.map((t) => {
      const m = /-(\d{2})([A-Z]{3})(\d{2})$/.exec(t)!;
      const mon = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"].indexOf(m[2]!) + 1;
      return `20${m[1]}-${String(mon).padStart(2, "0")}-${m[3]}`;
    });
    const r = await runBin(["fetch-history", "--series", "KXHIGHNY", "--from", dates[0]!, "--to", dates[1]!, "--out", "tape"], {
      cwd: d,
      timeoutMs: 90_000,
    });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toContain("written: 2 event(s)");
    for (const date of dates) {
      const ev = gz(join(d, "tape", "events", `${date}.json.gz`)) as { markets: Array<{ ticker: string; volume: number }> };
      const tr = gz(join(d, "tape", "trades", `${date}.json.gz`)) as Record<string, Array<{ count: number }>>;
      expect(ev.markets.length).toBe(7);
      let total = 0;
      for (const m of ev.markets) {
        const sum = (tr[m.ticker] ?? []).reduce((a, t) => a + t.count, 0);
        expect(sum).toBe(m.volume);
        total += sum;
      }
      expect(total).toBeGreaterThan(0);
      // Archived markets' candles come from GET /historical/markets/{ticker}/candlesticks, whose
      // answer matches the OpenAPI schema and carries the same figures as the file.
      const cd = gz(join(d, "tape", "candles", `${date}.json.gz`)) as Candles;
      for (const m of ev.markets) {
        expect(cd.markets[m.ticker]!.source).toBe("historical");
        expect(candleVolume(cd, m.ticker)).toBe(m.volume);
      }
      const m0 = ev.markets.find((m) => m.volume > 0)!;
      const ends = cd.markets[m0.ticker]!.candlesticks.map((k) => k.end_period_ts);
      for (const period of [1, 60]) {
        const path = `/historical/markets/${m0.ticker}/candlesticks?start_ts=${ends[0]! - 3600}&end_ts=${ends[ends.length - 1]! + 3600}&period_interval=${period}`;
        const res = await fetch(`${url}${path}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as {
          ticker: string;
          candlesticks: Array<{ end_period_ts: number; volume: string; price: { close: string | null } }>;
        };
        expect(checkRest("GET", `/trade-api/v2${path}`, 200, body)).toEqual([]);
        expect(body.ticker).toBe(m0.ticker);
        expect(body.candlesticks.reduce((a, k) => a + Number(k.volume), 0)).toBe(m0.volume);
        if (period === 1) {
          expect(body.candlesticks.map((k) => [k.end_period_ts, k.price.close])).toEqual(
            cd.markets[m0.ticker]!.candlesticks.map((k) => [k.end_period_ts, k.price.close_dollars]),
          );
        }
      }
    }
    // A live (not archived) market is not at the historical endpoint.
    const liveNow = (await (await fetch(`${url}/markets?series_ticker=KXHIGHNY&status=open`)).json()) as { markets: M[] };
    if (liveNow.markets.length)
      expect(
        (await fetch(`${url}/historical/markets/${liveNow.markets[0]!.ticker}/candlesticks?start_ts=0&end_ts=1&period_interval=1`)).status,
      ).toBe(404);
    const bt = await runBin(["backtest", "--data", "tape", "--out", "bt"], { cwd: d, timeoutMs: 90_000 });
    expect(bt.code, bt.output).toBe(0);
    expect(bt.stdout).toContain("Backtest: 2 events, 14 markets");
  } finally {
    await s.stop();
  }
}, 200_000);
