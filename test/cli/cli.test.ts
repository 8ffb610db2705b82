// The CLI surface through the compiled binary: version, help, unknown flags, config errors with
// their key paths, verify on good and broken configs, config show/schema, running from an empty folder.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, statSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { BIN, cleanup, ensureBinary, runBin, tempDir, writeConfig } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

function noStack(out: string) {
  expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(out).not.toContain("node_modules");
}

describe("binary basics", () => {
  test("--version prints the baked-in version, from an empty folder with nothing installed", async () => {
    const dir = tempDir();
    const bin = join(dir, "kalshi-bot");
    copyFileSync(BIN, bin);
    chmodSync(bin, 0o755);
    const r = await runBin(["--version"], { cwd: dir, command: [bin] });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  test("--help lists the guide's flags and the subcommands", async () => {
    const r = await runBin(["--help"]);
    expect(r.code).toBe(0);
    for (const f of [
      "--mode",
      "--once",
      "--skip-setup-wizard",
      "--non-interactive",
      "--backup",
      "--verify-config",
      "--lock-file",
      "--config",
    ]) {
      expect(r.stdout).toContain(f);
    }
    for (const c of ["run", "backup", "restore", "verify", "watchdog", "status", "setup", "sim", "config"])
      expect(r.stdout).toContain(`  ${c} `);
    expect(r.stdout).not.toContain("\u001b["); // no colour codes when piped
  });

  test.each([
    [["--mode", "trade", "--onse"], "--onse"],
    [["--bogus", "x"], "--bogus"],
    [["backup", "--keep-all"], "--keep-all"],
    [["watchdog", "--frobnicate"], "--frobnicate"],
    [["verify", "--mode", "trade", "--typo=1"], "--typo"],
  ])("unknown flag %p is rejected with exit 2, one line, no stack", async (args, flag) => {
    const dir = tempDir();
    const r = await runBin([...args, "--lock-file", join(dir, "l.lock")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Unknown option ${flag}`);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    noStack(r.output);
  });

  test("an invalid --mode value and an unknown command are usage errors", async () => {
    const a = await runBin(["--mode", "yolo"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("yolo");
    const b = await runBin(["frobnicate"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('Unknown command "frobnicate"');
    noStack(a.output + b.output);
  });

  test("a stray positional is rejected", async () => {
    const r = await runBin(["--mode", "trade", "now"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unexpected argument");
  });
});

describe("configuration", () => {
  test("every schema error names the key's path; nothing else is touched", async () => {
    const dir = tempDir();
    const cfg = writeConfig(dir, {
      trading: { dry_run: "yes", cycle_interval_seconds: 0, strategies: { market_maker: { spred: "0.02" } } },
      paths: { databse: "x.sqlite" },
      risk: { max_contracts_per_order: -1 },
    });
    const r = await runBin(["verify", "--config", cfg, "--lock-file", join(dir, "l.lock")], { cwd: dir });
    expect(r.code).toBe(2);
    for (const p of [
      "trading.dry_run",
      "trading.cycle_interval_seconds",
      "trading.strategies.market_maker.spred",
      "paths.databse",
      "risk.max_contracts_per_order",
    ]) {
      expect(r.output).toContain(p);
    }
    noStack(r.output);
    expect(existsSync(join(dir, "data"))).toBe(false);
  });

  test("invalid JSON and a missing explicit config file are one-line errors with exit 2", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "advanced_config.json"), '{ "trading": { ');
    const a = await runBin(["--mode", "trade", "--once", "--non-interactive", "--lock-file", join(dir, "l.lock")], { cwd: dir });
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("not valid JSON");
    const b = await runBin(["config", "show", "--config", join(dir, "nope.json")], { cwd: dir });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("not found");
    noStack(a.output + b.output);
  });

  test("config show redacts the key id and resolves paths against the config file's folder", async () => {
    const dir = tempDir();
    const cfg = writeConfig(dir, {
      exchange: { environment: "demo", api_key_id: "a1b2c3d4-secret-key-id-0000" },
      paths: { database: "db/k.sqlite" },
    });
    const r = await runBin(["config", "show", "--config", cfg], { cwd: "/" });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("secret-key-id");
    const shown = JSON.parse(r.stdout);
    expect(shown._resolved.paths.database).toBe(join(dir, "db/k.sqlite"));
    expect(shown.trading.dry_run).toBe(true);
  });

  test("environment overrides the key id and key path", async () => {
    const dir = tempDir();
    const cfg = writeConfig(dir, { exchange: { environment: "demo" } });
    const r = await runBin(["config", "show", "--config", cfg], {
      env: { KALSHI_API_KEY_ID: "zzzz-from-env-0000", KALSHI_PRIVATE_KEY_PATH: join(dir, "k.pem") },
    });
    const shown = JSON.parse(r.stdout);
    expect(shown.exchange.api_key_id).toStartWith("zzzz");
    expect(shown.exchange.api_key_id).not.toContain("from-env");
    expect(shown.exchange.private_key_path).toBe(join(dir, "k.pem"));
    expect(shown._resolved.key_source).toBe("env");
  });

  test("config schema is a JSON Schema editors can use", async () => {
    const r = await runBin(["config", "schema"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.type).toBe("object");
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.properties)).toEqual(
      expect.arrayContaining(["exchange", "trading", "risk", "paths", "backup", "watchdog", "logging"]),
    );
  });

  test("the shipped advanced_config.json is valid", async () => {
    const r = await runBin(["config", "show", "--config", join(import.meta.dir, "../../advanced_config.json")]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).trading.dry_run).toBe(true);
  });

  test("npm start's run (the shipped config, a fresh folder): one cycle, and the ledger's folder, database and sim key are private", async () => {
    const d = tempDir();
    copyFileSync(join(import.meta.dir, "../../advanced_config.json"), join(d, "advanced_config.json"));
    const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive"], { cwd: d });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toContain("cycle 1 (trade, dry-run)");
    const mode = (p: string) => statSync(join(d, p)).mode & 0o777;
    expect(mode("data")).toBe(0o700);
    expect(mode("data/kalshi.sqlite")).toBe(0o600);
    expect(mode("data/sim-key.pem")).toBe(0o600);
  });
});

describe("--verify-config --mode trade", () => {
  function key(dir: string, mode: number): string {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const p = join(dir, "kalshi.key");
    writeFileSync(p, privateKey.export({ type: "pkcs1", format: "pem" }) as string, { mode });
    chmodSync(p, mode);
    return p;
  }

  test("a dry-run sim config passes", async () => {
    const dir = tempDir();
    const cfg = writeConfig(dir, { exchange: { environment: "sim" } });
    const r = await runBin(["--verify-config", "--mode", "trade", "--config", cfg, "--lock-file", join(dir, "l.lock")]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("FAIL");
  });

  test("a live config missing the checklist lists every problem at once", async () => {
    const dir = tempDir();
    const k = key(dir, 0o644);
    const cfg = writeConfig(dir, {
      exchange: { environment: "demo", api_key_id: "abcd-0000-1111", private_key_path: k, base_url: "http://127.0.0.1:9" },
      trading: { dry_run: false },
    });
    const r = await runBin(["--verify-config", "--mode", "trade", "--config", cfg, "--lock-file", join(dir, "l.lock")]);
    expect(r.code).toBe(2);
    for (const s of ["trading.autonomous_mode", "trading.non_interactive", "scope", "chmod 600"]) expect(r.stdout).toContain(s);
    expect(r.output).not.toContain("BEGIN");
    noStack(r.output);
  });

  test("a complete live config with a safe key but an unreachable exchange: one network problem naming host:port, not the key", async () => {
    const dir = tempDir();
    const k = key(dir, 0o600);
    const cfg = writeConfig(dir, {
      exchange: {
        environment: "demo",
        api_key_id: "abcd-0000-1111",
        private_key_path: k,
        base_url: "http://127.0.0.1:9",
        request_timeout_ms: 500,
      },
      trading: { dry_run: false, autonomous_mode: true, non_interactive: true, series_tickers: ["KXHIGHNY"] },
    });
    const r = await runBin(["--verify-config", "--mode", "trade", "--config", cfg, "--lock-file", join(dir, "l.lock")], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(2);
    const fails = r.stdout.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(fails).toHaveLength(1);
    expect(fails[0]).toContain("FAIL exchange: cannot reach 127.0.0.1:9: connection refused");
    expect(r.stdout).not.toContain("check the key id");
    expect(r.stderr).toContain("1 problem found");
  }, 70_000);
});

describe("--log-format json", () => {
  test("a trading cycle prints only JSON lines on stdout and stderr (the cycle summary is a log record)", async () => {
    const dir = tempDir();
    const r = await runBin(
      ["--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive", "--log-format", "json", "--lock-file", join(dir, "l.lock")],
      { cwd: dir, timeoutMs: 60_000 },
    );
    expect(r.code, r.output).toBe(0);
    const lines = r.output.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    expect(lines.some((l) => JSON.parse(l).msg.includes("cycle 1"))).toBe(true);
  }, 70_000);
});
