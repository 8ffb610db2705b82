// Turns a scenario (file or built-in) into series, events, markets, starting books and
// participants inside an Exchange, and re-opens repeating events as they close.
import { multiplierE4, parseCount, parsePrice, PRICE_ONE } from "../kalshi/money.ts";
import type { Exchange } from "./exchange.ts";
import { Participants } from "./participants.ts";
import type { FlowMode } from "./participant-flow.ts";
import { rangesForStructure } from "../kalshi/price-grid.ts";
import { makeProcess } from "./process.ts";
import { Rng } from "./rng.ts";
import { dayStamp, minuteStamp } from "./scenario-default.ts";
import type { EventSpec, Liquidity, Scenario } from "./scenario-schema.ts";
import type { Market, Series } from "./types.ts";
import { SimError } from "./errors.ts";

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const STAMP_RE = /(\d{2})([A-Z]{3})(\d{2})(\d{4})?/;
const START_BOOK_USER = "sim-maker";

export function loadScenario(ex: Exchange, sc: Scenario, seed: number | string, flow?: FlowMode): Participants {
  const p = sc.participants;
  const parts = new Participants(ex, seed, {
    makers: p.makers,
    noiseTakers: p.noise_takers,
    informedTakers: p.informed_takers,
    arbitrageurs: p.arbitrageurs,
    mispricingEveryS: p.mispricing_every_s,
    activity: p.activity,
    ...(flow ? { flow } : {}),
  });
  for (const s of sc.series) {
    const series: Series = {
      ticker: s.ticker,
      title: s.title,
      category: s.category,
      frequency: s.frequency,
      tags: s.tags,
      feeType: s.fee_type,
      feeMultE4: multiplierE4(s.fee_multiplier),
      exchangeIndex: s.exchange_index,
      contractUrl: `https://kalshi.com/markets/${s.ticker.toLowerCase()}`,
      settlementSources: [{ name: "Simulated", url: "http://127.0.0.1/" }],
    };
    ex.addSeries(series);
  }
  const start = ex.now();
  for (const e of sc.events)
    openEvent(ex, parts, e, e.event_ticker, start + e.open_in_s * 1000, start + e.close_in_s * 1000, `${seed}:${e.event_ticker}`, 0);
  return parts;
}

