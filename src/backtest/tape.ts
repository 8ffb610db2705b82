// A recorded trade tape in the kxhighny format (../shared/data/README.md): per event date,
// `events/<date>.json.gz` ({event, markets}, as GET /events/{ticker} with nested markets returned
// them) and `trades/<date>.json.gz` ({market_ticker: [trade…]} as GET /markets/trades returned
// them). Either vintage of Kalshi's fields is read: the legacy cents (`yes_price`, `count`,
// `tick_size`: the shipped data) or today's fixed-point strings (`yes_price_dollars`, `count_fp`,
// `price_ranges`: what GET /markets/trades answers now, sub-cent prices and fractional counts
// included). Loaded whole into memory, converted to our units once: prices to Price (1/10,000 $),
// counts to Count (1/100 contract), times to ms. An event some market of which has no yes/no result
// (not settled yet, voided) is left out and named, as a recording's is (recording.ts).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { centPriceToPrice, contractsToCount } from "../kalshi/money.ts";
import { LINEAR_CENT, type PriceRange } from "../kalshi/price-grid.ts";
import { CountStr, PriceStr } from "../kalshi/wire/codecs.ts";
import { PriceRange as WirePriceRange } from "../kalshi/wire/rest.ts";
import type { BookSide } from "../strategies/types.ts";
import { isExhaustive } from "../engine/event-coverage.ts";

/** A tape that cannot be used: the message names the file and what is wrong with it. */
export class TapeError extends Error {
  override name = "TapeError";
}

const cents = z.number().int().min(0).max(100);

const side = z.enum(["yes", "no"]);

/** One trade in our units: Price, Count, and whether the taker bought YES (lifted an ask). */
interface TapeTrade {
  createdTime: string;
  price: number;
  count: number;
  takerBoughtYes: boolean;
}

/** The legacy cent fields (the shipped kxhighny data). */
const legacyTradeSchema = z
  .object({
    trade_id: z.string(),
    ticker: z.string().min(1),
    count: z.number().int().positive(),
    created_time: z.string(),
    yes_price: cents,
    taker_side: side,
  })
  .transform(
    (t): TapeTrade => ({
      createdTime: t.created_time,
      price: centPriceToPrice(t.yes_price),
      count: contractsToCount(t.count),
      takerBoughtYes: t.taker_side === "yes",
    }),
  );

/** Today's fields: fixed-point strings; the taker's side as any of the three names Kalshi has used. */
const currentTradeSchema = z
  .object({
    trade_id: z.string(),
    ticker: z.string().min(1),
    count_fp: CountStr.refine((c) => c > 0, "count_fp must be positive"),
    created_time: z.string(),
    yes_price_dollars: PriceStr.refine((p) => p >= 0 && p <= 10_000, "yes_price_dollars must be between 0 and 1"),
    taker_outcome_side: side.optional(),
    taker_side: side.optional(),
    taker_book_side: z.enum(["bid", "ask"]).optional(),
  })
  .refine(
    (t) => t.taker_outcome_side ?? t.taker_side ?? t.taker_book_side,
    "a trade needs taker_outcome_side, taker_side or taker_book_side",
  )
  .transform(
    (t): TapeTrade => ({
      createdTime: t.created_time,
      price: t.yes_price_dollars,
      count: t.count_fp,
      takerBoughtYes: (t.taker_outcome_side ?? t.taker_side ?? (t.taker_book_side === "bid" ? "yes" : "no")) === "yes",
    }),
  );

const tapeMarketSchema = z.object({
  ticker: z.string().min(1),
  event_ticker: z.string().min(1),
  open_time: z.string(),
  close_time: z.string(),
  result: z.string(),
  tick_size: z.number().int().positive().optional(),
  price_ranges: z.array(WirePriceRange).min(1).optional(),
  strike_type: z.string().optional(),
  floor_strike: z.number().nullable().optional(),
  cap_strike: z.number().nullable().optional(),
});

const tapeEventFileSchema = z.object({
  event: z.object({
    event_ticker: z.string().min(1),
    series_ticker: z.string().min(1),
    mutually_exclusive: z.boolean(),
  }),
  markets: z.array(tapeMarketSchema).min(1),
});

