// A recording of the exchange's streams as `kalshi-bot record` writes it (src/history/record.ts):
// hourly `YYYY-MM-DDTHH[.k].jsonl.gz` files of {t, kind, ...} records, the messages already in our
// units (Price 1/10,000 $, Count 1/100 contract). Loaded whole, in the order written, into the items
// the replay consumes (book snapshots and deltas with their sid and seq, trades, lifecycle changes,
// gaps, connection changes) and the events with their markets and recorded results.
//
// Time: the replay runs on exchange time. A delta, trade or ticker carries its exchange time
// (ts_ms, else ts); any other record takes the last exchange time seen plus the receive time since
// (`t`), so the stream's order is kept and time never runs backwards.
//
// Events are replayed only when every one of their markets has a recorded yes/no result (a
// `market` record, or a `determined` lifecycle message): a backtest settles by recorded results.
// The others are named in `leftOut`.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { constants, gunzipSync } from "node:zlib";
import { z } from "zod";
import { isExhaustive } from "../engine/event-coverage.ts";
import { eventDate } from "../history/tape-format.ts";
import { formatPrice, PRICE_ONE } from "../kalshi/money.ts";
import { TapeError, type TapeEvent, type TapeMarket } from "./tape.ts";

/** `record`'s file names: the UTC hour, and `.k` for the sibling a restart wrote after a damaged file. */
const FILE = /^(\d{4}-\d{2}-\d{2}T\d{2})(?:\.(\d+))?\.jsonl\.gz$/;

export const isRecordingFile = (name: string): boolean => FILE.test(name);

const int = z.number().int();
const level = z.tuple([int, int]);
const priceRange = z.object({ start: int, end: int, step: int.positive() });
const marketSchema = z.looseObject({
  ticker: z.string().min(1),
  event_ticker: z.string().min(1),
  open_time: z.string(),
  close_time: z.string(),
  result: z.string().optional(),
  price_ranges: z.array(priceRange).optional(),
  strike_type: z.string().optional(),
  floor_strike: z.number().nullable().optional(),
  cap_strike: z.number().nullable().optional(),
});
const eventSchema = z.looseObject({
  event_ticker: z.string().min(1),
  series_ticker: z.string().min(1),
  mutually_exclusive: z.boolean(),
  strike_date: z.string().nullable().optional(),
  markets: z.array(marketSchema).optional(),
});
const exchTime = { ts_ms: int.optional(), ts: z.union([int, z.string()]).optional() };
const snapshotMsg = z.looseObject({
  market_ticker: z.string(),
  yes_dollars_fp: z.array(level).nullable().optional(),
  no_dollars_fp: z.array(level).nullable().optional(),
});
const deltaMsg = z.looseObject({ market_ticker: z.string(), price_dollars: int, delta_fp: int, side: z.enum(["yes", "no"]), ...exchTime });
const tradeMsg = z.looseObject({
  market_ticker: z.string(),
  yes_price_dollars: int,
  count_fp: int,
  taker_book_side: z.enum(["bid", "ask"]).optional(),
  taker_outcome_side: z.enum(["yes", "no"]).optional(),
  taker_side: z.string().optional(),
  ...exchTime,
});
const lifecycleMsg = z.looseObject({
  market_ticker: z.string(),
  event_type: z.string(),
  result: z.string().optional(),
  is_deactivated: z.boolean().optional(),
});
const recordSchema = z.looseObject({ t: z.number(), kind: z.string() });

/** One thing the replay consumes, in recorded order, at exchange time `ms`. */
export type RecordingItem = { ms: number } & (
  | { kind: "snapshot"; sid: number; seq: number | null; ticker: string; yes: Array<[number, number]>; no: Array<[number, number]> }
  | { kind: "delta"; sid: number; seq: number; ticker: string; side: "yes" | "no"; price: number; delta: number }
  /** A command reply that took a seq number of a book subscription. */
  | { kind: "seq"; sid: number; seq: number }
  | { kind: "trade"; ticker: string; price: number; count: number; takerBookSide: "bid" | "ask" }
  | { kind: "lifecycle"; ticker: string; eventType: string; deactivated: boolean | null }
  | { kind: "gap"; sid: number; tickers: string[]; expected: number; got: number }
  | { kind: "connection"; state: string }
);

