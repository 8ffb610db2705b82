// Single-instance lock: the guide's semantics, made race-free.
//
// The lock file holds the PID of the running instance (for people: `cat /tmp/kalshi-bot.lock`).
// Ownership itself is a kernel lock, flock(LOCK_EX|LOCK_NB) on that file through bun:ffi (Bun has no
// flock API; see ../shared/RELIABILITY.md §1). The kernel drops the lock when the holder dies, even
// after kill -9, so a stale file (dead PID, or a PID reused by an unrelated process) is taken over at
// once, and the PID written in the file is never trusted for the decision. There is no
// read-PID/kill(0)/unlink/retry dance, which is measured to let 2–4 of 20 racers win.
//
// The one subtle race: A opens the file, B (the holder) releases and unlinks it, A's flock then
// succeeds on the orphaned inode while C creates a fresh file and locks that. So after flock we check
// that the path still names the inode we locked (dev+ino); if not, we close and retry. Release
// unlinks the file BEFORE closing the fd (so a racer that locked the old inode always sees the
// mismatch), and only when the file still names our inode and holds our PID.
//
// Deleting the file is the manual release the guide documents: with a dead holder it is never
// needed (the next start takes over), and with a live holder it lets a second instance start, which
// is why `handle.stillOwned()` exists for the daemon to check every cycle.
//
// Without the JIT (systemd MemoryDenyWriteExecute=yes) bun:ffi cannot load; then the kernel lock is
// taken as SQLite's fcntl lock on a sidecar `<lock>.sqlite` in EXCLUSIVE locking mode (also released
// on death). Do not mix both modes on one host: flock and fcntl locks do not see each other.
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
  fsyncSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { Database } from "bun:sqlite";
import { FFIType, read as ffiRead } from "bun:ffi";
import { openLibc } from "./libc.ts";
import { EXIT, UserError } from "../errors.ts";
import { monoNow } from "./clock.ts";
import { holdLockSidecar, probeLockSidecar } from "../db/maintenance.ts";
import { pidAlive } from "./proc.ts";

export interface LockHandle {
  /** Absolute path of the lock file. */
  readonly path: string;
  readonly pid: number;
  /** "flock" normally; "sqlite" when bun:ffi is unavailable. */
  readonly method: "flock" | "sqlite";
  /** True while the file at `path` is still the one we locked and still names our PID. */
  stillOwned(): boolean;
  /** Idempotent. Removes the file only if it still is ours (same inode, our PID); then unlocks. */
  release(): void;
}

type Flock = (fd: number, op: number) => number;
const LOCK_EX = 2;
const LOCK_NB = 4;

let flockFn: Flock | null | undefined;
let errnoFn: (() => number) | null = null;

