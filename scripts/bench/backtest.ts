// Speed of `kalshi-bot backtest` on a whole tape, next to a yardstick: the time to just gunzip and
// JSON.parse the same files (the least any replay of them must spend).
//   node_modules/.bin/bun scripts/bench/backtest.ts [--data DIR] [--json]
// DIR defaults to ../shared/data/kxhighny (120 events, 244,872 trades; README there). The binary runs
// pinned to one core (taskset, when present); its CPU time is read from the child's rusage.
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

if (!existsSync(BIN)) {
  console.error(`${BIN} not found; build it first: node_modules/.bin/bun scripts/build.ts`);
  process.exit(2);
}
if (!existsSync(join(data, "trades"))) {
  console.error(`${data}: no trades/ folder; pass --data DIR (a kxhighny-format folder)`);
  process.exit(2);
}

// Yardstick: gunzip + JSON.parse of every file, best of 3.
const files = ["events", "trades"].flatMap((d) => readdirSync(join(data, d)).filter((f) => f.endsWith(".json.gz")).map((f) => join(data, d, f)));
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
// Both strategies, as this bench has always measured: the market maker ships disabled, and it is
// most of the replay's work (its fills and the orders the risk gate refuses).
writeFileSync(join(out, "advanced_config.json"), JSON.stringify({ trading: { strategies: { market_maker: { enabled: true } } } }));
try {
  const pin = Bun.which("taskset") ? ["taskset", "-c", "0"] : [];
  const t0 = performance.now();
  const p = Bun.spawnSync([...pin, BIN, "backtest", "--data", data, "--out", join(out, "out")], { cwd: out, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", NO_COLOR: "1", TZ: "UTC" }, stdout: "pipe", stderr: "pipe" });
  const wallMs = performance.now() - t0;
  if (p.exitCode !== 0) throw new Error(`backtest exited ${p.exitCode}: ${p.stderr.toString()}`);
  const ru = p.resourceUsage;
  const cpuMs = ru ? Number(ru.cpuTime.user + ru.cpuTime.system) / 1000 : Number.NaN;
  const report = p.stdout.toString();
  const r = {
    files: files.length,
    trades,
    yardstickMs: Math.min(...yard),
    backtestWallMs: wallMs,
    backtestCpuMs: cpuMs,
    pinnedToOneCore: pin.length > 0,
    report: report.split("\n").slice(0, 6).join("\n"),
  };
  if (asJson) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`tape: ${files.length} files, ${trades} trades`);
    console.log(`yardstick (gunzip + JSON.parse, best of 3): ${r.yardstickMs.toFixed(0)} ms`);
    console.log(`kalshi-bot backtest${pin.length ? " (one core)" : ""}: ${(wallMs / 1000).toFixed(1)} s wall, ${(cpuMs / 1000).toFixed(1)} s CPU (${(cpuMs / r.yardstickMs).toFixed(0)}x the yardstick; aim <= 30 s)`);
    console.log(r.report);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
