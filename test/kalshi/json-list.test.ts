// The list reader (src/kalshi/wire/json-list.ts) reads a list answer from its bytes item by item.
// Whatever it returns must be what JSON.parse gives for the decoded text; where JSON.parse refuses
// the text it must return nothing (the client then parses the whole text, and fails as before); and
// it must take the plain bodies Kalshi and our local exchange send, or the daemon silently keeps the
// whole-text path. Checked on generated bodies (members in any order, whitespace, escapes, text
// outside Latin-1 and outside the BMP) and on random edits of their bytes; then through the client,
// over HTTP, that a page of events decodes as before and a broken one fails as before.
import { afterAll, describe, expect, test } from "bun:test";
import { jscDescribe } from "bun:jsc";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { KalshiApiError } from "../../src/kalshi/errors.ts";
import { parseListBody } from "../../src/kalshi/wire/json-list.ts";
import { FIXTURES } from "./fixtures.ts";
import { json, RecordingServer } from "./helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The reader against JSON.parse of the decoded text, on one body. */
function agree(bytes: Uint8Array, list = "events"): Record<string, unknown> | undefined {
  let parsed: { ok: true; value: unknown } | { ok: false } = { ok: false };
  try {
    parsed = { ok: true, value: JSON.parse(dec.decode(bytes)) };
  } catch {
    // not JSON: the reader must refuse it
  }
  const got = parseListBody(bytes, list);
  if (got !== undefined) {
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect<unknown>(got).toStrictEqual(parsed.value);
  }
  return got;
}

// Strings with escapes, quotes, backslashes, text outside Latin-1 (’ – ≥) and outside the BMP (an emoji).
const text = fc.oneof(
  fc.string(),
  fc.constantFrom('a "quoted" word', "back\\slash\\", "\\", "’curly’ – ≥ 5°", "🎯 goal", "tab\there", "line\nbreak", ""),
);
const leaf = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(text, tie("v"), { maxKeys: 4 })),
})).v;
const event = fc.record({
  event_ticker: fc.string({ minLength: 1 }),
  title: text,
  mutually_exclusive: fc.boolean(),
  markets: fc.array(fc.dictionary(fc.string(), value, { maxKeys: 5 }), { maxLength: 4 }),
  extra: value,
});
const body = fc.record({
  events: fc.array(event, { maxLength: 5 }),
  cursor: fc.string(),
  milestones: value,
});
const WS = [" ", "\n", "\t", "\r\n", "  "];
/** JSON text of `v` with whitespace between tokens (JSON.stringify's indentation, of either kind). */
const spaced = (v: unknown, pretty: number) => (pretty === 0 ? JSON.stringify(v) : JSON.stringify(v, null, pretty === 1 ? 2 : "\t"));

