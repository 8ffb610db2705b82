// Cursor paging as Kalshi does it: an opaque cursor, `cursor: ""` on the last page, an unknown
// cursor silently restarting from the top, and limits over the maximum rejected in the bare shape.
//
// Kalshi's cursors are keysets, not offsets: the recorded GetMarkets cursors
// (fixtures/markets__page1..3) are a protobuf of the last returned market's created_time and
// ticker, and the trades cursor carries the last trade's id and time. A walk therefore never
// repeats or skips an item when new ones arrive at the head of a newest-first list (trades, fills,
// orders, settlements, new markets) while the client pages. `keysetPage` and `marketsPage` do
// that; `eventsPage` and `positionsPage` do it for lists in a fixed order (events as created,
// positions by event and ticker), where items come and go anywhere in the list.
import * as E from "./errors.ts";

/** Parse `limit` for endpoint `op` (e.g. "GetMarkets"), Kalshi's validator wording on failure. */
export function parseLimit(raw: string | null, def: number, max: number, op: string): number {
  if (raw === null || raw === "") return def;
  const n = Number(raw);
  const field = `Key: '${op}Params.Limit' Error:Field validation for 'Limit' failed on the`;
  if (!Number.isInteger(n)) throw E.bare(`Parameter validation failed for ${op}: invalid value "${raw}" for limit`);
  // Kalshi validates `omitempty,gte=…,lte=max`: 0 is "empty", i.e. the default page size.
  if (n === 0) return def;
  if (n > max) throw E.bare(`Parameter validation failed for ${op}: ${field} 'lte' tag`);
  if (n < 0) throw E.bare(`Parameter validation failed for ${op}: ${field} 'gte' tag`);
  return n;
}

// ---- keyset cursors for newest-first record lists -------------------------------------------------

const KEYSET_PREFIX = "Eh";

function encodeKey(ms: number, id: string): string {
  return KEYSET_PREFIX + Buffer.from(`k:${ms}:${id}`).toString("base64url");
}

function decodeKey(c: string | null): { ms: number; id: string } | null {
  if (!c?.startsWith(KEYSET_PREFIX)) return null;
  const m = /^k:(\d+):(.+)$/s.exec(Buffer.from(c.slice(KEYSET_PREFIX.length), "base64url").toString());
  return m ? { ms: Number(m[1]), id: m[2]! } : null;
}

/**
 * One page of `items`, a list in newest-first order (non-increasing `ms`). The cursor names the
 * last item returned; the next page starts right after it, wherever it now sits. When that item no
 * longer passes the filters (an order that stopped resting), the page starts at the first item
 * older than it. An unreadable cursor starts from the top, as on Kalshi.
 */
export function keysetPage<T>(
  items: T[],
  cursor: string | null,
  limit: number,
  key: (t: T) => { ms: number; id: string },
): { items: T[]; cursor: string } {
  let start = 0;
  const k = decodeKey(cursor);
  if (k) {
    const i = items.findIndex((t) => key(t).id === k.id);
    if (i >= 0) start = i + 1;
    else {
      start = items.findIndex((t) => key(t).ms < k.ms);
      if (start < 0) start = items.length;
    }
  }
  const out = items.slice(start, start + limit);
  const more = start + limit < items.length;
  const last = out[out.length - 1];
  return { items: out, cursor: more && last !== undefined ? encodeKey(key(last).ms, key(last).id) : "" };
}

// ---- GetMarkets: newest created first, Kalshi's own cursor encoding --------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

function readVarint(buf: Buffer, pos: { i: number }): number | null {
  let v = 0n;
  let shift = 0n;
  for (let n = 0; n < 10; n++) {
    if (pos.i >= buf.length) return null;
    const b = buf[pos.i++]!;
    v |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return Number(v);
    shift += 7n;
  }
  return null;
}

/**
 * Kalshi's GetMarkets cursor: base64url (no padding) of the protobuf
 * `{1: Timestamp{1: seconds, 2: nanos}, 2: ticker}` of the last market returned
 * ("CgwIuKKp0QYQ-MDV3QISJ0tYTUxCSElU…" in fixtures/markets__page1).
 */
