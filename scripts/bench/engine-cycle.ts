// Engine benchmarks through the compiled binary (issue 6):
//   1. CPU time of one cycle with 1,000 and 10,000 markets in scope, excluding the exchange (the
//      exchange runs in THIS process; the figure is the bot process's own CPU inside the cycle, as
//      the cycle summary reports it from process.cpuUsage()). Twice per size: REST only
//      (trading.websocket=false: every cycle loads the whole scope over REST, as --once does) and
//      the daemon with WebSocket books (a full REST load at most once a minute, in between only
//      the markets whose live book is not trusted; the first cycle is always a full load).
//   2. Requests per cycle against the minimum the API needs for that scope.
//   3. Resident memory over many cycles (a short run: --seconds, default 120, at 1 s cycles against
//      a 10× sped-up exchange; the issue asks for an hour, this is the short version).
//
//   bun scripts/bench/engine-cycle.ts [--cycles 8] [--seconds 120] [--sizes 1000,10000] [--modes rest,daemon] [--profile DIR] [--decision-cache on,off] [--market-maker on] [--bot-env NAME=VALUE] [--dry-run]
//
// The bot runs event_arbitrage and market_maker (`--market-maker off`: event_arbitrage alone, as the
// shipped advanced_config.json has it).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer } from "../../src/sim/server.ts";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const BIN = resolve(import.meta.dir, "../../dist/kalshi-bot");
const CYCLES = Number(arg("cycles", "8"));
const SECONDS = Number(arg("seconds", "120"));
const SIZES = arg("sizes", "1000,10000").split(",").map(Number);
const MODES = arg("modes", "rest,daemon").split(",");
// trading.decision_cache for each run ("on,off": the same runs with and without, the yardstick for the cache).
const CACHE = arg("decision-cache", "on,off").split(",");
const MARKET_MAKER = arg("market-maker", "on") === "on";
// --dry-run: the bot trades on paper (the default mode a first run has), the fill model beside it.
const DRY = process.argv.includes("--dry-run");
// --bot-env NAME=VALUE (repeatable): extra environment for the bot alone, not this process (which
// runs the exchange), e.g. to price a JavaScriptCore option a unit's Environment= line would set.
const BOT_ENV: Record<string, string> = {};
process.argv.forEach((a, i) => {
  if (a !== "--bot-env") return;
  const [name, ...rest] = process.argv[i + 1]!.split("=");
  BOT_ENV[name!] = rest.join("=");
});
// --profile DIR: run the bot from source under Bun's CPU profiler (markdown profile written on exit) instead of the binary.
const PROFILE = arg("profile", "");
const botCmd = PROFILE
  ? [process.execPath, `--cpu-prof-md`, `--cpu-prof-dir=${resolve(PROFILE)}`, resolve(import.meta.dir, "../../src/cli.ts")]
  : [BIN];

/**
 * REST-only runs go through this counting proxy: requests per endpoint (path without its query and
 * with ids folded), so the figure shows where a cycle's requests go, not just how many.
 */
function countingProxy(target: string) {
  const counts = new Map<string, number>();
  const origin = new URL(target).origin;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const u = new URL(req.url);
      const key = `${req.method} ${u.pathname
        .replace(/^\/trade-api\/v2/, "")
        .replace(/\/[0-9a-f]{8}-[0-9a-f-]{27}/g, "/{id}")
        .replace(/\/(markets|series)\/[A-Z][^/]*/g, "/$1/{ticker}")}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(origin + u.pathname + u.search, { method: req.method, headers: req.headers, body });
      return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/trade-api/v2`, counts, stop: () => server.stop(true) };
}

