// A list answer (`{"events":[...],"cursor":"..."}`) read from its bytes, one item at a time (issue 14
// goal 5, the daemon's memory). The daemon's full load reads ~25 pages of GET /events with nested
// markets a minute at 10,000 markets, ~690 KB each. Through `Response.text()` each page became one
// string of the whole body: a UTF-16 one (~1.4 MB, twice the bytes) as soon as a single title or
// rule held a character outside Latin-1, and JSON.parse then held the whole page's object tree at
// once. Here the body stays the fetch's own bytes; each item and each other member of the envelope
// is decoded and given to JSON.parse on its own, so the strings are the size of one event (8-bit
// unless that event has such a character) and no allocation is the size of the page.
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
    return JSON.parse(utf8.decode(bytes.subarray(start, end)));
  } catch {
    return FAIL;
  }
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
