// Bench: memory and responsiveness of the sim with 10,000 markets and its participants running
// at 10× speed for a while.   bun scripts/bench/sim-memory.ts [markets=10000] [seconds=15]
import { startSimServer } from "../../src/sim/server.ts";

const N = Number(process.argv[2] ?? 10_000);
const SECS = Number(process.argv[3] ?? 15);
const mb = (b: number) => `${(b / 1_048_576).toFixed(0)} MB`;
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
const s = await startSimServer({ quiet: true, markets: N, speed: 10, tier: "unlimited" });
const startMs = performance.now() - t0;
Bun.gc(true);
const rss1 = process.memoryUsage().rss;
const trades0 = s.exchange.trades.length;
await Bun.sleep(SECS * 1000);
const t1 = performance.now();
const r = await fetch(`${s.baseUrl}/markets?limit=1000`);
await r.arrayBuffer();
const listMs = performance.now() - t1;
Bun.gc(true);
const rss2 = process.memoryUsage().rss;
console.log(
  `sim memory: ${s.exchange.markets.size.toLocaleString("en-US")} markets started in ${startMs.toFixed(0)} ms; RSS ${mb(rss0)} before, ${mb(rss1)} after start, ${mb(rss2)} after ${SECS} s at 10× (${(s.exchange.trades.length - trades0).toLocaleString("en-US")} trades, ${s.exchange.orders.size.toLocaleString("en-US")} live orders); GET /markets?limit=1000 took ${listMs.toFixed(0)} ms`,
);
await s.stop();