export interface Recording {
  events: TapeEvent[];
  markets: Map<string, TapeMarket>;
  items: RecordingItem[];
  trades: number;
  /** Events left out: some market has no recorded result. */
  leftOut: string[];
  files: number;
}

/** The recording files of `dir`, oldest first (an hour's `.k` siblings after it). */
export function recordingFiles(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => ({ f, m: FILE.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => (a.m[1]! < b.m[1]! ? -1 : a.m[1]! > b.m[1]! ? 1 : Number(a.m[2] ?? 0) - Number(b.m[2] ?? 0)))
    .map((x) => x.f);
}

/** A file's text; a member cut off by a crash yields what it holds before the cut (the writer went on in a sibling). */
function readGz(path: string): string {
  try {
    return gunzipSync(readFileSync(path)).toString("utf8");
  } catch {
    try {
      return gunzipSync(readFileSync(path), { finishFlush: constants.Z_SYNC_FLUSH }).toString("utf8");
    } catch (e) {
      throw new TapeError(
        `${path}: not a readable gzip file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); move it out of the folder`,
      );
    }
  }
}

const takerOf = (m: z.infer<typeof tradeMsg>): "bid" | "ask" =>
  m.taker_book_side ?? ((m.taker_outcome_side ?? m.taker_side) === "no" ? "ask" : "bid");

function ownTime(m: { ts_ms?: number | undefined; ts?: number | string | undefined }): number | null {
  if (m.ts_ms !== undefined) return m.ts_ms;
  if (typeof m.ts === "number") return m.ts * 1000;
  if (typeof m.ts === "string") {
    const t = Date.parse(m.ts);
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

export function loadRecording(
  dir: string,
  opts: { from?: string; to?: string; onFile?: (done: number, total: number) => void } = {},
): Recording {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new TapeError(`--data ${dir}: no such folder; point --data at a folder kalshi-bot record wrote`);
  const files = recordingFiles(dir);
  if (files.length === 0) throw new TapeError(`--data ${dir}: no YYYY-MM-DDTHH.jsonl.gz file (what kalshi-bot record writes)`);
  const rawEvents = new Map<string, z.infer<typeof eventSchema>>();
  const rawMarkets = new Map<string, z.infer<typeof marketSchema>>();
  const results = new Map<string, "yes" | "no">();
  const items: RecordingItem[] = [];
  let trades = 0;
  // How the book frames that follow price their NO levels: `book_format` records say (the recorder
  // subscribes with use_yes_price, NO levels at their YES-equivalent price); without one, at NO
  // prices. Read into NO prices here, as the rest of the backtest keeps books.
  let noAtYesPrice = false;
  let formatRecorded = false;
  const noPrice = (p: number) => (noAtYesPrice ? PRICE_ONE - p : p);
  let lastExch: number | null = null;
  let lastRecv = 0;
  /** Items before the first exchange time: stamped once it is known. */
  const unstamped: RecordingItem[] = [];
  /** The exchange time of a record received at `recv` carrying `own` (null: none of its own). */
  const clock = (own: number | null, recv: number): number | null => {
    if (own !== null) lastExch = lastExch === null ? own : Math.max(lastExch, own);
    else if (lastExch !== null) lastExch += Math.max(0, recv - lastRecv);
    lastRecv = recv;
    if (lastExch !== null) for (const u of unstamped.splice(0)) u.ms = lastExch;
    return lastExch;
  };
  const stamp = (it: RecordingItem, own: number | null, recv: number) => {
    const ms = clock(own, recv);
    if (ms === null) unstamped.push(it);
    else it.ms = ms;
    items.push(it);
  };
  files.forEach((f, k) => {
    const path = join(dir, f);
    const lines = readGz(path).split("\n");
    lines.forEach((line, n) => {
      if (!line) return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        // A line cut off by a crash is the file's last; anything else is not a recording.
        if (n >= lines.length - 2) return;
        throw new TapeError(`${path}: line ${n + 1} is not JSON; not a kalshi-bot record file`);
      }
      const r = recordSchema.safeParse(raw);
      if (!r.success) throw new TapeError(`${path}: line ${n + 1} is not a kalshi-bot record line (needs t and kind)`);
      const rec = r.data;
      const bad = (what: string, e: z.ZodError) =>
        new TapeError(`${path}: line ${n + 1}: not a recorded ${what} (${e.issues[0]!.path.join(".")}: ${e.issues[0]!.message})`);
      if (rec.kind === "event") {
        const e = eventSchema.safeParse(rec.event);
        if (!e.success) throw bad("event", e.error);
        rawEvents.set(e.data.event_ticker, e.data);
        for (const m of e.data.markets ?? []) rawMarkets.set(m.ticker, { ...rawMarkets.get(m.ticker), ...m });
      } else if (rec.kind === "market") {
        const m = marketSchema.safeParse(rec.market);
        if (!m.success) throw bad("market", m.error);
        rawMarkets.set(m.data.ticker, { ...rawMarkets.get(m.data.ticker), ...m.data });
        if (m.data.result === "yes" || m.data.result === "no") results.set(m.data.ticker, m.data.result);
      } else if (rec.kind === "gap") {
        const g = z.looseObject({ sid: int, expected: int, got: int, tickers: z.array(z.string()) }).safeParse(rec);
        if (!g.success) throw bad("gap", g.error);
        stamp({ ms: 0, kind: "gap", sid: g.data.sid, tickers: g.data.tickers, expected: g.data.expected, got: g.data.got }, null, rec.t);
      } else if (rec.kind === "book_format") {
        noAtYesPrice = rec.use_yes_price === true;
        formatRecorded = true;
      } else if (rec.kind === "connection") {
        stamp({ ms: 0, kind: "connection", state: String(rec.state ?? "") }, null, rec.t);
      } else if (rec.kind === "ws") {
        const sid = typeof rec.sid === "number" ? rec.sid : -1;
        const seq = typeof rec.seq === "number" ? rec.seq : null;
        if (rec.type === "orderbook_snapshot") {
          const m = snapshotMsg.safeParse(rec.msg);
          if (!m.success) throw bad("order book snapshot", m.error);
          if (!formatRecorded) refuseCrossedAtNoPrices(m.data, `${path}: line ${n + 1}`);
          stamp(
            {
              ms: 0,
              kind: "snapshot",
              sid,
              seq,
              ticker: m.data.market_ticker,
              yes: m.data.yes_dollars_fp ?? [],
              no: (m.data.no_dollars_fp ?? []).map(([p, c]): [number, number] => [noPrice(p), c]),
            },
            null,
            rec.t,
          );
        } else if (rec.type === "orderbook_delta") {
          const m = deltaMsg.safeParse(rec.msg);
          if (!m.success || seq === null) throw new TapeError(`${path}: line ${n + 1}: not a recorded order book delta with its seq`);
          stamp(
            {
              ms: 0,
              kind: "delta",
              sid,
              seq,
              ticker: m.data.market_ticker,
              side: m.data.side,
              price: m.data.side === "no" ? noPrice(m.data.price_dollars) : m.data.price_dollars,
              delta: m.data.delta_fp,
            },
            ownTime(m.data),
            rec.t,
          );
        } else if (rec.type === "trade") {
          const m = tradeMsg.safeParse(rec.msg);
          if (!m.success) throw bad("trade", m.error);
          trades++;
          stamp(
            {
              ms: 0,
              kind: "trade",
              ticker: m.data.market_ticker,
              price: m.data.yes_price_dollars,
              count: m.data.count_fp,
              takerBookSide: takerOf(m.data),
            },
            ownTime(m.data),
            rec.t,
          );
        } else if (rec.type === "market_lifecycle_v2") {
          const m = lifecycleMsg.safeParse(rec.msg);
          if (!m.success) throw bad("lifecycle message", m.error);
          if (m.data.event_type === "determined" && (m.data.result === "yes" || m.data.result === "no"))
            results.set(m.data.market_ticker, m.data.result);
          stamp(
            {
              ms: 0,
              kind: "lifecycle",
              ticker: m.data.market_ticker,
              eventType: m.data.event_type,
              deactivated: m.data.is_deactivated ?? null,
            },
            null,
            rec.t,
          );
        } else if (rec.type === "ticker") {
          // Only its time: the book itself is the truth about prices.
          const m = z.looseObject(exchTime).safeParse(rec.msg);
          clock(m.success ? ownTime(m.data) : null, rec.t);
        } else if (seq !== null && sid >= 0) {
          stamp({ ms: 0, kind: "seq", sid, seq }, null, rec.t);
        }
      }
    });
    opts.onFile?.(k + 1, files.length);
  });
  // No exchange time anywhere: the stream's order is all there is (every item at time 0).
  if (lastExch === null) for (const u of unstamped) u.ms = 0;

  const events: TapeEvent[] = [];
  const markets = new Map<string, TapeMarket>();
  const leftOut: string[] = [];
  const when = (s: string, what: string, ticker: string) => {
    const t = Date.parse(s);
    if (!Number.isFinite(t)) throw new TapeError(`--data ${dir}: market ${ticker} has ${what} "${s}", not a time`);
    return t;
  };
  for (const ev of rawEvents.values()) {
    const ms = [...rawMarkets.values()]
      .filter((m) => m.event_ticker === ev.event_ticker)
      .sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
    const date = eventDate({ event_ticker: ev.event_ticker, strike_date: ev.strike_date ?? undefined }, ms);
    if (date === null || (opts.from && date < opts.from) || (opts.to && date > opts.to)) continue;
    if (ms.length === 0 || ms.some((m) => !results.has(m.ticker))) {
      leftOut.push(ev.event_ticker);
      continue;
    }
    const tm: TapeMarket[] = ms.map((m) => ({
      ticker: m.ticker,
      eventTicker: m.event_ticker,
      openMs: when(m.open_time, "open_time", m.ticker),
      closeMs: when(m.close_time, "close_time", m.ticker),
      result: results.get(m.ticker)!,
      priceRanges: m.price_ranges?.length ? m.price_ranges : [{ start: 0, end: 10_000, step: 100 }],
    }));
    for (const m of tm) markets.set(m.ticker, m);
    events.push({
      date,
      eventTicker: ev.event_ticker,
      seriesTicker: ev.series_ticker,
      mutuallyExclusive: ev.mutually_exclusive,
      exhaustive: isExhaustive(ev.mutually_exclusive, ms),
      markets: tm,
    });
  }
  events.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.eventTicker < b.eventTicker ? -1 : 1));
  return { events, markets, items, trades, leftOut: leftOut.sort(), files: files.length };
}

