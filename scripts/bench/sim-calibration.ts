// How close the local exchange's market is to real Kalshi data (issue 16): the same figures computed
// on the real KXHIGHNY tape (../shared/data/kxhighny), the crypto15m top of book, and the local
// exchange's default scenario run with no bot for a few hours of market time per seed.
//
//   bun scripts/bench/sim-calibration.ts [--data ../shared/data] [--seeds 1,2,3,4] [--hours 3]
//
// Figures: trade size (contracts), trades per market-hour (real: over each market's first-to-last
// trade; sim: over its open hours in the run),
// share of trades by YES price, the taker's 60 s markout measured trade to trade (the first trade
// at least 60 s later minus this one, in the taker's direction: the only markout a tape without a
// book allows; it includes the bid-ask bounce), on the sim also the mid 60 s later (no bounce) for
// noise, informed and arbitrage takers, the win rate of contracts by price (favourite-longshot),
// the share of trades that are legs of a set (an arbitrage sweep's print, found the same way on
// both tapes), the spread and top-of-book depth, and on the sim the trade sizes by taker.
import { gunzipSync } from "node:zlib";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ManualClock } from "../../src/sim/clock.ts";
import { startSimServer } from "../../src/sim/server.ts";
import type { Fill } from "../../src/sim/types.ts";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const DATA = resolve(arg("data", "../shared/data"));
const SEEDS = arg("seeds", "1,2,3,4").split(",").map(Number);
const HOURS = Number(arg("hours", "3"));
const START = Date.UTC(2026, 10, 20, 14, 0, 0);

interface T {
  ts: number;
  ticker: string;
  price: number;
  count: number;
  buy: boolean;
  who?: string;
  id?: string;
}
interface Stats {
  sizes: number[];
  perHour: number[];
  prices: number[];
  markTape: number[];
  cal: Map<number, [number, number]>;
  spreads: number[];
  depth: number[];
  markMid: Map<string, number[]>;
  /** Trades that are legs of a set: the same second, side and count on all (or all but one) strikes of an event of 3+. */
  setLegs: number;
  /** Sim only: trade sizes by the taker's account. */
  sizeBy: Map<string, number[]>;
}
const empty = (): Stats => ({
  sizes: [],
  perHour: [],
  prices: [],
  markTape: [],
  cal: new Map(),
  spreads: [],
  depth: [],
  markMid: new Map(),
  setLegs: 0,
  sizeBy: new Map(),
});

/** `hours(ticker)`: the market's trading hours; by default its first-to-last trade (all a tape tells). */
function tapeStats(s: Stats, byTicker: Map<string, T[]>, result: (t: string) => boolean | undefined, hours?: (t: string) => number): void {
  for (const [ticker, raw] of byTicker) {
    const xs = [...raw].sort((a, b) => a.ts - b.ts);
    if (xs.length === 0) continue;
    const span = hours ? hours(ticker) : (xs.at(-1)!.ts - xs[0]!.ts) / 3_600_000;
    if (span > 0) s.perHour.push(xs.length / span);
    const won = result(ticker);
    let j = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      s.sizes.push(x.count);
      s.prices.push(x.price);
      if (won !== undefined) {
        const b = Math.min(9, Math.floor(x.price / 10));
        const c = s.cal.get(b) ?? [0, 0];
        c[0] += x.count;
        c[1] += won ? x.count : 0;
        s.cal.set(b, c);
      }
      if (j <= i) j = i + 1;
      while (j < xs.length && xs[j]!.ts < x.ts + 60_000) j++;
      if (j < xs.length && xs[j]!.ts < x.ts + 600_000) s.markTape.push((xs[j]!.price - x.price) * (x.buy ? 1 : -1));
    }
  }
}

/** Count the set legs of one event's tape (`strikes` markets): how an arbitrage desk's sweep prints. */
function countSetLegs(s: Stats, byTicker: Map<string, T[]>, strikes: number): void {
  if (strikes < 3) return;
  const groups = new Map<string, { tickers: Set<string>; trades: number }>();
  for (const [ticker, xs] of byTicker)
    for (const x of xs) {
      const k = `${Math.floor(x.ts / 1000)}:${x.buy}:${x.count}`;
      const g = groups.get(k) ?? { tickers: new Set<string>(), trades: 0 };
      g.tickers.add(ticker);
      g.trades++;
      groups.set(k, g);
    }
  for (const g of groups.values()) if (g.tickers.size >= strikes - 1) s.setLegs += g.trades;
}

