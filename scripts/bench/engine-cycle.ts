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
//   bun scripts/bench/engine-cycle.ts [--cycles 8] [--seconds 120] [--sizes 1000,10000]
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

async function venue(markets: number, speed: number, websocket = true) {
  const dir = mkdtempSync(join(tmpdir(), "kbot-bench-"));
  const kp = generateKeyPair();
  const keyPath = join(dir, "key.pem");
  writeFileSync(keyPath, kp.privateKeyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  const sim = await startSimServer({ port: 0, seed: 5, markets, speed, quiet: true, tier: "prime", accounts: [{ apiKeyId: "bench", publicKeyPem: kp.publicKeyPem, balanceMicros: 10_000_000_000 }] });
  const cfg = {
    exchange: { environment: "sim", base_url: sim.baseUrl, api_key_id: "bench", private_key_path: keyPath, rate_tier: "prime", request_timeout_ms: 30_000 },
    trading: { dry_run: false, autonomous_mode: true, non_interactive: true, cycle_interval_seconds: 1, series_tickers: [...sim.exchange.series.keys()], websocket, strategies: { market_maker: { enabled: true } } },
    risk: { max_orders_per_minute: 600, min_price: "0.01", max_price: "0.99", max_daily_loss_dollars: "1000", max_drawdown_pct: 90 },
    paths: { database: "data/k.sqlite", reports_dir: "reports", backups_dir: "backups", lock_file: "bot.lock" },
  };
  writeFileSync(join(dir, "bot.json"), JSON.stringify(cfg));
  return { dir, sim };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function cycleBench(markets: number, websocket: boolean) {
  const { dir, sim } = await venue(markets, 1, websocket);
  const events = sim.exchange.events.size;
  const series = sim.exchange.series.size;
  const proc = Bun.spawn([BIN, "--config", join(dir, "bot.json"), "--mode", "trade", "--non-interactive", "--skip-setup-wizard", "--log-format", "plain", "--lock-file", join(dir, "bot.lock")], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  let out = "";
  const dec = new TextDecoder();
  const cpu: number[] = [];
  const reqs: number[] = [];
  const scanned: number[] = [];
  let first = { cpu: 0, reqs: 0 };
  for await (const chunk of proc.stdout) {
    out += dec.decode(chunk);
    const ms = [...out.matchAll(/markets scanned: (\d+) in \d+ events; (\d+) exchange requests; ([\d.]+) ms CPU/g)];
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
  proc.kill("SIGTERM");
  await proc.exited;
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
  // Minimum for this scope: one status read, balance, positions, resting orders, fills and
  // settlements (6), plus the market data: events with nested markets, 200 events per page, per
  // series (the scope is the series list).
  const perSeriesPages = Math.max(1, Math.ceil(events / series / 200));
  const min = 6 + series * perSeriesPages;
  console.log(
    `${markets} markets (${events} events, ${series} series), ${websocket ? "daemon with WebSocket books" : "REST only"}: cycle CPU p50 ${pct(cpu, 50).toFixed(1)} ms, max ${Math.max(...cpu).toFixed(1)} ms over ${cpu.length} warm cycles (first cycle, a full load: ${first.cpu.toFixed(1)} ms, ${first.reqs} requests); ` +
      `markets in scope ${pct(scanned, 50)}; requests per cycle p50 ${pct(reqs, 50)} (REST minimum for this scope ≈ ${min}: 6 portfolio/status + ${series * perSeriesPages} market-data pages; extra = order writes, order lookups, book depth${websocket ? "; with live books the market pages are only read once a minute" : ""})`,
  );
}

async function memoryBench() {
  const { dir, sim } = await venue(1000, 10);
  const proc = Bun.spawn([BIN, "--config", join(dir, "bot.json"), "--mode", "trade", "--non-interactive", "--skip-setup-wizard", "--log-format", "plain", "--lock-file", join(dir, "bot.lock")], { cwd: dir, stdout: "ignore", stderr: "ignore" });
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
  console.log(`RSS over ${SECONDS} s (${last[1]} cycles, 1,000 markets, exchange at 10× speed): ${samples.map((s) => `${s[0]}s:${mb(s[2])}`).join(" ")} MB`);
  console.log(`RSS p50 first half ${mb(pct(firstHalf, 50))} MB, second half ${mb(pct(secondHalf, 50))} MB, max ${mb(Math.max(...samples.map((s) => s[2])))} MB`);
}

for (const n of SIZES) {
  await cycleBench(n, false);
  await cycleBench(n, true);
}
if (SECONDS > 0) await memoryBench();
