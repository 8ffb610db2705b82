// The orderbook_delta scanner (src/kalshi/wire/ws-delta-scan.ts) reads frames from their text without
// JSON.parse. Whatever it accepts, JSON.parse + the zod WsMessage schema must accept with the same
// output; and it must take the plain frames Kalshi and our local exchange send (keys in any order), or
// the client silently falls back to the slower path. Checked on generated frames, written token by
// token so that key order, repeated keys, escapes, whitespace and number forms can all be varied, and
// on random edits of their text. fastParseFixed, its decimal reader, is checked against parseFixed.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { fastParseFixed, parseFixed } from "../../src/kalshi/money.ts";
import { WsMessage } from "../../src/kalshi/wire/ws.ts";
import { scanDeltaFrame } from "../../src/kalshi/wire/ws-delta-scan.ts";
import { parseWsFrame } from "../../src/kalshi/wire/ws-fast.ts";

/** The scanner and the client's parseWsFrame against JSON.parse + zod, on one frame's text. */
function agree(text: string): void {
  let parsed: { ok: true; value: unknown } | { ok: false } = { ok: false };
  try {
    parsed = { ok: true, value: JSON.parse(text) };
  } catch {
    // not JSON: both must refuse
  }
  const zod = parsed.ok ? WsMessage.safeParse(parsed.value) : undefined;
  const scanned = scanDeltaFrame(text);
  if (scanned !== undefined) {
    expect(zod?.success).toBe(true);
    if (zod?.success) expect<unknown>(scanned).toStrictEqual(zod.data);
  }
  const got = parseWsFrame(text);
  expect(got.ok).toBe(zod?.success ?? false);
  if (got.ok && zod?.success) expect(got.message).toStrictEqual(zod.data);
}

// ---- frames written token by token -----------------------------------------------------------------

/** A key and the raw JSON text of its value. */
type Entry = readonly [key: string, raw: string];

interface Layout {
  entries: Entry[];
  msg: Entry[];
  /** Whitespace (or other text) put at token boundaries, consumed in turn; empty: compact form. */
  gaps: string[];
  tail: string;
}

function render(l: Layout): string {
  let g = 0;
  const gap = () => (l.gaps.length ? l.gaps[g++ % l.gaps.length]! : "");
  const obj = (es: Entry[], inner?: string) =>
    `{${gap()}${es.map(([k, raw]) => `${k}${gap()}:${gap()}${raw === MSG ? inner : raw}${gap()}`).join(`,${gap()}`)}}`;
  return `${gap()}${obj(l.entries, obj(l.msg))}${l.tail}`;
}
/** Placeholder for the msg object inside the top-level entries. */
const MSG = "\u0000msg";

const q = (s: string) => JSON.stringify(s);
const TICKER = "KXWTACHALLENGERMATCH-26JUN11JIMLEP-LEP";

/** Mostly the valid form, sometimes something else: `odd` is weighted 1 against `ok` 8. */
const mostly = (ok: fc.Arbitrary<string>, odd: fc.Arbitrary<string>) =>
  fc.oneof({ arbitrary: ok, weight: 8 }, { arbitrary: odd, weight: 1 });

const ODD_NUMBERS = fc.constantFrom(
  "-0",
  "-1",
  "01",
  "00",
  "1.0",
  "1.5",
  "1e0",
  "1E2",
  "-",
  "+1",
  "9007199254740991",
  "9007199254740992",
  "123456789012345",
  "-123456789012345",
  "1234567890123456",
  "99999999999999999999",
  "1e21",
  ".5",
  "0x1",
  "null",
  "true",
  '"1"',
  "[]",
  "{}",
);
const rawInt = mostly(fc.oneof(fc.nat(1000), fc.maxSafeNat()).map(String), ODD_NUMBERS);
const rawTsMs = mostly(fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }).map(String), ODD_NUMBERS);

const plainDecimal = fc
  .tuple(fc.boolean(), fc.stringMatching(/^\d{1,17}$/), fc.stringMatching(/^\d{0,8}$/))
  .map(([neg, whole, frac]) => `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`);
