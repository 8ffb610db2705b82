// Bad input everywhere, through the compiled binary: every refusal is one line naming the problem
// and the fix, a non-zero exit, no stack trace, and nothing of the user's is changed or lost.
//   empty and repeated options, options before a command, config files that are arrays, null,
//   huge, devices, folders or unreadable; a database that is another program's SQLite file, a text
//   file or a folder; garbage and unwritable heartbeats; files where folders belong; a full disk
//   (a small tmpfs) for backup, heartbeat and database; a non-root user for permission problems.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, cleanup, ensureBinary, runBin, tempDir, writeConfig, type RunResult } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);

const mounts: string[] = [];
afterAll(async () => {
  for (const m of mounts) Bun.spawnSync(["umount", "-l", m]);
  await cleanup();
});

const isRoot = process.getuid?.() === 0;
const setpriv = Bun.which("setpriv");
/** Permission tests need a user the file modes apply to: as root, run the binary as nobody. */
const canDropPrivileges = !isRoot || Boolean(setpriv);
const asUser = (): string[] => (isRoot ? [setpriv!, "--reuid=65534", "--regid=65534", "--clear-groups", BIN] : [BIN]);

/** One clear line (plus, for config files, the listed problems), non-zero, no stack. */
function clearRefusal(r: RunResult, code: number | null, re: RegExp): void {
  expect(r.timedOut, r.output).toBe(false);
  expect(r.code, r.output).toBe(code);
  expect(r.output).not.toMatch(/\n\s+at .+:\d+/);
  expect(r.output).not.toMatch(/Internal error/);
  const lines = r.stderr.trim().split("\n");
  expect(lines[0], r.stderr).toMatch(re);
  for (const extra of lines.slice(1)) expect(extra, r.stderr).toMatch(/ERROR\s{3}\S/); // only indented detail lines
}

function sha(p: string): string {
  return createHash("sha256").update(readFileSync(p)).digest("hex");
}

/** A folder with a config whose paths stay inside it. */
function folder(paths: Record<string, string> = {}, extra: Record<string, unknown> = {}): string {
  const d = tempDir();
  writeConfig(d, { paths: { lock_file: "bot.lock", ...paths }, ...extra });
  return d;
}

