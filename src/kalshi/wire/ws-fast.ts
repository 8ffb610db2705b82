// Fast decoding of WebSocket frames: the same accept/reject and the same output as the zod
// `WsMessage` schema, at a fraction of its cost (issue 14 goal 1).
//
// The fast path is compiled once from the zod schema itself, so it follows every edit to ws.ts: each
// message type whose fields use only the kinds below (strings, safe ints, booleans, literals, enums,
// optional/nullable, loose objects, arrays, tuples, unknown, our fixed-point codecs) gets a generated
// decoder; any other type, and any frame the fast path does not accept outright (a bad field,
// a decimal string in an unusual form, a big number), goes to zod, which has the last word. So the
// fast path may only ever say "yes, and here is zod's output"; every "no" is zod's.
// test/kalshi/ws-fast.test.ts checks that with generated frames and mutations. Plain orderbook_delta
// frames do not even get here: parseWsFrame reads them from the text first (ws-delta-scan.ts).
import type { z } from "zod";
import { CountStr, Micros4Str, MicrosStr, PriceStr } from "./codecs.ts";
import { WsMessage } from "./ws.ts";
import { scanDeltaFrame } from "./ws-delta-scan.ts";
import { COUNT_DP, fastParseFixed, MICROS_DP, PRICE_DP } from "../money.ts";

/** A decoder returns the decoded value or FAIL; objects and arrays are decoded in place. */
const FAIL: unique symbol = Symbol("fail");
type Decoder = (v: unknown) => unknown;

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
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

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

class Gen {
  readonly deps: unknown[] = [FAIL];
  readonly fns: string[] = [];
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
        return d.format === "safeint" && !checks ? `if (!Number.isSafeInteger(${x})) return d0;` : undefined;
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
        return `if (!Array.isArray(${x})) return d0; for (let i = 0; i < ${x}.length; i++) { let e = ${x}[i]; ${el} ${x}[i] = e; }`;
      }
      case "tuple": {
        if (d.rest || checks) return undefined;
        const items = (d.items as unknown[]).map((it, i) => this.value(it, `t${i}`));
        if (items.some((v) => v === undefined)) return undefined;
        return `if (!Array.isArray(${x}) || ${x}.length !== ${items.length}) return d0; { ${items.map((code, i) => `let t${i} = ${x}[${i}]; ${code}`).join(" ")} ${items.map((_, i) => `${x}[${i}] = t${i};`).join(" ")} }`;
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
        `else { const x0 = x; ${code} if (x !== x0) o[${k}] = x; }`,
      );
    }
    const name = `f${this.fns.length}`;
    this.fns.push(`function ${name}(o) {\n${body.join("\n")}\nreturn o;\n}`);
    return name;
  }

  /** Link the generated functions behind one dispatch on `type` (a switch: no hashing of the type string). */
  link(byType: Array<[string, string]>): Decoder {
    const args = this.deps.map((_, i) => `d${i}`);
    const cases = byType.map(([t, fn]) => `case ${JSON.stringify(t)}: return ${fn}(o);`).join("\n");
    const src = `${this.fns.join("\n")}\nreturn function (o) {\nswitch (o.type) {\n${cases}\ndefault: return d0;\n}\n};`;
    return new Function(...args, src)(...this.deps) as Decoder;
  }
}

const gen = new Gen();
const byType: Array<[string, string]> = [];
for (const option of defOf(WsMessage).options as unknown[]) {
  const d = defOf(option);
  const lit = defOf((d.shape as Record<string, unknown>).type);
  if (lit.type !== "literal") continue;
  const fn = gen.object(d);
  if (fn !== undefined) for (const t of lit.values as string[]) byType.push([t, fn]);
}
/** Decodes a frame of any mirrored type in place, or returns FAIL. */
const decodeFrame = gen.link(byType);

/** Message types decoded by the fast path (the rest always go through zod). */
export const FAST_WS_TYPES: ReadonlySet<string> = new Set(byType.map(([t]) => t));

/**
 * Decode a freshly parsed frame in place when the fast path can vouch for it, else undefined (the
 * object may then be partly rewritten: parse the text again for zod).
 */
export function fastDecodeWsMessage(raw: unknown): WsMessage | undefined {
  if (typeof raw !== "object" || raw === null || decodeFrame(raw) === FAIL) return undefined;
  // The compiled decoders mirror WsMessage field by field (property-tested against it).
  return raw as WsMessage;
}

/** A frame that is not a valid message: `error` is undefined when the text is not JSON at all. */
export type WsFrame = { ok: true; message: WsMessage } | { ok: false; raw: unknown; error: z.ZodError | undefined };

/** JSON text of one frame → the decoded message, exactly as `WsMessage.safeParse(JSON.parse(text))`. */
export function parseWsFrame(text: string): WsFrame {
  // Deltas in their plain form are read from the text itself; anything else takes the general path.
  const delta = scanDeltaFrame(text);
  if (delta !== undefined) return { ok: true, message: delta };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, raw: undefined, error: undefined };
  }
  const fast = fastDecodeWsMessage(raw);
  if (fast) return { ok: true, message: fast };
  // The fast path may have rewritten part of `raw`: zod gets a fresh copy (rare: malformed or unusual frames).
  const again: unknown = JSON.parse(text);
  const r = WsMessage.safeParse(again);
  return r.success ? { ok: true, message: r.data } : { ok: false, raw: again, error: r.error };
}
