// RSS soak of the daemon (issue 6: "resident memory after an hour of cycles ... no growth").
//
//   bun scripts/bench/engine-soak.ts [--minutes 10] [--markets 1000] [--speed 20] [--interval 1]
//                                     [--dry-run] [--no-ws] [--sample-s 10] [--bin dist/kalshi-bot]
//                                     [--bot-env NAME=VALUE ...] [--bot-log FILE] [--no-unit-env]
//                                     [--peak-ms 10] [--limit-mb 120]
//
// Everything through the binary, as a VPS runs it: `kalshi-bot sim` (the local exchange, its own
// process, at `speed`× sim time so markets move, trade, close and settle quickly) and the daemon
// (`--mode trade`, live against that exchange unless --dry-run, cycle every `interval` s, WebSocket
// books unless --no-ws). The bot's RSS is read from /proc/<pid>/status every `sample-s` seconds.
// Printed: first / median / last / max RSS, and the least-squares slope in MB per hour over all
// samples and over the samples after the first quarter (start-up and JIT warm-up excluded), plus
// cycles completed and the sim's own RSS for scale. Between the samples the RSS is also read every
// `peak-ms` (0: not), for the peaks a sample misses (a full load's lasts ~0.2 s): the highest read and
// the share of reads above `limit-mb`. The binary is copied to the temp folder first,
// so a rebuild of dist/ during a long soak does not matter.
import { appendFileSync, chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateKeyPair } from "../../src/sim/keys.ts";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const MINUTES = Number(arg("minutes", "10"));
const MARKETS = Number(arg("markets", "1000"));
const SPEED = Number(arg("speed", "20"));
const INTERVAL = Number(arg("interval", "1"));
const SAMPLE_S = Number(arg("sample-s", "10"));
const PEAK_MS = Number(arg("peak-ms", "10"));
const LIMIT_MB = Number(arg("limit-mb", "120"));
const DRY = argv.includes("--dry-run");
const NO_WS = argv.includes("--no-ws");
const SRC_BIN = resolve(arg("bin", resolve(import.meta.dir, "../../dist/kalshi-bot")));
// Extra environment for the bot alone (not the sim), e.g. a JavaScriptCore option as a unit's
// Environment= line would set it: --bot-env BUN_JSC_smallHeapGrowthFactor=1.3 (repeatable).
const BOT_ENV: Record<string, string> = {};
// --bot-log FILE: the bot runs with --verbose and all its output goes to FILE (its debug lines carry
// the JS heap beside RSS after each collection), for looking into where memory goes.
const BOT_LOG = arg("bot-log", "");
// The bot runs with the JavaScriptCore options the shipped unit sets (its `Environment=BUN_JSC_*`
// lines), as a VPS runs it; --no-unit-env: the binary as started by hand (a daemon then sets the
// same option itself, re-executing at start: src/ops/daemon-jit.ts). JavaScriptCore's own
// defaults, all tiers: --bot-env BUN_JSC_useDFGJIT=true.
if (!argv.includes("--no-unit-env")) {
  const unit = readFileSync(resolve(import.meta.dir, "../../deploy/systemd/kalshi-bot.service"), "utf8");
  for (const m of unit.matchAll(/^Environment=(BUN_JSC_[A-Za-z]+)=(.*)$/gm)) BOT_ENV[m[1]!] = m[2]!;
}
argv.forEach((a, i) => {
  if (a !== "--bot-env") return;
  const [name, ...rest] = argv[i + 1]!.split("=");
  BOT_ENV[name!] = rest.join("=");
});

const dir = mkdtempSync(join(tmpdir(), "kbot-soak-"));
const BIN = join(dir, "kalshi-bot");
copyFileSync(SRC_BIN, BIN);
chmodSync(BIN, 0o755);
const kp = generateKeyPair();
writeFileSync(join(dir, "key.pem"), kp.privateKeyPem, { mode: 0o600 });
writeFileSync(join(dir, "key.pub"), kp.publicKeyPem);

