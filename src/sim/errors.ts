// Kalshi answers errors in four shapes (API.md §5.1); each constructor here is one of them, with
// the exact codes and messages seen on the wire.

export type ErrorBody =
  | { error: { code: string; message: string; details?: string; service?: string } }
  | { code: string; message: string; details: string }
  | { msg: string }
  | { error: string };

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(typeof (body as { msg?: string }).msg === "string" ? (body as { msg: string }).msg : JSON.stringify(body));
  }
}

/** Nested shape, used by the exchange service and the auth layer. */
export function nested(status: number, code: string, opts: { details?: string; service?: boolean; message?: string } = {}): SimError {
  const message = opts.message ?? code.replace(/_/g, " ");
  const error: { code: string; message: string; details?: string; service?: string } = { code, message };
  if (opts.details !== undefined) error.details = opts.details;
  if (opts.service !== false) error.service = "exchange";
  return new SimError(status, { error });
}

/** Flat shape: what Kalshi's JSON decoder says about a body it cannot unmarshal. */
export function flatBadRequest(details: string): SimError {
  return new SimError(400, { code: "bad_request", message: "bad request", details });
}

/** Bare shape: query parameter validation. */
export function bare(msg: string, status = 400): SimError {
  return new SimError(status, { msg });
}

export const notFound = (): SimError => nested(404, "not_found");
export const insufficientBalance = (): SimError => nested(400, "insufficient_balance");
export const invalidPrice = (): SimError => nested(400, "invalid_price");
export const orderExists = (): SimError => nested(409, "order_already_exists");
export const postOnlyCross = (): SimError => nested(400, "invalid_order", { details: "post only cross", service: false });
export const invalidOrder = (details: string): SimError => nested(400, "invalid_order", { details });
export const marketNotFound = (): SimError => nested(404, "market_not_found");
export const marketClosed = (): SimError => nested(400, "market_closed");
export const tradingPaused = (): SimError => nested(400, "trading_is_paused");

export const authMissing = (): SimError =>
  nested(401, "signature_is_missing_from_headers", { message: "signature is missing from headers", service: false });
export const authUnknownKey = (): SimError =>
  nested(401, "authentication_error", { message: "authentication_error", details: "NOT_FOUND", service: false });
export const authBadSignature = (): SimError =>
  nested(401, "authentication_error", { message: "authentication_error", details: "INCORRECT_API_KEY_SIGNATURE", service: false });
export const authExpired = (): SimError => nested(401, "header_timestamp_expired", { message: "header timestamp expired", service: false });
