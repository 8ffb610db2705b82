// The mid history strategies ask for (Strategy.historyFor), kept in the ledger's market_snapshots
// table so it survives restarts and `--once` runs, and pruned with the rest of the history. One
// row per market at most every MIN_GAP_MS; read back for the last WINDOW_MS.
import type { Database } from "bun:sqlite";
import type { Price } from "../../kalshi/money.ts";
import type { MarketView } from "../../strategies/types.ts";

export const MID_HISTORY_WINDOW_MS = 30 * 60_000;
const MIN_GAP_MS = 5_000;

export class MidHistory {
  private readonly lastWrite = new Map<string, number>();

  constructor(private readonly db: Database) {}

  /** Record the two-sided markets among `views` (throttled), then return their history since now − window. */
  observe(views: readonly MarketView[], nowMs: number, cycleId: number | null): Map<string, Array<readonly [number, Price]>> {
    const ins = this.db.query(
      "insert into market_snapshots (cycle_id, ticker, yes_bid, yes_ask, last_price, volume, at) values (?, ?, ?, ?, ?, ?, ?)",
    );
    for (const m of views) {
      if (m.yesBid === null || m.yesAsk === null || m.yesBid >= m.yesAsk) continue;
      const last = this.lastWrite.get(m.ticker) ?? this.lastWrittenAt(m.ticker);
      if (last !== null && nowMs - last < MIN_GAP_MS) continue;
      ins.run(cycleId, m.ticker, m.yesBid, m.yesAsk, m.lastPrice, m.volume, nowMs);
      this.lastWrite.set(m.ticker, nowMs);
    }
    const out = new Map<string, Array<readonly [number, Price]>>();
    const q = this.db.query(
      "select at, yes_bid, yes_ask from market_snapshots where ticker = ? and at >= ? and at <= ? and yes_bid is not null and yes_ask is not null order by at",
    );
    for (const m of views) {
      const rows = q.all(m.ticker, nowMs - MID_HISTORY_WINDOW_MS, nowMs) as Array<{ at: number; yes_bid: number; yes_ask: number }>;
      out.set(
        m.ticker,
        rows.map((r) => [r.at, Math.floor((r.yes_bid + r.yes_ask) / 2)] as const),
      );
    }
    return out;
  }

  private lastWrittenAt(ticker: string): number | null {
    const r = this.db.query("select max(at) as at from market_snapshots where ticker = ?").get(ticker) as { at: number | null } | null;
    return r?.at ?? null;
  }
}
