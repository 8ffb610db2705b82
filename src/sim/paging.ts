// Cursor paging as Kalshi does it: an opaque cursor, `cursor: ""` on the last page, an unknown
// cursor silently restarting from the top, and limits over the maximum rejected in the bare shape.
import * as E from "./errors.ts";

const PREFIX = "Cg";

export function encodeCursor(offset: number): string {
  return PREFIX + Buffer.from(`o:${offset}`).toString("base64url");
}

export function decodeCursor(c: string | null): number {
  if (!c || !c.startsWith(PREFIX)) return 0;
  const m = /^o:(\d+)$/.exec(Buffer.from(c.slice(PREFIX.length), "base64url").toString());
  return m ? Number(m[1]) : 0;
}

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

export function page<T>(items: T[], cursor: string | null, limit: number): { items: T[]; cursor: string } {
  const start = Math.min(decodeCursor(cursor), items.length);
  const end = start + limit;
  return { items: items.slice(start, end), cursor: end < items.length ? encodeCursor(end) : "" };
}
