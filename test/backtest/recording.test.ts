// `kalshi-bot backtest --data <recording>` through the compiled binary. End to end: `kalshi-bot sim`
// (loopback only) recorded by `kalshi-bot record` for a bounded time, with the sim skipping seq
// numbers so the recording holds real gaps; the report's fills settle by the recorded results and
// reconcile with P&L, taker fills never exceed the recorded visible book, no fill lands in a market
// while its book is unknown (real gaps, and one constructed here that a later snapshot ends). On
// small hand-written recordings: the queue ahead of a resting order is the recorded book's size at
// its price; taken liquidity stays taken. Bad input: one line, exit 2.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { cleanup, ensureBinary, runBin, startBin, tempDir, writeConfig } from "../helpers/bin.ts";
import { loadRecording } from "../../src/backtest/recording.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

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

/** Kalshi's taker fee from the published formula: ceil to $0.0001 of 0.07 × C × P × (1 − P), in micros. */
function kalshiTakerFeeMicros(priceCents: number, contracts: number): number {
  return Math.ceil((7 * contracts * priceCents * (100 - priceCents)) / 100) * 100;
}

type Rec = {
  t: number;
  kind: string;
  type?: string;
  sid?: number;
  seq?: number;
  msg?: Record<string, unknown> & { market_ticker?: string; ts_ms?: number; ts?: number | string };
  market?: { ticker: string; result?: string; [k: string]: unknown };
  [k: string]: unknown;
};

const readRecs = (dir: string): Rec[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl.gz"))
    .sort()
    .flatMap((f) =>
      gunzipSync(readFileSync(join(dir, f)))
        .toString("utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Rec),
    );

const writeRecs = (dir: string, recs: Rec[]) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "2026-01-01T00.jsonl.gz"), gzipSync(recs.map((r) => JSON.stringify(r)).join("\n") + "\n"));
};

/** Exchange time of each record, as the format defines it: its own ts_ms/ts, else the last one plus the receive time since. */
function stamps(recs: Rec[]): number[] {
  let last: number | null = null;
  let lastRecv = 0;
  const out: number[] = [];
  for (const r of recs) {
    const m = r.kind === "ws" ? r.msg : undefined;
    const own = m?.ts_ms ?? (typeof m?.ts === "number" ? m.ts * 1000 : typeof m?.ts === "string" ? Date.parse(m.ts) : undefined);
    if (own !== undefined) last = last === null ? own : Math.max(last, own);
    else if (last !== null) last += Math.max(0, r.t - lastRecv);
    lastRecv = r.t;
    out.push(last ?? Number.NaN);
  }
  // Records before the first exchange time take the first one.
  const firstKnown = out.find((v) => !Number.isNaN(v)) ?? 0;
  return out.map((v) => (Number.isNaN(v) ? firstKnown : v));
}

interface Summary {
  data: { format: string; events: number; trades: number; left_out_events: string[] } & Record<string, unknown>;
  total: { fills: number; pnl_before_fees_dollars: string; fees_dollars: string; pnl_after_fees_dollars: string };
  by_event: Array<{ key: string; pnl_after_fees_dollars: string }>;
  start_dollars: string;
  end_dollars: string;
  ledger_check_dollars: string;
  book_gaps: Array<{ ticker: string; from: string; to: string | null; reason: string }>;
  unknown_book_minutes: number;
}

