// The Kalshi REST client: signed requests, typed bodies, rate-limited, retrying only what is safe
// to retry. Everything in kalshi-bot that talks to an exchange (Kalshi production, demo, or our
// local one) goes through this class; only the base URL and the key differ.
import { randomUUID, type KeyObject } from "node:crypto";
import { z } from "zod";
import { authHeaders, Presigner } from "./signer.ts";
import { KalshiApiError, errorFromNetwork, errorFromResponse } from "./errors.ts";
import { OverCapacityError, RateLimiter, backoffMs, sleep, type Tier } from "./rate-limit.ts";
import { normalizeBaseUrl, wsUrlFromBaseUrl } from "./urls.ts";
import * as W from "./wire/index.ts";
import { encodeAmendBody, encodeCreateBody } from "./wire/order-encode.ts";
import { fastDecodeMarket } from "./wire/rest-fast.ts";
import { parseListBody } from "./wire/json-list.ts";
import type { Count, Price } from "./money.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, msg: string) => void;
type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface KalshiClientOptions {
  /** REST base, e.g. KALSHI_HOSTS.demo.rest or `http://127.0.0.1:PORT` for the local exchange. */
  baseUrl: string;
  apiKeyId?: string;
  privateKey?: KeyObject;
  /** Usage tier, for the token buckets until /account/limits says otherwise. Default basic. */
  tier?: Tier;
  /** Per attempt, covering connect, headers and the whole body. Default 10 s. */
  timeoutMs?: number;
  logger?: Logger;
  fetch?: FetchLike;
  /** Retries for reads and cancels: attempts in total (default 5) and overall time budget (default 30 s). */
  maxAttempts?: number;
  retryBudgetMs?: number;
  /** Backoff base for retries (default 250 ms, capped at 8 s); tests shorten it. */
  backoffBaseMs?: number;
  /** Inject a limiter (shared between clients on the same key, or tuned in tests). */
  rateLimiter?: RateLimiter;
}

/** How a request may be retried. */
type RetryClass =
  | "read" // idempotent: retry on 429, 5xx, 408, network, timeout
  | "cancel" // idempotent in effect: same as read
  | "once"; // order create/amend/decrease, order-group create: never resent

interface Call<S extends z.ZodType> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Endpoint template for errors and logs, e.g. `/markets/{ticker}`. */
  endpoint: string;
  /** Concrete path under the base URL, e.g. `/markets/ABC`. */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  schema: S;
  auth: boolean;
  retry: RetryClass;
  /** Batch endpoints cost per item. */
  items?: number;
  /**
   * A list answer's member read item by item from the body's bytes (json-list.ts): the daemon's
   * large pages never become one string of the whole body.
   */
  list?: string;
  clientOrderId?: string | undefined;
  signal?: AbortSignal | undefined;
}

type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string> | RepeatedParam;

/** A book level: [price (1/10,000 $), resting count (1/100 contract)]. */
export type Level = readonly [Price, Count];
export interface Orderbook {
  ticker: string;
  /** YES bids, best (highest) first. */
  yes: Level[];
  /** NO bids in NO-leg prices, best (highest) first. A NO bid at p is a YES ask at 1 − p. */
  no: Level[];
}

export interface Page<T> {
  items: T[];
  /** "" or undefined on the last page. */
  cursor: string | undefined;
}

// ---- query parameter shapes -----------------------------------------------------------------------

export interface MarketsQuery {
  limit?: number;
  cursor?: string;
  event_ticker?: string;
  series_ticker?: string;
  min_created_ts?: number;
  max_created_ts?: number;
  min_updated_ts?: number;
  max_close_ts?: number;
  min_close_ts?: number;
  min_settled_ts?: number;
  max_settled_ts?: number;
  status?: W.MarketStatusFilter;
  tickers?: ReadonlyArray<string>;
  mve_filter?: "only" | "exclude";
}
export interface EventsQuery {
  limit?: number;
  cursor?: string;
  with_nested_markets?: boolean;
  with_milestones?: boolean;
  status?: W.EventStatusFilter;
  series_ticker?: string;
  tickers?: ReadonlyArray<string>;
  min_close_ts?: number;
  min_updated_ts?: number;
}
export interface SeriesListQuery {
  category?: string;
  tags?: string;
  include_product_metadata?: boolean;
  include_volume?: boolean;
  min_updated_ts?: number;
}
export interface TradesQuery {
  limit?: number;
  cursor?: string;
  ticker?: string;
  min_ts?: number;
  max_ts?: number;
  is_block_trade?: boolean;
}
export interface HistoricalMarketsQuery {
  limit?: number;
  cursor?: string;
  event_ticker?: string;
  series_ticker?: string;
  tickers?: ReadonlyArray<string>;
}
export interface CandlesticksQuery {
  start_ts: number;
  end_ts: number;
  period_interval: 1 | 60 | 1440;
  include_latest_before_start?: boolean;
}
export interface AccountScope {
  subaccount?: number;
  exchange_index?: number;
}
export interface PositionsQuery extends AccountScope {
  limit?: number;
  cursor?: string;
  count_filter?: string;
  ticker?: string;
  event_ticker?: string;
}
export interface FillsQuery extends AccountScope {
  limit?: number;
  cursor?: string;
  ticker?: string;
  order_id?: string;
  min_ts?: number;
  max_ts?: number;
}
export interface SettlementsQuery {
  limit?: number;
  cursor?: string;
  ticker?: string;
  event_ticker?: string;
  min_ts?: number;
  max_ts?: number;
  subaccount?: number;
}
export interface OrdersQuery extends AccountScope {
  limit?: number;
  cursor?: string;
  ticker?: string;
  event_ticker?: string;
  min_ts?: number;
  max_ts?: number;
  status?: "resting" | "canceled" | "executed";
}
export interface CancelScope extends AccountScope {
  market_ticker?: string;
}

/** A V2 order in integer units; `client_order_id` is generated when absent. */
export type CreateOrderInput = Omit<W.CreateOrderV2, "client_order_id"> & { client_order_id?: string };
export type CreateOrderResult = W.CreateOrderV2Result & { client_order_id: string };

/**
 * Resting orders whose amend and cancel paths are kept signed ahead (presignOrderPaths). Each path
 * is re-signed about once a second (a signature lives 2 s and is replaced at half its life), so
 * this bounds that work: 48 paths ≈ 48 signatures a second ≈ 4% of one core. A market maker quoting
 * its default 8 markets rests 16 orders.
 */
const PRESIGNED_ORDERS = 24;