describe("options", () => {
  test.each([
    [["--config", ""], /^.*ERROR --config needs a path/],
    [["--config="], /^.*ERROR --config needs a path/],
    [["--lock-file", "", "--mode", "trade", "--once"], /ERROR --lock-file needs a path/],
    [["backup", "--config", ""], /ERROR --config needs a path/],
    [["--config", "a.json", "--config", "b.json", "--backup"], /ERROR Option --config is given more than once; give it once/],
    [["--mode", "trade", "--mode", "scan", "--once"], /ERROR Option --mode is given more than once/],
    [["--lock-file", "a", "--lock-file=b", "--backup"], /ERROR Option --lock-file is given more than once/],
    [["watchdog", "--heartbeat", ""], /ERROR --heartbeat needs a path/],
    [["restore"], /ERROR restore needs the backup to restore: kalshi-bot restore backups\/kalshi_YYYYMMDD_HHMMSS\.sqlite/],
    [["restore", "a", "b", "c"], /ERROR Unexpected argument/],
    [["backup", "extra"], /ERROR Unexpected argument/],
    [["--mode", "live"], /ERROR Invalid value for argument: --mode \(live\). Expected one of: trade, scan/],
  ])("%p → exit 2, one line", async (args, re) => {
    const d = tempDir();
    clearRefusal(await runBin(args, { cwd: d }), 2, re);
    expect(readdirSync(d)).toEqual([]); // nothing created
  });

  test("options written before a command apply to it (`kalshi-bot --config x.json status`)", async () => {
    const d = folder();
    mkdirSync(join(d, "sub"));
    const r = await runBin(["--config", join(d, "advanced_config.json"), "status"], { cwd: join(d, "sub") });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toContain("bot.lock");
    const show = await runBin(["--config", join(d, "advanced_config.json"), "config", "show"], { cwd: join(d, "sub") });
    expect(show.code, show.output).toBe(0);
    expect(JSON.parse(show.stdout)._resolved.file).toBe(join(d, "advanced_config.json"));
    // a value that happens to name a command stays a value
    const val = await runBin(["--config", "status", "--backup"], { cwd: d });
    clearRefusal(val, 2, /config file .*status not found/);
  });

  test("`help` and `help <command>`", async () => {
    const h = await runBin(["help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("COMMANDS");
    const b = await runBin(["help", "backup"]);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain("kalshi-bot backup");
    expect(b.stdout).toContain("--keep");
  });
});

describe("config files", () => {
  const bad: [string, string | Buffer, RegExp][] = [
    ["an array", "[]", /must contain a JSON object/],
    ["null", "null", /must contain a JSON object/],
    ["a string", '"trade"', /must contain a JSON object/],
    ["empty", "", /is not valid JSON/],
    ["binary", Buffer.from([0xff, 0xfe, 0x00, 0x7b]), /is not valid JSON/],
    ["deeply nested", "[".repeat(50_000) + "]".repeat(50_000), /must contain a JSON object|is not valid JSON/],
    [
      "2 MB",
      JSON.stringify({ trading: { series_tickers: Array.from({ length: 200_000 }, (_, i) => `X${i}`) } }),
      /is \d+ bytes; a config file is a few kilobytes/,
    ],
    [
      "5,000 tickers",
      JSON.stringify({ trading: { series_tickers: Array.from({ length: 5_000 }, (_, i) => `X${i}`) } }),
      /is invalid \(1 problem\)/,
    ],
  ];
  test.each(bad)(
    "%s → exit 2, one line naming the file, within seconds",
    async (_name, content, re) => {
      const d = tempDir();
      writeFileSync(join(d, "c.json"), content);
      for (const args of [["--mode", "trade", "--once"], ["--backup"], ["status"], ["watchdog"]]) {
        const r = await runBin([...args, "--config", join(d, "c.json"), "--lock-file", join(d, "l")], { cwd: d, timeoutMs: 15_000 });
        clearRefusal(r, 2, re);
        expect(r.stderr).toContain(join(d, "c.json"));
      }
      expect(readdirSync(d)).toEqual(["c.json"]);
    },
    60_000,
  );

  test("the 5,000-ticker problem names its key", async () => {
    const d = tempDir();
    writeConfig(d, { trading: { series_tickers: Array.from({ length: 5_000 }, (_, i) => `X${i}`) } }, "c.json");
    const r = await runBin(["--backup", "--config", join(d, "c.json")], { cwd: d });
    expect(r.stderr).toMatch(/trading\.series_tickers: Too big: expected array to have <=1000 items/);
  });

  test.each([
    ["a device (/dev/zero)", "/dev/zero", /\/dev\/zero is not a regular file/],
    ["a folder", "{dir}", /is a folder, not a config file; pass the file, e.g. --config .*advanced_config\.json/],
    ["missing", "{dir}/nope.json", /config file .*nope\.json not found; create it with `kalshi-bot setup`/],
  ])("--config naming %s → exit 2 at once", async (_n, path, re) => {
    const d = tempDir();
    const r = await runBin(["--backup", "--config", path.replace("{dir}", d)], { cwd: d, timeoutMs: 10_000 });
    clearRefusal(r, 2, re);
  });

  test("a config read from a pipe (--config /dev/stdin) works", async () => {
    const d = tempDir();
    const r = await runBin(["--config", "/dev/stdin", "config", "show"], { cwd: d, stdin: JSON.stringify({ backup: { keep: 3 } }) });
    expect(r.code, r.output).toBe(0);
    expect(JSON.parse(r.stdout).backup.keep).toBe(3);
  });

  test.skipIf(!canDropPrivileges)(
    "an unreadable config (mode 000, another user) → exit 2, names the permission problem",
    async () => {
      const d = tempDir();
      chmodSync(d, 0o777);
      writeConfig(d, {}, "c.json");
      chmodSync(join(d, "c.json"), 0o000);
      for (const args of [["--mode", "trade", "--once"], ["--backup"], ["status"], ["watchdog"], ["config", "show"]]) {
        const lock = args[0] === "config" ? [] : ["--lock-file", join(d, "l")];
        const r = await runBin([...args, "--config", join(d, "c.json"), ...lock], { cwd: d, command: asUser() });
        clearRefusal(r, 2, /cannot read .*c\.json \(EACCES\): this user has no read permission/);
      }
      const v = await runBin(["verify", "--config", join(d, "c.json")], { cwd: d, command: asUser() });
      expect(v.code).toBe(2);
      expect(v.stdout).toMatch(/^FAIL config: cannot read .*EACCES/m);
    },
    60_000,
  );
});

describe("the database", () => {
  function otherAppDb(d: string): string {
    mkdirSync(join(d, "data"), { recursive: true });
    const p = join(d, "data", "kalshi.sqlite");
    const db = new Database(p, { create: true });
    db.run("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)");
    db.run("CREATE TABLE orders(x)");
    db.run("INSERT INTO notes(body) VALUES ('precious')");
    db.close();
    return p;
  }

  test("another program's SQLite file: run (exit 8), backup and verify refuse it and leave it byte for byte", async () => {
    const d = folder();
    const p = otherAppDb(d);
    const before = sha(p);
    clearRefusal(
      await runBin(["--mode", "trade", "--once", "--skip-setup-wizard"], { cwd: d }),
      8,
      /kalshi\.sqlite is another application's SQLite database \(application_id 0; tables notes, orders\), not a kalshi-bot ledger; it was left untouched/,
    );
    clearRefusal(await runBin(["--backup"], { cwd: d }), 5, /backup FAILED: the database .*kalshi\.sqlite is not a kalshi-bot ledger/);
    const v = await runBin(["verify"], { cwd: d });
    expect(v.code).toBe(2);
    expect(v.stdout).toMatch(/^FAIL paths\.database: .*another application's SQLite database/m);
    expect(sha(p)).toBe(before);
    expect(readdirSync(join(d, "data"))).toEqual(["kalshi.sqlite"]); // no -wal/-shm, no journal
    expect(existsSync(join(d, "backups")) ? readdirSync(join(d, "backups")) : []).toEqual([]);
  }, 60_000);

  test("a text file: run (exit 8), backup and verify say it is not SQLite; it is left as it was", async () => {
    const d = folder();
    mkdirSync(join(d, "data"));
    const p = join(d, "data", "kalshi.sqlite");
    writeFileSync(p, "my shopping list\n");
    clearRefusal(
      await runBin(["--mode", "trade", "--once", "--skip-setup-wizard"], { cwd: d }),
      8,
      /kalshi\.sqlite is not a SQLite database/,
    );
    clearRefusal(await runBin(["--backup"], { cwd: d }), 5, /backup FAILED: .*kalshi\.sqlite is not a SQLite database/);
    const v = await runBin(["verify"], { cwd: d });
    expect(v.stdout).toMatch(/^FAIL paths\.database: .*is not a SQLite database/m);
    expect(readFileSync(p, "utf8")).toBe("my shopping list\n");
  }, 60_000);

  test("a folder where the database belongs: run (exit 8) and verify name it", async () => {
    const d = folder();
    mkdirSync(join(d, "data", "kalshi.sqlite"), { recursive: true });
    clearRefusal(
      await runBin(["--mode", "trade", "--once", "--skip-setup-wizard"], { cwd: d }),
      8,
      /database path .*kalshi\.sqlite is a folder; set paths\.database to a file/,
    );
    const v = await runBin(["verify"], { cwd: d });
    expect(v.code).toBe(2);
    expect(v.stdout).toMatch(/^FAIL paths\.database: .*is a folder, not a file/m);
  }, 30_000);
});

describe("heartbeat and folders", () => {
  test("a garbage heartbeat: watchdog exit 6 with the reason, status explains it, the next run replaces it", async () => {
    const d = folder();
    mkdirSync(join(d, "reports"));
    writeFileSync(join(d, "reports", "heartbeat.json"), "\u0000garbage{");
    const w = await runBin(["watchdog"], { cwd: d });
    expect(w.code).toBe(6);
    expect(w.stderr.trim()).toMatch(/^unhealthy: heartbeat .* is not valid JSON$/);
    const s = await runBin(["status"], { cwd: d });
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/no heartbeat \(heartbeat .* is not valid JSON\)/);
    const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard"], { cwd: d });
    expect(r.code, r.output).toBe(0);
    expect(JSON.parse(readFileSync(join(d, "reports", "heartbeat.json"), "utf8")).status).toBe("active");
  }, 60_000);

  test("the heartbeat path is a folder: the run warns with the fix and leaves no temp files; watchdog says unreadable", async () => {
    const d = folder();
    mkdirSync(join(d, "reports", "heartbeat.json"), { recursive: true });
    const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--log-format", "plain"], { cwd: d });
    expect(r.code, r.output).toBe(0);
    expect(r.stderr).toMatch(
      /WARN\s+heartbeat not written: cannot write the heartbeat .*heartbeat\.json \(EISDIR\); .* is a folder: remove it/,
    );
    expect(readdirSync(join(d, "reports"))).toEqual(["heartbeat.json"]);
    const w = await runBin(["watchdog"], { cwd: d });
    expect(w.code).toBe(6);
    expect(w.stderr).toMatch(/^unhealthy: heartbeat .* is unreadable \(EISDIR\)/);
  }, 60_000);

  test("a file where the backups folder belongs: backup exit 5 says so", async () => {
    const d = folder({ backups_dir: "backups" });
    await runBin(["--mode", "trade", "--once", "--skip-setup-wizard"], { cwd: d });
    writeFileSync(join(d, "backups"), "not a folder");
    clearRefusal(
      await runBin(["--backup"], { cwd: d }),
      5,
      /backup FAILED: the backups folder .*backups is a file, not a folder; move it away or set paths\.backups_dir/,
    );
    expect(readFileSync(join(d, "backups"), "utf8")).toBe("not a folder");
  }, 60_000);

  test.skipIf(!canDropPrivileges)(
    "a lock folder this user cannot write: exit 2 with the guide's advice, names the folder",
    async () => {
      const d = tempDir();
      chmodSync(d, 0o777);
      const ro = join(d, "ro");
      mkdirSync(ro);
      chmodSync(ro, 0o555);
      writeConfig(d, {});
      const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--lock-file", join(ro, "kalshi-bot.lock")], {
        cwd: d,
        command: asUser(),
      });
      clearRefusal(
        r,
        2,
        /Failed to acquire lock: cannot create or open .*ro\/kalshi-bot\.lock \(EACCES\)\. Use --lock-file \.\/custom\.lock, set paths\.lock_file, or fix permissions of the folder .*ro for this user/,
      );
    },
    30_000,
  );
});

