// Shared helpers for the deployment tests: run install.sh into a temporary root, read unit files.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
/** The binary under test: dist/kalshi-bot, or $KALSHI_BOT_BINARY to test another build. */
export const DIST_BINARY = process.env.KALSHI_BOT_BINARY || join(REPO, "dist/kalshi-bot");
export const IS_ROOT = process.getuid?.() === 0;

/** A system account that exists on Debian, used as the bot user when the tests run as root. */
export function testUser(): { name: string; uid: number; gid: number } | null {
  if (!IS_ROOT) return null;
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n");
  for (const line of passwd) {
    const f = line.split(":");
    if (f[0] === "nobody") return { name: "nobody", uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A stand-in binary that answers --version like the real one (install.sh runs it as a sanity check). */
export function fakeBinary(dir: string): string {
  const p = join(dir, "fake-kalshi-bot");
  writeFileSync(p, "#!/bin/sh\necho 0.0.0-test\n");
  chmodSync(p, 0o755);
  return p;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): RunResult {
  const p = Bun.spawnSync(cmd, {
    cwd: opts.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...opts.env } as Record<string, string>,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

export function install(root: string, extra: string[] = [], binary?: string): RunResult {
  const user = testUser();
  const args = ["bash", join(REPO, "scripts/install.sh"), "--prefix", root];
  if (binary) args.push("--binary", binary);
  if (user) args.push("--user", user.name);
  return run([...args, ...extra]);
}

/** [Section] Key=value lines of a unit file, repeated keys kept in order. */
export function unitValues(text: string, key: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

export function readUnit(name: string): string {
  return readFileSync(join(REPO, "deploy/systemd", name), "utf8");
}

export function exists(p: string): boolean {
  return existsSync(p);
}
