// Backup and restore through the compiled binary, on real files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backupDatabase, listBackups } from "../../src/ops/backup.ts";
import { BUN, ROOT, cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";

const WRITER = join(ROOT, "test/ops/fixtures/writer.ts");
const NAME_RE = /^kalshi_\d{8}_\d{6}(_\d+)?\.sqlite$/;
const LINE_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) backup ok (\S+) (\d+) bytes \(kept (\d+), removed (\d+)\)/;

beforeAll(() => ensureBinary(), 180_000);
afterAll(cleanup);

function sha(p: string): string {
  return createHash("sha256").update(readFileSync(p)).digest("hex");
}

function integrity(p: string): string {
  const db = new Database(p, { readonly: true });
  try {
    return (db.query("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) => r.integrity_check).join(",");
  } finally {
    db.close();
  }
}

async function makeDb(dir: string, ms = 100): Promise<string> {
  const db = join(dir, "data", "kalshi.sqlite");
  const r = await runBin([WRITER, db, String(ms)], { command: [BUN], cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return db;
}

const lockArgs = (d: string) => ["--lock-file", join(d, "bot.lock")];

describe("backup", () => {
  test("from an empty folder: one clear line, exit 5, no stack, nothing created but nothing to back up", async () => {
    const d = tempDir();
    const r = await runBin(["--backup", ...lockArgs(d)], { cwd: d });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("no database at");
    expect(r.stderr).toContain("nothing to back up");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.output).not.toMatch(/\n\s+at /);
  });

  test("--backup writes backups/kalshi_YYYYMMDD_HHMMSS.sqlite (UTC), mode 0600, verified, one cron-log line", async () => {
    const d = tempDir();
    await makeDb(d);
    const before = new Date();
    const r = await runBin(["--backup", ...lockArgs(d)], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    const m = LINE_RE.exec(r.stdout.trim());
    expect(m, r.stdout).not.toBeNull();
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const rel = m![2]!;
    expect(rel.startsWith("backups/")).toBe(true);
    const name = rel.slice("backups/".length);
    expect(name).toMatch(NAME_RE);
    const stamp = `${before.getUTCFullYear()}${String(before.getUTCMonth() + 1).padStart(2, "0")}${String(before.getUTCDate()).padStart(2, "0")}`;
    expect(name.startsWith(`kalshi_${stamp}_`)).toBe(true);
    const full = join(d, rel);
    expect(statSync(full).mode & 0o777).toBe(0o600);
    expect(Number(m![3])).toBe(statSync(full).size);
    expect(integrity(full)).toBe("ok");
    // no temp files left behind
    expect(readdirSync(join(d, "backups")).filter((n) => !NAME_RE.test(n))).toEqual([]);
  });

  test("while another process writes continuously: every backup passes integrity_check and the invariant", async () => {
    const d = tempDir();
    const dbPath = join(d, "data", "kalshi.sqlite");
    const writer = startBin([WRITER, dbPath, "8000"], { command: [BUN], cwd: d });
    await writer.waitFor(/READY/);
    const made: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await runBin(["backup", "--keep", "100", ...lockArgs(d)], { cwd: d });
      expect(r.code, r.stderr).toBe(0);
      made.push(join(d, LINE_RE.exec(r.stdout.trim())![2]!));
    }
    expect(writer.proc.exitCode).toBeNull(); // the writer was still writing during every backup
    await writer.exited;
    expect(new Set(made).size).toBe(8); // same-second backups never collide
    let lastCycles = 0;
    for (const b of made) {
      expect(integrity(b)).toBe("ok");
      const db = new Database(b, { readonly: true });
      // Each writer transaction inserts a cycle, its balance snapshot and an audit row together.
      const c = db
        .query(
          "SELECT (SELECT count(*) FROM cycles) AS c, (SELECT count(*) FROM balance_snapshots) AS b, (SELECT count(*) FROM audit_log) AS a",
        )
        .get() as { c: number; b: number; a: number };
      db.close();
      expect(c.b).toBe(c.c);
      expect(c.a).toBe(c.c);
      expect(c.c).toBeGreaterThanOrEqual(lastCycles);
      lastCycles = c.c;
    }
  }, 60_000);

  test("keeps the newest backup.keep copies", async () => {
    const d = tempDir();
    await makeDb(d);
    writeFileSync(join(d, "advanced_config.json"), JSON.stringify({ backup: { keep: 3 } }));
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await runBin(["--backup", ...lockArgs(d)], { cwd: d });
      expect(r.code, r.stderr).toBe(0);
      lines.push(r.stdout.trim());
    }
    const left = readdirSync(join(d, "backups")).filter((n) => NAME_RE.test(n));
    expect(left).toHaveLength(3);
    const newest = LINE_RE.exec(lines[4]!)![2]!.slice("backups/".length);
    expect(left).toContain(newest);
    expect(lines[4]).toContain("(kept 3, removed 1)");
  }, 30_000);

  test("many backups in one second: the newest always survives pruning, the suffixes keep rising", async () => {
    // The CI failure this pins down: once the un-suffixed name of a second had been pruned, the next
    // backup of that second took it back, sorted oldest, and the prune left keep + 1 files.
    const d = tempDir();
    const database = await makeDb(d);
    const backupsDir = join(d, "backups");
    const now = new Date("2026-12-01T12:00:00Z");
    const made: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = backupDatabase({ database, backupsDir, keep: 3, now });
      made.push(r.path);
      const left = listBackups(backupsDir);
      expect(left).toHaveLength(Math.min(i + 1, 3));
      expect(left[0]).toBe(r.path);
      expect(r.kept).toBe(left.length);
    }
    expect(made.map((p) => p.slice(backupsDir.length + 1))).toEqual([
      "kalshi_20261201_120000.sqlite",
      ...[1, 2, 3, 4, 5, 6, 7].map((i) => `kalshi_20261201_120000_${i}.sqlite`),
    ]);
  });

  test("a damaged database: the backup fails (exit 5) and leaves no file", async () => {
    const d = tempDir();
    const db = await makeDb(d, 300);
    const buf = readFileSync(db);
    for (let off = 4096 * 3; off < buf.length; off += 4096) buf.fill(0x5a, off, off + 64); // wreck page headers
    writeFileSync(db, buf);
    const r = await runBin(["--backup", ...lockArgs(d)], { cwd: d });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/backup FAILED/);
    expect(r.output).not.toMatch(/\n\s+at /);
    const left = existsSync(join(d, "backups")) ? readdirSync(join(d, "backups")) : [];
    expect(left).toEqual([]);
  }, 30_000);

  test("unknown flags are rejected (exit 2)", async () => {
    const d = tempDir();
    for (const args of [
      ["--backup", "--bogus"],
      ["backup", "--kep", "3"],
      ["restore", "x", "--froce"],
      ["watchdog", "--jsn"],
      ["status", "--verbosee"],
    ]) {
      const r = await runBin([...args, ...lockArgs(d)], { cwd: d });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("Unknown option");
    }
  });
});

