// Checks a recording (test/contract/recording-proxy.ts) against Kalshi's published contract: WS
// commands and messages against the AsyncAPI schemas, REST answers against the OpenAPI responses,
// V2 order bodies (which the OpenAPI document predates) against the official SDK's models.
import { checkModel } from "../sim/sdk-models.ts";
import { checkRest, checkWs, commandSchemaOf, pathTemplate, WS_PAYLOAD_OF } from "./spec.ts";
import type { Recording } from "./recording-proxy.ts";

/** SDK model of each V2 order endpoint's 2xx answer. */
const V2_MODELS: Array<[method: string, re: RegExp, model: string]> = [
  ["POST", /^\/portfolio\/events\/orders$/, "CreateOrderV2Response"],
  ["POST", /^\/portfolio\/events\/orders\/batched$/, "BatchCreateOrdersV2Response"],
  ["DELETE", /^\/portfolio\/events\/orders\/batched$/, "BatchCancelOrdersV2Response"],
  ["DELETE", /^\/portfolio\/events\/orders\/[^/]+$/, "CancelOrderV2Response"],
  ["POST", /^\/portfolio\/events\/orders\/[^/]+\/amend$/, "AmendOrderV2Response"],
  ["POST", /^\/portfolio\/events\/orders\/[^/]+\/decrease$/, "DecreaseOrderV2Response"],
];
const V2_REQUESTS: Array<[method: string, re: RegExp, model: string]> = [
  ["POST", /^\/portfolio\/events\/orders$/, "CreateOrderV2Request"],
  ["POST", /^\/portfolio\/events\/orders\/batched$/, "BatchCreateOrdersV2Request"],
  ["DELETE", /^\/portfolio\/events\/orders\/batched$/, "BatchCancelOrdersV2Request"],
  ["POST", /^\/portfolio\/events\/orders\/[^/]+\/amend$/, "AmendOrderV2Request"],
  ["POST", /^\/portfolio\/events\/orders\/[^/]+\/decrease$/, "DecreaseOrderV2Request"],
];

export function problemsOf(rec: Recording): { problems: string[]; restChecked: Set<string>; uncovered: Set<string> } {
  const problems: string[] = [];
  for (const c of rec.commands)
    problems.push(...checkWs(commandSchemaOf(c as { cmd?: unknown }), c).map((p) => `command ${JSON.stringify(c).slice(0, 120)}: ${p}`));
  for (const m of rec.messages) {
    const type = (m as { type?: string }).type ?? "";
    const schema = WS_PAYLOAD_OF[type];
    if (!schema) {
      problems.push(`message type ${type} has no AsyncAPI payload schema`);
      continue;
    }
    // list_subscriptions answers `ok` with a list as msg (listSubscriptionsResponsePayload).
    const name = type === "ok" && Array.isArray((m as { msg?: unknown }).msg) ? "listSubscriptionsResponsePayload" : schema;
    problems.push(...checkWs(name, m).map((p) => `${JSON.stringify(m).slice(0, 160)}: ${p}`));
  }
  const restChecked = new Set<string>();
  const uncovered = new Set<string>();
  for (const r of rec.rest) {
    const path = r.path.replace(/^\/trade-api\/v2/, "").split("?")[0]!;
    const v2 = V2_MODELS.find(([m, re]) => m === r.method && re.test(path));
    const v2req = V2_REQUESTS.find(([m, re]) => m === r.method && re.test(path));
    if (v2req && r.requestBody !== undefined)
      problems.push(...checkModel(r.requestBody, v2req[2]).map((p) => `request ${r.method} ${path}: ${p}`));
    if (v2) {
      restChecked.add(`${r.method} ${v2[1].source}`);
      if (r.status >= 200 && r.status < 300) problems.push(...checkModel(r.body, v2[2]).map((p) => `${r.method} ${path}: ${p}`));
      continue;
    }
    const got = checkRest(r.method, r.path, r.status, r.body);
    if (got === undefined) {
      uncovered.add(`${r.method} ${path}`);
      continue;
    }
    restChecked.add(`${r.method} ${pathTemplate(r.path)}`);
    problems.push(...got);
  }
  return { problems: [...new Set(problems)], restChecked, uncovered };
}
