// Decoders compiled from zod schemas: the same accept/reject and the same output as the schema for
// the kinds below (strings, safe ints, finite numbers, booleans, literals, enums, optional/nullable,
// loose objects, arrays, tuples, unknown, our fixed-point codecs), at a fraction of zod's cost: no
// copy of the value and no per-field result objects, the fields are checked and converted in place.
// A schema using any other kind compiles to undefined, and its callers keep to zod. Used for the
// WebSocket's hot messages (ws-fast.ts, issue 14 goal 1) and REST market lists (rest-fast.ts, the
// daemon's memory: a full load of 10,000 markets every minute).
import { CountStr, Micros4Str, MicrosStr, PriceStr } from "./codecs.ts";
import { fastParseFixed, COUNT_DP, MICROS_DP, PRICE_DP } from "../money.ts";

/** A decoder returns the decoded value or FAIL; objects and arrays are decoded in place. */
export const FAIL: unique symbol = Symbol("fail");
export type Decoder = (v: unknown) => unknown;

/** A fixed-point codec's plain forms, as parseFixed reads them; anything else is FAIL, for zod to judge. */
function fixed(dp: number): Decoder {
  return (v) => {
    if (typeof v !== "string") return FAIL;
    const n = fastParseFixed(v, 0, v.length, dp);
    return Number.isNaN(n) ? FAIL : n;
  };
}

const CODECS = new Map<unknown, Decoder>([
  [PriceStr, fixed(PRICE_DP)],
  [CountStr, fixed(COUNT_DP)],
  [MicrosStr, fixed(MICROS_DP)],
  [Micros4Str, fixed(MICROS_DP)],
]);

/** The zod internals read here are the documented `_zod.def` of zod 4; unknown shapes compile to undefined. */
type Def = { type: string; [k: string]: unknown };
export const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/**
 * Code generation: each loose object becomes one function with its keys written as literals, so the
 * engine's inline caches serve every property read (a loop over a table of keys was 2-3x slower).
 * Helpers the generated code calls (codecs, nested decoders, enum sets) are passed in as `d1`, `d2`...;
 * `d0` is FAIL.
 */
/** `x` must be one of a few strings or numbers: compared with === (JSON.stringify writes them as literals). */
function oneOf(x: string, values: unknown[]): string | undefined {
  if (!values.every((v) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v)))) return undefined;
  return `if (${values.map((v) => `${x} !== ${JSON.stringify(v)}`).join(" && ")}) return d0;`;
}

export class Gen {
  readonly deps: unknown[] = [FAIL];
  readonly fns: string[] = [];

  /**
   * `write`: decoded values are stored back into the input (the default). Without it the generated
   * code only checks, leaving the input as it was: a value found wrong half-way is then still
   * intact for zod to judge (rest-fast.ts checks first, then decodes).
   */
  constructor(private readonly write = true) {}
  dep(x: unknown): string {
    this.deps.push(x);
    return `d${this.deps.length - 1}`;
  }

  /** Statements checking the variable `x` against `schema`, leaving the decoded value in it; undefined if not mirrored. */
  value(schema: unknown, x: string): string | undefined {
    const codec = CODECS.get(schema);
    if (codec) return `${x} = ${this.dep(codec)}(${x}); if (${x} === d0) return d0;`;
    const d = defOf(schema);
    const checks = (d.checks as unknown[] | undefined)?.length ?? 0;
    switch (d.type) {
      case "string":
        return checks ? undefined : `if (typeof ${x} !== "string") return d0;`;
      case "number":
        if (checks) return undefined;
        if (d.format === "safeint") return `if (!Number.isSafeInteger(${x})) return d0;`;
        // A plain z.number(): zod 4 refuses NaN and the infinities (JSON.parse makes 1e400 Infinity).
        return d.format === undefined ? `if (typeof ${x} !== "number" || !Number.isFinite(${x})) return d0;` : undefined;
      case "boolean":
        return `if (typeof ${x} !== "boolean") return d0;`;
      case "unknown":
        return "";
      case "literal":
        return oneOf(x, d.values as unknown[]);
      case "enum":
        return oneOf(x, Object.values(d.entries as Record<string, unknown>));
      case "array": {
        const el = checks ? undefined : this.value(d.element, "e");
        if (el === undefined) return undefined;
        return `if (!Array.isArray(${x})) return d0; for (let i = 0; i < ${x}.length; i++) { let e = ${x}[i]; ${el} ${this.write ? `${x}[i] = e;` : ""} }`;
      }
      case "tuple": {
        if (d.rest || checks) return undefined;
        const items = (d.items as unknown[]).map((it, i) => this.value(it, `t${i}`));
        if (items.some((v) => v === undefined)) return undefined;
        return `if (!Array.isArray(${x}) || ${x}.length !== ${items.length}) return d0; { ${items.map((code, i) => `let t${i} = ${x}[${i}]; ${code}`).join(" ")} ${this.write ? items.map((_, i) => `${x}[${i}] = t${i};`).join(" ") : ""} }`;
      }
      case "object": {
        const fn = this.object(d);
        return fn === undefined ? undefined : `${x} = ${fn}(${x}); if (${x} === d0) return d0;`;
      }
      default:
        return undefined;
    }
  }

  /** The name of a generated function decoding a loose object in place, or undefined. */
  object(d: Def): string | undefined {
    // Only loose objects (unknown keys kept as they are) are mirrored.
    if (d.catchall === undefined || defOf(d.catchall).type !== "unknown" || (d.checks as unknown[] | undefined)?.length) return undefined;
    const body: string[] = [`if (typeof o !== "object" || o === null || Array.isArray(o)) return d0; let x;`];
    for (const [key, field] of Object.entries(d.shape as Record<string, unknown>)) {
      let optional = false;
      let nullable = false;
      let s = field;
      for (;;) {
        const fd = defOf(s);
        if (fd.type === "optional") optional = true;
        else if (fd.type === "nullable") nullable = true;
        else break;
        s = fd.innerType;
      }
      const code = this.value(s, "x");
      if (code === undefined) return undefined;
      // z.unknown() takes null as a value.
      if (defOf(s).type === "unknown") nullable = true;
      const k = JSON.stringify(key);
      body.push(
        `x = o[${k}];`,
        `if (x === undefined) { ${optional ? "" : "return d0;"} }`,
        `else if (x === null) { ${nullable ? "" : "return d0;"} }`,
        `else { ${this.write ? `const x0 = x; ${code} if (x !== x0) o[${k}] = x;` : code} }`,
      );
    }
    const name = `f${this.fns.length}`;
    this.fns.push(`function ${name}(o) {\n${body.join("\n")}\nreturn o;\n}`);
    return name;
  }

  /** Link the generated functions behind `fn`, the decoder of the top-level value. */
  linkOne(fn: string): Decoder {
    const args = this.deps.map((_, i) => `d${i}`);
    return new Function(...args, `${this.fns.join("\n")}\nreturn ${fn};`)(...this.deps) as Decoder;
  }

  /** Link the generated functions behind one dispatch on `type` (a switch: no hashing of the type string). */
  link(byType: Array<[string, string]>): Decoder {
    const args = this.deps.map((_, i) => `d${i}`);
    const cases = byType.map(([t, fn]) => `case ${JSON.stringify(t)}: return ${fn}(o);`).join("\n");
    const src = `${this.fns.join("\n")}\nreturn function (o) {\nswitch (o.type) {\n${cases}\ndefault: return d0;\n}\n};`;
    return new Function(...args, src)(...this.deps) as Decoder;
  }
}
