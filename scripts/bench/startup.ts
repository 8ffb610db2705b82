// Start-up time of the shipped binary next to a compiled hello-world built the same way.
//   node_modules/.bin/bun scripts/bench/startup.ts [runs=30] [--json]
// Prints min/median/p90/max wall time (spawn to exit) for `kalshi-bot --version`, `kalshi-bot --help`
// and `hello`, each run with a clean environment from an empty temp folder.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const BIN = process.env.KALSHI_BOT_BIN ? resolve(process.env.KALSHI_BOT_BIN) : join(ROOT, "dist", "kalshi-bot");
const argv = process.argv.slice(2);
const runs = Number(argv.find((a) => /^\d+$/.test(a)) ?? "30");
const asJson = argv.includes("--json");

if (!existsSync(BIN)) {
  console.error(`${BIN} not found; build it first: node_modules/.bin/bun scripts/build.ts`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "kbot-bench-"));
try {
  // A hello-world compiled with the same options as the product.
  const src = join(work, "hello.ts");
  const hello = join(work, "hello");
  writeFileSync(src, 'process.stdout.write("hello\\n");\n');
  const built = await Bun.build({
    entrypoints: [src],
    compile: { outfile: hello, autoloadDotenv: false, autoloadBunfig: false },
    minify: true,
  });
  if (!built.success) {
    for (const l of built.logs) console.error(l);
    process.exit(1);
  }
  const empty = join(work, "cwd");
  Bun.spawnSync(["mkdir", "-p", empty]);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", NO_COLOR: "1", TZ: "UTC" };

  // The three commands take turns, run by run, so load from other processes falls on all alike.
  const timeAll = (cmds: string[][]): number[][] => {
    const out: number[][] = cmds.map(() => []);
    for (let i = 0; i < runs + 3; i++) {
      cmds.forEach((cmd, k) => {
        const t0 = performance.now();
        const p = Bun.spawnSync(cmd, { cwd: empty, env, stdout: "pipe", stderr: "pipe" });
        const ms = performance.now() - t0;
        if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${p.exitCode}: ${p.stderr.toString()}`);
        if (i >= 3) out[k]!.push(ms); // the first runs warm the page cache
      });
    }
    return out.map((xs) => xs.sort((a, b) => a - b));
  };
  const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
  const stats = (xs: number[]) => ({ min: xs[0]!, median: q(xs, 0.5), p90: q(xs, 0.9), max: xs[xs.length - 1]! });

  const [version, help, helloTimes] = timeAll([[BIN, "--version"], [BIN, "--help"], [hello]]);
  const rows = [
    { name: "kalshi-bot --version", ...stats(version!) },
    { name: "kalshi-bot --help", ...stats(help!) },
    { name: "hello-world (compiled)", ...stats(helloTimes!) },
  ];
  const sizes = { kalshi_bot_bytes: statSync(BIN).size, hello_bytes: statSync(hello).size };
  const meta = {
    runs,
    bun: Bun.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: navigator.hardwareConcurrency,
    date: new Date().toISOString(),
  };
  if (asJson) {
    process.stdout.write(JSON.stringify({ ...meta, ...sizes, results: rows }, null, 2) + "\n");
  } else {
    const f = (n: number) => `${n.toFixed(1)} ms`.padStart(10);
    console.log(`start-up time, ${runs} runs each (wall clock, spawn to exit; bun ${meta.bun}, ${meta.platform}, ${meta.cpus} CPUs)`);
    console.log(`${"command".padEnd(26)}${"min".padStart(10)}${"median".padStart(10)}${"p90".padStart(10)}${"max".padStart(10)}`);
    for (const r of rows) console.log(`${r.name.padEnd(26)}${f(r.min)}${f(r.median)}${f(r.p90)}${f(r.max)}`);
    console.log(
      `binary sizes: kalshi-bot ${(sizes.kalshi_bot_bytes / 1e6).toFixed(1)} MB, hello-world ${(sizes.hello_bytes / 1e6).toFixed(1)} MB`,
    );
    const overhead = rows[0]!.median - rows[2]!.median;
    console.log(`--version median overhead over hello-world: ${overhead.toFixed(1)} ms`);
    // The yardstick: each median as a multiple of the hello-world's in this same run (aim: <= 2.5x).
    console.log(
      `median / hello-world median: --version ${(rows[0]!.median / rows[2]!.median).toFixed(2)}x, --help ${(rows[1]!.median / rows[2]!.median).toFixed(2)}x`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
