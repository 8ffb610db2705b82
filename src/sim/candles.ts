// Candlesticks as Kalshi serves them (API.md §3.7): per period, the YES bid and YES ask open/low/
// high/close, the traded price (open/low/high/close/mean/previous), volume and open interest. The
// exchange records one-minute buckets per market whenever its top of book or tape moves; 60- and
// 1440-minute candles are aggregates of those. The SDK's MarketCandlestick requires yes_bid and
// yes_ask with all four prices, so quotes must be recorded, not only trades.
import { formatCount, formatPrice, type Count, type Price } from "../kalshi/money.ts";

/** One market's minute. Prices are YES prices (1/10,000 $); -1 = no trade in the minute. */
interface Bucket {
  minute: number;
  bo: Price;
  bh: Price;
  bl: Price;
  bc: Price;
  ao: Price;
  ah: Price;
  al: Price;
  ac: Price;
  po: Price;
  ph: Price;
  pl: Price;
  pc: Price;
  /** Σ price × count of the minute's trades, for the volume-weighted mean. */
  pv: number;
  volume: Count;
  oi: Count;
}

/** Minutes kept per market: a day. Older minutes fall off (memory stays bounded at 10,000 markets). */
const MAX_MINUTES = 1440;

export interface CandleJson {
  end_period_ts: number;
  yes_bid: { open_dollars: string; low_dollars: string; high_dollars: string; close_dollars: string };
  yes_ask: { open_dollars: string; low_dollars: string; high_dollars: string; close_dollars: string };
  price: Record<string, string>;
  volume_fp: string;
  open_interest_fp: string;
}

export class CandleStore {
  private readonly byTicker = new Map<string, Bucket[]>();

  private bucket(ticker: string, tsMs: number, bid: Price, ask: Price, oi: Count): Bucket {
    const minute = Math.floor(tsMs / 60_000);
    let list = this.byTicker.get(ticker);
    if (!list) this.byTicker.set(ticker, (list = []));
    const last = list[list.length - 1];
    if (last && last.minute >= minute) return last;
    // A new minute opens at the quote that stood when it began: the previous minute's close.
    const bo = last ? last.bc : bid;
    const ao = last ? last.ac : ask;
    const b: Bucket = {
      minute,
      bo,
      bh: bo,
      bl: bo,
      bc: bo,
      ao,
      ah: ao,
      al: ao,
      ac: ao,
      po: -1,
      ph: -1,
      pl: -1,
      pc: -1,
      pv: 0,
      volume: 0,
      oi,
    };
    list.push(b);
    if (list.length > MAX_MINUTES * 1.1) list.splice(0, list.length - MAX_MINUTES);
    return b;
  }

  /** The top of book after a change (empty side: bid 0, ask 1). */
  quote(ticker: string, tsMs: number, bid: Price, ask: Price, oi: Count): void {
    const b = this.bucket(ticker, tsMs, bid, ask, oi);
    b.bc = bid;
    if (bid > b.bh) b.bh = bid;
    if (bid < b.bl) b.bl = bid;
    b.ac = ask;
    if (ask > b.ah) b.ah = ask;
    if (ask < b.al) b.al = ask;
    b.oi = oi;
  }

  trade(ticker: string, tsMs: number, price: Price, count: Count, bid: Price, ask: Price, oi: Count): void {
    const b = this.bucket(ticker, tsMs, bid, ask, oi);
    if (b.po < 0) b.po = b.ph = b.pl = price;
    if (price > b.ph) b.ph = price;
    if (price < b.pl) b.pl = price;
    b.pc = price;
    b.pv += price * count;
    b.volume += count;
    b.oi = oi;
  }

