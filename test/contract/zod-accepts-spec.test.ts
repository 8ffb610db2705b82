// The bot's zod wire schemas accept what Kalshi's contract allows: instances generated from the
// AsyncAPI and OpenAPI schemas (required only with nullables null, every field with nullables null,
// every field with values and 6-decimal dollar strings), each first validated by ajv against the
// spec, and every example embedded in the AsyncAPI document.
import { describe, expect, test } from "bun:test";
import type { z } from "zod";
import * as W from "../../src/kalshi/wire/index.ts";
import { asyncapiExamples, restExample, wsExample, type Mode } from "./examples.ts";
import { checkRestSchema, checkWs, WS_PAYLOAD_OF } from "./spec.ts";

const MODES: Mode[] = ["min", "nulls", "full"];

function zodProblems(schema: z.ZodType, value: unknown): string[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`);
}

/** OpenAPI response schema → our zod schema of the same body. */
const REST: Array<[string, z.ZodType]> = [
  ["GetMarketsResponse", W.GetMarketsResponse],
  ["GetMarketResponse", W.GetMarketResponse],
  ["GetEventsResponse", W.GetEventsResponse],
  ["GetEventResponse", W.GetEventResponse],
  ["GetSeriesResponse", W.GetSeriesResponse],
  ["GetBalanceResponse", W.GetBalanceResponse],
  ["GetPositionsResponse", W.GetPositionsResponse],
  ["GetFillsResponse", W.GetFillsResponse],
  ["GetSettlementsResponse", W.GetSettlementsResponse],
  ["GetOrdersResponse", W.GetOrdersResponse],
  ["GetOrderResponse", W.GetOrderResponse],
  ["GetMarketOrderbookResponse", W.GetMarketOrderbookResponse],
  ["GetMarketOrderbooksResponse", W.GetMarketOrderbooksResponse],
  ["ExchangeStatus", W.ExchangeStatus],
  ["CreateOrderGroupResponse", W.CreateOrderGroupResponse],
  ["GetOrderGroupResponse", W.GetOrderGroupResponse],
  ["GetAccountApiLimitsResponse", W.GetAccountLimitsResponse],
  ["GetTradesResponse", W.GetTradesResponse],
];

describe("zod wire schemas accept spec-valid REST bodies", () => {
  for (const [name, schema] of REST) {
    for (const mode of MODES) {
      test(`${name} (${mode})`, () => {
        const ex = restExample(name, mode);
        expect(checkRestSchema(name, ex)).toEqual([]);
        expect(zodProblems(schema, ex)).toEqual([]);
      });
    }
  }
});

describe("zod wire schemas accept spec-valid WebSocket messages", () => {
  for (const [type, payload] of Object.entries(WS_PAYLOAD_OF)) {
    for (const mode of MODES) {
      test(`${type} (${mode})`, () => {
        const ex = wsExample(payload, mode);
        expect(checkWs(payload, ex)).toEqual([]);
        expect(zodProblems(W.WsMessage, ex)).toEqual([]);
      });
    }
  }
  test("every example embedded in the AsyncAPI document that the bot reads", () => {
    const wanted = new Set(Object.keys(WS_PAYLOAD_OF));
    const problems: string[] = [];
    let n = 0;
    for (const { message, payload } of asyncapiExamples()) {
      const type = (payload as { type?: string }).type ?? "";
      if (!wanted.has(type)) continue;
      n++;
      for (const p of zodProblems(W.WsMessage, payload)) problems.push(`${message}: ${p}`);
    }
    expect(n).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });
});