describe("a full disk (a 256 KiB tmpfs)", () => {
  let full = "";
  const mounted = (() => {
    if (!isRoot) return false;
    const probe = tempDir();
    const m = join(probe, "full");
    mkdirSync(m);
    const r = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0777", "tmpfs", m], { stderr: "pipe" });
    if (r.exitCode !== 0) return false;
    mounts.push(m);
    full = m;
    return true;
  })();

  /** Fill the tmpfs to the last byte. */
  function fill(): void {
    const chunk = Buffer.alloc(4096, 1);
    for (let i = 0; ; i++) {
      try {
        writeFileSync(join(full, `filler-${i}`), chunk);
      } catch {
        break;
      }
    }
  }

  test.skipIf(!mounted)(
    "backup: exit 5, `no space left` with the fix, no partial file; heartbeat: the old one stays, no temp file; database: `no space left` (exit 8)",
    async () => {
      const d = folder({ backups_dir: join(full, "backups"), reports_dir: join(full, "reports") });
      const r0 = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard"], { cwd: d });
      expect(r0.code, r0.output).toBe(0);
      const hbBefore = readFileSync(join(full, "reports", "heartbeat.json"), "utf8");
      fill();

      const b = await runBin(["--backup"], { cwd: d });
      clearRefusal(
        b,
        5,
        /backup FAILED: no space left in the backups folder .*backups .*; nothing was written: free disk space there, lower backup\.keep, or set paths\.backups_dir/,
      );
      expect(readdirSync(join(full, "backups"))).toEqual([]);

      const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--log-format", "plain"], { cwd: d });
      expect(r.code, r.output).toBe(0); // the trading itself does not depend on the heartbeat
      expect(r.stderr).toMatch(
        /heartbeat not written: cannot write the heartbeat .* \(ENOSPC\); the disk holding .* is full: free space there/,
      );
      expect(readFileSync(join(full, "reports", "heartbeat.json"), "utf8")).toBe(hbBefore);
      expect(readdirSync(join(full, "reports"))).toEqual(["heartbeat.json"]);

      const d2 = folder({ database: join(full, "data", "kalshi.sqlite") });
      const r2 = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard"], { cwd: d2 });
      clearRefusal(r2, 8, /no space left for the database .*kalshi\.sqlite .*; free disk space on that filesystem/);
    },
    90_000,
  );
});