  /**
   * Candles of `periodMin` minutes whose end lies in [startS, endS] (Unix seconds), oldest first;
   * only periods in which something happened. `latestBeforeStart` prepends Kalshi's synthetic
   * candle built from the last one ending before startS.
   */
  query(ticker: string, startS: number, endS: number, periodMin: number, latestBeforeStart = false): CandleJson[] {
    const list = this.byTicker.get(ticker) ?? [];
    const span = periodMin * 60;
    const periods: { end: number; bs: Bucket[] }[] = [];
    for (const b of list) {
      const end = (Math.floor((b.minute * 60) / span) + 1) * span;
      const p = periods[periods.length - 1];
      if (p && p.end === end) p.bs.push(b);
      else periods.push({ end, bs: [b] });
    }
    const out: CandleJson[] = [];
    let lastTrade = -1;
    let before: { c: CandleJson; close: Price } | null = null;
    for (const p of periods) {
      const c = candle(p.end, p.bs, lastTrade);
      for (const b of p.bs) if (b.pc >= 0) lastTrade = b.pc;
      if (p.end < startS) before = { c, close: lastTrade };
      else if (p.end <= endS) out.push(c);
    }
    if (latestBeforeStart && before) {
      // Kalshi's synthetic candle: the latest real one before start_ts, projected to the first period
      // boundary after start_ts, its traded OHLC cleared and `previous` set to the real close. The
      // spec says the cleared prices are null; the SDK model has them as optional strings, so they
      // are left out. Quotes carry the close that stood; nothing traded in it.
      const end = Math.ceil(startS / span) * span;
      if (end <= endS && (out.length === 0 || out[0]!.end_period_ts > end)) {
        const q = (d: CandleJson["yes_bid"]) => ({
          close_dollars: d.close_dollars,
          high_dollars: d.close_dollars,
          low_dollars: d.close_dollars,
          open_dollars: d.close_dollars,
        });
        out.unshift({
          end_period_ts: end,
          open_interest_fp: before.c.open_interest_fp,
          price: before.close >= 0 ? { previous_dollars: formatPrice(before.close) } : {},
          volume_fp: formatCount(0),
          yes_ask: q(before.c.yes_ask),
          yes_bid: q(before.c.yes_bid),
        });
      }
    }
    return out;
  }
}

function candle(end: number, bs: Bucket[], previous: Price): CandleJson {
  const first = bs[0]!;
  const lastB = bs[bs.length - 1]!;
  let bh = first.bh,
    bl = first.bl,
    ah = first.ah,
    al = first.al;
  let po = -1,
    ph = -1,
    pl = -1,
    pc = -1,
    pv = 0,
    vol = 0;
  for (const b of bs) {
    bh = Math.max(bh, b.bh);
    bl = Math.min(bl, b.bl);
    ah = Math.max(ah, b.ah);
    al = Math.min(al, b.al);
    if (b.po >= 0) {
      if (po < 0) {
        po = b.po;
        ph = b.ph;
        pl = b.pl;
      }
      ph = Math.max(ph, b.ph);
      pl = Math.min(pl, b.pl);
      pc = b.pc;
      pv += b.pv;
      vol += b.volume;
    }
  }
  const f = formatPrice;
  const price: Record<string, string> = {};
  if (po >= 0) {
    Object.assign(price, {
      close_dollars: f(pc),
      high_dollars: f(ph),
      low_dollars: f(pl),
      max_dollars: f(ph),
      mean_dollars: f(Math.round(pv / vol)),
      min_dollars: f(pl),
      open_dollars: f(po),
    });
  }
  if (previous >= 0) price.previous_dollars = f(previous);
  return {
    end_period_ts: end,
    open_interest_fp: formatCount(lastB.oi),
    price,
    volume_fp: formatCount(vol),
    yes_ask: { close_dollars: f(lastB.ac), high_dollars: f(ah), low_dollars: f(al), open_dollars: f(first.ao) },
    yes_bid: { close_dollars: f(lastB.bc), high_dollars: f(bh), low_dollars: f(bl), open_dollars: f(first.bo) },
  };
}
