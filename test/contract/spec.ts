// Kalshi's published contract, as JSON-schema validators (ajv): the AsyncAPI document of the
// WebSocket API and the OpenAPI document of the REST API, vendored in test/fixtures/kalshi-spec
// (see its NOTE.md). Every validator here answers with Kalshi's own schema, never a hand check.
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const SPEC_DIR = join(import.meta.dir, "../fixtures/kalshi-spec");
export const SHARED_SPEC_DIR = join(import.meta.dir, "../../../shared/kalshi/spec");

type Json = Record<string, unknown>;
export const asyncapi = parse(readFileSync(join(SPEC_DIR, "asyncapi.yaml"), "utf8")) as Json & {
  components: { schemas: Record<string, Json>; messages: Record<string, Json> };
};
export const openapi = parse(readFileSync(join(SPEC_DIR, "openapi.yaml"), "utf8")) as Json & {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};

/**
 * Where Kalshi's document contradicts itself, the smallest correction, each named here:
 * - `marketTicker` has pattern `^[A-Z0-9-]+$`, yet its own examples ("FED-23DEC-T3.00",
 *   "HIGHNY-22DEC23-B53.5"), the subscribe examples ("KXBTCD-25AUG0517-T114999.99") and Kalshi's
 *   recorded markets (test/fixtures/kalshi/markets__high_temp.json) carry dots: the dot is allowed.
 */
/** - OpenAPI: a property both `required` and `x-omitempty: true` (Go drops it when empty) may be absent. */
export const ERRATA: string[] = ["asyncapi marketTicker pattern allows '.'", "openapi x-omitempty properties are not required"];
(asyncapi.components.schemas.marketTicker as Json).pattern = "^[A-Z0-9.-]+$";

/**
 * The OpenAPI document (3.13) is older than the SDK 3.30 models, the newer truth for what a V2-era
 * answer carries: these fields are required there (node_modules/kalshi-typescript/models/fill.ts,
 * order.ts, trade.ts, get-account-api-limits-response.ts) and in Kalshi's recordings
 * (test/fixtures/kalshi: fills__after_taker, orders__get_after_create, account__limits).
 */
const SIDES = { outcome_side: { type: "string", enum: ["yes", "no"] }, book_side: { type: "string", enum: ["bid", "ask"] } };
const BUCKET = {
  type: "object",
  required: ["refill_rate", "bucket_capacity"],
  properties: { refill_rate: { type: "number" }, bucket_capacity: { type: "number" } },
};
const NEWER: Record<string, { properties: Record<string, Json>; drop?: string[] }> = {
  Fill: { properties: SIDES },
  Order: { properties: SIDES },
  Trade: { properties: { taker_outcome_side: SIDES.outcome_side, taker_book_side: SIDES.book_side } },
  GetAccountApiLimitsResponse: { properties: { read: BUCKET, write: BUCKET }, drop: ["read_limit", "write_limit"] },
};
for (const [name, add] of Object.entries(NEWER)) {
  const sch = openapi.components.schemas[name] as { properties: Record<string, Json>; required: string[] };
  Object.assign(sch.properties, add.properties);
  sch.required = [...sch.required.filter((r) => !add.drop?.includes(r)), ...Object.keys(add.properties)];
  for (const d of add.drop ?? []) delete sch.properties[d];
}
ERRATA.push("openapi Fill/Order/Trade/GetAccountApiLimitsResponse gain the SDK 3.30 fields");

// OpenAPI 3.0 `nullable` is understood by ajv; `example`, `x-*` and the like are annotations.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(asyncapi as object, "asyncapi");
ajv.addSchema(toJsonSchema(openapi) as object, "openapi");

