// Shared helper for binary-level tests: build dist/kalshi-bot when it is missing or older than the
// sources, spawn it with a clean environment and bounded time, and make throwaway folders.
//
//   import { BIN, ensureBinary, runBin, startBin, tempDir, writeConfig } from "../helpers/bin.ts";
//   beforeAll(() => ensureBinary(), 120_000);
//   const r = await runBin(["--backup", "--lock-file", join(dir, "bot.lock")], { cwd: dir });
//   expect(r.code).toBe(5); expect(r.stderr).toContain("no database");
//
// Environment overrides: KALSHI_BOT_BIN=<path> tests another binary (never rebuilt);
// KALSHI_BOT_NO_BUILD=1 trusts dist/kalshi-bot as it is; KALSHI_BOT_KEEP_TMP=1 keeps temp folders.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");
export const BIN = process.env.KALSHI_BOT_BIN ? resolve(process.env.KALSHI_BOT_BIN) : join(ROOT, "dist", "kalshi-bot");
/** The bun that runs the tests (for spawning fixtures and source entry points). */
export const BUN = process.execPath;

function newestMtime(path: string): number {
  let newest = 0;
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    newest = Math.max(newest, newestMtime(join(path, e.name)));
  }
  return newest;
}

/** True when the binary is missing or any input of the build is newer than it. */
export function binaryIsStale(): boolean {
  if (!existsSync(BIN)) return true;
  if (process.env.KALSHI_BOT_BIN || process.env.KALSHI_BOT_NO_BUILD === "1") return false;
  const built = statSync(BIN).mtimeMs;
  const inputs = [join(ROOT, "src"), join(ROOT, "package.json"), join(ROOT, "scripts", "build.ts"), join(ROOT, "bun.lock")];
  return inputs.some((p) => newestMtime(p) > built);
}

let building: Promise<string> | null = null;

/**
 * Make sure dist/kalshi-bot exists and is current; returns its path. Builds into a temp name and
 * renames, so concurrent test runs (other files, other engineers) never see half a binary.
 * Call it from beforeAll with a generous timeout (a build takes a few seconds).
 */
export function ensureBinary(): Promise<string> {
  if (building) return building;
  building = (async () => {
    if (!binaryIsStale()) return BIN;
    if (process.env.KALSHI_BOT_BIN) throw new Error(`KALSHI_BOT_BIN=${BIN} does not exist`);
    mkdirSync(join(ROOT, "dist"), { recursive: true });
    const tmp = join(ROOT, "dist", `.kalshi-bot.build-${process.pid}-${Date.now()}`);
    const p = Bun.spawnSync([BUN, join(ROOT, "scripts", "build.ts")], {
      cwd: ROOT,
      env: { ...process.env, KALSHI_BOT_OUTFILE: tmp },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 180_000,
    });
    if (p.exitCode !== 0 || !existsSync(tmp)) {
      try {
        unlinkSync(tmp);
      } catch {}
      throw new Error(`building ${BIN} failed (exit ${p.exitCode}):\n${p.stderr.toString()}${p.stdout.toString()}`);
    }
    renameSync(tmp, BIN);
    return BIN;
  })();
  building.catch(() => {
    building = null;
  });
  return building;
}

/** Variables that would change the binary's behaviour behind a test's back. */
const SCRUB = [
  "BOT_DISABLE_TRADING",
  "KALSHI_API_KEY_ID",
  "KALSHI_PRIVATE_KEY_PATH",
  "KALSHI_BOT_CONFIG",
  "CREDENTIALS_DIRECTORY",
  "JOURNAL_STREAM",
  "NOTIFY_SOCKET",
  "WATCHDOG_USEC",
  "COLUMNS", // tables fit it (src/ops/table.ts): a test's output must not depend on the caller's terminal
  "WATCHDOG_PID",
  "INVOCATION_ID",
];

let spawnDefaults: Record<string, string> = {};

/**
 * Variables every child gets until cleared (a call's own `env` still wins): the e2e harness sets the
 * bot's wall-clock offset here while its exchange runs at a pinned date, so no spawn can miss it.
 */
export function setSpawnDefaults(env: Record<string, string>): void {
  spawnDefaults = { ...env };
}

