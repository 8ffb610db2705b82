// One error type for everything that can go wrong talking to Kalshi. The field that matters most
// is `outcome`: "rejected" means the exchange definitely did not act on the request; "unknown"
// means it may have (timeout, 5xx, connection dropped after sending), so an order must be looked
// up by its client_order_id before anything else happens in that market.

export type Outcome = "rejected" | "unknown";
export type ErrorKind =
  | "http" // an HTTP error status with a body
  | "rate_limited" // 429
  | "timeout" // no complete answer within timeoutMs
  | "network" // connection failed or dropped
  | "invalid_response" // 2xx with a body that does not match the wire schema
  | "invalid_request"; // our own request failed its schema before anything was sent

export interface KalshiApiErrorInit {
  kind: ErrorKind;
  status: number;
  code: string;
  message: string;
  details?: string | undefined;
  service?: string | undefined;
  method: string;
  endpoint: string;
  outcome: Outcome;
  clientOrderId?: string | undefined;
  attempts?: number | undefined;
  cause?: unknown;
}

export class KalshiApiError extends Error {
  override name = "KalshiApiError";
  readonly kind: ErrorKind;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** Kalshi's code (`order_already_exists`, `authentication_error`, …) or one of ours (`timeout`, `network_error`). */
  readonly code: string;
  readonly details: string | undefined;
  readonly service: string | undefined;
  readonly method: string;
  /** The endpoint template, e.g. `POST /portfolio/events/orders`; never a query string. */
  readonly endpoint: string;
  readonly outcome: Outcome;
  /** Set on order writes, so an `unknown` create can be resolved by looking the order up. */
  readonly clientOrderId: string | undefined;
  readonly attempts: number;

