// Time from a WebSocket book update arriving to the order request leaving (issue 6, p50/p99).
//
//   bun scripts/bench/engine-ws-latency.ts [--samples 2000] [--markets 120] [--speed 60] [--max-s 45] [--forward]
//
// The local exchange runs in a child process (so its matching and fan-out do not share our event
// loop), at `speed`× sim time so its participants produce a steady delta stream. This process holds
// one LiveBooks on every active market and, on each book update, does what the daemon does between
// cycles for that market:
//   LiveBooks.overlay(REST view)  → market_maker.decide (via enabledStrategies)  → risk evaluateIntents
//   → OrderRequest (fresh client_order_id) → LiveTransport.create → KalshiClient (limiter, encode,
//   RSA-PSS signature) → fetch.
// t0 = the frame handed to the WebSocket's message listener (before JSON parsing), t1 = the client
// calling its `fetch`. By default the wrapped fetch answers locally with a 400 once it has taken t1
// (the order is not placed, so our own quotes do not feed back into the book we measure);
// `--forward` sends it to the exchange for real (one request in flight; updates meanwhile are
// processed by LiveBooks but not sampled).
// Not included: the SQLite ledger insert the order manager commits before each request.
// Also printed: deltas/s the feed delivered, and the capacity of LiveBooks alone (frame in →
// book applied → listener), measured in a first phase without the strategy.
import { randomUUID } from "node:crypto";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";
import { riskSchema } from "../../src/config/risk-schema.ts";
import { LiveBooks } from "../../src/engine/live-books.ts";
import { LiveTransport } from "../../src/engine/live-transport.ts";
import { MarketDataSource } from "../../src/engine/market-data.ts";
import { emptyRiskSnapshot, evaluateIntents, resolveRiskLimits } from "../../src/engine/risk.ts";
import type { OrderRequest } from "../../src/engine/transport.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { RateLimiter, sleep } from "../../src/kalshi/rate-limit.ts";
import { privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { enabledStrategies } from "../../src/strategies/index.ts";
import type { CreateIntent, EventView, MarketView, PortfolioView } from "../../src/strategies/types.ts";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

// ---- child: the exchange -------------------------------------------------------------------------
if (args[0] === "--serve") {
  const { startSimServer } = await import("../../src/sim/server.ts");
  const sim = await startSimServer({
    port: 0,
    seed: 42,
    markets: Number(process.env.BENCH_MARKETS),
    speed: Number(process.env.BENCH_SPEED),
    tier: "prime",
    quiet: true,
    accounts: [{ apiKeyId: "bench", publicKeyPem: process.env.BENCH_PUBKEY!, balanceMicros: 10_000_000_000 }],
  });
  console.log(JSON.stringify({ baseUrl: sim.baseUrl, wsUrl: sim.wsUrl }));
  process.on("SIGTERM", () => void sim.stop().then(() => process.exit(0)));
  await new Promise(() => {});
}

// ---- parent: the bot side ------------------------------------------------------------------------
const SAMPLES = arg("samples", 2_000);
/** The first samples run cold code (JIT); they are reported apart. */
const WARMUP = arg("warmup", 100);
const MARKETS = arg("markets", 120);
const SPEED = arg("speed", 60);
const MAX_S = arg("max-s", 45);
const FORWARD = args.includes("--forward");

const { generateKeyPair } = await import("../../src/sim/keys.ts");
const kp = generateKeyPair();
const child = Bun.spawn([process.execPath, import.meta.path, "--serve"], {
  env: { ...process.env, BENCH_PUBKEY: kp.publicKeyPem, BENCH_MARKETS: String(MARKETS), BENCH_SPEED: String(SPEED) },
  stdout: "pipe",
  stderr: "inherit",
});
const reader = child.stdout.getReader();
let head = "";
while (!head.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("exchange process exited before it was ready");
  head += new TextDecoder().decode(value);
}
reader.releaseLock();
const { baseUrl, wsUrl } = JSON.parse(head.split("\n")[0]!) as { baseUrl: string; wsUrl: string };

// t0: the moment a frame reaches JS, before KalshiWs parses it.
let frameArrival = 0;
let frameWork = 0;
let frames = 0;
class TimedWebSocket extends WebSocket {
  override addEventListener(type: string, listener: unknown, options?: unknown): void {
    if (type === "message" && typeof listener === "function") {
      const inner = listener as (ev: MessageEvent) => void;
      const timed = (ev: MessageEvent) => {
        frameArrival = performance.now();
        inner(ev);
        frameWork += performance.now() - frameArrival;
        frames++;
      };
      super.addEventListener(type, timed as EventListener, options as AddEventListenerOptions);
      return;
    }
    super.addEventListener(type, listener as EventListener, options as AddEventListenerOptions);
  }
}

// t1: the client calling fetch.
let pendingT0: number | null = null;
/** Set when the client's rate limiter made the pending request wait (a bench artifact: it sends far more than a bot would). */
let throttled = false;
const throttledLat: number[] = [];
let inFlight = false;
const latencies: number[] = [];
const withPresigned: number[] = [];
const signedOnTheSpot: number[] = [];
let lastHits = 0;
const realFetch = (input: string, init: RequestInit) => fetch(input, init);
const timedFetch = (input: string, init: RequestInit): Promise<Response> => {
  if (init.method === "POST" && pendingT0 !== null) {
    const us = (performance.now() - pendingT0) * 1000;
    (throttled ? throttledLat : latencies).push(us);
    if (presigner && !throttled) {
      // Split by whether this request found a signature made ahead (the presigner counted it just now).
      (presigner.stats.hits > lastHits ? withPresigned : signedOnTheSpot).push(us);
      lastHits = presigner.stats.hits;
    }
    pendingT0 = null;
    throttled = false;
    if (!FORWARD) {
      return Promise.resolve(
        new Response(JSON.stringify({ error: { code: "bench", message: "not sent (bench)" } }), {
          status: 400,
          headers: { "content-type": "application/json" },
        }),
      );
    }
  }
  return realFetch(input, init);
};

const privateKey = privateKeyFromPem(kp.privateKeyPem);
const rateLimiter = new RateLimiter({
  tier: "prime",
  sleep: (ms, signal) => {
    throttled = true;
    return sleep(ms, signal);
  },
});
const client = new KalshiClient({ baseUrl, apiKeyId: "bench", privateKey, tier: "prime", fetch: timedFetch, maxAttempts: 1, rateLimiter });
// --presign: order-create signatures made ahead of time (KalshiClient.presignOrders), as the live daemon does.
const presigner = args.includes("--presign") ? client.presignOrders() : undefined;
const transport = new LiveTransport(client);

// REST once: the market views the overlay completes (events, fee schedule, price grid).
const data = await new MarketDataSource(client).load({ seriesTickers: [], eventTickers: [], marketTickers: [], whole: true });
const base = data.markets;
const events: ReadonlyMap<string, EventView> = data.events;
const tickers = [...base.keys()];

const strategies = enabledStrategies(
  strategiesSchema.parse({
    event_arbitrage: { enabled: false },
    market_maker: { enabled: true, max_markets: 1, min_spread_ticks: 2, spread: "0.02" },
  }),
);
const limits = resolveRiskLimits(
  riskSchema.parse({ max_orders_per_minute: 1_000_000, max_total_exposure_dollars: "100000", max_event_exposure_dollars: "100000" }),
);
const portfolio: PortfolioView = { cashMicros: 10_000_000_000, positions: new Map(), restingOrders: [] };
const risk = emptyRiskSnapshot(Date.now(), { cashMicros: 10_000_000_000, equityMicros: 10_000_000_000 });

const lb = await LiveBooks.open({
  wsOptions: { url: wsUrl, apiKeyId: "bench", privateKey, WebSocketImpl: TimedWebSocket as unknown as typeof WebSocket },
  tickers,
  ownOrders: false,
});
const tOpen = performance.now();
while (lb.trustedCount < tickers.length && performance.now() - tOpen < 10_000) await Bun.sleep(10);

// Phase 1: LiveBooks alone.
const FEED_S = Math.min(5, MAX_S / 4);
frames = 0;
frameWork = 0;
let d0 = lb.stats.deltas;
let t = performance.now();
await Bun.sleep(FEED_S * 1000);
const feedFrames = frames;
const feedWork = frameWork;
const feedDeltas = lb.stats.deltas - d0;
const feedWall = (performance.now() - t) / 1000;

// Phase 2: decide and send on every update.
let updates = 0;
let noIntent = 0;
let rejectedByRisk = 0;
let decideOnly: number[] = [];
lb.onUpdate((ticker, cause) => {
  if (cause !== "delta" && cause !== "snapshot") return;
  updates++;
  if (inFlight) return;
  const t0 = frameArrival;
  const m = base.get(ticker);
  const view = m ? lb.overlay(m) : null;
  if (!view) return;
  const nowMs = Date.now();
  const markets = new Map<string, MarketView>([[ticker, view]]);
  const intents = strategies.flatMap((s) => s.strategy.decide({ markets, events, portfolio, params: s.params, nowMs }));
  const creates = intents.filter((i): i is CreateIntent => i.kind === "create");
  if (creates.length === 0) {
    noIntent++;
    return;
  }
  const { verdicts } = evaluateIntents(creates, risk, limits, nowMs);
  const reqs: OrderRequest[] = [];
  for (const v of verdicts) {
    if (v.verdict.verdict === "reject") {
      rejectedByRisk++;
      continue;
    }
    const i = v.intent as CreateIntent;
    reqs.push({
      clientOrderId: randomUUID(),
      ticker: i.ticker,
      eventTicker: i.eventTicker,
      side: i.side,
      price: i.price,
      count: v.verdict.count ?? i.count,
      timeInForce: i.timeInForce,
      postOnly: i.postOnly,
      reduceOnly: i.reduceOnly,
      orderGroupId: null,
    });
  }
  if (reqs.length === 0) return;
  decideOnly.push((performance.now() - t0) * 1000);
  pendingT0 = t0;
  throttled = false;
  inFlight = true;
  transport.create(reqs).finally(() => {
    inFlight = false;
  });
});
frames = 0;
frameWork = 0;
d0 = lb.stats.deltas;
t = performance.now();
while (latencies.length < SAMPLES + WARMUP && (performance.now() - t) / 1000 < MAX_S - FEED_S) await Bun.sleep(50);
const runWall = (performance.now() - t) / 1000;
const runDeltas = lb.stats.deltas - d0;

lb.close();
child.kill("SIGTERM");
await child.exited;

const cold = latencies.splice(0, Math.min(WARMUP, latencies.length));
decideOnly = decideOnly.slice(cold.length);
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const fmt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a");
console.log(
  `exchange: ${MARKETS} markets requested, ${tickers.length} active in scope, speed ${SPEED}x, separate process; orders ${FORWARD ? "sent to the exchange" : "stopped at fetch"}`,
);
console.log(
  `feed only (${feedWall.toFixed(1)} s): ${fmt(feedDeltas / feedWall)} deltas/s delivered, ${fmt(feedFrames / feedWall)} frames/s; LiveBooks cost ${(feedFrames ? (feedWork / feedFrames) * 1000 : NaN).toFixed(1)} µs/frame (parse + book + notify) → capacity ≈ ${fmt(feedFrames ? feedFrames / (feedWork / 1000) : NaN)} frames/s on one core`,
);
console.log(
  `decide+send (${runWall.toFixed(1)} s): ${fmt(runDeltas / runWall)} deltas/s processed, ${updates.toLocaleString("en-US")} book updates, ${noIntent.toLocaleString("en-US")} without an order (market_maker held or spread too tight), ${rejectedByRisk} risk rejections`,
);
console.log(
  `update → order request leaving (fetch called), n = ${latencies.length.toLocaleString("en-US")} (after ${cold.length} warm-up samples, max ${fmt(Math.max(...cold))} µs): p50 ${fmt(pct(latencies, 0.5))} µs, p99 ${fmt(pct(latencies, 0.99))} µs, max ${fmt(Math.max(...latencies))} µs`,
);
console.log(
  `  of which update → request built (parse, book, overlay, strategy, risk): p50 ${fmt(pct(decideOnly, 0.5))} µs, p99 ${fmt(pct(decideOnly, 0.99))} µs`,
);
if (throttledLat.length)
  console.log(
    `  ${throttledLat.length} more samples waited in the client's rate limiter (prime tier; the bench orders far faster than a bot) and are left out: p50 ${fmt(pct(throttledLat, 0.5))} µs`,
  );
console.log(`  the rest is LiveTransport → KalshiClient: rate limiter, body encode, RSA-PSS signature (see client-sign.ts: ~0.5 ms each)`);
{
  // Yardstick in this run: one bare RSA-PSS signature (median of 50).
  const { signMessage } = await import("../../src/kalshi/signer.ts");
  const sig: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    signMessage(privateKey, `${Date.now()}POST/trade-api/v2/portfolio/events/orders`);
    sig.push((performance.now() - t) * 1000);
  }
  console.log(
    `  yardstick: one bare RSA-PSS signature p50 ${fmt(
      pct(
        sig.sort((a, b) => a - b),
        0.5,
      ),
    )} µs; signatures made ahead: ${presigner ? `on (${presigner.stats.hits} used, ${presigner.stats.misses} requests found none fresh and signed on the spot)` : "off (--presign)"}`,
  );
  if (presigner) {
    console.log(
      `  with a signature made ahead: n = ${withPresigned.length}, p50 ${fmt(pct(withPresigned, 0.5))} µs, p99 ${fmt(pct(withPresigned, 0.99))} µs; signed on the spot (queue emptied by back-to-back sends): n = ${signedOnTheSpot.length}, p50 ${fmt(pct(signedOnTheSpot, 0.5))} µs, p99 ${fmt(pct(signedOnTheSpot, 0.99))} µs`,
    );
  }
  presigner?.stop();
}
if (latencies.length < 1_000) console.log(`WARNING: only ${latencies.length} samples (aim ≥ 1,000): raise --speed or --markets`);
process.exit(0);