const legacyTradesFileSchema = z.record(z.string(), z.array(legacyTradeSchema));
const currentTradesFileSchema = z.record(z.string(), z.array(currentTradeSchema));

/** A trades file in either vintage (told by its first trade), in our units. */
function parseTradesFile(json: unknown) {
  const first = json && typeof json === "object" ? Object.values(json).find((v) => Array.isArray(v) && v.length > 0) : undefined;
  const current = Array.isArray(first) && first[0] && typeof first[0] === "object" && "count_fp" in first[0];
  return (current ? currentTradesFileSchema : legacyTradesFileSchema).safeParse(json);
}

export interface TapeMarket {
  ticker: string;
  eventTicker: string;
  openMs: number;
  closeMs: number;
  result: "yes" | "no";
  priceRanges: PriceRange[];
}

export interface TapeEvent {
  /** The file's date (YYYY-MM-DD): the event's day. */
  date: string;
  eventTicker: string;
  seriesTicker: string;
  mutuallyExclusive: boolean;
  /** Its markets provably cover every outcome (event-coverage.ts), so a YES set surely pays. */
  exhaustive: boolean;
  markets: TapeMarket[];
}

/** The whole tape, columnar and sorted by time (then trade id), for a fast replay. */
export interface Tape {
  events: TapeEvent[];
  markets: Map<string, TapeMarket>;
  /** Index into `tickers` per trade. */
  market: Int32Array;
  tickers: string[];
  tsMs: Float64Array;
  price: Int32Array;
  count: Int32Array;
  /** The taker's book side: 0 bid (bought YES, lifted an ask), 1 ask (sold YES, hit a bid). */
  taker: Uint8Array;
  /** Events left out: some market has no yes/no result (not settled, or voided). */
  leftOut: string[];
}

export const takerSideOf = (code: number): BookSide => (code === 0 ? "bid" : "ask");

const DATE_FILE = /^(\d{4}-\d{2}-\d{2})\.json\.gz$/;

function parseTime(s: string, file: string, what: string): number {
  const t = Date.parse(s);
  if (!Number.isFinite(t)) throw new TapeError(`${file}: ${what} "${s}" is not a time`);
  return t;
}

