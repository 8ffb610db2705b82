// RotatingGzipLog on real files: one file per UTC hour by the record's time, each flush appended as
// its own gzip member (read back whole by gunzip), a new instance appends to what is there.
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { RotatingGzipLog } from "../../src/history/rotating-log.ts";

test("rotates by the hour, appends gzip members, and a new writer appends", () => {
  const dir = mkdtempSync(join(tmpdir(), "rotlog-"));
  try {
    const h = Date.parse("2026-03-01T10:59:59.500Z");
    const a = new RotatingGzipLog(dir);
    a.write(h, { n: 1 });
    a.flush();
    a.write(h + 100, { n: 2 });
    a.write(h + 600, { n: 3 }); // 11:00:00.100: the next hour's file
    a.flush();
    const b = new RotatingGzipLog(dir);
    b.write(h + 700, { n: 4 });
    b.flush();
    expect(readdirSync(dir).sort()).toEqual(["2026-03-01T10.jsonl.gz", "2026-03-01T11.jsonl.gz"]);
    const lines = (f: string) =>
      gunzipSync(readFileSync(join(dir, f)))
        .toString("utf8")
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { n: number }).n);
    expect(lines("2026-03-01T10.jsonl.gz")).toEqual([1, 2]);
    expect(lines("2026-03-01T11.jsonl.gz")).toEqual([3, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file cut off mid-member by an earlier run is left alone; the writer goes on in a sibling", () => {
  const dir = mkdtempSync(join(tmpdir(), "rotlog-"));
  try {
    const h = Date.parse("2026-03-01T10:00:00Z");
    const a = new RotatingGzipLog(dir);
    a.write(h, { n: 1 });
    a.flush();
    a.write(h + 1, { n: 2 });
    a.flush();
    const f = join(dir, "2026-03-01T10.jsonl.gz");
    const whole = readFileSync(f);
    // The second member cut in half, as a kill during the write would leave it.
    writeFileSync(f, whole.subarray(0, whole.length - 10));
    const damaged = readFileSync(f);
    const b = new RotatingGzipLog(dir);
    b.write(h + 2, { n: 3 });
    b.flush();
    expect(readFileSync(f).equals(damaged)).toBe(true);
    expect(gunzipSync(readFileSync(join(dir, "2026-03-01T10.1.jsonl.gz"))).toString("utf8")).toBe('{"n":3}\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
