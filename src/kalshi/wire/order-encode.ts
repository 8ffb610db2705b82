// Request bodies of the order create and amend endpoints, encoded without zod on the order path.
// `z.safeEncode` of these schemas costs ~5 us warm but ~60 us on a path that ran last a second ago
// (the daemon's narrow requote: book update → order request); these plain checks and the same
// formatting cost a fraction of that. They take only values the schema takes (property-tested
// against it, test/kalshi/order-encode.test.ts); anything else returns null and the caller runs the
// schema, which gives the error.
import { COUNT_DP, formatFixed, PRICE_DP } from "../money.ts";
import { isOpenPrice } from "./codecs.ts";
import type { AmendOrderV2, AmendOrderV2RequestWire, CreateOrderV2, CreateOrderV2RequestWire } from "./rest.ts";

const SIDES: ReadonlySet<unknown> = new Set(["bid", "ask"]);
const TIFS: ReadonlySet<unknown> = new Set(["fill_or_kill", "good_till_canceled", "immediate_or_cancel"]);
const STPS: ReadonlySet<unknown> = new Set(["taker_at_cross", "maker"]);

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const okCount = (v: unknown): v is number => isInt(v) && v > 0;
const okPrice = (v: unknown): v is number => isInt(v) && isOpenPrice(v);
const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const optStr = (v: unknown) => v === undefined || typeof v === "string";
const optInt = (v: unknown) => v === undefined || isInt(v);
const optBool = (v: unknown) => v === undefined || typeof v === "boolean";

/** The wire body of an amend (AmendOrderV2Request), or null when the schema must judge it. */
export function encodeAmendBody(v: AmendOrderV2): AmendOrderV2RequestWire | null {
  if (!nonEmpty(v.ticker) || !SIDES.has(v.side) || !okPrice(v.price) || !okCount(v.count)) return null;
  if (!optStr(v.client_order_id) || !optStr(v.updated_client_order_id) || !optInt(v.exchange_index)) return null;
  // The schema's key order (the body's JSON text is the same as the schema's).
  const out: AmendOrderV2RequestWire = {
    ticker: v.ticker,
    side: v.side,
    price: formatFixed(v.price, PRICE_DP),
    count: formatFixed(v.count, COUNT_DP),
  };
  if (v.client_order_id !== undefined) out.client_order_id = v.client_order_id;
  if (v.updated_client_order_id !== undefined) out.updated_client_order_id = v.updated_client_order_id;
  if (v.exchange_index !== undefined) out.exchange_index = v.exchange_index;
  return out;
}

/** The wire body of a create (CreateOrderV2Request), or null when the schema must judge it. */
export function encodeCreateBody(v: CreateOrderV2): CreateOrderV2RequestWire | null {
  if (!nonEmpty(v.ticker) || !SIDES.has(v.side) || !okCount(v.count) || !okPrice(v.price)) return null;
  if (!TIFS.has(v.time_in_force) || !STPS.has(v.self_trade_prevention_type)) return null;
  if (!(v.client_order_id === undefined || nonEmpty(v.client_order_id)) || !optInt(v.expiration_time)) return null;
  if (!optBool(v.post_only) || !optBool(v.reduce_only) || !optBool(v.cancel_order_on_pause)) return null;
  if (!(v.subaccount === undefined || (isInt(v.subaccount) && v.subaccount >= 0 && v.subaccount <= 63))) return null;
  if (!optStr(v.order_group_id) || !optInt(v.exchange_index)) return null;
  const out: CreateOrderV2RequestWire = {
    ticker: v.ticker,
    side: v.side,
    count: formatFixed(v.count, COUNT_DP),
    price: formatFixed(v.price, PRICE_DP),
    time_in_force: v.time_in_force,
    self_trade_prevention_type: v.self_trade_prevention_type,
  };
  if (v.client_order_id !== undefined) out.client_order_id = v.client_order_id;
  if (v.expiration_time !== undefined) out.expiration_time = v.expiration_time;
  if (v.post_only !== undefined) out.post_only = v.post_only;
  if (v.reduce_only !== undefined) out.reduce_only = v.reduce_only;
  if (v.cancel_order_on_pause !== undefined) out.cancel_order_on_pause = v.cancel_order_on_pause;
  if (v.subaccount !== undefined) out.subaccount = v.subaccount;
  if (v.order_group_id !== undefined) out.order_group_id = v.order_group_id;
  if (v.exchange_index !== undefined) out.exchange_index = v.exchange_index;
  return out;
}
