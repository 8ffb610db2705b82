// The fill model on a recording's book deltas, through the binary's `backtest` (the model paper
// trading uses too: src/engine/paper-transport.ts). A hand-made recording of three markets, each
// showing one behaviour, with passes 5 s apart:
//   - A: a maker's ask crosses our resting bid for one second between two passes and is withdrawn
//     (no print): live it trades with our bid then. Filled at the delta's time, as maker, no more
//     than it showed;
//   - B: the same cross while the market's book is unknown (a recorded seq gap, until a snapshot):
//     nothing fills;
//   - C: our bid joins 20 contracts at its price; 15 of them leave before the next pass, 10 more
//     join behind us; a seller then takes 8 at our price. Live, 5 were ahead of us: we get the rest
//     of the print (2 contracts, our size). Counting the 20 ahead as still there, paper missed it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { cleanup, ensureBinary, runBin, tempDir, writeConfig } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const T0 = Date.parse("2026-01-01T00:10:00Z");
const [A, B, C] = ["KXPQ-E-A", "KXPQ-E-B", "KXPQ-E-C"];
const market = (ticker: string) => ({
  ticker,
  event_ticker: "KXPQ-E",
  open_time: "2026-01-01T00:00:00Z",
  close_time: "2026-01-01T00:20:00Z",
  price_ranges: [{ start: 0, end: 10_000, step: 100 }],
});
const sidOf = { [A]: 1, [B]: 2, [C]: 3 } as Record<string, number>;
const seqs = new Map<number, number>();
const nextSeq = (sid: number) => {
  const s = (seqs.get(sid) ?? 0) + 1;
  seqs.set(sid, s);
  return s;
};
const snapshot = (t: number, ticker: string, yes: Array<[number, number]>, no: Array<[number, number]>) => ({
  t,
  kind: "ws",
  type: "orderbook_snapshot",
  sid: sidOf[ticker],
  seq: nextSeq(sidOf[ticker]!),
  msg: { market_ticker: ticker, yes_dollars_fp: yes, no_dollars_fp: no },
});
const delta = (s: number, ticker: string, side: "yes" | "no", price: number, d: number) => ({
  t: s * 1000,
  kind: "ws",
  type: "orderbook_delta",
  sid: sidOf[ticker],
  seq: nextSeq(sidOf[ticker]!),
  msg: { market_ticker: ticker, price_dollars: price, delta_fp: d, side, ts_ms: T0 + s * 1000 },
});
const trade = (s: number, ticker: string, price: number, count: number) => ({
  t: s * 1000,
  kind: "ws",
  type: "trade",
  sid: 9,
  seq: nextSeq(9),
  msg: { market_ticker: ticker, yes_price_dollars: price, count_fp: count, taker_book_side: "ask", ts_ms: T0 + s * 1000 },
});

function recording(): object[] {
  const recs: object[] = [
    {
      t: 0,
      kind: "event",
      event: { event_ticker: "KXPQ-E", series_ticker: "KXPQ", mutually_exclusive: false, markets: [A, B, C].map(market) },
    },
    ...[A, B, C].map((t) => ({ t: 0, kind: "market", market: { ...market(t), result: "no" } })),
    { t: 0, kind: "connection", state: "open" },
    // A and B: 0.40 bid / 0.50 ask; the market maker bids 0.43 (better than anyone: nobody ahead).
    snapshot(0, A, [[4000, 2000]], [[5000, 2000]]),
    snapshot(0, B, [[4000, 2000]], [[5000, 2000]]),
    // C: 0.40 bid / 0.42 ask, 20 contracts bid at 0.39: the market maker's bid of 0.39 joins them.
    snapshot(
      0,
      C,
      [
        [3900, 2000],
        [4000, 500],
      ],
      [[5800, 2000]],
    ),
    // The first pass: quotes rest.
    delta(0, A, "yes", 1000, 100),
    // A: an ask at 0.43 (a NO bid at 0.57), one contract, for one second.
    delta(2, A, "no", 5700, 100),
    delta(3, A, "no", 5700, -100),
    // B: the same, inside a recorded gap (the book is unknown until the snapshot at 8 s).
    { t: 1500, kind: "gap", sid: 2, tickers: [B], expected: nextSeq(2), got: nextSeq(2) + 1 },
    delta(2, B, "no", 5700, 100),
    delta(3, B, "no", 5700, -100),
    // C: 15 of the 20 ahead of our bid leave.
    delta(2, C, "yes", 3900, -1500),
    // The second pass (a far level, nothing near ours).
    delta(6, A, "yes", 1000, 100),
    // C: 10 join behind us; a seller takes the 0.40 bids, then 8 contracts at 0.39.
    delta(7, C, "yes", 3900, 1000),
    trade(8, C, 4000, 500),
    delta(8, C, "yes", 4000, -500),
    trade(8, C, 3900, 800),
    delta(8, C, "yes", 3900, -800),
    {
      t: 8000,
      kind: "ws",
      type: "orderbook_snapshot",
      sid: 2,
      seq: nextSeq(2),
      msg: { market_ticker: B, yes_dollars_fp: [[4000, 2000]], no_dollars_fp: [[5000, 2000]] },
    },
    // The third pass.
    delta(11, A, "yes", 1000, 100),
  ];
  return recs;
}

test("a recorded book delta that crosses a resting paper bid fills it then; never in a gap; the queue ahead is at most what the book shows", async () => {
  const dir = tempDir("bt-delta-fill");
  const rec = join(dir, "rec");
  mkdirSync(rec, { recursive: true });
  writeFileSync(
    join(rec, "2026-01-01T00.jsonl.gz"),
    gzipSync(
      `${recording()
        .map((r) => JSON.stringify(r))
        .join("\n")}\n`,
    ),
  );
  writeConfig(dir, {
    trading: {
      strategies: {
        event_arbitrage: { enabled: false },
        market_maker: { enabled: true, markets: [A, B, C], stop_before_close_minutes: 0, min_book_contracts: 1 },
      },
    },
  });
  const r = await runBin(["backtest", "--data", "rec", "--out", "out", "--step", "5"], { cwd: dir, timeoutMs: 120_000 });
  expect(r.code, r.output).toBe(0);
  const [head, ...rows] = readFileSync(join(dir, "out", "fills.csv"), "utf8")
    .trim()
    .split(/\r?\n/);
  const cols = head!.split(",");
  const fills = rows.map((l) => Object.fromEntries(l.split(",").map((v, k) => [cols[k]!, v])));
  expect(fills.map((f) => [f.ticker, f.side, f.yes_price, f.count, f.is_taker, f.time])).toEqual([
    // The ask's one contract, at our price, when it came.
    [A, "buy YES", "0.4300", "1.00", "false", "2026-01-01T00:10:02.000Z"],
    // Nothing in B. C: 8 sold at 0.39 with 5 ahead of us: our 2.
    [C, "buy YES", "0.3900", "2.00", "false", "2026-01-01T00:10:08.000Z"],
  ]);
}, 180_000);
