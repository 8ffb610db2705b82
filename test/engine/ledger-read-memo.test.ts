// The reactive pass's ledger reads, kept until the database changes (ledger/read-memo.ts), and the
// mid history kept in memory (ledger/mid-history.ts): both must answer exactly what a fresh read of
// the SQLite file answers, whichever code path or connection wrote last.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/db/open.ts";
import { Ledger, type NewOrder } from "../../src/engine/ledger.ts";
import { MID_HISTORY_WINDOW_MS, MidHistory } from "../../src/engine/ledger/mid-history.ts";
import { market } from "../strategies/helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function fresh(): { ledger: Ledger; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "kbot-memo-"));
  dirs.push(dir);
  const file = join(dir, "k.sqlite");
  return { ledger: new Ledger(openDb(file), false), file };
}

let n = 0;
const order = (ticker: string, strategy = "market_maker"): NewOrder => ({
  clientOrderId: `c-${++n}`,
  ticker,
  eventTicker: "EV",
  side: "bid",
  price: 4000,
  count: 100,
  timeInForce: "good_till_canceled",
  postOnly: true,
  reduceOnly: false,
  strategy,
  reason: "t",
  orderGroupId: null,
  groupKey: null,
  cycleId: null,
});

describe("ledger reads kept until the next write", () => {
  test("unchanged between writes; every write retires them, through the ledger, raw SQL on its connection, or another connection", () => {
    const { ledger, file } = fresh();
    const [row] = ledger.insertPending([order("A")]);
    expect(ledger.blockedTickers().has("A")).toBe(true);
    const first = ledger.ordersWithStatus(["pending", "unknown"]);
    expect(ledger.ordersWithStatus(["pending", "unknown"])).toBe(first); // no write: the same read
    expect(() => (first as unknown[]).push(1)).toThrow(); // shared between callers: frozen

    ledger.updateOrder(row!.id, { status: "resting", orderId: "o-1" }, "accepted");
    expect(ledger.blockedTickers().size).toBe(0);
    expect(ledger.restingByOrderId("o-1")?.id).toBe(row!.id);
    expect(ledger.ordersWithStatus(["resting"]).map((r) => r.orderId)).toEqual(["o-1"]);

    // Raw SQL on the ledger's own connection: no caller told the memo, the write stamp did.
    ledger.db.$client.run("update orders set status = 'unknown' where id = ?", [row!.id]);
    expect(ledger.restingByOrderId("o-1")).toBeUndefined();
    expect(ledger.blockedTickers().has("A")).toBe(true);

    // Another connection (another process would be the same): data_version moves.
    const other = new Database(file);
    other.run("update orders set status = 'resting' where id = ?", [row!.id]);
    other.close();
    expect(ledger.blockedTickers().size).toBe(0);
    expect(ledger.restingByOrderId("o-1")?.status).toBe("resting");
  });

  test("a value derived from ledger reads (the narrow path's portfolio) is kept until a write, then derived again", () => {
    const { ledger, file } = fresh();
    const [row] = ledger.insertPending([order("A")]);
    ledger.updateOrder(row!.id, { status: "resting", orderId: "o-1" }, "accepted");
    let derivations = 0;
    const resting = () =>
      ledger.derived("resting-tickers", () => {
        derivations++;
        return ledger.ordersWithStatus(["resting"]).map((r) => r.ticker);
      });
    const first = resting();
    expect(first).toEqual(["A"]);
    expect(ledger.readOnly(() => resting())).toBe(first);
    expect(derivations).toBe(1);
    ledger.insertPending([order("B")]);
    expect(resting()).toEqual(["A"]);
    expect(derivations).toBe(2);
    const other = new Database(file);
    other.run("update orders set status = 'resting', order_id = 'o-2' where ticker = 'B'");
    other.close();
    expect(resting()).toEqual(["A", "B"]);
    expect(derivations).toBe(3);
  });

  test("a strategy's inventory and fills follow its fills; a later window is cut from the kept read, an earlier one read again", () => {
    const { ledger } = fresh();
    const fillAt = (ticker: string, tsMs: number) => {
      const [row] = ledger.insertPending([order(ticker)]);
      const id = `o-${row!.id}`;
      ledger.updateOrder(row!.id, { status: "executed", orderId: id, filledCount: 100, remainingCount: 0 }, "filled");
      ledger.recordFill({
        fillId: `f-${row!.id}`,
        orderId: id,
        clientOrderId: row!.clientOrderId,
        ticker,
        eventTicker: "EV",
        side: "bid",
        price: 4000,
        count: 100,
        feeMicros: 0,
        isTaker: false,
        tsMs,
      });
    };
    fillAt("A", 1_000);
    fillAt("A", 2_000);
    expect(ledger.strategyInventory("market_maker", ["A", "B"]).get("A")).toBe(200);
    expect(ledger.strategyFills("market_maker", 0).map((f) => f.tsMs)).toEqual([1_000, 2_000]);
    expect(ledger.strategyFills("market_maker", 1_500).map((f) => f.tsMs)).toEqual([2_000]);
    expect(ledger.strategyFills("market_maker", 0).map((f) => f.tsMs)).toEqual([1_000, 2_000]);
    fillAt("B", 3_000);
    expect(ledger.strategyInventory("market_maker", ["A", "B"]).get("B")).toBe(100);
    expect(ledger.strategyFills("market_maker", 1_500).map((f) => f.tsMs)).toEqual([2_000, 3_000]);
    expect(ledger.strategyFills("other", 0)).toEqual([]);
  });
  test("a read-only section checks for writes around it: another connection's commit before it is seen, one inside it is as if it came just after; a write of its own inside it throws and leaves nothing read in it", () => {
    const { ledger, file } = fresh();
    ledger.insertPending([order("A")]);
    const [blocked, pending] = ledger.readOnly(() => [ledger.blockedTickers(), ledger.ordersWithStatus(["pending", "unknown"])] as const);
    expect(blocked.has("A")).toBe(true);
    expect(pending.map((r) => r.ticker)).toEqual(["A"]);

    const other = new Database(file);
    other.run("update orders set status = 'resting'");
    other.close();
    expect(ledger.readOnly(() => ledger.blockedTickers().size)).toBe(0);

    // A write inside (a bug): the reads in the section may not show it, so it throws, and what they kept is dropped.
    expect(() =>
      ledger.readOnly(() => {
        ledger.blockedTickers();
        ledger.db.$client.run("update orders set status = 'unknown'");
        return ledger.blockedTickers();
      }),
    ).toThrow(/written inside a read-only section/);
    expect(ledger.blockedTickers().has("A")).toBe(true);

    // Another connection's commit inside (another process, at that moment): as if it came just
    // after. The section's reads stand; the next read outside sees the commit.
    const inside = ledger.readOnly(() => {
      const before = ledger.blockedTickers().has("A");
      const o = new Database(file);
      o.run("update orders set status = 'resting'");
      o.close();
      return before && ledger.blockedTickers().has("A");
    });
    expect(inside).toBe(true);
    expect(ledger.blockedTickers().has("A")).toBe(false);
  });
});

