// Strategy parameters of advanced_config.json (`trading.strategies`). Owned by the engine.
import { z } from "zod";

export const strategiesSchema = z
  .strictObject({
    event_arbitrage: z
      .strictObject({
        enabled: z.boolean().default(true),
        min_edge_dollars: z.string().regex(/^\d+(\.\d{1,4})?$/).default("0.01"),
        max_sets: z.number().int().min(1).default(5),
      })
      .prefault({}),
    market_maker: z
      .strictObject({
        enabled: z.boolean().default(true),
        markets: z.array(z.string().min(1)).default([]),
        max_markets: z.number().int().min(0).default(3),
        spread: z.string().regex(/^0\.\d{1,4}$/).default("0.04"),
        quote_size: z.number().int().min(1).default(2),
        max_inventory: z.number().int().min(1).default(10),
      })
      .prefault({}),
    fair_value: z
      .strictObject({
        enabled: z.boolean().default(false),
        source: z.string().min(1).optional().describe("JSON file or http(s) URL of ticker -> probability"),
        min_edge: z.string().regex(/^0\.\d{1,4}$/).default("0.05"),
        kelly_fraction: z.number().min(0).max(1).default(0.25),
      })
      .prefault({}),
  })
  .prefault({});

export type StrategiesConfig = z.output<typeof strategiesSchema>;
