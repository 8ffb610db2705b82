// Field types shared by the config sections. Dollar amounts are strings so no float ever holds
// money (a JSON number such as 12.1 has already passed through one when it is parsed, so it is
// refused with the fix); the engine parses them into integers once.
import { z } from "zod";

export const dollarAmount = z
  .string({
    error: (i) =>
      typeof i.input === "number"
        ? `expected a dollar amount as a string: write "${String(i.input)}" in quotes (a JSON number goes through a float)`
        : 'expected a dollar amount such as "25" or "25.50"',
  })
  .refine((s) => /^\d+(\.\d{1,6})?$/.test(s), { message: 'expected a dollar amount such as "25" or "25.50"' });
