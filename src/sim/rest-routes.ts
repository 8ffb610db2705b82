// The REST surface under /trade-api/v2: Kalshi's paths, query parameters, limits, status codes and
// body shapes. Handlers translate between the wire and the Exchange; they hold no state.
import type { z } from "zod";
import {
  AmendOrderV2Request,
  BatchCancelOrdersV2Request,
  CreateOrderGroupRequest,
  CreateOrderV2Request,
  DecreaseOrderV2Request,
  UpdateOrderGroupLimitRequest,
} from "../kalshi/wire/index.ts";
import { formatCount, microsToCents, parseCount, parseFixed, PRICE_ONE, type Count } from "../kalshi/money.ts";
import type { Account } from "./accounts.ts";
import * as E from "./errors.ts";
import type { Exchange, NewOrder } from "./exchange.ts";
import { CANDLE_PERIODS } from "../kalshi/wire/index.ts";
import { compareMarkets, comparePositionKeys, eventsPage, keysetPage, marketsPage, parseLimit, positionsPage } from "./paging.ts";
import { ENDPOINT_COSTS, DEFAULT_COST, type RateLimiter } from "./rate-limit.ts";
import type { BookSide, Market, MarketStatus, Order, Position, TimeInForce } from "./types.ts";
import * as W from "./wire-format.ts";
import { historicalCandle } from "./historical-candles.ts";