function realStats(): Stats {
  const s = empty();
  const dir = join(DATA, "kxhighny");
  for (const f of readdirSync(join(dir, "trades")).sort()) {
    const trades = JSON.parse(gunzipSync(readFileSync(join(dir, "trades", f))).toString()) as Record<
      string,
      Array<{ count: number; created_time: string; yes_price: number; taker_side: string }>
    >;
    const ev = JSON.parse(gunzipSync(readFileSync(join(dir, "events", f))).toString()) as {
      markets: Array<{ ticker: string; result: string }>;
    };
    const res = new Map(ev.markets.map((m) => [m.ticker, m.result === "yes"]));
    const by = new Map<string, T[]>();
    for (const [ticker, xs] of Object.entries(trades))
      by.set(
        ticker,
        xs.map((x) => ({ ts: Date.parse(x.created_time), ticker, price: x.yes_price, count: x.count, buy: x.taker_side === "yes" })),
      );
    tapeStats(s, by, (t) => res.get(t));
    countSetLegs(s, by, ev.markets.length);
  }
  // Top of book of the 15-minute crypto markets, about once a second.
  const snaps = gunzipSync(readFileSync(join(DATA, "crypto15m/data/KXXRP15M/raw_snapshots.jsonl.gz")))
    .toString()
    .trim()
    .split("\n");
  for (const l of snaps) {
    const x = JSON.parse(l) as { yb: number | null; ya: number | null; yes_depth: number | null };
    if (x.yb && x.ya) s.spreads.push(Math.round((x.ya - x.yb) * 100));
    if (x.yes_depth) s.depth.push(x.yes_depth);
  }
  return s;
}

async function simStats(s: Stats, seed: number): Promise<void> {
  const clock = new ManualClock(START);
  const sim = await startSimServer({ port: 0, seed, clock, quiet: true });
  const ex = sim.exchange;
  const by = new Map<string, T[]>();
  const takers = new Map<string, string>();
  const mids = new Map<string, Map<number, number>>();
  const pending: Array<{ ticker: string; at: number; price: number; buy: boolean; who: string }> = [];
  const off = ex.on((e) => {
    if (e.type === "fill" && e.fill.isTaker) takers.set(e.fill.tradeId, e.fill.userId);
    if (e.type === "trade") {
      const t = e.trade;
      const a = by.get(t.ticker) ?? [];
      a.push({ ts: t.tsMs, ticker: t.ticker, price: t.price / 100, count: t.count / 100, buy: t.takerSide === "bid", id: t.tradeId });
      by.set(t.ticker, a);
    }
  });
  // The taker fill arrives after the trade event: pair them after each step.
  const fills: Fill[] = [];
  const off2 = ex.on((e) => {
    if (e.type === "fill" && e.fill.isTaker) fills.push(e.fill);
  });
  for (let t = START + 1_000; t <= START + HOURS * 3_600_000; t += 1_000) {
    clock.set(t);
    sim.tick();
    for (const f of fills.splice(0))
      pending.push({ ticker: f.ticker, at: f.tsMs, price: f.price, buy: f.side === "bid", who: f.userId.replace("sim-", "") });
    for (const m of ex.markets.values()) {
      if (m.status !== "active") continue;
      const top = ex.top(m.ticker);
      if (top.bidSize === 0 || top.askSize === 0) continue;
      const mm = mids.get(m.ticker) ?? new Map<number, number>();
      mm.set(t, (top.bid + top.ask) / 2);
      mids.set(m.ticker, mm);
      if (t % 10_000 === 0) {
        s.spreads.push(Math.round((top.ask - top.bid) / 100));
        let d = 0;
        for (const l of ex.book(m.ticker).side("bid").levels.values()) d += l.total;
        s.depth.push(d / 100);
      }
    }
  }
  off();
  off2();
  for (const p of pending) {
    const later = mids.get(p.ticker)?.get(Math.ceil((p.at + 60_000) / 1000) * 1000);
    if (later === undefined) continue;
    const a = s.markMid.get(p.who) ?? [];
    a.push(((later - p.price) * (p.buy ? 1 : -1)) / 100);
    s.markMid.set(p.who, a);
  }
  const end = START + HOURS * 3_600_000;
  for (const ev of ex.events.values())
    countSetLegs(s, new Map(ev.marketTickers.flatMap((t) => (by.has(t) ? [[t, by.get(t)!] as const] : []))), ev.marketTickers.length);
  tapeStats(
    s,
    by,
    (t) => {
      const m = ex.markets.get(t);
      return m?.result ? m.result === "yes" : undefined;
    },
    // The sim knows each market's open hours inside the run (a short run cuts the tape's span short).
    (t) => {
      const m = ex.markets.get(t)!;
      return (Math.min(m.closeMs, end) - Math.max(m.openMs, START)) / 3_600_000;
    },
  );
  await sim.stop();
  for (const xs of by.values())
    for (const x of xs) {
      const who = (takers.get(x.id ?? "") ?? "?").replace("sim-", "");
      const a = s.sizeBy.get(who) ?? [];
      a.push(x.count);
      s.sizeBy.set(who, a);
    }
}

