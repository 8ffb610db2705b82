// The built-in scenario: Kalshi-like series and events, deterministic for a seed. About 40 markets
// by default (--markets N scales it from a handful to 10,000): daily-high temperature brackets
// (7 mutually exclusive strikes), an hourly BTC ladder on a tapered deci-cent grid, a Fed decision
// on deci-cents, an NBA game, a rain binary on a maker-fee series. Short events repeat, so markets
// keep opening, closing and settling while it runs.
import { Rng } from "./rng.ts";
import type { ScenarioInput } from "./scenario-schema.ts";

type EventIn = ScenarioInput["events"][number];
type MarketIn = EventIn["markets"][number];

const CITIES: [code: string, name: string, mean: number][] = [
  ["NY", "New York City", 46],
  ["CHI", "Chicago", 38],
  ["MIA", "Miami", 79],
  ["AUS", "Austin", 66],
  ["LAX", "Los Angeles", 68],
  ["DEN", "Denver", 44],
  ["PHIL", "Philadelphia", 48],
  ["SEA", "Seattle", 49],
  ["ATL", "Atlanta", 59],
  ["BOS", "Boston", 43],
  ["DAL", "Dallas", 62],
  ["HOU", "Houston", 68],
  ["PHX", "Phoenix", 70],
  ["SFO", "San Francisco", 60],
  ["LV", "Las Vegas", 61],
  ["DC", "Washington DC", 51],
  ["MSP", "Minneapolis", 33],
  ["DET", "Detroit", 40],
  ["NOLA", "New Orleans", 67],
  ["OKC", "Oklahoma City", 55],
];
const TEAMS = ["LAL", "BOS", "NYK", "GSW", "MIA", "DEN", "PHX", "MIL", "DAL", "CHI", "SAS", "OKC", "ATL", "CLE"];
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** Kalshi's date stamp: 26NOV24. */
export function dayStamp(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear() % 100).padStart(2, "0")}${MONTHS[d.getUTCMonth()]}${String(d.getUTCDate()).padStart(2, "0")}`;
}

/** Kalshi's intraday stamp: 26NOV241415. */
export function minuteStamp(ms: number): string {
  const d = new Date(ms);
  return `${dayStamp(ms)}${String(d.getUTCHours()).padStart(2, "0")}${String(d.getUTCMinutes()).padStart(2, "0")}`;
}

const DAY = 86_400_000;

function temperatureEvent(
  code: string,
  city: string,
  mean: number,
  dayOffset: number,
  startMs: number,
  closeInS: number,
  liquidity: EventIn["liquidity"],
  repeat: boolean,
  rng: Rng,
): EventIn {
  const stamp = dayStamp(startMs + dayOffset * DAY);
  const center = Math.round(mean + rng.normal() * 3);
  // Seven strikes: a lower tail, five 2-degree brackets, an upper tail (contiguous, so exactly one wins).
  const lo = center - 5;
  const markets: MarketIn[] = [{ suffix: `T${lo}`, yes_sub_title: `${lo - 1}° or below`, strike_type: "less", cap_strike: lo }];
  for (let i = 0; i < 5; i++) {
    const a = lo + 2 * i;
    markets.push({
      suffix: `B${a + 0.5}`,
      yes_sub_title: `${a}° to ${a + 1}°`,
      strike_type: "between",
      floor_strike: a,
      cap_strike: a + 1,
    });
  }
  const hi = lo + 9;
  markets.push({ suffix: `T${hi}`, yes_sub_title: `${hi + 1}° or above`, strike_type: "greater", floor_strike: hi });
  for (const m of markets) m.title = `Will the high temp in ${city} be ${m.yes_sub_title} on ${stamp}?`;
  return {
    event_ticker: `KXHIGH${code}-${stamp}`,
    series_ticker: `KXHIGH${code}`,
    title: `Highest temperature in ${city} on ${stamp}?`,
    sub_title: `On ${stamp}`,
    mutually_exclusive: true,
    close_in_s: closeInS,
    settlement_timer_s: 60,
    liquidity,
    process: { kind: "normal", mean: center + rng.normal(), sd: 2.2, vol_per_min: 0.25 },
    repeat_every_s: repeat ? closeInS + 600 : undefined,
    stamp: "day",
    markets,
  };
}

function btcLadder(startMs: number, closeInS: number, repeat: boolean, rng: Rng): EventIn {
  const level = 96_000 + Math.round(rng.normal() * 1500);
  const base = Math.round(level / 500) * 500;
  const stamp = minuteStamp(startMs + closeInS * 1000);
  const markets: MarketIn[] = [];
  for (let i = -2; i <= 2; i++) {
    const k = base + i * 500;
    markets.push({
      suffix: `T${k - 0.01}`,
      yes_sub_title: `$${k.toLocaleString("en-US")} or above`,
      strike_type: "greater",
      floor_strike: k - 0.01,
      title: `Bitcoin price on ${stamp}?`,
    });
  }
  return {
    event_ticker: `KXBTCD-${stamp}`,
    series_ticker: "KXBTCD",
    title: `Bitcoin price at ${stamp.slice(-4, -2)}:${stamp.slice(-2)} UTC?`,
    mutually_exclusive: false,
    close_in_s: closeInS,
    settlement_timer_s: 30,
    price_level_structure: "tapered_deci_cent",
    liquidity: "deep",
    process: { kind: "normal", mean: level, sd: 600, vol_per_min: 60 },
    repeat_every_s: repeat ? closeInS : undefined,
    stamp: "minute",
    markets,
  };
}

function nbaGame(a: string, b: string, startMs: number, dayOffset: number, closeInS: number, repeat: boolean, rng: Rng): EventIn {
  const stamp = dayStamp(startMs + dayOffset * DAY);
  const pa = 0.3 + rng.next() * 0.4;
  return {
    event_ticker: `KXNBAGAME-${stamp}${a}${b}`,
    series_ticker: "KXNBAGAME",
    title: `${a} at ${b} Winner?`,
    mutually_exclusive: true,
    close_in_s: closeInS,
    settlement_timer_s: 300,
    liquidity: "normal",
    process: { kind: "categorical", vol_per_min: 0.08 },
    repeat_every_s: repeat ? closeInS : undefined,
    stamp: "day",
    markets: [
      { suffix: a, yes_sub_title: a, title: `Will ${a} win ${a} at ${b}?`, fair: pa, strike_type: "structured" },
      { suffix: b, yes_sub_title: b, title: `Will ${b} win ${a} at ${b}?`, fair: 1 - pa, strike_type: "structured" },
    ],
  };
}

function fedDecision(startMs: number, closeInS: number): EventIn {
  const d = new Date(startMs + 20 * DAY);
  const stamp = `${String(d.getUTCFullYear() % 100).padStart(2, "0")}${MONTHS[d.getUTCMonth()]}`;
  return {
    event_ticker: `KXFEDDECISION-${stamp}`,
    series_ticker: "KXFEDDECISION",
    title: `Fed decision in ${stamp}?`,
    mutually_exclusive: true,
    close_in_s: closeInS,
    settlement_timer_s: 600,
    price_level_structure: "deci_cent",
    liquidity: "normal",
    process: { kind: "categorical", vol_per_min: 0.02 },
    markets: [
      { suffix: "C25", yes_sub_title: "Cut 25bps", fair: 0.62 },
      { suffix: "H0", yes_sub_title: "Hold", fair: 0.34 },
      { suffix: "H25", yes_sub_title: "Hike 25bps", fair: 0.04 },
    ],
  };
}

function rainBinary(code: string, city: string, startMs: number, dayOffset: number, closeInS: number, repeat: boolean, rng: Rng): EventIn {
  const stamp = dayStamp(startMs + dayOffset * DAY);
  return {
    event_ticker: `KXRAIN${code}-${stamp}`,
    series_ticker: `KXRAIN${code}`,
    title: `Rain in ${city} on ${stamp}?`,
    close_in_s: closeInS,
    settlement_timer_s: 60,
    liquidity: "thin",
    process: { kind: "independent", vol_per_min: 0.1 },
    repeat_every_s: repeat ? closeInS : undefined,
    stamp: "day",
    markets: [{ suffix: "T0", yes_sub_title: "Rain", title: `Will it rain in ${city} on ${stamp}?`, fair: 0.15 + rng.next() * 0.6 }],
  };
}

export interface DefaultScenarioOptions {
  seed: number | string;
  markets?: number;
  startMs: number;
}

export const DEFAULT_MARKETS = 39;

export function defaultScenario(opts: DefaultScenarioOptions): ScenarioInput {
  const rng = new Rng(`${opts.seed}:scenario`);
  const target = Math.max(1, Math.floor(opts.markets ?? DEFAULT_MARKETS));
  const events: EventIn[] = [];
  const series: ScenarioInput["series"] = [];
  const seriesSeen = new Set<string>();
  const addSeries = (s: ScenarioInput["series"][number]) => {
    if (!seriesSeen.has(s.ticker)) {
      seriesSeen.add(s.ticker);
      series.push(s);
    }
  };
  let count = 0;
  const push = (e: EventIn): boolean => {
    if (count >= target) return false;
    const room = target - count;
    if (e.markets.length > room) e.markets = e.markets.slice(0, room);
    events.push(e);
    count += e.markets.length;
    return count < target;
  };
  const tempSeries = (code: string, city: string) =>
    addSeries({
      ticker: `KXHIGH${code}`,
      title: `Highest temperature in ${city}`,
      category: "Climate and Weather",
      frequency: "daily",
      tags: ["Weather"],
      fee_type: "quadratic",
      fee_multiplier: 1,
    });

  // The hand-placed core (first ~39 markets): liquid brackets with a scheduled mispricing early on.
  tempSeries("NY", "New York City");
  const ny = temperatureEvent("NY", "New York City", 46, 0, opts.startMs, 900, "deep", true, rng);
  ny.mispricings = [{ at_s: 45, duration_s: 90, edge: 0.12 }];
  ny.open_in_s = -3600;
  if (push(ny)) {
    addSeries({
      ticker: "KXBTCD",
      title: "Bitcoin price (hourly)",
      category: "Crypto",
      frequency: "hourly",
      tags: ["BTC"],
      fee_type: "quadratic",
      fee_multiplier: 1,
      exchange_index: 1,
    });
    if (push(btcLadder(opts.startMs, 600, true, rng))) {
      tempSeries("CHI", "Chicago");
      const chi = temperatureEvent("CHI", "Chicago", 38, 0, opts.startMs, 1500, "normal", true, rng);
      chi.mispricings = [{ at_s: 200, duration_s: 60, edge: 0.1 }];
      if (push(chi)) {
        addSeries({
          ticker: "KXNBAGAME",
          title: "Pro basketball game winner",
          category: "Sports",
          frequency: "custom",
          tags: ["Basketball"],
          fee_type: "quadratic_with_maker_fees",
          fee_multiplier: 1,
        });
        if (push(nbaGame("LAL", "BOS", opts.startMs, 0, 1200, true, rng))) {
          addSeries({
            ticker: "KXFEDDECISION",
            title: "Fed rate decision",
            category: "Economics",
            frequency: "custom",
            tags: ["Fed"],
            fee_type: "quadratic",
            fee_multiplier: 0.5,
          });
          if (push(fedDecision(opts.startMs, 6 * 3600))) {
            tempSeries("MIA", "Miami");
            if (push(temperatureEvent("MIA", "Miami", 79, 0, opts.startMs, 2400, "normal", true, rng))) {
              addSeries({
                ticker: "KXRAINNYC",
                title: "Rain in New York City",
                category: "Climate and Weather",
                frequency: "daily",
                tags: ["Weather"],
                fee_type: "quadratic_with_maker_fees",
                fee_multiplier: 1,
              });
              if (push(rainBinary("NYC", "New York City", opts.startMs, 0, 480, true, rng))) {
                tempSeries("AUS", "Austin");
                push(temperatureEvent("AUS", "Austin", 66, 0, opts.startMs, 3600, "thin", true, rng));
              }
            }
          }
        }
      }
    }
  }
  // Bulk: more cities and days ahead, mostly thin, plus more games; scales to 10,000 markets.
  let day = 1;
  let k = 0;
  while (count < target) {
    for (const [code, city, mean] of CITIES) {
      if (count >= target) break;
      tempSeries(code, city);
      const liquidity = k % 10 === 0 ? "normal" : "thin";
      if (!push(temperatureEvent(code, city, mean, day, opts.startMs, 3600 * (6 + (k % 18)) + day * 600, liquidity, false, rng))) break;
      k++;
      if (k % 4 === 0 && count < target) {
        const a = TEAMS[k % TEAMS.length]!;
        const b = TEAMS[(k * 7 + 3) % TEAMS.length]!;
        if (a !== b) push(nbaGame(a, b, opts.startMs, day, 3600 * (3 + (k % 9)), false, rng));
      }
    }
    day++;
  }
  return {
    name: "default",
    seed: opts.seed,
    start_time: new Date(opts.startMs).toISOString(),
    series,
    events,
    // Stale quotes only where scheduled (NYC at 45 s, Chicago at 200 s, first openings): with random
    // ones every 600 s as well, two thirds of the tape were arbitrage legs; the real tape's are 1.5%.
    participants: { mispricing_every_s: 0 },
  };
}
