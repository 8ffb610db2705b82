// Ledger history retention (`ledger.history_days`), through the compiled binary and real SQLite files:
//   - a ledger made by a first `--once` run gets old and recent rows of every kind, inserted directly;
//     a second `--once` run removes the old history rows (order events of finished orders, audit
//     chatter, balance and market snapshots, cycles nothing references) and nothing else: every
//     order, fill, settlement, position, meta and risk_state row stays, and the book's cash and
//     positions read the same (the SQL of e2e-harness readLedger);
//   - history_days 0 removes nothing; a shorter window (in --mode scan) removes what is older than it;
//   - a bad value is refused with exit 2 and one problem line naming `ledger.history_days`;
//   - the prune's statements are index searches, never a scan of a growing table.
// The money rows are written in the live book while the bot runs dry-run: the embedded exchange is
// new at every start and restarts the paper book (restartBook), which would hide what the prune did.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/db/open.ts";
import { AUDIT_KINDS_KEPT, PRUNE_SQL } from "../../src/engine/ledger.ts";
import { readLedger } from "./e2e-harness.ts";
import { cleanup, ensureBinary, runBin, tempDir, writeConfig } from "../helpers/bin.ts";
import { E2E_START_MS, type PinnedClock, pinChildClock, withoutClockNotice } from "../helpers/calendar.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());
// Every child (the bot, and the exchange it starts or talks to) runs at the pinned calendar date.
let calendar: PinnedClock;
beforeAll(() => {
  calendar = pinChildClock(tempDir("calendar"), E2E_START_MS);
});
afterAll(() => calendar.release());

const ONCE = ["--once", "--skip-setup-wizard", "--non-interactive"];
const DAY = 86_400_000;
const PRUNED_KINDS = [
  "cycle_error",
  "cycle_stopped",
  "out_of_scope",
  "arb_repair",
  "burst_cap",
  "order_group_cap",
  "order_group_reset",
  "cancel_failed",
  "amend_rejected",
];

interface Seeded {
  dir: string;
  db: string;
  /** Ids of seeded rows, by what the prune must do with them at the default 180 days. */
  gone: Record<string, number[]>;
  kept: Record<string, number[]>;
  /** Seeded rows between 30 and 180 days old: kept at 180, removed at 30. */
  mid: Record<string, number[]>;
}

function config(dir: string, ledger?: unknown): void {
  writeConfig(dir, { paths: { lock_file: "bot.lock" }, sim: { markets: 8 }, ...(ledger === undefined ? {} : { ledger }) });
}

