// Kalshi's current wire records (dollar strings and `_fp` counts, parsed into our integer units by
// the client) written back in the trade-tape format `backtest --data` reads (the kxhighny format of
// ../shared/data/README.md, src/backtest/tape.ts): legacy cent prices, whole-contract counts,
// `taker_side` yes/no, one event per date file. What that format cannot carry (sub-cent prices,
// fractional counts) is counted and left out, never rounded into a different trade.
import type * as W from "../kalshi/wire/index.ts";
import { COUNT_ONE, countToContractsFloat, PRICE_PER_CENT, priceToCentPrice } from "../kalshi/money.ts";

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
/** Kalshi's date stamp in an event ticker: KXHIGHNY-24NOV01, KXBTCD-26NOV241415. */
const STAMP = /-(\d{2})([A-Z]{3})(\d{2})(?:\d{4})?(?=-|$|[A-Z])/;

/**
 * The day an event is about (the tape's file name): the date stamp of its ticker, as Kalshi names
 * daily events; without one, the UTC date of its strike date, else of its earliest close.
 */
export function eventDate(
  ev: Pick<W.EventData, "event_ticker" | "strike_date">,
  markets: ReadonlyArray<Pick<W.Market, "close_time">>,
): string | null {
  const m = STAMP.exec(ev.event_ticker);
  if (m) {
    const month = MONTHS.indexOf(m[2]!);
    if (month >= 0) return `20${m[1]}-${String(month + 1).padStart(2, "0")}-${m[3]}`;
  }
  const t = ev.strike_date ? Date.parse(ev.strike_date) : Math.min(...markets.map((x) => Date.parse(x.close_time)));
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : null;
}

/** A market's legacy `tick_size` in cents when its grid is one uniform whole-cent step, else null. */
export function tickSizeCents(m: Pick<W.Market, "price_ranges">): number | null {
  const steps = new Set(m.price_ranges.map((r) => r.step));
  if (steps.size !== 1) return steps.size === 0 ? 1 : null;
  const step = [...steps][0]!;
  return step % PRICE_PER_CENT === 0 ? priceToCentPrice(step) : null;
}

const cents = priceToCentPrice;
const contracts = countToContractsFloat;

export function legacyEvent(ev: W.EventData): Record<string, unknown> {
  return {
    event_ticker: ev.event_ticker,
    series_ticker: ev.series_ticker,
    sub_title: ev.sub_title ?? "",
    title: ev.title,
    ...(ev.collateral_return_type !== undefined ? { collateral_return_type: ev.collateral_return_type } : {}),
    mutually_exclusive: ev.mutually_exclusive,
    ...(ev.category !== undefined ? { category: ev.category } : {}),
    ...(ev.strike_date ? { strike_date: ev.strike_date } : {}),
  };
}

export function legacyMarket(m: W.Market): Record<string, unknown> {
  const tick = tickSizeCents(m);
  return {
    ticker: m.ticker,
    event_ticker: m.event_ticker,
    market_type: m.market_type,
    title: m.title ?? "",
    subtitle: m.subtitle ?? m.yes_sub_title ?? "",
    yes_sub_title: m.yes_sub_title ?? "",
    no_sub_title: m.no_sub_title ?? "",
    open_time: m.open_time,
    close_time: m.close_time,
    ...(m.expected_expiration_time ? { expected_expiration_time: m.expected_expiration_time } : {}),
    ...(m.expiration_time ? { expiration_time: m.expiration_time } : {}),
    ...(m.settlement_timer_seconds !== undefined ? { settlement_timer_seconds: m.settlement_timer_seconds } : {}),
    status: m.status,
    response_price_units: "usd_cent",
    // A grid the cent format cannot name (tapered or sub-cent) is read as the one-cent grid; its
    // sub-cent trades are left out (FetchCounts.subCent).
    tick_size: tick ?? 1,
    volume: contracts(m.volume_fp),
    open_interest: contracts(m.open_interest_fp),
    last_price: cents(m.last_price_dollars),
    result: m.result ?? "",
    ...(m.settlement_ts ? { settlement_ts: m.settlement_ts } : {}),
    ...(m.strike_type !== undefined ? { strike_type: m.strike_type } : {}),
    ...(m.floor_strike !== undefined && m.floor_strike !== null ? { floor_strike: m.floor_strike } : {}),
    ...(m.cap_strike !== undefined && m.cap_strike !== null ? { cap_strike: m.cap_strike } : {}),
  };
}

export type LegacyTrade = {
  trade_id: string;
  ticker: string;
  count: number;
  created_time: string;
  yes_price: number;
  no_price: number;
  taker_side: "yes" | "no";
};

/** The legacy trade, or why the cent format cannot carry it. */
export function legacyTrade(t: W.Trade): LegacyTrade | "sub-cent" | "fractional" {
  if (t.yes_price_dollars % 100 !== 0) return "sub-cent";
  if (t.count_fp % COUNT_ONE !== 0) return "fractional";
  const yes = cents(t.yes_price_dollars);
  return {
    trade_id: t.trade_id,
    ticker: t.ticker,
    count: contracts(t.count_fp),
    created_time: t.created_time,
    yes_price: yes,
    no_price: 100 - yes,
    // Every fill is a purchase: the outcome side the taker bought is the legacy taker_side.
    taker_side: t.taker_outcome_side,
  };
}
