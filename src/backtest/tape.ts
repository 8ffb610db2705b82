// A recorded trade tape in the kxhighny format (../shared/data/README.md): per event date,
// `events/<date>.json.gz` ({event, markets}, as GET /events/{ticker} with nested markets returned
// them, legacy cent fields) and `trades/<date>.json.gz` ({market_ticker: [trade…]} as GET
// /markets/trades returned them). Loaded whole into memory, converted to our units once: prices to
// Price (1/10,000 $), counts to Count (1/100 contract), times to ms.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { centPriceToPrice, contractsToCount } from "../kalshi/money.ts";
import { LINEAR_CENT, type PriceRange } from "../kalshi/price-grid.ts";
import type { BookSide } from "../strategies/types.ts";
import { isExhaustive } from "../engine/event-coverage.ts";

/** A tape that cannot be used: the message names the file and what is wrong with it. */
export class TapeError extends Error {
  override name = "TapeError";
}

const cents = z.number().int().min(0).max(100);

const tapeTradeSchema = z.object({
  trade_id: z.string(),
  ticker: z.string().min(1),
  count: z.number().int().positive(),
  created_time: z.string(),
  yes_price: cents,
  taker_side: z.enum(["yes", "no"]),
});

const tapeMarketSchema = z.object({
  ticker: z.string().min(1),
  event_ticker: z.string().min(1),
  open_time: z.string(),
  close_time: z.string(),
  result: z.string(),
  tick_size: z.number().int().positive().optional(),
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

const tapeTradesFileSchema = z.record(z.string(), z.array(tapeTradeSchema));

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
 * Load a tape folder. `onFile` reports progress (files read). Markets without a yes/no result are
 * refused (a backtest settles by the recorded results); trades of markets the event file does not
 * list are refused too (their settlement would be unknown).
 */
export function loadTape(dir: string, opts: { from?: string; to?: string; onFile?: (done: number, total: number) => void } = {}): Tape {
  const dates = tapeDates(dir).filter((d) => (!opts.from || d >= opts.from) && (!opts.to || d <= opts.to));
  if (dates.length === 0)
    throw new TapeError(`--data ${dir}: no event dated between ${opts.from ?? "the start"} and ${opts.to ?? "the end"}`);
  const events: TapeEvent[] = [];
  const markets = new Map<string, TapeMarket>();
  const tickers: string[] = [];
  const raw: Array<{ m: number; ts: number; price: number; count: number; taker: number; seq: number }> = [];
  dates.forEach((date, k) => {
    const evFile = join(dir, "events", `${date}.json.gz`);
    const ep = tapeEventFileSchema.safeParse(readGzJson(evFile));
    if (!ep.success) throw new TapeError(`${evFile}: not a kxhighny event file (${firstIssue(ep.error)})`);
    const ev = ep.data;
    const ms: TapeMarket[] = ev.markets.map((m) => {
      if (m.result !== "yes" && m.result !== "no")
        throw new TapeError(`${evFile}: market ${m.ticker} has no yes/no result ("${m.result}"); a backtest settles by recorded results`);
      // Legacy cent markets: one-cent grid.
      const step = centPriceToPrice(m.tick_size ?? 1);
      return {
        ticker: m.ticker,
        eventTicker: m.event_ticker,
        openMs: parseTime(m.open_time, evFile, "open_time"),
        closeMs: parseTime(m.close_time, evFile, "close_time"),
        result: m.result,
        priceRanges: step === 100 ? [...LINEAR_CENT] : [{ start: 0, end: 10_000, step }],
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
    const tp = tapeTradesFileSchema.safeParse(readGzJson(trFile));
    if (!tp.success) throw new TapeError(`${trFile}: not a kxhighny trades file (${firstIssue(tp.error)})`);
    for (const [ticker, trades] of Object.entries(tp.data)) {
      const m = idx.get(ticker);
      if (m === undefined) throw new TapeError(`${trFile}: trades of ${ticker}, a market events/${date}.json.gz does not list`);
      // Newest first in the file: within one millisecond the later line is the earlier trade.
      trades.forEach((t, j) => {
        raw.push({
          m,
          ts: parseTime(t.created_time, trFile, "created_time"),
          price: centPriceToPrice(t.yes_price),
          count: contractsToCount(t.count),
          taker: t.taker_side === "yes" ? 0 : 1,
          seq: m * 10_000_000 + (trades.length - j),
        });
      });
    }
    opts.onFile?.(k + 1, dates.length);
  });
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