export function encodeMarketCursor(createdMs: number, ticker: string): string {
  const secs = Math.floor(createdMs / 1000);
  const nanos = (createdMs - secs * 1000) * 1_000_000;
  const ts = [0x08, ...varint(secs), ...(nanos > 0 ? [0x10, ...varint(nanos)] : [])];
  const t = [...Buffer.from(ticker)];
  return Buffer.from([0x0a, ...varint(ts.length), ...ts, 0x12, ...varint(t.length), ...t]).toString("base64url");
}

export function decodeMarketCursor(c: string | null): { createdMs: number; ticker: string } | null {
  if (!c) return null;
  let buf: Buffer;
  try {
    buf = Buffer.from(c, "base64url");
  } catch {
    return null;
  }
  const pos = { i: 0 };
  let secs: number | null = null;
  let nanos = 0;
  let ticker: string | null = null;
  while (pos.i < buf.length) {
    const tag = readVarint(buf, pos);
    if (tag === null || (tag & 7) !== 2) return null;
    const len = readVarint(buf, pos);
    if (len === null || pos.i + len > buf.length) return null;
    const body = buf.subarray(pos.i, pos.i + len);
    pos.i += len;
    if (tag >> 3 === 1) {
      const p = { i: 0 };
      while (p.i < body.length) {
        const t = readVarint(body, p);
        const v = t === null ? null : readVarint(body, p);
        if (t === null || v === null) return null;
        if (t === 0x08) secs = v;
        else if (t === 0x10) nanos = v;
        else return null;
      }
    } else if (tag >> 3 === 2) ticker = body.toString("utf8");
    else return null;
  }
  if (secs === null || ticker === null) return null;
  return { createdMs: secs * 1000 + Math.floor(nanos / 1_000_000), ticker };
}

/** GetMarkets order (fixtures/markets__*): created_time descending, then ticker descending. */
export function compareMarkets(a: { createdMs: number; ticker: string }, b: { createdMs: number; ticker: string }): number {
  if (a.createdMs !== b.createdMs) return b.createdMs - a.createdMs;
  return a.ticker < b.ticker ? 1 : a.ticker > b.ticker ? -1 : 0;
}

/** A page of markets already in `compareMarkets` order, resuming strictly after the cursor's market. */
export function marketsPage<T extends { createdMs: number; ticker: string }>(
  items: T[],
  cursor: string | null,
  limit: number,
): { items: T[]; cursor: string } {
  return orderedPage(
    items,
    decodeMarketCursor(cursor),
    limit,
    (m) => m,
    compareMarkets,
    (k) => encodeMarketCursor(k.createdMs, k.ticker),
  );
}

// ---- events and positions: a fixed order, a cursor naming the last item --------------------------
//
// No recorded events or positions cursor is non-empty (fixtures/portfolio__positions has
// `cursor: ""`, there is no GetEvents recording), so their encoding cannot be copied; they are
// opaque base64url protobufs in the style of the GetMarkets cursor, naming the last item returned.

type PbField = { n: number; s?: string; v?: number };

function encodePb(fields: PbField[]): string {
  const out: number[] = [];
  for (const f of fields) {
    if (f.s !== undefined) {
      const b = [...Buffer.from(f.s)];
      out.push(...varint((f.n << 3) | 2), ...varint(b.length), ...b);
    } else out.push(...varint(f.n << 3), ...varint(f.v ?? 0));
  }
  return Buffer.from(out).toString("base64url");
}