async function venue(markets: number, speed: number, websocket = true, decisionCache = "on") {
  const dir = mkdtempSync(join(tmpdir(), "kbot-bench-"));
  const kp = generateKeyPair();
  const keyPath = join(dir, "key.pem");
  writeFileSync(keyPath, kp.privateKeyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  const sim = await startSimServer({
    port: 0,
    seed: 5,
    markets,
    speed,
    quiet: true,
    tier: "prime",
    accounts: [{ apiKeyId: "bench", publicKeyPem: kp.publicKeyPem, balanceMicros: 10_000_000_000 }],
  });
  const cfg = {
    exchange: {
      environment: "sim",
      base_url: sim.baseUrl,
      api_key_id: "bench",
      private_key_path: keyPath,
      rate_tier: "prime",
      request_timeout_ms: 30_000,
    },
    trading: {
      dry_run: DRY,
      autonomous_mode: true,
      non_interactive: true,
      cycle_interval_seconds: 1,
      series_tickers: [...sim.exchange.series.keys()],
      websocket,
      decision_cache: decisionCache,
      strategies: { market_maker: { enabled: MARKET_MAKER } },
    },
    risk: { max_orders_per_minute: 600, min_price: "0.01", max_price: "0.99", max_daily_loss_dollars: "1000", max_drawdown_pct: 90 },
    paths: { database: "data/k.sqlite", reports_dir: "reports", backups_dir: "backups", lock_file: "bot.lock" },
  };
  // REST only: through the counting proxy (the WebSocket runs talk to the exchange directly).
  const proxy = websocket ? null : countingProxy(sim.baseUrl);
  if (proxy) cfg.exchange.base_url = proxy.url;
  writeFileSync(join(dir, "bot.json"), JSON.stringify(cfg));
  return { dir, sim, proxy };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function cycleBench(markets: number, websocket: boolean, decisionCache: string) {
  const { dir, sim, proxy } = await venue(markets, 1, websocket, decisionCache);
  const events = sim.exchange.events.size;
  const series = sim.exchange.series.size;
  const eventsBySeries = [...sim.exchange.events.values()].map((e) => e.seriesTicker);
  const proc = Bun.spawn(
    [
      ...botCmd,
      "--config",
      join(dir, "bot.json"),
      "--mode",
      "trade",
      "--non-interactive",
      "--skip-setup-wizard",
      "--log-format",
      "plain",
      "--lock-file",
      join(dir, "bot.lock"),
    ],
    { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...BOT_ENV } },
  );
  let out = "";
  const dec = new TextDecoder();
  const cpu: number[] = [];
  const reqs: number[] = [];
  const scanned: number[] = [];
  let first = { cpu: 0, reqs: 0 };
  let warmFrom: Map<string, number> | null = null;
  for await (const chunk of proc.stdout) {
    out += dec.decode(chunk);
    const ms = [...out.matchAll(/markets scanned: (\d+) in \d+ events; (\d+) exchange requests; ([\d.]+) ms CPU/g)];
    // Per-endpoint counts from the start of the second (first warm) cycle.
    if (ms.length === 1 && proxy && !warmFrom) warmFrom = new Map(proxy.counts);
    if (ms.length >= CYCLES) {
      first = { cpu: Number(ms[0]![3]), reqs: Number(ms[0]![2]) };
      for (const m of ms.slice(1)) {
        scanned.push(Number(m[1]));
        reqs.push(Number(m[2]));
        cpu.push(Number(m[3]));
      }
      break;
    }
  }
  const byPath =
    proxy && warmFrom
      ? [...proxy.counts]
          .map(([k, n]) => [k, (n - (warmFrom!.get(k) ?? 0)) / (CYCLES - 1)] as const)
          .filter(([, n]) => n > 0)
          .sort((a, b) => b[1] - a[1])
      : [];
  proc.kill("SIGTERM");
  await proc.exited;
  proxy?.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
  // Minimum for this scope, from the OpenAPI page limits: one status read, balance, positions,
  // resting orders, fills and settlements (6), plus the market data. GetEvents with nested markets
  // (limit ≤ 200 events a page, one series_ticker a request) is the only read that carries both the
  // markets and the event fields the bot needs (mutually_exclusive, fee overrides); GetMarkets
  // (≤ 1,000 a page) would need the event pages on top. So Σ over the series of ⌈its events / 200⌉.
  const eventsPerSeries = new Map<string, number>();
  for (const e of eventsBySeries) eventsPerSeries.set(e, (eventsPerSeries.get(e) ?? 0) + 1);
  const pages = [...eventsPerSeries.values()].reduce((n, e) => n + Math.ceil(e / 200), 0);
  const min = 6 + pages;
  const reads = byPath.filter(([k]) => k.startsWith("GET ")).reduce((n, [, c]) => n + c, 0);
  const writes = byPath.filter(([k]) => !k.startsWith("GET ")).reduce((n, [, c]) => n + c, 0);
  const depth = byPath.find(([k]) => k === "GET /markets/orderbooks")?.[1] ?? 0;
  console.log(
    `${markets} markets (${events} events, ${series} series), ${websocket ? "daemon with WebSocket books" : "REST only"}${DRY ? ", dry-run (paper)" : ""}, decision cache ${decisionCache}, ${MARKET_MAKER ? "event_arbitrage + market_maker" : "event_arbitrage alone"}: cycle CPU p50 ${pct(cpu, 50).toFixed(1)} ms, max ${Math.max(...cpu).toFixed(1)} ms over ${cpu.length} warm cycles (first cycle, a full load: ${first.cpu.toFixed(1)} ms, ${first.reqs} requests); ` +
      `markets in scope ${pct(scanned, 50)}; requests per cycle p50 ${pct(reqs, 50)} (REST minimum for this scope ${min}: 6 portfolio/status + ${pages} event pages; extra = order writes, order lookups, book depth${websocket ? "; with live books the market pages are only read once a minute" : ""})`,
  );
  if (byPath.length) {
    console.log(
      `  reads per warm cycle ${reads.toFixed(1)} = ${(reads / min).toFixed(2)}x the minimum ${min} (${(reads - depth).toFixed(1)} = ${((reads - depth) / min).toFixed(2)}x without the ${depth.toFixed(1)} order-book depth reads the strategies ask for); order writes ${writes.toFixed(1)}`,
    );
    console.log(`  by endpoint: ${byPath.map(([k, n]) => `${k} ${n.toFixed(1)}`).join(", ")}`);
  }
}

async function memoryBench() {
  const { dir, sim } = await venue(1000, 10);
  const proc = Bun.spawn(
    [
      BIN,
      "--config",
      join(dir, "bot.json"),
      "--mode",
      "trade",
      "--non-interactive",
      "--skip-setup-wizard",
      "--log-format",
      "plain",
      "--lock-file",
      join(dir, "bot.lock"),
    ],
    { cwd: dir, stdout: "ignore", stderr: "ignore" },
  );
  const samples: Array<[number, number, number]> = [];
  const t0 = Date.now();
  while (Date.now() - t0 < SECONDS * 1000) {
    await Bun.sleep(5_000);
    try {
      const hb = JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8"));
      samples.push([Math.round((Date.now() - t0) / 1000), hb.cycle, hb.rss_bytes]);
    } catch {}
  }
  proc.kill("SIGTERM");
  await proc.exited;
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
  const mb = (b: number) => (b / 1048576).toFixed(1);
  const firstHalf = samples.slice(1, Math.ceil(samples.length / 2)).map((s) => s[2]);
  const secondHalf = samples.slice(Math.ceil(samples.length / 2)).map((s) => s[2]);
  const last = samples.at(-1)!;
  console.log(
    `RSS over ${SECONDS} s (${last[1]} cycles, 1,000 markets, exchange at 10× speed): ${samples.map((s) => `${s[0]}s:${mb(s[2])}`).join(" ")} MB`,
  );
  console.log(
    `RSS p50 first half ${mb(pct(firstHalf, 50))} MB, second half ${mb(pct(secondHalf, 50))} MB, max ${mb(Math.max(...samples.map((s) => s[2])))} MB`,
  );
}

for (const n of SIZES) {
  for (const dc of CACHE) {
    if (MODES.includes("rest")) await cycleBench(n, false, dc);
    if (MODES.includes("daemon")) await cycleBench(n, true, dc);
  }
}
if (SECONDS > 0) await memoryBench();