export const MAX_PAGE = {
  markets: 1000,
  events: 200,
  trades: 1000,
  positions: 1000,
  fills: 1000,
  settlements: 1000,
  orders: 1000,
} as const;

export interface WalkOptions {
  /** Stop after this many pages (a guard for callers, not a pagination limit). */
  maxPages?: number;
  signal?: AbortSignal;
}

// ---- the client -----------------------------------------------------------------------------------

export class KalshiClient {
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly limiter: RateLimiter;
  private readonly apiKeyId: string | undefined;
  private readonly privateKey: KeyObject | undefined;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly fetchImpl: FetchLike;
  private readonly maxAttempts: number;
  private readonly retryBudgetMs: number;
  private readonly backoffBaseMs: number;
  /** exchange_index of every market seen in an answer (its shard), for routing writes. */
  private readonly shards = new Map<string, number>();
  /** Malformed list items already reported (kind:id), so each is logged once. */
  private readonly reportedBad = new Set<string>();
  /** Malformed list items skipped so far (for heartbeats and tests). */
  skippedItems = 0;
  /** Pathname prefix of baseUrl (`/trade-api/v2`, or longer behind a proxy); part of what is signed. */
  private readonly basePath: string;

  constructor(opts: KalshiClientOptions) {
    this.baseUrl = normalizeBaseUrl(opts.baseUrl);
    this.wsUrl = wsUrlFromBaseUrl(this.baseUrl);
    this.basePath = new URL(this.baseUrl).pathname;
    this.apiKeyId = opts.apiKeyId;
    this.privateKey = opts.privateKey;
    if ((this.apiKeyId === undefined) !== (this.privateKey === undefined)) {
      throw new Error("KalshiClient: apiKeyId and privateKey must be given together");
    }
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.log = opts.logger ?? (() => {});
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.retryBudgetMs = opts.retryBudgetMs ?? 30_000;
    this.backoffBaseMs = opts.backoffBaseMs ?? 250;
    this.limiter = opts.rateLimiter ?? new RateLimiter({ tier: opts.tier ?? "basic" });
  }

  /** The shard (`exchange_index`) of a market seen in an answer, if it named one. */
  shardOf(ticker: string): number | undefined {
    return this.shards.get(ticker);
  }

  /**
   * Forget the shard of every market `keep` says no to (a full load of the scope: what is open or held).
   * A daemon meets thousands of new markets a week; without this the table grew by each for good.
   * A market met again in an answer is learnt again; a write meanwhile names its ticker only.
   */
  retainShards(keep: (ticker: string) => boolean): void {
    for (const t of this.shards.keys()) if (!keep(t)) this.shards.delete(t);
  }

  /** Orders per batch create that fit the exchange's write bucket (each item is billed), at most 20. */
  maxBatchCreate(): number {
    return Math.min(20, this.limiter.maxBatchItems("POST", `${this.basePath}/portfolio/events/orders/batched`));
  }

  /**
   * Items of a list answer, each parsed on its own: a malformed one is skipped and reported once
   * (with its id) instead of failing the page, and so the whole cycle.
   */
  private items<S extends z.ZodType>(
    raw: ReadonlyArray<unknown>,
    schema: S,
    kind: string,
    idKey: string,
    fast?: (it: unknown) => z.output<S> | undefined,
  ): Array<z.output<S>> {
    const out: Array<z.output<S>> = [];
    for (const it of raw) {
      const quick = fast?.(it);
      if (quick !== undefined) {
        out.push(quick);
        continue;
      }
      const r = schema.safeParse(it);
      if (r.success) {
        out.push(r.data);
        continue;
      }
      this.skippedItems++;
      const id = typeof it === "object" && it !== null ? String((it as Record<string, unknown>)[idKey] ?? "?") : "?";
      const key = `${kind}:${id}`;
      if (this.reportedBad.has(key)) continue;
      this.reportedBad.add(key);
      const why = r.error.issues
        .slice(0, 2)
        .map((i) => `${i.path.join(".") || "(item)"}: ${i.message}`)
        .join("; ");
      this.log("warn", `skipped a malformed ${kind} ${id} (${why}); the rest of the page is used`);
    }
    return out;
  }

  private markets(raw: ReadonlyArray<unknown>): W.Market[] {
    // Decoded in place where the compiled decoder vouches for a market (rest-fast.ts), else by zod.
    const ms = this.items(raw, W.Market, "market", "ticker", fastDecodeMarket);
    for (const m of ms) if (m.exchange_index !== undefined) this.shards.set(m.ticker, m.exchange_index);
    return ms;
  }

  private events(raw: ReadonlyArray<unknown>): W.EventData[] {
    return this.items(raw, EventLoose, "event", "event_ticker").map(({ markets, ...e }) => ({
      ...e,
      ...(markets ? { markets: this.markets(markets) } : {}),
    }));
  }

  /** Shard fields for a write on `ticker`: market_ticker always, exchange_index when known. */
  private indexOf(ticker: string): { exchange_index?: number } {
    const ix = this.shards.get(ticker);
    return ix !== undefined ? { exchange_index: ix } : {};
  }

  private shardScope(ticker: string | undefined): { market_ticker?: string; exchange_index?: number } {
    if (!ticker) return {};
    const ix = this.shards.get(ticker);
    return { market_ticker: ticker, ...(ix !== undefined ? { exchange_index: ix } : {}) };
  }

  get hasCredentials(): boolean {
    return this.privateKey !== undefined;
  }

  private presigner: Presigner | undefined;

  /** Called right before a request is handed to fetch (the daemon's latency figure stamps it there). */
  beforeFetch: (() => void) | null = null;

  /** Requests handed to fetch so far, retries included (the daemon's idle report: bot.ts). */
  requestsSent = 0;

  /**
   * Keep signatures for order create (single and batched) ready ahead of time (see Presigner): the daemon's hot path then
   * sends without RSA work. Returns the presigner (stats; stop() ends it). Needs credentials.
   */
  presignOrders(maxAgeMs = 2_000): Presigner | undefined {
    if (!this.apiKeyId || !this.privateKey) return undefined;
    this.presigner?.stop();
    this.presigner = new Presigner(this.apiKeyId, this.privateKey, maxAgeMs);
    this.presigner.keepReady([
      ["POST", `${this.basePath}/portfolio/events/orders`, 4],
      ["POST", `${this.basePath}/portfolio/events/orders/batched`, 4],
    ]);
    return this.presigner;
  }

