import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import * as W from "../../src/kalshi/wire/index.ts";
import { errorFromResponse } from "../../src/kalshi/errors.ts";
import { FIXTURES, loadFixtures, responseSchemaFor } from "./fixtures.ts";

const fixtures = loadFixtures().filter((f) => f.name !== "session__manifest");

describe("every recorded fixture parses with its endpoint's schema", () => {
  test("the fixture set is there (guards against a silently empty walk)", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(55);
  });
  for (const f of fixtures.filter((f) => f.status < 300)) {
    test(`${f.name}: ${f.method} ${f.path.split("?")[0]}`, () => {
      const schema = responseSchemaFor(f.method, f.path);
      expect(schema).not.toBeNull();
      const r = schema!.safeParse(f.body);
      if (!r.success) throw new Error(JSON.stringify(r.error.issues.slice(0, 3)));
      // Encoding the parsed value gives back Kalshi's strings for every money field we decoded.
      const back = z.encode(schema! as z.ZodType, r.data);
      expect(back).toEqual(f.body as never);
    });
  }
});

describe("every fixture error body becomes the right typed error", () => {
  const expected: Record<string, { status: number; code: string; outcome: "rejected" | "unknown"; details?: string }> = {
    auth__bad_signature: { status: 401, code: "authentication_error", outcome: "rejected", details: "INCORRECT_API_KEY_SIGNATURE" },
    auth__unknown_key_id: { status: 401, code: "authentication_error", outcome: "rejected", details: "NOT_FOUND" },
    auth__missing_signature_header: { status: 401, code: "signature_is_missing_from_headers", outcome: "rejected" },
    auth__skew_minus30s: { status: 401, code: "header_timestamp_expired", outcome: "rejected" },
    auth__skew_minus5min: { status: 401, code: "header_timestamp_expired", outcome: "rejected" },
    auth__skew_plus5min: { status: 401, code: "header_timestamp_expired", outcome: "rejected" },
    cleanup__leftover_0: { status: 404, code: "not_found", outcome: "rejected" },
    cleanup__leftover_1: { status: 404, code: "not_found", outcome: "rejected" },
    cleanup__leftover_2: { status: 404, code: "not_found", outcome: "rejected" },
    markets__limit_over_max: { status: 400, code: "parameter_validation_failed", outcome: "rejected" },
    orders__cancel_already_canceled: { status: 404, code: "not_found", outcome: "rejected" },
    orders__cancel_executed: { status: 404, code: "not_found", outcome: "rejected" },
    orders__cancel_unknown_id: { status: 404, code: "not_found", outcome: "rejected" },
    orders__duplicate_client_order_id: { status: 409, code: "order_already_exists", outcome: "rejected" },
    orders__reuse_canceled_client_id: { status: 409, code: "order_already_exists", outcome: "rejected" },
    orders__insufficient_balance: { status: 400, code: "insufficient_balance", outcome: "rejected" },
    orders__invalid_price_structure: { status: 400, code: "invalid_price", outcome: "rejected" },
    orders__post_only_cross: { status: 400, code: "invalid_order", outcome: "rejected", details: "post only cross" },
    orders__numeric_field_types: { status: 400, code: "bad_request", outcome: "rejected" },
  };
  const errorFixtures = fixtures.filter((f) => f.status >= 400);
  test("all error fixtures are covered by the table", () => {
    expect(errorFixtures.map((f) => f.name).sort()).toEqual(Object.keys(expected).sort());
  });
  for (const f of errorFixtures) {
    test(f.name, () => {
      expect(W.ErrorBody.safeParse(f.body).success).toBe(true);
      const e = errorFromResponse(f.status, JSON.stringify(f.body), { method: f.method, endpoint: f.path.split("?")[0]! });
      const want = expected[f.name]!;
      expect(e.status).toBe(want.status);
      expect(e.code).toBe(want.code);
      expect(e.outcome).toBe(want.outcome);
      if (want.details) expect(e.details).toBe(want.details);
      expect(e.endpoint).not.toContain("?");
    });
  }
  test("the 429 shape {error: string}", () => {
    const e = errorFromResponse(429, '{"error":"too many requests"}', { method: "GET", endpoint: "/markets" });
    expect([e.kind, e.code, e.outcome, e.retryable]).toEqual(["rate_limited", "too_many_requests", "rejected", true]);
  });
  test("5xx and 408 leave the outcome unknown", () => {
    expect(errorFromResponse(503, "", { method: "POST", endpoint: "/x" }).outcome).toBe("unknown");
    expect(errorFromResponse(500, "<html>oops</html>", { method: "POST", endpoint: "/x" }).outcome).toBe("unknown");
    expect(errorFromResponse(408, "{}", { method: "POST", endpoint: "/x" }).outcome).toBe("unknown");
  });
});