describe("mid history kept in memory", () => {
  test("answers what a fresh read of the ledger answers, as time runs on, across the window's edge and a clock stepping back", () => {
    const { ledger } = fresh();
    const kept = ledger.midHistory();
    const T0 = Date.UTC(2026, 10, 24, 14, 0, 0);
    const views = (bid: number) => [market("A", { yesBid: bid, yesAsk: bid + 200 }), market("B", { yesBid: 5000, yesAsk: 5100 })];
    const times: number[] = [];
    // 100 minutes: rows leave the window, and the kept ones older than two windows are let go.
    for (let i = 0; i < 300; i++) times.push(T0 + i * 20_000);
    times.push(T0 + 30 * 60_000); // the exchange clock stepped back 70 minutes: older rows than kept are asked for
    times.push(T0 + 101 * 60_000);
    for (const [i, at] of times.entries()) {
      const got = kept.observe(views(3000 + (i % 7) * 100), at, null, []);
      // A fresh reader sees only the ledger (it writes nothing: each market was written under 5 s ago or now).
      const want = new MidHistory(ledger.db.$client).observe(views(3000 + (i % 7) * 100), at, null, []);
      expect(got).toEqual(want);
      for (const rows of got.values()) for (const [t] of rows) expect(t >= at - MID_HISTORY_WINDOW_MS && t <= at).toBe(true);
    }
    expect(kept.observe(views(3000), times.at(-1)!, null, []).get("A")!.length).toBeGreaterThan(80);
  });

  test("records the market without our resting quotes: the mid of others' quotes, as the market maker prices", () => {
    const { ledger, file } = fresh();
    const mids = ledger.midHistory();
    const T0 = Date.UTC(2026, 10, 24, 14, 0, 0);
    const ours = (ticker: string, side: "bid" | "ask", price: number, remaining: number) => ({
      orderId: `o-${ticker}-${side}`,
      clientOrderId: `c-${ticker}-${side}`,
      ticker,
      side,
      price,
      remaining,
      strategy: "market_maker",
    });
    const views = [
      // Our bid improves the touch; the depth shows what others quote behind it.
      market("A", {
        yesBid: 4100,
        yesBidSize: 200,
        yesAsk: 4500,
        yesAskSize: 1000,
        book: {
          yes: [
            [3900, 500],
            [4100, 200],
          ],
          no: [[5500, 1000]],
        },
      }),
      // Top of book only, our ask shares the top level: the level stays, the mid is the same.
      market("B", { yesBid: 5000, yesBidSize: 1000, yesAsk: 5200, yesAskSize: 900 }),
      // Top of book only and our bid is the whole top level: what is behind it is unknown, no row.
      market("C", { yesBid: 6000, yesBidSize: 300, yesAsk: 6400, yesAskSize: 500 }),
      // Someone else's market-maker quote at the same price as ours in another market does not count.
      market("D", { yesBid: 4100, yesBidSize: 200, yesAsk: 4300, yesAskSize: 100 }),
    ];
    const resting = [ours("A", "bid", 4100, 200), ours("B", "ask", 5200, 100), ours("C", "bid", 6000, 300)];
    const got = mids.observe(views, T0, null, resting);
    expect(got.get("A")).toEqual([[T0, 4200]]); // (3900 + 4500) / 2, not (4100 + 4500) / 2
    expect(got.get("B")).toEqual([[T0, 5100]]);
    expect(got.get("C")).toEqual([]);
    expect(got.get("D")).toEqual([[T0, 4200]]);
    const db = new Database(file, { readonly: true });
    const rows = db.query("select ticker, yes_bid as bid, yes_ask as ask from market_snapshots order by ticker").all();
    db.close();
    expect(rows).toEqual([
      { ticker: "A", bid: 3900, ask: 4500 },
      { ticker: "B", bid: 5000, ask: 5200 },
      { ticker: "D", bid: 4100, ask: 4300 },
    ]);
  });

  test("rows observed to be written later: the same answer at once, in the file only after writeLater", () => {
    const { ledger } = fresh();
    const now = ledger.midHistory();
    const later = ledger.midHistory();
    const T0 = Date.UTC(2026, 10, 24, 14, 0, 0);
    const rowsInFile = () => (ledger.db.$client.query("select count(*) as n from market_snapshots").get() as { n: number }).n;
    const a = now.observe([market("A", { yesBid: 4000, yesAsk: 4200 })], T0, null, []);
    expect(rowsInFile()).toBe(1);
    const b = later.observe([market("B", { yesBid: 4000, yesAsk: 4200 })], T0, null, [], true);
    expect(b.get("B")).toEqual(a.get("A")!);
    expect(rowsInFile()).toBe(1);
    later.writeLater();
    expect(rowsInFile()).toBe(2);
    // Written once: another writeLater adds nothing, and a fresh reader finds the row.
    later.writeLater();
    expect(rowsInFile()).toBe(2);
    expect(new MidHistory(ledger.db.$client).observe([market("B", { yesBid: 4000, yesAsk: 4200 })], T0 + 1, null, []).get("B")).toEqual(
      b.get("B")!,
    );
  });
});
