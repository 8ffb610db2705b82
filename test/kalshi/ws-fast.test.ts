// The fast WebSocket decoder (src/kalshi/wire/ws-fast.ts) must accept and reject exactly what the zod
// WsMessage schema does, with the same output: checked on Kalshi-shaped frames of every hot type and
// on generated mutations of them (missing fields, wrong types, nulls, bad decimal strings, unknown
// keys, another message type). Separately, its fast path must take the ordinary frames itself.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { mutate, nasty, paths, plainDecimal } from "./mutations.ts";
import { WsMessage } from "../../src/kalshi/wire/ws.ts";
import { FAST_WS_TYPES, fastDecodeWsMessage, parseWsFrame } from "../../src/kalshi/wire/ws-fast.ts";

const T = "KXWTACHALLENGERMATCH-26JUN11JIMLEP-LEP";
const ID = "f5ed38e2-0991-4c8f-817e-08c4fd9cbfdb";

/** One frame per message type, with every field the schema knows (AsyncAPI shapes). */
const BASES: Record<string, unknown>[] = [
  {
    type: "orderbook_delta",
    sid: 1,
    seq: 3,
    msg: {
      market_ticker: T,
      market_id: ID,
      price_dollars: "0.5200",
      delta_fp: "-1.00",
      side: "no",
      ts: "2026-06-11T06:29:47.354803Z",
      ts_ms: 1781159387354,
      client_order_id: "c1",
      subaccount: 0,
    },
  },
  {
    type: "orderbook_snapshot",
    id: 4,
    sid: 1,
    seq: 1,
    msg: {
      market_ticker: T,
      market_id: ID,
      yes_dollars_fp: [
        ["0.4700", "3.00"],
        ["0.4600", "10.50"],
      ],
      no_dollars_fp: [["0.5200", "1.00"]],
    },
  },
  {
    type: "ticker",
    sid: 2,
    seq: 7,
    msg: {
      market_ticker: T,
      market_id: ID,
      price_dollars: "0.4800",
      yes_bid_dollars: "0.4700",
      yes_ask_dollars: "0.4800",
      volume_fp: "1200.00",
      open_interest_fp: "800.00",
      dollar_volume: 576,
      dollar_open_interest: 384,
      yes_bid_size_fp: "3.00",
      yes_ask_size_fp: "1.00",
      last_trade_size_fp: "2.00",
      ts: 1781159387,
      ts_ms: 1781159387354,
      time: "2026-06-11T06:29:47Z",
    },
  },
  {
    type: "trade",
    sid: 3,
    seq: 2,
    msg: {
      trade_id: "t-1",
      market_ticker: T,
      yes_price_dollars: "0.4800",
      no_price_dollars: "0.5200",
      count_fp: "2.00",
      taker_side: "yes",
      taker_outcome_side: "yes",
      taker_book_side: "bid",
      is_block_trade: false,
      ts: 1781159387,
      ts_ms: 1781159387354,
    },
  },
  {
    type: "fill",
    sid: 4,
    seq: 9,
    msg: {
      trade_id: "t-1",
      order_id: "o-1",
      client_order_id: "c-1",
      market_ticker: T,
      exchange_index: 0,
      is_taker: true,
      side: "yes",
      yes_price_dollars: "0.4800",
      count_fp: "2.00",
      fee_cost: "0.035000",
      action: "buy",
      ts: 1781159387,
      ts_ms: 1781159387354,
      post_position_fp: "2.00",
      purchased_side: "yes",
      outcome_side: "yes",
      book_side: "bid",
      subaccount: 0,
    },
  },
  {
    type: "user_order",
    sid: 5,
    seq: 1,
    msg: {
      order_id: "o-1",
      user_id: "u-1",
      ticker: T,
      exchange_index: 0,
      status: "resting",
      side: "yes",
      is_yes: true,
      outcome_side: "yes",
      book_side: "bid",
      yes_price_dollars: "0.4700",
      fill_count_fp: "0.00",
      remaining_count_fp: "5.00",
      initial_count_fp: "5.00",
      taker_fill_cost_dollars: "0.000000",
      maker_fill_cost_dollars: "0.000000",
      taker_fees_dollars: "0.000000",
      maker_fees_dollars: "0.000000",
      client_order_id: "c-1",
      order_group_id: null,
      self_trade_prevention_type: "taker_at_cross",
      created_time: "2026-06-11T06:29:47Z",
      created_ts_ms: 1781159387354,
      last_update_time: "2026-06-11T06:29:47Z",
      last_updated_ts_ms: 1781159387354,
      last_update_reason: "created",
      expiration_time: null,
      expiration_ts_ms: null,
      subaccount_number: null,
    },
  },
  {
    type: "market_position",
    sid: 6,
    seq: 1,
    msg: {
      user_id: "u-1",
      market_ticker: T,
      position_fp: "-3.00",
      position_cost_dollars: "1.410000",
      realized_pnl_dollars: "0.000000",
      fees_paid_dollars: "0.070000",
      position_fee_cost_dollars: "0.070000",
      volume_fp: "3.00",
      subaccount: 0,
    },
  },
  {
    type: "market_lifecycle_v2",
    sid: 7,
    seq: 1,
    msg: {
      market_ticker: T,
      event_type: "settled",
      exchange_index: 0,
      open_ts: 1,
      close_ts: 2,
      determination_ts: 3,
      result: "yes",
      settlement_value: "1.0000",
      settled_ts: 4,
      is_deactivated: false,
      additional_metadata: { a: 1 },
      price_level_structure: "linear_cent",
      price_ranges: [],
    },
  },
  { type: "subscribed", id: 1, msg: { channel: "orderbook_delta", sid: 1 } },
  { type: "ok", id: 2, sid: 1, seq: 4, msg: ["x"] },
  { type: "error", id: 3, sid: 1, msg: { code: 6, msg: "Already subscribed", market_ticker: T, market_tickers: [T] } },
  { type: "unsubscribed", id: 5, sid: 1, seq: 9 },
  { type: "event_fee_update", sid: 8, msg: { event_ticker: "E", fee_type_override: null, fee_multiplier_override: 0.5 } },
];

