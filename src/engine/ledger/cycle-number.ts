// One cycle number everywhere: the ledger's cycles.id. The heartbeat, systemd's STATUS= line, the
// cycle summary and `status`'s "Last cycles" all show it, so "cycle 812" means the same cycle in
// each (a per-process count restarted at 1 on every restart and matched none of the rows).
import type { Db } from "../../db/open.ts";

/**
 * The id the next cycle row will get. cycles.id is AUTOINCREMENT: sqlite_sequence keeps the highest
 * id ever handed out, so ids are never reused after the history prune deletes old rows. Only the
 * lock holder inserts cycles, so the prediction holds until its own insert.
 */
export function nextCycleId(db: Db): number {
  const seq = db.$client.query("SELECT seq FROM sqlite_sequence WHERE name = 'cycles'").get() as { seq: number } | null;
  const max = db.$client.query("SELECT coalesce(max(id), 0) AS m FROM cycles").get() as { m: number };
  return Math.max(seq?.seq ?? 0, max.m) + 1;
}
