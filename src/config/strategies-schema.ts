// Strategy parameters of advanced_config.json (`trading.strategies`). Prices and dollar amounts are
// strings so no float ever holds money; each strategy turns its section into integers once
// (resolveParams in its own file).
import { z } from "zod";
import { dollarAmount } from "./fields.ts";

/** A price or probability in [0, 1) with at most 4 decimals, e.g. "0.05". */
const price = z.string().regex(/^0(\.\d{1,4})?$/, 'expected a price such as "0.05"');

/**
 * market_maker's per-market settings: the validators, once, for the section's own fields (with
 * their defaults) and for its per-series overrides (`series`, no defaults: a key left out is the
 * section's value).
 */
const mmPerMarket = {
  spread: price,
  quote_size: z.number().int().min(1),
  max_inventory: z.number().int().min(1),
  fair_value: z.enum(["mid", "microprice"]),
  skew_per_contract: price,
  min_spread_ticks: z.number().int().min(2),
  risk_aversion: z.number().min(0).max(100),
  min_volatility: price,
  horizon_minutes: z.number().int().min(1),
  stop_before_close_minutes: z.number().int().min(0),
  min_book_contracts: z.number().int().min(1),
  pull_move: price,
  pull_window_seconds: z.number().int().min(5),
  min_edge: price,
};

export const strategiesSchema = z
  .strictObject({
    event_arbitrage: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Buy a set of one contract in every market of a mutually exclusive event when the set costs less than it surely pays, after taker fees",
          ),
        min_edge_dollars: z
          .string()
          .regex(/^\d+(\.\d{1,4})?$/)
          .default("0.01")
          .describe("Least edge per complete set after fees; each extra set of a depth walk must earn it too"),
        max_sets: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe("Most sets per opportunity (the walk goes into deeper levels while each next set pays)"),
        yes_side: z
          .boolean()
          .default(true)
          .describe(
            "Buy-YES-of-every-market sets, only on events proved exhaustive (integer range ladders with both tails); they pay $1 only if exactly one market resolves YES",
          ),
        no_side: z.boolean().default(true).describe("Buy-NO-of-every-market sets: pay n − 1 dollars when at most one market resolves YES"),
        time_in_force: z
          .enum(["fill_or_kill", "immediate_or_cancel"])
          .default("fill_or_kill")
          .describe("fill_or_kill makes every leg all-or-nothing, so a broken set is whole legs, never fractions"),
      })
      .prefault({}),
    market_maker: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            "Quote both sides of a few liquid markets with post-only GTC orders. Off by default: it lost money after fees on the real-data replay (README, Strategies); enable it knowingly",
          ),
        markets: z
          .array(z.string().min(1))
          .default([])
          .describe("Market tickers to quote; empty = the max_markets most liquid eligible markets by volume"),
        max_markets: z.number().int().min(0).default(3).describe("How many markets to quote when `markets` is empty"),
        spread: mmPerMarket.spread
          .default("0.04")
          .describe("Base full width between our bid and ask around the reservation price (widened by volatility × time to close)"),
        quote_size: mmPerMarket.quote_size.default(2).describe("Contracts per quote"),
        max_inventory: mmPerMarket.max_inventory
          .default(10)
          .describe(
            "Largest |net contracts| the strategy's OWN fills may hold in one market; a quote that could pass it is shrunk or dropped",
          ),
        fair_value: mmPerMarket.fair_value
          .default("mid")
          .describe("Fair value from the book without our own quotes: mid, or size-weighted microprice"),
        skew_per_contract: mmPerMarket.skew_per_contract
          .default("0.002")
          .describe("Minimum reservation-price shift per contract of own inventory (long YES lowers both quotes)"),
        min_spread_ticks: mmPerMarket.min_spread_ticks
          .default(2)
          .describe("Only markets whose spread is at least this many ticks are chosen automatically"),
        risk_aversion: mmPerMarket.risk_aversion
          .default(0.5)
          .describe(
            "Avellaneda–Stoikov gamma (per dollar): reservation shift per contract and extra width are gamma × sigma² × minutes to close (capped at horizon_minutes)",
          ),
        min_volatility: mmPerMarket.min_volatility
          .default("0.005")
          .describe("Floor of the mid volatility estimate, in dollars per square-root minute (used while history is short)"),
        horizon_minutes: mmPerMarket.horizon_minutes
          .default(60)
          .describe("Cap on the time to close used in the reservation price and width"),
        stop_before_close_minutes: mmPerMarket.stop_before_close_minutes
          .default(30)
          .describe("Pull all quotes this many minutes before the market closes (the most toxic time)"),
        min_book_contracts: mmPerMarket.min_book_contracts
          .default(5)
          .describe("Pull quotes when the book without ours has fewer contracts than this at either best price (thin book)"),
        pull_move: mmPerMarket.pull_move
          .default("0.03")
          .describe("Pull quotes when the mid moved at least this much within pull_window_seconds (fast move)"),
        pull_window_seconds: mmPerMarket.pull_window_seconds.default(60).describe("Window of the fast-move check"),
        min_edge: mmPerMarket.min_edge
          .default("0.005")
          .describe("Least distance from fair value to a quote, per contract, after the maker fee"),
        markout_seconds: z
          .number()
          .int()
          .min(5)
          .default(30)
          .describe("Horizon of the markout of our own fills: how far the mid moved for or against each fill this many seconds after it"),
        toxic_window_seconds: z
          .number()
          .int()
          .min(10)
          .default(300)
          .describe("Fills within this many seconds count in the rolling markout (also how long a toxic pull lasts once fills stop)"),
        toxic_markout: price
          .default("0.01")
          .describe(
            "Pull quotes in a market (or in all, for the overall figure) when the average markout of our recent fills there is this much or worse against us, per contract",
          ),
        toxic_min_contracts: z
          .number()
          .int()
          .min(1)
          .default(2)
          .describe("Contracts of recent fills needed before the markout is judged (fewer: not enough evidence to pull)"),
        series: z
          .record(z.string().regex(/^[A-Z0-9][A-Z0-9._-]*$/, "a series ticker such as KXHIGHNY"), z.strictObject(mmPerMarket).partial())
          .default({})
          .describe(
            'Per-series settings over the ones above for that series\' markets, e.g. {"KXHIGHNY": {"stop_before_close_minutes": 720}}; only the per-market settings (spread to min_edge) can be set here',
          ),
      })
      .prefault({}),
    fair_value: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe("Trade toward probabilities you supply when the edge after the taker fee is large enough"),
        source: z.string().min(1).optional().describe("JSON file or http(s) URL of ticker -> probability"),
        min_edge: price.default("0.05").describe("Least edge per contract after the taker fee (probability − price − fee)"),
        kelly_fraction: z.number().min(0).max(1).default(0.25).describe("Share of the full Kelly bet, on the account's equity"),
        max_contracts: z.number().int().min(1).default(10).describe("Cap on the position the strategy builds in one market, in contracts"),
        max_order_dollars: dollarAmount.default("10").describe("Cap on the cost of one order, fee included"),
        max_event_dollars: dollarAmount.default("20").describe("Cap on the cost basis held in one event (all its markets) after an order"),
        max_source_age_minutes: z
          .number()
          .int()
          .min(1)
          .default(60)
          .describe("No trades when the source is older than this (file modification time, or HTTP Last-Modified)"),
      })
      .prefault({}),
  })
  .prefault({});

export type StrategiesConfig = z.output<typeof strategiesSchema>;