function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const sim = Bun.spawn(
  [
    BIN,
    "sim",
    "--port",
    "0",
    "--seed",
    "9",
    "--markets",
    String(MARKETS),
    "--speed",
    String(SPEED),
    "--tier",
    "prime",
    "--api-key-id",
    "soak",
    "--public-key",
    join(dir, "key.pub"),
    "--balance",
    "100000",
  ],
  { cwd: dir, stdout: "pipe", stderr: "inherit" },
);
const reader = sim.stdout.getReader();
let head = "";
while (!head.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("kalshi-bot sim exited before printing its URL");
  head += new TextDecoder().decode(value);
}
reader.releaseLock();
void sim.stdout.pipeTo(new WritableStream()).catch(() => {});
const baseUrl = head.split("\n")[0]!.trim();
// Live trading wants an explicit scope: every series of the scenario.
const seriesList = ((await (await fetch(`${baseUrl}/series`)).json()) as { series: Array<{ ticker: string }> }).series.map((x) => x.ticker);

const cfg = {
  exchange: {
    environment: "sim",
    base_url: baseUrl,
    api_key_id: "soak",
    private_key_path: join(dir, "key.pem"),
    rate_tier: "prime",
    request_timeout_ms: 30_000,
  },
  trading: {
    dry_run: DRY,
    autonomous_mode: true,
    non_interactive: true,
    cycle_interval_seconds: INTERVAL,
    series_tickers: seriesList,
    ...(NO_WS ? { websocket: false } : {}),
    // The market maker ships disabled; its quotes are the soak's order traffic.
    strategies: { market_maker: { enabled: true } },
  },
  risk: { max_orders_per_minute: 600, min_price: "0.01", max_price: "0.99", max_daily_loss_dollars: "50000", max_drawdown_pct: 90 },
  paths: { database: "data/k.sqlite", reports_dir: "reports", backups_dir: "backups", lock_file: "bot.lock" },
};
writeFileSync(join(dir, "bot.json"), JSON.stringify(cfg, null, 2));

const bot = Bun.spawn(
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
    ...(BOT_LOG ? ["--verbose"] : []),
  ],
  {
    cwd: dir,
    env: { ...process.env, ...BOT_ENV },
    stdout: "pipe",
    stderr: "pipe",
  },
);
// Keep the pipes drained (a full pipe would block the bot), remembering the last lines for errors.
let tail = "";
const drain = async (s: ReadableStream<Uint8Array>) => {
  const dec = new TextDecoder();
  for await (const c of s) {
    const text = dec.decode(c, { stream: true });
    if (BOT_LOG) appendFileSync(BOT_LOG, text);
    tail = (tail + text).slice(-4000);
  }
};
void drain(bot.stdout);
void drain(bot.stderr);