  constructor(init: KalshiApiErrorInit) {
    super(
      `${init.method} ${init.endpoint}: ${init.status ? `HTTP ${init.status} ` : ""}${init.code}: ${init.message}${init.details ? ` (${init.details})` : ""}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.service = init.service;
    this.method = init.method;
    this.endpoint = init.endpoint;
    this.outcome = init.outcome;
    this.clientOrderId = init.clientOrderId;
    this.attempts = init.attempts ?? 1;
  }

  /** Worth retrying for an idempotent request (reads, cancels). */
  get retryable(): boolean {
    return this.kind === "rate_limited" || this.kind === "timeout" || this.kind === "network" || this.status === 408 || this.status >= 500;
  }

  /** Kalshi embeds ids in some codes (`user_not_found:_<uuid>`): match by prefix. */
  hasCode(prefix: string): boolean {
    return this.code === prefix || this.code.startsWith(prefix);
  }
}

export const isKalshiApiError = (e: unknown): e is KalshiApiError => e instanceof KalshiApiError;

/**
 * What the operator should do about an authentication refusal (API.md §11: the 401s users trip
 * over most), or null for any other error. Kalshi's own text ("authentication_error") names no fix.
 */
export function authFix(e: unknown): string | null {
  if (!isKalshiApiError(e) || e.status !== 401) return null;
  if (e.hasCode("header_timestamp_expired")) {
    return "this machine's clock is off from the exchange's by more than Kalshi accepts: turn on time sync (timedatectl set-ntp true), then check with `kalshi-bot verify`";
  }
  if (e.details === "NOT_FOUND")
    return "the exchange does not know exchange.api_key_id: check it, and that the key was made for this environment (demo keys work only on demo)";
  if (e.details === "INCORRECT_API_KEY_SIGNATURE") {
    return "the signature did not verify: exchange.private_key_path is not the private key of exchange.api_key_id (or the key is for the other environment)";
  }
  return "check exchange.api_key_id, exchange.private_key_path and the environment (demo keys work only on demo)";
}

/**
 * Outcome of an HTTP status. 4xx (and 429, which Kalshi's limiter answers before doing anything)
 * means the request was refused; 408 and 5xx leave it open whether the exchange acted.
 */
export function outcomeOfStatus(status: number): Outcome {
  if (status === 408 || status >= 500) return "unknown";
  return "rejected";
}

const MAX_TEXT = 300;
const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);
const asText = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === "string" ? clip(v) : clip(JSON.stringify(v));

interface ParsedErrorBody {
  code: string;
  message: string;
  details?: string | undefined;
  service?: string | undefined;
}

/** The four error body shapes of API.md §5.1 (plus anything else, kept as text). */
export function parseErrorBody(status: number, bodyText: string): ParsedErrorBody {
  const fallbackCode = status === 429 ? "too_many_requests" : status >= 500 ? "server_error" : `http_${status}`;
  let body: unknown;
  try {
    body = bodyText.trim() ? JSON.parse(bodyText) : undefined;
  } catch {
    return { code: fallbackCode, message: bodyText.trim() ? clip(bodyText.trim()) : "non-JSON error body" };
  }
  if (body === undefined) return { code: fallbackCode, message: "empty error body" };
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { code: fallbackCode, message: clip(String(body)) };
  const o = body as Record<string, unknown>;
  // 1. nested {"error":{code,message,details,service}}
  if (o.error && typeof o.error === "object" && !Array.isArray(o.error)) {
    const e = o.error as Record<string, unknown>;
    return {
      code: typeof e.code === "string" && e.code ? e.code : fallbackCode,
      message: asText(e.message) ?? "",
      details: asText(e.details),
      service: typeof e.service === "string" ? e.service : undefined,
    };
  }
  // 4. {"error":"too many requests"}
  if (typeof o.error === "string") {
    return { code: status === 429 ? "too_many_requests" : slug(o.error) || fallbackCode, message: clip(o.error) };
  }
  // 2. flat {"code","message","details"}
  if (typeof o.code === "string") {
    return {
      code: o.code,
      message: asText(o.message) ?? "",
      details: asText(o.details),
      service: typeof o.service === "string" ? o.service : undefined,
    };
  }
  // 3. bare {"msg": "..."} (parameter validation)
  if (typeof o.msg === "string") return { code: "parameter_validation_failed", message: clip(o.msg) };
  return { code: fallbackCode, message: clip(bodyText) };
}

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");

export function errorFromResponse(
  status: number,
  bodyText: string,
  ctx: { method: string; endpoint: string; clientOrderId?: string | undefined; attempts?: number },
): KalshiApiError {
  const p = parseErrorBody(status, bodyText);
  return new KalshiApiError({
    kind: status === 429 ? "rate_limited" : "http",
    status,
    code: p.code,
    message: p.message,
    details: p.details,
    service: p.service,
    method: ctx.method,
    endpoint: ctx.endpoint,
    outcome: outcomeOfStatus(status),
    clientOrderId: ctx.clientOrderId,
    attempts: ctx.attempts,
  });
}

/**
 * A failure with no HTTP answer. A refused connection never reached the exchange ("rejected");
 * anything after the connection opened may have been acted on ("unknown").
 */
export function errorFromNetwork(
  cause: unknown,
  ctx: { method: string; endpoint: string; clientOrderId?: string | undefined; timedOut: boolean; timeoutMs?: number; attempts?: number },
): KalshiApiError {
  const code = (cause as { code?: unknown } | null)?.code;
  const refused = code === "ECONNREFUSED" || code === "ConnectionRefused";
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new KalshiApiError({
    kind: ctx.timedOut ? "timeout" : "network",
    status: 0,
    code: ctx.timedOut ? "timeout" : refused ? "connection_refused" : "network_error",
    message: ctx.timedOut ? `no complete response within ${ctx.timeoutMs ?? "?"} ms` : clip(msg),
    method: ctx.method,
    endpoint: ctx.endpoint,
    outcome: !ctx.timedOut && refused ? "rejected" : "unknown",
    clientOrderId: ctx.clientOrderId,
    attempts: ctx.attempts,
    cause,
  });
}
