// The ledger. Money columns are integers in the units of src/kalshi/money.ts (price 1e-4 $,
// count 1e-2 contract, micros 1e-6 $). `paper` separates dry-run rows from live ones: they are
// never mixed in one query without saying which.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Every status an order row of the ledger can have (the metrics list them all, by this list). */
export const LEDGER_ORDER_STATUSES = ["pending", "resting", "executed", "canceled", "expired", "rejected", "unknown"] as const;

const now = sql`(unixepoch('subsec') * 1000)`;

export const meta = sqliteTable("meta", {
  key: text().primaryKey(),
  value: text().notNull(),
});

// History retention (pruneHistory in src/engine/ledger.ts) needs two kinds of index: one on the
// time column of each pruned table, so the daily prune reads only the rows it removes; and one on
// every column referencing cycles, because deleting a cycle makes SQLite look for children in each
// referencing table (foreign keys are on), a full scan per deleted cycle without an index. The
// prune makes the same check in audit_log, whose cycle_id is not a foreign key.
export const cycles = sqliteTable(
  "cycles",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    startedAt: integer("started_at").notNull().default(now),
    endedAt: integer("ended_at"),
    mode: text({ enum: ["trade", "scan"] }).notNull(),
    dryRun: integer("dry_run", { mode: "boolean" }).notNull(),
    status: text().notNull().default("running"),
    ordersPlaced: integer("orders_placed").notNull().default(0),
    error: text(),
  },
  (t) => [index("cycles_started").on(t.startedAt)],
);

export const orders = sqliteTable(
  "orders",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    clientOrderId: text("client_order_id").notNull(),
    orderId: text("order_id"),
    paper: integer({ mode: "boolean" }).notNull(),
    origin: text({ enum: ["bot", "external"] })
      .notNull()
      .default("bot"),
    ticker: text().notNull(),
    eventTicker: text("event_ticker"),
    side: text({ enum: ["bid", "ask"] }).notNull(),
    price: integer().notNull(),
    count: integer().notNull(),
    filledCount: integer("filled_count").notNull().default(0),
    remainingCount: integer("remaining_count").notNull().default(0),
    timeInForce: text("time_in_force").notNull(),
    postOnly: integer("post_only", { mode: "boolean" }).notNull().default(false),
    reduceOnly: integer("reduce_only", { mode: "boolean" }).notNull().default(false),
    status: text({ enum: LEDGER_ORDER_STATUSES }).notNull(),
    strategy: text(),
    reason: text(),
    orderGroupId: text("order_group_id"),
    /** Orders sent as one set (arbitrage legs) share it; a broken set is found by it. */
    groupKey: text("group_key"),
    cycleId: integer("cycle_id").references(() => cycles.id),
    error: text(),
    createdAt: integer("created_at").notNull().default(now),
    updatedAt: integer("updated_at").notNull().default(now),
    /** Kalshi's expiration_time sent with the order, in exchange-clock ms (null: good till canceled). */
    expiresAt: integer("expires_at"),
    /** An amend whose outcome is unknown: the client_order_id it asked for (the order is looked up by it first). */
    amendClientOrderId: text("amend_client_order_id"),
    /** Paper: exchange ms of the market's newest print when the order began resting at its price; only later prints fill it. */
    paperSinceMs: integer("paper_since_ms"),
  },
  (t) => [
    uniqueIndex("orders_client_order_id").on(t.clientOrderId),
    index("orders_status").on(t.paper, t.status),
    index("orders_ticker").on(t.ticker),
    // The risk gate's orders-per-minute window reads recent rows at every decision.
    index("orders_created").on(t.paper, t.createdAt),
    index("orders_cycle").on(t.cycleId),
  ],
);

export const orderEvents = sqliteTable(
  "order_events",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    orderRowId: integer("order_row_id")
      .notNull()
      .references(() => orders.id),
    status: text().notNull(),
    detail: text(),
    at: integer().notNull().default(now),
  },
  (t) => [index("order_events_order").on(t.orderRowId), index("order_events_at").on(t.at)],
);

