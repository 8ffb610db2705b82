// A Bun macro: runs at bundle time and inlines every migration (SQL split on drizzle's
// breakpoints, with the same hash and timestamp the stock migrator would record), so the compiled
// binary carries its migrations and needs no folder beside it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface EmbeddedMigration {
  sql: string[];
  bps: boolean;
  folderMillis: number;
  hash: string;
}

export function loadMigrations(): EmbeddedMigration[] {
  const dir = join(import.meta.dir, "migrations");
  const journal = JSON.parse(readFileSync(join(dir, "meta", "_journal.json"), "utf8")) as {
    entries: { tag: string; when: number; breakpoints: boolean }[];
  };
  return journal.entries.map((e) => {
    const text = readFileSync(join(dir, `${e.tag}.sql`), "utf8");
    return {
      sql: text.split("--> statement-breakpoint"),
      bps: e.breakpoints,
      folderMillis: e.when,
      hash: createHash("sha256").update(text).digest("hex"),
    };
  });
}