const ODD_DECIMALS = fc.constantFrom(
  " 0.56",
  "0.56 ",
  "0.",
  ".5",
  "+1",
  "1e2",
  "--1",
  "-",
  "",
  "0.52001",
  "0.520000",
  "00.50",
  "٣",
  "0.5\\u0030",
  "9007199254740993",
  "123456789012345.67",
);
const rawPrice = mostly(
  fc.integer({ min: 1, max: 9999 }).map((p) => q(`0.${String(p).padStart(4, "0")}`)),
  fc.oneof(
    plainDecimal.map(q),
    ODD_DECIMALS.map((s) => `"${s}"`),
    ODD_NUMBERS,
  ),
);
const rawCount = mostly(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((c) => q((c / 100).toFixed(2))),
  fc.oneof(
    plainDecimal.map(q),
    ODD_DECIMALS.map((s) => `"${s}"`),
    ODD_NUMBERS,
  ),
);
const rawString = (plain: fc.Arbitrary<string>) =>
  mostly(
    plain.map(q),
    fc.oneof(
      // JSON.stringify escapes quotes, backslashes and control characters; lone surrogates stay raw.
      fc.string({ maxLength: 8, unit: "binary" }).map(q),
      fc.constantFrom(
        '"A\\u0042C"',
        '"a\\/b"',
        '"tab\\t"',
        '"\\""',
        '"\u0001"',
        '"\u007f"',
        '"é"',
        '"\ud800"',
        "null",
        "1",
        "true",
        "{}",
        "[]",
      ),
    ),
  );
const rawTicker = rawString(fc.constantFrom(TICKER, "KXHIGHNY-25DEC06-B45.5", "X", "KXBTCD-25DEC0617-T99999.99", ""));
const rawId = rawString(fc.uuid());
const rawTs = rawString(fc.date({ min: new Date(1.7e12), max: new Date(1.9e12), noInvalidDate: true }).map((d) => d.toISOString()));
const rawSide = mostly(
  fc.constantFrom('"yes"', '"no"'),
  fc.constantFrom('"YES"', '"maybe"', '""', '"ye\\u0073"', '"no "', "null", "1", "true"),
);
const rawType = mostly(
  fc.constant('"orderbook_delta"'),
  fc.constantFrom(
    '"orderbook_snapshot"',
    '"ticker"',
    '"orderbook_delta "',
    '"orderbook_deltaa"',
    '"orderbook_delt\\u0061"',
    '"orderbook_delt"',
    "null",
    "1",
  ),
);

/** Keys as written: usually plain, sometimes escaped, cased differently or padded (the same or another key to JSON). */
const key = (k: string) =>
  fc.oneof(
    { arbitrary: fc.constant(q(k)), weight: 30 },
    {
      arbitrary: fc.constantFrom(
        `"${k.slice(0, -1)}\\u${k
          .charCodeAt(k.length - 1)
          .toString(16)
          .padStart(4, "0")}"`,
        q(`${k} `),
        q(k.toUpperCase()),
      ),
      weight: 1,
    },
  );
/** Optional fields: present most of the time (null one time in 4). */
const maybe = (e: fc.Arbitrary<Entry>) => fc.option(e, { freq: 4 });
/** Present one time in `1 + w`. */
const rare = <T>(a: fc.Arbitrary<T>, w: number) => fc.oneof({ arbitrary: fc.constant(null), weight: w }, { arbitrary: a, weight: 1 });
const entry = (k: string, v: fc.Arbitrary<string>): fc.Arbitrary<Entry> => fc.tuple(key(k), v);

const EXTRA_KEYS = fc.constantFrom(
  "extra",
  "id",
  "type",
  "msg",
  "sid",
  "seq",
  "market_ticker",
  "side",
  "price_dollars",
  "delta_fp",
  "ts",
  "ts_ms",
  "subaccount",
  "",
);
const extraValue = fc.oneof(rawInt, rawTicker, rawPrice, rawSide, fc.constantFrom("null", "{}", '{"a":1}', "[1,2]"));