/** Fields of a protobuf cursor (varints and strings only); null if it is not one. */
function decodePb(c: string | null): Map<number, string | number> | null {
  if (!c || !/^[A-Za-z0-9_-]+$/.test(c)) return null;
  const buf = Buffer.from(c, "base64url");
  const out = new Map<number, string | number>();
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const tag = readVarint(buf, pos);
    if (tag === null) return null;
    if ((tag & 7) === 0) {
      const v = readVarint(buf, pos);
      if (v === null) return null;
      out.set(tag >> 3, v);
    } else if ((tag & 7) === 2) {
      const len = readVarint(buf, pos);
      if (len === null || pos.i + len > buf.length) return null;
      const str = buf.subarray(pos.i, pos.i + len).toString("latin1");
      // Tickers are printable ASCII; anything else (a GetMarkets timestamp, noise) is not ours.
      if (!/^[\x20-\x7e]*$/.test(str)) return null;
      out.set(tag >> 3, str);
      pos.i += len;
    } else return null;
  }
  return out;
}

/**
 * One page of `items` (sorted by `cmp` on their keys, no two keys equal), starting strictly after
 * the cursor's key: an item added before it is never returned, one added after it is, and an item
 * that left the list (filters) shifts nothing. An unreadable cursor starts from the top.
 */
function orderedPage<T, K>(
  items: T[],
  after: K | null,
  limit: number,
  key: (t: T) => K,
  cmp: (a: K, b: K) => number,
  encode: (k: K) => string,
): { items: T[]; cursor: string } {
  let start = 0;
  if (after !== null) {
    // Binary search: the first item whose key sorts after the cursor's.
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(key(items[mid]!), after) > 0) hi = mid;
      else lo = mid + 1;
    }
    start = lo;
  }
  const out = items.slice(start, start + limit);
  const last = out[out.length - 1];
  return { items: out, cursor: start + limit < items.length && last !== undefined ? encode(key(last)) : "" };
}

/** An event's place in GET /events: the order events were created in (`seq`), then its ticker. */
export interface EventKey {
  seq: number;
  ticker: string;
}

const compareEventKeys = (a: EventKey, b: EventKey): number => a.seq - b.seq || (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0);

/** GetEvents cursor: protobuf `{1: creation sequence, 2: event_ticker}` of the last event returned. */
export function encodeEventCursor(k: EventKey): string {
  return encodePb([
    { n: 1, v: k.seq },
    { n: 2, s: k.ticker },
  ]);
}

export function decodeEventCursor(c: string | null): EventKey | null {
  const f = decodePb(c);
  const seq = f?.get(1);
  const ticker = f?.get(2);
  return f && f.size === 2 && typeof seq === "number" && typeof ticker === "string" ? { seq, ticker } : null;
}

/** A page of events already in creation order, `key` giving each one's `EventKey`. */
export function eventsPage<T>(items: T[], cursor: string | null, limit: number, key: (t: T) => EventKey): { items: T[]; cursor: string } {
  return orderedPage(items, decodeEventCursor(cursor), limit, key, compareEventKeys, encodeEventCursor);
}

/** A market position's place in GET /portfolio/positions: event ticker, then market ticker. */
export interface PositionKey {
  event: string;
  ticker: string;
}

export const comparePositionKeys = (a: PositionKey, b: PositionKey): number =>
  a.event < b.event ? -1 : a.event > b.event ? 1 : a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0;

/** GetPositions cursor: protobuf `{1: event_ticker, 2: ticker}` of the last market position returned. */
export function encodePositionCursor(k: PositionKey): string {
  return encodePb([
    { n: 1, s: k.event },
    { n: 2, s: k.ticker },
  ]);
}

export function decodePositionCursor(c: string | null): PositionKey | null {
  const f = decodePb(c);
  const event = f?.get(1);
  const ticker = f?.get(2);
  return f && f.size === 2 && typeof event === "string" && typeof ticker === "string" ? { event, ticker } : null;
}

/**
 * A page of market positions already in `comparePositionKeys` order. `after` is the cursor's
 * position (null on the first page), so the caller can tell whether the page's first event was
 * begun on the page before.
 */
export function positionsPage<T>(
  items: T[],
  cursor: string | null,
  limit: number,
  key: (t: T) => PositionKey,
): { items: T[]; cursor: string; after: PositionKey | null } {
  const after = decodePositionCursor(cursor);
  return { ...orderedPage(items, after, limit, key, comparePositionKeys, encodePositionCursor), after };
}
