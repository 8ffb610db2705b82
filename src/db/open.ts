// Open (and create) the ledger: WAL, busy timeout, foreign keys, embedded migrations applied.
import { Database } from "bun:sqlite";
import { closeSync, constants, mkdirSync, openSync, readSync, statSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { loadMigrations } from "./migrations.macro.ts" with { type: "macro" };
import * as schema from "./schema.ts";
import { APPLICATION_ID } from "./application-id.ts";

export { APPLICATION_ID };
export const MIN_SQLITE_VERSION = "3.51.3";

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database };

export class DbError extends Error {
  override name = "DbError";
  /** Locked by another process past the busy timeout: worth a retry, unlike every other DbError. */
  readonly busy: boolean;
  constructor(message: string, opts: { busy?: boolean } = {}) {
    super(message);
    this.busy = opts.busy ?? false;
  }
}

/** The SQLite result code under an error (drizzle wraps bun:sqlite's error in `cause`), if any. */
export function sqliteErrorCode(e: unknown): string | null {
  let cur = e as { code?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; cur && typeof cur === "object" && depth < 8; depth++) {
    if (typeof cur.code === "string" && cur.code.startsWith("SQLITE_")) return cur.code;
    cur = cur.cause as typeof cur;
  }
  return null;
}

export const MIGRATIONS = loadMigrations();

