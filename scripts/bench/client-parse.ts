// Time to parse one 1,000-market GET /markets page (JSON text → typed markets with integer money).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetMarketsResponse } from "../../src/kalshi/wire/index.ts";

const fx = JSON.parse(readFileSync(join(import.meta.dir, "../../test/fixtures/kalshi/markets__status_open.json"), "utf8"));
const sample = fx.markets as Array<Record<string, unknown>>;
const markets = Array.from({ length: 1000 }, (_, i) => ({ ...sample[i % sample.length]!, ticker: `BENCH-${i}` }));
const text = JSON.stringify({ markets, cursor: "abc" });

const runs = 50;
for (let i = 0; i < 5; i++) GetMarketsResponse.parse(JSON.parse(text));
let jsonMs = 0;
let zodMs = 0;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const raw = JSON.parse(text);
  const t1 = performance.now();
  const page = GetMarketsResponse.parse(raw);
  const t2 = performance.now();
  if (page.markets.length !== 1000) throw new Error("bad page");
  jsonMs += t1 - t0;
  zodMs += t2 - t1;
}
console.log(
  `1,000-market page (${(text.length / 1024).toFixed(0)} KiB): JSON.parse ${(jsonMs / runs).toFixed(2)} ms + schema ${(zodMs / runs).toFixed(2)} ms = ${((jsonMs + zodMs) / runs).toFixed(2)} ms per page`,
);