  /**
   * Keep an amend and a cancel signature ready for each of these resting orders (at most
   * PRESIGNED_ORDERS of them, the first listed), replacing the last list: a requote is an amend
   * whose path names the order, so without this its signature (~1 ms of RSA) is made on the spot,
   * between the book update and the request. No-op until presignOrders() started the presigner.
   */
  presignOrderPaths(orderIds: Iterable<string>): void {
    const p = this.presigner;
    if (!p) return;
    const endpoints: Array<readonly [string, string]> = [];
    for (const id of orderIds) {
      if (endpoints.length >= 2 * PRESIGNED_ORDERS) break;
      const path = `${this.basePath}/portfolio/events/orders/${enc(id)}`;
      endpoints.push(["POST", `${path}/amend`], ["DELETE", path]);
    }
    p.keepGroup("orders", endpoints);
  }

  /** Signed headers for an arbitrary method + pathname (the WebSocket handshake uses this too). */
  signHeaders(method: string, pathname: string): Record<string, string> {
    if (!this.apiKeyId || !this.privateKey) return {};
    return { ...authHeaders(this.apiKeyId, this.privateKey, method, pathname) };
  }

  // ---- core ---------------------------------------------------------------------------------------

  private async call<S extends z.ZodType>(c: Call<S>): Promise<z.output<S>> {
    const endpointLabel = c.endpoint;
    if (c.auth && !this.privateKey) {
      throw new KalshiApiError({
        kind: "invalid_request",
        status: 0,
        code: "missing_credentials",
        message: "this endpoint needs an API key id and private key",
        method: c.method,
        endpoint: endpointLabel,
        outcome: "rejected",
        clientOrderId: c.clientOrderId,
      });
    }
    const qs = buildQuery(c.query);
    const url = `${this.baseUrl}${c.path}${qs}`;
    const signPath = `${this.basePath}${c.path}`;
    const bodyText = c.body === undefined ? undefined : JSON.stringify(c.body);
    const maxAttempts = c.retry === "once" ? 1 : this.maxAttempts;
    const started = performance.now();
    let attempt = 0;
    let lastError: KalshiApiError | undefined;

    while (attempt < maxAttempts) {
      attempt++;
      if (c.signal?.aborted) throw c.signal.reason ?? new Error("aborted");
      let res: Awaited<ReturnType<RateLimiter["acquire"]>>;
      try {
        // No promise turn when no wait is due: the request then leaves in the caller's own turn.
        res = this.limiter.reserve(c.method, signPath, c.items ?? 1);
        if (res.waitedMs > 0) await this.limiter.waitOut(res, c.signal);
      } catch (e) {
        if (!(e instanceof OverCapacityError)) throw e;
        throw new KalshiApiError({
          kind: "invalid_request",
          status: 0,
          code: "exceeds_bucket_capacity",
          message: e.message,
          method: c.method,
          endpoint: endpointLabel,
          outcome: "rejected",
          clientOrderId: c.clientOrderId,
        });
      }
      const headers: Record<string, string> = { accept: "application/json" };
      if (bodyText !== undefined) headers["content-type"] = "application/json";
      // Signed per attempt: the timestamp must be fresh, and the window is only seconds wide.
      if (this.privateKey && this.apiKeyId)
        Object.assign(headers, this.presigner?.take(c.method, signPath) ?? authHeaders(this.apiKeyId, this.privateKey, c.method, signPath));

      const t0 = performance.now();
      let status = 0;
      let text = "";
      let bytes: Uint8Array | null = null;
      const ctrl = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctrl.abort(new Error("timeout"));
      }, this.timeoutMs);
      const onOuterAbort = () => ctrl.abort(c.signal?.reason);
      c.signal?.addEventListener("abort", onOuterAbort, { once: true });
      try {
        this.beforeFetch?.();
        this.requestsSent++;
        const resp = await this.fetchImpl(url, { method: c.method, headers, body: bodyText, signal: ctrl.signal });
        status = resp.status;
        // The timeout keeps running while the body streams in: a stalled body is a timeout too.
        if (c.list !== undefined && status >= 200 && status < 300) bytes = await resp.bytes();
        else text = await resp.text();
      } catch (e) {
        if (c.signal?.aborted && !timedOut) throw c.signal.reason ?? e;
        lastError = errorFromNetwork(e, {
          method: c.method,
          endpoint: endpointLabel,
          clientOrderId: c.clientOrderId,
          timedOut,
          timeoutMs: this.timeoutMs,
          attempts: attempt,
        });
        this.log(
          "warn",
          `${c.method} ${endpointLabel}: ${lastError.code} after ${Math.round(performance.now() - t0)} ms (attempt ${attempt})`,
        );
        if (await this.shouldRetry(attempt, maxAttempts, started, c.signal)) continue;
        throw lastError;
      } finally {
        clearTimeout(timer);
        c.signal?.removeEventListener("abort", onOuterAbort);
      }

