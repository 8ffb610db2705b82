// Restore the ledger from a backup (replaces the guide's restore_db.sh), without ever leaving the
// target half-written and without losing the current database:
//
//   1. the backup is a regular SQLite file, not truncated (cheap header checks)
//   2. take the bot's lock (refuse while a bot runs; --force only for a lock the user knows is stale)
//   3. copy it to a temp file in the target's folder (0600), fsync, and verify THAT copy:
//      integrity_check, application_id "KBOT", meta marker, migrations, foreign keys
//   4. save the current database beside it: <db>.pre-restore-YYYYMMDD_HHMMSS (VACUUM INTO, a
//      consistent copy that includes committed WAL content; a byte copy of db+wal if that fails)
//   5. remove the target's stale -wal/-shm/-journal (a stale WAL next to a restored file corrupts it)
//   6. rename the temp file over the target, fsync the folder, release the lock
//
// Any failure before step 5 leaves the target exactly as it was.
import { Database } from "bun:sqlite";
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { EXIT, UserError } from "../cli/exit-codes.ts";
import { fsyncDir } from "./atomic.ts";
import { BackupError, fsyncFile, inspectSqliteFile, utcStamp, verifyKalshiDatabase } from "./backup.ts";
import { acquireLock, readLockHolder, type LockHandle } from "./lock.ts";

export interface RestoreOptions {
  backup: string;
  target: string;
  lockFile: string;
  force?: boolean;
  now?: Date;
  /** Called with warnings the operator must see (forced lock, fallback copies). */
  warn?: (msg: string) => void;
}

export interface RestoreResult {
  target: string;
  bytes: number;
  /** Where the previous database was saved, or null when there was none. */
  savedAs: string | null;
  lockTaken: boolean;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Best effort: does this PID look like a kalshi-bot process? (Linux /proc; false when unknown.) */
function looksLikeBot(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return /kalshi-bot|src\/cli\.ts/.test(cmd);
  } catch {
    return false;
  }
}