export const fills = sqliteTable(
  "fills",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    fillId: text("fill_id").notNull(),
    paper: integer({ mode: "boolean" }).notNull(),
    orderId: text("order_id"),
    clientOrderId: text("client_order_id"),
    ticker: text().notNull(),
    side: text({ enum: ["bid", "ask"] }).notNull(),
    price: integer().notNull(),
    count: integer().notNull(),
    feeMicros: integer("fee_micros").notNull(),
    isTaker: integer("is_taker", { mode: "boolean" }).notNull(),
    /** What the fill did to the account's cash (purchase, fee, pair redemption), so the ledger's
     * cash is an exact sum and can be compared with the exchange's balance to the micro. */
    cashDeltaMicros: integer("cash_delta_micros").notNull().default(0),
    createdAt: integer("created_at").notNull().default(now),
  },
  // fills_created: the burst cap's rolling window of matched contracts, read before every send.
  (t) => [
    uniqueIndex("fills_fill_id").on(t.paper, t.fillId),
    index("fills_ticker").on(t.ticker),
    index("fills_created").on(t.paper, t.createdAt),
  ],
);

export const positions = sqliteTable(
  "positions",
  {
    paper: integer({ mode: "boolean" }).notNull(),
    ticker: text().notNull(),
    eventTicker: text("event_ticker"),
    position: integer().notNull().default(0),
    costMicros: integer("cost_micros").notNull().default(0),
    realizedPnlMicros: integer("realized_pnl_micros").notNull().default(0),
    feesMicros: integer("fees_micros").notNull().default(0),
    updatedAt: integer("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.paper, t.ticker] })],
);

export const balanceSnapshots = sqliteTable(
  "balance_snapshots",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    paper: integer({ mode: "boolean" }).notNull(),
    cycleId: integer("cycle_id").references(() => cycles.id),
    cashMicros: integer("cash_micros").notNull(),
    portfolioValueMicros: integer("portfolio_value_micros").notNull(),
    at: integer().notNull().default(now),
  },
  (t) => [index("balance_snapshots_at").on(t.at), index("balance_snapshots_cycle").on(t.cycleId)],
);

export const settlements = sqliteTable(
  "settlements",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    paper: integer({ mode: "boolean" }).notNull(),
    ticker: text().notNull(),
    eventTicker: text("event_ticker"),
    result: text().notNull(),
    yesCount: integer("yes_count").notNull(),
    noCount: integer("no_count").notNull(),
    revenueCents: integer("revenue_cents").notNull(),
    feeMicros: integer("fee_micros").notNull().default(0),
    settledTime: text("settled_time"),
  },
  (t) => [uniqueIndex("settlements_ticker").on(t.paper, t.ticker)],
);

export const marketSnapshots = sqliteTable(
  "market_snapshots",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    cycleId: integer("cycle_id").references(() => cycles.id),
    ticker: text().notNull(),
    yesBid: integer("yes_bid"),
    yesAsk: integer("yes_ask"),
    lastPrice: integer("last_price"),
    volume: integer(),
    at: integer().notNull().default(now),
  },
  (t) => [
    index("market_snapshots_ticker").on(t.ticker, t.at),
    index("market_snapshots_at").on(t.at),
    index("market_snapshots_cycle").on(t.cycleId),
  ],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    at: integer().notNull().default(now),
    cycleId: integer("cycle_id"),
    kind: text().notNull(),
    ticker: text(),
    strategy: text(),
    message: text().notNull(),
    data: text({ mode: "json" }),
  },
  (t) => [index("audit_log_at").on(t.at), index("audit_log_cycle").on(t.cycleId)],
);

/** Arbitrage sets (orders sharing a group_key) found whole: the repair does not look at them again. */
export const arbSetsDone = sqliteTable(
  "arb_sets_done",
  {
    paper: integer({ mode: "boolean" }).notNull(),
    groupKey: text("group_key").notNull(),
    at: integer().notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.paper, t.groupKey] })],
);

export const riskState = sqliteTable("risk_state", {
  paper: integer({ mode: "boolean" }).primaryKey(),
  state: text({ enum: ["active", "reducing", "halted"] })
    .notNull()
    .default("active"),
  reason: text(),
  since: integer().notNull().default(now),
  highWaterMicros: integer("high_water_micros"),
  day: text(),
  dayStartEquityMicros: integer("day_start_equity_micros"),
});