describe("a recording of the local exchange", () => {
  let dir: string;
  let recs: Rec[];
  let results: Map<string, string>;
  let probs: Record<string, number>;

  beforeAll(async () => {
    dir = tempDir("bt-rec");
    const sim = startBin(["sim", "--port", "0", "--print-config", "--speed", "200", "--faults", "ws_skip_seq=0.003"], { cwd: dir });
    try {
      const out = await sim.waitFor(/sim: REST /, 15_000);
      writeFileSync(join(dir, "advanced_config.json"), /^\{[\s\S]*?\n\}\n/m.exec(out)![0]);
      // 12 s at 200x covers KXHIGHNY's first close and settlement (as test/history/record.test.ts).
      const r = await runBin(["record", "--series", "KXHIGHNY", "--out", "rec", "--duration", "12"], { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.output).toBe(0);
    } finally {
      await sim.stop();
    }
    recs = readRecs(join(dir, "rec"));
    // The recorded results: `market` records, or `determined` lifecycle messages.
    results = new Map(
      recs
        .filter((r) => r.kind === "market" && (r.market!.result === "yes" || r.market!.result === "no"))
        .map((r) => [r.market!.ticker, r.market!.result!]),
    );
    for (const r of recs)
      if (
        r.kind === "ws" &&
        r.type === "market_lifecycle_v2" &&
        r.msg?.event_type === "determined" &&
        (r.msg.result === "yes" || r.msg.result === "no")
      )
        results.set(r.msg.market_ticker!, r.msg.result);
    // A fair_value oracle that knows the results: it buys as a taker wherever the book lets it.
    probs = Object.fromEntries([...results].map(([t, res]) => [t, res === "yes" ? 0.99 : 0.01]));
    writeFileSync(join(dir, "probs.json"), JSON.stringify(probs));
  }, 120_000);

  const config = {
    trading: {
      strategies: {
        market_maker: { enabled: true, stop_before_close_minutes: 0, min_book_contracts: 1 },
        fair_value: { enabled: true, source: "probs.json", max_contracts: 20, max_order_dollars: "20", max_event_dollars: "200" },
      },
    },
  };

  async function backtest(data: string, out: string): Promise<{ s: Summary; fills: Array<Record<string, string>>; stdout: string }> {
    writeConfig(dir, config);
    const r = await runBin(["backtest", "--data", data, "--out", out, "--step", "5"], { cwd: dir, timeoutMs: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.code, r.output).toBe(0);
    return {
      s: JSON.parse(readFileSync(join(dir, out, "summary.json"), "utf8")) as Summary,
      fills: parseCsv(readFileSync(join(dir, out, "fills.csv"), "utf8")),
      stdout: r.stdout,
    };
  }

  type Run = Awaited<ReturnType<typeof backtest>>;
  const fillsIn = (fills: Run["fills"], g: Summary["book_gaps"][number]) =>
    fills.filter(
      (f) =>
        f.ticker === g.ticker && Date.parse(f.time!) >= Date.parse(g.from) && (g.to === null || Date.parse(f.time!) < Date.parse(g.to)),
    );
  const fillKey = (f: Record<string, string>) => `${f.time}|${f.ticker}|${f.side}|${f.yes_price}|${f.count}`;

  /**
   * No fill inside a gap of `run` (a backtest of `rs`). A fill stamped at the very millisecond a
   * recorded gap opens may come from the records before the gap record that share its exchange time
   * (a burst read at one instant on a loaded machine): such a fill must be one that the recording cut
   * just before the gap record (results kept) makes too. Any other fill inside a gap is wrong, and
   * so is a tie at a gap no record names (an unrecorded seq jump).
   */
  async function expectNoFillInGaps(run: Run, rs: Rec[], tag: string): Promise<void> {
    for (const g of run.s.book_gaps) {
      const inside = fillsIn(run.fills, g);
      const ties = inside.filter((f) => Date.parse(f.time!) === Date.parse(g.from));
      expect(inside.filter((f) => !ties.includes(f))).toEqual([]);
      if (ties.length === 0) continue;
      const m = /^recorded seq gap on sid (\d+): expected (\d+), got (\d+)/.exec(g.reason);
      expect(m, `${g.reason}: ${JSON.stringify(ties)}`).not.toBeNull();
      const at = rs.findIndex(
        (r) => r.kind === "gap" && r.sid === Number(m![1]) && r.expected === Number(m![2]) && r.got === Number(m![3]),
      );
      expect(at).toBeGreaterThan(0);
      writeRecs(join(dir, `rec-${tag}-cut-${at}`), [...rs.slice(0, at), ...rs.filter((r) => r.kind === "market")]);
      const cut = await backtest(`rec-${tag}-cut-${at}`, `out-${tag}-cut-${at}`);
      const made = new Set(cut.fills.map(fillKey));
      for (const f of ties) expect(made.has(fillKey(f)), fillKey(f)).toBe(true);
    }
  }

  test("the recording's NO levels are read at NO prices: a YES buyer's print at p takes the NO bid at 1 - p", () => {
    // The recorder subscribes with use_yes_price (NO levels at their YES-equivalent price, Kalshi's
    // coming only mode) and says so in the recording; the backtest read every NO level as a NO
    // price, so each YES ask p stood at 1 - p in its books (a 4c ask at 96c).
    expect(recs.some((r) => r.kind === "book_format" && r.use_yes_price === true)).toBe(true);
    const items = loadRecording(join(dir, "rec")).items;
    const lastNoDelta = new Map<string, { price: number; delta: number }>();
    let checked = 0;
    for (const it of items) {
      if (it.kind === "delta" && it.side === "no") lastNoDelta.set(it.ticker, { price: it.price, delta: it.delta });
      else if (it.kind === "snapshot") lastNoDelta.delete(it.ticker);
      else if (it.kind === "trade" && it.takerBookSide === "bid") {
        // The maker a YES buyer met is a NO bid; the delta that took it came just before the print.
        const d = lastNoDelta.get(it.ticker);
        lastNoDelta.delete(it.ticker);
        if (!d || d.delta >= 0) continue;
        expect(d.price).toBe(10_000 - it.price);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  test("the report: fills settle by the recorded results and reconcile with P&L; takers never exceed the recorded book", async () => {
    expect(results.size).toBeGreaterThan(0);
    const { s, fills, stdout } = await backtest("rec", "out");
    expect(stdout).toContain("Input: a recording (the real order book from snapshots and deltas)");
    expect(s.data.format).toBe("recording");
    expect(s.data.trades).toBe(recs.filter((r) => r.kind === "ws" && r.type === "trade").length);
    expect(fills.length).toBe(s.total.fills);
    expect(fills.some((f) => f.is_taker === "true")).toBe(true);
    // Every fill settles by the recorded result, pays the fee formula as a taker, nothing as a maker
    // (KXHIGHNY's quadratic schedule), and the report adds up to the ledger.
    let gross = 0;
    let fees = 0;
    for (const f of fills) {
      expect(f.result).toBe(results.get(f.ticker!)!);
      const yes = micros(f.yes_price!) / 100;
      const count = micros(f.count!) / 10_000;
      const paid = f.side === "buy YES" ? yes : 10_000 - yes;
      const pays = (f.side === "buy YES") === (f.result === "yes") ? 10_000 : 0;
      expect(micros(f.pnl_before_fees!)).toBe((pays - paid) * count);
      expect(micros(f.fee!)).toBe(f.is_taker === "true" ? kalshiTakerFeeMicros(yes / 100, count / 100) : 0);
      gross += micros(f.pnl_before_fees!);
      fees += micros(f.fee!);
    }
    expect(micros(s.total.pnl_before_fees_dollars)).toBe(gross);
    expect(micros(s.total.fees_dollars)).toBe(fees);
    expect(s.ledger_check_dollars).toBe("0.000000");
    expect(micros(s.end_dollars) - micros(s.start_dollars)).toBe(gross - fees);
    expect(s.by_event.reduce((a, e) => a + micros(e.pnl_after_fees_dollars), 0)).toBe(gross - fees);

    // Taker fills of one pass at one level never exceed what the recorded book showed there then.
    const ms = stamps(recs);
    const takers = new Map<string, number>();
    for (const f of fills.filter((x) => x.is_taker === "true")) {
      const k = `${f.time}|${f.ticker}|${f.side}|${f.yes_price}`;
      takers.set(k, (takers.get(k) ?? 0) + micros(f.count!) / 10_000);
    }
    for (const [k, count] of takers) {
      const [time, ticker, side, price] = k.split("|") as [string, string, string, string];
      const at = Date.parse(time);
      const book = { yes: new Map<number, number>(), no: new Map<number, number>() };
      recs.forEach((r, i) => {
        if (ms[i]! > at || r.kind !== "ws" || r.msg?.market_ticker !== ticker) return;
        if (r.type === "orderbook_snapshot") {
          book.yes = new Map((r.msg.yes_dollars_fp as Array<[number, number]> | undefined) ?? []);
          book.no = new Map((r.msg.no_dollars_fp as Array<[number, number]> | undefined) ?? []);
        } else if (r.type === "orderbook_delta") {
          const lv = book[r.msg.side as "yes" | "no"];
          lv.set(r.msg.price_dollars as number, (lv.get(r.msg.price_dollars as number) ?? 0) + (r.msg.delta_fp as number));
        }
      });
      const p = micros(price) / 100;
      // Buying YES at p takes NO bids at 1 − p; buying NO takes YES bids at p.
      // The recording's NO levels are at YES-equivalent prices (use_yes_price): a YES ask at p is a NO level at p.
      const shown = side === "buy YES" ? (book.no.get(p) ?? 0) : (book.yes.get(p) ?? 0);
      expect(count, k).toBeLessThanOrEqual(shown);
    }
  }, 200_000);

  test("seq gaps: no fill in a market while its book is unknown; a later snapshot ends the gap", async () => {
    const base = await backtest("rec", "out-base");
    // The recorded gaps (the sim skipped seq numbers) are reported, and nothing filled inside them.
    expect(
      base.s.book_gaps.some((g) => g.reason.startsWith("recorded seq gap") && g.to !== null),
      JSON.stringify(base.s.book_gaps),
    ).toBe(true);
    await expectNoFillInGaps(base, recs, "base");

    // A constructed gap: in the market with the most fills, a gap right after its first snapshot,
    // then a snapshot (the book as the deltas left it) halfway through the rest of the recording.
    const counts = new Map<string, number>();
    for (const f of base.fills) counts.set(f.ticker!, (counts.get(f.ticker!) ?? 0) + 1);
    const x = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const first = recs.findIndex((r) => r.kind === "ws" && r.type === "orderbook_snapshot" && r.msg?.market_ticker === x);
    expect(first).toBeGreaterThanOrEqual(0);
    const sid = recs[first]!.sid!;
    const half = first + Math.floor((recs.length - first) / 2);
    const book = { yes: new Map<number, number>(), no: new Map<number, number>() };
    for (let i = 0; i < half; i++) {
      const r = recs[i]!;
      if (r.kind !== "ws" || r.msg?.market_ticker !== x) continue;
      if (r.type === "orderbook_snapshot") {
        book.yes = new Map((r.msg.yes_dollars_fp as Array<[number, number]> | undefined) ?? []);
        book.no = new Map((r.msg.no_dollars_fp as Array<[number, number]> | undefined) ?? []);
      } else if (r.type === "orderbook_delta") {
        const lv = book[r.msg.side as "yes" | "no"];
        lv.set(r.msg.price_dollars as number, (lv.get(r.msg.price_dollars as number) ?? 0) + (r.msg.delta_fp as number));
      }
    }
    const levels = (m: Map<number, number>) => [...m].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
    // Later snapshots of x are dropped: the constructed one is the only way back.
    const edited: Rec[] = [];
    // Found again by identity: the recording has gaps of its own (the sim's skipped seqs), and x may
    // open after some of them (a market of the next day's event).
    let constructedGap: Rec | null = null;
    let constructedSnap: Rec | null = null;
    recs.forEach((r, i) => {
      if (i === half) {
        constructedSnap = {
          t: r.t,
          kind: "ws",
          type: "orderbook_snapshot",
          sid,
          msg: { market_ticker: x, yes_dollars_fp: levels(book.yes), no_dollars_fp: levels(book.no) },
        };
        edited.push(constructedSnap);
      }
      if (i > first && r.kind === "ws" && r.type === "orderbook_snapshot" && r.msg?.market_ticker === x) return;
      edited.push(r);
      if (i === first) {
        constructedGap = { t: r.t, kind: "gap", sid, expected: 1, got: 2, tickers: [x] };
        edited.push(constructedGap);
      }
    });
    writeRecs(join(dir, "rec-gap"), edited);
    const ms = stamps(edited);
    const gapAt = ms[edited.indexOf(constructedGap!)]!;
    const snapAt = ms[edited.indexOf(constructedSnap!)]!;
    expect(snapAt).toBeGreaterThan(gapAt);

    const gapped = await backtest("rec-gap", "out-gap");
    const g = gapped.s.book_gaps.find((b) => b.ticker === x && b.reason === `recorded seq gap on sid ${sid}: expected 1, got 2`);
    expect(g, JSON.stringify(gapped.s.book_gaps)).toBeDefined();
    expect(Date.parse(g!.from)).toBe(gapAt);
    expect(Date.parse(g!.to!)).toBe(snapAt);
    expect(gapped.s.unknown_book_minutes).toBeGreaterThan(0);
    expect(gapped.stdout).toMatch(/Book gaps: \d+ \(books unknown for [\d.]+ market-minutes/);
    // The market traded in the baseline inside that stretch, and not at all once its book was unknown.
    expect(fillsIn(gapped.fills, g!)).toEqual([]);
    expect(base.fills.filter((f) => f.ticker === x && Date.parse(f.time!) >= gapAt && Date.parse(f.time!) < snapAt).length).toBeGreaterThan(
      0,
    );
    await expectNoFillInGaps(gapped, edited, "gap");

    // A hole in the files (a delta lost, no gap recorded): the seq jump is caught, every book of that
    // subscription is unknown from there (no snapshot follows), and nothing fills in them after it.
    // One lost while the books are known (inside a recorded gap they are unknown already, under the
    // gap's reason) and whose next record of the sid is a message, not a recorded gap (which names
    // every book of the sid: unknown from there under its own reason).
    const recMs = stamps(recs);
    const inGap = (t: number) => base.s.book_gaps.some((b) => Date.parse(b.from) <= t && (b.to === null || t < Date.parse(b.to)));
    // Its own book known by record order too: the books a recorded gap names (all of the sid's when
    // it names none) stay unknown until each one's next snapshot. The stamp alone cannot tell: when
    // the recorder reads a gap's last deltas and the snapshots that end it at once (a loaded
    // machine), they share a stamp, the gap's end.
    const bookUnknown: boolean[] = [];
    const seen = new Set<string>();
    const unknownBooks = new Set<string>();
    for (const r of recs) {
      const tk = r.kind === "ws" && r.sid === sid ? r.msg?.market_ticker : undefined;
      if (tk !== undefined) seen.add(tk);
      if (r.kind === "gap" && r.sid === sid) {
        const named = r.tickers as string[];
        for (const t of named.length ? named : seen) unknownBooks.add(t);
      }
      if (tk !== undefined && r.type === "orderbook_snapshot") unknownBooks.delete(tk);
      bookUnknown.push(tk !== undefined && unknownBooks.has(tk));
    }
    const nextOfSid = (i: number) => recs.find((q, j) => j > i && q.sid === sid);
    const lost = recs.findIndex(
      (r, i) =>
        i > half &&
        r.kind === "ws" &&
        r.type === "orderbook_delta" &&
        r.sid === sid &&
        !inGap(recMs[i]!) &&
        !bookUnknown[i] &&
        nextOfSid(i)?.kind === "ws",
    );
    expect(lost).toBeGreaterThan(0);
    writeRecs(
      join(dir, "rec-hole"),
      recs.filter((_, i) => i !== lost),
    );
    const holed = await backtest("rec-hole", "out-hole");
    const jumps = holed.s.book_gaps.filter((b) => b.reason.startsWith("unrecorded seq jump"));
    expect(jumps.length, JSON.stringify(holed.s.book_gaps)).toBeGreaterThan(0);
    const lostAt = recMs[lost]!;
    for (const j of jumps) expect(Date.parse(j.from)).toBeGreaterThanOrEqual(lostAt);
    await expectNoFillInGaps(
      holed,
      recs.filter((_, i) => i !== lost),
      "hole",
    );
  }, 200_000);
});

// ---- hand-written recordings -----------------------------------------------------------------------

const T0 = Date.parse("2026-01-01T00:10:00Z");
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const TICKER = "KXTEST-Q-A";

/** A one-market recording: the event, a book, the given trades (each with its exchange time), the result. */
function synthetic(
  yes: Array<[number, number]>,
  no: Array<[number, number]>,
  trades: Array<{ s: number; price: number; count: number; taker: "bid" | "ask" }>,
): Rec[] {
  const market = {
    ticker: TICKER,
    event_ticker: "KXTEST-Q",
    open_time: iso(-60),
    close_time: iso(600),
    status: "active",
    price_ranges: [{ start: 0, end: 10_000, step: 100 }],
  };
  const recs: Rec[] = [
    { t: 1, kind: "event", event: { event_ticker: "KXTEST-Q", series_ticker: "KXTEST", mutually_exclusive: false, markets: [market] } },
    { t: 2, kind: "connection", state: "open" },
    { t: 3, kind: "ws", type: "ticker", sid: 3, msg: { market_ticker: TICKER, ts_ms: T0 } },
    {
      t: 4,
      kind: "ws",
      type: "orderbook_snapshot",
      sid: 1,
      seq: 1,
      msg: { market_ticker: TICKER, yes_dollars_fp: yes, no_dollars_fp: no },
    },
  ];
  trades.forEach((tr, k) => {
    recs.push({
      t: 10 + k,
      kind: "ws",
      type: "trade",
      sid: 2,
      seq: k + 1,
      msg: {
        market_ticker: TICKER,
        yes_price_dollars: tr.price,
        no_price_dollars: 10_000 - tr.price,
        count_fp: tr.count,
        taker_book_side: tr.taker,
        ts_ms: T0 + tr.s * 1000,
      },
    });
  });
  recs.push({ t: 100, kind: "market", market: { ...market, status: "finalized", result: "yes" } });
  return recs;
}

describe("the fill model on a recorded book", () => {
  const mm = {
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
  };
  // Sellers hit 43: 4, 4, 3, 5 contracts (16 in all).
  const hits = [90, 150, 210, 270].map((s, k) => ({ s, price: 4300, count: [400, 400, 300, 500][k]!, taker: "ask" as const }));

  test("a resting order's queue is the recorded book's size at its price: 10 ahead fills at the 3rd print, 30 ahead never", async () => {
    // The market maker quotes 43 / 47 at the touch. With 10 contracts bid at 43 in the book, the
    // 8 of the first two prints go to the queue; the 3rd reaches us with 1, the 4th with 1 more.
    const dir = tempDir("bt-rec-queue");
    writeRecs(join(dir, "rec"), synthetic([[4300, 1000]], [[5300, 1000]], hits));
    writeConfig(dir, mm);
    const r = await runBin(["backtest", "--data", "rec", "--out", "out", "--step", "30"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code, r.output).toBe(0);
    const fills = parseCsv(readFileSync(join(dir, "out", "fills.csv"), "utf8"));
    expect(fills.map((f) => [f.time, f.side, f.yes_price, f.count, f.is_taker])).toEqual([
      [iso(210), "buy YES", "0.4300", "1.00", "false"],
      [iso(270), "buy YES", "0.4300", "1.00", "false"],
    ]);
    // The same prints behind 30 contracts: 16 traded, none reached us.
    const dir2 = tempDir("bt-rec-queue");
    writeRecs(join(dir2, "rec"), synthetic([[4300, 3000]], [[5300, 1000]], hits));
    writeConfig(dir2, mm);
    const r2 = await runBin(["backtest", "--data", "rec", "--out", "out", "--step", "30"], { cwd: dir2, timeoutMs: 60_000 });
    expect(r2.code, r2.output).toBe(0);
    expect(parseCsv(readFileSync(join(dir2, "out", "fills.csv"), "utf8"))).toEqual([]);
  });

  test("the order group's burst cap holds on the replay's own clock, whatever the day the backtest runs", async () => {
    // A deep ask and a fair_value sure of YES: it would take 10 contracts every second. The burst cap
    // (max(10, 10 x max_contracts_per_order) = 100 contracts per 15 s, as live) must hold on the
    // recording's time. It counted the ledger's fills from this machine's clock back, so in a replay
    // of any other day it counted none and let every order through (and in a replay near today,
    // what it let through depended on the minute it ran).
    const dir = tempDir("bt-rec-burst");
    const prints = Array.from({ length: 60 }, (_, k) => ({ s: k + 1, price: 4300, count: 100, taker: "ask" as const }));
    writeRecs(join(dir, "rec"), synthetic([[4300, 1000]], [[5300, 10_000_000]], prints));
    writeFileSync(join(dir, "probs.json"), JSON.stringify({ [TICKER]: 0.9 }));
    writeConfig(dir, {
      risk: {
        max_contracts_per_order: 10,
        max_position_per_market: 100_000,
        max_order_dollars: "100000",
        max_event_exposure_dollars: "100000",
        max_total_exposure_dollars: "100000",
        max_daily_loss_dollars: "100000",
      },
      sim: { balance_dollars: "100000" },
      trading: {
        strategies: {
          event_arbitrage: { enabled: false },
          market_maker: { enabled: false },
          fair_value: {
            enabled: true,
            source: "probs.json",
            max_contracts: 100_000,
            max_order_dollars: "100000",
            max_event_dollars: "100000",
          },
        },
      },
    });
    const r = await runBin(["backtest", "--data", "rec", "--out", "out", "--step", "1"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code, r.output).toBe(0);
    const taken = parseCsv(readFileSync(join(dir, "out", "fills.csv"), "utf8"))
      .filter((f) => f.is_taker === "true")
      .map((f) => ({ ms: Date.parse(f.time!), n: micros(f.count!) / 1_000_000 }));
    // It traded, and more than one window's worth over the minute: the cap paces, it does not stop.
    expect(taken.reduce((a, f) => a + f.n, 0)).toBeGreaterThan(100);
    // No 15 s of the recording's time holds more than 100 contracts taken.
    for (const f of taken)
      expect(taken.filter((g) => g.ms > f.ms - 15_000 && g.ms <= f.ms).reduce((a, g) => a + g.n, 0)).toBeLessThanOrEqual(100);
  });

  test("a taker order takes only the recorded levels, and what it took stays taken", async () => {
    // YES asks: 10 at 47 and 5 at 48 (NO bids at 53 and 52). fair_value at 0.9 wants 50; the
    // recording keeps showing those levels for 5 minutes of prints, but they were ours to take once.
    const dir = tempDir("bt-rec-taker");
    const prints = [30, 60, 90, 120, 150, 180, 210, 240, 270, 300].map((s) => ({ s, price: 4300, count: 100, taker: "ask" as const }));
    writeRecs(
      join(dir, "rec"),
      synthetic(
        [[4300, 1000]],
        [
          [5200, 500],
          [5300, 1000],
        ],
        prints,
      ),
    );
    writeFileSync(join(dir, "probs.json"), JSON.stringify({ [TICKER]: 0.9 }));
    writeConfig(dir, {
      trading: {
        strategies: {
          event_arbitrage: { enabled: false },
          market_maker: { enabled: false },
          fair_value: { enabled: true, source: "probs.json", max_contracts: 50, max_order_dollars: "100", max_event_dollars: "100" },
        },
      },
    });
    const r = await runBin(["backtest", "--data", "rec", "--out", "out", "--step", "30"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code, r.output).toBe(0);
    const fills = parseCsv(readFileSync(join(dir, "out", "fills.csv"), "utf8")).filter((f) => f.is_taker === "true");
    const at = (p: string) => fills.filter((f) => f.yes_price === p).reduce((a, f) => a + micros(f.count!) / 1_000_000, 0);
    expect(at("0.4700")).toBe(10);
    expect(at("0.4800")).toBe(5);
    expect(fills.every((f) => f.yes_price === "0.4700" || f.yes_price === "0.4800")).toBe(true);
    for (const f of fills) expect(micros(f.fee!)).toBe(kalshiTakerFeeMicros(micros(f.yes_price!) / 10_000, micros(f.count!) / 1_000_000));
  });
});

describe("bad input: one line, exit 2", () => {
  const oneLine = (r: { stderr: string }) => {
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  test("a folder that is neither a tape nor a recording; a bad --format; a recording without results", async () => {
    const dir = tempDir("bt-rec-bad");
    mkdirSync(join(dir, "x"));
    writeFileSync(join(dir, "x", "notes.txt"), "hello");
    const r = await runBin(["backtest", "--data", "x"], { cwd: dir });
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.stderr).toContain("neither a trade tape");
    const r2 = await runBin(["backtest", "--data", "x", "--format", "csv"], { cwd: dir });
    expect(r2.code).toBe(2);
    oneLine(r2);
    expect(r2.stderr).toContain("--format csv: expected tape or recording");
    const r3 = await runBin(["backtest", "--data", "x", "--format", "recording"], { cwd: dir });
    expect(r3.code).toBe(2);
    oneLine(r3);
    expect(r3.stderr).toContain("no YYYY-MM-DDTHH.jsonl.gz file");
    const recs = synthetic([[4300, 1000]], [[5300, 1000]], []).filter((x) => x.kind !== "market");
    writeRecs(join(dir, "unsettled"), recs);
    const r4 = await runBin(["backtest", "--data", "unsettled"], { cwd: dir });
    expect(r4.code).toBe(2);
    oneLine(r4);
    expect(r4.stderr).toContain("no recorded result for every market (KXTEST-Q); record until they settle");
    writeFileSync(join(dir, "unsettled", "2026-01-01T01.jsonl.gz"), gzipSync('{not json\n{"t":1,"kind":"event"}\n'));
    const r5 = await runBin(["backtest", "--data", "unsettled"], { cwd: dir });
    expect(r5.code).toBe(2);
    oneLine(r5);
    expect(r5.stderr).toContain("line 1 is not JSON");
    // NO levels at their YES-equivalent price with nothing saying so (a YES bid at 0.60 and an ask
    // at 0.62, recorded as a NO level at 0.62): read at NO prices that book is crossed.
    writeRecs(join(dir, "yesmode"), synthetic([[6000, 1000]], [[6200, 1000]], []));
    const r6 = await runBin(["backtest", "--data", "yesmode"], { cwd: dir });
    expect(r6.code).toBe(2);
    oneLine(r6);
    expect(r6.stderr).toContain("KXTEST-Q-A's book has a YES bid at 0.6000 and a NO level at 0.6200");
    expect(r6.stderr).toContain('Add the line {"t":0,"kind":"book_format","use_yes_price":true} at the top of its first file');
    // With that line it is read (the NO level as a YES ask at 0.62) and backtested.
    writeRecs(join(dir, "yesmode"), [{ t: 0, kind: "book_format", use_yes_price: true }, ...synthetic([[6000, 1000]], [[6200, 1000]], [])]);
    const r7 = await runBin(["backtest", "--data", "yesmode", "--out", "out7"], { cwd: dir });
    expect(r7.stderr).toBe("");
    expect(r7.code).toBe(0);
  });
});