      const ms = Math.round(performance.now() - t0);
      if (status >= 200 && status < 300) {
        this.log("debug", `${c.method} ${endpointLabel} ${status} ${ms} ms (cost ${res.cost}, waited ${Math.round(res.waitedMs)} ms)`);
        return this.parseBody(c, status, bytes ?? text, attempt);
      }
      lastError = errorFromResponse(status, text, {
        method: c.method,
        endpoint: endpointLabel,
        clientOrderId: c.clientOrderId,
        attempts: attempt,
      });
      if (status === 429) this.limiter.onRateLimited(res.bucket);
      this.log(
        status >= 500 || status === 429 ? "warn" : "debug",
        `${c.method} ${endpointLabel} ${status} ${lastError.code} ${ms} ms (attempt ${attempt})`,
      );
      if (lastError.retryable && (await this.shouldRetry(attempt, maxAttempts, started, c.signal))) continue;
      throw lastError;
    }
    throw lastError ?? new Error("unreachable");
  }

  private async shouldRetry(attempt: number, maxAttempts: number, started: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (attempt >= maxAttempts) return false;
    const delay = backoffMs(attempt - 1, this.backoffBaseMs);
    if (performance.now() - started + delay > this.retryBudgetMs) return false;
    await sleep(delay, signal);
    return true;
  }

  private parseBody<S extends z.ZodType>(c: Call<S>, status: number, body: string | Uint8Array, attempts: number): z.output<S> {
    let json: unknown = {};
    const listed = typeof body === "string" || c.list === undefined || status === 204 ? undefined : parseListBody(body, c.list);
    // Anything not in the list's plain form: the whole text, parsed (and refused) as before.
    const text = listed !== undefined ? "" : typeof body === "string" ? body : UTF8.decode(body);
    if (listed !== undefined) json = listed;
    else if (status !== 204 && text.trim() !== "") {
      try {
        json = JSON.parse(text);
      } catch {
        throw this.badResponse(c, "body is not JSON", attempts);
      }
    }
    const r = c.schema.safeParse(json);
    if (r.success) return r.data;
    const first = r.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join(".") : "(body)"}: ${i.message}`);
    throw this.badResponse(c, first.join("; "), attempts);
  }

  private badResponse(c: Call<z.ZodType>, message: string, attempts: number): KalshiApiError {
    return new KalshiApiError({
      kind: "invalid_response",
      status: 200,
      code: "invalid_response",
      message,
      method: c.method,
      endpoint: c.endpoint,
      // A write that answered 2xx was accepted; we just cannot read the answer: look it up.
      outcome: c.method === "GET" ? "rejected" : "unknown",
      clientOrderId: c.clientOrderId,
      attempts,
    });
  }

  private encode<S extends z.ZodType>(schema: S, value: z.output<S>, method: string, endpoint: string, clientOrderId?: string): z.input<S> {
    const r = z.safeEncode(schema, value);
    if (r.success) return r.data;
    throw new KalshiApiError({
      kind: "invalid_request",
      status: 0,
      code: "invalid_request",
      message: r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
        .join("; "),
      method,
      endpoint,
      outcome: "rejected",
      clientOrderId,
    });
  }

  /** Walk a cursor-paginated endpoint to the end (the last page has `cursor: ""`). */
  async *paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, opts: WalkOptions = {}): AsyncGenerator<T[], void, void> {
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (let pages = 0; opts.maxPages === undefined || pages < opts.maxPages; pages++) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
      const page = await fetchPage(cursor);
      yield page.items;
      if (!page.cursor) return;
      // A server that hands back a cursor it already gave would loop forever.
      if (seen.has(page.cursor)) throw new Error(`pagination loop: cursor repeated after ${pages + 1} pages`);
      seen.add(page.cursor);
      cursor = page.cursor;
    }
  }

  private async collect<T>(gen: AsyncGenerator<T[], void, void>): Promise<T[]> {
    const out: T[] = [];
    for await (const items of gen) for (const it of items) out.push(it);
    return out;
  }

  // ---- exchange -----------------------------------------------------------------------------------

  getExchangeStatus(signal?: AbortSignal): Promise<W.ExchangeStatus> {
    return this.call({
      method: "GET",
      endpoint: "/exchange/status",
      path: "/exchange/status",
      schema: W.ExchangeStatus,
      auth: false,
      retry: "read",
      signal,
    });
  }

  async getExchangeSchedule(signal?: AbortSignal): Promise<W.ExchangeSchedule> {
    const r = await this.call({
      method: "GET",
      endpoint: "/exchange/schedule",
      path: "/exchange/schedule",
      schema: W.ExchangeScheduleResponse,
      auth: false,
      retry: "read",
      signal,
    });
    return r.schedule;
  }

  /** When portfolio data (balance, orders, fills, positions) was last validated. */
  async getUserDataTimestamp(signal?: AbortSignal): Promise<string> {
    const r = await this.call({
      method: "GET",
      endpoint: "/exchange/user_data_timestamp",
      path: "/exchange/user_data_timestamp",
      schema: W.UserDataTimestampResponse,
      auth: false,
      retry: "read",
      signal,
    });
    return r.as_of_time;
  }

  // ---- series & events ----------------------------------------------------------------------------

  async getSeries(seriesTicker: string, query: { include_volume?: boolean } = {}, signal?: AbortSignal): Promise<W.Series> {
    const r = await this.call({
      method: "GET",
      endpoint: "/series/{series_ticker}",
      path: `/series/${enc(seriesTicker)}`,
      query: { ...query },
      schema: W.GetSeriesResponse,
      auth: false,
      retry: "read",
      signal,
    });
    return r.series;
  }

  async listSeries(query: SeriesListQuery = {}, signal?: AbortSignal): Promise<W.Series[]> {
    const r = await this.call({
      method: "GET",
      endpoint: "/series",
      path: "/series",
      query: { ...query },
      schema: W.GetSeriesListResponse,
      auth: false,
      retry: "read",
      signal,
    });
    return r.series;
  }

  async listEvents(query: EventsQuery = {}, signal?: AbortSignal): Promise<Page<W.EventData>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/events",
      path: "/events",
      query: { ...query },
      schema: Loose.events,
      list: "events",
      auth: false,
      retry: "read",
      signal,
    });
    return { items: this.events(r.events), cursor: r.cursor };
  }

  walkEvents(query: Omit<EventsQuery, "cursor"> = {}, opts: WalkOptions = {}): AsyncGenerator<W.EventData[], void, void> {
    const q = { limit: MAX_PAGE.events, ...query };
    return this.paginate((cursor) => this.listEvents({ ...q, cursor }, opts.signal), opts);
  }

  allEvents(query: Omit<EventsQuery, "cursor"> = {}, opts: WalkOptions = {}): Promise<W.EventData[]> {
    return this.collect(this.walkEvents(query, opts));
  }

  /** One event; with `with_nested_markets` its markets are in `event.markets`. */
  async getEvent(eventTicker: string, query: { with_nested_markets?: boolean } = {}, signal?: AbortSignal): Promise<W.GetEventResponse> {
    const r = await this.call({
      method: "GET",
      endpoint: "/events/{event_ticker}",
      path: `/events/${enc(eventTicker)}`,
      query: { ...query },
      schema: Loose.event,
      auth: false,
      retry: "read",
      signal,
    });
    const [event] = this.events([r.event]);
    if (!event)
      throw this.badResponse(
        { method: "GET", endpoint: "/events/{event_ticker}", path: "", schema: W.GetEventResponse, auth: false, retry: "read" },
        `event ${eventTicker} is malformed`,
        1,
      );
    const { markets, ...rest } = r;
    return { ...rest, event, ...(markets ? { markets: this.markets(markets) } : {}) };
  }

  // ---- markets ------------------------------------------------------------------------------------

  async listMarkets(query: MarketsQuery = {}, signal?: AbortSignal): Promise<Page<W.Market>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/markets",
      path: "/markets",
      query: { ...query },
      schema: Loose.markets,
      auth: false,
      retry: "read",
      signal,
    });
    return { items: this.markets(r.markets), cursor: r.cursor };
  }

  /** Pages of markets at the maximum page size (1000), to the last page. */
  walkMarkets(query: Omit<MarketsQuery, "cursor"> = {}, opts: WalkOptions = {}): AsyncGenerator<W.Market[], void, void> {
    const q = { limit: MAX_PAGE.markets, ...query };
    return this.paginate((cursor) => this.listMarkets({ ...q, cursor }, opts.signal), opts);
  }

  allMarkets(query: Omit<MarketsQuery, "cursor"> = {}, opts: WalkOptions = {}): Promise<W.Market[]> {
    return this.collect(this.walkMarkets(query, opts));
  }

  async getMarket(ticker: string, signal?: AbortSignal): Promise<W.Market> {
    const r = await this.call({
      method: "GET",
      endpoint: "/markets/{ticker}",
      path: `/markets/${enc(ticker)}`,
      schema: W.GetMarketResponse,
      auth: false,
      retry: "read",
      signal,
    });
    if (r.market.exchange_index !== undefined) this.shards.set(r.market.ticker, r.market.exchange_index);
    return r.market;
  }

  /** The order book (bids per side). `depth` 1–100 levels; omitted or 0 = all. Signed, per the 3.30 spec. */
  async getOrderbook(ticker: string, depth?: number, signal?: AbortSignal): Promise<Orderbook> {
    const r = await this.call({
      method: "GET",
      endpoint: "/markets/{ticker}/orderbook",
      path: `/markets/${enc(ticker)}/orderbook`,
      query: { depth },
      schema: W.GetMarketOrderbookResponse,
      auth: this.hasCredentials,
      retry: "read",
      signal,
    });
    return toOrderbook(ticker, r.orderbook_fp);
  }

  async getOrderbooks(tickers: ReadonlyArray<string>, signal?: AbortSignal): Promise<Orderbook[]> {
    const r = await this.call({
      method: "GET",
      endpoint: "/markets/orderbooks",
      path: "/markets/orderbooks",
      // Repeated `tickers=` parameters, as the official SDK sends them.
      query: { tickers: new RepeatedParam(tickers) },
      schema: W.GetMarketOrderbooksResponse,
      auth: true,
      retry: "read",
      signal,
    });
    return r.orderbooks.map((b) => toOrderbook(b.ticker, b.orderbook_fp));
  }

  async listTrades(query: TradesQuery = {}, signal?: AbortSignal): Promise<Page<W.Trade>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/markets/trades",
      path: "/markets/trades",
      query: { ...query },
      schema: Loose.trades,
      auth: false,
      retry: "read",
      signal,
    });
    return { items: this.items(r.trades, W.Trade, "trade", "trade_id"), cursor: r.cursor };
  }

  walkTrades(query: Omit<TradesQuery, "cursor"> = {}, opts: WalkOptions = {}): AsyncGenerator<W.Trade[], void, void> {
    const q = { limit: MAX_PAGE.trades, ...query };
    return this.paginate((cursor) => this.listTrades({ ...q, cursor }, opts.signal), opts);
  }

  // ---- historical (GET /historical/cutoff says which side of the boundary a record is on) ---------

  getHistoricalCutoff(signal?: AbortSignal): Promise<W.HistoricalCutoff> {
    return this.call({
      method: "GET",
      endpoint: "/historical/cutoff",
      path: "/historical/cutoff",
      schema: W.HistoricalCutoff,
      auth: false,
      retry: "read",
      signal,
    });
  }

  /** Markets archived before the cutoff; the filters are mutually exclusive (Kalshi's spec). */
  async listHistoricalMarkets(query: HistoricalMarketsQuery = {}, signal?: AbortSignal): Promise<Page<W.Market>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/historical/markets",
      path: "/historical/markets",
      query: { ...query },
      schema: Loose.markets,
      auth: false,
      retry: "read",
      signal,
    });
    return { items: this.markets(r.markets), cursor: r.cursor };
  }

  walkHistoricalMarkets(
    query: Omit<HistoricalMarketsQuery, "cursor"> = {},
    opts: WalkOptions = {},
  ): AsyncGenerator<W.Market[], void, void> {
    const q = { limit: MAX_PAGE.markets, ...query };
    return this.paginate((cursor) => this.listHistoricalMarkets({ ...q, cursor }, opts.signal), opts);
  }

  /** Trades created before the cutoff (GetTradesResponse shape). */
  async listHistoricalTrades(query: Omit<TradesQuery, "is_block_trade"> = {}, signal?: AbortSignal): Promise<Page<W.Trade>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/historical/trades",
      path: "/historical/trades",
      query: { ...query },
      schema: Loose.trades,
      auth: false,
      retry: "read",
      signal,
    });
    return { items: this.items(r.trades, W.Trade, "trade", "trade_id"), cursor: r.cursor };
  }

  walkHistoricalTrades(
    query: Omit<TradesQuery, "cursor" | "is_block_trade"> = {},
    opts: WalkOptions = {},
  ): AsyncGenerator<W.Trade[], void, void> {
    const q = { limit: MAX_PAGE.trades, ...query };
    return this.paginate((cursor) => this.listHistoricalTrades({ ...q, cursor }, opts.signal), opts);
  }

  async getCandlesticks(
    seriesTicker: string,
    ticker: string,
    query: CandlesticksQuery,
    signal?: AbortSignal,
  ): Promise<W.MarketCandlestick[]> {
    const r = await this.call({
      method: "GET",
      endpoint: "/series/{series_ticker}/markets/{ticker}/candlesticks",
      path: `/series/${enc(seriesTicker)}/markets/${enc(ticker)}/candlesticks`,
      query: { ...query },
      schema: W.GetMarketCandlesticksResponse,
      auth: false,
      retry: "read",
      signal,
    });
    return r.candlesticks;
  }

  /** Candles of a market archived before the historical cutoff (the live endpoint no longer has them). */
  async getHistoricalCandlesticks(
    ticker: string,
    query: Omit<CandlesticksQuery, "include_latest_before_start">,
    signal?: AbortSignal,
  ): Promise<W.MarketCandlestickHistorical[]> {
    const r = await this.call({
      method: "GET",
      endpoint: "/historical/markets/{ticker}/candlesticks",
      path: `/historical/markets/${enc(ticker)}/candlesticks`,
      query: { ...query },
      schema: W.GetMarketCandlesticksHistoricalResponse,
      auth: false,
      retry: "read",
      signal,
    });
    return r.candlesticks;
  }

  /** Candles for up to 100 markets in one request. */
  async getCandlesticksBatch(
    tickers: ReadonlyArray<string>,
    query: CandlesticksQuery,
    signal?: AbortSignal,
  ): Promise<Map<string, W.MarketCandlestick[]>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/markets/candlesticks",
      path: "/markets/candlesticks",
      query: { market_tickers: tickers, ...query },
      schema: W.BatchGetMarketCandlesticksResponse,
      auth: false,
      retry: "read",
      signal,
    });
    return new Map(r.markets.map((m) => [m.market_ticker, m.candlesticks]));
  }

  // ---- portfolio ----------------------------------------------------------------------------------

  /** Balance: `balance` and `portfolio_value` stay integer cents as on the wire; `balance_dollars` is Micros. */
  getBalance(scope: AccountScope = {}, signal?: AbortSignal): Promise<W.Balance> {
    return this.call({
      method: "GET",
      endpoint: "/portfolio/balance",
      path: "/portfolio/balance",
      query: { ...scope },
      schema: W.GetBalanceResponse,
      auth: true,
      retry: "read",
      signal,
    });
  }

  async listPositions(query: PositionsQuery = {}, signal?: AbortSignal): Promise<W.Positions> {
    const r = await this.call({
      method: "GET",
      endpoint: "/portfolio/positions",
      path: "/portfolio/positions",
      query: { ...query },
      schema: Loose.positions,
      auth: true,
      retry: "read",
      signal,
    });
    return {
      ...r,
      market_positions: this.items(r.market_positions, W.MarketPosition, "market position", "ticker"),
      event_positions: this.items(r.event_positions, W.EventPosition, "event position", "event_ticker"),
    };
  }

  /** Every market and event position, walking all pages. */
  async allPositions(
    query: Omit<PositionsQuery, "cursor"> = {},
    opts: WalkOptions = {},
  ): Promise<{ market_positions: W.MarketPosition[]; event_positions: W.EventPosition[] }> {
    const market_positions: W.MarketPosition[] = [];
    const event_positions: W.EventPosition[] = [];
    const q = { limit: MAX_PAGE.positions, ...query };
    const gen = this.paginate(async (cursor) => {
      const r = await this.listPositions({ ...q, cursor }, opts.signal);
      event_positions.push(...r.event_positions);
      return { items: r.market_positions, cursor: r.cursor };
    }, opts);
    for await (const items of gen) market_positions.push(...items);
    return { market_positions, event_positions };
  }

  async listFills(query: FillsQuery = {}, signal?: AbortSignal): Promise<Page<W.Fill>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/portfolio/fills",
      path: "/portfolio/fills",
      query: { ...query },
      schema: Loose.fills,
      auth: true,
      retry: "read",
      signal,
    });
    return { items: this.items(r.fills, W.Fill, "fill", "fill_id"), cursor: r.cursor };
  }

  walkFills(query: Omit<FillsQuery, "cursor"> = {}, opts: WalkOptions = {}): AsyncGenerator<W.Fill[], void, void> {
    const q = { limit: MAX_PAGE.fills, ...query };
    return this.paginate((cursor) => this.listFills({ ...q, cursor }, opts.signal), opts);
  }

  allFills(query: Omit<FillsQuery, "cursor"> = {}, opts: WalkOptions = {}): Promise<W.Fill[]> {
    return this.collect(this.walkFills(query, opts));
  }

  async listSettlements(query: SettlementsQuery = {}, signal?: AbortSignal): Promise<Page<W.Settlement>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/portfolio/settlements",
      path: "/portfolio/settlements",
      query: { ...query },
      schema: Loose.settlements,
      auth: true,
      retry: "read",
      signal,
    });
    return { items: this.items(r.settlements, W.Settlement, "settlement", "ticker"), cursor: r.cursor };
  }

  walkSettlements(query: Omit<SettlementsQuery, "cursor"> = {}, opts: WalkOptions = {}): AsyncGenerator<W.Settlement[], void, void> {
    const q = { limit: MAX_PAGE.settlements, ...query };
    return this.paginate((cursor) => this.listSettlements({ ...q, cursor }, opts.signal), opts);
  }

  allSettlements(query: Omit<SettlementsQuery, "cursor"> = {}, opts: WalkOptions = {}): Promise<W.Settlement[]> {
    return this.collect(this.walkSettlements(query, opts));
  }

  // ---- orders: reads --------------------------------------------------------------------------------

  async listOrders(query: OrdersQuery = {}, signal?: AbortSignal): Promise<Page<W.Order>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/portfolio/orders",
      path: "/portfolio/orders",
      query: { ...query },
      schema: Loose.orders,
      auth: true,
      retry: "read",
      signal,
    });
    return { items: this.items(r.orders, W.Order, "order", "order_id"), cursor: r.cursor };
  }

  walkOrders(query: Omit<OrdersQuery, "cursor"> = {}, opts: WalkOptions = {}): AsyncGenerator<W.Order[], void, void> {
    const q = { limit: MAX_PAGE.orders, ...query };
    return this.paginate((cursor) => this.listOrders({ ...q, cursor }, opts.signal), opts);
  }

  allOrders(query: Omit<OrdersQuery, "cursor"> = {}, opts: WalkOptions = {}): Promise<W.Order[]> {
    return this.collect(this.walkOrders(query, opts));
  }

  async getOrder(orderId: string, signal?: AbortSignal): Promise<W.Order> {
    const r = await this.call({
      method: "GET",
      endpoint: "/portfolio/orders/{order_id}",
      path: `/portfolio/orders/${enc(orderId)}`,
      schema: W.GetOrderResponse,
      auth: true,
      retry: "read",
      signal,
    });
    return r.order;
  }

  /**
   * Resolve an order whose create came back `unknown`: list orders (narrowed by ticker and time when
   * given) and match the client_order_id. null = the exchange has no such order.
   */
  async findOrderByClientOrderId(
    clientOrderId: string,
    scope: { ticker?: string; min_ts?: number; subaccount?: number; exchange_index?: number } = {},
    opts: WalkOptions = {},
  ): Promise<W.Order | null> {
    for await (const page of this.walkOrders(scope, opts)) {
      const hit = page.find((o) => o.client_order_id === clientOrderId);
      if (hit) return hit;
    }
    return null;
  }

  // ---- orders: writes (V2) ------------------------------------------------------------------------------

  /**
   * Create one order. NEVER retried: on a timeout, 5xx or dropped connection this throws a
   * KalshiApiError with outcome "unknown" and the client_order_id, for the caller to look up.
   */
  async createOrder(input: CreateOrderInput, signal?: AbortSignal): Promise<CreateOrderResult> {
    const clientOrderId = input.client_order_id ?? randomUUID();
    const endpoint = "/portfolio/events/orders";
    const value = { ...this.indexOf(input.ticker), ...input, client_order_id: clientOrderId };
    const body = encodeCreateBody(value) ?? this.encode(W.CreateOrderV2Request, value, "POST", endpoint, clientOrderId);
    const r = await this.call({
      method: "POST",
      endpoint,
      path: endpoint,
      body,
      schema: W.CreateOrderV2Response,
      auth: true,
      retry: "once",
      clientOrderId,
      signal,
    });
    return { ...r, client_order_id: r.client_order_id ?? clientOrderId };
  }

  /**
   * Create several orders in one request (each costs a create). Per-order failures come back in
   * `orders[i].error`; a transport failure throws outcome "unknown" for the whole batch.
   */
  async batchCreateOrders(
    inputs: ReadonlyArray<CreateOrderInput>,
    signal?: AbortSignal,
  ): Promise<{ orders: Array<W.BatchCreateOrdersV2Result["orders"][number] & { client_order_id: string }> }> {
    const endpoint = "/portfolio/events/orders/batched";
    const withIds = inputs.map((o) => ({ ...this.indexOf(o.ticker), ...o, client_order_id: o.client_order_id ?? randomUUID() }));
    const body = this.encode(W.BatchCreateOrdersV2Request, { orders: withIds }, "POST", endpoint);
    const r = await this.call({
      method: "POST",
      endpoint,
      path: endpoint,
      body,
      schema: W.BatchCreateOrdersV2Response,
      auth: true,
      retry: "once",
      items: inputs.length,
      clientOrderId: withIds.map((o) => o.client_order_id).join(","),
      signal,
    });
    return { orders: r.orders.map((o, i) => ({ ...o, client_order_id: o.client_order_id ?? withIds[i]?.client_order_id ?? "" })) };
  }

  /**
   * Cancel one order. Retried on transient failures; a 404 on a retry means an earlier attempt won.
   * Give `market_ticker`: Kalshi routes by it (and `exchange_index`, filled in from the market) to
   * the order's shard, and answers 404 for an order on another shard without it.
   */
  cancelOrder(orderId: string, scope: CancelScope = {}, signal?: AbortSignal): Promise<W.CancelOrderV2Result> {
    return this.call({
      method: "DELETE",
      endpoint: "/portfolio/events/orders/{order_id}",
      path: `/portfolio/events/orders/${enc(orderId)}`,
      query: { ...this.shardScope(scope.market_ticker), ...scope },
      schema: W.CancelOrderV2Response,
      auth: true,
      retry: "cancel",
      signal,
    });
  }

  batchCancelOrders(orders: ReadonlyArray<W.BatchCancelItem>, signal?: AbortSignal): Promise<W.BatchCancelOrdersV2Result> {
    const endpoint = "/portfolio/events/orders/batched";
    const body = this.encode(
      W.BatchCancelOrdersV2Request,
      { orders: orders.map((o) => ({ ...this.shardScope(o.market_ticker), ...o })) },
      "DELETE",
      endpoint,
    );
    return this.call({
      method: "DELETE",
      endpoint,
      path: endpoint,
      body,
      schema: W.BatchCancelOrdersV2Response,
      auth: true,
      retry: "cancel",
      items: orders.length,
      signal,
    });
  }

  /** Cancel every resting order (of one subaccount when given). 204 on success. */
  async cancelAllOrders(scope: { subaccount?: number } = {}, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: "DELETE",
      endpoint: "/portfolio/events/orders",
      path: "/portfolio/events/orders",
      query: { ...scope },
      schema: W.EmptyResponse,
      auth: true,
      retry: "cancel",
      signal,
    });
  }

  /** Amend price and/or size; `count` is the new total (filled + desired remaining). Not retried. */
  amendOrder(
    orderId: string,
    input: W.AmendOrderV2,
    scope: { subaccount?: number } = {},
    signal?: AbortSignal,
  ): Promise<W.AmendOrderV2Result> {
    const endpoint = "/portfolio/events/orders/{order_id}/amend";
    const value = { ...this.indexOf(input.ticker), ...input };
    const body = encodeAmendBody(value) ?? this.encode(W.AmendOrderV2Request, value, "POST", endpoint, input.client_order_id);
    return this.call({
      method: "POST",
      endpoint,
      path: `/portfolio/events/orders/${enc(orderId)}/amend`,
      query: { ...scope },
      body,
      schema: W.AmendOrderV2Response,
      auth: true,
      retry: "once",
      clientOrderId: input.updated_client_order_id ?? input.client_order_id,
      signal,
    });
  }

  /** Reduce a resting order by (`reduce_by`) or to (`reduce_to`) a count. Not retried. */
  decreaseOrder(
    orderId: string,
    input: W.DecreaseOrderV2,
    scope: { subaccount?: number } = {},
    signal?: AbortSignal,
  ): Promise<W.DecreaseOrderV2Result> {
    const endpoint = "/portfolio/events/orders/{order_id}/decrease";
    const body = this.encode(W.DecreaseOrderV2Request, { ...this.shardScope(input.market_ticker), ...input }, "POST", endpoint);
    return this.call({
      method: "POST",
      endpoint,
      path: `/portfolio/events/orders/${enc(orderId)}/decrease`,
      query: { ...scope },
      body,
      schema: W.DecreaseOrderV2Response,
      auth: true,
      retry: "once",
      signal,
    });
  }

  // ---- order groups -----------------------------------------------------------------------------------

  createOrderGroup(input: W.CreateOrderGroup, signal?: AbortSignal): Promise<W.CreateOrderGroupResult> {
    const endpoint = "/portfolio/order_groups/create";
    const body = this.encode(W.CreateOrderGroupRequest, input, "POST", endpoint);
    return this.call({
      method: "POST",
      endpoint,
      path: endpoint,
      body,
      schema: W.CreateOrderGroupResponse,
      auth: true,
      retry: "once",
      signal,
    });
  }

  getOrderGroup(orderGroupId: string, scope: { subaccount?: number } = {}, signal?: AbortSignal): Promise<W.OrderGroupInfo> {
    return this.call({
      method: "GET",
      endpoint: "/portfolio/order_groups/{order_group_id}",
      path: `/portfolio/order_groups/${enc(orderGroupId)}`,
      query: { ...scope },
      schema: W.GetOrderGroupResponse,
      auth: true,
      retry: "read",
      signal,
    });
  }

  async listOrderGroups(scope: { subaccount?: number } = {}, signal?: AbortSignal): Promise<Array<z.output<typeof W.OrderGroup>>> {
    const r = await this.call({
      method: "GET",
      endpoint: "/portfolio/order_groups",
      path: "/portfolio/order_groups",
      query: { ...scope },
      schema: W.GetOrderGroupsResponse,
      auth: true,
      retry: "read",
      signal,
    });
    return r.order_groups ?? [];
  }

  /** Cancel all orders of the group and block new ones until reset. Idempotent, so retried. */
  async triggerOrderGroup(orderGroupId: string, scope: AccountScope = {}, signal?: AbortSignal): Promise<void> {
    await this.groupAction("PUT", orderGroupId, "/trigger", scope, signal);
  }

  async resetOrderGroup(orderGroupId: string, scope: AccountScope = {}, signal?: AbortSignal): Promise<void> {
    await this.groupAction("PUT", orderGroupId, "/reset", scope, signal);
  }

  async deleteOrderGroup(orderGroupId: string, scope: AccountScope = {}, signal?: AbortSignal): Promise<void> {
    await this.groupAction("DELETE", orderGroupId, "", scope, signal);
  }

  async updateOrderGroupLimit(
    orderGroupId: string,
    limit: { contracts_limit?: number; contracts_limit_fp?: Count },
    scope: { subaccount?: number } = {},
    signal?: AbortSignal,
  ): Promise<void> {
    const endpoint = "/portfolio/order_groups/{order_group_id}/limit";
    const body = this.encode(W.UpdateOrderGroupLimitRequest, limit, "PUT", endpoint);
    await this.call({
      method: "PUT",
      endpoint,
      path: `/portfolio/order_groups/${enc(orderGroupId)}/limit`,
      query: { ...scope },
      body,
      schema: W.EmptyResponse,
      auth: true,
      retry: "read",
      signal,
    });
  }

  private async groupAction(
    method: "PUT" | "DELETE",
    id: string,
    suffix: string,
    scope: AccountScope,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.call({
      method,
      endpoint: `/portfolio/order_groups/{order_group_id}${suffix}`,
      path: `/portfolio/order_groups/${enc(id)}${suffix}`,
      query: { ...scope },
      // Trigger and reset carry a JSON body `{}`, as the official SDK sends them.
      ...(method === "PUT" ? { body: {} } : {}),
      schema: W.EmptyResponse,
      auth: true,
      retry: "cancel",
      signal,
    });
  }

  // ---- account ------------------------------------------------------------------------------------

  getAccountLimits(signal?: AbortSignal): Promise<W.AccountLimits> {
    return this.call({
      method: "GET",
      endpoint: "/account/limits",
      path: "/account/limits",
      schema: W.GetAccountLimitsResponse,
      auth: true,
      retry: "read",
      signal,
    });
  }

  getEndpointCosts(signal?: AbortSignal): Promise<W.EndpointCosts> {
    return this.call({
      method: "GET",
      endpoint: "/account/endpoint_costs",
      path: "/account/endpoint_costs",
      schema: W.GetEndpointCostsResponse,
      auth: false,
      retry: "read",
      signal,
    });
  }

  /**
   * Refresh the limiter from /account/endpoint_costs and (with credentials) /account/limits.
   * Failures are logged and leave the built-in table in place: the buckets must never block startup.
   */
  async refreshRateLimits(signal?: AbortSignal): Promise<{ costs: boolean; limits: boolean }> {
    const out = { costs: false, limits: false };
    try {
      this.limiter.setEndpointCosts(await this.getEndpointCosts(signal));
      out.costs = true;
    } catch (e) {
      this.log("warn", `endpoint costs not refreshed: ${(e as Error).message}`);
    }
    if (this.hasCredentials) {
      try {
        this.limiter.setLimits(await this.getAccountLimits(signal));
        out.limits = true;
      } catch (e) {
        this.log("warn", `account limits not refreshed: ${(e as Error).message}`);
      }
    }
    return out;
  }
}

// ---- helpers --------------------------------------------------------------------------------------

/** Page envelopes with their items unparsed: each item is parsed on its own (KalshiClient.items). */
const items = z.array(z.unknown());
const EventLoose = W.EventData.extend({ markets: items.optional() });
const Loose = {
  markets: W.GetMarketsResponse.extend({ markets: items }),
  events: W.GetEventsResponse.extend({ events: items }),
  event: W.GetEventResponse.extend({ event: z.unknown(), markets: items.optional() }),
  trades: W.GetTradesResponse.extend({ trades: items }),
  fills: W.GetFillsResponse.extend({ fills: items }),
  settlements: W.GetSettlementsResponse.extend({ settlements: items }),
  orders: W.GetOrdersResponse.extend({ orders: items }),
  positions: W.GetPositionsResponse.extend({ market_positions: items, event_positions: items }),
};

const enc = (s: string): string => encodeURIComponent(s);
/** As Response.text() decodes a body: UTF-8, a byte-order mark dropped, bad sequences replaced. */
const UTF8 = new TextDecoder();

/** Marks an array parameter that is sent as repeated `key=v` pairs instead of a comma list. */
class RepeatedParam {
  constructor(readonly values: ReadonlyArray<string>) {}
}

function buildQuery(q: Record<string, QueryValue> | undefined): string {
  // Made on the first value only: most writes have no query, and build no URLSearchParams.
  let sp: URLSearchParams | null = null;
  for (const k in q) {
    const v = q[k];
    if (v === undefined || v === null) continue;
    sp ??= new URLSearchParams();
    if (v instanceof RepeatedParam) {
      for (const x of v.values) sp.append(k, x);
    } else if (Array.isArray(v)) {
      if (v.length) sp.set(k, v.join(","));
    } else sp.set(k, String(v));
  }
  const s = sp?.toString() ?? "";
  return s ? `?${s}` : "";
}

function toOrderbook(ticker: string, fp: W.OrderbookFp): Orderbook {
  // Kalshi documents ascending order but its spec prose says best-first: sort ourselves.
  const desc = (a: Level, b: Level) => b[0] - a[0];
  return {
    ticker,
    yes: (fp.yes_dollars ?? []).map((l) => [l[0], l[1]] as const).sort(desc),
    no: (fp.no_dollars ?? []).map((l) => [l[0], l[1]] as const).sort(desc),
  };
}
