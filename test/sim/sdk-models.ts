// Reads the official client's generated models (node_modules/kalshi-typescript/models/*.ts) and
// checks a JSON body against one of them: every property the model marks required is present, every
// value has the model's type (string/number/boolean/array/nested model, `| null` only where the
// model allows it), enum members are known, and numeric strings have Kalshi's formats (prices
// 4 dp, costs and fees 6 dp, counts 2 dp). The generated TypeScript types are erased at run time,
// so without this a missing required field would deserialize silently into `undefined`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const MODELS_DIR = join(import.meta.dir, "../../node_modules/kalshi-typescript/models");

interface Prop {
  name: string;
  optional: boolean;
  type: string;
}

const models = new Map<string, Prop[]>();
const enums = new Map<string, string[]>();

for (const f of readdirSync(MODELS_DIR)) {
  if (!f.endsWith(".ts") || f === "index.ts") continue;
  const src = readFileSync(join(MODELS_DIR, f), "utf8");
  for (const m of src.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
    const props: Prop[] = [];
    for (const p of m[2]!.matchAll(/^ {4}'([^']+)'(\?)?: (.+);$/gm))
      props.push({ name: p[1]!, optional: p[2] === "?", type: p[3]!.trim() });
    models.set(m[1]!, props);
  }
  for (const m of src.matchAll(/export const (\w+) = \{([\s\S]*?)\} as const;/g)) {
    enums.set(
      m[1]!,
      [...m[2]!.matchAll(/:\s*'([^']*)'/g)].map((x) => x[1]!),
    );
  }
}

export function modelProps(name: string): Prop[] {
  const p = models.get(name);
  if (!p) throw new Error(`no model ${name} in kalshi-typescript`);
  return p;
}

/** Split `A | B` at the top level (not inside <> or {}). */
function unionParts(t: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = 0; i < t.length; i++) {
    const ch = t[i]!;
    if (ch === "<" || ch === "{") depth++;
    if (ch === ">" || ch === "}") depth--;
    if (depth === 0 && t.startsWith(" | ", i)) {
      out.push(cur.trim());
      cur = "";
      i += 2;
      continue;
    }
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}

// ---- numeric string formats, by field name (API.md §4.1, fixtures) ----

/** Dollar amounts printed with 6 dp: costs, fees, P&L, exposure. */
const SIX_DP =
  /(_cost_dollars|_fees_dollars|fees_paid_dollars|_pnl_dollars|exposure_dollars|total_traded_dollars|total_cost_dollars|^fee_cost|^position_cost_dollars|^position_fee_cost_dollars)$/;
/** Contract counts without the `_fp` suffix. */
const COUNT_KEYS = new Set(["fill_count", "remaining_count", "reduced_by"]);
/** Per-contract averages (4 dp on the wire; 6 dp only when 4 would round). */
const AVERAGES = new Set(["average_fill_price", "average_fee_paid"]);

export function formatProblem(key: string, v: string): string | null {
  if (key.endsWith("_fp") || COUNT_KEYS.has(key)) return /^-?\d+\.\d{2}$/.test(v) ? null : `count "${v}" is not 2 dp`;
  if (SIX_DP.test(key)) return /^-?\d+\.\d{6}$/.test(v) ? null : `cost "${v}" is not 6 dp`;
  if (AVERAGES.has(key)) return /^\d+\.(\d{4}|\d{6})$/.test(v) ? null : `average "${v}" is not 4 (or 6) dp`;
  if (key.endsWith("_dollars") || key === "settlement_value") return /^-?\d+\.\d{4}$/.test(v) ? null : `price "${v}" is not 4 dp`;
  return null;
}

/**
 * Problems of `value` against the model type expression `type`, as readable paths. `key` is the
 * property name the value sits under (for the numeric-string formats).
 */
export function checkType(value: unknown, type: string, path: string, key = "", out: string[] = []): string[] {
  const parts = unionParts(type);
  if (parts.length > 1) {
    if (value === null) {
      if (!parts.includes("null")) out.push(`${path}: null, model says ${type}`);
      return out;
    }
    const rest = parts.filter((p) => p !== "null");
    if (rest.length === 1) return checkType(value, rest[0]!, path, key, out);
    // A real union: fine if any member fits.
    const tries = rest.map((p) => checkType(value, p, path, key, []));
    if (!tries.some((t) => t.length === 0)) out.push(...tries[0]!);
    return out;
  }
  const t = parts[0]!;
  if (value === null || value === undefined) {
    out.push(`${path}: ${value === null ? "null" : "undefined"}, model says ${t}`);
    return out;
  }
  if (t === "string") {
    if (typeof value !== "string") out.push(`${path}: ${JSON.stringify(value)} is not a string`);
    else {
      const f = formatProblem(key, value);
      if (f) out.push(`${path}: ${f}`);
    }
    return out;
  }
  if (t === "number") {
    if (typeof value !== "number" || !Number.isFinite(value)) out.push(`${path}: ${JSON.stringify(value)} is not a number`);
    return out;
  }
  if (t === "boolean") {
    if (typeof value !== "boolean") out.push(`${path}: ${JSON.stringify(value)} is not a boolean`);
    return out;
  }
  if (t === "any" || t === "object" || t.startsWith("{")) {
    if (t !== "any" && (typeof value !== "object" || Array.isArray(value))) out.push(`${path}: not an object`);
    return out;
  }
  const arr = /^Array<(.+)>$/.exec(t);
  // Order book sides (`yes_dollars`, `no_dollars`) are [price, count] pairs, not prices.
  if (t === "Array<Array<string>>" && Array.isArray(value)) return checkLevels(value, path, out);
  if (arr) {
    if (!Array.isArray(value)) {
      out.push(`${path}: not an array`);
      return out;
    }
    value.forEach((v, i) => {
      checkType(v, arr[1]!, `${path}[${i}]`, key, out);
    });
    return out;
  }
  const en = enums.get(t);
  if (en) {
    if (typeof value !== "string" || !en.includes(value))
      out.push(`${path}: ${JSON.stringify(value)} is not one of ${t} (${en.join("|")})`);
    return out;
  }
  if (models.has(t)) return checkModel(value, t, path, out);
  out.push(`${path}: unknown model type ${t}`);
  return out;
}

/** Problems of `value` against the generated interface `name`. */
export function checkModel(value: unknown, name: string, path = name, out: string[] = []): string[] {
  const props = modelProps(name);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    out.push(`${path}: ${JSON.stringify(value)?.slice(0, 80)} is not an object (model ${name})`);
    return out;
  }
  const obj = value as Record<string, unknown>;
  for (const p of props) {
    if (!(p.name in obj) || obj[p.name] === undefined) {
      if (!p.optional) out.push(`${path}.${p.name}: required by ${name}, missing`);
      continue;
    }
    checkType(obj[p.name], p.type, `${path}.${p.name}`, p.name, out);
  }
  return out;
}

/** Orderbook levels: `[price 4 dp, count 2 dp]` pairs. */
export function checkLevels(levels: unknown, path: string, out: string[] = []): string[] {
  if (!Array.isArray(levels)) return out;
  levels.forEach((l, i) => {
    if (!Array.isArray(l) || l.length !== 2 || !/^\d\.\d{4}$/.test(String(l[0])) || !/^\d+\.\d{2}$/.test(String(l[1])))
      out.push(`${path}[${i}]: ${JSON.stringify(l)} is not ["0.0000","0.00"]`);
  });
  return out;
}
