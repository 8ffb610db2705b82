// The scenario file: series, events, markets, starting books, price processes and settlement
// times. The built-in default scenario is generated as this same data, so a file and the default
// take one path into the exchange.
import { z } from "zod";

const dollars = z
  .union([z.string().regex(/^\d+(\.\d{1,6})?$/, 'a dollar amount such as "100" or "0.4500"'), z.number().nonnegative()])
  .transform((v) => String(v));
const probability = z.number().min(0.001, "must be above 0").max(0.999, "must be below 1");
const level = z.tuple([
  z.string().regex(/^0?\.\d{1,4}$/, 'a price such as "0.4500"'),
  z.string().regex(/^\d+(\.\d{1,2})?$/, 'a count such as "10.00"'),
]);

export const LiquiditySchema = z.enum(["none", "thin", "normal", "deep"]);
export type Liquidity = z.infer<typeof LiquiditySchema>;

export const SeriesSpecSchema = z.strictObject({
  ticker: z.string().regex(/^[A-Z0-9]+$/, "series tickers are upper-case letters and digits"),
  title: z.string(),
  category: z.string().default("Economics"),
  frequency: z.string().default("daily"),
  tags: z.array(z.string()).default([]),
  fee_type: z.enum(["quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees", "flat"]).default("quadratic"),
  fee_multiplier: z.number().min(0).max(10).default(1),
  /** Kalshi's shard of the series' markets; writes for them must name market_ticker (or this index). */
  exchange_index: z.int().min(0).max(15).default(0),
});

export const MarketSpecSchema = z.strictObject({
  /** Full ticker, or built as EVENT-suffix. */
  ticker: z.string().optional(),
  suffix: z.string().optional(),
  title: z.string().optional(),
  yes_sub_title: z.string(),
  no_sub_title: z.string().optional(),
  strike_type: z.enum(["greater", "greater_or_equal", "less", "less_or_equal", "between", "custom", "structured"]).optional(),
  floor_strike: z.number().optional(),
  cap_strike: z.number().optional(),
  /** Starting fair YES probability (categorical and independent processes). */
  fair: probability.optional(),
  /** Fixed outcome; otherwise drawn from the process at close. */
  result: z.enum(["yes", "no"]).optional(),
  liquidity: LiquiditySchema.optional(),
  /** Starting book, YES bids and NO bids as on the REST order book. */
  book: z.strictObject({ yes: z.array(level).default([]), no: z.array(level).default([]) }).optional(),
  price_level_structure: z.enum(["linear_cent", "deci_cent", "tapered_deci_cent"]).optional(),
  /** A fee waiver (GetMarkets fee_waiver_expiration_time): no fees on the market for this many seconds after it opens. */
  fee_waiver_s: z.number().positive().optional(),
});

export const ProcessSchema = z.discriminatedUnion("kind", [
  /** An underlying number (temperature, index level) drifting toward its value at close (sd: the uncertainty over the event's life; vol_per_min 0 freezes it); markets are strike ranges on it. */
  z.strictObject({ kind: z.literal("normal"), mean: z.number(), sd: z.number().positive(), vol_per_min: z.number().min(0).default(0.3) }),
  /** Mutually exclusive outcomes: the highest latent score at close wins; odds converge toward close (vol_per_min 0 freezes them). */
  z.strictObject({ kind: z.literal("categorical"), vol_per_min: z.number().min(0).default(0.05) }),
  /** Each market an independent YES whose probability converges toward close (vol_per_min 0 freezes it). */
  z.strictObject({ kind: z.literal("independent"), vol_per_min: z.number().min(0).default(0.05) }),
]);

export const MispricingSchema = z.strictObject({
  /** Seconds after the event first opens (a repeating event's later openings have none). */
  at_s: z.number().min(0),
  duration_s: z.number().positive().default(60),
  /** YES asks quoted at fair × (1 − edge). */
  edge: z.number().min(0.01).max(0.5).default(0.1),
});

