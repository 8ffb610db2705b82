// Statements that look after a SQLite file as a file, not the ledger's records: integrity checks,
// online copies (VACUUM INTO), WAL checkpoints, journal modes, and the lock sidecar's one-row
// table. Backup, restore and the process lock (src/ops) call these; the ledger's records are read
// and written only through src/engine/ledger*.
import type { Database } from "bun:sqlite";

export function setBusyTimeout(db: Database, ms: number): void {
  db.run(`PRAGMA busy_timeout = ${Math.trunc(ms)}`);
}

/** PRAGMA integrity_check's lines ("ok" alone when the file is sound). */
export function integrityCheck(db: Database): string[] {
  return db
    .query<{ integrity_check: string }, []>("PRAGMA integrity_check")
    .all()
    .map((r) => r.integrity_check);
}

export function applicationId(db: Database): number {
  return db.query<{ application_id: number }, []>("PRAGMA application_id").get()?.application_id ?? 0;
}

export function tableNames(db: Database): Set<string> {
  return new Set(
    db
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name),
  );
}

/** A meta value, read to tell our own database from another (the `app` marker). */
export function metaMarker(db: Database, key: string): string | null {
  return db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null;
}

export function appliedMigrationCount(db: Database): number {
  return db.query<{ n: number }, []>("SELECT count(*) AS n FROM __drizzle_migrations").get()?.n ?? 0;
}

/** Tables holding rows that reference missing rows (PRAGMA foreign_key_check), one entry per row. */
export function foreignKeyViolations(db: Database): string[] {
  return db
    .query<{ table: string }, []>("PRAGMA foreign_key_check")
    .all()
    .map((r) => r.table);
}

/** A consistent copy of the open database into `path` (an empty or absent file), fsynced by SQLite. */
export function vacuumInto(db: Database, path: string): void {
  db.run("PRAGMA synchronous = FULL"); // VACUUM INTO fsyncs its output only with NORMAL/FULL
  db.run("VACUUM INTO ?", [path]);
}

/** Fold the WAL into the main file and empty it; false when a reader kept it busy. */
export function checkpointTruncate(db: Database): boolean {
  const r = db.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)").get();
  return !r || r.busy === 0;
}

/** Leave WAL mode so the file is self-contained (no -wal beside it). */
export function useRollbackJournal(db: Database): void {
  db.run("PRAGMA journal_mode = DELETE");
}

/** Take the lock sidecar: an exclusive transaction that keeps the file locked while `db` stays open. */
export function holdLockSidecar(db: Database, pid: number, startedAt: string): void {
  db.run("PRAGMA busy_timeout = 0");
  db.run("PRAGMA locking_mode = EXCLUSIVE");
  db.run("BEGIN EXCLUSIVE");
  db.run("CREATE TABLE IF NOT EXISTS holder(pid INTEGER, started_at TEXT)");
  db.run("DELETE FROM holder");
  db.run("INSERT INTO holder VALUES (?, ?)", [pid, startedAt]);
  db.run("COMMIT");
}

/** Read the sidecar without waiting: throws when another process holds it. */
export function probeLockSidecar(db: Database): void {
  db.run("PRAGMA busy_timeout = 0");
  db.query("SELECT count(*) FROM sqlite_master").get();
}
