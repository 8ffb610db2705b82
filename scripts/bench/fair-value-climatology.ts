// fair_value on the real-data replay, with an honest probability source built from the tape itself:
// a climatology of New York's daily high made from the RESULTS of earlier events only.
//
//   node_modules/.bin/bun scripts/bench/fair-value-climatology.ts [--data DIR] [--out DIR]
//                          [--window 30] [--min-days 10] [--save-svg FILE] [--bin dist/kalshi-bot]
// --out (default: a fresh temporary folder) receives probabilities.json, fits.txt (each day's fitted
// normal and the results it used), the advanced_config.json of the run and the backtest's output.
//
// DIR defaults to ../shared/data/kxhighny (120 NYC high-temperature events, MIT licence, see
// kxhighny/LICENSE). Each event is a day; its six markets are integer brackets of the day's high
// (strike_type / floor_strike / cap_strike, or the subtitle "41° to 42°" where the strike fields are
// missing), exactly one wins. The winning bracket of a day says where that day's high was: in
// [f, c], or only below / above a tail's bound.
//
// The forecast for a day D, made once before its event opens (the file is static: one probability
// per ticker for the market's whole life, a once-a-day forecast published before the open):
//   - known results: the events that CLOSED before D's event opened (in this set that is D − 2 and
//     earlier: D − 1 is still trading when D opens; the NWS report of D − 2 is out overnight, and its
//     market's expected_expiration_time is at or before D's open on every day of the set), the latest
//     `window` of them;
//   - fewer than `min-days` known results: no probability for D's markets (they are not traded);
//   - the distribution: a normal fitted by maximum likelihood to those results, each one
//     interval-censored (a bracket [f, c] is the high in [f − 0.5, c + 0.5), a tail half-open),
//     which smooths the few days into a distribution over every bracket;
//   - each market's probability: the normal's mass over its bracket, 4 decimals.
// Never the same or a later day's result: only events closed before the open are ever selected.
// Nothing is tuned on the outcome: the window and the minimum are round numbers fixed beforehand.
//
// Then the compiled binary backtests the tape with the repository's advanced_config.json where ONLY
// fair_value is enabled (its shipped parameters, `source` = that file; the backtest treats the file
// as never stale) and this prints the backtest's figures, and the forecast's Brier score beside a
// uniform one (1/6 a bracket) as a yardstick measured on the same days.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { coveredRange } from "../../src/engine/event-coverage.ts";

const ROOT = resolve(import.meta.dir, "../..");
const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const DATA = resolve(arg("data", join(ROOT, "..", "shared", "data", "kxhighny")));
const OUT = resolve(arg("out", "") || mkdtempSync(join(tmpdir(), "kbot-fv-climatology-")));
const WINDOW = Number(arg("window", "30"));
const MIN_DAYS = Number(arg("min-days", "10"));
const SAVE_SVG = arg("save-svg", "");
const BIN = resolve(arg("bin", join(ROOT, "dist", "kalshi-bot")));

if (!existsSync(join(DATA, "events"))) {
  console.error(`${DATA}: no events/ folder; pass --data DIR (a kxhighny-format folder)`);
  process.exit(2);
}
if (!existsSync(BIN)) {
  console.error(`${BIN} not found; build it first: node_modules/.bin/bun scripts/build.ts`);
  process.exit(2);
}

interface RawMarket {
  ticker: string;
  result?: string;
  open_time: string;
  close_time: string;
  strike_type?: string;
  floor_strike?: number | null;
  cap_strike?: number | null;
  subtitle?: string;
  yes_sub_title?: string;
}
interface Market {
  ticker: string;
  /** Integer range of the day's high the market covers (±Infinity for a tail). */
  lo: number;
  hi: number;
  won: boolean;
}
interface Day {
  date: string;
  openMs: number;
  closeMs: number;
  markets: Market[];
  /** The winning bracket: where the day's high was. */
  result: [number, number];
}

/** The bracket from the subtitle: "40° or below", "41° to 42°", "49° or above". */
function fromSubtitle(m: RawMarket): [number, number] | null {
  const s = m.yes_sub_title || m.subtitle || "";
  let r = /^(\d+)° or below$/.exec(s);
  if (r) return [-Infinity, Number(r[1])];
  r = /^(\d+)° or above$/.exec(s);
  if (r) return [Number(r[1]), Infinity];
  r = /^(\d+)° to (\d+)°$/.exec(s);
  if (r) return [Number(r[1]), Number(r[2])];
  return null;
}