export interface Ctx {
  ex: Exchange;
  url: URL;
  q: URLSearchParams;
  params: Record<string, string>;
  /** Null on public endpoints called without a signature. */
  account: Account | null;
  rawBody: string;
  limiter: RateLimiter;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface Route {
  method: string;
  path: string;
  /** "required": Kalshi answers 401 without a signature; "optional": verified only when sent. */
  auth: "required" | "optional" | "none";
  write: boolean;
  handle: (c: Ctx) => Reply;
  segments: string[];
  cost: number;
}

const ok = (body: unknown, status = 200): Reply => ({ status, body });
const me = (c: Ctx): Account => {
  if (!c.account) throw E.authMissing();
  return c.account;
};

// ---- bodies -------------------------------------------------------------------------------------

function jsonBody(c: Ctx): Record<string, unknown> {
  if (!c.rawBody.trim()) throw E.flatBadRequest("EOF");
  let v: unknown;
  try {
    v = JSON.parse(c.rawBody);
  } catch (e) {
    throw E.flatBadRequest(`invalid character in JSON body: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw E.flatBadRequest(`json: cannot unmarshal ${goType(v)} into Go value of type object`);
  return v as Record<string, unknown>;
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}

/** Go types of request fields, as Kalshi's decoder declares them. */
type GoKind = "string" | "int64" | "int" | "bool";

/**
 * Kalshi's Go JSON decoder rejects a value of the wrong JSON type before any validation, in the
 * flat shape: a number where it wants a string, a string where it wants an integer or a boolean,
 * a fraction where it wants an integer. null leaves the field unset, as in Go.
 */
function goDecode(body: Record<string, unknown>, fields: Record<string, GoKind>, struct: string): void {
  for (const [f, kind] of Object.entries(fields)) {
    const v = body[f];
    if (v === undefined || v === null) continue;
    const where = `into Go struct field ${struct}.${f} of type ${kind}`;
    if (kind === "string" && typeof v !== "string") throw E.flatBadRequest(`json: cannot unmarshal ${goType(v)} ${where}`);
    if (kind === "bool" && typeof v !== "boolean") throw E.flatBadRequest(`json: cannot unmarshal ${goType(v)} ${where}`);
    if (kind === "int64" || kind === "int") {
      if (typeof v !== "number") throw E.flatBadRequest(`json: cannot unmarshal ${goType(v)} ${where}`);
      if (!Number.isInteger(v)) throw E.flatBadRequest(`json: cannot unmarshal number ${v} ${where}`);
    }
  }
}

const CREATE_V2_FIELDS: Record<string, GoKind> = {
  ticker: "string",
  side: "string",
  count: "string",
  price: "string",
  time_in_force: "string",
  self_trade_prevention_type: "string",
  client_order_id: "string",
  order_group_id: "string",
  expiration_time: "int64",
  post_only: "bool",
  reduce_only: "bool",
  cancel_order_on_pause: "bool",
  subaccount: "int",
  exchange_index: "int",
};

/** Zod issues → Kalshi's answer: an off-range price is invalid_price, anything else invalid_parameters. */
function validation(err: z.ZodError): E.SimError {
  const first = err.issues[0];
  const path = first?.path.join(".") ?? "";
  if (path === "price" || path.endsWith(".price")) return E.invalidPrice();
  const details = err.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
  return E.nested(400, "invalid_parameters", { message: "invalid parameters", details });
}

function parseWith<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw validation(r.error);
  return r.data;
}

// ---- helpers --------------------------------------------------------------------------------------

function market(c: Ctx, ticker: string): Market {
  const m = c.ex.markets.get(ticker);
  if (!m) throw E.nested(404, "not_found", { details: `market ${ticker} not found` });
  return m;
}

const STATUS_FILTER: Record<string, MarketStatus[]> = {
  unopened: ["initialized"],
  open: ["active"],
  paused: ["inactive"],
  closed: ["closed", "determined"],
  settled: ["finalized"],
};

function statusFilter(raw: string | null, op: string, allowed: string[]): MarketStatus[] | null {
  if (!raw) return null;
  const s = STATUS_FILTER[raw];
  if (!s || !allowed.includes(raw))
    throw E.bare(
      `Parameter validation failed for ${op}: Key: '${op}Params.Status' Error:Field validation for 'Status' failed on the 'oneof' tag`,
    );
  return s;
}

/**
 * GetMarkets' filter compatibility (MarketApi docs): timestamp filter families exclude each other;
 * created-ts goes with status unopened/open/none, close-ts with closed/none, settled-ts with
 * settled/none; min_updated_ts with nothing but mve_filter=exclude (and series_ticker, which then
 * requires mve_filter=exclude). Kalshi rejects other combinations with a 400 instead of guessing.
 */
function marketFilterRules(c: Ctx, hasStatus: boolean, ts: { created: boolean; close: boolean; settled: boolean; updated: boolean }): void {
  const fail = (why: string) => E.bare(`Parameter validation failed for GetMarkets: ${why}`);
  const families = Object.entries(ts)
    .filter(([, on]) => on)
    .map(([k]) => k);
  if (families.length > 1) throw fail(`timestamp filters ${families.join(" and ")} are mutually exclusive`);
  const status = c.q.get("status");
  if (ts.created && hasStatus && status !== "unopened" && status !== "open")
    throw fail("min_created_ts/max_created_ts are only compatible with status unopened or open");
  if (ts.close && hasStatus && status !== "closed") throw fail("min_close_ts/max_close_ts are only compatible with status closed");
  if (ts.settled && hasStatus && status !== "settled") throw fail("min_settled_ts/max_settled_ts are only compatible with status settled");
  if (ts.updated) {
    const others = ["status", "event_ticker", "tickers"].filter((k) => c.q.get(k));
    if (others.length > 0) throw fail(`min_updated_ts is incompatible with ${others.join(", ")}`);
    if (c.q.get("series_ticker") && c.q.get("mve_filter") !== "exclude")
      throw fail("min_updated_ts with series_ticker requires mve_filter=exclude");
  }
}

/** include_volume: contracts traded across every market of the series. */
function seriesVolume(ex: Exchange, seriesTicker: string): Count {
  let v = 0;
  for (const m of ex.markets.values()) if (m.seriesTicker === seriesTicker) v += m.volume;
  return v;
}

/** Every market in GetMarkets order (newest created first); markets are never removed, so the sort is cached by count. */
const marketOrder = new WeakMap<Exchange, { n: number; list: Market[] }>();
/**
 * One page of the public tape, newest first, filtered by ticker and min_ts/max_ts: the live side
 * (`/markets/trades`: trades at or after the historical cutoff) or the archived one
 * (`/historical/trades`: before it).
 */
function tradesPage(c: Ctx, limit: number, side: "live" | "historical") {
  const ticker = c.q.get("ticker");
  const minTs = intParam(c, "min_ts");
  const maxTs = intParam(c, "max_ts");
  // Every trade here is matched on the book; none is a block trade.
  if (side === "live" && c.q.get("is_block_trade") === "true") return ok({ cursor: "", trades: [] });
  const cutoff = c.ex.historicalCutoffMs();
  const all = [];
  for (let i = c.ex.trades.length - 1; i >= 0; i--) {
    const t = c.ex.trades[i]!;
    if (t.tsMs < cutoff) {
      // The tape is in time order: everything from here back is historical.
      if (side === "live") break;
    } else if (side === "historical") continue;
    if (ticker && t.ticker !== ticker) continue;
    if (minTs !== null && t.tsMs < minTs * 1000) continue;
    if (maxTs !== null && t.tsMs > maxTs * 1000) continue;
    all.push(t);
  }
  const p = keysetPage(all, c.q.get("cursor"), limit, (t) => ({ ms: t.tsMs, id: t.tradeId }));
  return ok({ cursor: p.cursor, trades: p.items.map(W.tradeJson) });
}

function sortedMarkets(ex: Exchange): Market[] {
  const hit = marketOrder.get(ex);
  if (hit && hit.n === ex.markets.size) return hit.list;
  const list = [...ex.markets.values()].sort(compareMarkets);
  marketOrder.set(ex, { n: ex.markets.size, list });
  return list;
}

function intParam(c: Ctx, name: string): number | null {
  const v = c.q.get(name);
  if (v === null || v === "") return null;
  const n = Number(v);
  if (!Number.isInteger(n)) throw E.bare(`Parameter validation failed: invalid value "${v}" for ${name}`);
  return n;
}

function listParam(c: Ctx, name: string): string[] | null {
  const all = c.q
    .getAll(name)
    .flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  return all.length > 0 ? all : null;
}

function bookJson(c: Ctx, ticker: string, depth: number): { yes_dollars: [string, string][]; no_dollars: [string, string][] } {
  const b = c.ex.book(ticker);
  const max = depth > 0 ? depth : Infinity;
  const yes = b.depth("bid", max);
  const no = b.depth("ask", max).map(([p, n]): [number, Count] => [PRICE_ONE - p, n]);
  return { no_dollars: W.levelsJson(no), yes_dollars: W.levelsJson(yes) };
}

function v2CreateReply(o: Order, tsMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...W.averages(o),
    fill_count: formatCount(o.filled),
    order_id: o.id,
    remaining_count: formatCount(o.status === "resting" ? o.remaining : 0),
    ts_ms: tsMs,
  };
  if (o.clientOrderId) out.client_order_id = o.clientOrderId;
  return out;
}

function v2Order(body: unknown, struct = "CreateOrderV2Request"): NewOrder {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    goDecode(body as Record<string, unknown>, CREATE_V2_FIELDS, struct);
  }
  const r = parseWith(CreateOrderV2Request, body);
  return {
    ticker: r.ticker,
    side: r.side,
    price: r.price,
    count: r.count,
    tif: r.time_in_force,
    stp: r.self_trade_prevention_type,
    clientOrderId: r.client_order_id,
    expirationTs: r.expiration_time ?? null,
    postOnly: r.post_only,
    reduceOnly: r.reduce_only,
    cancelOnPause: r.cancel_order_on_pause,
    subaccount: r.subaccount,
    orderGroupId: r.order_group_id ?? null,
  };
}

function errorDetail(e: unknown): Record<string, unknown> {
  if (e instanceof E.SimError) {
    const b = e.body as { error?: unknown; code?: string; message?: string; details?: string; msg?: string };
    if (b.error && typeof b.error === "object") return b.error as Record<string, unknown>;
    return { code: b.code ?? "bad_request", message: b.message ?? b.msg ?? "bad request", details: b.details };
  }
  throw e;
}

const LEGACY_TIF: Record<string, TimeInForce> = {
  fill_or_kill: "fill_or_kill",
  good_till_canceled: "good_till_canceled",
  immediate_or_cancel: "immediate_or_cancel",
};

/** Legacy `POST /portfolio/orders`: yes/no + buy/sell, integer cents or dollar strings. */
function legacyOrder(body: Record<string, unknown>): NewOrder {
  const side = body.side;
  const action = body.action;
  if (side !== "yes" && side !== "no")
    throw E.nested(400, "invalid_parameters", { message: "invalid parameters", details: "side must be yes or no" });
  if (action !== "buy" && action !== "sell")
    throw E.nested(400, "invalid_parameters", { message: "invalid parameters", details: "action must be buy or sell" });
  if (typeof body.ticker !== "string" || !body.ticker)
    throw E.nested(400, "invalid_parameters", { message: "invalid parameters", details: "ticker is required" });
  let count: number;
  if (typeof body.count_fp === "string") count = parseCount(body.count_fp);
  else if (typeof body.count === "number" && Number.isInteger(body.count)) count = body.count * 100;
  else throw E.nested(400, "invalid_parameters", { message: "invalid parameters", details: "count is required" });
  const priceOf = (cents: unknown, dollars: unknown): number | null => {
    if (typeof dollars === "string") return parseFixed(dollars, 4, "price");
    if (typeof cents === "number" && Number.isInteger(cents)) return cents * 100;
    return null;
  };
  const yes = priceOf(body.yes_price, body.yes_price_dollars);
  const no = priceOf(body.no_price, body.no_price_dollars);
  let price: number;
  if (yes !== null) price = yes;
  else if (no !== null) price = PRICE_ONE - no;
  else throw E.invalidPrice();
  // buy YES / sell NO rest on the bid; buy NO / sell YES on the ask.
  const bookSide: BookSide = (side === "yes") === (action === "buy") ? "bid" : "ask";
  let tif: TimeInForce = LEGACY_TIF[String(body.time_in_force ?? "")] ?? "good_till_canceled";
  if (body.buy_max_cost !== undefined) tif = "fill_or_kill";
  return {
    ticker: body.ticker,
    side: bookSide,
    price,
    count,
    tif,
    stp: body.self_trade_prevention_type === "maker" ? "maker" : "taker_at_cross",
    clientOrderId: typeof body.client_order_id === "string" ? body.client_order_id : undefined,
    expirationTs: typeof body.expiration_ts === "number" ? body.expiration_ts : null,
    postOnly: body.post_only === true,
    reduceOnly: body.reduce_only === true,
    cancelOnPause: body.cancel_order_on_pause === true,
    orderGroupId: typeof body.order_group_id === "string" ? body.order_group_id : null,
    subaccount: typeof body.subaccount === "number" ? body.subaccount : 0,
    legacy: true,
  };
}

function positionKey(c: Ctx, p: Position): { event: string; ticker: string } {
  return { event: c.ex.markets.get(p.ticker)?.eventTicker ?? p.ticker, ticker: p.ticker };
}

function positionsOf(c: Ctx, a: Account): { market: Position[]; resting: Map<string, number> } {
  const filters =
    c.q
      .get("count_filter")
      ?.split(",")
      .map((f) => f.trim())
      .filter(Boolean) ?? null;
  const ticker = c.q.get("ticker");
  const eventTicker = c.q.get("event_ticker");
  const resting = new Map<string, number>();
  for (const [t, set] of a.resting) resting.set(t, set.size);
  const out: Position[] = [];
  for (const p of a.positions.values()) {
    if (ticker && p.ticker !== ticker) continue;
    const m = c.ex.markets.get(p.ticker);
    if (eventTicker && m?.eventTicker !== eventTicker) continue;
    const live = p.position !== 0 || (resting.get(p.ticker) ?? 0) > 0 || (m?.status !== "finalized" && p.totalTraded > 0);
    // count_filter is a comma list ("position,total_traded"): keep a position when any named field is non-zero.
    if (filters && filters.length > 0) {
      if (!((filters.includes("position") && p.position !== 0) || (filters.includes("total_traded") && p.totalTraded !== 0))) continue;
    } else if (!live) continue;
    out.push(p);
  }
  // A fixed order (event, then market ticker) that trading never reshuffles, so a cursor walk
  // neither repeats nor skips a position while positions change; an event's markets stay together.
  out.sort((x, y) => comparePositionKeys(positionKey(c, x), positionKey(c, y)));
  return { market: out, resting };
}

// ---- routes ---------------------------------------------------------------------------------------

type Def = [method: string, path: string, auth: Route["auth"], handle: (c: Ctx) => Reply];

const DEFS: Def[] = [
  ["GET", "/exchange/status", "none", (c) => ok({ exchange_active: c.ex.exchangeActive, trading_active: c.ex.tradingActive })],
  [
    "GET",
    "/exchange/schedule",
    "none",
    () => {
      const day = [{ close_time: "23:59", open_time: "00:00" }];
      return ok({
        schedule: {
          maintenance_windows: [],
          standard_hours: [
            {
              end_time: "2100-01-01T00:00:00Z",
              friday: day,
              monday: day,
              saturday: day,
              start_time: "2020-01-01T00:00:00Z",
              sunday: day,
              thursday: day,
              tuesday: day,
              wednesday: day,
            },
          ],
        },
      });
    },
  ],
  ["GET", "/exchange/user_data_timestamp", "none", (c) => ok({ as_of_time: W.isoMicro(c.ex.now()) })],
  ["GET", "/series/fee_changes", "none", () => ok({ series_fee_change_arr: [] })],
  [
    "GET",
    "/series",
    "none",
    (c) => {
      const cat = c.q.get("category");
      const tags = listParam(c, "tags");
      const minUpdated = intParam(c, "min_updated_ts");
      const volume = c.q.get("include_volume") === "true";
      // Series metadata never changes here: last updated when the exchange started.
      const list = [...c.ex.series.values()].filter(
        (s) =>
          (!cat || s.category === cat) &&
          (!tags || s.tags.some((t) => tags.includes(t))) &&
          (minUpdated === null || c.ex.startedMs > minUpdated * 1000),
      );
      return ok({ series: list.map((s) => W.seriesJson(s, c.ex.startedMs, volume ? seriesVolume(c.ex, s.ticker) : undefined)) });
    },
  ],
  [
    "GET",
    "/series/:series_ticker",
    "none",
    (c) => {
      const s = c.ex.series.get(c.params.series_ticker!);
      if (!s) throw E.notFound();
      return ok({
        series: W.seriesJson(s, c.ex.startedMs, c.q.get("include_volume") === "true" ? seriesVolume(c.ex, s.ticker) : undefined),
      });
    },
  ],
  [
    "GET",
    "/events",
    "none",
    (c) => {
      const limit = parseLimit(c.q.get("limit"), 200, 200, "GetEvents");
      const status = statusFilter(c.q.get("status"), "GetEvents", ["unopened", "open", "closed", "settled"]);
      const series = c.q.get("series_ticker");
      const tickers = listParam(c, "tickers");
      const nested = c.q.get("with_nested_markets") === "true";
      const minClose = intParam(c, "min_close_ts");
      const minUpdated = intParam(c, "min_updated_ts");
      const evs = [...c.ex.events.values()].filter((e) => {
        if (series && e.seriesTicker !== series) return false;
        // min_close_ts: at least one of the event's markets closes after it.
        if (minClose !== null && !e.marketTickers.some((t) => (c.ex.markets.get(t)?.closeMs ?? 0) > minClose * 1000)) return false;
        if (minUpdated !== null && e.updatedMs < minUpdated * 1000) return false;
        if (tickers && !tickers.includes(e.eventTicker)) return false;
        if (status) return e.marketTickers.some((t) => status.includes(c.ex.markets.get(t)?.status ?? "initialized"));
        return true;
      });
      // Creation order (new events go to the end); the cursor names the last event returned.
      const seq = new Map<string, number>();
      for (const t of c.ex.events.keys()) seq.set(t, seq.size);
      const p = eventsPage(evs, c.q.get("cursor"), limit, (e) => ({ seq: seq.get(e.eventTicker)!, ticker: e.eventTicker }));
      return ok({
        cursor: p.cursor,
        // Nested markets leave out the archived ones (GetEvents: "Historical markets settled before the
        // historical cutoff will not be included").
        events: p.items.map((e) =>
          W.eventJson(
            e,
            nested
              ? e.marketTickers
                  .map((t) => c.ex.markets.get(t)!)
                  .filter((m) => !c.ex.isArchived(m))
                  .map((m) => W.marketJson(c.ex, m))
              : undefined,
            c.ex.series.get(e.seriesTicker),
          ),
        ),
        // `milestones` answers with_milestones=true (none exist here); otherwise it is left out.
        ...(c.q.get("with_milestones") === "true" ? { milestones: [] } : {}),
      });
    },
  ],
  // No fee changes are ever scheduled here; the lists are empty but well-formed.
  [
    "GET",
    "/events/fee_changes",
    "none",
    (c) => {
      parseLimit(c.q.get("limit"), 100, 1000, "GetEventFeeChanges");
      return ok({ cursor: "", event_fee_changes: [] });
    },
  ],
  // Multivariate (combo) events do not exist on this exchange.
  [
    "GET",
    "/events/multivariate",
    "none",
    (c) => {
      parseLimit(c.q.get("limit"), 100, 200, "GetMultivariateEvents");
      return ok({ cursor: "", events: [] });
    },
  ],
  [
    "GET",
    "/events/:event_ticker/metadata",
    "none",
    (c) => {
      const e = c.ex.events.get(c.params.event_ticker!);
      if (!e) throw E.notFound();
      return ok({
        image_url: "",
        market_details: e.marketTickers.map((t) => ({ color_code: "", image_url: "", market_ticker: t })),
        settlement_sources: c.ex.series.get(e.seriesTicker)?.settlementSources ?? [],
      });
    },
  ],
  [
    "GET",
    "/events/:event_ticker",
    "none",
    (c) => {
      const e = c.ex.events.get(c.params.event_ticker!);
      if (!e) throw E.notFound();
      const markets = e.marketTickers.map((t) => W.marketJson(c.ex, c.ex.markets.get(t)!));
      const s = c.ex.series.get(e.seriesTicker);
      // The deprecated top-level `markets` is always filled; with_nested_markets also fills event.markets
      // "with the same value" (GetEventResponse docs).
      return ok({ event: W.eventJson(e, c.q.get("with_nested_markets") === "true" ? markets : undefined, s), markets });
    },
  ],
  [
    "GET",
    "/markets",
    "none",
    (c) => {
      const limit = parseLimit(c.q.get("limit"), 100, 1000, "GetMarkets");
      const status = statusFilter(c.q.get("status"), "GetMarkets", ["unopened", "open", "paused", "closed", "settled"]);
      const ev = c.q.get("event_ticker");
      const series = c.q.get("series_ticker");
      const tickers = listParam(c, "tickers");
      const minClose = intParam(c, "min_close_ts");
      const maxClose = intParam(c, "max_close_ts");
      const minCreated = intParam(c, "min_created_ts");
      const maxCreated = intParam(c, "max_created_ts");
      const minSettled = intParam(c, "min_settled_ts");
      const maxSettled = intParam(c, "max_settled_ts");
      const minUpdated = intParam(c, "min_updated_ts");
      marketFilterRules(c, status !== null, {
        created: minCreated !== null || maxCreated !== null,
        close: minClose !== null || maxClose !== null,
        settled: minSettled !== null || maxSettled !== null,
        updated: minUpdated !== null,
      });
      const mve = c.q.get("mve_filter");
      if (mve && mve !== "only" && mve !== "exclude") throw paramError("GetMarkets", "MveFilter", "oneof");
      // No multivariate (combo) markets exist here: `only` lists none, `exclude` changes nothing.
      if (mve === "only") return ok({ cursor: "", markets: [] });
      const ms = sortedMarkets(c.ex).filter((m) => {
        if (c.ex.isArchived(m)) return false;
        if (minCreated !== null && m.createdMs < minCreated * 1000) return false;
        if (maxCreated !== null && m.createdMs > maxCreated * 1000) return false;
        // Only settled markets have a settlement time to compare.
        if ((minSettled !== null || maxSettled !== null) && m.settledMs === null) return false;
        if (minSettled !== null && m.settledMs! < minSettled * 1000) return false;
        if (maxSettled !== null && m.settledMs! > maxSettled * 1000) return false;
        if (minUpdated !== null && m.updatedMs < minUpdated * 1000) return false;
        if (status && !status.includes(m.status)) return false;
        if (ev && m.eventTicker !== ev) return false;
        if (series && m.seriesTicker !== series) return false;
        if (tickers && !tickers.includes(m.ticker)) return false;
        if (minClose !== null && m.closeMs < minClose * 1000) return false;
        if (maxClose !== null && m.closeMs > maxClose * 1000) return false;
        return true;
      });
      const p = marketsPage(ms, c.q.get("cursor"), limit);
      return ok({ cursor: p.cursor, markets: p.items.map((m) => W.marketJson(c.ex, m)) });
    },
  ],
  [
    "GET",
    "/markets/trades",
    "none",
    (c) => {
      const limit = parseLimit(c.q.get("limit"), 100, 1000, "GetTrades");
      return tradesPage(c, limit, "live");
    },
  ],
  ["GET", "/markets/candlesticks", "none", (c) => batchCandles(c)],
  [
    "GET",
    "/markets/orderbooks",
    "required",
    (c) => {
      const tickers = listParam(c, "tickers") ?? [];
      if (tickers.length === 0) throw paramError("GetMarketOrderbooks", "Tickers", "required");
      // validate: required,min=1,max=100
      if (tickers.length > 100) throw paramError("GetMarketOrderbooks", "Tickers", "max");
      return ok({ orderbooks: tickers.map((t) => ({ orderbook_fp: bookJson(c, market(c, t).ticker, 0), ticker: t })) });
    },
  ],
  ["GET", "/markets/:ticker", "none", (c) => ok({ market: W.marketJson(c.ex, market(c, c.params.ticker!)) })],
  [
    "GET",
    "/markets/:ticker/orderbook",
    "optional",
    (c) => {
      const m = market(c, c.params.ticker!);
      const depth = intParam(c, "depth") ?? 0;
      // validate: omitempty,min=0,max=100 (Kalshi's spec); the SDK documents 0 or negative as "all levels".
      if (depth > 100) throw paramError("GetMarketOrderbook", "Depth", "max");
      return ok({ orderbook_fp: bookJson(c, m.ticker, depth) });
    },
  ],
  ["GET", "/series/:series_ticker/markets/:ticker/candlesticks", "none", (c) => candles(c)],
  ["GET", "/series/:series_ticker/events/:ticker/candlesticks", "none", (c) => eventCandles(c)],
  // Historical split (API.md §3.8): the cutoff is the moment this exchange opened (nothing is
  // historical) unless the sim archives after `historyAfterS`: then markets settled and trades made
  // before `now - historyAfterS` leave the live endpoints for these.
  [
    "GET",
    "/historical/cutoff",
    "none",
    (c) => {
      const t = W.isoSec(c.ex.historicalCutoffMs());
      return ok({ market_positions_last_updated_ts: t, market_settled_ts: t, orders_updated_ts: t, trades_created_ts: t });
    },
  ],
  [
    "GET",
    "/historical/markets",
    "none",
    (c) => {
      const limit = parseLimit(c.q.get("limit"), 100, 1000, "GetHistoricalMarkets");
      const ev = c.q.get("event_ticker");
      const series = c.q.get("series_ticker");
      const tickers = listParam(c, "tickers");
      const ms = sortedMarkets(c.ex).filter(
        (m) =>
          c.ex.isArchived(m) &&
          (!ev || m.eventTicker === ev) &&
          (!series || m.seriesTicker === series) &&
          (!tickers || tickers.includes(m.ticker)),
      );
      const p = marketsPage(ms, c.q.get("cursor"), limit);
      return ok({ cursor: p.cursor, markets: p.items.map((m) => W.marketJson(c.ex, m)) });
    },
  ],
  [
    "GET",
    "/historical/markets/:ticker",
    "none",
    (c) => {
      const m = c.ex.markets.get(c.params.ticker!);
      if (!m || !c.ex.isArchived(m)) throw E.notFound();
      return ok({ market: W.marketJson(c.ex, m) });
    },
  ],
  [
    "GET",
    "/historical/markets/:ticker/candlesticks",
    "none",
    (c) => {
      const m = c.ex.markets.get(c.params.ticker!);
      if (!m || !c.ex.isArchived(m)) throw E.notFound();
      const p = candleParams(c, "GetMarketCandlesticksHistorical");
      return ok({ candlesticks: c.ex.candles.query(m.ticker, p.start, p.end, p.period, p.before).map(historicalCandle), ticker: m.ticker });
    },
  ],
  ["GET", "/historical/trades", "none", (c) => tradesPage(c, parseLimit(c.q.get("limit"), 100, 1000, "GetTradesHistorical"), "historical")],
  [
    "GET",
    "/historical/fills",
    "required",
    (c) => {
      me(c);
      parseLimit(c.q.get("limit"), 100, 1000, "GetFillsHistorical");
      return ok({ cursor: "", fills: [] });
    },
  ],
  [
    "GET",
    "/historical/orders",
    "required",
    (c) => {
      me(c);
      parseLimit(c.q.get("limit"), 100, 1000, "GetHistoricalOrders");
      return ok({ cursor: "", orders: [] });
    },
  ],
  [
    "GET",
    "/historical/positions",
    "required",
    (c) => {
      me(c);
      parseLimit(c.q.get("limit"), 100, 1000, "GetHistoricalPositions");
      return ok({ cursor: "", event_positions: [], market_positions: [] });
    },
  ],
  // Discovery endpoints of the official client (SearchApi, MilestoneApi, StructuredTargetsApi,
  // IncentiveProgramsApi, MultivariateApi): public; this exchange has no milestones, structured
  // targets, incentive programs, sports filters or multivariate collections, so the lists are empty
  // and well-formed and single lookups are 404. Series tags are grouped by category.
  [
    "GET",
    "/search/tags_by_categories",
    "none",
    (c) => {
      const out: Record<string, string[]> = {};
      for (const s of c.ex.series.values()) {
        const list = (out[s.category] ??= []);
        for (const t of s.tags) if (!list.includes(t)) list.push(t);
      }
      return ok({ tags_by_categories: out });
    },
  ],
  ["GET", "/search/filters_by_sport", "none", () => ok({ filters_by_sports: {}, sport_ordering: [] })],
  [
    "GET",
    "/milestones",
    "none",
    (c) => {
      if (!c.q.get("limit")) throw paramError("GetMilestones", "Limit", "required");
      parseLimit(c.q.get("limit"), 100, 10_000, "GetMilestones");
      return ok({ cursor: "", milestones: [] });
    },
  ],
  [
    "GET",
    "/milestones/:id",
    "none",
    () => {
      throw E.notFound();
    },
  ],
  ["GET", "/structured_targets", "none", () => ok({ cursor: "", structured_targets: [] })],
  [
    "GET",
    "/structured_targets/:id",
    "none",
    () => {
      throw E.notFound();
    },
  ],
  [
    "GET",
    "/incentive_programs",
    "none",
    (c) => {
      parseLimit(c.q.get("limit"), 100, 10_000, "GetIncentivePrograms");
      return ok({ incentive_programs: [] });
    },
  ],
  ["GET", "/multivariate_event_collections", "none", () => ok({ cursor: "", multivariate_contracts: [] })],
  [
    "GET",
    "/multivariate_event_collections/:collection_ticker",
    "none",
    () => {
      throw E.notFound();
    },
  ],
  ["GET", "/account/endpoint_costs", "none", () => ok({ default_cost: DEFAULT_COST, endpoint_costs: ENDPOINT_COSTS })],
  ["GET", "/account/limits", "required", (c) => ok(c.limiter.limitsJson(me(c).userId))],
  // Volume progress toward the volume-based tiers: this account's contracts over the trailing 30
  // sim days. Kalshi's goal thresholds per tier are not published, so no goals are listed.
  [
    "GET",
    "/account/api_usage_level/volume_progress",
    "required",
    (c) => {
      const a = me(c);
      const now = c.ex.now();
      let v = 0;
      for (const f of a.fills) if (f.tsMs > now - 30 * 86_400_000) v += f.count;
      return ok({ volume_progress: [{ computed_ts: Math.floor(now / 1000), goals: [], trailing_30d_volume_fp: formatCount(v) }] });
    },
  ],
  // "Grants a permanent Advanced API usage-level grant … Criteria: at least 1 of the user's last 100
  // Predictions orders was created via API" (AccountApi docs): every order here came over the API.
  // 201 with an empty body; 403 when the account has placed no order yet.
  [
    "POST",
    "/account/api_usage_level/upgrade",
    "required",
    (c) => {
      const a = me(c);
      if (a.orders.length === 0) throw E.nested(403, "forbidden", { details: "no API-created order in the latest 100 orders" });
      c.limiter.grantAdvanced(a.userId);
      return { status: 201 };
    },
  ],

  // ---- portfolio reads ----
  [
    "GET",
    "/portfolio/balance",
    "required",
    (c) => {
      const a = me(c);
      return ok(W.balanceJson(a.available(), c.ex.positionsValue(a.userId), c.ex.now()));
    },
  ],
  [
    "GET",
    "/portfolio/positions",
    "required",
    (c) => {
      const a = me(c);
      const limit = parseLimit(c.q.get("limit"), 100, 1000, "GetPositions");
      const { market: ps, resting } = positionsOf(c, a);
      const p = positionsPage(ps, c.q.get("cursor"), limit, (pos) => positionKey(c, pos));
      // One cursor, two lists: `limit` counts market positions; each event position sums all of the
      // event's (filtered) market positions and comes once per walk, on the page where the event's
      // first market position is, so the pages' event_positions put together are the unpaged list.
      const byEvent = new Map<string, Position[]>();
      for (const pos of ps) {
        const ev = positionKey(c, pos).event;
        const list = byEvent.get(ev);
        if (list) list.push(pos);
        else byEvent.set(ev, [pos]);
      }
      const events: string[] = [];
      for (const pos of p.items) {
        const ev = positionKey(c, pos).event;
        if (ev !== events[events.length - 1] && ev !== p.after?.event) events.push(ev);
      }
      return ok({
        cursor: p.cursor,
        event_positions: events.map((ev) => W.eventPositionJson(ev, byEvent.get(ev)!)),
        market_positions: p.items.map((pos) => W.marketPositionJson(pos, resting.get(pos.ticker) ?? 0)),
      });
    },
  ],
  [
    "GET",
    "/portfolio/fills",
    "required",
    (c) => {
      const a = me(c);
      const limit = parseLimit(c.q.get("limit"), 100, 1000, "GetFills");
      const ticker = c.q.get("ticker");
      const orderId = c.q.get("order_id");
      const minTs = intParam(c, "min_ts");
      const maxTs = intParam(c, "max_ts");
      // subaccount: omitted = all subaccounts (FillsApi docs).
      const sub = intParam(c, "subaccount");
      const out = [];
      for (let i = a.fills.length - 1; i >= 0; i--) {
        const f = a.fills[i]!;
        if (sub !== null && f.subaccount !== sub) continue;
        if (ticker && f.ticker !== ticker) continue;
        if (orderId && f.orderId !== orderId) continue;
        if (minTs !== null && f.tsMs < minTs * 1000) continue;
        if (maxTs !== null && f.tsMs > maxTs * 1000) continue;
        out.push(f);
      }
      const p = keysetPage(out, c.q.get("cursor"), limit, (f) => ({ ms: f.tsMs, id: f.fillId }));
      return ok({ cursor: p.cursor, fills: p.items.map(W.fillJson) });
    },
  ],
  [
    "GET",
    "/portfolio/settlements",
    "required",
    (c) => {
      const a = me(c);
      const limit = parseLimit(c.q.get("limit"), 100, 1000, "GetSettlements");
      const ticker = c.q.get("ticker");
      const ev = c.q.get("event_ticker");
      const minTs = intParam(c, "min_ts");
      const maxTs = intParam(c, "max_ts");
      const out = [...a.settlements]
        .reverse()
        .filter(
          (s) =>
            (!ticker || s.ticker === ticker) &&
            (!ev || s.eventTicker === ev) &&
            (minTs === null || s.settledMs >= minTs * 1000) &&
            (maxTs === null || s.settledMs <= maxTs * 1000),
        );
      const p = keysetPage(out, c.q.get("cursor"), limit, (st) => ({ ms: st.settledMs, id: st.ticker }));
      return ok({ cursor: p.cursor, settlements: p.items.map(W.settlementJson) });
    },
  ],
  [
    "GET",
    "/portfolio/summary/total_resting_order_value",
    "required",
    (c) => {
      const a = me(c);
      return ok({ resting_order_value_breakdown: [], total_resting_order_value: microsToCents(a.reserved) });
    },
  ],
  [
    "GET",
    "/portfolio/orders",
    "required",
    (c) => {
      const a = me(c);
      const limit = parseLimit(c.q.get("limit"), 100, 1000, "GetOrders");
      const status = c.q.get("status");
      if (status && !["resting", "canceled", "executed"].includes(status))
        throw E.bare(
          "Parameter validation failed for GetOrders: Key: 'GetOrdersParams.Status' Error:Field validation for 'Status' failed on the 'oneof' tag",
        );
      const ticker = c.q.get("ticker");
      const events = listParam(c, "event_ticker");
      // "Event tickers to filter by, as a comma-separated list (maximum 10)" (OrdersApi docs).
      if (events && events.length > 10) throw paramError("GetOrders", "EventTicker", "max");
      const minTs = intParam(c, "min_ts");
      const maxTs = intParam(c, "max_ts");
      // subaccount: omitted = all subaccounts (GetOrders docs).
      const sub = intParam(c, "subaccount");
      const out = [];
      for (let i = a.orders.length - 1; i >= 0; i--) {
        const o = a.orders[i]!;
        if (sub !== null && o.subaccount !== sub) continue;
        if (status && o.status !== status) continue;
        if (ticker && o.ticker !== ticker) continue;
        if (events && !events.includes(c.ex.markets.get(o.ticker)?.eventTicker ?? "")) continue;
        if (minTs !== null && o.createdMs < minTs * 1000) continue;
        if (maxTs !== null && o.createdMs > maxTs * 1000) continue;
        out.push(o);
      }
      const p = keysetPage(out, c.q.get("cursor"), limit, (o) => ({ ms: o.createdMs, id: o.id }));
      return ok({ cursor: p.cursor, orders: p.items.map(W.orderJson) });
    },
  ],
  [
    "GET",
    "/portfolio/orders/queue_positions",
    "required",
    (c) => {
      const a = me(c);
      const tickers = listParam(c, "market_tickers");
      const ev = c.q.get("event_ticker");
      const out = [];
      for (const set of a.resting.values()) {
        for (const o of set) {
          if (tickers && !tickers.includes(o.ticker)) continue;
          if (ev && c.ex.markets.get(o.ticker)?.eventTicker !== ev) continue;
          out.push({ market_ticker: o.ticker, order_id: o.id, queue_position_fp: formatCount(c.ex.book(o.ticker).queuePosition(o)) });
        }
      }
      return ok({ queue_positions: out });
    },
  ],
  [
    "GET",
    "/portfolio/orders/:order_id",
    "required",
    (c) => {
      const o = c.ex.orders.get(c.params.order_id!);
      if (!o || o.userId !== me(c).userId) throw E.notFound();
      return ok({ order: W.orderJson(o) });
    },
  ],
  [
    "GET",
    "/portfolio/orders/:order_id/queue_position",
    "required",
    (c) => {
      const o = c.ex.orders.get(c.params.order_id!);
      if (!o || o.userId !== me(c).userId) throw E.notFound();
      return ok({ queue_position_fp: formatCount(o.status === "resting" ? c.ex.book(o.ticker).queuePosition(o) : 0) });
    },
  ],

  // ---- V2 order writes ----
  [
    "POST",
    "/portfolio/events/orders",
    "required",
    (c) => {
      const { order } = c.ex.placeOrder(me(c).userId, v2Order(jsonBody(c)));
      return ok(v2CreateReply(order, c.ex.now()), 201);
    },
  ],
  [
    "POST",
    "/portfolio/events/orders/batched",
    "required",
    (c) => {
      const body = jsonBody(c);
      if (!Array.isArray(body.orders) || body.orders.length === 0)
        throw E.nested(400, "invalid_parameters", { message: "invalid parameters", details: "orders is required" });
      const a = me(c);
      // The decoder reads the whole body before any order is placed: a mistyped field in any item
      // fails the request as a whole (flat 400), unlike a rejected order, which fails only its item.
      for (const raw of body.orders) {
        if (typeof raw === "object" && raw !== null && !Array.isArray(raw))
          goDecode(raw as Record<string, unknown>, CREATE_V2_FIELDS, "BatchCreateOrdersV2Request.orders");
      }
      const orders = body.orders.map((raw: unknown) => {
        try {
          const { order } = c.ex.placeOrder(a.userId, v2Order(raw));
          return v2CreateReply(order, c.ex.now());
        } catch (e) {
          const cid = (raw as { client_order_id?: unknown })?.client_order_id;
          return { client_order_id: typeof cid === "string" ? cid : null, error: errorDetail(e) };
        }
      });
      return ok({ orders }, 201);
    },
  ],
  [
    "DELETE",
    "/portfolio/events/orders/batched",
    "required",
    (c) => {
      const r = parseWith(BatchCancelOrdersV2Request, jsonBody(c));
      const a = me(c);
      const orders = r.orders.map((it) => {
        try {
          c.ex.checkShard(a.userId, it.order_id, { marketTicker: it.market_ticker, exchangeIndex: it.exchange_index });
          const { order, reducedBy } = c.ex.cancelOrder(a.userId, it.order_id);
          // Kalshi's cancel answers carry no client_order_id, even for orders that have one (see below).
          return { order_id: order.id, reduced_by: formatCount(reducedBy), ts_ms: c.ex.now() };
        } catch (e) {
          // reduced_by is required on every item by the SDK's model, failures included.
          return { error: errorDetail(e), order_id: it.order_id, reduced_by: formatCount(0) };
        }
      });
      return ok({ orders });
    },
  ],
  [
    "DELETE",
    "/portfolio/events/orders",
    "required",
    (c) => {
      const sub = intParam(c, "subaccount");
      c.ex.cancelAll(me(c).userId, sub ?? undefined);
      return { status: 204 };
    },
  ],
  [
    "DELETE",
    "/portfolio/events/orders/:order_id",
    "required",
    (c) => {
      c.ex.checkShard(me(c).userId, c.params.order_id!, {
        marketTicker: c.q.get("market_ticker"),
        exchangeIndex: intParam(c, "exchange_index"),
      });
      const { order, reducedBy } = c.ex.cancelOrder(me(c).userId, c.params.order_id!);
      // Recorded twice (fixtures/orders__cancel_v2, cleanup__stp_resting): the answer is
      // {order_id, reduced_by, ts_ms} without the order's client_order_id, although the SDK model allows one.
      return ok({ order_id: order.id, reduced_by: formatCount(reducedBy), ts_ms: c.ex.now() });
    },
  ],
  [
    "POST",
    "/portfolio/events/orders/:order_id/amend",
    "required",
    (c) => {
      const body = jsonBody(c);
      goDecode(
        body,
        {
          ticker: "string",
          side: "string",
          price: "string",
          count: "string",
          client_order_id: "string",
          updated_client_order_id: "string",
          exchange_index: "int",
        },
        "AmendOrderV2Request",
      );
      const r = parseWith(AmendOrderV2Request, body);
      const a = me(c);
      const existing = c.ex.liveOrder(a.userId, c.params.order_id!);
      if (existing.ticker !== r.ticker || existing.side !== r.side) throw E.invalidOrder("ticker and side must match the order");
      const { order } = c.ex.amendOrder(a.userId, existing.id, r.price, r.count, r.updated_client_order_id);
      const out: Record<string, unknown> = {
        ...W.averages(order),
        fill_count: formatCount(order.filled),
        order_id: order.id,
        remaining_count: formatCount(order.remaining),
        ts_ms: c.ex.now(),
      };
      if (order.clientOrderId) out.client_order_id = order.clientOrderId;
      return ok(out);
    },
  ],
  [
    "POST",
    "/portfolio/events/orders/:order_id/decrease",
    "required",
    (c) => {
      const body = jsonBody(c);
      goDecode(
        body,
        { reduce_by: "string", reduce_to: "string", exchange_index: "int", market_ticker: "string" },
        "DecreaseOrderV2Request",
      );
      const r = parseWith(DecreaseOrderV2Request, body);
      c.ex.checkShard(me(c).userId, c.params.order_id!, { marketTicker: r.market_ticker, exchangeIndex: r.exchange_index });
      const o = c.ex.decreaseOrder(me(c).userId, c.params.order_id!, { reduceBy: r.reduce_by, reduceTo: r.reduce_to });
      const out: Record<string, unknown> = { order_id: o.id, remaining_count: formatCount(o.remaining), ts_ms: c.ex.now() };
      if (o.clientOrderId) out.client_order_id = o.clientOrderId;
      return ok(out);
    },
  ],

  // ---- legacy order writes (still answering on Kalshi) ----
  [
    "POST",
    "/portfolio/orders",
    "required",
    (c) => {
      const { order } = c.ex.placeOrder(me(c).userId, legacyOrder(jsonBody(c)));
      return ok({ order: W.orderJson(order) }, 201);
    },
  ],
  [
    "DELETE",
    "/portfolio/orders/:order_id",
    "required",
    (c) => {
      const { order, reducedBy } = c.ex.cancelOrder(me(c).userId, c.params.order_id!);
      return ok({ order: W.orderJson(order), reduced_by_fp: formatCount(reducedBy) });
    },
  ],
  [
    "POST",
    "/portfolio/orders/:order_id/decrease",
    "required",
    (c) => {
      const body = jsonBody(c);
      const num = (k: string) =>
        typeof body[k] === "number"
          ? (body[k] as number) * 100
          : typeof body[`${k}_fp`] === "string"
            ? parseCount(body[`${k}_fp`] as string)
            : undefined;
      const o = c.ex.decreaseOrder(me(c).userId, c.params.order_id!, { reduceBy: num("reduce_by"), reduceTo: num("reduce_to") });
      return ok({ order: W.orderJson(o) });
    },
  ],

  // ---- order groups ----
  [
    "POST",
    "/portfolio/order_groups/create",
    "required",
    (c) => {
      const r = parseWith(CreateOrderGroupRequest, jsonBody(c));
      const limit = r.contracts_limit_fp ?? (r.contracts_limit ?? 0) * 100;
      const g = c.ex.createOrderGroup(me(c).userId, limit, r.subaccount ?? 0);
      return ok({ order_group_id: g.id, subaccount: g.subaccount }, 201);
    },
  ],
  [
    "GET",
    "/portfolio/order_groups",
    "required",
    (c) => {
      const a = me(c);
      const groups = [...c.ex.orderGroups.values()].filter((g) => g.userId === a.userId);
      return ok({
        order_groups: groups.map((g) => ({
          contracts_limit_fp: formatCount(g.contractsLimit),
          id: g.id,
          is_auto_cancel_enabled: g.triggered,
        })),
      });
    },
  ],
  [
    "GET",
    "/portfolio/order_groups/:id",
    "required",
    (c) => {
      const a = me(c);
      const g = c.ex.orderGroup(a.userId, c.params.id!);
      // "Retrieves details for a single order group including all order IDs" (Kalshi docs): every
      // order placed in the group, whatever its status, oldest first.
      const orders = a.orders.filter((o) => o.orderGroupId === g.id).map((o) => o.id);
      return ok({ contracts_limit_fp: formatCount(g.contractsLimit), is_auto_cancel_enabled: g.triggered, orders });
    },
  ],
  [
    "DELETE",
    "/portfolio/order_groups/:id",
    "required",
    (c) => {
      c.ex.deleteOrderGroup(me(c).userId, c.params.id!);
      return ok({});
    },
  ],
  [
    "PUT",
    "/portfolio/order_groups/:id/reset",
    "required",
    (c) => {
      c.ex.resetOrderGroup(me(c).userId, c.params.id!);
      return ok({});
    },
  ],
  [
    "PUT",
    "/portfolio/order_groups/:id/trigger",
    "required",
    (c) => {
      c.ex.triggerOrderGroup(me(c).userId, c.params.id!);
      return ok({});
    },
  ],
  [
    "PUT",
    "/portfolio/order_groups/:id/limit",
    "required",
    (c) => {
      const r = parseWith(UpdateOrderGroupLimitRequest, jsonBody(c));
      c.ex.setOrderGroupLimit(me(c).userId, c.params.id!, r.contracts_limit_fp ?? (r.contracts_limit ?? 0) * 100);
      return ok({});
    },
  ],
];

/** Kalshi's validator wording for a query parameter that failed a tag (`required`, `oneof`, `lte`). */
function paramError(op: string, field: string, tag: string): E.SimError {
  return E.bare(
    `Parameter validation failed for ${op}: Key: '${op}Params.${field}' Error:Field validation for '${field}' failed on the '${tag}' tag`,
  );
}

/** start_ts, end_ts and period_interval, validated as the candlestick endpoints do. */
function candleParams(c: Ctx, op: string): { start: number; end: number; period: number; before: boolean } {
  const start = intParam(c, "start_ts");
  const end = intParam(c, "end_ts");
  const period = intParam(c, "period_interval");
  if (start === null) throw paramError(op, "StartTs", "required");
  if (end === null) throw paramError(op, "EndTs", "required");
  if (period === null) throw paramError(op, "PeriodInterval", "required");
  if (!(CANDLE_PERIODS as readonly number[]).includes(period)) throw paramError(op, "PeriodInterval", "oneof");
  return { start, end, period, before: c.q.get("include_latest_before_start") === "true" };
}

function candles(c: Ctx): Reply {
  const m = market(c, c.params.ticker!);
  const p = candleParams(c, "GetMarketCandlesticks");
  return ok({ candlesticks: c.ex.candles.query(m.ticker, p.start, p.end, p.period, p.before), ticker: m.ticker });
}

/** Batch: up to 100 markets, comma-separated (API.md §3.7). */
function batchCandles(c: Ctx): Reply {
  const tickers = listParam(c, "market_tickers");
  if (!tickers) throw paramError("BatchGetMarketCandlesticks", "MarketTickers", "required");
  if (tickers.length > 100) throw paramError("BatchGetMarketCandlesticks", "MarketTickers", "max");
  const p = candleParams(c, "BatchGetMarketCandlesticks");
  return ok({
    markets: tickers.map((t) => ({
      candlesticks: c.ex.candles.query(market(c, t).ticker, p.start, p.end, p.period, p.before),
      market_ticker: t,
    })),
  });
}

function eventCandles(c: Ctx): Reply {
  const ev = c.ex.events.get(c.params.ticker!);
  if (!ev || ev.seriesTicker !== c.params.series_ticker) throw E.notFound();
  const p = candleParams(c, "GetMarketCandlesticksByEvent");
  return ok({
    adjusted_end_ts: p.end,
    market_candlesticks: ev.marketTickers.map((t) => c.ex.candles.query(t, p.start, p.end, p.period)),
    market_tickers: [...ev.marketTickers],
  });
}

const PREFIX = "/trade-api/v2";

export const ROUTES: Route[] = DEFS.map(([method, path, auth, handle]) => {
  const full = PREFIX + path;
  const costPath = full.replace(/:[a-z_]+/g, (s) => (s === ":id" ? ":order_group_id" : s));
  const cost = ENDPOINT_COSTS.find((e) => e.method === method && e.path === costPath)?.cost ?? DEFAULT_COST;
  // The usage-level upgrade "uses the Predictions Write bucket" (AccountApi docs).
  const write = method !== "GET" && (path.startsWith("/portfolio") || path === "/account/api_usage_level/upgrade");
  return { method, path: full, auth, write, handle, segments: full.split("/").filter(Boolean), cost };
});

/** A path segment, percent-decoded; a malformed escape stays as sent (an unknown id, not a 500). */
function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

export function matchRoute(method: string, pathname: string): { route: Route; params: Record<string, string> } | "method" | null {
  const segs = pathname.replace(/\/+$/, "").split("/").filter(Boolean);
  let pathMatched = false;
  for (const r of ROUTES) {
    if (r.segments.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let okm = true;
    for (let i = 0; i < segs.length; i++) {
      const p = r.segments[i]!;
      if (p.startsWith(":")) params[p.slice(1)] = decodeSegment(segs[i]!);
      else if (p !== segs[i]) {
        okm = false;
        break;
      }
    }
    if (!okm) continue;
    pathMatched = true;
    if (r.method === method) return { route: r, params };
  }
  return pathMatched ? "method" : null;
}
