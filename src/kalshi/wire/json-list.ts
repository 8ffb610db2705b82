// A list answer (`{"events":[...],"cursor":"..."}`) read from its bytes, one item at a time (issue 14
// goal 5, the daemon's memory). The daemon's full load reads ~25 pages of GET /events with nested
// markets a minute at 10,000 markets, ~690 KB each. Through `Response.text()` each page became one
// string of the whole body: a UTF-16 one (~1.4 MB, twice the bytes) as soon as a single title or
// rule held a character outside ASCII (nearly every page does), and JSON.parse then held the whole
// page's object tree at once. Here the body stays the fetch's own bytes; each item and each other member of the envelope
// is decoded and given to JSON.parse on its own, as ASCII text (characters outside ASCII written as
// \u escapes: asciiText), so no allocation is the size of the page and the strings parsed are 8-bit
// wherever their own characters allow.
//
// The result is what `JSON.parse(new TextDecoder().decode(bytes))` gives, or undefined when the body
// is not in the plain form read here (not an object, a byte-order mark, a `__proto__` member, or
// anything that is not JSON): the caller then decodes the whole text and parses it as before, so a
// malformed body fails exactly as it did. The structure is checked here at the envelope's and the
// list's level (JSON's whitespace, colons and commas only); whatever lies inside one member or one
// item is JSON.parse's to judge. Splitting at ASCII punctuation outside strings never cuts a UTF-8
// sequence: every byte of a multi-byte one is >= 0x80.
// test/kalshi/json-list.test.ts checks the agreement on generated bodies and on edits of them.

const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;

const utf8 = new TextDecoder();
const FAIL: unique symbol = Symbol("not JSON");

/** The body's JSON value with the `list` member's items parsed one by one, or undefined (see above). */
export function parseListBody(bytes: Uint8Array, list: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let i = skipWs(bytes, 0);
  if (bytes[i] !== LBRACE) return undefined;
  i = skipWs(bytes, i + 1);
  if (bytes[i] === RBRACE) return skipWs(bytes, i + 1) === bytes.length ? out : undefined;
  for (;;) {
    if (bytes[i] !== QUOTE) return undefined;
    const keyEnd = stringEnd(bytes, i);
    if (keyEnd < 0) return undefined;
    const name = parseSpan(bytes, i, keyEnd);
    // An own "__proto__" member (JSON.parse makes one) cannot be set by assignment.
    if (typeof name !== "string" || name === "__proto__") return undefined;
    i = skipWs(bytes, keyEnd);
    if (bytes[i] !== COLON) return undefined;
    i = skipWs(bytes, i + 1);
    if (name === list && bytes[i] === LBRACKET) {
      const items: unknown[] = [];
      i = skipWs(bytes, i + 1);
      if (bytes[i] === RBRACKET) i++;
      else
        for (;;) {
          const end = valueEnd(bytes, i);
          if (end < 0) return undefined;
          const item = parseSpan(bytes, i, end);
          if (item === FAIL) return undefined;
          items.push(item);
          i = skipWs(bytes, end);
          if (bytes[i] === COMMA) i = skipWs(bytes, i + 1);
          else if (bytes[i] === RBRACKET) {
            i++;
            break;
          } else return undefined;
        }
      out[name] = items;
    } else {
      const end = valueEnd(bytes, i);
      if (end < 0) return undefined;
      const value = parseSpan(bytes, i, end);
      if (value === FAIL) return undefined;
      out[name] = value;
      i = end;
    }
    i = skipWs(bytes, i);
    if (bytes[i] === COMMA) i = skipWs(bytes, i + 1);
    else if (bytes[i] === RBRACE) return skipWs(bytes, i + 1) === bytes.length ? out : undefined;
    else return undefined;
  }
}

function parseSpan(bytes: Uint8Array, start: number, end: number): unknown {
  try {
    return JSON.parse(asciiText(bytes, start, end) ?? utf8.decode(bytes.subarray(start, end)));
  } catch {
    return FAIL;
  }
}

/** Reused for asciiText's output (grown to the largest span met; three bytes out per byte in at most). */
let scratch = new Uint8Array(0);
const HEX = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];

/**
 * The span as JSON text in ASCII, each character outside ASCII written as its \u escape (a pair
 * for one outside the BMP): the same JSON value, from an 8-bit string. A JSON text holding a single
 * character outside ASCII, decoded, is a 16-bit string, and JSON.parse then makes every string
 * value in it 16-bit, tickers and all (nearly every market's title or rules has one: "°", "≥", "’"),
 * twice the bytes, kept as long as the views. Undefined when the span is ASCII already (decoded
 * as is, it is 8-bit) and where the escape could read differently from the character: invalid
 * UTF-8 (the decoder's replacement characters are its own to make) or a character right after an
 * unescaped backslash (an invalid escape the escape would turn valid); the span is then decoded as is.
 */