export const EventSpecSchema = z.strictObject({
  event_ticker: z.string().regex(/^[A-Z0-9.-]+$/, "event tickers are upper-case letters, digits, dots and dashes"),
  series_ticker: z.string(),
  title: z.string(),
  sub_title: z.string().default(""),
  mutually_exclusive: z.boolean().default(false),
  /** Event-level fee overrides (GetEvents fee_type_override / fee_multiplier_override). */
  fee_type_override: z.enum(["quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees", "flat"]).optional(),
  fee_multiplier_override: z.number().min(0).max(10).optional(),
  /** Seconds from sim start; negative = already open. */
  open_in_s: z.number().default(-3600),
  close_in_s: z.number().positive(),
  settlement_timer_s: z.number().int().min(0).default(60),
  price_level_structure: z.enum(["linear_cent", "deci_cent", "tapered_deci_cent"]).default("linear_cent"),
  liquidity: LiquiditySchema.default("normal"),
  process: ProcessSchema.default({ kind: "independent", vol_per_min: 0.05 }),
  /** When set, a fresh copy of the event opens as this one closes, `repeat_every_s` long. */
  repeat_every_s: z.number().positive().optional(),
  /** Ticker stamp style of repeats: one compressed "day" per repeat, or the close time. */
  stamp: z.enum(["day", "minute"]).default("day"),
  mispricings: z.array(MispricingSchema).default([]),
  markets: z.array(MarketSpecSchema).min(1, "an event needs at least one market"),
});

export const AccountSpecSchema = z
  .strictObject({
    api_key_id: z.string().min(1),
    public_key_pem: z.string().optional(),
    public_key_file: z.string().optional(),
    balance_dollars: dollars.default("1000"),
  })
  .refine((a) => a.public_key_pem || a.public_key_file, "an account needs public_key_pem or public_key_file");

export const ParticipantsSchema = z
  .strictObject({
    makers: z.boolean().default(true),
    noise_takers: z.boolean().default(true),
    /** Mean seconds between random mispricing episodes on mutually exclusive events (0 = only the scheduled ones). */
    mispricing_every_s: z.number().min(0).default(600),
    /** Takers that know the fair value a minute ahead and trade when the book is on the wrong side of it. */
    informed_takers: z.boolean().default(true),
    /** Other arbitrageurs that take an event's mispriced YES or NO set within seconds. */
    arbitrageurs: z.boolean().default(true),
    /** Scales every participant's activity. */
    activity: z.number().min(0).max(20).default(1),
  })
  .prefault({});

export const ScenarioSchema = z.strictObject({
  name: z.string().default("scenario"),
  seed: z.union([z.number(), z.string()]).optional(),
  /** ISO time the sim clock starts at (default: now). */
  start_time: z.iso.datetime().optional(),
  series: z.array(SeriesSpecSchema).min(1),
  events: z.array(EventSpecSchema).min(1),
  accounts: z.array(AccountSpecSchema).default([]),
  participants: ParticipantsSchema,
});

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;
export type EventSpec = z.output<typeof EventSpecSchema>;

/** Parse scenario JSON; errors name the path of every problem. */
export function parseScenario(json: unknown, source = "scenario"): Scenario {
  const r = ScenarioSchema.safeParse(json);
  if (r.success) {
    const tickers = new Set<string>();
    for (const e of r.data.events) {
      if (!r.data.series.some((s) => s.ticker === e.series_ticker)) {
        throw new ScenarioError(source, [`events.${e.event_ticker}.series_ticker: unknown series "${e.series_ticker}"`]);
      }
      for (const m of e.markets) {
        const t = m.ticker ?? `${e.event_ticker}-${m.suffix ?? ""}`;
        if (!m.ticker && !m.suffix)
          throw new ScenarioError(source, [`events.${e.event_ticker}.markets: each market needs ticker or suffix`]);
        if (tickers.has(t)) throw new ScenarioError(source, [`duplicate market ticker ${t}`]);
        tickers.add(t);
      }
    }
    return r.data;
  }
  throw new ScenarioError(
    source,
    r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
  );
}

export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid scenario:\n  ${problems.join("\n  ")}`);
  }
}
