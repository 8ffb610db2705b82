// `kalshi-bot record` through the binary against `kalshi-bot sim` (loopback only), with the sim
// skipping WebSocket seq numbers: hourly gzip JSONL with event metadata, book snapshots and deltas
// with seq, trades, tickers, lifecycle, settled markets with their result, and every gap written as
// a gap; a second run appends without touching what was written.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

type Rec = {
  t: number;
  kind: string;
  type?: string;
  sid?: number;
  seq?: number;
  msg?: { market_ticker?: string; event_type?: string };
  market?: { ticker: string; result?: string; status: string };
  event?: { event_ticker: string };
  expected?: number;
  got?: number;
};

const read = (dir: string) =>
  readdirSync(dir)
    .sort()
    .flatMap((f) =>
      gunzipSync(readFileSync(join(dir, f)))
        .toString("utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Rec),
    );

test("record writes the series' streams, metadata, results and seq gaps; a re-run appends", async () => {
  const dir = tempDir("record");
  const sim = startBin(["sim", "--port", "0", "--print-config", "--speed", "200", "--faults", "ws_skip_seq=0.02"], { cwd: dir });
  try {
    const out = await sim.waitFor(/sim: REST /, 15_000);
    writeFileSync(join(dir, "advanced_config.json"), /^\{[\s\S]*?\n\}\n/m.exec(out)![0]);
    // 12 s at 200x covers KXHIGHNY's first close (900 s), determination and settlement.
    const r = await runBin(["record", "--series", "KXHIGHNY", "--out", "rec", "--duration", "12"], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(0);
    const files = readdirSync(join(dir, "rec"));
    for (const f of files) expect(f).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}\.jsonl\.gz$/);
    const recs = read(join(dir, "rec"));
    const kinds = (k: string, type?: string) => recs.filter((x) => x.kind === k && (type === undefined || x.type === type));
    expect(kinds("event").some((x) => x.event!.event_ticker.startsWith("KXHIGHNY-"))).toBe(true);
    for (const t of ["orderbook_snapshot", "orderbook_delta", "trade", "ticker", "market_lifecycle_v2"])
      expect(kinds("ws", t).length, t).toBeGreaterThan(0);
    // Only the scope's series.
    for (const x of kinds("ws").filter((x) => x.msg)) expect(x.msg!.market_ticker!.startsWith("KXHIGHNY-")).toBe(true);
    for (const x of kinds("ws", "orderbook_delta")) expect(Number.isInteger(x.seq)).toBe(true);
    // Settled markets carry their result.
    const settled = kinds("market").filter((x) => x.market!.status === "finalized");
    expect(settled.length).toBeGreaterThan(0);
    for (const x of settled) expect(["yes", "no"]).toContain(x.market!.result!);
    // Every skipped seq is a gap record, never smoothed over: on the book channel, each jump in seq
    // between consecutive recorded book messages of one sid has a gap record naming it.
    const gaps = kinds("gap");
    expect(gaps.length).toBeGreaterThan(0);
    const bookSid = kinds("ws", "orderbook_delta")[0]!.sid!;
    const seqs = recs.filter((x) => x.kind === "ws" && x.sid === bookSid && x.seq !== undefined).map((x) => x.seq!);
    const named = new Set(gaps.filter((g) => g.sid === bookSid).map((g) => `${g.expected}->${g.got}`));
    let jumps = 0;
    for (let i = 1; i < seqs.length; i++) {
      if (seqs[i] !== seqs[i - 1]! + 1) {
        jumps++;
        expect(named.has(`${seqs[i - 1]! + 1}->${seqs[i]}`)).toBe(true);
      }
    }
    expect(jumps).toBeGreaterThan(0);
    expect(r.stdout).toMatch(new RegExp(`${gaps.length} seq gap\\(s\\) recorded`));

    // A second run appends: what was written stays byte for byte at the start of each file.
    const before = new Map(files.map((f) => [f, readFileSync(join(dir, "rec", f))]));
    const r2 = await runBin(["record", "--series", "KXHIGHNY", "--out", "rec", "--duration", "2"], { cwd: dir, timeoutMs: 60_000 });
    expect(r2.code, r2.output).toBe(0);
    for (const [f, b] of before)
      expect(
        readFileSync(join(dir, "rec", f))
          .subarray(0, b.length)
          .equals(b),
      ).toBe(true);
    expect(read(join(dir, "rec")).length).toBeGreaterThan(recs.length);

    // Bad input: one line, exit 2.
    for (const [args, re] of [
      [["--out", "x"], /needs --series/],
      [["--series", "KXHIGHNY,bad", "--out", "x"], /"bad" is not a series ticker/],
      [["--series", "KXHIGHNY"], /needs --out DIR/],
      [["--series", "KXHIGHNY", "--out", "x", "--duration", "0"], /--duration 0: expected a number of seconds above 0/],
    ] as Array<[string[], RegExp]>) {
      const b = await runBin(["record", ...args], { cwd: dir });
      expect(b.code, b.output).toBe(2);
      expect(b.stderr).toMatch(re);
      expect(b.stderr.trim().split("\n")).toHaveLength(1);
    }
  } finally {
    await sim.stop();
  }
}, 200_000);
