// Request rate of a full market walk against a local server that enforces Kalshi's Basic read
// budget (token bucket: 200 tokens/s, capacity 200, 10 tokens per GET /markets; overdraft → 429).
// Aim: at least 95% of the budget and zero 429s. The server clamps pages to 250 markets so the walk
// makes enough requests (400) to measure a sustained rate in about 20 s.
import { KalshiClient } from "../../src/kalshi/client.ts";

const TOTAL = Number(process.env.BENCH_MARKETS ?? 100_000);
const PAGE = 250;
const RATE = 200;
const CAP = 200;
const COST = 10;

let tokens = CAP;
let last = performance.now();
let served = 0;
let rejected = 0;
const market = (i: number) => ({
  ticker: `BENCH-${i}`,
  event_ticker: `BENCHEV-${Math.floor(i / 10)}`,
  market_type: "binary",
  status: "active",
  open_time: "2026-06-11T05:39:29Z",
  close_time: "2026-06-25T16:00:00Z",
  yes_bid_dollars: "0.4700",
  yes_ask_dollars: "0.5200",
  no_bid_dollars: "0.4800",
  no_ask_dollars: "0.5300",
  last_price_dollars: "0.5000",
  volume_fp: "10.00",
  open_interest_fp: "2.00",
  price_level_structure: "linear_cent",
  price_ranges: [{ start: "0.0000", end: "1.0000", step: "0.0100" }],
});

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    const now = performance.now();
    tokens = Math.min(CAP, tokens + ((now - last) * RATE) / 1000);
    last = now;
    if (tokens < COST) {
      rejected++;
      return new Response('{"error":"too many requests"}', { status: 429 });
    }
    tokens -= COST;
    served++;
    const u = new URL(req.url);
    const start = Number(u.searchParams.get("cursor") || 0);
    const limit = Math.min(PAGE, Number(u.searchParams.get("limit") ?? 100));
    const end = Math.min(TOTAL, start + limit);
    const markets = [];
    for (let i = start; i < end; i++) markets.push(market(i));
    return new Response(JSON.stringify({ markets, cursor: end < TOTAL ? String(end) : "" }), {
      headers: { "content-type": "application/json" },
    });
  },
});

const client = new KalshiClient({ baseUrl: `http://127.0.0.1:${server.port}`, tier: "basic", timeoutMs: 10_000 });
const t0 = performance.now();
let count = 0;
for await (const page of client.walkMarkets()) count += page.length;
const s = (performance.now() - t0) / 1000;
server.stop(true);
const reqs = served + rejected;
const rate = served / s;
console.log(
  `market walk: ${count.toLocaleString("en-US")} markets, ${served} requests in ${s.toFixed(1)} s = ${rate.toFixed(2)} req/s ` +
    `(${((rate * COST * 100) / RATE).toFixed(1)}% of the Basic read budget of ${RATE / COST} req/s), 429s: ${rejected} of ${reqs}`,
);
if (count !== TOTAL) throw new Error(`walk returned ${count} markets, expected ${TOTAL}`);