function readGzJson(path: string): unknown {
  let text: string;
  try {
    text = gunzipSync(readFileSync(path)).toString("utf8");
  } catch (e) {
    throw new TapeError(`${path}: not a readable gzip file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TapeError(`${path}: not JSON`);
  }
}

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0]!;
  return `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`;
}

/** The dates a tape folder holds (events/*.json.gz with a trades file beside), sorted. */
export function tapeDates(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new TapeError(`--data ${dir}: no such folder; point --data at a folder with events/ and trades/ (the kxhighny format)`);
  const ev = join(dir, "events");
  const tr = join(dir, "trades");
  if (!existsSync(ev) || !existsSync(tr))
    throw new TapeError(`--data ${dir}: expected events/ and trades/ folders of YYYY-MM-DD.json.gz files (the kxhighny format)`);
  const dates = readdirSync(ev)
    .map((f) => DATE_FILE.exec(f)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
  if (dates.length === 0) throw new TapeError(`--data ${dir}: events/ holds no YYYY-MM-DD.json.gz file`);
  for (const d of dates)
    if (!existsSync(join(tr, `${d}.json.gz`)))
      throw new TapeError(`--data ${dir}: events/${d}.json.gz has no trades/${d}.json.gz beside it`);
  return dates;
}

/**
 * Load a tape folder. `onFile` reports progress (files read). An event with a market without a
 * yes/no result is left out, its trades unread (a backtest settles by the recorded results), and
 * named in `leftOut`; a tape with nothing else is refused. Trades of markets the event file does
 * not list are refused (their settlement would be unknown).
 */
export function loadTape(dir: string, opts: { from?: string; to?: string; onFile?: (done: number, total: number) => void } = {}): Tape {
  const dates = tapeDates(dir).filter((d) => (!opts.from || d >= opts.from) && (!opts.to || d <= opts.to));
  if (dates.length === 0)
    throw new TapeError(`--data ${dir}: no event dated between ${opts.from ?? "the start"} and ${opts.to ?? "the end"}`);
  const events: TapeEvent[] = [];
  const markets = new Map<string, TapeMarket>();
  const tickers: string[] = [];
  const raw: Array<{ m: number; ts: number; price: number; count: number; taker: number; seq: number }> = [];
  const leftOut: string[] = [];
  dates.forEach((date, k) => {
    const evFile = join(dir, "events", `${date}.json.gz`);
    const ep = tapeEventFileSchema.safeParse(readGzJson(evFile));
    if (!ep.success) throw new TapeError(`${evFile}: not a kxhighny event file (${firstIssue(ep.error)})`);
    const ev = ep.data;
    if (ev.markets.some((m) => m.result !== "yes" && m.result !== "no")) {
      leftOut.push(ev.event.event_ticker);
      opts.onFile?.(k + 1, dates.length);
      return;
    }
    const ms: TapeMarket[] = ev.markets.map((m) => {
      // Today's markets name their grid; legacy cent markets a uniform tick (one cent by default).
      const step = centPriceToPrice(m.tick_size ?? 1);
      return {
        ticker: m.ticker,
        eventTicker: m.event_ticker,
        openMs: parseTime(m.open_time, evFile, "open_time"),
        closeMs: parseTime(m.close_time, evFile, "close_time"),
        result: m.result === "yes" ? "yes" : "no",
        priceRanges: m.price_ranges ?? (step === 100 ? [...LINEAR_CENT] : [{ start: 0, end: 10_000, step }]),
      };
    });
    const exhaustive = isExhaustive(ev.event.mutually_exclusive, ev.markets);
    events.push({
      date,
      eventTicker: ev.event.event_ticker,
      seriesTicker: ev.event.series_ticker,
      mutuallyExclusive: ev.event.mutually_exclusive,
      exhaustive,
      markets: ms,
    });
    const idx = new Map<string, number>();
    for (const m of ms) {
      markets.set(m.ticker, m);
      idx.set(m.ticker, tickers.length);
      tickers.push(m.ticker);
    }
    const trFile = join(dir, "trades", `${date}.json.gz`);
    const tp = parseTradesFile(readGzJson(trFile));
    if (!tp.success) throw new TapeError(`${trFile}: not a kxhighny trades file (${firstIssue(tp.error)})`);
    for (const [ticker, trades] of Object.entries(tp.data)) {
      const m = idx.get(ticker);
      if (m === undefined) throw new TapeError(`${trFile}: trades of ${ticker}, a market events/${date}.json.gz does not list`);
      // Newest first in the file: within one millisecond the later line is the earlier trade.
      trades.forEach((t, j) => {
        raw.push({
          m,
          ts: parseTime(t.createdTime, trFile, "created_time"),
          price: t.price,
          count: t.count,
          taker: t.takerBoughtYes ? 0 : 1,
          seq: m * 10_000_000 + (trades.length - j),
        });
      });
    }
    opts.onFile?.(k + 1, dates.length);
  });
  if (events.length === 0)
    throw new TapeError(
      `--data ${dir}: nothing to replay: its ${leftOut.length} event(s) have a market without a yes/no result (${leftOut.slice(0, 3).join(", ")}${leftOut.length > 3 ? ", …" : ""}); fetch them again once they settle`,
    );
  raw.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  const n = raw.length;
  const tape: Tape = {
    events,
    markets,
    tickers,
    market: new Int32Array(n),
    tsMs: new Float64Array(n),
    price: new Int32Array(n),
    count: new Int32Array(n),
    taker: new Uint8Array(n),
    leftOut: leftOut.sort(),
  };
  raw.forEach((r, i) => {
    tape.market[i] = r.m;
    tape.tsMs[i] = r.ts;
    tape.price[i] = r.price;
    tape.count[i] = r.count;
    tape.taker[i] = r.taker;
  });
  return tape;
}