/**
 * OpenAPI 3.0 writes "may be null" as `nullable: true`, also beside `$ref`/`allOf` where JSON Schema
 * has no type to widen: rewrite every such node into JSON Schema (`type: [t, "null"]` or
 * `anyOf: [node, {type: "null"}]`), which is what the keyword means.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = toJsonSchema(v);
  const props = out.properties as Record<string, Json> | undefined;
  if (Array.isArray(out.required) && props) out.required = out.required.filter((k: string) => props[k]?.["x-omitempty"] !== true);
  if (out.nullable === undefined) return out;
  const nullable = out.nullable === true;
  delete out.nullable;
  if (!nullable) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

const cache = new Map<string, ValidateFunction>();
function compiled(ref: string): ValidateFunction {
  let v = cache.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: ref });
    cache.set(ref, v);
  }
  return v;
}

/** Problems of `value` against AsyncAPI `components.schemas[name]` ([] = valid). */
export function checkWs(name: string, value: unknown): string[] {
  if (!asyncapi.components.schemas[name]) throw new Error(`no AsyncAPI schema ${name}`);
  const v = compiled(`asyncapi#/components/schemas/${name}`);
  return v(value)
    ? []
    : (v.errors ?? []).map(
        (e) =>
          `${name}${e.instancePath} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
      );
}

/** Problems of `value` against OpenAPI `components.schemas[name]`. */
export function checkRestSchema(name: string, value: unknown): string[] {
  if (!openapi.components.schemas[name]) throw new Error(`no OpenAPI schema ${name}`);
  const v = compiled(`openapi#/components/schemas/${name}`);
  return v(value) ? [] : (v.errors ?? []).map((e) => `${name}${e.instancePath} ${e.message}`);
}

/** WS server message `type` → AsyncAPI payload schema. */
export const WS_PAYLOAD_OF: Record<string, string> = {
  subscribed: "subscribedResponsePayload",
  unsubscribed: "unsubscribedResponsePayload",
  ok: "okResponsePayload",
  error: "errorResponsePayload",
  orderbook_snapshot: "orderbookSnapshotPayload",
  orderbook_delta: "orderbookDeltaPayload",
  ticker: "tickerPayload",
  trade: "tradePayload",
  fill: "fillPayload",
  user_order: "userOrderPayload",
  market_position: "marketPositionPayload",
  market_lifecycle_v2: "marketLifecycleV2Payload",
  event_lifecycle: "eventLifecyclePayload",
  event_fee_update: "eventFeeUpdatePayload",
  order_group_updates: "orderGroupUpdatesPayload",
};

/** A WS command → its AsyncAPI payload schema. */
export function commandSchemaOf(cmd: { cmd?: unknown }): string {
  switch (cmd.cmd) {
    case "subscribe":
      return "subscribeCommandPayload";
    case "unsubscribe":
      return "unsubscribeCommandPayload";
    case "update_subscription":
      return "updateSubscriptionCommandPayload";
    case "list_subscriptions":
      return "listSubscriptionsCommandPayload";
    default:
      throw new Error(`unknown command ${String(cmd.cmd)}`);
  }
}

/** The OpenAPI path template matching a concrete path under /trade-api/v2, or undefined. */
export function pathTemplate(path: string): string | undefined {
  const p = path.replace(/^\/trade-api\/v2/, "").split("?")[0]!;
  if (openapi.paths[p]) return p;
  for (const t of Object.keys(openapi.paths)) {
    const re = new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    if (re.test(p)) return t;
  }
  return undefined;
}

/** Problems of a REST response body against the OpenAPI response schema of that operation and status. */
export function checkRest(method: string, path: string, status: number, body: unknown): string[] | undefined {
  const t = pathTemplate(path);
  if (!t) return undefined;
  const op = openapi.paths[t]![method.toLowerCase()] as Json | undefined;
  if (!op) return undefined;
  const responses = op.responses as Record<string, Json>;
  let r = responses[String(status)] ?? responses.default;
  if (!r) return [`${method} ${t}: status ${status} is not a documented response`];
  if (typeof r.$ref === "string") r = resolveRef(r.$ref);
  const content = r.content as Record<string, { schema?: Json }> | undefined;
  const schema = content?.["application/json"]?.schema;
  if (!schema) return [];
  const key = `${method} ${t} ${status}`;
  let v = cache.get(key);
  if (!v) {
    v = ajv.compile(rebase(toJsonSchema(schema) as Json));
    cache.set(key, v);
  }
  return v(body) ? [] : (v.errors ?? []).map((e) => `${key}${e.instancePath} ${e.message}`);
}

function resolveRef(ref: string): Json {
  let cur: unknown = openapi;
  for (const part of ref.replace(/^#\//, "").split("/")) cur = (cur as Json)[part];
  return cur as Json;
}

/** Point local refs of an inline schema at the registered OpenAPI document. */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi#/'));
}
