// `record`: the scope's WebSocket streams (order book snapshots and deltas with their seq, trades,
// ticker, market lifecycle) plus event/market metadata at the start, for markets created meanwhile,
// and each market again once it is determined or settled (its result), into hourly gzip JSONL files
// (RotatingGzipLog). Messages are the client's parsed WsMessage (prices in 1/10,000 $, counts in
// 1/100 contract). A seq gap is written as a `gap` record before the fresh snapshot the client asks
// for, never smoothed over. Every record: {t: receive time ms, kind, ...}. Trade, ticker and
// lifecycle come from all-market subscriptions filtered to the series, so their seq skips other
// series' messages; gaps are judged by the client over the whole stream.
import type { KalshiClient } from "../kalshi/client.ts";
import type { KalshiWs, Subscription, WsEvent } from "../kalshi/ws.ts";
import type { WsMessage } from "../kalshi/wire/ws.ts";
import { RotatingGzipLog } from "./rotating-log.ts";

export interface RecordOptions {
  series: string[];
  out: string;
  signal: AbortSignal;
  /** How often buffered records reach the disk (default 1 s). */
  flushMs?: number;
  onError?: (msg: string) => void;
}

export interface RecordResult {
  records: number;
  gaps: number;
  markets: number;
}

const SETTLING = new Set(["determined", "settled"]);

function tickerOf(m: WsMessage): string | null {
  const msg = (m as { msg?: unknown }).msg;
  if (msg && typeof msg === "object" && "market_ticker" in msg && typeof msg.market_ticker === "string") return msg.market_ticker;
  return null;
}

export async function record(client: KalshiClient, ws: KalshiWs, o: RecordOptions): Promise<RecordResult> {
  const log = new RotatingGzipLog(o.out);
  const inSeries = (t: string) => o.series.some((s) => t.startsWith(`${s}-`));
  const scope = new Set<string>();
  const res: RecordResult = { records: 0, gaps: 0, markets: 0 };
  const put = (kind: string, rec: Record<string, unknown>) => log.write(Date.now(), { t: Date.now(), kind, ...rec });

  for (const s of o.series) {
    for (const ev of await client.allEvents({ series_ticker: s, with_nested_markets: true }, { signal: o.signal })) {
      const live = (ev.markets ?? []).filter((m) => m.status !== "finalized" && m.status !== "settled");
      if (live.length === 0) continue;
      put("event", { event: ev });
      for (const m of live) scope.add(m.ticker);
    }
  }
  log.flush();

  let bookSub: Subscription | undefined;
  const work: Array<Promise<void>> = [];
  const later = (p: Promise<void>) => work.push(p.catch((e) => o.onError?.(`record: ${(e as Error).message}`)));
  const off = ws.on((e: WsEvent) => {
    if (e.type === "message") {
      const m = e.message;
      const t = tickerOf(m);
      const seq = (m as { seq?: number }).seq;
      // A command reply may take a seq of the book stream (get_snapshot's ok): kept, so the book
      // sid's seq runs without holes except real gaps.
      if (t === null && seq !== undefined && bookSub?.sid !== undefined && (m as { sid?: number }).sid === bookSub.sid) {
        put("ws", { type: m.type, sid: bookSub.sid, seq });
        return;
      }
      if (t === null || !inSeries(t)) return;
      if (
        m.type === "orderbook_snapshot" ||
        m.type === "orderbook_delta" ||
        m.type === "trade" ||
        m.type === "ticker" ||
        m.type === "market_lifecycle_v2"
      ) {
        put("ws", { type: m.type, sid: m.sid, ...(m.seq !== undefined ? { seq: m.seq } : {}), msg: m.msg });
      }
      if (m.type === "market_lifecycle_v2") {
        const ev = m.msg.event_type;
        if (ev === "created" && !scope.has(t)) {
          scope.add(t);
          later(
            (async () => {
              const market = await client.getMarket(t, o.signal);
              const r = await client.getEvent(market.event_ticker, { with_nested_markets: true }, o.signal);
              put("event", { event: { ...r.event, markets: r.event.markets ?? r.markets ?? [market] } });
              if (bookSub) await ws.updateSubscription(bookSub, "add_markets", [t]);
            })(),
          );
        } else if (SETTLING.has(ev)) {
          later(
            (async () => {
              put("market", { market: await client.getMarket(t, o.signal) });
            })(),
          );
        }
      }
    } else if (e.type === "gap") {
      if (!e.tickers.some(inSeries) && e.tickers.length > 0) return;
      res.gaps++;
      put("gap", { sid: e.sid, expected: e.expected, got: e.got, tickers: e.tickers });
    } else if (e.type === "open" || e.type === "close") {
      put("connection", e.type === "open" ? { state: "open" } : { state: "closed", code: e.code, reason: e.reason });
    }
  });

  const flusher = setInterval(() => {
    try {
      log.flush();
    } catch (e) {
      o.onError?.(`record: cannot write to ${o.out} (${(e as Error).message})`);
    }
  }, o.flushMs ?? 1000);
  try {
    await ws.connect();
    if (scope.size > 0) {
      // The frames are written as they come: the backtest reads their NO levels by this record.
      put("book_format", { use_yes_price: true });
      [bookSub] = await ws.subscribe(["orderbook_delta"], { market_tickers: [...scope], use_yes_price: true });
    }
    // Trades, tickers and lifecycle of every market, kept for the scope's series: a market created
    // later is seen without resubscribing.
    await ws.subscribe(["trade", "ticker", "market_lifecycle_v2"]);
    if (!o.signal.aborted) await new Promise<void>((resolve) => o.signal.addEventListener("abort", () => resolve(), { once: true }));
  } finally {
    off();
    ws.close();
    clearInterval(flusher);
    await Promise.allSettled(work);
    log.flush();
  }
  res.records = log.lines;
  res.markets = scope.size;
  return res;
}
