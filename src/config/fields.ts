// Field types shared by the config sections. Dollar amounts are strings (a JSON number is accepted
// and turned into its text) so no float ever holds money; the engine parses them into integers once.
import { z } from "zod";

export const dollarAmount = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((s) => /^\d+(\.\d{1,6})?$/.test(s), { message: "expected a dollar amount such as \"25\" or \"25.50\"" });
