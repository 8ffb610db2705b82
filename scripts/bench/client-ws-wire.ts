// orderbook_delta frames per second on one core, from JSON text to the applied book (issue 14 goal 1:
// >= 1,500,000/s), beside JSON.parse alone on the same frames (the yardstick, measured in the same
// run). The client's path (parseWsFrame) reads plain delta frames straight from the text
// (ws-delta-scan.ts); also measured: the path before it (JSON.parse -> the generated decoder) and the
// generic zod path (JSON.parse -> WsMessage.safeParse).
// Frames are shaped like Kalshi's (test/fixtures/kalshi/ws__orderbook_trade_yes.jsonl): long market
// tickers, a market_id, ts and ts_ms, signed 2-dp deltas near the touch on both sides.
import { OrderBooks } from "../../src/kalshi/orderbook.ts";
import { WsMessage } from "../../src/kalshi/wire/ws.ts";
import { scanDeltaFrame } from "../../src/kalshi/wire/ws-delta-scan.ts";
import { fastDecodeWsMessage, parseWsFrame } from "../../src/kalshi/wire/ws-fast.ts";

const N = 400_000;
const MARKETS = 50;
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const tickers = Array.from({ length: MARKETS }, (_, i) => `KXWTACHALLENGERMATCH-26JUN11JIM${String(i).padStart(3, "0")}-LEP`);
const ids = tickers.map((_, i) => `f5ed38e2-0991-4c8f-817e-${String(i).padStart(12, "0")}`);
const level = new Map<string, number>();
const frames: string[] = [];
let ts = 1781159387354;
for (let i = 0; i < N; i++) {
  const m = Math.floor(rnd() * MARKETS);
  const side = rnd() < 0.5 ? "yes" : "no";
  const p = 30 + Math.floor(rnd() * 20);
  const key = `${m}:${side}:${p}`;
  const cur = level.get(key) ?? 0;
  // Removals never exceed what rests, as in a real feed, so books stay trusted.
  const d = cur > 0 && rnd() < 0.45 ? -Math.min(cur, 1 + Math.floor(rnd() * 500)) : 1 + Math.floor(rnd() * 500);
  level.set(key, cur + d);
  ts += Math.floor(rnd() * 5);
  const dollars = (d / 100).toFixed(2);
  frames.push(
    JSON.stringify({
      type: "orderbook_delta",
      sid: 1,
      seq: i + 2,
      msg: {
        market_ticker: tickers[m],
        market_id: ids[m],
        price_dollars: `0.${p}00`,
        delta_fp: dollars,
        side,
        ts: new Date(ts).toISOString().replace("Z", "354Z"),
        ts_ms: ts,
      },
    }),
  );
}

// The scanner must take every frame here, or the client path below would measure the fallback.
for (const f of frames) if (scanDeltaFrame(f) === undefined) throw new Error(`frame not scanned: ${f}`);

function freshBooks(): OrderBooks {
  const books = new OrderBooks();
  for (const t of tickers) books.snapshot(1, t, [], [], false);
  return books;
}

// Each method runs over a chunk of frames; chunks are short and the methods alternate, and the best
// chunk of each counts, so a burst of load from other processes does not land on one method only.
const CHUNK = 20_000;

function jsonOnly(from: number): number {
  let sink = 0;
  const t0 = performance.now();
  for (let i = from; i < from + CHUNK; i++) sink += (JSON.parse(frames[i]!) as { seq: number }).seq;
  const ms = performance.now() - t0;
  if (sink === 0) throw new Error("unreachable");
  return ms;
}

function wire(books: OrderBooks, from: number): number {
  const t0 = performance.now();
  for (let i = from; i < from + CHUNK; i++) {
    const r = parseWsFrame(frames[i]!);
    if (!r.ok || r.message.type !== "orderbook_delta") throw new Error(`frame ${i} refused`);
    const m = r.message.msg;
    books.delta(m.market_ticker, m.side, m.price_dollars, m.delta_fp);
  }
  return performance.now() - t0;
}

function decoderPath(books: OrderBooks, from: number): number {
  const t0 = performance.now();
  for (let i = from; i < from + CHUNK; i++) {
    const m0 = fastDecodeWsMessage(JSON.parse(frames[i]!));
    if (m0?.type !== "orderbook_delta") throw new Error(`frame ${i} refused`);
    const m = m0.msg;
    books.delta(m.market_ticker, m.side, m.price_dollars, m.delta_fp);
  }
  return performance.now() - t0;
}

function zodPath(books: OrderBooks, from: number): number {
  const t0 = performance.now();
  for (let i = from; i < from + CHUNK; i++) {
    const r = WsMessage.safeParse(JSON.parse(frames[i]!));
    if (!r.success || r.data.type !== "orderbook_delta") throw new Error(`frame ${i} refused`);
    const m = r.data.msg;
    books.delta(m.market_ticker, m.side, m.price_dollars, m.delta_fp);
  }
  return performance.now() - t0;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const best = { json: Infinity, wire: Infinity, decoder: Infinity, zod: Infinity };
const ROUNDS = 3;
for (let round = 0; round < ROUNDS; round++) {
  // The books follow the frames in order (deltas never take a level below zero), so each pass starts fresh.
  const wireBooks = freshBooks();
  const decoderBooks = freshBooks();
  const zodBooks = freshBooks();
  for (let from = 0; from < N; from += CHUNK) {
    best.json = Math.min(best.json, jsonOnly(from));
    best.wire = Math.min(best.wire, wire(wireBooks, from));
    best.decoder = Math.min(best.decoder, decoderPath(decoderBooks, from));
    if (round === 0 || from % (4 * CHUNK) === 0) best.zod = Math.min(best.zod, zodPath(zodBooks, from));
    else zodPath(zodBooks, from);
  }
  for (const t of tickers) {
    if (!wireBooks.get(t)!.trusted) throw new Error(`book ${t} lost trust: ${wireBooks.get(t)!.reason}`);
    // Both paths built the same books.
    for (const side of ["yes", "no"] as const)
      if (JSON.stringify(wireBooks.get(t)!.levels(side)) !== JSON.stringify(decoderBooks.get(t)!.levels(side)))
        throw new Error(`book ${t} differs`);
  }
}
const rate = (ms: number) => (CHUNK / ms) * 1000;
const avgLen = Math.round(frames.reduce((s, f) => s + f.length, 0) / N);
console.log(`orderbook_delta frames (${avgLen} bytes each), one core, best ${fmt(CHUNK)}-frame chunk of each:`);
console.log(`  JSON.parse alone (yardstick):                 ${fmt(rate(best.json))} frames/s`);
const line = (label: string, ms: number) =>
  console.log(`  ${label.padEnd(45)} ${fmt(rate(ms))} deltas/s = ${((rate(ms) / rate(best.json)) * 100).toFixed(0)}% of JSON.parse`);
line("client path (parseWsFrame: text scanner):", best.wire);
line("before it (JSON.parse -> generated decoder):", best.decoder);
line("generic zod path (JSON.parse -> WsMessage):", best.zod);