/**
 * A recording without a `book_format` record is read at NO prices (hand-written recordings, and
 * Kalshi's mode without use_yes_price). A snapshot whose best YES and NO bids add up to a dollar or
 * more cannot be that: a book with NO levels at their YES-equivalent price (what `kalshi-bot record`
 * subscribed before it wrote the record), which read as NO prices would misstate every ask.
 */
function refuseCrossedAtNoPrices(snap: z.infer<typeof snapshotMsg>, where: string): void {
  const best = (levels: z.infer<typeof snapshotMsg>["yes_dollars_fp"]) =>
    Math.max(-1, ...(levels ?? []).filter(([, c]) => c > 0).map(([p]) => p));
  const yes = best(snap.yes_dollars_fp);
  const no = best(snap.no_dollars_fp);
  if (yes < 0 || no < 0 || yes + no < PRICE_ONE) return;
  throw new TapeError(
    `${where}: ${snap.market_ticker}'s book has a YES bid at ${formatPrice(yes)} and a NO level at ${formatPrice(no)}, crossed if NO levels are NO prices: the recording priced NO levels at their YES equivalent (use_yes_price) and says nothing about it (made before kalshi-bot record wrote a book_format record). Add the line {"t":0,"kind":"book_format","use_yes_price":true} at the top of its first file, or record again`,
  );
}
