// The recording loader on real files: hour files in order with a restart's `.k` sibling after its
// hour, a file whose last gzip member a crash cut off read up to the cut, and the restart's new
// connection leaving every book unknown until its next snapshot.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { loadRecording, recordingFiles } from "../../src/backtest/recording.ts";
import { RecordedSource } from "../../src/backtest/recorded-source.ts";

const dir = mkdtempSync(join(tmpdir(), "kbot-recfiles-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse("2026-01-01T00:10:00Z");
const TICKER = "KXTEST-R-A";
const market = {
  ticker: TICKER,
  event_ticker: "KXTEST-R",
  open_time: "2026-01-01T00:00:00Z",
  close_time: "2026-01-01T02:00:00Z",
  price_ranges: [{ start: 0, end: 10_000, step: 100 }],
};
const lines = (recs: object[]) => recs.map((r) => JSON.stringify(r)).join("\n") + "\n";
const delta = (t: number, seq: number, s: number) => ({
  t,
  kind: "ws",
  type: "orderbook_delta",
  sid: 1,
  seq,
  msg: { market_ticker: TICKER, price_dollars: 4300, delta_fp: 100, side: "yes", ts_ms: T0 + s * 1000 },
});

test("hour files in order, a cut-off member read to the cut, a restart's connection is a gap until the snapshot", () => {
  mkdirSync(dir, { recursive: true });
  // Hour 00: one whole member, then one a crash cut off (its last line and the member's end lost).
  const first = gzipSync(
    lines([
      { t: 1, kind: "event", event: { event_ticker: "KXTEST-R", series_ticker: "KXTEST", mutually_exclusive: false, markets: [market] } },
      { t: 2, kind: "connection", state: "open" },
      {
        t: 3,
        kind: "ws",
        type: "orderbook_snapshot",
        sid: 1,
        seq: 1,
        msg: { market_ticker: TICKER, yes_dollars_fp: [[4300, 1000]], no_dollars_fp: [[5300, 1000]] },
      },
      delta(4, 2, 0),
    ]),
  );
  const cut = gzipSync(lines(Array.from({ length: 200 }, (_, k) => delta(5 + k, 3 + k, 1 + k))));
  writeFileSync(join(dir, "2026-01-01T00.jsonl.gz"), Buffer.concat([first, cut.subarray(0, cut.length - 30)]));
  // The restart went on in the sibling: a new connection, its snapshot later.
  writeFileSync(
    join(dir, "2026-01-01T00.1.jsonl.gz"),
    gzipSync(
      lines([
        { t: 1000, kind: "connection", state: "open" },
        delta(1001, 1, 300),
        {
          t: 1002,
          kind: "ws",
          type: "orderbook_snapshot",
          sid: 1,
          seq: 2,
          msg: { market_ticker: TICKER, yes_dollars_fp: [[4400, 500]], no_dollars_fp: [] },
        },
        delta(1003, 3, 330),
      ]),
    ),
  );
  writeFileSync(
    join(dir, "2026-01-01T01.jsonl.gz"),
    gzipSync(lines([delta(200, 4, 3700), { t: 201, kind: "market", market: { ...market, result: "no" } }])),
  );
  writeFileSync(join(dir, "notes.txt"), "not a recording file");

  expect(recordingFiles(dir)).toEqual(["2026-01-01T00.jsonl.gz", "2026-01-01T00.1.jsonl.gz", "2026-01-01T01.jsonl.gz"]);
  const rec = loadRecording(dir);
  expect(rec.events.map((e) => e.eventTicker)).toEqual(["KXTEST-R"]);
  expect(rec.events[0]!.markets[0]!.result).toBe("no");
  // What the cut member still held is read (whole lines); the line cut in half and the rest are not.
  const fromCut = rec.items.filter((i) => i.kind === "delta" && i.seq >= 3 && i.ms < T0 + 300_000).length;
  expect(fromCut).toBeGreaterThan(0);
  expect(fromCut).toBeLessThan(200);
  // Exchange time never runs backwards.
  for (let i = 1; i < rec.items.length; i++) expect(rec.items[i]!.ms).toBeGreaterThanOrEqual(rec.items[i - 1]!.ms);

  const src = new RecordedSource(rec);
  src.advance(T0, () => {});
  expect(src.book(TICKER, T0)?.yesBid).toBe(4300);
  expect(src.book(TICKER, T0)?.yesBidSize).toBe(1100);
  // The new connection: unknown (the delta before its snapshot is not applied), then the snapshot's book.
  src.advance(T0 + 300_000, () => {});
  expect(src.book(TICKER, T0)).toBeNull();
  src.advance(Number.POSITIVE_INFINITY, () => {});
  expect(src.book(TICKER, T0)?.yesBid).toBe(4400);
  expect(src.book(TICKER, T0)?.yesBidSize).toBe(500);
  // The deltas after the snapshot build on it: 100 + 100 at 43.
  expect(src.book(TICKER, T0)?.book?.yes).toEqual([
    [4300, 200],
    [4400, 500],
  ]);
  const gaps = src.gaps();
  expect(gaps).toHaveLength(1);
  expect(gaps[0]!.reason).toBe("connection open");
  // Ended by the snapshot, stamped 1 ms (its receive time) after the delta before it.
  expect(gaps[0]!.toMs).toBe(T0 + 300_001);
});
