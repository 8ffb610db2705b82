// Mutations of wire values for the fast decoders' property tests (ws-fast.test.ts, rest-fast.test.ts):
// every path into a value, hostile replacement values, and deletions or replacements at those paths.
import fc from "fast-check";

/** Every path into a frame (objects and arrays), for mutations to aim at. */
export function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push([...prefix, i], ...paths(x, [...prefix, i]));
    });
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push([...prefix, k], ...paths(x, [...prefix, k]));
  return out;
}

export const plainDecimal = fc
  .tuple(fc.boolean(), fc.stringMatching(/^\d{1,17}$/), fc.stringMatching(/^\d{0,8}$/))
  .map(([neg, whole, frac]) => `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`);
export const nasty = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -0,
    1,
    -1,
    1.5,
    2 ** 53,
    -(2 ** 53),
    1e21,
    "",
    "yes",
    "no",
    "bid",
    "ask",
    "resting",
    "pending",
    "orderbook_delta",
    "ticker",
    "0.5600",
    " 0.56",
    "0.56 ",
    "0.5",
    "1",
    "-1.00",
    "-0",
    "-0.0000",
    "0.52001",
    "0.520000",
    "0.",
    ".5",
    "+1",
    "1e2",
    "0x10",
    "00.50",
    "٣",
    "123456789012345.67",
    "9007199254740993",
    "1234567890123.4567",
    "999999999.999999",
    [],
    {},
    [["0.5", "1.00"]],
    ["0.5", "1.00"],
    [["0.5", "1.00", "x"]],
    { code: 5 },
  ),
  plainDecimal,
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 6 }),
  fc.jsonValue({ maxDepth: 2 }),
);

export interface Mutation {
  path: readonly (string | number)[];
  op: "delete" | "set";
  value: unknown;
}

export function mutate(base: unknown, muts: Mutation[]): unknown {
  const frame = structuredClone(base) as Record<string | number, unknown>;
  for (const m of muts) {
    let o: Record<string | number, unknown> = frame;
    for (const k of m.path.slice(0, -1)) {
      const next = o[k];
      if (!next || typeof next !== "object") break;
      o = next as Record<string | number, unknown>;
    }
    const last = m.path[m.path.length - 1]!;
    if (m.op === "delete") {
      if (Array.isArray(o) && typeof last === "number") o.splice(last, 1);
      else delete o[last];
    } else o[last] = m.value;
  }
  return frame;
}
