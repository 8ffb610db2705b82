// The ledger's order writes on bun:sqlite's own statements and transactions (ledger.ts `tx`,
// updateOrder): every patched column lands in its column with its event row; a write that fails
// part-way leaves nothing of its transaction, alone or nested in another (a savepoint), and the
// file read afresh by another connection says the same.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/db/open.ts";
import { Ledger, type NewOrder } from "../../src/engine/ledger.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function fresh(): { ledger: Ledger; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "kbot-ledger-writes-"));
  dirs.push(dir);
  const file = join(dir, "k.sqlite");
  return { ledger: new Ledger(openDb(file), false), file };
}

const order = (clientOrderId: string, ticker = "A"): NewOrder => ({
  clientOrderId,
  ticker,
  eventTicker: "EV",
  side: "bid",
  price: 4000,
  count: 100,
  timeInForce: "good_till_canceled",
  postOnly: true,
  reduceOnly: false,
  strategy: "market_maker",
  reason: "t",
  orderGroupId: null,
  groupKey: null,
  cycleId: null,
});

function fromFile(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.query(sql).all();
  } finally {
    db.close();
  }
}

describe("ledger order writes", () => {
  test("updateOrder writes each patched column, and only those, with its event", () => {
    const { ledger, file } = fresh();
    const [row] = ledger.insertPending([order("c-1")]);
    ledger.updateOrder(
      row!.id,
      {
        status: "unknown",
        orderId: "o-1",
        filledCount: 30,
        remainingCount: 170,
        price: 4100,
        count: 200,
        error: "e",
        clientOrderId: "c-1b",
        amendClientOrderId: "c-1c",
      },
      "every column",
    );
    const after = ledger.orderByOrderId("o-1")!;
    expect(after).toMatchObject({
      status: "unknown",
      filledCount: 30,
      remainingCount: 170,
      price: 4100,
      count: 200,
      error: "e",
      clientOrderId: "c-1b",
      amendClientOrderId: "c-1c",
      ticker: "A",
      side: "bid",
      postOnly: true,
    });
    expect(after.updatedAt).toBeGreaterThanOrEqual(row!.updatedAt);
    ledger.updateOrder(row!.id, { status: "resting" }, "one column");
    expect(ledger.orderByOrderId("o-1")).toMatchObject({ status: "resting", price: 4100, clientOrderId: "c-1b", error: "e" });
    expect(fromFile(file, `select status, detail from order_events where order_row_id = ${row!.id} order by id`)).toEqual([
      { status: "pending", detail: "t" },
      { status: "unknown", detail: "every column" },
      { status: "resting", detail: "one column" },
    ]);
  });

  test("a batch that fails part-way leaves none of its rows, alone or inside another transaction", () => {
    const { ledger, file } = fresh();
    ledger.insertPending([order("c-1")]);
    // The second row repeats a client_order_id: the unique index refuses it, the first goes too.
    expect(() => ledger.insertPending([order("c-2"), order("c-1")])).toThrow();
    expect(ledger.orderByClientId("c-2")).toBeUndefined();
    expect(ledger.db.$client.inTransaction).toBe(false);

    // Nested: the inner batch rolls back to its savepoint, the outer transaction keeps its own write.
    ledger.db.$client.transaction(() => {
      ledger.insertPending([order("c-3")]);
      expect(() => ledger.insertPending([order("c-4"), order("c-3")])).toThrow();
      expect(ledger.db.$client.inTransaction).toBe(true);
    })();
    expect(ledger.orderByClientId("c-3")).toBeDefined();
    expect(ledger.orderByClientId("c-4")).toBeUndefined();

    // An event row for an order that does not exist breaks the foreign key: the update goes too.
    const [row] = ledger.insertPending([order("c-5")]);
    ledger.db.$client.run("pragma foreign_keys = on");
    expect(() => ledger.updateOrder(row!.id + 1_000, { status: "canceled" }, "no such order")).toThrow();
    expect(fromFile(file, "select client_order_id as c from orders order by id")).toEqual([{ c: "c-1" }, { c: "c-3" }, { c: "c-5" }]);
    expect(fromFile(file, "select count(*) as n from order_events")).toEqual([{ n: 3 }]);
  });
});