function versionAtLeast(have: string, want: string): boolean {
  const a = have.split(".").map(Number);
  const b = want.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

export function sqliteVersion(): string {
  const db = new Database(":memory:");
  try {
    return (db.query("select sqlite_version() as v").get() as { v: string }).v;
  } finally {
    db.close();
  }
}

/** Refuse SQLite builds older than 3.51.3: they carry the WAL-reset corruption bug. */
export function assertSqliteVersion(): void {
  const v = sqliteVersion();
  if (!versionAtLeast(v, MIN_SQLITE_VERSION)) {
    throw new DbError(
      `SQLite ${v} is too old (need ${MIN_SQLITE_VERSION}+ for the WAL-reset fix); use the official kalshi-bot binary, which embeds a current SQLite`,
    );
  }
}

export function applyPragmas(sqlite: Database): void {
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA busy_timeout = 10000");
  sqlite.run("PRAGMA foreign_keys = ON");
  sqlite.run("PRAGMA synchronous = NORMAL");
}

export function migrate(db: Db): void {
  // drizzle 0.45's array migrator is @internal; kept behind this one cast and guarded by a test
  // that compares __drizzle_migrations with the journal.
  (db as unknown as { dialect: { migrate: (m: unknown, s: unknown, c: unknown) => void }; session: unknown }).dialect.migrate(
    MIGRATIONS,
    (db as unknown as { session: unknown }).session,
    { migrationsFolder: "" },
  );
  const sqlite = db.$client;
  sqlite.run(`PRAGMA application_id = ${APPLICATION_ID}`);
  sqlite.run("INSERT OR IGNORE INTO meta(key, value) VALUES ('app', 'kalshi-bot')");
}

export interface OpenOptions {
  readonly?: boolean;
  /** Skip migrations (used when inspecting a file that may belong to another program). */
  migrate?: boolean;
}

/** Tables the embedded migrations create (a ledger interrupted mid-migration has only these). */
export const LEDGER_TABLES: ReadonlySet<string> = new Set([
  "__drizzle_migrations",
  ...MIGRATIONS.flatMap((m) => m.sql.flatMap((s) => [...s.matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?[`"]?(\w+)/gi)].map((x) => x[1]!))),
]);

const SQLITE_MAGIC = "SQLite format 3\0";

/** The SQLite error under drizzle's "Failed to run the query …" wrapper, as one line. */
function rootCause(e: unknown): { message: string; code: string } {
  let cur = e as (Error & { code?: unknown; cause?: unknown }) | undefined;
  let best = { message: String((cur as Error | undefined)?.message ?? e), code: "" };
  for (let depth = 0; cur && depth < 8; depth++) {
    const code = typeof cur.code === "string" ? cur.code : "";
    if (cur.message && (code.startsWith("SQLITE_") || !best.code)) best = { message: cur.message, code };
    cur = cur.cause as typeof cur;
  }
  const line = best.message.split("\n")[0]!.trim();
  return { message: line.length > 200 ? `${line.slice(0, 200)}…` : line, code: best.code };
}

/** Free bytes for unprivileged users on the filesystem holding `path`'s folder (null when unknown). */
function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(dirname(path));
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** One line naming the problem and the fix, for a database that cannot be opened or migrated. */
function explain(path: string, e: unknown, during: string): DbError {
  const { message, code } = rootCause(e);
  const m = `${code} ${message}`;
  // SQLite rolls a transaction back by itself on SQLITE_FULL, so drizzle's own ROLLBACK then fails
  // with "no transaction is active" and the real cause is lost: look at the disk instead.
  const free = /SQLITE_FULL|disk is full|ENOSPC|no transaction is active|SQLITE_IOERR|disk I\/O error/i.test(m) ? freeBytes(path) : null;
  if (/SQLITE_FULL|disk is full|ENOSPC/i.test(m) || (free !== null && free < 1 << 20)) {
    return new DbError(
      `no space left for the database ${path} (${message}) while ${during}; free disk space on that filesystem (or move paths.database), then start again`,
    );
  }
  if (/SQLITE_READONLY|readonly database|EACCES|EPERM|permission/i.test(m)) {
    return new DbError(
      `database ${path} is not writable by this user (${message}); fix the permissions of the file and its folder (the bot also writes ${path}-wal and -shm there)`,
    );
  }
  if (/SQLITE_NOTADB|not a database/i.test(m)) {
    return new DbError(
      `${path} is not a SQLite database (${message}); it is not a kalshi-bot ledger: move it away, or set paths.database to a new file`,
    );
  }
  if (/SQLITE_CORRUPT|malformed/i.test(m)) {
    return new DbError(`database ${path} is damaged (${message}); restore the latest backup with \`kalshi-bot restore\``);
  }
  if (/SQLITE_BUSY|database is locked/i.test(m)) {
    return new DbError(
      `database ${path} is locked by another process (${message}); another program (a second kalshi-bot with its own lock file, a sqlite3 shell) holds it: stop that program, then start again`,
      { busy: true },
    );
  }
  if (/SQLITE_CANTOPEN|unable to open/i.test(m)) {
    return new DbError(`cannot open database ${path} (${message}); check that its folder exists and is writable by this user`);
  }
  return new DbError(
    `database ${path} cannot be used while ${during} (${message}); restore a backup with \`kalshi-bot restore\`, or move the file away`,
  );
}

/**
 * Cheap refusals before SQLite touches the file: a folder, or a non-empty file that is not SQLite
 * (opening it read-write would be harmless, but the message would be SQLite's).
 */
function checkFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    return; // missing: created below
  }
  if (st.isDirectory()) throw new DbError(`database path ${path} is a folder; set paths.database to a file such as data/kalshi.sqlite`);
  if (!st.isFile())
    throw new DbError(`database path ${path} is not a regular file; set paths.database to a file such as data/kalshi.sqlite`);
  if (st.size === 0) return;
  const head = Buffer.alloc(16);
  let n = 0;
  try {
    const fd = openSync(path, "r");
    try {
      n = readSync(fd, head, 0, 16, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw explain(path, e, "reading its header");
  }
  if (n < 16 || head.toString("latin1") !== SQLITE_MAGIC) {
    throw new DbError(
      `${path} is not a SQLite database (${st.size} bytes without the SQLite header); it is not a kalshi-bot ledger: move it away, or set paths.database to a new file`,
    );
  }
}

/**
 * Refuse another program's SQLite file before any PRAGMA or migration writes to it: a kalshi-bot
 * ledger carries application_id "KBOT"; a fresh file has no tables; a ledger interrupted before its
 * application_id was set has drizzle's journal and only ledger tables.
 */
function checkIdentity(path: string, sqlite: Database): void {
  const appId = (sqlite.query("PRAGMA application_id").get() as { application_id: number }).application_id;
  if (appId === APPLICATION_ID) return;
  const tables = (
    sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]
  ).map((r) => r.name);
  if (appId === 0 && (tables.length === 0 || (tables.includes("__drizzle_migrations") && tables.every((t) => LEDGER_TABLES.has(t)))))
    return;
  const shown = tables.slice(0, 5).join(", ") + (tables.length > 5 ? `, … (${tables.length} tables)` : "");
  throw new DbError(
    `${path} is another application's SQLite database (application_id ${appId}${tables.length ? `; tables ${shown}` : ""}), not a kalshi-bot ledger; it was left untouched: set paths.database to a new file, or move this one away`,
  );
}

/**
 * Why the file at `path` cannot serve as the ledger, or null when it can (missing, empty, or a
 * kalshi-bot ledger). Read-only: used by `--verify-config` before anything is written.
 */
export function ledgerFileProblem(path: string): string | null {
  try {
    checkFile(path);
    let st;
    try {
      st = statSync(path);
    } catch {
      return null;
    }
    if (st.size === 0) return null;
    let sqlite: Database;
    try {
      sqlite = new Database(path, { readonly: true });
    } catch (e) {
      return explain(path, e, "opening it").message;
    }
    try {
      sqlite.run("PRAGMA busy_timeout = 2000");
      checkIdentity(path, sqlite);
      return null;
    } finally {
      sqlite.close();
    }
  } catch (e) {
    return e instanceof DbError ? e.message : explain(path, e, "reading it").message;
  }
}

export function openDb(path: string, opts: OpenOptions = {}): Db {
  assertSqliteVersion();
  const file = path !== ":memory:";
  if (file) checkFile(path);
  if (file && !opts.readonly) {
    try {
      // The ledger is the account's trading history: private to the bot's user, like its backups.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new DbError(
        `cannot create the folder ${dirname(path)} for the database (${code}); create it, fix its permissions, or change paths.database`,
      );
    }
    try {
      // Created empty with mode 0600 first: SQLite gives its -wal and -shm files the same mode.
      closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") throw explain(path, e, "creating it");
    }
  }
  let sqlite: Database;
  try {
    sqlite = opts.readonly ? new Database(path, { readonly: true, strict: true }) : new Database(path, { create: true, strict: true });
  } catch (e) {
    throw explain(path, e, "opening it");
  }
  let during = "reading it";
  try {
    if (file && opts.migrate !== false) checkIdentity(path, sqlite);
    during = "setting it up";
    if (!opts.readonly) applyPragmas(sqlite);
    else sqlite.run("PRAGMA busy_timeout = 10000");
    const db = drizzle({ client: sqlite, schema }) as Db;
    during = "applying its migrations";
    if (!opts.readonly && opts.migrate !== false) migrate(db);
    return db;
  } catch (e) {
    sqlite.close();
    if (e instanceof DbError) throw e;
    throw explain(path, e, during);
  }
}

/** Close the database's connection (the lifecycle's last step). */
export function closeDb(db: Db): void {
  db.$client.close();
}

export { schema };