const layout: fc.Arbitrary<Layout> = fc
  .record({
    type: entry("type", rawType),
    sid: entry("sid", rawInt),
    seq: entry("seq", rawInt),
    ticker: entry("market_ticker", rawTicker),
    price: entry("price_dollars", rawPrice),
    delta: entry("delta_fp", rawCount),
    side: entry("side", rawSide),
    id: maybe(entry("market_id", rawId)),
    ts: maybe(entry("ts", rawTs)),
    tsMs: maybe(entry("ts_ms", rawTsMs)),
    clientOrderId: rare(entry("client_order_id", rawString(fc.uuid())), 4),
    subaccount: rare(entry("subaccount", rawInt), 4),
    // Repeated or unknown keys, at the top or inside msg.
    topExtra: rare(fc.tuple(EXTRA_KEYS.map(q), extraValue), 8),
    msgExtra: rare(fc.tuple(EXTRA_KEYS.map(q), extraValue), 8),
    // A required key left out now and then.
    drop: rare(fc.constantFrom("type", "sid", "seq", "msg", "market_ticker", "price_dollars", "delta_fp", "side"), 12),
    gaps: rare(fc.array(fc.constantFrom("", "", "", "", "", "", " ", "\n", "\t", "\r", "\u00a0", "x"), { minLength: 1, maxLength: 40 }), 4),
    tail: fc.oneof(
      { arbitrary: fc.constant(""), weight: 12 },
      { arbitrary: fc.constantFrom(" ", "\n", "\n\n", "\r\n", "x", "}", ",", "{}"), weight: 1 },
    ),
    seed: fc.nat(),
  })
  .chain((r) => {
    const dropped = (e: Entry | null): e is Entry => e !== null && e[0] !== q(r.drop ?? "");
    const top: Entry[] = [r.type, r.sid, r.seq, ['"msg"', MSG] as const, r.topExtra].filter(dropped);
    const msg: Entry[] = [r.ticker, r.id, r.price, r.delta, r.side, r.ts, r.tsMs, r.clientOrderId, r.subaccount, r.msgExtra].filter(
      dropped,
    );
    return fc.record({
      entries: fc.shuffledSubarray(top, { minLength: top.length, maxLength: top.length }),
      msg: fc.shuffledSubarray(msg, { minLength: msg.length, maxLength: msg.length }),
      gaps: fc.constant(r.gaps ?? []),
      tail: fc.constant(r.tail),
    });
  });

/** A frame that is valid and in the plain form: the scanner must take it. */
const plainLayout: fc.Arbitrary<Layout> = fc
  .record({
    sid: fc.nat(1_000_000),
    // Integers of up to 15 digits are read; longer ones (never seen on the wire) take the general path.
    seq: fc.integer({ min: 0, max: 999_999_999_999_999 }),
    ticker: fc.stringMatching(/^[A-Z0-9.-]{1,60}$/),
    id: fc.option(fc.uuid()),
    price: fc.integer({ min: 1, max: 9999 }),
    delta: fc.integer({ min: -1e9, max: 1e9 }),
    side: fc.constantFrom("yes", "no"),
    ts: fc.option(fc.date({ min: new Date(1.7e12), max: new Date(1.9e12), noInvalidDate: true })),
    tsMs: fc.option(fc.integer({ min: 0, max: 2e12 })),
    clientOrderId: fc.option(fc.uuid(), { freq: 4 }),
    subaccount: fc.option(fc.nat(32), { freq: 4 }),
  })
  .chain((r) => {
    const msg: Entry[] = [
      ['"market_ticker"', q(r.ticker)],
      ['"price_dollars"', q(`0.${String(r.price).padStart(4, "0")}`)],
      ['"delta_fp"', q((r.delta / 100).toFixed(2))],
      ['"side"', q(r.side)],
    ];
    if (r.id !== null) msg.push(['"market_id"', q(r.id)]);
    if (r.ts !== null) msg.push(['"ts"', q(r.ts.toISOString())]);
    if (r.tsMs !== null) msg.push(['"ts_ms"', String(r.tsMs)]);
    if (r.clientOrderId !== null) msg.push(['"client_order_id"', q(r.clientOrderId)]);
    if (r.subaccount !== null) msg.push(['"subaccount"', String(r.subaccount)]);
    const top: Entry[] = [
      ['"type"', q("orderbook_delta")],
      ['"sid"', String(r.sid)],
      ['"seq"', String(r.seq)],
      ['"msg"', MSG],
    ];
    return fc.record({
      entries: fc.shuffledSubarray(top, { minLength: top.length, maxLength: top.length }),
      msg: fc.shuffledSubarray(msg, { minLength: msg.length, maxLength: msg.length }),
      gaps: fc.constant([]),
      // A final newline (Go's json.Encoder writes one) is part of the plain form.
      tail: fc.constantFrom("", "\n"),
    });
  });

describe("fastParseFixed agrees with parseFixed", () => {
  const decimal = fc.oneof(plainDecimal, ODD_DECIMALS, fc.string({ maxLength: 8 }), fc.stringMatching(/^-?\d{0,3}\.?\d{0,8}$/));
  test("whatever it reads is parseFixed's value; the rest is NaN", () => {
    fc.assert(
      fc.property(decimal, fc.constantFrom(2, 4, 6), fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), (s, dp, before, after) => {
        const fast = fastParseFixed(before + s + after, before.length, before.length + s.length, dp);
        let slow: number | undefined;
        try {
          slow = parseFixed(s, dp);
        } catch {
          slow = undefined;
        }
        if (!Number.isNaN(fast)) expect(fast).toBe(slow!);
        // Kalshi's forms are always read.
        if (/^-?\d{1,6}\.\d{1,4}$/.test(s) && dp >= 4 && slow !== undefined) expect(fast).toBe(slow);
      }),
      { numRuns: 5000, seed: 14 },
    );
  });
});

