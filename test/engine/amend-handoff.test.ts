// An amend alone (the narrow requote path's usual send) goes from OrderManager.execute to fetch in
// the caller's own turn: no promise turn for the empty list of cancels before it, nor for a rate
// limit that makes nothing wait (issue 14 goal 2: book update → order request). Real parts: a
// SQLite ledger file, the live transport and client, an HTTP server on 127.0.0.1.
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { riskSchema } from "../../src/config/risk-schema.ts";
import { openDb } from "../../src/db/open.ts";
import { Ledger } from "../../src/engine/ledger.ts";
import { LiveTransport } from "../../src/engine/live-transport.ts";
import { OrderManager } from "../../src/engine/order-manager.ts";
import { emptyRiskSnapshot, resolveRiskLimits } from "../../src/engine/risk.ts";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { COUNT_ONE } from "../../src/kalshi/money.ts";
import { cleanup, tempDir } from "../helpers/bin.ts";
import { json, RecordingServer, testKeys } from "../kalshi/helpers.ts";

const server = new RecordingServer(() => json({ order_id: "ex-1", remaining_count: "3.00", fill_count: "0.00", ts_ms: 2 }));
afterAll(() => {
  server.stop();
  cleanup();
});

test("an amend reaches fetch within execute()'s own turn, after its ledger row is committed; the gate's snapshot has it then", async () => {
  const dir = tempDir();
  const file = join(dir, "kalshi.sqlite");
  const ledger = new Ledger(openDb(file), false);
  const [row] = ledger.insertPending([
    {
      clientOrderId: "c-1",
      ticker: "T",
      eventTicker: "E",
      side: "bid",
      price: 4000,
      count: 3 * COUNT_ONE,
      timeInForce: "good_till_canceled",
      postOnly: true,
      reduceOnly: false,
      strategy: "market_maker",
      reason: "test",
      orderGroupId: null,
      groupKey: null,
      cycleId: null,
    },
  ]);
  ledger.updateOrder(row!.id, { status: "resting", orderId: "ex-1" }, "accepted");
  const client = new KalshiClient({ baseUrl: server.url, apiKeyId: "k", privateKey: testKeys().privateKey });
  const now = Date.now();
  const gate = {
    snapshot: emptyRiskSnapshot(now, {
      cashMicros: 1_000_000_000,
      equityMicros: 1_000_000_000,
      resting: [{ orderId: "ex-1", ticker: "T", eventTicker: "E", side: "bid", price: 4000, remaining: 3 * COUNT_ONE }],
    }),
    limits: resolveRiskLimits(riskSchema.parse({})),
  };
  const om = new OrderManager({ ledger, transport: new LiveTransport(client), gate, killSwitchActive: () => false, orderGroupId: null });

  // A time of the row's last change that no write of this test could stamp again.
  ledger.db.$client.run("update orders set updated_at = 1 where id = ?", [row!.id]);

  // At the hand-over, another connection must already see the "amend requested" row (committed),
  // naming the new client_order_id the request carries (what a lookup after a crash needs). The
  // order's row itself is as the exchange last confirmed it: the event alone is written before the
  // request (one insert), the row changes with the answer.
  const reader = new Database(file, { readonly: true });
  let rowsAtHandOff = -1;
  let rowAtHandOff: { price: number; updated_at: number } | null = null;
  let newCid = "";
  client.beforeFetch = () => {
    const events = reader
      .query("select detail from order_events where order_row_id = ? and detail like 'amend requested%'")
      .all(row!.id) as Array<{ detail: string }>;
    rowsAtHandOff = events.length;
    newCid = /new client_order_id (\S+)/.exec(events[0]?.detail ?? "")?.[1] ?? "";
    rowAtHandOff = reader.query("select price, updated_at from orders where id = ?").get(row!.id) as { price: number; updated_at: number };
  };
  const running = om.execute(
    [
      {
        kind: "amend",
        strategy: "market_maker",
        ticker: "T",
        orderId: "ex-1",
        side: "bid",
        price: 4100,
        count: 3 * COUNT_ONE,
        reason: "test",
      },
    ],
    null,
  );
  expect(rowsAtHandOff as number).toBe(1);
  expect(rowAtHandOff as { price: number; updated_at: number } | null).toEqual({ price: 4000, updated_at: 1 });
  expect(gate.snapshot.resting.map((o) => o.price)).toEqual([4100]);
  const sum = await running;
  reader.close();
  expect(sum.decisions.map((d) => d.result)).toEqual(["amended"]);
  expect(server.hits.map((h) => h.url.pathname)).toEqual(["/trade-api/v2/portfolio/events/orders/ex-1/amend"]);
  expect(newCid).not.toBe("");
  expect(JSON.parse(server.hits[0]!.body).updated_client_order_id).toBe(newCid);
  expect(ledger.restingByOrderId("ex-1")?.price).toBe(4100);
});
