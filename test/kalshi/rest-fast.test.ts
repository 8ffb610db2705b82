// The compiled market decoder (src/kalshi/wire/rest-fast.ts) must give exactly what the zod Market
// schema gives, and leave a market it refuses untouched for zod: checked on Kalshi's recorded markets
// and on generated mutations of them (missing fields, wrong types, nulls, bad decimal strings, unknown
// keys, nested price ranges and legs). Through the client over loopback, a page's markets are then
// zod's, a malformed one skipped and the rest kept, as before.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { Market } from "../../src/kalshi/wire/rest.ts";
import { FAST_MARKET, fastDecodeMarket } from "../../src/kalshi/wire/rest-fast.ts";
import { FIXTURES } from "./fixtures.ts";
import { json, RecordingServer, testKeys } from "./helpers.ts";
import { mutate, nasty, paths, plainDecimal } from "./mutations.ts";

/** Every market in Kalshi's recorded answers (lists and single markets). */
const recorded: unknown[] = readdirSync(FIXTURES)
  .filter((f) => f.startsWith("markets__") && f.endsWith(".json") && !f.endsWith(".meta.json"))
  .flatMap((f) => {
    const body = JSON.parse(readFileSync(join(FIXTURES, f), "utf8")) as { markets?: unknown[]; market?: unknown };
    return body.markets ?? (body.market ? [body.market] : []);
  });

/** A recorded market with every optional field the schema knows filled in, nested ones included. */
const full = {
  ...(recorded[0] as Record<string, unknown>),
  floor_strike: 40,
  cap_strike: 41.5,
  strike_type: "between",
  functional_strike: "x",
  custom_strike: { team: "A" },
  settlement_value_dollars: "1.0000",
  settlement_ts: "2026-06-11T06:29:47Z",
  fee_waiver_expiration_time: null,
  mve_collection_ticker: "KXMVE",
  mve_selected_legs: [{ event_ticker: "E", market_ticker: "M", side: "yes", yes_settlement_value_dollars: "0.5000" }],
  primary_participant_key: null,
  is_provisional: false,
  exchange_index: 0,
};

/** The fast decoder against zod on one market's JSON text. */
function agree(text: string): void {
  const zod = Market.safeParse(JSON.parse(text));
  const input: unknown = JSON.parse(text);
  const fast = fastDecodeMarket(input);
  if (fast !== undefined) {
    // Whatever it vouches for, zod accepts with the same output.
    expect(zod.success).toBe(true);
    if (zod.success) expect(fast).toStrictEqual(zod.data);
  } else expect(input).toStrictEqual(JSON.parse(text)); // refused: left as it was, for zod
}

describe("fast market decoding agrees with the zod Market schema", () => {
  test("Market compiles to a fast decoder", () => {
    expect(FAST_MARKET).toBe(true);
  });

  test("Kalshi's recorded markets are taken by the fast path, with zod's output", () => {
    expect(recorded.length).toBeGreaterThanOrEqual(10);
    for (const m of [...recorded, full]) {
      const text = JSON.stringify(m);
      expect(Market.safeParse(JSON.parse(text)).success).toBe(true);
      agree(text);
      expect(fastDecodeMarket(JSON.parse(text))).toBeDefined();
    }
  });

  test("mutations: same accept/reject and output, and a refused market untouched", () => {
    const all = paths(full);
    const mutation = fc.record({
      path: fc.oneof(fc.constantFrom(...all), fc.constantFrom<(string | number)[]>(["extra"], ["price_ranges", 0, "extra"])),
      op: fc.constantFrom<"delete" | "set">("delete", "set", "set"),
      value: nasty,
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
        agree(JSON.stringify(mutate(full, muts)));
      }),
      { numRuns: 3000, seed: 14 },
    );
  });

  test("money fields in any plain decimal form: same values as zod", () => {
    fc.assert(
      fc.property(plainDecimal, plainDecimal, (price, count) => {
        agree(
          JSON.stringify(
            mutate(full, [
              { path: ["yes_bid_dollars"], op: "set", value: price },
              { path: ["volume_fp"], op: "set", value: count },
            ]),
          ),
        );
      }),
      { numRuns: 2000, seed: 14 },
    );
  });

  test("numbers zod refuses are refused: JSON's 1e400 is Infinity", () => {
    const text = JSON.stringify(full).replace('"floor_strike":40', '"floor_strike":1e400');
    expect(text).toContain("1e400");
    expect(Market.safeParse(JSON.parse(text)).success).toBe(false);
    agree(text);
    expect(fastDecodeMarket(JSON.parse(text))).toBeUndefined();
  });
});

describe("through the client", () => {
  const servers: RecordingServer[] = [];
  afterAll(() => {
    for (const s of servers) s.stop();
  });

  test("a page's markets are zod's; a malformed one is skipped and the rest kept", async () => {
    const good = recorded.slice(0, 5);
    // Refused by both: the page's other markets must still come through.
    const bad = { ...(recorded[1] as Record<string, unknown>), ticker: "BAD", yes_bid_dollars: 52 };
    const page = [...good.slice(0, 2), bad, ...good.slice(2)];
    const s = new RecordingServer(() => json({ markets: page, cursor: "" }));
    servers.push(s);
    const logs: string[] = [];
    const c = new KalshiClient({
      baseUrl: s.url,
      apiKeyId: "test-key",
      privateKey: testKeys().privateKey,
      timeoutMs: 2000,
      backoffBaseMs: 5,
      logger: (_level, msg) => logs.push(msg),
    });
    const got = await c.allMarkets({ status: "open" });
    expect(got).toStrictEqual(good.map((m) => Market.parse(structuredClone(m))));
    expect(c.skippedItems).toBe(1);
    expect(logs.some((l) => l.includes("skipped a malformed market BAD"))).toBe(true);
  });
});