describe("the orderbook_delta scanner agrees with JSON.parse + zod", () => {
  test("Kalshi's recorded deltas and our local exchange's key order are scanned, with zod's output", () => {
    const dir = join(import.meta.dir, "../fixtures/kalshi");
    const deltas = ["ws__orderbook_trade_yes.jsonl", "ws__orderbook_trade_noleg.jsonl"]
      .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n"))
      .filter((l) => l.includes('"type":"orderbook_delta"'));
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    for (const l of deltas) {
      agree(l);
      expect(scanDeltaFrame(l)).toBeDefined();
      // The local exchange writes keys in alphabetical order (src/sim/ws-server.ts).
      const sorted = (v: unknown): unknown =>
        v && typeof v === "object" && !Array.isArray(v)
          ? Object.fromEntries(
              Object.entries(v)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([k, x]) => [k, sorted(x)]),
            )
          : v;
      const alpha = JSON.stringify(sorted(JSON.parse(l)));
      expect(alpha.startsWith('{"msg":{"delta_fp"')).toBe(true);
      agree(alpha);
      expect(scanDeltaFrame(alpha)).toStrictEqual(scanDeltaFrame(l));
    }
  });

  test("valid plain frames in any key order are scanned, with zod's output", () => {
    fc.assert(
      fc.property(plainLayout, (l) => {
        const text = render(l);
        agree(text);
        expect(scanDeltaFrame(text)).toBeDefined();
      }),
      { numRuns: 3000, seed: 14 },
    );
  }, 60_000);

  test("generated frames with odd values, keys, repeats, escapes and whitespace: same accept/reject and output", () => {
    let scanned = 0;
    fc.assert(
      fc.property(layout, (l) => {
        const text = render(l);
        agree(text);
        if (scanDeltaFrame(text)) scanned++;
      }),
      { numRuns: 10_000, seed: 14 },
    );
    // The generator must also reach frames the scanner takes, or the output checks above test nothing.
    expect(scanned).toBeGreaterThan(500);
  }, 60_000);

  // With and without a final newline (the scanner takes one, and must then still see every other character).
  for (const tail of ["", "\n"])
    test(`random edits of a frame's text${tail ? " ending in a newline" : ""}: same accept/reject and output`, () => {
      const base = render({
        entries: [
          ['"type"', q("orderbook_delta")],
          ['"sid"', "1"],
          ['"seq"', "3"],
          ['"msg"', MSG],
        ],
        msg: [
          ['"market_ticker"', q(TICKER)],
          ['"market_id"', q("f5ed38e2-0991-4c8f-817e-08c4fd9cbfdb")],
          ['"price_dollars"', q("0.5200")],
          ['"delta_fp"', q("-1.00")],
          ['"side"', q("no")],
          ['"ts"', q("2026-06-11T06:29:47.354803Z")],
          ['"ts_ms"', "1781159387354"],
        ],
        gaps: [],
        tail,
      });
      agree(base);
      expect(scanDeltaFrame(base)).toBeDefined();
      const char = fc.constantFrom(...'{}[],:"\\ \n0123456789.-+eEnulltrueyesno_abcxyz', "\u0000", "é");
      const edit = fc.record({ at: fc.nat(base.length), op: fc.constantFrom("insert", "replace", "delete"), c: char });
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
          let t = base;
          for (const e of edits) {
            const at = e.at % (t.length + 1);
            t = t.slice(0, at) + (e.op === "delete" ? "" : e.c) + t.slice(e.op === "insert" ? at : at + 1);
          }
          agree(t);
        }),
        { numRuns: 20_000, seed: 14 },
      );
    }, 60_000);

  test("other message types and non-objects are left to the general path", () => {
    for (const t of [
      '{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"X","yes_dollars_fp":[["0.5000","1.00"]]}}',
      '{"type":"ticker","sid":2,"msg":{"market_ticker":"X","price_dollars":"0.5000"}}',
      '{"msg":{"count_fp":"1.00"},"seq":1,"sid":3,"type":"trade"}',
      "{}",
      "[]",
      "null",
      "",
      "{",
      "}",
    ]) {
      expect(scanDeltaFrame(t)).toBeUndefined();
      agree(t);
    }
  });
});