describe("money decodes to exact integers", () => {
  const read = (n: string) => JSON.parse(readFileSync(join(FIXTURES, `${n}.json`), "utf8"));
  test("market prices, sizes, grid", () => {
    const m = W.GetMarketResponse.parse(read("markets__single")).market;
    expect([m.yes_bid_dollars, m.yes_ask_dollars, m.no_bid_dollars, m.no_ask_dollars]).toEqual([4700, 5200, 4800, 5300]);
    expect([m.yes_bid_size_fp, m.volume_fp, m.open_interest_fp]).toEqual([300, 200, 200]);
    expect(m.price_ranges).toEqual([{ start: 0, end: 10000, step: 100 }]);
  });
  test("fees and costs in micros, balance in cents", () => {
    const fills = W.GetFillsResponse.parse(read("fills__after_taker")).fills;
    expect(fills.map((f) => f.fee_cost)).toEqual([17500, 700, 700]);
    const b = W.GetBalanceResponse.parse(read("auth__balance_ok"));
    expect([b.balance, b.balance_dollars, b.portfolio_value]).toEqual([9801, 98_018_600, 198]);
    const taker = W.CreateOrderV2Response.parse(read("orders__create_v2_taker_ioc"));
    expect([taker.fill_count, taker.remaining_count, taker.average_fill_price, taker.average_fee_paid]).toEqual([100, 0, 520_000, 17_500]);
    const pos = W.GetPositionsResponse.parse(read("portfolio__positions"));
    expect(pos.market_positions[0]!.position_fp).toBe(300);
    expect(pos.market_positions[0]!.market_exposure_dollars).toBe(2_500_000);
  });
});

