// The installed units' command lines, run by hand against the local (embedded sim) exchange in a temp
// root with the production layout: install.sh puts the real dist/kalshi-bot, config and units into
// <tmp>/root, and every absolute path in the unit and the config is mapped under that root. Same
// flags, same paths, the key credential directory set as systemd sets it. Only 127.0.0.1 / no network.
//
// What this proves for the VPS:
//   - ExecStart with --once completes one cycle and writes heartbeat and database in the state dir
//     (and nothing outside it); the kill switch run of the live checklist exits 0.
//   - Type=notify works: the daemon sends READY=1, keeps sending WATCHDOG=1, sends STOPPING=1 on
//     SIGTERM and exits 0 well within TimeoutStopSec.
//   - A manual run while the service runs is refused with exit 3 (one lock, visible to both).
//   - The backup and watchdog units' command lines work against the same state.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT } from "../../src/errors.ts";
import { DIST_BINARY, exists, install, run, tempDir, unitValues, type RunResult } from "./helpers.ts";
import { NotifyListener } from "./notify-listener.ts";

const HAVE_BINARY = exists(DIST_BINARY);
if (!HAVE_BINARY) console.warn("test/deploy/execstart: SKIPPED: dist/kalshi-bot not built (node_modules/.bin/bun scripts/build.ts)");

const work = HAVE_BINARY ? tempDir("kb-execstart-") : "";
const root = join(work, "root");
const state = join(root, "var/lib/kalshi-bot");
const creds = join(root, "run/credentials/kalshi-bot.service");

/** Map an absolute production path into the temp root. */
function mapPath(p: string): string {
  return /^\/(opt|etc|var|run)\//.test(p) ? join(root, p) : p;
}

function unit(name: string): string {
  return readFileSync(join(root, "etc/systemd/system", name), "utf8");
}

/** A unit's ExecStart as argv, every path mapped into the temp root. */
function execStart(name: string): string[] {
  const [line] = unitValues(unit(name), "ExecStart");
  return line!.split(/\s+/).map(mapPath);
}

function unitEnv(name: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    LANG: "C.UTF-8",
    CREDENTIALS_DIRECTORY: creds,
    // What systemd gives a service on stderr/stdout: the journal stream.
    JOURNAL_STREAM: "8:12345",
  };
  for (const e of unitValues(unit(name), "Environment")) {
    const [k, ...v] = e.split("=");
    env[k!] = mapPath(v.join("="));
  }
  return env;
}

function runUnit(name: string, extra: string[] = [], env: Record<string, string> = {}): RunResult {
  const argv = [...execStart(name), ...extra];
  const cwd = mapPath(unitValues(unit(name), "WorkingDirectory")[0]!);
  const old = process.umask(0o077); // UMask=0077
  try {
    const r = Bun.spawnSync(argv, { cwd, env: { ...unitEnv(name), ...env }, stdout: "pipe", stderr: "pipe", timeout: 120_000 });
    return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  } finally {
    process.umask(old);
  }
}

function listOutsideState(): string[] {
  const r = run(["find", root, "-path", state, "-prune", "-o", "-print"]);
  return r.stdout.split("\n").filter(Boolean).sort();
}

function heartbeat(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(state, "reports/heartbeat.json"), "utf8"));
}

let setupError = "";
let outsideBefore: string[] = [];
let once: RunResult | null = null;
let notImplemented = false;

if (HAVE_BINARY) {
  const r = install(root, [], DIST_BINARY);
  if (r.code !== 0) setupError = `install.sh failed: ${r.stderr}`;
  else {
    // The production template, pointed at the embedded sim exchange and at the temp root.
    const cfgPath = join(root, "etc/kalshi-bot/advanced_config.json");
    const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
    cfg.exchange.environment = "sim";
    cfg.trading.cycle_interval_seconds = 1;
    for (const k of Object.keys(cfg.paths)) cfg.paths[k] = mapPath(cfg.paths[k]);
    writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
    mkdirSync(creds, { recursive: true, mode: 0o700 });
    outsideBefore = listOutsideState();
    once = runUnit("kalshi-bot.service", ["--once"]);
    notImplemented = /is not implemented yet/.test(once.stderr + once.stdout);
    if (notImplemented) console.warn(`test/deploy/execstart: SKIPPED: the binary does not run cycles yet (${once.stderr.trim()})`);
  }
}
const SKIP = !HAVE_BINARY || notImplemented;

afterAll(() => {
  if (work) run(["rm", "-rf", work]);
});

