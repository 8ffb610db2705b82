// Spec-valid instances generated from Kalshi's schemas, for checking that the bot's zod wire schemas
// accept whatever the contract allows: "min" has only required properties (nullable ones null),
// "nulls" every property with every nullable one null, "full" every property with values, decimal
// dollar strings at the 6 places the contract allows. Every instance is itself validated by ajv
// before use, so a generator mistake cannot pass for a bot defect.
import { asyncapi, openapi } from "./spec.ts";

type Json = Record<string, unknown>;
export type Mode = "min" | "nulls" | "full";

function deref(doc: Json, node: Json): Json {
  let n = node;
  while (typeof n.$ref === "string") {
    let cur: unknown = doc;
    for (const part of (n.$ref as string).replace(/^#\//, "").split("/")) cur = (cur as Json)[part];
    n = { ...(cur as Json), ...Object.fromEntries(Object.entries(n).filter(([k]) => k !== "$ref")) };
  }
  return n;
}

function str(name: string, s: Json, mode: Mode, refName: string): string {
  if (s.const !== undefined) return s.const as string;
  if (Array.isArray(s.enum)) return s.enum.find((x) => x !== null) as string;
  if (s.format === "date-time" || /_time$|_datetime$|^ts$/.test(name)) return "2026-06-10T13:00:00Z";
  if (s.format === "uuid" || name === "market_id") return "4b4f0a3e-7a7c-4f0e-9c55-2d3a8c1b6e10";
  if (refName === "FixedPointCount" || /_fp$/.test(name)) return "10.00";
  if (
    refName === "FixedPointDollars" ||
    /dollars/.test(name) ||
    ["start", "end", "step"].includes(name) ||
    name === "fee_cost" ||
    name === "settlement_value"
  )
    return mode === "full" ? "0.560000" : "0.5600";
  if (/ticker$/.test(name) || refName === "marketTicker") return "KXHIGHNY-26JUN10-B84.5";
  return "x";
}

export function generate(doc: Json, node: Json, mode: Mode, name = "", depth = 0): unknown {
  const refName = typeof node.$ref === "string" ? (node.$ref as string).split("/").pop()! : "";
  const s = deref(doc, node);
  if (depth > 12) return null;
  const nullable = s.nullable === true || (Array.isArray(s.type) && s.type.includes("null"));
  if (nullable && mode !== "full" && name !== "") return null;
  if (s.const !== undefined) return s.const;
  for (const k of ["allOf", "anyOf", "oneOf"] as const) {
    const xs = s[k] as Json[] | undefined;
    if (!xs) continue;
    if (k === "allOf") return Object.assign({}, ...xs.map((x) => generate(doc, x, mode, name, depth + 1) as object));
    const first = xs.find((x) => deref(doc, x).type !== "null") ?? xs[0]!;
    return generate(doc, first, mode, name, depth + 1);
  }
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== "null") : (s.type as string | undefined);
  if (type === "object" || s.properties) {
    const out: Json = {};
    const req = new Set((s.required as string[] | undefined) ?? []);
    for (const [k, v] of Object.entries((s.properties as Record<string, Json>) ?? {})) {
      if (mode === "min" && !req.has(k)) continue;
      const val = generate(doc, v, mode, k, depth + 1);
      if (val !== undefined) out[k] = val;
    }
    return out;
  }
  if (type === "array") {
    if (name.endsWith("dollars_fp") || name === "yes_dollars" || name === "no_dollars") return [["0.5600", "10.00"]];
    const item = generate(doc, (s.items as Json) ?? {}, mode, name.replace(/s$/, ""), depth + 1);
    return mode === "min" && (s.minItems ?? 0) === 0 ? [] : [item];
  }
  if (type === "integer") return (s.minimum as number | undefined) ?? 1;
  if (type === "number") return (s.minimum as number | undefined) ?? 1;
  if (type === "boolean") return false;
  if (type === "string") return str(name, s, mode, refName);
  return {};
}

export const wsExample = (schema: string, mode: Mode): unknown => generate(asyncapi, { $ref: `#/components/schemas/${schema}` }, mode);
export const restExample = (schema: string, mode: Mode): unknown => generate(openapi, { $ref: `#/components/schemas/${schema}` }, mode);

/** Every `examples[].payload` of the AsyncAPI messages, by message name. */
export function asyncapiExamples(): Array<{ message: string; payload: unknown }> {
  const out: Array<{ message: string; payload: unknown }> = [];
  for (const [name, m] of Object.entries(asyncapi.components.messages)) {
    for (const ex of ((m as Json).examples as Json[] | undefined) ?? [])
      if (ex.payload !== undefined) out.push({ message: name, payload: ex.payload });
  }
  return out;
}