/** A ledger created by the binary, then old, middle-aged and recent rows of every kind. */
async function seeded(ledger?: unknown): Promise<Seeded> {
  const dir = tempDir("kbot-retention-");
  config(dir, ledger);
  const first = await runBin(["--mode", "trade", ...ONCE], { cwd: dir, timeoutMs: 60_000 });
  expect(first.code, first.output).toBe(0);
  const path = join(dir, "data", "kalshi.sqlite");
  const db = new Database(path);
  db.run("PRAGMA foreign_keys = ON");
  const now = calendar.now(); // the bot's clock: it prunes by its own today
  const OLD = now - 400 * DAY;
  const MID = now - 100 * DAY;
  const RECENT = now - DAY;
  const gone: Record<string, number[]> = { cycles: [], order_events: [], audit_log: [], balance_snapshots: [], market_snapshots: [] };
  const kept: Record<string, number[]> = {
    cycles: [],
    order_events: [],
    audit_log: [],
    balance_snapshots: [],
    market_snapshots: [],
    orders: [],
    fills: [],
    settlements: [],
  };
  const mid: Record<string, number[]> = { audit_log: [], balance_snapshots: [], order_events: [] };
  const id = (sql: string, ...args: (string | number | null)[]) => Number(db.query(sql).run(...args).lastInsertRowid);
  db.transaction(() => {
    const cycle = (at: number) =>
      id("insert into cycles(started_at, ended_at, mode, dry_run, status) values (?, ?, 'trade', 0, 'active')", at, at + 1000);
    const cFree = cycle(OLD);
    const cOrder = cycle(OLD);
    const cRisk = cycle(OLD);
    const cSnap = cycle(OLD);
    const cRecent = cycle(RECENT);
    gone.cycles!.push(cFree, cSnap);
    kept.cycles!.push(cOrder, cRisk, cRecent);

    // Live-book orders in every state, each with an old and a recent event.
    let n = 0;
    for (const status of ["executed", "canceled", "rejected", "resting", "pending", "unknown"]) {
      const row = id(
        "insert into orders(client_order_id, order_id, paper, origin, ticker, side, price, count, filled_count, remaining_count, time_in_force, status, cycle_id, created_at, updated_at) values (?, ?, 0, 'bot', ?, 'bid', 4000, 500, ?, ?, 'good_till_canceled', ?, ?, ?, ?)",
        `retention-${status}`,
        `ex-${status}`,
        `RET-T${n++}`,
        status === "executed" ? 500 : 0,
        status === "executed" ? 0 : 500,
        status,
        cOrder,
        OLD,
        OLD,
      );
      kept.orders!.push(row);
      const oldEvent = id("insert into order_events(order_row_id, status, detail, at) values (?, ?, 'old', ?)", row, status, OLD);
      (["executed", "canceled", "rejected"].includes(status) ? gone : kept).order_events!.push(oldEvent);
      kept.order_events!.push(
        id("insert into order_events(order_row_id, status, detail, at) values (?, ?, 'recent', ?)", row, status, RECENT),
      );
      if (status === "canceled")
        mid.order_events!.push(id("insert into order_events(order_row_id, status, detail, at) values (?, ?, 'mid', ?)", row, status, MID));
    }
    // Money of the live book: an anchor, two old fills, an old settlement, positions, a risk row.
    kept.fills!.push(
      id(
        "insert into fills(fill_id, paper, order_id, client_order_id, ticker, side, price, count, fee_micros, is_taker, cash_delta_micros, created_at) values ('ret-f1', 0, 'ex-executed', 'retention-executed', 'RET-T0', 'bid', 4000, 300, 21000, 0, -1221000, ?)",
        OLD,
      ),
    );
    kept.fills!.push(
      id(
        "insert into fills(fill_id, paper, order_id, client_order_id, ticker, side, price, count, fee_micros, is_taker, cash_delta_micros, created_at) values ('ret-f2', 0, 'ex-executed', 'retention-executed', 'RET-T0', 'bid', 4000, 200, 14000, 0, -814000, ?)",
        OLD,
      ),
    );
    kept.settlements!.push(
      id(
        "insert into settlements(paper, ticker, event_ticker, result, yes_count, no_count, revenue_cents, fee_micros, settled_time) values (0, 'RET-S', 'RET-E', 'yes', 300, 0, 300, 0, ?)",
        new Date(OLD).toISOString(),
      ),
    );
    db.run(
      "insert or replace into positions(paper, ticker, position, cost_micros, realized_pnl_micros, fees_micros, updated_at) values (0, 'RET-T0', 500, 2000000, 0, 35000, ?), (0, 'RET-S', 0, 0, 1800000, 0, ?)",
      [OLD, OLD],
    );
    for (const [k, v] of [
      ["live.cash_anchor_micros", "500000000"],
      ["live.cash_anchor_fill_row", "0"],
      ["live.cash_anchor_settlement_row", "0"],
      ["live.cash_adjust_micros", "-70000"],
    ]) {
      db.run("insert or replace into meta(key, value) values (?, ?)", [k!, v!]);
    }
    db.run("insert or replace into risk_state(paper, state, reason, since) values (0, 'reducing', 'seeded', ?)", [OLD]);

    // Audit rows: every kind old (kept kinds stay), chatter also recent and middle-aged.
    for (const kind of AUDIT_KINDS_KEPT)
      kept.audit_log!.push(
        id(
          "insert into audit_log(at, cycle_id, kind, message) values (?, ?, ?, 'old, kept')",
          OLD,
          kind === "risk_state" ? cRisk : null,
          kind,
        ),
      );
    for (const kind of PRUNED_KINDS)
      gone.audit_log!.push(id("insert into audit_log(at, cycle_id, kind, message) values (?, null, ?, 'old chatter')", OLD, kind));
    kept.audit_log!.push(
      id("insert into audit_log(at, cycle_id, kind, message) values (?, ?, 'cycle_error', 'recent chatter')", RECENT, cRecent),
    );
    mid.audit_log!.push(id("insert into audit_log(at, kind, message) values (?, 'out_of_scope', 'mid chatter')", MID));

    gone.balance_snapshots!.push(
      id("insert into balance_snapshots(paper, cycle_id, cash_micros, portfolio_value_micros, at) values (0, ?, 1, 1, ?)", cSnap, OLD),
    );
    gone.balance_snapshots!.push(
      id("insert into balance_snapshots(paper, cycle_id, cash_micros, portfolio_value_micros, at) values (1, null, 1, 1, ?)", OLD),
    );
    kept.balance_snapshots!.push(
      id("insert into balance_snapshots(paper, cycle_id, cash_micros, portfolio_value_micros, at) values (0, ?, 1, 1, ?)", cRecent, RECENT),
    );
    mid.balance_snapshots!.push(
      id("insert into balance_snapshots(paper, cycle_id, cash_micros, portfolio_value_micros, at) values (0, null, 1, 1, ?)", MID),
    );
    gone.market_snapshots!.push(
      id("insert into market_snapshots(cycle_id, ticker, yes_bid, yes_ask, at) values (?, 'RET-T0', 4000, 4200, ?)", cFree, OLD),
    );
    kept.market_snapshots!.push(
      id("insert into market_snapshots(cycle_id, ticker, yes_bid, yes_ask, at) values (?, 'RET-T0', 4000, 4200, ?)", cRecent, RECENT),
    );
  })();
  db.close();
  return { dir, db: path, gone, kept, mid };
}