describe("the list reader against JSON.parse", () => {
  test("plain bodies (compact or indented, members in any order) are read, with JSON.parse's value", () => {
    fc.assert(
      fc.property(body, fc.integer({ min: 0, max: 2 }), fc.boolean(), (b, pretty, reorder) => {
        const v = reorder ? { cursor: b.cursor, milestones: b.milestones, events: b.events } : b;
        const got = agree(enc.encode(spaced(v, pretty)));
        expect(got).toBeDefined();
      }),
      { numRuns: 400 },
    );
  });

  test("whitespace around every token of the envelope and the list is taken", () => {
    fc.assert(
      fc.property(body, fc.array(fc.constantFrom(...WS), { minLength: 1, maxLength: 12 }), (b, gaps) => {
        let g = 0;
        const gap = () => gaps[g++ % gaps.length]!;
        const items = b.events.map((e) => JSON.stringify(e)).join(`${gap()},${gap()}`);
        const t = `${gap()}{${gap()}"cursor"${gap()}:${gap()}${JSON.stringify(b.cursor)}${gap()},${gap()}"events"${gap()}:${gap()}[${gap()}${items}${gap()}]${gap()}}${gap()}`;
        expect(agree(enc.encode(t))).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  test("repeated and escaped member names, an empty envelope, a list that is not an array", () => {
    const cases = [
      '{"events":[{"a":1}],"events":[{"b":2}]}',
      '{"events":[{"a":1}],"events":null}',
      '{"ev\\u0065nts":[{"a":"\\u00e9"}]}',
      "{}",
      '{"events":[]}',
      '{"events":"x","cursor":""}',
      '{"events":[1,"two",[3],null,true]}',
      '{"1":0,"events":[],"0":1}',
    ];
    for (const c of cases) expect(agree(enc.encode(c))).toBeDefined();
  });

  test("what JSON.parse refuses, or what the reader leaves to it, is never read", () => {
    const refused = [
      "",
      " ",
      "[]",
      "null",
      '"events"',
      '{"events":[{"a":1},]}',
      '{"events":[{"a":1}{"b":2}]}',
      '{"events":[{"a":1}],}',
      '{"events":[{"a":1}]',
      '{"events":[{"a":1}]} x',
      '{"events" [{"a":1}]}',
      "{events:[]}",
      '{"events":[{"a":"unterminated}]}',
      '{"events":[{"a":1]]}',
      '{"events":[tru]}',
      '{"cursor":01}',
      '{"__proto__":{"x":1},"events":[]}',
      '\u00a0{"events":[]}',
      '{"events":["a\tb"]}',
    ];
    for (const c of refused) expect(agree(enc.encode(c))).toBeUndefined();
    // A byte-order mark: JSON.parse of the decoded text takes it (TextDecoder drops it); the reader leaves it to that path.
    expect(parseListBody(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"events":[]}')]), "events")).toBeUndefined();
  });

  test("characters outside ASCII: escaped or not, after backslashes, and invalid UTF-8, all as JSON.parse reads the decoded text", () => {
    const bodies: Array<string | number[]> = [
      '{"events":[{"a":"é ° ≥ ’ 🎯"}]}',
      '{"events":[{"a":"\\\\é"}]}', // an escaped backslash, then é: read
      '{"events":[{"a":"\\\\\\é"}]}',
      '{"events":[{"é":1,"b":"\\u00e9"}]}',
      '{"events":["\\é"]}', // an invalid escape: JSON.parse refuses it
      '{"events":[é]}', // outside a string: refused
    ];
    const bad = [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x8e], [0xff], [0xc2]];
    for (const seq of bad) bodies.push([...enc.encode('{"events":[{"a":"x'), ...seq, ...enc.encode('y"},{"b":"é"}]}')]);
    for (const b of bodies) agree(typeof b === "string" ? enc.encode(b) : new Uint8Array(b));
    expect(agree(enc.encode('{"events":[{"a":"\\\\é"}]}'))).toBeDefined();
    expect(agree(enc.encode('{"events":["\\é"]}'))).toBeUndefined();
  });

  test("an ASCII value is an 8-bit string even where its item has text outside ASCII (a 16-bit one holds twice the bytes)", () => {
    const body = {
      events: [
        {
          event_ticker: "KXHIGHNY-26DEC07",
          title: "Highest temperature ≥ 50°F",
          markets: [{ ticker: "KXHIGHNY-26DEC07-B50", title: "50° or above" }],
        },
      ],
    };
    const got = parseListBody(enc.encode(JSON.stringify(body)), "events") as typeof body;
    expect(got).toStrictEqual(body);
    const eightBit = (s: string) => jscDescribe(s).includes("8Bit:(1)");
    expect(eightBit(got.events[0]!.event_ticker)).toBe(true);
    expect(eightBit(got.events[0]!.markets[0]!.ticker)).toBe(true);
    // Text outside Latin-1 stays 16-bit; the reference, JSON.parse of the decoded text, makes every value 16-bit.
    expect(eightBit(got.events[0]!.title)).toBe(false);
    const whole = JSON.parse(dec.decode(enc.encode(JSON.stringify(body)))) as typeof body;
    expect(eightBit(whole.events[0]!.markets[0]!.ticker)).toBe(false);
  });

  test("random edits of a body's bytes: read only as JSON.parse reads the text", () => {
    fc.assert(
      fc.property(
        body,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "cut", "insert")), {
          minLength: 1,
          maxLength: 3,
        }),
        (b, edits) => {
          const bytes = [...enc.encode(JSON.stringify(b))];
          for (const [at, byte, how] of edits) {
            const i = at % (bytes.length + 1);
            if (how === "set" && i < bytes.length) bytes[i] = byte;
            else if (how === "cut") bytes.splice(i, 1);
            else bytes.splice(i, 0, byte);
          }
          agree(new Uint8Array(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("structural bytes are the ones that edits hit most: each replaced by every other", () => {
    const t = enc.encode('{"cursor":"c\\"]}","events":[{"a":[1,{"b":"’"}]},{"c":null}],"m":[true]}');
    const punct = [123, 125, 91, 93, 34, 92, 44, 58, 32];
    for (let i = 0; i < t.length; i++)
      for (const p of punct) {
        const edited = t.slice();
        edited[i] = p;
        agree(edited);
      }
  });
});

// ---- through the client, over HTTP -----------------------------------------------------------------

const servers: RecordingServer[] = [];
afterAll(() => {
  for (const s of servers) s.stop();
});
const baseMarket = JSON.parse(readFileSync(join(FIXTURES, "markets__single.json"), "utf8")).market;

describe("GET /events through the client", () => {
  const page = {
    events: [
      {
        event_ticker: "KXHIGHNY-26DEC07",
        series_ticker: "KXHIGHNY",
        title: "Highest temperature in NYC — “today” ≥ 50°F? 🌡",
        sub_title: "Dec 7",
        mutually_exclusive: true,
        category: "Climate",
        markets: [0, 1, 2].map((i) => ({ ...baseMarket, ticker: `KXHIGHNY-26DEC07-B${50 + i}`, event_ticker: "KXHIGHNY-26DEC07" })),
      },
      {
        event_ticker: "KXHIGHNY-26DEC08",
        series_ticker: "KXHIGHNY",
        title: "Plain ASCII title",
        sub_title: "Dec 8",
        mutually_exclusive: true,
        category: "Climate",
        markets: [{ ...baseMarket, ticker: "KXHIGHNY-26DEC08-B50", event_ticker: "KXHIGHNY-26DEC08" }],
      },
    ],
    cursor: "next-page",
  };

  test("a page read item by item decodes as the whole text did (titles outside Latin-1 included)", async () => {
    const text = JSON.stringify(page, null, 1);
    // The reference: the same page behind a byte-order mark, which the reader leaves to the whole-text path.
    const s = new RecordingServer((_req, hit) =>
      hit.url.searchParams.get("cursor") === "bom"
        ? new Response(`\ufeff${text}`, { headers: { "content-type": "application/json" } })
        : json(text),
    );
    servers.push(s);
    // Which way each body was read off the response (the platform's Response, watched, not replaced).
    const reads: string[] = [];
    const c = new KalshiClient({
      baseUrl: s.url,
      timeoutMs: 2000,
      fetch: async (input, init) => {
        const r = await fetch(input, init);
        for (const how of ["text", "bytes"] as const) {
          const read = r[how].bind(r);
          Object.defineProperty(r, how, {
            value: () => {
              reads.push(how);
              return read();
            },
          });
        }
        return r;
      },
    });
    const viaItems = await c.listEvents({ with_nested_markets: true });
    const viaText = await c.listEvents({ with_nested_markets: true, cursor: "bom" });
    // Both from the fetch's bytes, never a text() of the whole page.
    expect(reads).toEqual(["bytes", "bytes"]);
    expect(viaItems).toStrictEqual(viaText);
    expect(viaItems.items.length).toBe(2);
    expect(viaItems.items[0]!.title).toBe(page.events[0]!.title);
    expect(viaItems.items[0]!.markets!.map((m) => m.ticker)).toEqual(page.events[0]!.markets.map((m) => m.ticker));
    expect(viaItems.cursor).toBe("next-page");
  });

  test("a body that is not JSON fails as before: invalid_response, 'body is not JSON'", async () => {
    for (const broken of ['{"events":[{"event_ticker":"X"},]}', '{"events":[', "<html>oops</html>"]) {
      const s = new RecordingServer(() => json(broken));
      servers.push(s);
      let err: unknown;
      try {
        await new KalshiClient({ baseUrl: s.url, timeoutMs: 2000, maxAttempts: 1 }).listEvents({});
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KalshiApiError);
      expect((err as KalshiApiError).kind).toBe("invalid_response");
      expect((err as KalshiApiError).message).toContain("body is not JSON");
    }
  });
});
