// Config and command-line input refused (or accepted) as README says, through the compiled binary
// (issue 10, items 5, 6 and 7): one clear line, exit 2, no stack trace, never a hang.
//   - an invalid risk.timezone: exit 2 at load for every command, and `verify` fails (it used to
//     pass verify and then die with exit 1 "invalid time zone" at every start);
//   - a key given twice in one object: refused naming the key and both lines (JSON keeps the last);
//   - dollar amounts as JSON numbers refused (README: strings); a UTF-8 BOM accepted;
//   - a symbolic-link loop named as such (not "not found"); a named pipe with no writer refused
//     after a bounded wait, one with a writer read;
//   - `sim --host 999.1.1.1` refused and exits; `--once --once`, `status --json=maybe`,
//     `help frobnicate` and `--version extra junk` are usage errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir, writeConfig, type RunResult } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

function refused(r: RunResult, re: RegExp): void {
  expect(r.timedOut, r.output).toBe(false);
  expect(r.code, r.output).toBe(2);
  expect(r.output).not.toMatch(/Internal error/);
  expect(r.output).not.toMatch(/\n\s+at .+:\d+/);
  expect(r.stderr).toMatch(re);
}

describe("config refused at load, not at run time", () => {
  test("invalid risk.timezone: exit 2 naming the key, for a run and for verify", async () => {
    const dir = tempDir("kbot-tz-");
    const cfg = writeConfig(dir, { risk: { timezone: "Mars/Olympus_Mons" }, paths: { lock_file: "bot.lock" } });
    const run = await runBin(["--config", cfg, "--mode", "scan", "--once", "--skip-setup-wizard", "--non-interactive"], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    refused(run, /risk\.timezone: "Mars\/Olympus_Mons" is not a time zone this system knows; set an IANA name such as "America\/New_York"/);
    const verify = await runBin(["--config", cfg, "--verify-config", "--mode", "trade"], { cwd: dir, timeoutMs: 60_000 });
    expect(verify.code, verify.output).toBe(2);
    expect(verify.output).toMatch(/risk\.timezone/);
    const ok = writeConfig(dir, { risk: { timezone: "UTC" } }, "ok.json");
    expect((await runBin(["config", "show", "--config", ok], { cwd: dir })).code).toBe(0);
  }, 90_000);

  test("a key given twice: refused naming the key and both lines", async () => {
    const dir = tempDir("kbot-dup-");
    const cfg = join(dir, "dup.json");
    writeFileSync(cfg, '{\n  "trading": {\n    "dry_run": true,\n    "autonomous_mode": true,\n    "dry_run": false\n  }\n}\n');
    refused(await runBin(["config", "show", "--config", cfg], { cwd: dir }), /key "trading\.dry_run" appears twice \(lines 3 and 5\)/);
    // The same name in different objects is not a duplicate.
    const fine = join(dir, "fine.json");
    writeFileSync(fine, '{"trading": {"strategies": {"market_maker": {"enabled": true}, "fair_value": {"enabled": true}}}}');
    expect((await runBin(["config", "show", "--config", fine], { cwd: dir })).code).toBe(0);
  });

  test("dollar amounts as JSON numbers refused; strings accepted", async () => {
    const dir = tempDir("kbot-dollars-");
    const bad = writeConfig(dir, { risk: { max_daily_loss_dollars: 12.5 } }, "bad.json");
    refused(
      await runBin(["config", "show", "--config", bad], { cwd: dir }),
      /risk\.max_daily_loss_dollars: expected a dollar amount as a string: write "12\.5" in quotes/,
    );
    const good = writeConfig(dir, { risk: { max_daily_loss_dollars: "12.50" } }, "good.json");
    expect((await runBin(["config", "show", "--config", good], { cwd: dir })).code).toBe(0);
  });

  test("a UTF-8 byte order mark is accepted", async () => {
    const dir = tempDir("kbot-bom-");
    const cfg = join(dir, "bom.json");
    writeFileSync(cfg, `\uFEFF${JSON.stringify({ trading: { cycle_interval_seconds: 42 } })}`);
    const r = await runBin(["config", "show", "--config", cfg], { cwd: dir });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/"cycle_interval_seconds": 42/);
  });

  test("a symbolic link loop is named as such", async () => {
    const dir = tempDir("kbot-loop-");
    symlinkSync(join(dir, "b.json"), join(dir, "a.json"));
    symlinkSync(join(dir, "a.json"), join(dir, "b.json"));
    refused(
      await runBin(["config", "show", "--config", join(dir, "a.json")], { cwd: dir }),
      /a\.json is a symbolic link that loops \(ELOOP\)/,
    );
  });

  test("a named pipe nobody writes to is refused after a bounded wait; one with a writer is read", async () => {
    const dir = tempDir("kbot-fifo-");
    const fifo = join(dir, "config.fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    refused(
      await runBin(["config", "show", "--config", fifo], { cwd: dir, timeoutMs: 30_000 }),
      /config\.fifo is a pipe and nothing was written to it within 5 s/,
    );
    // A writer that comes a moment later: the config is read.
    const src = writeConfig(dir, { trading: { cycle_interval_seconds: 43 } }, "src.json");
    const writer = Bun.spawn(["sh", "-c", `sleep 1; cat '${src}' > '${fifo}'`]);
    const r = await runBin(["config", "show", "--config", fifo], { cwd: dir, timeoutMs: 30_000 });
    await writer.exited;
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/"cycle_interval_seconds": 43/);
  }, 60_000);
});

describe("command line", () => {
  test("sim --host with an address that is not one: exit 2, and the process ends", async () => {
    refused(await runBin(["sim", "--host", "999.1.1.1", "--port", "0"], { timeoutMs: 20_000 }), /--host 999\.1\.1\.1: not an IP address/);
    // A real address of another machine: cannot listen there, said so, and the process ends.
    refused(await runBin(["sim", "--host", "192.0.2.1", "--port", "0"], { timeoutMs: 20_000 }), /--host 192\.0\.2\.1: cannot listen there/);
  }, 60_000);

  test("repeated switches, switches with values, unknown help topics and --version arguments are usage errors", async () => {
    refused(await runBin(["--mode", "scan", "--once", "--once"]), /Option --once is given more than once/);
    refused(await runBin(["status", "--json=maybe"]), /Option --json is a switch/);
    refused(await runBin(["help", "frobnicate"]), /help: unknown command "frobnicate"/);
    refused(await runBin(["--version", "extra", "junk"]), /--version takes no arguments/);
    // What stays fine:
    expect((await runBin(["help", "run"])).code).toBe(0);
    expect((await runBin(["--version"])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
