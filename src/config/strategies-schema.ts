// Strategy parameters of advanced_config.json (`trading.strategies`). Prices and dollar amounts are
// strings so no float ever holds money; each strategy turns its section into integers once
// (resolveParams in its own file).
import { z } from "zod";
import { dollarAmount } from "./fields.ts";

/** A price or probability in [0, 1) with at most 4 decimals, e.g. "0.05". */
const price = z.string().regex(/^0(\.\d{1,4})?$/, 'expected a price such as "0.05"');

export const strategiesSchema = z
  .strictObject({
    event_arbitrage: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Edge per complete set after fees, in dollarAmount. */
        min_edge_dollars: z.string().regex(/^\d+(\.\d{1,4})?$/).default("0.01"),
        max_sets: z.number().int().min(1).default(5),
        /** Buy-YES-of-every-market sets. They pay $1 only if exactly one market resolves YES. */
        yes_side: z.boolean().default(true),
        /** Buy-NO-of-every-market sets (pay n − 1 when at most one market resolves YES). */
        no_side: z.boolean().default(true),
        /** FOK makes every leg all-or-nothing, so a broken set is whole legs, never fractions. */
        time_in_force: z.enum(["fill_or_kill", "immediate_or_cancel"]).default("fill_or_kill"),
      })
      .prefault({}),
    market_maker: z
      .strictObject({
        enabled: z.boolean().default(true),
        markets: z.array(z.string().min(1)).default([]),
        max_markets: z.number().int().min(0).default(3),
        /** Full width between our bid and ask around the fair value. */
        spread: price.default("0.04"),
        quote_size: z.number().int().min(1).default(2),
        max_inventory: z.number().int().min(1).default(10),
        fair_value: z.enum(["mid", "microprice"]).default("mid"),
        /** Fair value shift per contract of inventory (long YES lowers both quotes). */
        skew_per_contract: price.default("0.002"),
        /** Only markets whose spread is at least this many ticks are chosen automatically. */
        min_spread_ticks: z.number().int().min(2).default(2),
      })
      .prefault({}),
    fair_value: z
      .strictObject({
        enabled: z.boolean().default(false),
        source: z.string().min(1).optional().describe("JSON file or http(s) URL of ticker -> probability"),
        /** Edge per contract after fees, in dollarAmount. */
        min_edge: price.default("0.05"),
        kelly_fraction: z.number().min(0).max(1).default(0.25),
        /** Cap on the position the strategy builds in one market, in contracts. */
        max_contracts: z.number().int().min(1).default(10),
        /** Cap on the cost of one order, in dollarAmount. */
        max_order_dollars: dollarAmount.default("10"),
      })
      .prefault({}),
  })
  .prefault({});

export type StrategiesConfig = z.output<typeof strategiesSchema>;
