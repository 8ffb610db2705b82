// History retention: the ledger's prune of rows older than `ledger.history_days` (bot.ts runs it at
// start-up and daily). Part of the ledger: the only other module allowed to write its tables.
import type { Db } from "../../db/open.ts";

// ---- history retention ---------------------------------------------------------------------------

/** Orders nothing more will happen to: their event trail is history. Pending, unknown and resting
 * orders keep theirs, since reconciliation may still have to explain them. */
const FINAL_ORDER_STATUSES = ["executed", "canceled", "expired", "rejected"] as const;

/**
 * Audit kinds kept whatever their age, because they explain the money or the state the bot is in:
 *   anchor, cash_adjust, book_restart — where the ledger's cash starts and every step it took that
 *     is not a fill or a settlement (cashMicros counts from the anchor; adjustments are in meta);
 *   risk_state, risk_reset — why trading was halted or reduced, and who cleared it;
 *   reconcile_failed, external_order — disagreements with the exchange and orders adopted from it.
 * Everything else written with `audit(` (cycle_error, cycle_stopped, out_of_scope, arb_repair,
 * burst_cap, order_group_cap, order_group_reset, cancel_failed, amend_rejected) is operational
 * chatter about one cycle: useful for weeks, not years, and the orders it concerns keep their rows.
 */
export const AUDIT_KINDS_KEPT: readonly string[] = [
  "anchor",
  "cash_adjust",
  "book_restart",
  "risk_state",
  "risk_reset",
  "reconcile_failed",
  "external_order",
];

export interface PruneCounts {
  orderEvents: number;
  auditLog: number;
  balanceSnapshots: number;
  marketSnapshots: number;
  cycles: number;
}

const inList = (xs: readonly string[]) => xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(", ");

/**
 * The prune's statements, in order (exported so a test can hold their query plans to the indexes).
 * `?` is the cutoff in epoch milliseconds. Cycles go last, once the snapshots that referenced them
 * are gone; a cycle still named by an order, a kept snapshot or a kept audit row stays (orders
 * reference cycles by foreign key, and are never removed).
 */
export const PRUNE_SQL = {
  orderEvents: `delete from order_events where at < ?1 and exists (select 1 from orders o where o.id = order_events.order_row_id and o.status in (${inList(FINAL_ORDER_STATUSES)}))`,
  auditLog: `delete from audit_log where at < ?1 and kind not in (${inList(AUDIT_KINDS_KEPT)})`,
  balanceSnapshots: `delete from balance_snapshots where at < ?1`,
  marketSnapshots: `delete from market_snapshots where at < ?1`,
  cycles:
    `delete from cycles where started_at < ?1` +
    ` and not exists (select 1 from orders o where o.cycle_id = cycles.id)` +
    ` and not exists (select 1 from balance_snapshots b where b.cycle_id = cycles.id)` +
    ` and not exists (select 1 from market_snapshots m where m.cycle_id = cycles.id)` +
    // Not a foreign key, but a kept audit row (a risk_state change) names its cycle for context.
    ` and not exists (select 1 from audit_log a where a.cycle_id = cycles.id)`,
} as const;

/**
 * Remove history rows older than `cutoffMs` from both books, in one transaction. Never touches
 * orders, fills, settlements, positions, meta or risk_state: fills and settlements are the ledger's
 * cash (cashMicros sums them from the anchor row), and orders hold every client_order_id ever used.
 *
 * The file does not shrink: the ledger is created without auto_vacuum, so incremental_vacuum does
 * nothing, and a VACUUM would rewrite the whole file while holding the write lock the running bot
 * needs. SQLite reuses the freed pages for new rows, so the file stops growing instead; backups
 * (VACUUM INTO) copy only live pages, so the next one is smaller.
 */
export function pruneHistory(db: Db, cutoffMs: number): PruneCounts {
  const sqlite = db.$client;
  return sqlite.transaction(() => {
    const run = (q: string) => sqlite.query(q).run(cutoffMs).changes;
    return {
      orderEvents: run(PRUNE_SQL.orderEvents),
      auditLog: run(PRUNE_SQL.auditLog),
      balanceSnapshots: run(PRUNE_SQL.balanceSnapshots),
      marketSnapshots: run(PRUNE_SQL.marketSnapshots),
      cycles: run(PRUNE_SQL.cycles),
    };
  })();
}
