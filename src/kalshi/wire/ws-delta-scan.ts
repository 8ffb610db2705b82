// `orderbook_delta` frames read straight from their JSON text, without JSON.parse (issue 14 goal 1):
// deltas are nearly all of the feed, and JSON.parse building a generic object tree to read seven
// fields from it was about three quarters of the time from text to book.
//
// Only the plain form is read: compact JSON as Kalshi (and our local exchange) write it, keys in any
// order, strings without escapes, integers of at most 15 digits, fixed-point strings in the forms
// fastParseFixed reads, and only the keys the schema knows. Anything else (whitespace but one final
// newline, an escape, an unknown or repeated key, another type, a number in another form) is "not
// scanned": the caller then takes the general path (JSON.parse, the generated decoder, zod), which
// has the last word. So the scanner only ever says "yes, and here is exactly zod's output";
// test/kalshi/ws-delta-scan.test.ts checks that against JSON.parse + WsMessage on generated frames
// and mutations of them. Repeated keys are refused although JSON.parse's last-wins reading would
// give the same output here (no feed sends them; refusing them keeps the contract simple).
import { COUNT_DP, fastParseFixed, PRICE_DP } from "../money.ts";
import type { OrderbookDeltaMsg, WsMessage } from "./ws.ts";

export type OrderbookDeltaFrame = Extract<WsMessage, { type: "orderbook_delta" }>;

const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const LBRACE = 123;
const RBRACE = 125;

/**
 * An escape or a raw control character (but a final newline): the frame is not in the plain form
 * (outside strings a control character is whitespace, inside one JSON.parse refuses it). With none, a
 * string ends at the next quote, which a native search (indexOf) finds much faster than a loop over
 * char codes.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it looks for
const UNPLAIN = /[\x00-\x1f\\]/;

/**
 * Recently seen tickers, by a hash of their length and last characters: a ticker read from a frame is
 * the same string object as last time, whose hash the books' Map has already computed (hashing a
 * fresh 30-40 character string on every delta was about a tenth of the path in a profile).
 */
const TICKER_SLOTS = 256;
const recentTickers: string[] = new Array<string>(TICKER_SLOTS).fill("");
function ticker(s: string, from: number, to: number): string {
  const n = to - from;
  let h = n;
  for (let j = Math.max(from, to - 6); j < to; j++) h = (h * 31 + s.charCodeAt(j)) | 0;
  h &= TICKER_SLOTS - 1;
  const seen = recentTickers[h]!;
  if (seen.length === n && s.startsWith(seen, from)) return seen;
  const t = s.slice(from, to);
  recentTickers[h] = t;
  return t;
}

/** Where the last integer read by `int` ended (a second return value, without allocating). */
let intEnd = 0;

/** A JSON integer of at most 15 digits (always safe) at `i`, as JSON.parse reads it (-0 included); NaN otherwise. */
function int(s: string, i: number): number {
  const neg = s.charCodeAt(i) === MINUS;
  if (neg) i++;
  const start = i;
  let c = s.charCodeAt(i) - 48;
  let n = 0;
  if (c === 0) i++;
  else {
    // Up to 9 digits in one int32, the rest in another: no double arithmetic in the loops (a 13-digit
    // ts_ms read digit by digit into a double measured slower).
    let hi = 0;
    while (c >= 0 && c <= 9 && i - start < 9) {
      hi = hi * 10 + c;
      c = s.charCodeAt(++i) - 48;
    }
    let lo = 0;
    let scale = 1;
    while (c >= 0 && c <= 9 && i - start < 16) {
      lo = lo * 10 + c;
      scale *= 10;
      c = s.charCodeAt(++i) - 48;
    }
    n = hi * scale + lo;
  }
  // A leading zero followed by digits, a fraction or an exponent fails the caller's check for `,` or `}`.
  if (i === start || i - start > 15) return NaN;
  intEnd = i;
  return neg ? -n : n;
}

// Field bits, to refuse repeated keys and to check required ones.
const TYPE = 1;
const SID = 2;
const SEQ = 4;
const MSG = 8;
const TICKER = 1;
const ID = 2;
const PRICE = 4;
const DELTA = 8;
const SIDE = 16;
const TS = 32;
const TS_MS = 64;
const CLIENT_ORDER_ID = 128;
const SUBACCOUNT = 256;

/**
 * The frame decoded exactly as `WsMessage.parse(JSON.parse(text))` would decode it, when `text` is
 * an `orderbook_delta` frame in the plain form; undefined otherwise (the text is then not judged).
 */