const q = (xs: number[], p: number) => {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.floor(p * (a.length - 1))] ?? NaN;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const share = (xs: number[], f: (x: number) => boolean) => `${((100 * xs.filter(f).length) / Math.max(1, xs.length)).toFixed(0)}%`;
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");

const real = realStats();
const sim = empty();
for (const seed of SEEDS) await simStats(sim, seed);
const rows: Array<[string, string, string]> = [
  ["trades", String(real.sizes.length), String(sim.sizes.length)],
  [
    "trade size, contracts: median / mean / p90 / p99",
    `${q(real.sizes, 0.5)} / ${f1(mean(real.sizes))} / ${q(real.sizes, 0.9)} / ${q(real.sizes, 0.99)}`,
    `${q(sim.sizes, 0.5)} / ${f1(mean(sim.sizes))} / ${q(sim.sizes, 0.9)} / ${q(sim.sizes, 0.99)}`,
  ],
  [
    "trades per market-hour: median / mean",
    `${f1(q(real.perHour, 0.5))} / ${f1(mean(real.perHour))}`,
    `${f1(q(sim.perHour, 0.5))} / ${f1(mean(sim.perHour))}`,
  ],
  [
    "YES price of trades: ≤10¢ / 11–30 / 31–69 / 70–89 / ≥90",
    [
      share(real.prices, (p) => p <= 10),
      share(real.prices, (p) => p > 10 && p <= 30),
      share(real.prices, (p) => p > 30 && p < 70),
      share(real.prices, (p) => p >= 70 && p < 90),
      share(real.prices, (p) => p >= 90),
    ].join(" / "),
    [
      share(sim.prices, (p) => p <= 10),
      share(sim.prices, (p) => p > 10 && p <= 30),
      share(sim.prices, (p) => p > 30 && p < 70),
      share(sim.prices, (p) => p >= 70 && p < 90),
      share(sim.prices, (p) => p >= 90),
    ].join(" / "),
  ],
  [
    "taker 60 s markout, trade to trade, ¢ (mean; share > 0 / < 0)",
    `${mean(real.markTape).toFixed(2)} (${share(real.markTape, (x) => x > 0)} / ${share(real.markTape, (x) => x < 0)})`,
    `${mean(sim.markTape).toFixed(2)} (${share(sim.markTape, (x) => x > 0)} / ${share(sim.markTape, (x) => x < 0)})`,
  ],
  [
    "share of trades that are legs of a set (same second, side and count on all or all but one strikes)",
    `${((100 * real.setLegs) / real.sizes.length).toFixed(1)}%`,
    `${((100 * sim.setLegs) / Math.max(1, sim.sizes.length)).toFixed(1)}%`,
  ],
  [
    "spread ¢: median / p90 (real: KXXRP15M top of book)",
    `${q(real.spreads, 0.5)} / ${q(real.spreads, 0.9)}`,
    `${q(sim.spreads, 0.5)} / ${q(sim.spreads, 0.9)}`,
  ],
  ["YES-bid depth, whole book, contracts: median (real: KXXRP15M)", f1(q(real.depth, 0.5)), f1(q(sim.depth, 0.5))],
];
for (let b = 0; b < 10; b++) {
  const r = real.cal.get(b);
  const s2 = sim.cal.get(b);
  const wr = (c?: [number, number]) => (c && c[0] > 0 ? (c[1] / c[0]).toFixed(2) : "-");
  if (b === 0 || b === 1 || b === 4 || b === 5 || b === 8 || b === 9)
    rows.push([`win rate of contracts traded at ${b * 10}–${b * 10 + 9}¢`, wr(r), wr(s2)]);
}
console.log(
  `real: KXHIGHNY tape (120 events) and KXXRP15M top of book; sim: default scenario, seeds ${SEEDS.join(",")}, ${HOURS} h each, no bot\n`,
);
console.log("| figure | real | sim |\n|---|---|---|");
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
console.log("\nsim taker markout, mid 60 s after the fill, ¢ per contract-trade (mean over trades):");
for (const [who, xs] of sim.markMid) console.log(`  ${who}: ${mean(xs).toFixed(2)} over ${xs.length} taker fills`);
console.log("\nsim trade size by taker, contracts: trades, median / mean / p90 / p99:");
for (const [who, xs] of sim.sizeBy) console.log(`  ${who}: ${xs.length}, ${q(xs, 0.5)} / ${f1(mean(xs))} / ${q(xs, 0.9)} / ${q(xs, 0.99)}`);
