// The mid history strategies ask for (Strategy.historyFor), kept in the ledger's market_snapshots
// table so it survives restarts and `--once` runs, and pruned with the rest of the history. One
// row per market at most every MIN_GAP_MS; read back for the last WINDOW_MS.
import type { Database } from "bun:sqlite";
import type { Price } from "../../kalshi/money.ts";
import type { MarketView, RestingOrderView } from "../../strategies/types.ts";
import { marketOnlyView } from "../view-without-own.ts";

export const MID_HISTORY_WINDOW_MS = 30 * 60_000;
const MIN_GAP_MS = 5_000;

export class MidHistory {
  private readonly lastWrite = new Map<string, number>();
  /**
   * Per market, every row at or after `from` (oldest first), read from the ledger once and then
   * kept in step with this class's own writes (the only writer of these rows: the lock keeps other
   * processes out). Reading 30 minutes of rows per market back from SQLite at every reactive pass
   * cost a few hundred microseconds between a book update and the order.
   */
  private readonly kept = new Map<string, { from: number; rows: Array<readonly [number, Price]> }>();

  constructor(private readonly db: Database) {}

  /** Rows observed with `later` and not written yet (writeLater). */
  private readonly unwritten: Array<[number | null, string, Price, Price, Price | null, number, number]> = [];

  /**
   * Record the two-sided markets among `views` (throttled), then return their history since now − window.
   * What is recorded is the market without our own resting orders (`resting`): the mid of others' quotes.
   * `later`: the rows are kept in memory at once but written by writeLater() (the narrow requote
   * writes them after its request left: a history row is no order and need not precede one).
   */
  observe(
    views: readonly MarketView[],
    nowMs: number,
    cycleId: number | null,
    resting: readonly RestingOrderView[],
    later = false,
  ): Map<string, Array<readonly [number, Price]>> {
    const from = nowMs - MID_HISTORY_WINDOW_MS;
    for (const v of views) {
      const m = marketOnlyView(v, resting);
      if (m === null || m.yesBid === null || m.yesAsk === null || m.yesBid >= m.yesAsk) continue;
      const last = this.lastWrite.get(m.ticker) ?? this.lastWrittenAt(m.ticker);
      if (last !== null && nowMs - last < MIN_GAP_MS) continue;
      const k = this.rowsSince(m.ticker, from);
      if (later) this.unwritten.push([cycleId, m.ticker, m.yesBid, m.yesAsk, m.lastPrice, m.volume, nowMs]);
      else this.insertStmt().run(cycleId, m.ticker, m.yesBid, m.yesAsk, m.lastPrice, m.volume, nowMs);
      this.lastWrite.set(m.ticker, nowMs);
      // Writes come at least MIN_GAP_MS after the newest row, so appending keeps the order.
      k.rows.push([nowMs, Math.floor((m.yesBid + m.yesAsk) / 2)]);
    }
    const out = new Map<string, Array<readonly [number, Price]>>();
    for (const m of views) out.set(m.ticker, within(this.rowsSince(m.ticker, from).rows, from, nowMs));
    return out;
  }

  /** The row insert, looked up only when a row is written now (not on the narrow path's `later`). */
  private insertStmt() {
    return this.db.query(
      "insert into market_snapshots (cycle_id, ticker, yes_bid, yes_ask, last_price, volume, at) values (?, ?, ?, ?, ?, ?, ?)",
    );
  }

  /**
   * The kept rows of `ticker`, covering at least `from` onwards: read from the ledger the first time,
   * or again when asked for older rows than are kept (a clock that stepped back); otherwise rows
   * older than two windows before `from` are let go.
   */
  private rowsSince(ticker: string, from: number): { from: number; rows: Array<readonly [number, Price]> } {
    let k = this.kept.get(ticker);
    if (!k || from < k.from) {
      const rows = this.db
        .query(
          "select at, yes_bid, yes_ask from market_snapshots where ticker = ? and at >= ? and yes_bid is not null and yes_ask is not null order by at",
        )
        .all(ticker, from) as Array<{ at: number; yes_bid: number; yes_ask: number }>;
      k = { from, rows: rows.map((r) => [r.at, Math.floor((r.yes_bid + r.yes_ask) / 2)] as const) };
      this.kept.set(ticker, k);
    } else if (from - k.from > 2 * MID_HISTORY_WINDOW_MS) {
      const cut = from - MID_HISTORY_WINDOW_MS;
      let i = 0;
      while (i < k.rows.length && k.rows[i]![0] < cut) i++;
      k.rows.splice(0, i);
      k.from = cut;
    }
    return k;
  }

  /** The kept rows of `ticker` within the window before `nowMs`, as observe gives them, or undefined: reads nothing, records nothing (the narrow path's warm-up). */
  peek(ticker: string, nowMs: number): Map<string, Array<readonly [number, Price]>> | undefined {
    const k = this.kept.get(ticker);
    const from = nowMs - MID_HISTORY_WINDOW_MS;
    if (!k || from < k.from) return undefined;
    return new Map([[ticker, within(k.rows, from, nowMs)]]);
  }

  /** Write the rows observed with `later`. */
  writeLater(): void {
    if (this.unwritten.length === 0) return;
    const ins = this.insertStmt();
    for (const r of this.unwritten.splice(0)) ins.run(...r);
  }

  private lastWrittenAt(ticker: string): number | null {
    const r = this.db.query("select max(at) as at from market_snapshots where ticker = ?").get(ticker) as { at: number | null } | null;
    return r?.at ?? null;
  }
}

/**
 * The rows with `from` <= at <= `to`, oldest first: one slice found by two binary searches, the
 * rows being kept in time order (read ordered by time; a row is appended only MIN_GAP_MS or more
 * after the newest).
 */
function within(rows: ReadonlyArray<readonly [number, Price]>, from: number, to: number): Array<readonly [number, Price]> {
  const firstAtOrAfter = (t: number, strict: boolean) => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = rows[mid]![0];
      if (at < t || (strict && at === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return rows.slice(firstAtOrAfter(from, false), firstAtOrAfter(to, true));
}
