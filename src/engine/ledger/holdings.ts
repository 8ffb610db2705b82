// What belongs to whom inside the account's positions, from the ledger's own orders (issue 16):
//   - hedged: contracts of a position that are legs of complete arbitrage sets (a set of one
//     contract per market of an event has a known payout, so its legs carry no per-market risk);
//   - per-strategy inventory: the net YES contracts a strategy's own fills built in a market, so a
//     market maker skews against its own inventory, not against the arbitrage's hedged legs.
// Both are read from orders.filled_count (bid = +YES, ask = −YES), the same numbers reconciliation
// keeps true against the exchange.
import type { Database } from "bun:sqlite";
import type { Count } from "../../kalshi/money.ts";
import type { OwnFillView } from "../../strategies/types.ts";

const CHUNK = 500;

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

/**
 * Signed hedged contracts per ticker for the given held positions: for every set (group_key)
 * touching them, the complete sets are the smallest net fill over its legs (unwind orders of a
 * repair, on the other side, net against their leg). Clamped to the position itself (same sign, never
 * more), so settled or partly sold legs never count as hedged beyond what is held.
 */
export function hedgedPositions(db: Database, paper: boolean, positions: ReadonlyMap<string, Count>): Map<string, Count> {
  const held = [...positions].filter(([, p]) => p !== 0).map(([t]) => t);
  const out = new Map<string, Count>();
  if (held.length === 0) return out;
  type Row = { group_key: string; ticker: string; side: "bid" | "ask"; filled: number; first: number };
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const c of chunks(held)) {
    const q = `select group_key, ticker, side, sum(filled_count) as filled, min(id) as first from orders
      where paper = ? and group_key in (select distinct group_key from orders where paper = ? and group_key is not null and ticker in (${c.map(() => "?").join(",")}))
      group by group_key, ticker, side`;
    for (const r of db.query(q).all(paper ? 1 : 0, paper ? 1 : 0, ...c) as Row[]) {
      const k = `${r.group_key}\u0000${r.ticker}\u0000${r.side}`;
      if (!seen.has(k)) {
        seen.add(k);
        rows.push(r);
      }
    }
  }
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(r.group_key, [...(groups.get(r.group_key) ?? []), r]);
  const raw = new Map<string, Count>();
  for (const legs of groups.values()) {
    const side = legs.reduce((a, b) => (b.first < a.first ? b : a)).side;
    const net = new Map<string, number>();
    for (const r of legs) net.set(r.ticker, (net.get(r.ticker) ?? 0) + (r.side === side ? r.filled : -r.filled));
    if (net.size < 2) continue; // one market is no set
    const sets = Math.max(0, Math.min(...net.values()));
    if (sets === 0) continue;
    for (const t of net.keys()) raw.set(t, (raw.get(t) ?? 0) + (side === "bid" ? sets : -sets));
  }
  for (const [t, h] of raw) {
    const p = positions.get(t) ?? 0;
    const clamped = p > 0 ? Math.max(0, Math.min(h, p)) : p < 0 ? Math.min(0, Math.max(h, p)) : 0;
    if (clamped !== 0) out.set(t, clamped);
  }
  return out;
}

/** Net YES contracts each market's fills of `strategy`'s own orders built (bid +, ask −), for `tickers`. */
export function strategyInventory(db: Database, paper: boolean, strategy: string, tickers: readonly string[]): Map<string, Count> {
  const out = new Map<string, Count>();
  for (const c of chunks([...new Set(tickers)])) {
    // By ticker: without the hint SQLite takes orders_created on `paper` alone and reads every
    // order of the book on each call (a replay calls it every pass: time grew with the square).
    const q = `select ticker, sum(case when side = 'bid' then filled_count else -filled_count end) as net from orders indexed by orders_ticker
      where paper = ? and origin = 'bot' and strategy = ? and filled_count > 0 and ticker in (${c.map(() => "?").join(",")}) group by ticker`;
    for (const r of db.query(q).all(paper ? 1 : 0, strategy, ...c) as Array<{ ticker: string; net: number }>)
      if (r.net !== 0) out.set(r.ticker, r.net);
  }
  return out;
}

/** Fills of `strategy`'s own orders at or after `sinceMs` (fill time), oldest first. */
export function strategyFills(db: Database, paper: boolean, strategy: string, sinceMs: number): OwnFillView[] {
  const q = `select f.ticker, f.side, f.price, f.count, f.created_at as tsMs from fills f join orders o on o.paper = f.paper and o.client_order_id = f.client_order_id
    where f.paper = ? and f.created_at >= ? and o.origin = 'bot' and o.strategy = ? order by f.created_at, f.id`;
  return db.query(q).all(paper ? 1 : 0, sinceMs, strategy) as OwnFillView[];
}
