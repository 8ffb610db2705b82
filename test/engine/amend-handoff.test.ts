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

  // At the hand-over, another connection must already see the "amend requested" row (committed).
  const reader = new Database(file, { readonly: true });
  let rowsAtHandOff = -1;
  client.beforeFetch = () => {
    rowsAtHandOff = (
      reader.query("select count(*) as n from order_events where order_row_id = ? and detail like 'amend requested%'").get(row!.id) as {
        n: number;
      }
    ).n;
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
  expect(gate.snapshot.resting.map((o) => o.price)).toEqual([4100]);
  const sum = await running;
  reader.close();
  expect(sum.decisions.map((d) => d.result)).toEqual(["amended"]);
  expect(server.hits.map((h) => h.url.pathname)).toEqual(["/trade-api/v2/portfolio/events/orders/ex-1/amend"]);
  expect(ledger.restingByOrderId("ex-1")?.price).toBe(4100);
});
