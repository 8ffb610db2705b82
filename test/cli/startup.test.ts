// Start-up (issue 14 goal 4): `--version` is answered before the command layer loads, `--backup` /
// `backup` and `watchdog` load only what they use, and what each prints is unchanged.
// (Timings are benchmarks, scripts/bench/startup.ts; here only behaviour and the import graph.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { ROOT, cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

/** Every source file and package module an entry point loads, by the bundler's own graph. */
async function loads(entry: string): Promise<string[]> {
  const r = await Bun.build({ entrypoints: [join(ROOT, entry)], target: "bun", metafile: true });
  if (!r.success || !r.metafile) throw new Error(`cannot bundle ${entry}: ${r.logs.join("\n")}`);
  return Object.keys(r.metafile.inputs);
}

describe("start-up through the binary", () => {
  test("--version, -V and version print the version alone, with nothing on stderr", async () => {
    for (const arg of ["--version", "-V", "version"]) {
      const r = await runBin([arg], { cwd: tempDir() });
      expect({ arg, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ arg, code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    }
  });

  test("--version with arguments is still a usage error (exit 2)", async () => {
    const r = await runBin(["--version", "extra"], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--version takes no arguments (got extra)");
    expect(r.stdout).toBe("");
  });

  test("--help and `help` print the same root usage, commands and exit codes", async () => {
    const a = await runBin(["--help"], { cwd: tempDir() });
    const b = await runBin(["help"], { cwd: tempDir() });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain("COMMANDS");
    expect(a.stdout).toContain("Exit codes: 0 ok, 1 internal error, 2 usage/invalid config");
    expect(a.stderr).toBe("");
  });

  test("watchdog and --backup still run through the binary (no heartbeat: unhealthy 6; no database: 5)", async () => {
    const dir = tempDir();
    const w = await runBin(["watchdog", "--lock-file", join(dir, "bot.lock")], { cwd: dir });
    expect(w.code).toBe(6);
    const b = await runBin(["--backup", "--lock-file", join(dir, "bot.lock")], { cwd: dir });
    expect(b.code).toBe(5);
    expect(b.stderr).toContain("no database");
  });
});

describe("each command loads only what it uses", () => {
  const heavy = (files: string[]) =>
    files.filter((f) =>
      /node_modules\/drizzle-orm\/|src\/db\/open\.ts|src\/db\/schema\.ts|src\/engine\/|src\/kalshi\/client\.ts|src\/kalshi\/ws\.ts|src\/sim\/|src\/dashboard\/|src\/strategies\//.test(
        f,
      ),
    );

  test("backup: no drizzle, ledger schema, engine, exchange client or local exchange", async () => {
    expect(heavy(await loads("src/cli/backup.ts"))).toEqual([]);
  });

  test("watchdog: no drizzle, ledger schema, engine, exchange client or local exchange", async () => {
    expect(heavy(await loads("src/cli/watchdog.ts"))).toEqual([]);
  });

  test("--version: the entry point answers before loading the command layer", async () => {
    const src = await Bun.file(join(ROOT, "src/cli.ts")).text();
    const versionBranch = src.slice(0, src.indexOf("} else {"));
    expect(versionBranch).toContain('import("./version.ts")');
    expect(versionBranch).not.toContain("cli/main.ts");
    expect(await loads("src/version.ts")).toEqual(expect.not.arrayContaining([expect.stringContaining("node_modules/")]));
  });

  test("--help: the root's usage lists every command without loading any command module; each command's own help says the same", async () => {
    // A fresh process (this one has loaded modules of its own): what the root's usage loads, by Bun's module registry.
    const script = `
      const { rootUsage, SUBCOMMANDS } = await import(${JSON.stringify(join(ROOT, "src/cli/main.ts"))});
      const text = await rootUsage();
      const loaded = Object.keys(require.cache).filter((k) => k.includes("/src/"));
      const metas = {};
      for (const [k, load] of Object.entries(SUBCOMMANDS)) metas[k] = (await load()).meta;
      console.log(JSON.stringify({ text, loaded, metas }));`;
    const p = Bun.spawnSync([process.execPath, "-e", script], { cwd: ROOT });
    expect(p.exitCode, p.stderr.toString()).toBe(0);
    const { text, loaded, metas } = JSON.parse(p.stdout.toString()) as {
      text: string;
      loaded: string[];
      metas: Record<string, { name: string; description: string }>;
    };
    expect(
      loaded.filter((f) => /src\/cli\/(?!main|shared|exit-codes|command-meta)|src\/(engine|sim|kalshi|dashboard|db|strategies)\//.test(f)),
    ).toEqual([]);
    for (const [k, m] of Object.entries(metas)) {
      expect(m.name).toBe(k);
      expect(text).toContain(`  ${k.padEnd(14)} ${m.description}`);
    }
  });
});