function loadFlock(): Flock | null {
  if (flockFn !== undefined) return flockFn;
  flockFn = null;
  if (process.env.KALSHI_BOT_LOCK_METHOD === "sqlite") return null;
  // No libc through FFI (no JIT, W^X, Windows): the SQLite lock instead.
  const lib = openLibc({ flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
  if (!lib) return null;
  flockFn = lib.symbols.flock;
  // Why a flock failed (EWOULDBLOCK: held) is read from glibc's and musl's errno; elsewhere assumed.
  const errno = process.platform === "linux" ? openLibc({ __errno_location: { args: [], returns: FFIType.ptr } }) : null;
  if (errno) {
    const loc = errno.symbols.__errno_location;
    errnoFn = () => {
      const p = loc();
      return p ? ffiRead.i32(p, 0) : 0;
    };
  }
  return flockFn;
}

/** The PID written in the lock file, or null when it is missing, unreadable or not a PID. */
export function readLockHolder(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  return pidOf(text);
}

/** The PID a lock file's text names, or null when it is not one. */
function pidOf(text: string): number | null {
  const m = /^\s*(\d{1,10})\s*$/.exec(text);
  if (!m) return null;
  const pid = Number(m[1]);
  return pid > 0 ? pid : null;
}

/** How long a refused start waits for the holder to write its PID (monotonic ms). */
const HOLDER_PID_WAIT_MS = 2_000;

/**
 * The PID of the process that holds the lock, for the refusal's message. The holder writes it just
 * after taking the lock; until then the file is empty or still names a dead earlier holder (a stale
 * file), and on a loaded machine the holder can be off its core for longer than a moment. So wait,
 * bounded, for a PID of a live process; null (the message then names no PID) past the bound.
 */
function holderOnceWritten(abs: string): number | null {
  const until = monoNow() + HOLDER_PID_WAIT_MS;
  for (;;) {
    const pid = readLockHolder(abs);
    if (pid !== null && pid !== process.pid && pidAlive(pid)) return pid;
    if (monoNow() >= until) return null;
    Bun.sleepSync(10);
  }
}

function heldError(path: string, pid: number | null): UserError {
  const who = pid !== null ? `held by PID ${pid}` : "held by another process";
  return new UserError(
    `Failed to acquire lock: ${who} (${path}). Another kalshi-bot is running; stop it first (check with: ps -p ${pid ?? "<pid>"} -o pid,args), or use a different --lock-file for a separate instance.`,
    EXIT.LOCKED,
  );
}

function permissionError(path: string, code: string): UserError {
  return new UserError(
    `Failed to acquire lock: cannot create or open ${path} (${code}). Use --lock-file ./custom.lock, set paths.lock_file, or fix permissions of the folder ${dirname(path)} for this user.`,
    EXIT.USAGE,
  );
}

function sameFile(a: { dev: number | bigint; ino: number | bigint }, b: { dev: number | bigint; ino: number | bigint }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function writePid(fd: number, pid: number): void {
  ftruncateSync(fd, 0);
  const buf = Buffer.from(`${pid}\n`);
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, off);
  try {
    fsyncSync(fd);
  } catch {
    // best effort: the PID content is informational
  }
}

const held = new Map<string, LockHandle>();

/**
 * Take the single-instance lock at `path` (created if missing, parent folders too).
 * Throws UserError: EXIT.LOCKED when another live process holds it ("Failed to acquire lock: held by
 * PID N (path)"), EXIT.USAGE when the file cannot be created (permission advice).
 * Acquiring a path this process already holds is an error too (it would mean two owners in one process).
 */
export function acquireLock(path: string): LockHandle {
  const abs = resolve(path);
  if (held.has(abs)) throw new UserError(`Failed to acquire lock: this process already holds ${abs}`, EXIT.LOCKED);
  try {
    // A folder made here is the bot's own (the shipped config keeps the lock beside the ledger):
    // private, like the database's. Existing folders (/run, /tmp) keep their mode.
    mkdirSync(dirname(abs), { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    if (code !== "EEXIST") throw permissionError(abs, code);
  }
  const flock = loadFlock();
  const handle = flock ? acquireFlock(abs, flock) : acquireSqlite(abs);
  held.set(abs, handle);
  return handle;
}

function acquireFlock(abs: string, flock: Flock): LockHandle {
  for (let attempt = 0; attempt < 50; attempt++) {
    let fd: number;
    let writable = true;
    try {
      fd = openSync(abs, constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      if (code === "EISDIR")
        throw new UserError(`Failed to acquire lock: ${abs} is a directory. Use --lock-file ./custom.lock with a file path.`, EXIT.USAGE);
      if (code === "ELOOP")
        throw new UserError(
          `Failed to acquire lock: ${abs} is a symbolic link; refusing to follow it. Remove it or use --lock-file ./custom.lock.`,
          EXIT.USAGE,
        );
      if (code !== "EACCES" && code !== "EPERM" && code !== "EROFS") throw permissionError(abs, code);
      // Not writable by us (e.g. left by another user): we can still tell whether it is held.
      try {
        fd = openSync(abs, constants.O_RDONLY);
        writable = false;
      } catch {
        throw permissionError(abs, code);
      }
      if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
        closeSync(fd);
        throw heldError(abs, holderOnceWritten(abs));
      }
      closeSync(fd);
      throw permissionError(abs, code);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      const errno = errnoFn ? errnoFn() : 11;
      closeSync(fd);
      // EWOULDBLOCK (11) is the normal "held" answer; EINTR (4) deserves another try.
      if (errno === 4) continue;
      if (errno !== 11 && errno !== 35 && errno !== 0) throw permissionError(abs, `flock errno ${errno}`);
      throw heldError(abs, holderOnceWritten(abs));
    }
    // We hold a lock on the inode we opened; make sure the path still names it.
    let now: ReturnType<typeof statSync> | null = null;
    const mine = fstatSync(fd);
    try {
      now = statSync(abs);
    } catch {
      now = null;
    }
    if (!now || !sameFile(mine, now)) {
      closeSync(fd); // it was released and unlinked (or replaced) under us: start over
      continue;
    }
    if (writable) writePid(fd, process.pid);
    return makeHandle(abs, "flock", mine, () => closeSync(fd), fd);
  }
  throw new UserError(`Failed to acquire lock: ${abs} keeps being replaced by another process; check what else writes it`, EXIT.LOCKED);
}

function acquireSqlite(abs: string): LockHandle {
  const side = `${abs}.sqlite`;
  let db: Database;
  try {
    db = new Database(side, { create: true });
  } catch (e) {
    throw permissionError(side, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  try {
    holdLockSidecar(db, process.pid, new Date().toISOString());
  } catch (e) {
    try {
      db.close();
    } catch {}
    const msg = (e as Error).message;
    if (/locked|busy/i.test(msg)) throw heldError(abs, readLockHolder(abs));
    throw permissionError(side, msg);
  }
  // We own the sidecar lock: the PID file is ours to (re)write.
  let fd: number;
  try {
    fd = openSync(abs, "w", 0o644);
  } catch (e) {
    db.close();
    throw permissionError(abs, (e as NodeJS.ErrnoException).code ?? "error");
  }
  writePid(fd, process.pid);
  const st = fstatSync(fd);
  closeSync(fd);
  return makeHandle(abs, "sqlite", st, () => db.close());
}

function makeHandle(
  abs: string,
  method: "flock" | "sqlite",
  st: { dev: number | bigint; ino: number | bigint },
  unlock: () => void,
  heldFd?: number,
): LockHandle {
  let released = false;
  // With the locked file's descriptor at hand, its PID is read through it (one pread) once the path
  // is found to name that same inode: the same bytes readFileSync would find at the path, without
  // its open, fstat and close (stillOwned is read on the way to every narrow requote).
  const pidBuf = Buffer.alloc(32);
  const holder = (): number | null => {
    if (heldFd === undefined) return readLockHolder(abs);
    const n = readSync(heldFd, pidBuf, 0, pidBuf.length, 0);
    return n < pidBuf.length ? pidOf(pidBuf.toString("latin1", 0, n)) : null;
  };
  const ours = (): boolean => {
    try {
      return sameFile(statSync(abs), st) && holder() === process.pid;
    } catch {
      return false;
    }
  };
  const handle: LockHandle = {
    path: abs,
    pid: process.pid,
    method,
    stillOwned: () => !released && ours(),
    release() {
      if (released) return;
      released = true;
      held.delete(abs);
      try {
        if (ours()) unlinkSync(abs); // unlink first, unlock second (see the header)
      } catch {
        // already gone: nothing to remove
      }
      try {
        unlock();
      } catch {}
    },
  };
  return handle;
}

/**
 * Whether a live process holds the lock at `path`, without taking it (status, restore's warning).
 * With flock this probes the kernel lock (a brief non-blocking lock on success, released at once);
 * it never creates the file.
 */
export function isLockHeld(path: string): boolean {
  const abs = resolve(path);
  if (held.has(abs)) return true;
  const flock = loadFlock();
  if (flock) {
    const viaProc = procLocksHolds(abs);
    if (viaProc !== null) return viaProc;
    let fd: number;
    try {
      fd = openSync(abs, constants.O_RDONLY);
    } catch {
      return false;
    }
    try {
      return flock(fd, LOCK_EX | LOCK_NB) !== 0; // closing the fd below drops our probe lock
    } finally {
      closeSync(fd);
    }
  }
  // SQLite mode: probe the sidecar; fall back to the PID when it cannot be opened.
  try {
    const db = new Database(`${abs}.sqlite`, { readonly: true });
    try {
      probeLockSidecar(db);
      return false;
    } catch {
      return true;
    } finally {
      db.close();
    }
  } catch {
    const pid = readLockHolder(abs);
    return pid !== null && pidAlive(pid);
  }
}

/**
 * Linux: look the file's inode up in /proc/locks (a FLOCK line) without touching the lock itself,
 * so a probe can never make a starting bot fail. null when /proc/locks is not available.
 */
function procLocksHolds(abs: string): boolean | null {
  if (process.platform !== "linux") return null;
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch {
    return false;
  }
  let text: string;
  try {
    text = readFileSync("/proc/locks", "utf8");
  } catch {
    return null;
  }
  const dev = Number(st.dev);
  const major = ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const want = `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}:${st.ino}`;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:123456 0 EOF" (blocked waiters are marked "->")
    if (f[1] === "FLOCK" && f[5] === want) return true;
  }
  return false;
}

/**
 * The ledger's own guard: an flock on the database file itself, held while a bot trades on it.
 * The PID lock keeps two bots with the same lock file apart; this keeps apart two bots given
 * different lock files (or a restore with another --lock-file) that name the same database, which
 * would otherwise both trade one account from one ledger. flock and SQLite's fcntl locks are
 * independent on Linux, so SQLite never sees it. Best effort: without flock (bun:ffi missing) it
 * guards nothing and says so by returning null.
 */
export function guardDatabase(dbPath: string): { release(): void } | null {
  const flock = loadFlock();
  if (!flock) return null;
  let fd: number;
  try {
    fd = openSync(dbPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return null; // missing or unreadable: the database layer reports that itself
  }
  if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    // Closing an fd can drop this process's fcntl locks on the file; the caller has no SQLite
    // transaction open here, so nothing of SQLite's is lost.
    closeSync(fd);
    throw new UserError(
      `the database ${dbPath} is in use by another kalshi-bot (one with a different lock file?): two bots must never share a ledger; stop the other one, or give this one its own paths.database`,
      EXIT.LOCKED,
    );
  }
  let open = true;
  return {
    release() {
      if (!open) return;
      open = false;
      try {
        closeSync(fd);
      } catch {}
    },
  };
}

/** True when a running bot holds `guardDatabase` on `dbPath` (false when unknown). */
export function databaseInUse(dbPath: string): boolean {
  try {
    const g = guardDatabase(dbPath);
    g?.release();
    return false;
  } catch (e) {
    if (e instanceof UserError && e.exitCode === EXIT.LOCKED) return true;
    throw e;
  }
}