function openEvent(
  ex: Exchange,
  parts: Participants,
  spec: EventSpec,
  eventTicker: string,
  openMs: number,
  closeMs: number,
  seed: string,
  generation: number,
): void {
  const now = ex.now();
  if (ex.events.has(eventTicker)) eventTicker = `${eventTicker}R${generation}`;
  ex.addEvent({
    eventTicker,
    seriesTicker: spec.series_ticker,
    title: spec.title,
    subTitle: spec.sub_title,
    mutuallyExclusive: spec.mutually_exclusive,
    strikeDateMs: closeMs,
    marketTickers: [],
    updatedMs: now,
    feeTypeOverride: spec.fee_type_override ?? null,
    feeMultE4Override: spec.fee_multiplier_override !== undefined ? multiplierE4(spec.fee_multiplier_override) : null,
  });
  const rng = new Rng(seed);
  const markets = new Map<string, Market>();
  const fairs = new Map<string, number>();
  const liquidity = new Map<string, Liquidity>();
  for (const ms of spec.markets) {
    const ticker =
      ms.suffix !== undefined && (generation > 0 || !ms.ticker)
        ? `${eventTicker}-${ms.suffix}`
        : (ms.ticker ?? `${eventTicker}-${ms.suffix}`);
    const structure = ms.price_level_structure ?? spec.price_level_structure;
    const m: Market = {
      ticker,
      marketId: ex.uuid(),
      eventTicker,
      seriesTicker: spec.series_ticker,
      title: ms.title ?? spec.title,
      yesSubTitle: ms.yes_sub_title,
      noSubTitle: ms.no_sub_title ?? ms.yes_sub_title,
      rulesPrimary: `If the outcome is ${ms.yes_sub_title} for ${spec.title}, then the market resolves to Yes.`,
      rulesSecondary: "Simulated market on the kalshi-bot local exchange; no real money changes hands.",
      createdMs: Math.min(openMs, now),
      openMs,
      closeMs,
      expectedExpirationMs: closeMs + 60_000,
      latestExpirationMs: closeMs + 7 * 86_400_000,
      settlementTimerSeconds: spec.settlement_timer_s,
      status: openMs <= now ? "active" : "initialized",
      result: "",
      determinedMs: null,
      settledMs: null,
      forcedResult: ms.result ?? "",
      strikeType: ms.strike_type ?? null,
      floorStrike: ms.floor_strike ?? null,
      capStrike: ms.cap_strike ?? null,
      priceLevelStructure: structure,
      feeWaiverUntilMs: ms.fee_waiver_s === undefined ? null : openMs + ms.fee_waiver_s * 1000,
      exchangeIndex: ex.series.get(spec.series_ticker)?.exchangeIndex ?? 0,
      priceRanges: rangesForStructure(structure),
      canCloseEarly: true,
      lastPrice: 0,
      previousPrice: 0,
      previousYesBid: 0,
      previousYesAsk: 0,
      volume: 0,
      volume24h: 0,
      openInterest: 0,
      updatedMs: now,
    };
    markets.set(ticker, m);
    fairs.set(ticker, ms.fair ?? 1 / spec.markets.length);
    liquidity.set(ticker, ms.liquidity ?? spec.liquidity);
  }
  // The path starts when the event enters the sim (an event already open starts from its scenario fair values).
  const proc = makeProcess(spec.process, markets, fairs, rng.fork("process"), Math.max(openMs, now), closeMs);
  for (const m of markets.values()) ex.addMarket(m);
  ex.resolvers.set(eventTicker, (m) => proc.outcome(m.ticker, ex.now()));
  // Starting books from the file rest as the house maker's orders.
  for (const [i, ms] of spec.markets.entries()) {
    const m = [...markets.values()][i]!;
    if (!ms.book || m.status !== "active") continue;
    for (const [price, count] of ms.book.yes) placeStart(ex, m.ticker, "bid", parsePrice(price), parseCount(count));
    for (const [price, count] of ms.book.no) placeStart(ex, m.ticker, "ask", PRICE_ONE - parsePrice(price), parseCount(count));
  }
  parts.addEvent(eventTicker, proc, [...markets.values()], liquidity, spec.mutually_exclusive, seed);
  // Scheduled stale quotes happen once, on the event's first opening, not on every repeat.
  for (const mp of generation === 0 ? spec.mispricings : []) {
    ex.at(Math.max(openMs, now) + mp.at_s * 1000, () => {
      if ([...markets.values()].every((m) => m.status === "active")) parts.startEpisode(eventTicker, mp.duration_s * 1000, mp.edge);
    });
  }
  if (spec.repeat_every_s) {
    const every = spec.repeat_every_s * 1000;
    ex.at(closeMs, (at) => {
      const next = nextTicker(eventTicker, spec.stamp, at + every, generation + 1);
      openEvent(ex, parts, spec, next, at, at + every, `${seed}:${generation + 1}`, generation + 1);
    });
  }
}

function placeStart(ex: Exchange, ticker: string, side: "bid" | "ask", price: number, count: number): void {
  try {
    ex.placeOrder(START_BOOK_USER, { ticker, side, price, count, tif: "good_till_canceled", stp: "taker_at_cross" });
  } catch (e) {
    if (!(e instanceof SimError)) throw e;
    throw new Error(`starting book of ${ticker}: ${e.message}`);
  }
}

/** The next event's ticker: one compressed day later, or stamped with its close minute. */
function nextTicker(prev: string, style: "day" | "minute", closeMs: number, generation: number): string {
  const m = STAMP_RE.exec(prev);
  if (!m) return `${prev}R${generation}`;
  let stamp: string;
  if (style === "minute") stamp = minuteStamp(closeMs);
  else {
    const base = Date.UTC(2000 + Number(m[1]), Math.max(0, MONTHS.indexOf(m[2]!)), Number(m[3]));
    stamp = dayStamp(base + 86_400_000);
  }
  return prev.replace(STAMP_RE, stamp);
}
