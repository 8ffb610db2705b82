// GET /historical/markets/{ticker}/candlesticks: candles of an archived market (settled before the
// historical cutoff), shaped as the OpenAPI's GetMarketCandlesticksHistoricalResponse. The same
// minute buckets as the live endpoint (candles.ts) in the historical schema's field names: OHLC
// without the `_dollars` suffix, `volume` / `open_interest` without `_fp`, and every traded price
// present, null when nothing traded.
import type { CandleJson } from "./candles.ts";

export interface HistoricalCandleJson {
  end_period_ts: number;
  yes_bid: { open: string; low: string; high: string; close: string };
  yes_ask: { open: string; low: string; high: string; close: string };
  price: {
    open: string | null;
    low: string | null;
    high: string | null;
    close: string | null;
    mean: string | null;
    previous: string | null;
  };
  volume: string;
  open_interest: string;
}

const quote = (d: CandleJson["yes_bid"]) => ({ open: d.open_dollars, low: d.low_dollars, high: d.high_dollars, close: d.close_dollars });

export function historicalCandle(c: CandleJson): HistoricalCandleJson {
  const p = c.price;
  return {
    end_period_ts: c.end_period_ts,
    yes_bid: quote(c.yes_bid),
    yes_ask: quote(c.yes_ask),
    price: {
      open: p.open_dollars ?? null,
      low: p.low_dollars ?? null,
      high: p.high_dollars ?? null,
      close: p.close_dollars ?? null,
      mean: p.mean_dollars ?? null,
      previous: p.previous_dollars ?? null,
    },
    volume: c.volume_fp,
    open_interest: c.open_interest_fp,
  };
}
