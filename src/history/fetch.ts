// `fetch-history`: download one series' settled events, their markets, every trade and the
// markets' one-minute candlesticks from an exchange into a trade-tape folder (`events/`, `trades/`
// and `candles/` YYYY-MM-DD.json.gz; `backtest --data` reads events and trades). Live and archived
// records are both asked for, on the side of GET /historical/cutoff each may be on. Resumable: a
// date is written whole (trades, candles, then the event file, each atomically) and only then
// marked done in the state file, so an interrupted run continues where it stopped and never writes
// a trade twice; a date done by an earlier version without candles gets its candles only.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { z } from "zod";
import type { KalshiClient } from "../kalshi/client.ts";
import type * as W from "../kalshi/wire/index.ts";
import { writeFileAtomic } from "../ops/atomic.ts";
import { eventDate, legacyEvent, legacyMarket, legacyTrade, type LegacyTrade } from "./tape-format.ts";
import { CANDLE_PERIOD, marketCandles, type CandlesFile } from "./candles.ts";

/** A fetch that cannot go on as asked: the message says what to change. */
export class FetchHistoryError extends Error {
  override name = "FetchHistoryError";
}

export const STATE_FILE = ".fetch-history.json";

const stateSchema = z.object({
  version: z.literal(1),
  series: z.string(),
  done: z.record(
    z.string(),
    z.object({ event_ticker: z.string(), markets: z.number().int(), trades: z.number().int(), candles: z.number().int().optional() }),
  ),
});
type State = z.infer<typeof stateSchema>;

export interface FetchOptions {
  series: string;
  /** Inclusive event dates, YYYY-MM-DD. */
  from: string;
  to: string;
  out: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, eventTicker: string) => void;
}

export interface FetchResult {
  /** Dates written by this run. */
  written: string[];
  /** Dates already complete from an earlier run. */
  resumed: string[];
  /** Events in range not settled yet (some market without a yes/no result): fetched by a later run. */
  unsettled: string[];
  trades: number;
  /** Candles written by this run. */
  candles: number;
  /** Trades the cent format cannot carry, left out. */
  subCent: number;
  fractional: number;
}

function readState(out: string, series: string): State {
  const p = join(out, STATE_FILE);
  if (!existsSync(p)) return { version: 1, series, done: {} };
  let parsed;
  try {
    parsed = stateSchema.safeParse(JSON.parse(readFileSync(p, "utf8")));
  } catch {
    parsed = null;
  }
  if (!parsed?.success)
    throw new FetchHistoryError(`${p} is not a fetch-history state file; remove it to fetch every date again, or pick another --out`);
  if (parsed.data.series !== series)
    throw new FetchHistoryError(`--out ${out} holds series ${parsed.data.series}, not ${series}; pick another --out folder for ${series}`);
  return parsed.data;
}

const gz = (v: unknown): Uint8Array => gzipSync(JSON.stringify(v));

async function collect<T>(gen: AsyncGenerator<T[], void, void>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of gen) out.push(...page);
  return out;
}

/**
 * An event's markets, live and archived (archived ones are not nested in GET /events). Live first:
 * the cutoff only moves forward, so a market archived meanwhile is in the second answer.
 */
async function marketsOf(client: KalshiClient, eventTicker: string, signal: AbortSignal | undefined): Promise<W.Market[]> {
  const byTicker = new Map<string, W.Market>();
  for (const m of await collect(client.walkMarkets({ event_ticker: eventTicker }, signal ? { signal } : {}))) byTicker.set(m.ticker, m);
  for (const m of await collect(client.walkHistoricalMarkets({ event_ticker: eventTicker }, signal ? { signal } : {})))
    if (!byTicker.has(m.ticker)) byTicker.set(m.ticker, m);
  return [...byTicker.values()].sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
}

/**
 * Every trade of an event's markets, newest first per market: live ones (unless the market closed
 * before the cutoff seen at the start), then, with the cutoff asked again, archived ones of markets
 * open before it. The cutoff only moves forward, so a trade archived while the live ones were read
 * is in the second answer; one in both is kept once.
 */
async function tradesOf(
  client: KalshiClient,
  markets: W.Market[],
  startCutoffMs: number,
  signal: AbortSignal | undefined,
): Promise<Map<string, W.Trade[]>> {
  const opts = signal ? { signal } : {};
  const live = new Map<string, W.Trade[]>();
  for (const m of markets)
    live.set(m.ticker, Date.parse(m.close_time) >= startCutoffMs ? await collect(client.walkTrades({ ticker: m.ticker }, opts)) : []);
  const cutoffMs = Date.parse((await client.getHistoricalCutoff(signal)).trades_created_ts);
  const out = new Map<string, W.Trade[]>();
  for (const m of markets) {
    const archived = Date.parse(m.open_time) < cutoffMs ? await collect(client.walkHistoricalTrades({ ticker: m.ticker }, opts)) : [];
    out.set(m.ticker, newestFirst([...live.get(m.ticker)!, ...archived]));
  }
  return out;
}

function newestFirst(trades: W.Trade[]): W.Trade[] {
  const seen = new Set<string>();
  const all: W.Trade[] = [];
  for (const t of trades) {
    if (seen.has(t.trade_id)) continue;
    seen.add(t.trade_id);
    all.push(t);
  }
  // Stable: trades of one millisecond keep the exchange's newest-first order.
  const ts = new Map(all.map((t) => [t.trade_id, Date.parse(t.created_time)]));
  return all.sort((a, b) => ts.get(b.trade_id)! - ts.get(a.trade_id)!);
}

