// The order bodies encoded without zod (src/kalshi/wire/order-encode.ts) must take exactly what the
// schemas take, with the same JSON text: checked on generated create and amend values, ordinary
// ones and ones with a field out of range, of the wrong type, missing or extra.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { z } from "zod";
import { AmendOrderV2Request, CreateOrderV2Request } from "../../src/kalshi/wire/rest.ts";
import { encodeAmendBody, encodeCreateBody } from "../../src/kalshi/wire/order-encode.ts";

/** Values a field may be swapped for: the wrong type, out of range, empty. */
const odd = fc.constantFrom<unknown>(
  undefined,
  null,
  "",
  "x",
  "0.5600",
  0,
  -1,
  1,
  9_999,
  10_000,
  10_001,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  64,
  63,
  true,
  false,
  "bid",
  "maker",
  "good_till_canceled",
  {},
  [],
);

const uuid = fc.uuid();
const ticker = fc.stringMatching(/^[A-Z0-9-]{1,30}$/);
const price = fc.integer({ min: 1, max: 9_999 });
const count = fc.integer({ min: 1, max: 10_000_000 });

const amend = fc.record(
  {
    ticker,
    side: fc.constantFrom("bid", "ask"),
    price,
    count,
    client_order_id: uuid,
    updated_client_order_id: uuid,
    exchange_index: fc.integer({ min: 0, max: 7 }),
  },
  { requiredKeys: ["ticker", "side", "price", "count"] },
);

const create = fc.record(
  {
    ticker,
    side: fc.constantFrom("bid", "ask"),
    count,
    price,
    time_in_force: fc.constantFrom("fill_or_kill", "good_till_canceled", "immediate_or_cancel"),
    self_trade_prevention_type: fc.constantFrom("taker_at_cross", "maker"),
    client_order_id: uuid,
    expiration_time: fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }),
    post_only: fc.boolean(),
    reduce_only: fc.boolean(),
    cancel_order_on_pause: fc.boolean(),
    subaccount: fc.integer({ min: 0, max: 63 }),
    order_group_id: uuid,
    exchange_index: fc.integer({ min: 0, max: 7 }),
  },
  { requiredKeys: ["ticker", "side", "count", "price", "time_in_force", "self_trade_prevention_type"] },
);

/** A value with up to two fields replaced by odd values (or an unknown key added). */
function mutated<T extends Record<string, unknown>>(base: fc.Arbitrary<T>, keys: readonly string[]) {
  return fc.tuple(base, fc.array(fc.tuple(fc.constantFrom(...keys, "unknown_key"), odd), { maxLength: 2 })).map(([v, muts]) => {
    const out: Record<string, unknown> = { ...v };
    for (const [k, x] of muts) out[k] = x;
    return out;
  });
}

function sameAsSchema(schema: z.ZodType, encode: (v: never) => unknown, v: Record<string, unknown>): void {
  const fast = encode(v as never);
  // The schema's codecs throw on a non-integer amount rather than report an issue: a failure too
  // (the client runs the schema whenever the fast path returns null, so it still throws there).
  let slow: { success: boolean; data?: unknown };
  try {
    slow = z.safeEncode(schema, v as never);
  } catch {
    slow = { success: false };
  }
  expect(fast !== null).toBe(slow.success);
  if (fast !== null) expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.data));
}

describe("order bodies without zod", () => {
  test("an amend: accepted and rejected as the schema does, same JSON", () => {
    const keys = Object.keys(AmendOrderV2Request.shape);
    fc.assert(
      fc.property(fc.oneof(amend, mutated(amend, keys)), (v) => sameAsSchema(AmendOrderV2Request, encodeAmendBody, v)),
      { numRuns: 3_000 },
    );
  });

  test("a create: accepted and rejected as the schema does, same JSON", () => {
    const keys = Object.keys(CreateOrderV2Request.shape);
    fc.assert(
      fc.property(fc.oneof(create, mutated(create, keys)), (v) => sameAsSchema(CreateOrderV2Request, encodeCreateBody, v)),
      { numRuns: 3_000 },
    );
  });

  test("the ordinary bodies take the fast path", () => {
    const a = { ticker: "KX-A", side: "bid" as const, price: 5_600, count: 1_000, client_order_id: "c1", updated_client_order_id: "c2" };
    expect(encodeAmendBody(a)).toEqual({ ...a, price: "0.5600", count: "10.00" });
    const c = {
      ticker: "KX-A",
      side: "ask" as const,
      price: 4_400,
      count: 250,
      time_in_force: "good_till_canceled" as const,
      self_trade_prevention_type: "maker" as const,
      client_order_id: "c1",
      post_only: true,
      expiration_time: 1_800_000_000,
    };
    expect(encodeCreateBody(c)).toEqual({ ...c, price: "0.4400", count: "2.50" });
  });
});