describe("a reader that goes away (`| head -1`, a closed terminal)", () => {
  test.each([[["config", "schema"]], [["--help"]], [["status"]], [["--mode", "scan", "--once", "--skip-setup-wizard"]]])(
    "%p | true: exit 0, nothing on stderr about the pipe",
    async (args) => {
      const d = folder();
      const quoted = args.map((a) => `'${a}'`).join(" ");
      const r = Bun.spawnSync(["bash", "-c", `set -o pipefail; '${BIN}' ${quoted} 2>err.txt | true`], {
        cwd: d,
        stdout: "pipe",
        stderr: "pipe",
        env: { PATH: "/usr/bin:/bin", HOME: d },
        timeout: 30_000,
      });
      const err = readFileSync(join(d, "err.txt"), "utf8");
      expect(r.exitCode, err).toBe(0);
      expect(err).not.toMatch(/EPIPE|Internal error|\n\s+at /);
    },
    30_000,
  );

  test("`kalshi-bot sim | head -1`: the exchange keeps running after its reader left, then stops cleanly", async () => {
    const d = tempDir();
    const proc = Bun.spawn([BIN, "sim", "--port", "0"], {
      cwd: d,
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: "/usr/bin:/bin", HOME: d },
    });
    const reader = proc.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/trade-api\/v2/);
    await reader.cancel(); // like head -1 exiting: the pipe's read end closes
    await Bun.sleep(1500); // it logs to stdout meanwhile
    expect(proc.exitCode).toBeNull();
    const url = first.split("\n")[0]!;
    expect((await fetch(`${url}/exchange/status`)).status).toBe(200);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const err = await new Response(proc.stderr).text();
    expect(err).not.toMatch(/EPIPE|\n\s+at /);
  }, 30_000);
});