/** A clean environment for a child: the parent's minus SCRUB, plus NO_COLOR/TZ and the spawn defaults, plus `extra` (undefined deletes). */
export function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of SCRUB) delete env[k];
  env.NO_COLOR = "1";
  env.TZ = "UTC";
  Object.assign(env, spawnDefaults, extra);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill the child (SIGKILL) after this long; the result then has timedOut=true. Default 30 s. */
  timeoutMs?: number;
  /** Text written to stdin (stdin is closed afterwards); default: no stdin (not a TTY). */
  stdin?: string;
  /** Run something other than BIN (e.g. [BUN, "fixture.ts"]); args are appended. */
  command?: string[];
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for "somewhere in the output" assertions. */
  output: string;
  timedOut: boolean;
  durationMs: number;
}

/** Run the binary to completion (bounded) and collect everything. Never throws on a non-zero exit. */
export async function runBin(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const cmd = [...(opts.command ?? [BIN]), ...args];
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd ?? ROOT,
    env: childEnv(opts.env),
    stdin: opts.stdin !== undefined ? new Blob([opts.stdin]) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, opts.timeoutMs ?? 30_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(timer);
  return {
    code: proc.exitCode,
    signal: proc.signalCode != null ? String(proc.signalCode) : null,
    stdout,
    stderr,
    output: stdout + stderr,
    timedOut,
    durationMs: performance.now() - t0,
  };
}

export interface Running {
  proc: Subprocess<"ignore" | "pipe", "pipe", "pipe">;
  pid: number;
  /** Everything printed so far (stdout + stderr, interleaved by arrival). */
  output(): string;
  /** Resolve when the output matches `re` (returns the output), reject after timeoutMs or on exit. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Send a signal (default SIGTERM) and wait for the exit, SIGKILL after graceMs. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  exited: Promise<number>;
}

const running = new Set<Running>();

/** Start a long-running child (daemon, lock holder). Always stopped by cleanup(). */
export function startBin(args: string[], opts: RunOptions = {}): Running {
  const cmd = [...(opts.command ?? [BIN]), ...args];
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd ?? ROOT,
    env: childEnv(opts.env),
    stdin: opts.stdin !== undefined ? new Blob([opts.stdin]) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  }) as Subprocess<"ignore" | "pipe", "pipe", "pipe">;
  let buf = "";
  const waiters = new Set<() => void>();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) {
      buf += dec.decode(chunk, { stream: true });
      for (const w of waiters) w();
    }
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]).catch(() => {});
  let done = false;
  const exited = proc.exited.then(async (c) => {
    await pumps;
    done = true;
    for (const w of waiters) w();
    return c;
  });
  const r: Running = {
    proc,
    pid: proc.pid,
    output: () => buf,
    waitFor(re, timeoutMs = 15_000) {
      return new Promise((res, rej) => {
        const check = () => {
          if (re.test(buf)) {
            cleanupW();
            res(buf);
          } else if (done) {
            cleanupW();
            rej(new Error(`process ${proc.pid} exited (${proc.exitCode}) before printing ${re}; output:\n${buf}`));
          }
        };
        const timer = setTimeout(() => {
          cleanupW();
          rej(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; output:\n${buf}`));
        }, timeoutMs);
        const cleanupW = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM", graceMs = 10_000) {
      if (!done && proc.exitCode === null) {
        proc.kill(signal);
        const t = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(t);
      }
      running.delete(r);
      return proc.exitCode;
    },
    exited,
  };
  running.add(r);
  return r;
}

const temps: string[] = [];

/** A fresh folder under os.tmpdir(); removed by cleanup() unless KALSHI_BOT_KEEP_TMP=1. */
export function tempDir(prefix = "kbot-test-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** Write advanced_config.json (or `name`) in `dir`; returns its path. */
export function writeConfig(dir: string, config: unknown, name = "advanced_config.json"): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(config, null, 2) + "\n");
  return p;
}

/** Stop every child started with startBin and remove temp folders. Call from afterAll. */
export async function cleanup(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop("SIGKILL", 2_000)));
  if (process.env.KALSHI_BOT_KEEP_TMP === "1") return;
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Milliseconds since the epoch at which a group of children should all start (barrier). */
export function barrierAt(delayMs = 1500): number {
  return Date.now() + delayMs;
}