describe("schemas reject what they must", () => {
  const good = {
    ticker: "T",
    side: "bid",
    price: "0.5200",
    count: "1.00",
    time_in_force: "good_till_canceled",
    self_trade_prevention_type: "taker_at_cross",
  };
  test("the recorded numeric-field request is rejected (count and price as JSON numbers)", () => {
    const meta = JSON.parse(readFileSync(join(FIXTURES, "orders__numeric_field_types.meta.json"), "utf8"));
    const r = W.CreateOrderV2Request.safeParse(meta.request_body);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["count", "price"]));
  });
  test("every recorded V2 create request body that Kalshi accepted parses", () => {
    const accepted = fixtures.filter((f) => f.method === "POST" && f.path === "/trade-api/v2/portfolio/events/orders" && f.status === 201);
    expect(accepted.length).toBeGreaterThan(2);
    for (const f of accepted) {
      const meta = JSON.parse(readFileSync(join(FIXTURES, `${f.name}.meta.json`), "utf8"));
      const r = W.CreateOrderV2Request.safeParse(meta.request_body);
      if (!r.success) throw new Error(`${f.name}: ${JSON.stringify(r.error.issues)}`);
    }
  });
  test("required fields, enums and formats", () => {
    expect(W.CreateOrderV2Request.safeParse(good).success).toBe(true);
    for (const k of ["ticker", "side", "price", "count", "time_in_force", "self_trade_prevention_type"]) {
      const bad = { ...good } as Record<string, unknown>;
      delete bad[k];
      expect(W.CreateOrderV2Request.safeParse(bad).success).toBe(false);
    }
    expect(W.CreateOrderV2Request.safeParse({ ...good, side: "yes" }).success).toBe(false);
    expect(W.CreateOrderV2Request.safeParse({ ...good, time_in_force: "gtt" }).success).toBe(false);
    expect(W.CreateOrderV2Request.safeParse({ ...good, price: "0.52001" }).success).toBe(false);
    expect(W.CreateOrderV2Request.safeParse({ ...good, price: "1.0000" }).success).toBe(false);
    expect(W.CreateOrderV2Request.safeParse({ ...good, count: "0.00" }).success).toBe(false);
    expect(W.CreateOrderV2Request.safeParse({ ...good, count: "1.001" }).success).toBe(false);
  });
  test("batch, amend, decrease, order group, batch cancel reject numbers where strings are due", () => {
    expect(W.BatchCreateOrdersV2Request.safeParse({ orders: [{ ...good, count: 1 }] }).success).toBe(false);
    expect(W.BatchCreateOrdersV2Request.safeParse({ orders: [] }).success).toBe(false);
    expect(W.AmendOrderV2Request.safeParse({ ticker: "T", side: "ask", price: 0.5, count: "2.00" }).success).toBe(false);
    expect(W.AmendOrderV2Request.safeParse({ ticker: "T", side: "ask", price: "0.50", count: "2.00" }).success).toBe(true);
    expect(W.DecreaseOrderV2Request.safeParse({ reduce_by: 1 }).success).toBe(false);
    expect(W.DecreaseOrderV2Request.safeParse({ reduce_by: "1.00", reduce_to: "2.00" }).success).toBe(false);
    expect(W.DecreaseOrderV2Request.safeParse({ reduce_to: "2" }).success).toBe(true);
    expect(W.CreateOrderGroupRequest.safeParse({ contracts_limit_fp: 10 }).success).toBe(false);
    expect(W.CreateOrderGroupRequest.safeParse({ contracts_limit_fp: "10.00" }).success).toBe(true);
    expect(W.CreateOrderGroupRequest.safeParse({}).success).toBe(false);
    expect(W.BatchCancelOrdersV2Request.safeParse({ orders: [{ order_id: 5 }] }).success).toBe(false);
  });
  test("responses: unknown fields pass, missing or malformed required ones fail with the field path", () => {
    const m = JSON.parse(readFileSync(join(FIXTURES, "markets__single.json"), "utf8")).market;
    expect(W.Market.safeParse({ ...m, brand_new_field: { x: 1 } }).success).toBe(true);
    const { yes_bid_dollars: _, ...missing } = m;
    const r1 = W.Market.safeParse(missing);
    expect(r1.error?.issues[0]?.path).toEqual(["yes_bid_dollars"]);
    const r2 = W.Market.safeParse({ ...m, volume_fp: 2 });
    expect(r2.error?.issues[0]?.path).toEqual(["volume_fp"]);
    const r3 = W.Market.safeParse({ ...m, yes_ask_dollars: "0.52abc" });
    expect(r3.error?.issues[0]?.path).toEqual(["yes_ask_dollars"]);
    // Legacy integer cents instead of dollars strings: exactly the 2026 breakage.
    const r4 = W.Market.safeParse({ ...m, last_price_dollars: 52 });
    expect(r4.success).toBe(false);
  });
  test("encode writes Kalshi's formats from integers", () => {
    const wire = z.encode(W.CreateOrderV2Request, {
      ticker: "T",
      side: "ask",
      price: 5,
      count: 1234,
      time_in_force: "immediate_or_cancel",
      self_trade_prevention_type: "maker",
    });
    expect(wire.price).toBe("0.0005");
    expect(wire.count).toBe("12.34");
  });
});

describe("WebSocket fixtures", () => {
  for (const name of ["ws__orderbook_trade_yes", "ws__orderbook_trade_noleg"]) {
    test(`${name}: every frame parses`, () => {
      const lines = readFileSync(join(FIXTURES, `${name}.jsonl`), "utf8")
        .split("\n")
        .filter((l) => l.trim());
      expect(lines.length).toBeGreaterThan(3);
      for (const l of lines) {
        const r = W.WsMessage.safeParse(JSON.parse(l));
        if (!r.success) throw new Error(`${l}\n${JSON.stringify(r.error.issues)}`);
      }
    });
  }
});