function loadDays(): Day[] {
  const days: Day[] = [];
  for (const f of readdirSync(join(DATA, "events")).sort()) {
    if (!f.endsWith(".json.gz")) continue;
    const doc = JSON.parse(gunzipSync(readFileSync(join(DATA, "events", f))).toString("utf8")) as { markets: RawMarket[] };
    const markets: Market[] = [];
    for (const m of doc.markets) {
      // The bracket as the arbitrage's exhaustiveness proof reads it (Kalshi's inclusive integer convention).
      const a = coveredRange(m);
      const b = fromSubtitle(m);
      if (a && b && (a[0] !== b[0] || a[1] !== b[1])) throw new Error(`${m.ticker}: strike fields and subtitle disagree`);
      const range = a ?? b;
      if (!range) throw new Error(`${m.ticker}: no bracket in its strike fields or subtitle`);
      markets.push({ ticker: m.ticker, lo: range[0], hi: range[1], won: m.result === "yes" });
    }
    const winners = markets.filter((m) => m.won);
    if (winners.length !== 1) throw new Error(`${f}: ${winners.length} winning markets, expected 1`);
    days.push({
      date: f.slice(0, 10),
      openMs: Math.min(...doc.markets.map((m) => Date.parse(m.open_time))),
      closeMs: Math.max(...doc.markets.map((m) => Date.parse(m.close_time))),
      markets,
      result: [winners[0]!.lo, winners[0]!.hi],
    });
  }
  return days;
}

