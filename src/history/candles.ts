// Candlesticks for a tape folder (`candles/YYYY-MM-DD.json.gz`, beside events/ and trades/): per
// market of the date's event, its one-minute candles from open to close, in ONE shape whichever
// endpoint served them: that of GET /series/{series}/markets/{ticker}/candlesticks (dollar strings,
// `_fp` counts), every price key present, null where Kalshi sends none. A market settled before
// GET /historical/cutoff's market_settled_ts has its candles only at
// GET /historical/markets/{ticker}/candlesticks (another shape: OHLC without `_dollars`, `volume`
// and `open_interest` without `_fp`), converted here.
import type { KalshiClient } from "../kalshi/client.ts";
import { isKalshiApiError } from "../kalshi/index.ts";
import { formatCount, formatMicros, formatPrice } from "../kalshi/money.ts";
import type * as W from "../kalshi/wire/index.ts";

/** Minutes per candle written. */
export const CANDLE_PERIOD = 1;
/** Candles asked per request (Kalshi answers a bounded number of periods per call). */
const PERIODS_PER_CALL = 2000;

type Quote = { open_dollars: string | null; low_dollars: string | null; high_dollars: string | null; close_dollars: string | null };
export interface CandleRow {
  end_period_ts: number;
  yes_bid: Quote;
  yes_ask: Quote;
  price: Quote & { mean_dollars: string | null; previous_dollars: string | null };
  volume_fp: string;
  open_interest_fp: string;
}

export interface CandlesFile {
  period_interval: number;
  /** Per market: which endpoint served it (live or historical) and its candles, oldest first. */
  markets: Record<string, { source: "live" | "historical"; candlesticks: CandleRow[] }>;
}

const p = (v: number | null | undefined): string | null => (v === null || v === undefined ? null : formatPrice(v));
const m = (v: number | null | undefined): string | null => (v === null || v === undefined ? null : formatMicros(v));

export function fromLive(c: W.MarketCandlestick): CandleRow {
  const q = (d: W.MarketCandlestick["yes_bid"]): Quote => ({
    open_dollars: p(d.open_dollars),
    low_dollars: p(d.low_dollars),
    high_dollars: p(d.high_dollars),
    close_dollars: p(d.close_dollars),
  });
  const pr = c.price;
  return {
    end_period_ts: c.end_period_ts,
    yes_bid: q(c.yes_bid),
    yes_ask: q(c.yes_ask),
    price: {
      open_dollars: p(pr.open_dollars),
      low_dollars: p(pr.low_dollars),
      high_dollars: p(pr.high_dollars),
      close_dollars: p(pr.close_dollars),
      mean_dollars: m(pr.mean_dollars),
      previous_dollars: p(pr.previous_dollars),
    },
    volume_fp: formatCount(c.volume_fp),
    open_interest_fp: formatCount(c.open_interest_fp),
  };
}

export function fromHistorical(c: W.MarketCandlestickHistorical): CandleRow {
  const q = (d: W.MarketCandlestickHistorical["yes_bid"]): Quote => ({
    open_dollars: p(d.open),
    low_dollars: p(d.low),
    high_dollars: p(d.high),
    close_dollars: p(d.close),
  });
  const pr = c.price;
  return {
    end_period_ts: c.end_period_ts,
    yes_bid: q(c.yes_bid),
    yes_ask: q(c.yes_ask),
    price: {
      open_dollars: p(pr.open),
      low_dollars: p(pr.low),
      high_dollars: p(pr.high),
      close_dollars: p(pr.close),
      mean_dollars: m(pr.mean),
      previous_dollars: p(pr.previous),
    },
    volume_fp: formatCount(c.volume),
    open_interest_fp: formatCount(c.open_interest),
  };
}

/**
 * One market's candles from open to close. Archived (settled before the cutoff) markets are asked at
 * the historical endpoint, the others at the live one; a 404 there (the cutoff moved meanwhile)
 * asks the other.
 */
export async function marketCandles(
  client: KalshiClient,
  series: string,
  market: W.Market,
  settledCutoffMs: number,
  signal?: AbortSignal,
): Promise<CandlesFile["markets"][string]> {
  const start = Math.floor(Date.parse(market.open_time) / 1000);
  const end = Math.ceil(Date.parse(market.close_time) / 1000) + CANDLE_PERIOD * 60;
  const settled = Date.parse(market.settlement_ts ?? market.close_time);
  const archived = Number.isFinite(settled) && settled < settledCutoffMs;
  const span = PERIODS_PER_CALL * CANDLE_PERIOD * 60;
  const fetchFrom = async (source: "live" | "historical"): Promise<CandleRow[]> => {
    const out: CandleRow[] = [];
    for (let s = start; s <= end; s += span) {
      const q = { start_ts: s, end_ts: Math.min(end, s + span - 1), period_interval: CANDLE_PERIOD } as const;
      if (source === "live") out.push(...(await client.getCandlesticks(series, market.ticker, q, signal)).map(fromLive));
      else out.push(...(await client.getHistoricalCandlesticks(market.ticker, q, signal)).map(fromHistorical));
    }
    return out;
  };
  const first = archived ? "historical" : "live";
  try {
    return { source: first, candlesticks: await fetchFrom(first) };
  } catch (e) {
    if (!isKalshiApiError(e) || e.status !== 404) throw e;
    const other = first === "live" ? "historical" : "live";
    return { source: other, candlesticks: await fetchFrom(other) };
  }
}