export function scanDeltaFrame(s: string): OrderbookDeltaFrame | undefined {
  // One final newline is taken, as JSON.parse takes it (Go's json.Encoder ends each message with one).
  const len = s.charCodeAt(s.length - 1) === 10 ? s.length - 1 : s.length;
  if (s.charCodeAt(0) !== LBRACE || s.charCodeAt(len - 1) !== RBRACE) return undefined;
  let i = 1;
  let top = 0;
  let sid = 0;
  let seq = 0;
  let msg: OrderbookDeltaMsg | undefined;
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) return undefined;
    const k = s.charCodeAt(i + 1);
    if (k === 116 /* t */ && s.startsWith('"type":"orderbook_delta"', i)) {
      if (top & TYPE) return undefined;
      top |= TYPE;
      i += 24;
    } else if (k === 115 /* s */ && s.startsWith('"sid":', i)) {
      if (top & SID) return undefined;
      top |= SID;
      sid = int(s, i + 6);
      if (Number.isNaN(sid)) return undefined;
      i = intEnd;
    } else if (k === 115 && s.startsWith('"seq":', i)) {
      if (top & SEQ) return undefined;
      top |= SEQ;
      seq = int(s, i + 6);
      if (Number.isNaN(seq)) return undefined;
      i = intEnd;
    } else if (k === 109 /* m */ && s.startsWith('"msg":{', i)) {
      if (top & MSG) return undefined;
      top |= MSG;
      msg = scanMsg(s, i + 6);
      if (msg === undefined) return undefined;
      i = msgEnd;
    } else return undefined;
    const c = s.charCodeAt(i);
    if (c === COMMA) i++;
    else if (c === RBRACE) break;
    else return undefined;
  }
  if (i !== len - 1 || top !== (TYPE | SID | SEQ | MSG) || msg === undefined) return undefined;
  // Checked last, so that other message types (snapshots can be long) are not searched: until here a
  // string was taken to end at the next quote, which this check confirms. With a final newline, the
  // first character UNPLAIN finds must be that newline.
  if (len === s.length ? UNPLAIN.test(s) : s.search(UNPLAIN) !== len) return undefined;
  return { type: "orderbook_delta", sid, seq, msg };
}

/** Where the last object read by `scanMsg` ended (just after its closing brace). */
let msgEnd = 0;

/** The `msg` object opened at `open`, decoded as OrderbookDeltaMsg decodes it; undefined when not in the plain form. */
function scanMsg(s: string, open: number): OrderbookDeltaMsg | undefined {
  let i = open + 1;
  let seen = 0;
  let marketTicker = "";
  let id = "";
  let price = 0;
  let delta = 0;
  let side: "yes" | "no" = "yes";
  let ts = "";
  let tsMs = 0;
  let clientOrderId = "";
  let subaccount = 0;
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) return undefined;
    const k = s.charCodeAt(i + 1);
    let bit: number;
    if (k === 109 /* m */ && s.startsWith('"market_ticker":"', i)) {
      bit = TICKER;
      const end = s.indexOf('"', i + 17);
      if (end < 0) return undefined;
      marketTicker = ticker(s, i + 17, end);
      i = end + 1;
    } else if (k === 112 /* p */ && s.startsWith('"price_dollars":"', i)) {
      bit = PRICE;
      const end = s.indexOf('"', i + 17);
      if (end < 0) return undefined;
      price = fastParseFixed(s, i + 17, end, PRICE_DP);
      if (Number.isNaN(price)) return undefined;
      i = end + 1;
    } else if (k === 100 /* d */ && s.startsWith('"delta_fp":"', i)) {
      bit = DELTA;
      const end = s.indexOf('"', i + 12);
      if (end < 0) return undefined;
      delta = fastParseFixed(s, i + 12, end, COUNT_DP);
      if (Number.isNaN(delta)) return undefined;
      i = end + 1;
    } else if (k === 115 /* s */ && s.startsWith('"side":"', i)) {
      bit = SIDE;
      if (s.startsWith('yes"', i + 8)) {
        side = "yes";
        i += 12;
      } else if (s.startsWith('no"', i + 8)) {
        side = "no";
        i += 11;
      } else return undefined;
    } else if (k === 109 && s.startsWith('"market_id":"', i)) {
      bit = ID;
      const end = s.indexOf('"', i + 13);
      if (end < 0) return undefined;
      id = s.slice(i + 13, end);
      i = end + 1;
    } else if (k === 116 /* t */ && s.startsWith('"ts":"', i)) {
      bit = TS;
      const end = s.indexOf('"', i + 6);
      if (end < 0) return undefined;
      ts = s.slice(i + 6, end);
      i = end + 1;
    } else if (k === 116 && s.startsWith('"ts_ms":', i)) {
      bit = TS_MS;
      tsMs = int(s, i + 8);
      if (Number.isNaN(tsMs)) return undefined;
      i = intEnd;
    } else if (k === 99 /* c */ && s.startsWith('"client_order_id":"', i)) {
      bit = CLIENT_ORDER_ID;
      const end = s.indexOf('"', i + 19);
      if (end < 0) return undefined;
      clientOrderId = s.slice(i + 19, end);
      i = end + 1;
    } else if (k === 115 && s.startsWith('"subaccount":', i)) {
      bit = SUBACCOUNT;
      subaccount = int(s, i + 13);
      if (Number.isNaN(subaccount)) return undefined;
      i = intEnd;
    } else return undefined;
    if (seen & bit) return undefined;
    seen |= bit;
    const c = s.charCodeAt(i);
    if (c === COMMA) i++;
    else if (c === RBRACE) break;
    else return undefined;
  }
  if ((seen & (TICKER | PRICE | DELTA | SIDE)) !== (TICKER | PRICE | DELTA | SIDE)) return undefined;
  msgEnd = i + 1;
  // Only the keys the frame has, as zod's output has them (an absent optional key is not `undefined`).
  if (seen === (TICKER | ID | PRICE | DELTA | SIDE | TS | TS_MS))
    return { market_ticker: marketTicker, market_id: id, price_dollars: price, delta_fp: delta, side, ts, ts_ms: tsMs };
  const msg: OrderbookDeltaMsg = { market_ticker: marketTicker, price_dollars: price, delta_fp: delta, side };
  if (seen & ID) msg.market_id = id;
  if (seen & TS) msg.ts = ts;
  if (seen & TS_MS) msg.ts_ms = tsMs;
  if (seen & CLIENT_ORDER_ID) msg.client_order_id = clientOrderId;
  if (seen & SUBACCOUNT) msg.subaccount = subaccount;
  return msg;
}