function asciiText(bytes: Uint8Array, start: number, end: number): string | undefined {
  let i = start;
  while (i < end && bytes[i]! < 0x80) i++;
  if (i === end) return undefined;
  if (scratch.length < (end - start) * 3) scratch = new Uint8Array((end - start) * 3);
  const out = scratch;
  let n = 0;
  let backslashes = 0;
  for (let j = start; j < i; j++) {
    const c = bytes[j]!;
    out[n++] = c;
    backslashes = c === BACKSLASH ? backslashes + 1 : 0;
  }
  while (i < end) {
    const c = bytes[i]!;
    if (c < 0x80) {
      out[n++] = c;
      backslashes = c === BACKSLASH ? backslashes + 1 : 0;
      i++;
      continue;
    }
    if (backslashes % 2 === 1) return undefined;
    backslashes = 0;
    let cp: number;
    // Well-formed UTF-8 only (the table of RFC 3629 / the WHATWG decoder): no overlong forms, no surrogates, nothing past U+10FFFF.
    const c1 = i + 1 < end ? bytes[i + 1]! : -1;
    if (c >= 0xc2 && c <= 0xdf) {
      if (c1 < 0x80 || c1 > 0xbf) return undefined;
      cp = ((c & 0x1f) << 6) | (c1 & 0x3f);
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      const lo = c === 0xe0 ? 0xa0 : 0x80;
      const hi = c === 0xed ? 0x9f : 0xbf;
      const c2 = i + 2 < end ? bytes[i + 2]! : -1;
      if (c1 < lo || c1 > hi || c2 < 0x80 || c2 > 0xbf) return undefined;
      cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      const lo = c === 0xf0 ? 0x90 : 0x80;
      const hi = c === 0xf4 ? 0x8f : 0xbf;
      const c2 = i + 2 < end ? bytes[i + 2]! : -1;
      const c3 = i + 3 < end ? bytes[i + 3]! : -1;
      if (c1 < lo || c1 > hi || c2 < 0x80 || c2 > 0xbf || c3 < 0x80 || c3 > 0xbf) return undefined;
      cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
      i += 4;
    } else return undefined;
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      n = writeEscape(out, n, 0xd800 | (v >> 10));
      n = writeEscape(out, n, 0xdc00 | (v & 0x3ff));
    } else n = writeEscape(out, n, cp);
  }
  return utf8.decode(out.subarray(0, n));
}

function writeEscape(out: Uint8Array, n: number, unit: number): number {
  out[n] = BACKSLASH;
  out[n + 1] = 117; // u
  out[n + 2] = HEX[(unit >> 12) & 15]!;
  out[n + 3] = HEX[(unit >> 8) & 15]!;
  out[n + 4] = HEX[(unit >> 4) & 15]!;
  out[n + 5] = HEX[unit & 15]!;
  return n + 6;
}

/** The first index at or after `i` that is not JSON whitespace (space, tab, line feed, carriage return). */
function skipWs(bytes: Uint8Array, i: number): number {
  for (;;) {
    const c = bytes[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

/** Just past the closing quote of the string opened at `open`, or -1. */
function stringEnd(bytes: Uint8Array, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = bytes.indexOf(QUOTE, from);
    if (q < 0) return -1;
    // Escaped when preceded by an odd run of backslashes (the opening quote stops the run).
    let b = q - 1;
    while (bytes[b] === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/**
 * Just past the value starting at `i` as JSON's structure delimits it (brackets matched outside
 * strings; a number or literal runs to the next punctuation or whitespace), or -1. Its content is
 * not checked here: JSON.parse of the span does that.
 */
function valueEnd(bytes: Uint8Array, i: number): number {
  const c = bytes[i];
  if (c === undefined) return -1;
  if (c === QUOTE) return stringEnd(bytes, i);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < bytes.length; ) {
      const d = bytes[j]!;
      if (d === QUOTE) {
        j = stringEnd(bytes, j);
        if (j < 0) return -1;
        continue;
      }
      if (d === LBRACE || d === LBRACKET) depth++;
      else if (d === RBRACE || d === RBRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  let j = i;
  for (;;) {
    const d = bytes[j];
    if (d === undefined || d === COMMA || d === RBRACE || d === RBRACKET || d === 32 || d === 10 || d === 13 || d === 9) break;
    j++;
  }
  return j > i ? j : -1;
}