/** Everything the prune must never change, read the same way before and after. */
function moneyState(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    const all = (q: string) => db.query(q).all();
    return {
      live: readLedger(path, false),
      orderIds: all("select id, client_order_id from orders order by id"),
      liveOrders: all("select * from orders where paper = 0 order by id"),
      fills: all("select * from fills order by id"),
      liveSettlements: all("select * from settlements where paper = 0 order by id"),
      livePositions: all("select * from positions where paper = 0 order by ticker"),
      liveMeta: all("select * from meta where key like 'live.%' order by key"),
      liveRisk: all("select * from risk_state where paper = 0"),
    };
  } finally {
    db.close();
  }
}

function present(path: string, table: string, ids: number[]): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return ids.filter((i) => db.query(`select 1 from ${table} where id = ?`).get(i) !== null);
  } finally {
    db.close();
  }
}

/** Ids of every row of a history table, to show the run's own rows survive. */
function ids(path: string, table: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.query(`select id from ${table} order by id`).all() as { id: number }[]).map((r) => r.id);
  } finally {
    db.close();
  }
}

const HISTORY = ["cycles", "order_events", "audit_log", "balance_snapshots", "market_snapshots"];

describe("ledger.history_days", () => {
  test("default (180 days): old history goes, recent history and every order, fill and settlement stay, cash and positions unchanged", async () => {
    const s = await seeded();
    const before = moneyState(s.db);
    expect(before.live.cashMicros).toBe(500_000_000 - 1_221_000 - 814_000 + 3_000_000 - 70_000);
    expect(before.live.positions).toEqual(new Map([["RET-T0", 500]]));
    const othersBefore = Object.fromEntries(HISTORY.map((t) => [t, ids(s.db, t)]));

    const r = await runBin(["--mode", "trade", ...ONCE], { cwd: s.dir, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(0);
    const lines = r.output.split("\n").filter((l) => l.includes("removed history"));
    expect(lines, r.output).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `ledger: removed history older than 180 days: 3 order events, ${PRUNED_KINDS.length} audit rows, 2 balance snapshots, 1 market snapshots, 2 cycles \\(\\d+ ms\\); orders, fills and settlements are kept`,
      ),
    );

    for (const [table, gone] of Object.entries(s.gone)) expect(present(s.db, table, gone), table).toEqual([]);
    for (const [table, kept] of Object.entries(s.kept)) expect(present(s.db, table, kept), table).toEqual(kept);
    for (const [table, mid] of Object.entries(s.mid)) expect(present(s.db, table, mid), table).toEqual(mid);
    // The first run's own rows (all recent) are untouched.
    for (const t of HISTORY) {
      const after = new Set(ids(s.db, t));
      const lost = othersBefore[t]!.filter((i) => !after.has(i) && !s.gone[t]!.includes(i));
      expect(lost, t).toEqual([]);
    }

    const after = moneyState(s.db);
    expect(after.live).toEqual(before.live);
    expect(after.orderIds.slice(0, before.orderIds.length)).toEqual(before.orderIds);
    expect(after.liveOrders).toEqual(before.liveOrders);
    expect(after.fills.slice(0, before.fills.length)).toEqual(before.fills);
    expect(after.liveSettlements).toEqual(before.liveSettlements);
    expect(after.livePositions).toEqual(before.livePositions);
    expect(after.liveMeta).toEqual(before.liveMeta);
    expect(after.liveRisk).toEqual(before.liveRisk);

    const db = new Database(s.db, { readonly: true });
    try {
      expect(db.query("pragma foreign_key_check").all()).toEqual([]);
      expect(db.query("pragma integrity_check").get()).toEqual({ integrity_check: "ok" });
    } finally {
      db.close();
    }
  }, 120_000);

  test("history_days 0 keeps everything", async () => {
    const s = await seeded({ history_days: 0 });
    const before = Object.fromEntries(HISTORY.map((t) => [t, ids(s.db, t)]));
    const money = moneyState(s.db);
    const r = await runBin(["--mode", "trade", ...ONCE], { cwd: s.dir, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain("removed history");
    for (const t of HISTORY) expect(present(s.db, t, before[t]!), t).toEqual(before[t]!);
    expect(moneyState(s.db).live).toEqual(money.live);
  }, 120_000);

  test("a 30-day window in --mode scan also removes what is 100 days old, and nothing that counts money", async () => {
    const s = await seeded({ history_days: 30 });
    const money = moneyState(s.db);
    const r = await runBin(["--mode", "scan", ...ONCE], { cwd: s.dir, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/ledger: removed history older than 30 days: 4 order events, /);
    for (const [table, mid] of Object.entries(s.mid)) expect(present(s.db, table, mid), table).toEqual([]);
    for (const [table, gone] of Object.entries(s.gone)) expect(present(s.db, table, gone), table).toEqual([]);
    for (const t of ["orders", "fills", "settlements"]) expect(present(s.db, t, s.kept[t]!), t).toEqual(s.kept[t]!);
    const after = moneyState(s.db);
    expect(after.live).toEqual(money.live);
    expect(after.livePositions).toEqual(money.livePositions);
  }, 120_000);
});

describe("ledger.history_days validation", () => {
  test.each([[-1], [1.5], ["180"], [100_000], [null]])(
    "%p → exit 2, one problem line naming ledger.history_days, nothing created",
    async (value) => {
      const d = tempDir("kbot-retention-cfg-");
      config(d, { history_days: value });
      const r = await runBin(["--mode", "trade", ...ONCE], { cwd: d });
      expect(r.code, r.output).toBe(2);
      expect(r.output).not.toMatch(/\n\s+at .+:\d+/);
      const lines = withoutClockNotice(r.stderr).trim().split("\n");
      expect(lines, r.stderr).toHaveLength(2);
      expect(lines[0]).toMatch(/advanced_config\.json is invalid \(1 problem\); fix these keys:/);
      expect(lines[1]).toMatch(
        /ledger\.history_days: expected (a whole number of days, e\.g\. 180 \(0 keeps history forever\)|0 \(keep history forever\) or a number of days from 1 to 36500)$/,
      );
      expect(existsSync(join(d, "data"))).toBe(false);
    },
  );

  test("the default is 180 and the JSON Schema documents the key", async () => {
    const d = tempDir("kbot-retention-cfg-");
    config(d);
    const show = await runBin(["config", "show"], { cwd: d });
    expect(show.code, show.output).toBe(0);
    expect(JSON.parse(show.stdout).ledger).toEqual({ history_days: 180 });
    const schema = await runBin(["config", "schema"], { cwd: d });
    const prop = JSON.parse(schema.stdout).properties.ledger.properties.history_days;
    expect(prop).toMatchObject({ type: "integer", minimum: 0, maximum: 36_500, default: 180 });
  });
});

describe("the prune's query plans", () => {
  test("every statement searches an index; none scans a table that grows", () => {
    const dir = tempDir("kbot-retention-plan-");
    const db = openDb(join(dir, "k.sqlite"));
    try {
      for (const [name, q] of Object.entries(PRUNE_SQL)) {
        const plan = (db.$client.query(`explain query plan ${q}`).all(0) as { detail: string }[]).map((r) => r.detail);
        expect(
          plan.filter((d) => /^SCAN /.test(d)),
          `${name}: ${plan.join(" | ")}`,
        ).toEqual([]);
        expect(
          plan.some((d) => /^SEARCH .* USING (COVERING )?INDEX|INTEGER PRIMARY KEY/.test(d)),
          name,
        ).toBe(true);
      }
    } finally {
      db.$client.close();
    }
  });
});
