// Risk limits of advanced_config.json (`risk`). Dollar amounts are strings so no float ever holds
// money; src/engine/risk.ts resolveRiskLimits turns them into integers once.
import { z } from "zod";
import { dollarAmount } from "./fields.ts";

function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const riskSchema = z
  .strictObject({
    max_contracts_per_order: z.number().int().min(1).default(10),
    max_position_per_market: z.number().int().min(1).default(25),
    max_event_exposure_dollars: dollarAmount.default("50"),
    max_total_exposure_dollars: dollarAmount.default("200"),
    max_order_dollars: dollarAmount.default("10"),
    max_daily_loss_dollars: dollarAmount.default("25"),
    /** Drawdown from the bankroll's high-water mark that halts trading; 0 disables the check. */
    max_drawdown_pct: z.number().min(0).max(100).default(20),
    /** Share of the daily-loss or drawdown limit at which the bot only reduces positions. */
    reduce_at_pct: z.number().min(0).max(100).default(80),
    max_orders_per_minute: z.number().int().min(1).default(30),
    min_price: z
      .string()
      .regex(/^0\.\d{1,4}$/)
      .default("0.02"),
    max_price: z
      .string()
      .regex(/^0\.\d{1,4}$/)
      .default("0.98"),
    min_cash_reserve_dollars: dollarAmount.default("0"),
    // Checked at load (exit 2) rather than at the first trading day computed (every run died, exit 1).
    timezone: z
      .string()
      .min(1)
      .refine(isKnownTimeZone, {
        error: (iss) => `"${String(iss.input)}" is not a time zone this system knows; set an IANA name such as "America/New_York" or "UTC"`,
      })
      .default("America/New_York"),
  })
  .prefault({});

export type RiskConfig = z.output<typeof riskSchema>;