const samples: Array<{ s: number; rss: number; cycle: number; simRss: number }> = [];
const t0 = Date.now();
let stopped = false;
const stop = () => {
  stopped = true;
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
console.log(
  `soak: ${MINUTES} min, ${MARKETS} markets, sim ×${SPEED}, cycle ${INTERVAL} s, ${DRY ? "dry-run" : "live"}${NO_WS ? ", REST only" : ", WebSocket books"}; bot pid ${bot.pid}, folder ${dir}${
    Object.keys(BOT_ENV).length > 0
      ? `; bot env ${Object.entries(BOT_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`
      : ""
  }`,
);
// The fine reads, in their own loop beside the samples.
const peaks = { reads: 0, over: 0, max: 0, runs: 0 };
const peakLoop = (async () => {
  if (PEAK_MS <= 0) return;
  let inRun = false;
  while (!stopped && bot.exitCode === null) {
    const rss = rssBytes(bot.pid);
    if (rss !== null) {
      peaks.reads++;
      peaks.max = Math.max(peaks.max, rss);
      const over = rss > LIMIT_MB * 1048576;
      if (over) peaks.over++;
      if (over && !inRun) peaks.runs++;
      inRun = over;
    }
    await Bun.sleep(PEAK_MS);
  }
})();
while (!stopped && Date.now() - t0 < MINUTES * 60_000) {
  await Bun.sleep(SAMPLE_S * 1000);
  if (bot.exitCode !== null) {
    console.error(`the bot exited (${bot.exitCode}) after ${Math.round((Date.now() - t0) / 1000)} s:\n${tail}`);
    break;
  }
  const rss = rssBytes(bot.pid);
  if (rss === null) continue;
  let cycle = 0;
  try {
    cycle = JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8")).cycle;
  } catch {}
  const s = { s: Math.round((Date.now() - t0) / 1000), rss, cycle, simRss: rssBytes(sim.pid) ?? 0 };
  samples.push(s);
  console.log(
    `  ${String(s.s).padStart(5)} s  cycle ${String(cycle).padStart(6)}  bot RSS ${(rss / 1048576).toFixed(1)} MB  (sim ${(s.simRss / 1048576).toFixed(1)} MB)`,
  );
}

// The bot's CPU over the soak (user + system, /proc/<pid>/stat), for knobs that trade CPU for memory.
function cpuSeconds(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}
const botCpu = cpuSeconds(bot.pid);
stopped = true;
await peakLoop;
const wallS = (Date.now() - t0) / 1000;
bot.kill("SIGTERM");
const code = await bot.exited;
sim.kill("SIGTERM");
await sim.exited;

const mb = (b: number) => (b / 1048576).toFixed(1);
function slopeMbPerHour(xs: typeof samples): number {
  if (xs.length < 2) return NaN;
  const n = xs.length;
  const mx = xs.reduce((a, x) => a + x.s, 0) / n;
  const my = xs.reduce((a, x) => a + x.rss, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of xs) {
    num += (x.s - mx) * (x.rss - my);
    den += (x.s - mx) ** 2;
  }
  return ((num / den) * 3600) / 1048576;
}
if (samples.length === 0) {
  console.log("no samples");
} else {
  const rs = samples.map((x) => x.rss).sort((a, b) => a - b);
  const last = samples.at(-1)!;
  const warm = samples.slice(Math.floor(samples.length / 4));
  // RSS saws up and down with GC; a leak shows as a rising floor. Floor = the lowest sample of each
  // minute; its slope is the leak indicator (the slope over all samples depends on where the saw ends).
  const floors: typeof samples = [];
  for (const x of samples) {
    const k = Math.floor(x.s / 60);
    const f = floors[k];
    if (!f || x.rss < f.rss) floors[k] = x;
  }
  // Only whole minutes: the last, partial one holds a sample or two, not a floor.
  const fl = floors.filter((x, k) => x && (k + 1) * 60 <= last.s);
  const flWarm = fl.slice(Math.floor(fl.length / 4));
  console.log(
    `per-minute floor: ${fl.map((x) => mb(x.rss)).join(" ")} MB; floor slope ${slopeMbPerHour(flWarm).toFixed(1)} MB/h after the first quarter`,
  );
  console.log(
    `RSS over ${last.s} s (${last.cycle} cycles, ${MARKETS} markets, sim ×${SPEED}, ${DRY ? "dry-run" : "live"}${NO_WS ? ", REST only" : ", WebSocket"}): ` +
      `first ${mb(samples[0]!.rss)} MB, median ${mb(rs[Math.floor(rs.length / 2)]!)} MB, last ${mb(last.rss)} MB, max ${mb(rs.at(-1)!)} MB; ` +
      `slope ${slopeMbPerHour(samples).toFixed(1)} MB/h over all ${samples.length} samples, ${slopeMbPerHour(warm).toFixed(1)} MB/h after the first quarter; bot exit ${code}`,
  );
  if (peaks.reads > 0)
    console.log(
      `RSS read every ${PEAK_MS} ms (${peaks.reads} reads): max ${mb(peaks.max)} MB; above ${LIMIT_MB} MB in ${peaks.over} reads (${((100 * peaks.over) / peaks.reads).toFixed(3)}%), ${peaks.runs} spells`,
    );
  if (botCpu !== null)
    console.log(
      `bot CPU ${botCpu.toFixed(1)} s over ${wallS.toFixed(0)} s = ${((100 * botCpu) / wallS).toFixed(1)}% of a core (${(botCpu / Math.max(1, last.cycle)).toFixed(3)} s a cycle)`,
    );
}
if (process.env.KALSHI_BOT_KEEP_TMP !== "1") rmSync(dir, { recursive: true, force: true });
process.exit(0);