// ---- the censored normal --------------------------------------------------------------------------

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, |error| < 1.5e-7). */
function phi(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Mass of N(mu, sd) over the integer bracket [lo, hi] (a whole degree each side: ±0.5). */
function mass(lo: number, hi: number, mu: number, sd: number): number {
  return phi((hi + 0.5 - mu) / sd) - phi((lo - 0.5 - mu) / sd);
}

function logLik(obs: ReadonlyArray<[number, number]>, mu: number, sd: number): number {
  let s = 0;
  for (const [lo, hi] of obs) s += Math.log(Math.max(1e-300, mass(lo, hi, mu, sd)));
  return s;
}

/** Maximum-likelihood (mu, sd) of interval-censored observations: a coarse grid, then finer ones around the best. */
function fitNormal(obs: ReadonlyArray<[number, number]>): { mu: number; sd: number } {
  const finite = obs.flatMap(([lo, hi]) => [lo, hi].filter(Number.isFinite));
  let lo = Math.min(...finite) - 10;
  let hi = Math.max(...finite) + 10;
  let sdLo = 1.5;
  let sdHi = 30;
  let best = { mu: (lo + hi) / 2, sd: 8, ll: -Infinity };
  for (const steps of [40, 20, 20, 20]) {
    const dm = (hi - lo) / steps;
    const ds = (sdHi - sdLo) / steps;
    for (let i = 0; i <= steps; i++)
      for (let j = 0; j <= steps; j++) {
        const mu = lo + i * dm;
        const sd = sdLo + j * ds;
        const ll = logLik(obs, mu, sd);
        if (ll > best.ll) best = { mu, sd, ll };
      }
    lo = best.mu - 2 * dm;
    hi = best.mu + 2 * dm;
    sdLo = Math.max(1.5, best.sd - 2 * ds);
    sdHi = best.sd + 2 * ds;
  }
  return { mu: best.mu, sd: best.sd };
}

// ---- the forecast ------------------------------------------------------------------------------------

const days = loadDays();
const probabilities: Record<string, number> = {};
let forecastDays = 0;
let skipped = 0;
let brier = 0;
let brierUniform = 0;
let logScore = 0;
let markets = 0;
const fits: string[] = [];
for (const d of days) {
  // Only what was known when D's event opened: events that had closed by then (no lookahead).
  const known = days.filter((e) => e.date < d.date && e.closeMs < d.openMs).slice(-WINDOW);
  if (known.length < MIN_DAYS) {
    skipped++;
    continue;
  }
  const { mu, sd } = fitNormal(known.map((e) => e.result));
  forecastDays++;
  fits.push(`${d.date} known ${known[0]!.date}..${known.at(-1)!.date} (${known.length}) mu ${mu.toFixed(1)} sd ${sd.toFixed(1)}`);
  for (const m of d.markets) {
    const p = Math.round(mass(m.lo, m.hi, mu, sd) * 10_000) / 10_000;
    probabilities[m.ticker] = p;
    const y = m.won ? 1 : 0;
    brier += (p - y) ** 2;
    brierUniform += (1 / d.markets.length - y) ** 2;
    if (m.won) logScore += Math.log(Math.max(p, 1e-4));
    markets++;
  }
}

// Yardstick 2: what the market itself said over the same first hours, the volume-weighted YES price
// of each market's trades in the first MARKET_HOURS after its event opened (days where every market
// traded then). Its Brier score beside the climatology's, on those days only.
const MARKET_HOURS = 12;
let brierMarket = 0;
let brierClimate = 0;
let marketDays = 0;
let marketMarkets = 0;
for (const d of days) {
  if (!d.markets.every((m) => probabilities[m.ticker] !== undefined)) continue;
  const f = join(DATA, "trades", `${d.date}.json.gz`);
  if (!existsSync(f)) continue;
  const tape = JSON.parse(gunzipSync(readFileSync(f)).toString("utf8")) as Record<
    string,
    Array<{ yes_price: number; count: number; created_time: string }>
  >;
  const end = d.openMs + MARKET_HOURS * 3_600_000;
  const vwap = d.markets.map((m) => {
    let v = 0;
    let n = 0;
    for (const t of tape[m.ticker] ?? [])
      if (Date.parse(t.created_time) < end) {
        v += t.yes_price * t.count;
        n += t.count;
      }
    return n > 0 ? v / n / 100 : null;
  });
  if (vwap.some((x) => x === null)) continue;
  marketDays++;
  marketMarkets += d.markets.length;
  d.markets.forEach((m, i) => {
    const y = m.won ? 1 : 0;
    brierMarket += (vwap[i]! - y) ** 2;
    brierClimate += (probabilities[m.ticker]! - y) ** 2;
  });
}

mkdirSync(OUT, { recursive: true });
const probFile = join(OUT, "probabilities.json");
writeFileSync(probFile, `${JSON.stringify(probabilities, null, 1)}\n`);
writeFileSync(join(OUT, "fits.txt"), `${fits.join("\n")}\n`);

// ---- the backtest: the shipped config, fair_value alone ------------------------------------------------

const cfg = JSON.parse(readFileSync(join(ROOT, "advanced_config.json"), "utf8")) as {
  trading: { strategies: Record<string, Record<string, unknown>> };
};
for (const [name, s] of Object.entries(cfg.trading.strategies)) s.enabled = name === "fair_value";
cfg.trading.strategies.fair_value = { ...cfg.trading.strategies.fair_value, enabled: true, source: "probabilities.json" };
writeFileSync(join(OUT, "advanced_config.json"), `${JSON.stringify(cfg, null, 2)}\n`);

const bt = join(OUT, "backtest");
const p = Bun.spawnSync([BIN, "backtest", "--data", DATA, "--out", bt, "--config", join(OUT, "advanced_config.json")], {
  cwd: OUT,
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", NO_COLOR: "1", TZ: "UTC" },
  stdout: "pipe",
  stderr: "pipe",
});
if (p.exitCode !== 0) {
  console.error(`backtest exited ${p.exitCode}: ${p.stderr.toString()}${p.stdout.toString()}`);
  process.exit(1);
}
if (SAVE_SVG) copyFileSync(join(bt, "equity.svg"), resolve(SAVE_SVG));

console.log(`fair_value on ${DATA} with a climatology from earlier results (window ${WINDOW}, at least ${MIN_DAYS} known days)`);
console.log(
  `forecast: ${forecastDays} of ${days.length} events (${skipped} skipped: fewer than ${MIN_DAYS} results known at their open), ${markets} markets -> ${probFile}`,
);
console.log(
  `  Brier per market ${(brier / markets).toFixed(4)} (uniform 1/6: ${(brierUniform / markets).toFixed(4)}), ` +
    `log score of the winner per day ${(logScore / forecastDays).toFixed(3)} (uniform: ${Math.log(1 / 6).toFixed(3)})`,
);
console.log(
  `  on the ${marketDays} days every market traded in its first ${MARKET_HOURS} h: Brier per market, climatology ` +
    `${(brierClimate / marketMarkets).toFixed(4)}, the market's own VWAP then ${(brierMarket / marketMarkets).toFixed(4)}`,
);
console.log("");
process.stdout.write(p.stdout.toString());

// When the fills happened, against the day whose high decides them: a file made before the open
// still trades in the evening, when the day's high is mostly known to the market.
const dayEnd = new Map<string, number>(); // event ticker → end of its day (the close, 11:59 PM ET, + 1 min)
for (const d of days) dayEnd.set(d.markets[0]!.ticker.split("-").slice(0, 2).join("-"), d.closeMs + 60_000);
const buckets = new Map<string, { fills: number; before: number; after: number }>();
const [head, ...lines] = readFileSync(join(bt, "fills.csv"), "utf8").trim().split(/\r?\n/);
const col = (name: string) => head!.split(",").indexOf(name);
const [cTime, cEvent, cBefore, cAfter] = [col("time"), col("event"), col("pnl_before_fees"), col("pnl_after_fees")];
for (const line of lines) {
  const f = line.split(",");
  const end = dayEnd.get(f[cEvent]!);
  if (end === undefined) continue;
  const t = Date.parse(f[cTime]!);
  const label = t < end - 24 * 3_600_000 ? "before the day (ET)" : t < end - 6 * 3_600_000 ? "the day until 18:00 ET" : "after 18:00 ET";
  const b = buckets.get(label) ?? { fills: 0, before: 0, after: 0 };
  b.fills++;
  b.before += Number(f[cBefore]);
  b.after += Number(f[cAfter]);
  buckets.set(label, b);
}
console.log("By the time of the fill:");
for (const [label, b] of buckets)
  console.log(
    `  ${label.padEnd(24)} ${String(b.fills).padStart(5)} fills, P&L ${b.before.toFixed(2)} before fees, ${b.after.toFixed(2)} after`,
  );
if (SAVE_SVG) console.log(`equity picture copied to ${resolve(SAVE_SVG)}`);