/** Every market's candles of one date, as candles/<date>.json.gz holds them. */
async function candlesOf(
  client: KalshiClient,
  series: string,
  markets: W.Market[],
  settledCutoffMs: number,
  signal: AbortSignal | undefined,
): Promise<{ file: CandlesFile; n: number }> {
  const file: CandlesFile = { period_interval: CANDLE_PERIOD, markets: {} };
  let n = 0;
  for (const m of markets) {
    const c = await marketCandles(client, series, m, settledCutoffMs, signal);
    file.markets[m.ticker] = c;
    n += c.candlesticks.length;
  }
  return { file, n };
}

export async function fetchHistory(client: KalshiClient, o: FetchOptions): Promise<FetchResult> {
  mkdirSync(join(o.out, "events"), { recursive: true });
  mkdirSync(join(o.out, "trades"), { recursive: true });
  mkdirSync(join(o.out, "candles"), { recursive: true });
  const state = readState(o.out, o.series);
  const walk = o.signal ? { signal: o.signal } : {};
  const cutoff = await client.getHistoricalCutoff(o.signal);
  const tradesCutoffMs = Date.parse(cutoff.trades_created_ts);
  const settledCutoffMs = Date.parse(cutoff.market_settled_ts);

  const events = await collect(client.walkEvents({ series_ticker: o.series }, walk));
  if (events.length === 0)
    throw new FetchHistoryError(`series ${o.series} has no events on this exchange; check the series ticker (e.g. KXHIGHNY)`);
  const dated: Array<{ date: string; ev: W.EventData; markets: W.Market[] | null }> = [];
  const allDates: string[] = [];
  for (const ev of events) {
    let markets: W.Market[] | null = null;
    let date = eventDate(ev, []);
    if (date === null) {
      markets = await marketsOf(client, ev.event_ticker, o.signal);
      date = eventDate(ev, markets);
    }
    if (date === null) continue;
    allDates.push(date);
    if (date >= o.from && date <= o.to) dated.push({ date, ev, markets });
  }
  if (dated.length === 0) {
    allDates.sort();
    throw new FetchHistoryError(
      `series ${o.series} has no event dated ${o.from} to ${o.to}; its events are dated ${allDates[0]} to ${allDates[allDates.length - 1]}`,
    );
  }
  dated.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (let i = 1; i < dated.length; i++) {
    if (dated[i]!.date === dated[i - 1]!.date) {
      throw new FetchHistoryError(
        `series ${o.series} has more than one event dated ${dated[i]!.date} (${dated[i - 1]!.ev.event_ticker}, ${dated[i]!.ev.event_ticker}); the tape format holds one event per day, so fetch a daily series`,
      );
    }
  }

  const res: FetchResult = { written: [], resumed: [], unsettled: [], trades: 0, candles: 0, subCent: 0, fractional: 0 };
  const saveState = () => writeFileAtomic(join(o.out, STATE_FILE), JSON.stringify(state, null, 2) + "\n");
  let k = 0;
  for (const { date, ev, markets: known } of dated) {
    o.onProgress?.(k, dated.length, ev.event_ticker);
    const evFile = join(o.out, "events", `${date}.json.gz`);
    const trFile = join(o.out, "trades", `${date}.json.gz`);
    const cdFile = join(o.out, "candles", `${date}.json.gz`);
    const prior = state.done[date];
    if (prior && prior.event_ticker === ev.event_ticker && existsSync(evFile) && existsSync(trFile)) {
      if (!existsSync(cdFile) || prior.candles === undefined) {
        // Done before candles were fetched: the candles alone.
        const c = await candlesOf(
          client,
          o.series,
          known ?? (await marketsOf(client, ev.event_ticker, o.signal)),
          settledCutoffMs,
          o.signal,
        );
        writeFileAtomic(cdFile, gz(c.file));
        state.done[date] = { ...prior, candles: c.n };
        saveState();
        res.candles += c.n;
      }
      res.resumed.push(date);
      o.onProgress?.(++k, dated.length, ev.event_ticker);
      continue;
    }
    const markets = known ?? (await marketsOf(client, ev.event_ticker, o.signal));
    // A backtest settles by the recorded results: an event is written once every market has one.
    if (markets.length === 0 || markets.some((m) => m.result !== "yes" && m.result !== "no")) {
      res.unsettled.push(ev.event_ticker);
      o.onProgress?.(++k, dated.length, ev.event_ticker);
      continue;
    }
    const trades: Record<string, LegacyTrade[]> = {};
    let n = 0;
    const byMarket = await tradesOf(client, markets, tradesCutoffMs, o.signal);
    for (const m of markets) {
      const list: LegacyTrade[] = [];
      for (const t of byMarket.get(m.ticker)!) {
        const lt = legacyTrade(t);
        if (lt === "sub-cent") res.subCent++;
        else if (lt === "fractional") res.fractional++;
        else list.push(lt);
      }
      if (list.length > 0) trades[m.ticker] = list;
      n += list.length;
    }
    const c = await candlesOf(client, o.series, markets, settledCutoffMs, o.signal);
    // Trades and candles first: a folder lists a date by its event file, so a crash between them
    // leaves nothing half-listed.
    writeFileAtomic(trFile, gz(trades));
    writeFileAtomic(cdFile, gz(c.file));
    writeFileAtomic(evFile, gz({ event: legacyEvent(ev), markets: markets.map(legacyMarket) }));
    state.done[date] = { event_ticker: ev.event_ticker, markets: markets.length, trades: n, candles: c.n };
    saveState();
    res.written.push(date);
    res.trades += n;
    res.candles += c.n;
    o.onProgress?.(++k, dated.length, ev.event_ticker);
  }
  return res;
}
