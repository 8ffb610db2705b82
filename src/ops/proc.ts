// Small process and file helpers shared by the lock, backup, restore and watchdog (one copy each).
import { unlinkSync } from "node:fs";

/**
 * Whether a process with this PID exists. EPERM (it exists but belongs to another user) counts as
 * alive. Only a hint: PIDs are reused, so the lock's decision never rests on this.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The files SQLite may keep next to a database: the database itself, then its WAL, SHM and rollback journal. */
export const SQLITE_SIDECARS = ["", "-wal", "-shm", "-journal"] as const;

/**
 * Remove a SQLite file and its sidecars. `only` picks which (default all four); a missing file is
 * fine. With `strict`, any other failure (EACCES, EBUSY…) is thrown; otherwise it is ignored.
 */
export function unlinkSqliteFiles(path: string, opts: { only?: readonly string[]; strict?: boolean } = {}): void {
  for (const s of opts.only ?? SQLITE_SIDECARS) {
    try {
      unlinkSync(path + s);
    } catch (e) {
      if (opts.strict && (e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
}

/**
 * Crash injection for tests (RELIABILITY.md §7): when KALSHI_BOT_CRASH_AT names this step, the
 * process kills itself with SIGKILL right here, as a power cut or the OOM killer would.
 */
export function crashPoint(step: string): void {
  if (process.env.KALSHI_BOT_CRASH_AT === step) process.kill(process.pid, "SIGKILL");
}
