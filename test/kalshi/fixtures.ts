// Maps every recorded fixture to the wire schema of the endpoint that produced it.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import * as W from "../../src/kalshi/wire/index.ts";

/**
 * Kalshi's recorded demo responses, vendored from ../shared/kalshi/fixtures (public data, see its
 * README) so that `npm test` on a fresh clone runs them too; fixtures-drift.test.ts holds this copy
 * equal to ../shared's wherever that folder is present (CI).
 */
export const FIXTURES = join(import.meta.dir, "../fixtures/kalshi");
export const SHARED_FIXTURES = join(import.meta.dir, "../../../shared/kalshi/fixtures");

export interface Fixture {
  name: string;
  method: string;
  path: string;
  status: number;
  body: unknown;
  hasBody: boolean;
}

export function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const f of readdirSync(FIXTURES).sort()) {
    if (!f.endsWith(".json") || f.endsWith(".meta.json")) continue;
    const name = f.slice(0, -5);
    const metaPath = join(FIXTURES, `${name}.meta.json`);
    const meta = existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, "utf8")) : null;
    const text = readFileSync(join(FIXTURES, f), "utf8");
    out.push({
      name,
      // markets__high_temp was recorded without a meta file; it is a GET /markets page.
      method: meta?.method ?? "GET",
      path: meta?.path ?? "/trade-api/v2/markets",
      status: meta?.status ?? 200,
      body: text.trim() ? JSON.parse(text) : null,
      hasBody: text.trim().length > 0,
    });
  }
  return out;
}

/** The response schema for a successful answer to `method path` (path without query). */
export function responseSchemaFor(method: string, pathWithQuery: string): z.ZodType | null {
  const path = pathWithQuery.split("?")[0]!.replace(/^\/trade-api\/v2/, "");
  const routes: Array<[string, RegExp, z.ZodType]> = [
    ["GET", /^\/exchange\/status$/, W.ExchangeStatus],
    ["GET", /^\/exchange\/schedule$/, W.ExchangeScheduleResponse],
    ["GET", /^\/series\/fee_changes$/, W.GetSeriesFeeChangesResponse],
    ["GET", /^\/series$/, W.GetSeriesListResponse],
    ["GET", /^\/series\/[^/]+$/, W.GetSeriesResponse],
    ["GET", /^\/events$/, W.GetEventsResponse],
    ["GET", /^\/events\/[^/]+$/, W.GetEventResponse],
    ["GET", /^\/markets$/, W.GetMarketsResponse],
    ["GET", /^\/markets\/trades$/, W.GetTradesResponse],
    ["GET", /^\/markets\/orderbooks$/, W.GetMarketOrderbooksResponse],
    ["GET", /^\/markets\/candlesticks$/, W.BatchGetMarketCandlesticksResponse],
    ["GET", /^\/markets\/[^/]+\/orderbook$/, W.GetMarketOrderbookResponse],
    ["GET", /^\/markets\/[^/]+$/, W.GetMarketResponse],
    ["GET", /^\/series\/[^/]+\/markets\/[^/]+\/candlesticks$/, W.GetMarketCandlesticksResponse],
    ["GET", /^\/portfolio\/balance$/, W.GetBalanceResponse],
    ["GET", /^\/portfolio\/positions$/, W.GetPositionsResponse],
    ["GET", /^\/portfolio\/fills$/, W.GetFillsResponse],
    ["GET", /^\/portfolio\/settlements$/, W.GetSettlementsResponse],
    ["GET", /^\/portfolio\/orders$/, W.GetOrdersResponse],
    ["GET", /^\/portfolio\/orders\/[^/]+$/, W.GetOrderResponse],
    ["POST", /^\/portfolio\/orders$/, W.LegacyOrderResponse],
    ["DELETE", /^\/portfolio\/orders\/[^/]+$/, W.LegacyCancelOrderResponse],
    ["POST", /^\/portfolio\/events\/orders$/, W.CreateOrderV2Response],
    ["POST", /^\/portfolio\/events\/orders\/batched$/, W.BatchCreateOrdersV2Response],
    ["DELETE", /^\/portfolio\/events\/orders\/batched$/, W.BatchCancelOrdersV2Response],
    ["DELETE", /^\/portfolio\/events\/orders\/[^/]+$/, W.CancelOrderV2Response],
    ["POST", /^\/portfolio\/events\/orders\/[^/]+\/amend$/, W.AmendOrderV2Response],
    ["POST", /^\/portfolio\/events\/orders\/[^/]+\/decrease$/, W.DecreaseOrderV2Response],
    ["POST", /^\/portfolio\/order_groups\/create$/, W.CreateOrderGroupResponse],
    ["GET", /^\/portfolio\/order_groups\/[^/]+$/, W.GetOrderGroupResponse],
    ["GET", /^\/account\/limits$/, W.GetAccountLimitsResponse],
    ["GET", /^\/account\/endpoint_costs$/, W.GetEndpointCostsResponse],
  ];
  for (const [m, re, schema] of routes) if (m === method && re.test(path)) return schema;
  return null;
}
