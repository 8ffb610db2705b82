// Speed of `kalshi-bot backtest` on a whole tape, next to a yardstick: the time to just gunzip and
// JSON.parse the same files (the least any replay of them must spend).
//   node_modules/.bin/bun scripts/bench/backtest.ts [--data DIR] [--recording DIR] [--strategies both|shipped|market_maker] [--json]
// DIR defaults to ../shared/data/kxhighny (120 events, 244,872 trades; README there). The binary runs
// pinned to one core (taskset, when present); its CPU time is read from the child's rusage.
// `--recording DIR` (a folder `kalshi-bot record` wrote) times the backtest of that recording too,
// beside its own yardstick (gunzip + JSON.parse of every line).
// The config is the repo's advanced_config.json with `--strategies`: both (default, as this bench has
// always measured: event_arbitrage and market_maker enabled), shipped (as is: event_arbitrage only)
// or market_maker (alone), the three configs of the README's real-data figures.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";

const ROOT = resolve(import.meta.dir, "../..");
const BIN = process.env.KALSHI_BOT_BIN ? resolve(process.env.KALSHI_BOT_BIN) : join(ROOT, "dist", "kalshi-bot");
const argv = process.argv.slice(2);
const dataArg = argv.indexOf("--data");
const data = resolve(dataArg >= 0 ? argv[dataArg + 1]! : join(ROOT, "..", "shared", "data", "kxhighny"));
const asJson = argv.includes("--json");
const recArg = argv.indexOf("--recording");
const recording = recArg >= 0 ? resolve(argv[recArg + 1]!) : null;
const stratArg = argv.indexOf("--strategies");
const strategiesChoice = stratArg >= 0 ? argv[stratArg + 1]! : "both";
const enabledBy: Record<string, Record<string, boolean>> = {
  both: { market_maker: true },
  shipped: {},
  market_maker: { market_maker: true, event_arbitrage: false },
};
const enabled = enabledBy[strategiesChoice];
if (!enabled) {
  console.error(`--strategies ${strategiesChoice}: one of ${Object.keys(enabledBy).join(", ")}`);
  process.exit(2);
}
const config = JSON.parse(readFileSync(join(ROOT, "advanced_config.json"), "utf8")) as {
  trading: { strategies: Record<string, { enabled: boolean }> };
};
for (const [name, on] of Object.entries(enabled)) config.trading.strategies[name]!.enabled = on;

if (!existsSync(BIN)) {
  console.error(`${BIN} not found; build it first: node_modules/.bin/bun scripts/build.ts`);
  process.exit(2);
}
if (!existsSync(join(data, "trades"))) {
  console.error(`${data}: no trades/ folder; pass --data DIR (a kxhighny-format folder)`);
  process.exit(2);
}

// Yardstick: gunzip + JSON.parse of every file, best of 3.
const files = ["events", "trades"].flatMap((d) =>
  readdirSync(join(data, d))
    .filter((f) => f.endsWith(".json.gz"))
    .map((f) => join(data, d, f)),
);
let trades = 0;
const yard: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  let n = 0;
  for (const f of files) {
    const v = JSON.parse(gunzipSync(readFileSync(f)).toString("utf8")) as Record<string, unknown>;
    if (f.includes("/trades/")) for (const list of Object.values(v)) n += (list as unknown[]).length;
  }
  yard.push(performance.now() - t0);
  trades = n;
}

const out = mkdtempSync(join(tmpdir(), "kbot-bench-bt-"));
// The market maker ships disabled, and it is most of the replay's work (its fills and orders).
writeFileSync(join(out, "advanced_config.json"), JSON.stringify(config));
const pin = Bun.which("taskset") ? ["taskset", "-c", "0"] : [];
/** One backtest run of the binary on `dir`: wall and CPU ms, and its report. */
function run(dir: string): { wallMs: number; cpuMs: number; report: string } {
  const t0 = performance.now();
  const p = Bun.spawnSync([...pin, BIN, "backtest", "--data", dir, "--out", join(out, "out")], {
    cwd: out,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", NO_COLOR: "1", TZ: "UTC" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const wallMs = performance.now() - t0;
  if (p.exitCode !== 0) throw new Error(`backtest exited ${p.exitCode}: ${p.stderr.toString()}`);
  const ru = p.resourceUsage;
  return { wallMs, cpuMs: ru ? Number(ru.cpuTime.user + ru.cpuTime.system) / 1000 : Number.NaN, report: p.stdout.toString() };
}

/** The recording's figure: its yardstick (best of 3) and one backtest run. */
function recordingFigure(dir: string) {
  const files = readdirSync(dir)
    .filter((f) => /\.jsonl\.gz$/.test(f))
    .map((f) => join(dir, f));
  let lines = 0;
  const yard: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    let n = 0;
    for (const f of files)
      for (const l of gunzipSync(readFileSync(f)).toString("utf8").split("\n"))
        if (l) {
          JSON.parse(l);
          n++;
        }
    yard.push(performance.now() - t0);
    lines = n;
  }
  return { files: files.length, records: lines, yardstickMs: Math.min(...yard), ...run(dir) };
}

try {
  const { wallMs, cpuMs, report } = run(data);
  const r = {
    files: files.length,
    trades,
    yardstickMs: Math.min(...yard),
    backtestWallMs: wallMs,
    backtestCpuMs: cpuMs,
    strategies: strategiesChoice,
    pinnedToOneCore: pin.length > 0,
    report: report.split("\n").slice(0, 6).join("\n"),
    recording: recording ? recordingFigure(recording) : null,
  };
  if (asJson) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`tape: ${files.length} files, ${trades} trades`);
    console.log(`yardstick (gunzip + JSON.parse, best of 3): ${r.yardstickMs.toFixed(0)} ms`);
    console.log(
      `kalshi-bot backtest, strategies ${strategiesChoice}${pin.length ? " (one core)" : ""}: ${(wallMs / 1000).toFixed(1)} s wall, ${(cpuMs / 1000).toFixed(1)} s CPU (${(cpuMs / r.yardstickMs).toFixed(0)}x the yardstick; aim <= 30 s)`,
    );
    console.log(r.report);
    if (r.recording) {
      const x = r.recording;
      console.log(
        `recording: ${x.files} files, ${x.records} records; yardstick (gunzip + JSON.parse per line, best of 3): ${x.yardstickMs.toFixed(0)} ms`,
      );
      console.log(
        `kalshi-bot backtest of the recording${pin.length ? " (one core)" : ""}: ${(x.wallMs / 1000).toFixed(1)} s wall, ${(x.cpuMs / 1000).toFixed(1)} s CPU (${(x.cpuMs / x.yardstickMs).toFixed(0)}x the yardstick)`,
      );
      console.log(x.report.split("\n").slice(0, 3).join("\n"));
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
