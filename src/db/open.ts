// Open (and create) the ledger: WAL, busy timeout, foreign keys, embedded migrations applied.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { loadMigrations } from "./migrations.macro.ts" with { type: "macro" };
import * as schema from "./schema.ts";

/** "KBOT": marks a SQLite file as a kalshi-bot ledger (checked by restore and backup). */
export const APPLICATION_ID = 0x4b424f54;
export const MIN_SQLITE_VERSION = "3.51.3";

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database };

export class DbError extends Error {
  override name = "DbError";
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
    throw new DbError(`SQLite ${v} is too old (need ${MIN_SQLITE_VERSION}+ for the WAL-reset fix); use the official kalshi-bot binary, which embeds a current SQLite`);
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

export function openDb(path: string, opts: OpenOptions = {}): Db {
  assertSqliteVersion();
  if (path !== ":memory:" && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
  let sqlite: Database;
  try {
    sqlite = opts.readonly ? new Database(path, { readonly: true, strict: true }) : new Database(path, { create: true, strict: true });
  } catch (e) {
    throw new DbError(`cannot open database ${path}: ${(e as Error).message}; check the path and its folder's permissions`);
  }
  try {
    if (!opts.readonly) applyPragmas(sqlite);
    else sqlite.run("PRAGMA busy_timeout = 10000");
    const db = drizzle({ client: sqlite, schema }) as Db;
    if (!opts.readonly && opts.migrate !== false) migrate(db);
    return db;
  } catch (e) {
    sqlite.close();
    if (e instanceof DbError) throw e;
    throw new DbError(`database ${path} cannot be used: ${(e as Error).message}; restore a backup with \`kalshi-bot restore\` or move the file away`);
  }
}

export { schema };
