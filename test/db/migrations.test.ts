// The embedded migrations match the committed journal, apply once, and mark the file as ours.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APPLICATION_ID, MIGRATIONS, openDb } from "../../src/db/open.ts";

const journal = JSON.parse(readFileSync(join(import.meta.dir, "../../src/db/migrations/meta/_journal.json"), "utf8"));

describe("database", () => {
  test("embedded migrations = journal entries, applied once, idempotent on reopen", () => {
    const dir = mkdtempSync(join(tmpdir(), "kbot-db-"));
    try {
      expect(MIGRATIONS.length).toBe(journal.entries.length);
      const path = join(dir, "a", "k.sqlite");
      let db = openDb(path);
      const count = () => (db.$client.query("select count(*) as n from __drizzle_migrations").get() as { n: number }).n;
      expect(count()).toBe(journal.entries.length);
      db.$client.close();
      db = openDb(path);
      expect(count()).toBe(journal.entries.length);
      expect((db.$client.query("pragma application_id").get() as { application_id: number }).application_id).toBe(APPLICATION_ID);
      expect((db.$client.query("pragma journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
      expect((db.$client.query("pragma foreign_keys").get() as { foreign_keys: number }).foreign_keys).toBe(1);
      db.$client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