function copyDurably(src: string, dst: string): void {
  const inFd = openSync(src, "r");
  let outFd: number;
  try {
    outFd = openSync(dst, "wx", 0o600);
  } catch (e) {
    closeSync(inFd);
    throw e;
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    let pos = 0;
    for (;;) {
      const n = readSync(inFd, buf, 0, buf.length, pos);
      if (n === 0) break;
      let off = 0;
      while (off < n) off += writeSync(outFd, buf, off, n - off);
      pos += n;
    }
    fsyncSync(outFd);
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
}

function unlinkIfExists(p: string): void {
  try {
    unlinkSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

function takeLock(opts: RestoreOptions): LockHandle | null {
  const warn = opts.warn ?? (() => {});
  try {
    return acquireLock(opts.lockFile);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const pid = readLockHolder(opts.lockFile);
    if (e.exitCode === EXIT.LOCKED) {
      if (!opts.force) {
        throw new UserError(
          `Refusing to restore: a kalshi-bot holds the lock ${opts.lockFile} (PID ${pid ?? "unknown"}). Stop it first (systemctl stop kalshi-bot, or kill ${pid ?? "<pid>"}), then run restore again; use --force only if you know that lock is stale.`,
          EXIT.LOCKED,
        );
      }
      if (pid !== null && pidAlive(pid) && looksLikeBot(pid)) {
        throw new UserError(`Refusing to restore even with --force: PID ${pid} is alive and is a kalshi-bot holding ${opts.lockFile}. Stop it first.`, EXIT.LOCKED);
      }
      warn(`--force: restoring although ${opts.lockFile} is locked (PID ${pid ?? "unknown"}); make sure no bot uses ${opts.target}`);
      return null;
    }
    // Cannot create the lock file at all (permissions): --force proceeds without it.
    if (!opts.force) throw new UserError(`${e.message} (or add --force if you are sure no bot is running)`, e.exitCode);
    warn(`--force: restoring without the lock (${e.message})`);
    return null;
  }
}

export function restoreDatabase(opts: RestoreOptions): RestoreResult {
  const warn = opts.warn ?? (() => {});
  const backup = resolve(opts.backup);
  const target = resolve(opts.target);
  if (backup === target) throw new UserError(`the backup and the target are the same file (${target}); name a file from the backups folder`, EXIT.USAGE);
  let targetStat: ReturnType<typeof statSync> | null = null;
  try {
    targetStat = statSync(target);
  } catch {}
  if (targetStat?.isDirectory()) throw new UserError(`target ${target} is a directory; give the database file path (e.g. data/kalshi.sqlite)`, EXIT.USAGE);
  if (targetStat && !targetStat.isFile()) throw new UserError(`target ${target} is not a regular file`, EXIT.USAGE);

  try {
    inspectSqliteFile(backup, `backup ${opts.backup}`);
  } catch (e) {
    if (e instanceof BackupError) throw new UserError(`restore refused: ${e.message}; the target was not touched`, EXIT.BACKUP);
    throw e;
  }

  const lock = takeLock(opts);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.restore-${process.pid}.tmp`);
  try {
    try {
      mkdirSync(dir, { recursive: true });
      for (const s of ["", "-wal", "-shm", "-journal"]) unlinkIfExists(tmp + s);
      copyDurably(backup, tmp);
    } catch (e) {
      throw new UserError(`restore failed: cannot write a copy in ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check free space and permissions; the target was not touched`, EXIT.BACKUP);
    }
    // Verify the exact bytes that will become the database.
    try {
      const facts = inspectSqliteFile(tmp, `backup ${opts.backup}`);
      if (facts.walMode) {
        // A raw copy of a WAL-mode file (e.g. not made by `kalshi-bot backup`): make it self-contained.
        const db = new Database(tmp);
        try {
          db.run("PRAGMA journal_mode = DELETE");
        } finally {
          db.close();
        }
      }
      verifyKalshiDatabase(tmp, `backup ${opts.backup}`);
    } catch (e) {
      const msg = e instanceof BackupError ? e.message : `backup ${opts.backup} cannot be used (${(e as Error).message})`;
      throw new UserError(`restore refused: ${msg}; the target was not touched`, EXIT.BACKUP);
    }
    chmodSync(tmp, 0o600);
    fsyncFile(tmp);

    let savedAs: string | null = null;
    if (targetStat) {
      savedAs = savePrevious(target, opts.now ?? new Date(), warn);
    }
    // The point of no return: stale WAL/SHM first (they would be replayed into the restored file).
    for (const s of ["-wal", "-shm", "-journal"]) unlinkIfExists(target + s);
    renameSync(tmp, target);
    fsyncDir(dir);
    return { target, bytes: statSync(target).size, savedAs, lockTaken: lock !== null };
  } finally {
    for (const s of ["", "-wal", "-shm", "-journal"]) {
      try {
        unlinkSync(tmp + s);
      } catch {}
    }
    lock?.release();
  }
}

/** Save the current database as <db>.pre-restore-<UTC stamp>; returns the path. */
function savePrevious(target: string, now: Date, warn: (m: string) => void): string {
  let saved = `${target}.pre-restore-${utcStamp(now)}`;
  for (let i = 1; existsSync(saved); i++) saved = `${target}.pre-restore-${utcStamp(now)}_${i}`;
  try {
    closeSync(openSync(saved, "wx", 0o600));
    const db = new Database(target, { readonly: true });
    try {
      db.run("PRAGMA busy_timeout = 5000");
      db.run("PRAGMA synchronous = FULL");
      db.run("VACUUM INTO ?", [saved]);
    } finally {
      db.close();
    }
    fsyncFile(saved);
    return saved;
  } catch (e) {
    // The current file is damaged (often why one restores): keep its bytes, WAL included.
    for (const s of ["", "-wal", "-shm", "-journal"]) {
      try {
        unlinkSync(saved + s);
      } catch {}
    }
    try {
      copyDurably(target, saved);
      if (existsSync(`${target}-wal`)) copyDurably(`${target}-wal`, `${saved}-wal`);
    } catch (e2) {
      throw new UserError(
        `restore failed: cannot save the current database to ${saved} (${(e2 as NodeJS.ErrnoException).code ?? (e2 as Error).message}); free some space or fix permissions; the target was not touched`,
        EXIT.BACKUP,
      );
    }
    warn(`the current database could not be read as SQLite (${(e as Error).message}); its raw bytes were saved as ${saved}`);
    return saved;
  } finally {
    fsyncDir(dirname(target));
  }
}