/** parseWsFrame and the fast path against zod, on one frame's text. */
function agree(text: string): void {
  const zod = WsMessage.safeParse(JSON.parse(text));
  const got = parseWsFrame(text);
  expect(got.ok).toBe(zod.success);
  if (got.ok && zod.success) expect(got.message).toStrictEqual(zod.data);
  const fast = fastDecodeWsMessage(JSON.parse(text));
  // Soundness of the fast path by itself: whatever it vouches for, zod accepts with the same output.
  if (fast !== undefined) {
    expect(zod.success).toBe(true);
    if (zod.success) expect(fast).toStrictEqual(zod.data);
  }
}

describe("fast WebSocket decoding agrees with the zod WsMessage schema", () => {
  test("the hot types are on the fast path", () => {
    for (const t of ["orderbook_delta", "orderbook_snapshot", "ticker", "trade", "fill", "user_order"])
      expect(FAST_WS_TYPES.has(t)).toBe(true);
  });

  test("each base frame is valid and taken by the fast path itself, with zod's output", () => {
    for (const base of BASES) {
      const text = JSON.stringify(base);
      expect(WsMessage.safeParse(JSON.parse(text)).success).toBe(true);
      agree(text);
      if (FAST_WS_TYPES.has(base.type as string)) expect(fastDecodeWsMessage(JSON.parse(text))).toBeDefined();
    }
  });

  test("the recorded Kalshi frames decode as zod decodes them", () => {
    const dir = join(import.meta.dir, "../fixtures/kalshi");
    const lines = ["ws__orderbook_trade_yes.jsonl", "ws__orderbook_trade_noleg.jsonl"].flatMap((f) =>
      readFileSync(join(dir, f), "utf8")
        .split("\n")
        .filter((l) => l.trim()),
    );
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const l of lines) {
      agree(l);
      expect(fastDecodeWsMessage(JSON.parse(l))).toBeDefined();
    }
  });

  for (const base of BASES) {
    const all = paths(base);
    test(`mutations of ${base.type}: same accept/reject and output`, () => {
      const mutation = fc.record({
        path: fc.oneof(fc.constantFrom(...all), fc.constantFrom<(string | number)[]>(["extra"], ["msg", "extra_field"])),
        op: fc.constantFrom<"delete" | "set">("delete", "set", "set"),
        value: nasty,
      });
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
          agree(JSON.stringify(mutate(base, muts)));
        }),
        { numRuns: 400, seed: 14 },
      );
    });
  }

  test("money fields in any plain decimal form: same values as zod, and ordinary ones on the fast path", () => {
    const delta = BASES[0]!;
    fc.assert(
      fc.property(plainDecimal, plainDecimal, (price, count) => {
        const text = JSON.stringify(
          mutate(delta, [
            { path: ["msg", "price_dollars"], op: "set", value: price },
            { path: ["msg", "delta_fp"], op: "set", value: count },
          ]),
        );
        agree(text);
        // Kalshi's own forms (4-dp prices, 2-dp counts, small numbers) never need the slow path.
        if (/^-?\d{1,6}\.\d{4}$/.test(price) && /^-?\d{1,9}\.\d{2}$/.test(count))
          expect(fastDecodeWsMessage(JSON.parse(text))).toBeDefined();
      }),
      { numRuns: 2000, seed: 14 },
    );
  });

  test("frames that are not JSON, or not objects, are refused", () => {
    const bad = parseWsFrame("{");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toBeUndefined();
    for (const t of ["null", "[]", "3", '"orderbook_delta"', '{"type":"nope"}', "{}"]) agree(t);
  });
});