describe("the unit's ExecStart, run by hand in the production layout", () => {
  test.skipIf(SKIP)("--once completes one cycle: exit 0, heartbeat and database in the state directory", () => {
    expect(setupError).toBe("");
    expect({ code: once!.code, stderr: once!.stderr }).toEqual({ code: 0, stderr: once!.stderr });
    const hb = heartbeat();
    expect(hb.dry_run).toBe(true);
    expect(typeof hb.pid).toBe("number");
    expect(hb.cycle).toBeGreaterThanOrEqual(1);
    expect(exists(join(state, "data/kalshi.sqlite"))).toBe(true);
    // UMask=0077: the database and heartbeat are private to the bot user.
    expect(statSync(join(state, "data/kalshi.sqlite")).mode & 0o077).toBe(0);
    expect(statSync(join(state, "reports/heartbeat.json")).mode & 0o077).toBe(0);
  });

  test.skipIf(SKIP)("writes nothing outside its state directory (ProtectSystem=strict would refuse it)", () => {
    expect(listOutsideState()).toEqual(outsideBefore);
  });

  test.skipIf(SKIP)("--log-format journald: every stderr line carries a syslog priority prefix", () => {
    const lines = once!.stderr.split("\n").filter(Boolean);
    for (const l of lines) expect(l).toMatch(/^<[0-7]>/);
  });

  test.skipIf(SKIP)("the live checklist's kill-switch run (BOT_DISABLE_TRADING=1) completes without trading, exit 0", () => {
    const r = runUnit("kalshi-bot.service", ["--once"], { BOT_DISABLE_TRADING: "1" });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: r.stderr });
    expect(heartbeat().kill_switch).toBeTruthy();
  });

  test.skipIf(SKIP)(
    "Type=notify: READY=1, WATCHDOG=1 at half WatchdogSec, a manual run is refused (exit 3), STOPPING=1 and exit 0 on SIGTERM",
    async () => {
      const sock = join(work, "notify.sock");
      const listener = new NotifyListener(sock);
      const env = { ...unitEnv("kalshi-bot.service"), NOTIFY_SOCKET: sock, WATCHDOG_USEC: "2000000" };
      const old = process.umask(0o077);
      const proc = Bun.spawn(execStart("kalshi-bot.service"), {
        cwd: mapPath(unitValues(unit("kalshi-bot.service"), "WorkingDirectory")[0]!),
        env,
        stdout: "pipe",
        stderr: "pipe",
      });
      process.umask(old);
      try {
        const ready = await listener.waitFor("READY=1", 30_000);
        if (!ready) {
          throw new Error(
            "the unit is Type=notify but the daemon never sent READY=1: systemd would kill it after TimeoutStartSec. " +
              'Call sdNotify("READY=1") from src/ops/sd-notify.ts once the lock is held and the database is open, ' +
              "and startSdWatchdog() for WATCHDOG=1.",
          );
        }
        // WATCHDOG_USEC=2 s: a ping every second (half of it); wait for at least two.
        listener.messages.length = 0;
        await Bun.sleep(3200);
        listener.poll();
        const pings = listener.messages.filter((m) => m.split("\n").includes("WATCHDOG=1")).length;
        expect(pings).toBeGreaterThanOrEqual(2);
        expect(proc.exitCode).toBeNull();

        // The guide's manual smoke test while the service runs: refused, same lock.
        const manual = runUnit("kalshi-bot.service", ["--once"]);
        expect(manual.code).toBe(EXIT.LOCKED);

        // The backup unit's command line, while the bot writes.
        const backup = runUnit("kalshi-bot-backup.service");
        expect({ code: backup.code, stderr: backup.stderr }).toEqual({ code: 0, stderr: backup.stderr });
        const files = readdirSync(join(state, "backups")).filter((f) => /^kalshi_\d{8}_\d{6}\.sqlite$/.test(f));
        expect(files.length).toBeGreaterThanOrEqual(1);
        expect(statSync(join(state, "backups", files[0]!)).mode & 0o077).toBe(0);

        // The watchdog unit's command line: healthy while the bot runs.
        const wd = runUnit("kalshi-bot-watchdog.service");
        expect({ code: wd.code, out: wd.stdout + wd.stderr }).toEqual({ code: 0, out: wd.stdout + wd.stderr });

        const t0 = Date.now();
        proc.kill("SIGTERM");
        const code = await proc.exited;
        const stopSec = parseInt(unitValues(unit("kalshi-bot.service"), "TimeoutStopSec")[0]!, 10);
        expect(Date.now() - t0).toBeLessThan(stopSec * 1000);
        expect(code).toBe(0);
        expect(await listener.waitFor("STOPPING=1", 1000)).toBe(true);
        expect(heartbeat().status).toBe("stopped");

        // Stopped on purpose: the watchdog now says unhealthy (exit 6), which is what pages the operator.
        const after = runUnit("kalshi-bot-watchdog.service");
        expect(after.code).toBe(EXIT.UNHEALTHY);
      } finally {
        if (proc.exitCode === null) proc.kill("SIGKILL");
        listener.close();
      }
    },
    150_000,
  );
});
