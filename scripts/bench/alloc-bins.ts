// mimalloc's medium, large and huge allocations per second, between the dumps alloc-probe.ts wrote
// into a bot log (ALLOC_PROBE_MIMALLOC=1): which sizes the daemon allocates and frees, and how often.
//
//   bun scripts/bench/alloc-bins.ts /tmp/probe.log
//
// From each bin's running total of bytes (its `total` column, four significant digits) divided by
// the bin's block size: the count column is rounded to hundreds once past a thousand.
import { readFileSync } from "node:fs";

const UNIT: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
const size = (n: string, u: string) => Number(n) * UNIT[u]!;

interface Dump {
  atMs: number;
  bins: Map<string, { total: number; block: number }>;
}
const dumps: Dump[] = [];
let cur: Dump | null = null;
for (const line of readFileSync(process.argv[2]!, "utf8").split("\n")) {
  const mark = /alloc-probe: mimalloc dump \d+ at (\d+) ms/.exec(line);
  if (mark) {
    cur = { atMs: Number(mark[1]), bins: new Map() };
    dumps.push(cur);
    continue;
  }
  if (line.includes("alloc-probe: mimalloc dump end")) {
    cur = null;
    continue;
  }
  const bin = /^\s*(bin [ML]\s+\d+|huge)\s*:(.*)$/.exec(line);
  if (!bin || !cur) continue;
  const sizes = [...bin[2]!.matchAll(/([\d.]+) (B|KiB|MiB|GiB|Ki|Mi|Gi)\b/g)].map((m) => size(m[1]!, m[2]!));
  // peak, total, [current], block: the huge line has no block size.
  if (sizes.length < 2) continue;
  const name = bin[1]!.replace(/\s+/g, " ");
  cur.bins.set(name, { total: sizes[1]!, block: name === "huge" ? 0 : sizes.at(-1)! });
}
if (dumps.length < 2) {
  console.error("fewer than two mimalloc dumps in the log (run the probe with ALLOC_PROBE_MIMALLOC=1)");
  process.exit(1);
}
for (let i = 1; i < dumps.length; i++) {
  const [a, b] = [dumps[i - 1]!, dumps[i]!];
  const secs = (b.atMs - a.atMs) / 1000;
  const rows: string[] = [];
  let all = 0;
  for (const [name, v] of b.bins) {
    const d = v.total - (a.bins.get(name)?.total ?? 0);
    if (d <= 0) continue;
    all += d;
    const per = v.block > 0 ? ` (${(d / v.block / secs).toFixed(2)} of ${(v.block / 1024).toFixed(1)} KiB)` : "";
    rows.push(`  ${name.padEnd(10)} ${(d / secs / 1024).toFixed(1).padStart(8)} KiB/s${per}`);
  }
  console.log(`dumps ${i - 1} → ${i}, ${secs.toFixed(0)} s: ${(all / secs / 1024).toFixed(1)} KiB/s in medium, large and huge blocks`);
  for (const r of rows) console.log(r);
}
