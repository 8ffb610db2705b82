// The kill switch, two ways in, read at every check (never cached):
//   - BOT_DISABLE_TRADING (the guide's): fixed for a process's life, so it takes a restart to flip
//     for a running daemon (systemd's Environment=), and is what `--once` runs and tests use;
//   - the kill-switch file (`kalshi-bot pause` / `resume`, or any `touch`/`rm`): pauses a running
//     daemon within about a second, no restart, and survives restarts until removed.
// Fail closed: any variable value that is not clearly "off" disables trading, and so does a file
// that exists but cannot be read.
import { mkdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "./atomic.ts";

export interface KillSwitchState {
  active: boolean;
  /** BOT_DISABLE_TRADING's raw value (null when unset). */
  value: string | null;
  /** The kill-switch file, when it is what turned trading off. */
  file?: string;
  /** The reason written into the file by `kalshi-bot pause --reason`, if any. */
  reason?: string;
}

const OFF = new Set(["", "0", "false", "no", "off"]);

let switchFile: string | null = null;

/** The file this process watches (set once from the config's paths.kill_switch_file). */
export function setKillSwitchFile(path: string | null): void {
  switchFile = path;
}

/** Whether `path` exists (a stat per check: cheap next to the request it guards). */
export function fileSwitch(path: string): { on: boolean; reason?: string } {
  try {
    // Missing is the usual answer, and read on the way to every order: without the exception
    // Node's statSync throws for it (its stack trace cost ~25 us of the ~35 us of this read).
    if (statSync(path, { throwIfNoEntry: false }) === undefined) return { on: false };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Missing: off. Anything else (EACCES on the folder, EIO): cannot tell, so fail closed.
    return code === "ENOENT" || code === "ENOTDIR" ? { on: false } : { on: true, reason: `kill-switch file unreadable (${code})` };
  }
  try {
    const reason = readFileSync(path, "utf8").split("\n")[0]!.trim().slice(0, 200);
    return reason ? { on: true, reason } : { on: true };
  } catch {
    return { on: true };
  }
}

export function killSwitch(env: NodeJS.ProcessEnv = process.env, file: string | null = switchFile): KillSwitchState {
  const raw = env.BOT_DISABLE_TRADING;
  if (raw !== undefined && !OFF.has(raw.trim().toLowerCase())) return { active: true, value: raw };
  if (file) {
    const f = fileSwitch(file);
    if (f.on) return { active: true, value: raw ?? null, file, ...(f.reason ? { reason: f.reason } : {}) };
  }
  return { active: false, value: raw ?? null };
}

/**
 * Pause: write the kill-switch file with a one-line reason (`kalshi-bot pause`, Telegram /pause).
 * Throws the fs error (the caller words it for its audience).
 */
export function writePause(path: string, reason: string, by: string): string {
  const line = `${reason.replace(/[\r\n]+/g, " ").trim() || "paused"} (by ${by} at ${new Date().toISOString().replace(/\.\d{3}Z$/, "Z")})`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${line}\n`, 0o644);
  return line;
}

/** Resume: remove the kill-switch file; false when it was not there. Throws other fs errors. */
export function removePause(path: string): boolean {
  if (!fileSwitch(path).on) return false;
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return true;
}