describe("restore", () => {
  async function setup() {
    const d = tempDir();
    const db = await makeDb(d, 200);
    const b = await runBin(["--backup", ...lockArgs(d)], { cwd: d });
    expect(b.code, b.stderr).toBe(0);
    const backup = join(d, LINE_RE.exec(b.stdout.trim())![2]!);
    // the live database moves on after the backup
    const w = await runBin([WRITER, db, "100"], { command: [BUN], cwd: d });
    expect(w.code).toBe(0);
    return { d, db, backup };
  }

  test("each bad input gets one clear line, exit 5 (2 for usage), and the target untouched", async () => {
    const { d, db, backup } = await setup();
    const before = sha(db);
    writeFileSync(join(d, "text.sqlite"), "hello, not a database\n".repeat(300));
    copyFileSync(backup, join(d, "trunc.sqlite"));
    truncateSync(join(d, "trunc.sqlite"), 10_000);
    copyFileSync(backup, join(d, "trunc-pages.sqlite"));
    truncateSync(join(d, "trunc-pages.sqlite"), 4096 * 3);
    const other = new Database(join(d, "other.sqlite"));
    other.run("CREATE TABLE notes(x)");
    other.run("INSERT INTO notes VALUES (1)");
    other.close();
    writeFileSync(join(d, "empty.sqlite"), "");
    mkdirSync(join(d, "adir"));
    const cases: [string[], number, RegExp][] = [
      [["restore", "missing.sqlite"], 5, /does not exist/],
      [["restore", "text.sqlite"], 5, /not a SQLite database/],
      [["restore", "trunc.sqlite"], 5, /truncated/],
      [["restore", "trunc-pages.sqlite"], 5, /truncated|integrity|lacks|cannot/],
      [["restore", "other.sqlite"], 5, /another application/],
      [["restore", "empty.sqlite"], 5, /empty/],
      [["restore", "adir"], 5, /directory/],
      [["restore"], 2, /needs the backup/],
      [["restore", backup, "adir"], 2, /is a directory/],
    ];
    for (const [args, code, re] of cases) {
      const r = await runBin([...args, ...lockArgs(d)], { cwd: d });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.output).not.toMatch(/\n\s+at /);
      expect(sha(db)).toBe(before);
    }
    expect(readdirSync(join(d, "data")).filter((n) => n.includes("pre-restore") || n.includes(".tmp"))).toEqual([]);
  }, 60_000);

  test("a successful restore: verified, previous database saved beside it, stale -wal/-shm removed, lock free afterwards", async () => {
    const { d, db, backup } = await setup();
    writeFileSync(`${db}-wal`, Buffer.alloc(8192, 7)); // a stale WAL would corrupt the restored file
    writeFileSync(`${db}-shm`, Buffer.alloc(32768, 1));
    const r = await runBin(["restore", backup, ...lockArgs(d)], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^restored .* -> data\/kalshi\.sqlite \(\d+ bytes, verified\); previous database saved as data\/kalshi\.sqlite\.pre-restore-\d{8}_\d{6}/,
    );
    expect(sha(db)).toBe(sha(backup));
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(`${db}-shm`)).toBe(false);
    expect(integrity(db)).toBe("ok");
    const saved = readdirSync(join(d, "data")).filter((n) => n.startsWith("kalshi.sqlite.pre-restore-"));
    expect(saved).toHaveLength(1);
    expect(integrity(join(d, "data", saved[0]!))).toBe("ok");
    // the saved copy holds the newer data (more cycles than the backup)
    const count = (p: string) => {
      const x = new Database(p, { readonly: true });
      const n = (x.query("SELECT count(*) AS n FROM cycles").get() as { n: number }).n;
      x.close();
      return n;
    };
    expect(count(join(d, "data", saved[0]!))).toBeGreaterThan(count(db));
    expect(existsSync(join(d, "bot.lock"))).toBe(false);
    // and the bot's own tools accept the result
    const st = await runBin(["status", "--json", ...lockArgs(d)], { cwd: d });
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout).database.error).toBeNull();
  }, 60_000);

  test("restore into an explicit target_db that does not exist yet", async () => {
    const { d, backup } = await setup();
    const r = await runBin(["restore", backup, "elsewhere/new.sqlite", ...lockArgs(d)], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("there was no previous database");
    expect(sha(join(d, "elsewhere/new.sqlite"))).toBe(sha(backup));
  }, 30_000);

  test("--force restores despite a lock held by a process that is not a kalshi-bot, with a warning", async () => {
    const { d, db, backup } = await setup();
    const holder = startBin([join(ROOT, "test/ops/fixtures/lock-holder.ts"), join(d, "bot.lock"), "30000"], { command: [BUN] });
    await holder.waitFor(/ACQUIRED/);
    const r = await runBin(["restore", backup, "--force", ...lockArgs(d)], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("--force");
    expect(sha(db)).toBe(sha(backup));
    await holder.stop();
  }, 30_000);

  test("--force does not override a running kalshi-bot holding the lock: exit 3, nothing replaced", async () => {
    const { d, backup } = await setup();
    const bot = startBin(["--mode", "trade", "--skip-setup-wizard", "--non-interactive", ...lockArgs(d)], { cwd: d });
    // The writer fixture left cycles behind: the bot's first cycle carries the next number.
    await bot.waitFor(/cycle \d+ \(trade/, 30_000);
    const r = await runBin(["restore", backup, "--force", ...lockArgs(d)], { cwd: d });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain("even with --force");
    expect(r.stderr).toContain(`PID ${bot.proc.pid}`);
    // The running bot's database stays in place (a restore would have saved it as .pre-restore-…).
    expect(readdirSync(join(d, "data")).filter((n) => n.includes("pre-restore") || n.includes(".restore-"))).toEqual([]);
    expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
  }, 60_000);

  test("--force: a non-bot holder whose arguments mention kalshi-bot (a folder of that name) is still not a bot", async () => {
    // A checkout cloned as kalshi-bot/ put the name in every test process's arguments, and restore
    // took the lock-holding fixture for a running bot.
    const { d, db, backup } = await setup();
    mkdirSync(join(d, "kalshi-bot"));
    const lock = join(d, "kalshi-bot", "bot.lock");
    const holder = startBin([join(ROOT, "test/ops/fixtures/lock-holder.ts"), lock, "30000"], { command: [BUN] });
    await holder.waitFor(/ACQUIRED/);
    const r = await runBin(["restore", backup, "--force", "--lock-file", lock], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("--force");
    expect(sha(db)).toBe(sha(backup));
    await holder.stop();
  }, 30_000);
});
