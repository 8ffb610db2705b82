// The run lifecycle's ways out, through the compiled binary and the embedded local exchange:
//   - a run that fails after taking the lock (database unusable or locked, private key refused)
//     leaves the heartbeat `error` with the one-line reason (no key material), never `starting`,
//     releases the lock, and exits with the database's own code (8 unusable, 9 locked) or 2 (key);
//   - SIGTERM during a slow market-data fetch (a 1,000-series scope on the Basic rate tier is ~50 s
//     of paging and rate-limit waits) stops within seconds: exit 0, heartbeat `stopped`, lock
//     released, and no order placed from the partial data.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { databaseFailure } from "../../src/engine/bot.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { cleanup, ensureBinary, runBin, startBin, tempDir, writeConfig } from "../helpers/bin.ts";
import { E2E_START_MS, type PinnedClock, pinChildClock, withoutClockNotice } from "../helpers/calendar.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());
// Every child (the bot, and the exchange it starts or talks to) runs at the pinned calendar date.
let calendar: PinnedClock;
beforeAll(() => {
  calendar = pinChildClock(tempDir("calendar"), E2E_START_MS);
});
afterAll(() => calendar.release());

const ONCE = ["--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive"];

function heartbeat(dir: string): { status: string; last_error: string | null } {
  return JSON.parse(readFileSync(join(dir, "reports", "heartbeat.json"), "utf8"));
}

function oneLineNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at .+:\d+/);
  expect(stderr).not.toMatch(/Internal error/);
  expect(withoutClockNotice(stderr).trim().split("\n")).toHaveLength(1);
}

