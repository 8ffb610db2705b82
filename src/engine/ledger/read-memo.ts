// Ledger reads kept until the database changes. A reactive pass reads the same resting orders,
// blocked markets and per-strategy holdings that the pass before it left behind; reading them
// again (SQLite plus drizzle's row mapping, ~0.5 ms) sat between a book update and the order.
//
// The stamp is SQLite's own count of rows this connection changed (total_changes: every insert,
// update or delete through any statement, including ones rolled back) and the file's data_version
// (moves when another connection commits). Any write, by any code path, retires every memoized
// read, so a memoized value is never older than the last write: no caller has to remember to
// invalidate. Values are shared between callers: read-only.
import type { Database } from "bun:sqlite";

export class ReadMemo {
  private stamp = "";
  private readonly values = new Map<string, unknown>();
  private readonly stampQuery;

  constructor(db: Database) {
    this.stampQuery = db.query<{ c: number; v: number }, []>(
      "select total_changes() as c, (select data_version from pragma_data_version) as v",
    );
  }

  /** The database's write stamp now (see the header). */
  now(): string {
    const r = this.stampQuery.get()!;
    return `${r.c}:${r.v}`;
  }

  /** `read()`'s value, from the memo when nothing was written since it was read under `key`. */
  get<T>(key: string, read: () => T): T {
    const stamp = this.now();
    if (stamp !== this.stamp) {
      this.values.clear();
      this.stamp = stamp;
    }
    if (this.values.has(key)) return this.values.get(key) as T;
    const v = read();
    // A read that wrote (none should) would leave a stamp its value does not match: not kept.
    if (this.now() === stamp) this.values.set(key, v);
    return v;
  }
}
