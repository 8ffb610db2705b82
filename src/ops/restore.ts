// Restore the ledger from a backup (replaces the guide's restore_db.sh), without ever leaving the
// target half-written and without losing the current database:
//
//   1. the backup is a regular SQLite file, not truncated (cheap header checks)
//   2. take the bot's lock (refuse while a bot runs; --force only for a lock the user knows is stale)
//   3. copy it to a temp file in the target's folder (0600), fsync, and verify THAT copy:
//      integrity_check, application_id "KBOT", meta marker, migrations, foreign keys
//   4. save the current database beside it: <db>.pre-restore-YYYYMMDD_HHMMSS (VACUUM INTO, a
//      consistent copy that includes committed WAL content; a byte copy of db+wal if that fails)
//   5. checkpoint the target's WAL into it (a bot killed with -9 leaves committed pages there, maybe
//      mid-checkpoint), then remove its -wal/-shm/-journal (a stale WAL next to a restored file
//      corrupts it)
//   6. rename the temp file over the target, fsync the folder, release the lock
//
// Any failure before step 5 leaves the target exactly as it was; a crash at any step leaves a
// target that opens with integrity_check ok and holds entirely the old or entirely the new ledger
// (tested with KALSHI_BOT_CRASH_AT=restore:<step>). Temp copies of a crashed restore are swept by
// the next one.
import { Database } from "bun:sqlite";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
  chmodSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { EXIT, UserError } from "../errors.ts";
import { fsyncDir } from "./atomic.ts";
import { checkpointTruncate, setBusyTimeout, useRollbackJournal, vacuumInto } from "../db/maintenance.ts";
import { BackupError, fsyncFile, inspectSqliteFile, utcStamp, verifyKalshiDatabase } from "./backup.ts";
import { acquireLock, databaseInUse, readLockHolder, type LockHandle } from "./lock.ts";
import { crashPoint, pidAlive, unlinkSqliteFiles } from "./proc.ts";

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

/** Best effort: does this PID look like a kalshi-bot process? (Linux /proc; false when unknown.) */
/**
 * Whether `pid` runs kalshi-bot: the compiled binary (its program name is kalshi-bot) or the
 * source entry point under bun. Judged by the program and the entry script, not by any argument
 * that mentions "kalshi-bot": a checkout or a lock folder named kalshi-bot is not a bot.
 */
function looksLikeBot(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    return basename(argv[0] ?? "") === "kalshi-bot" || argv.slice(1, 3).some((a) => a.endsWith("src/cli.ts"));
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
        throw new UserError(
          `Refusing to restore even with --force: PID ${pid} is alive and is a kalshi-bot holding ${opts.lockFile}. Stop it first.`,
          EXIT.LOCKED,
        );
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
  if (backup === target)
    throw new UserError(`the backup and the target are the same file (${target}); name a file from the backups folder`, EXIT.USAGE);
  let targetStat: ReturnType<typeof statSync> | null = null;
  try {
    targetStat = statSync(target);
  } catch {}
  if (targetStat?.isDirectory())
    throw new UserError(`target ${target} is a directory; give the database file path (e.g. data/kalshi.sqlite)`, EXIT.USAGE);
  if (targetStat && !targetStat.isFile()) throw new UserError(`target ${target} is not a regular file`, EXIT.USAGE);

  try {
    inspectSqliteFile(backup, `backup ${opts.backup}`);
  } catch (e) {
    if (e instanceof BackupError) throw new UserError(`restore refused: ${e.message}; the target was not touched`, EXIT.BACKUP);
    throw e;
  }

  const lock = takeLock(opts);
  // A bot may run with another lock file on this very database: never replace a ledger in use.
  if (targetStat && databaseInUse(target)) {
    lock?.release();
    throw new UserError(
      `Refusing to restore: a running kalshi-bot has ${target} open (with another lock file than ${opts.lockFile}). Stop it first; --force does not override this.`,
      EXIT.LOCKED,
    );
  }
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.restore-${process.pid}.tmp`);
  try {
    sweepRestoreTemps(dir, basename(target));
    try {
      mkdirSync(dir, { recursive: true });
      unlinkSqliteFiles(tmp, { strict: true });
      copyDurably(backup, tmp);
    } catch (e) {
      throw new UserError(
        `restore failed: cannot write a copy in ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check free space and permissions; the target was not touched`,
        EXIT.BACKUP,
      );
    }
    crashPoint("restore:copied");
    // Verify the exact bytes that will become the database.
    try {
      const facts = inspectSqliteFile(tmp, `backup ${opts.backup}`);
      if (facts.walMode) {
        // A raw copy of a WAL-mode file (e.g. not made by `kalshi-bot backup`): make it self-contained.
        const db = new Database(tmp);
        try {
          useRollbackJournal(db);
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
    crashPoint("restore:verified");

    let savedAs: string | null = null;
    if (targetStat) {
      savedAs = savePrevious(target, opts.now ?? new Date(), warn);
      crashPoint("restore:saved");
      checkpointTarget(target, warn);
      crashPoint("restore:checkpointed");
    }
    // The point of no return: stale WAL/SHM first (they would be replayed into the restored file).
    unlinkSqliteFiles(target, { only: ["-wal", "-shm", "-journal"], strict: true });
    crashPoint("restore:wal-removed");
    renameSync(tmp, target);
    crashPoint("restore:renamed");
    fsyncDir(dir);
    return { target, bytes: statSync(target).size, savedAs, lockTaken: lock !== null };
  } finally {
    unlinkSqliteFiles(tmp);
    lock?.release();
  }
}

/** Temp copies left by a restore that crashed (its PID is gone): `.<db>.restore-<pid>.tmp[-wal…]`. */
function sweepRestoreTemps(dir: string, base: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const prefix = `.${base}.restore-`;
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)\.tmp(-wal|-shm|-journal)?$/.exec(n.slice(prefix.length));
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) unlinkSqliteFiles(join(dir, n), { only: [""] });
  }
}

/**
 * Fold the target's WAL into its main file before the WAL is removed, so that a crash between that
 * removal and the rename leaves the complete old ledger, not its last checkpoint (or, after a bot
 * was killed mid-checkpoint, a half-written main file). Best effort: a damaged target's bytes,
 * WAL included, are already saved beside it.
 */
function checkpointTarget(target: string, warn: (m: string) => void): void {
  if (!existsSync(`${target}-wal`)) return;
  let db: Database | null = null;
  try {
    db = new Database(target);
    setBusyTimeout(db, 5000);
    if (!checkpointTruncate(db))
      warn(`the current database's WAL could not be checkpointed (busy); its last transactions are in the saved copy`);
    fsyncFile(target);
  } catch (e) {
    warn(`the current database's WAL could not be checkpointed (${(e as Error).message.split("\n")[0]}); its content is in the saved copy`);
  } finally {
    try {
      db?.close();
    } catch {}
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
      setBusyTimeout(db, 5000);
      vacuumInto(db, saved);
    } finally {
      db.close();
    }
    fsyncFile(saved);
    return saved;
  } catch (e) {
    // The current file is damaged (often why one restores): keep its bytes, WAL included.
    unlinkSqliteFiles(saved);
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