describe("a run that fails after taking the lock", () => {
  test("another program's SQLite file: exit 8, heartbeat `error` with the reason, lock released", async () => {
    const d = tempDir("life-foreign-");
    writeConfig(d, { paths: { lock_file: "bot.lock" } });
    mkdirSync(join(d, "data"));
    const db = new Database(join(d, "data", "kalshi.sqlite"), { create: true });
    db.run("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)");
    db.close();

    const r = await runBin(ONCE, { cwd: d });
    expect(r.code, r.output).toBe(8);
    oneLineNoStack(r.stderr);
    const hb = heartbeat(d);
    expect(hb.status).toBe("error");
    expect(hb.last_error).toMatch(/kalshi\.sqlite is another application's SQLite database .*not a kalshi-bot ledger/);
    expect(hb.last_error).not.toContain("\n");
    expect(existsSync(join(d, "bot.lock"))).toBe(false);
    // Released, not merely unlinked: the next start meets the same database problem, not the lock.
    expect((await runBin(ONCE, { cwd: d })).code).toBe(8);
  }, 60_000);

  test("the database locked by another program: exit 9 (retryable), heartbeat `error` says so", async () => {
    const d = tempDir("life-busy-");
    writeConfig(d, { paths: { lock_file: "bot.lock" } });
    const first = await runBin(ONCE, { cwd: d });
    expect(first.code, first.output).toBe(0);
    // A sqlite3 shell in the middle of a write, as far as the bot can tell.
    const holder = new Database(join(d, "data", "kalshi.sqlite"));
    try {
      holder.run("PRAGMA locking_mode = EXCLUSIVE");
      holder.run("BEGIN EXCLUSIVE");
      holder.run("INSERT INTO meta(key, value) VALUES ('test_hold', '1') ON CONFLICT(key) DO UPDATE SET value = excluded.value");
      const r = await runBin(ONCE, { cwd: d, timeoutMs: 60_000 });
      expect(r.code, r.output).toBe(9);
      oneLineNoStack(r.stderr);
      expect(r.stderr).toMatch(/database .*kalshi\.sqlite is locked by another process .*stop that program, then start again/);
      const hb = heartbeat(d);
      expect(hb.status).toBe("error");
      expect(hb.last_error).toMatch(/is locked by another process/);
      expect(existsSync(join(d, "bot.lock"))).toBe(false);
    } finally {
      holder.run("ROLLBACK");
      holder.close();
    }
  }, 90_000);

  test("a private key the bot refuses (readable by others): exit 2, heartbeat `error` names the fix, no key material", async () => {
    const d = tempDir("life-key-");
    const kp = generateKeyPair();
    const keyPath = join(d, "key.pem");
    writeFileSync(keyPath, kp.privateKeyPem);
    chmodSync(keyPath, 0o644);
    // Nothing listens on port 9 and nothing is sent: the key is refused before any request.
    writeConfig(d, {
      exchange: {
        environment: "sim",
        base_url: "http://127.0.0.1:9/trade-api/v2",
        api_key_id: "life-test-key-id-0001",
        private_key_path: "key.pem",
      },
      paths: { lock_file: "bot.lock" },
    });
    const r = await runBin(ONCE, { cwd: d });
    expect(r.code, r.output).toBe(2);
    oneLineNoStack(r.stderr);
    const text = readFileSync(join(d, "reports", "heartbeat.json"), "utf8");
    const hb = JSON.parse(text);
    expect(hb.status).toBe("error");
    expect(hb.last_error).toMatch(/private key file .*key\.pem is readable by group or others \(mode 644\); fix with: chmod 600/);
    const body = kp.privateKeyPem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
    for (const l of body) expect(text).not.toContain(l);
    expect(text).not.toMatch(/PRIVATE[ ]KEY/);
    expect(existsSync(join(d, "bot.lock"))).toBe(false);
  }, 60_000);
});

describe("a SQLite error after the database opened (a --once cycle writing the ledger)", () => {
  // Not reproducible on demand through the binary (the disk would have to fill, or another program
  // lock the file, between the open and the cycle's write): the mapping itself, as drizzle wraps it.
  const wrapped = (code: string) =>
    Object.assign(new Error("Failed query: insert into fills …\nparams: 1,2"), { cause: Object.assign(new Error("boom"), { code }) });
  test("disk and file codes → 8, busy → 9, anything else stays a bug (null → internal error)", () => {
    expect(databaseFailure("/d/k.sqlite", wrapped("SQLITE_FULL"))?.exitCode).toBe(8);
    expect(databaseFailure("/d/k.sqlite", wrapped("SQLITE_FULL"))?.message).toBe(
      "database /d/k.sqlite failed (SQLITE_FULL); no space left on its filesystem: free disk space there (or move paths.database), then start again",
    );
    expect(databaseFailure("/d/k.sqlite", wrapped("SQLITE_IOERR_WRITE"))?.exitCode).toBe(8);
    expect(databaseFailure("/d/k.sqlite", wrapped("SQLITE_CORRUPT"))?.message).toMatch(/restore the latest backup/);
    expect(databaseFailure("/d/k.sqlite", wrapped("SQLITE_BUSY"))?.exitCode).toBe(9);
    expect(databaseFailure("/d/k.sqlite", wrapped("SQLITE_CONSTRAINT_UNIQUE"))).toBeNull();
    expect(databaseFailure("/d/k.sqlite", new Error("fetch failed"))).toBeNull();
  });
});

describe("SIGTERM during the market-data fetch", () => {
  test("a 1,000-series scope on the Basic tier: stops within seconds, exit 0, `stopped`, lock released, no order from partial data", async () => {
    const d = tempDir("life-sigterm-");
    // The sim's real series first, so the partial data has markets a strategy would quote (the
    // market maker, shipped disabled, is enabled for that); then
    // series nobody lists, one page each, paced by the Basic tier's read bucket (~20 requests/s).
    const series = ["KXBTCD", "KXNBAGAME", "KXFEDDECISION", ...Array.from({ length: 997 }, (_, i) => `KXNOTLISTED${i}`)];
    writeConfig(d, {
      exchange: { environment: "sim", rate_tier: "basic" },
      sim: { seed: 42 },
      trading: { series_tickers: series, cycle_interval_seconds: 5, strategies: { market_maker: { enabled: true } } },
      paths: { lock_file: "bot.lock" },
    });
    const bot = startBin(["--mode", "trade", "--skip-setup-wizard", "--non-interactive", "--log-format", "plain", "--verbose"], { cwd: d });
    // Well into the fetch: past the real series, far from its end.
    const deadline = Date.now() + 60_000;
    while ((bot.output().match(/GET \/events /g) ?? []).length < 60) {
      if (Date.now() > deadline || bot.proc.exitCode !== null)
        throw new Error(`the fetch never got going; output:\n${bot.output().slice(-3000)}`);
      await Bun.sleep(100);
    }
    expect(bot.output()).not.toMatch(/cycle 1 \(trade/); // the cycle is still fetching

    const t0 = performance.now();
    const code = await bot.stop("SIGTERM", 90_000);
    const seconds = (performance.now() - t0) / 1000;
    expect(code, bot.output().slice(-3000)).toBe(0);
    expect(seconds).toBeLessThan(15);

    expect(bot.output()).toMatch(/cycle 1: SIGTERM: market data fetch abandoned; no orders placed from partial data/);
    expect(bot.output()).not.toMatch(/cycle 1 \(trade|paper orders:/);
    const hb = heartbeat(d);
    expect(hb.status).toBe("stopped");
    expect(hb.last_error).toBeNull();
    expect(existsSync(join(d, "bot.lock"))).toBe(false);
    const ledger = new Database(join(d, "data", "kalshi.sqlite"), { readonly: true });
    try {
      expect((ledger.query("select count(*) as n from orders").get() as { n: number }).n).toBe(0);
      // The abandoned cycle is recorded as stopped, not as a failure.
      expect(ledger.query("select status from cycles order by id desc limit 1").get()).toEqual({ status: "stopped" });
    } finally {
      ledger.close();
    }
    console.log(`SIGTERM during the fetch: exit 0 after ${seconds.toFixed(2)} s`);
  }, 120_000);
});

describe("two bots on one ledger with different lock files", () => {
  test("the second is refused (exit 3) without touching the first one's heartbeat; restore with another lock file refuses too", async () => {
    const d = tempDir("life-twoledger-");
    writeConfig(d, { trading: { cycle_interval_seconds: 60 }, paths: { lock_file: "a.lock" } });
    const a = startBin(["--mode", "trade", "--skip-setup-wizard", "--non-interactive", "--log-format", "plain"], { cwd: d });
    try {
      await a.waitFor(/cycle 1 \(trade/, 30_000);
      const dbFile = join(d, "data", "kalshi.sqlite");
      const backup = await runBin(["--backup"], { cwd: d });
      expect(backup.code, backup.output).toBe(0);
      const backupPath = join(d, backup.stdout.trim().split(" ")[3]!);

      const b = await runBin([...ONCE, "--lock-file", join(d, "b.lock")], { cwd: d });
      expect(b.code, b.output).toBe(3);
      expect(b.stderr).toContain("is in use by another kalshi-bot");
      oneLineNoStack(b.stderr);
      // The heartbeat is still the first bot's: the refused one wrote nothing.
      const hb = JSON.parse(readFileSync(join(d, "reports", "heartbeat.json"), "utf8")) as { pid: number; status: string };
      expect(hb.pid).toBe(a.proc.pid);
      expect(hb.status).not.toBe("error");

      const before = readFileSync(dbFile);
      const r = await runBin(["restore", backupPath, "--lock-file", join(d, "b.lock"), "--force"], { cwd: d });
      expect(r.code, r.output).toBe(3);
      expect(r.stderr).toContain("has " + dbFile + " open");
      expect(readFileSync(dbFile).equals(before)).toBe(true);

      expect(await a.stop("SIGTERM", 20_000)).toBe(0);
      // Once the first is gone, the second runs.
      const again = await runBin([...ONCE, "--lock-file", join(d, "b.lock")], { cwd: d });
      expect(again.code, again.output).toBe(0);
    } finally {
      if (a.proc.exitCode === null) a.proc.kill("SIGKILL");
    }
  }, 120_000);
});
