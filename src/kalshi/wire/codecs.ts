// Fixed-point codecs between Kalshi's wire strings and our integer money units.
// Each codec decodes a wire string into an integer and encodes it back in Kalshi's own format, so
// the client parses responses and the local exchange serialises them with the same schema
// (`Schema.parse(json)` one way, `z.encode(Schema, value)` the other).
import { z } from "zod";
import { formatFixed, parseFixed, PRICE_DP, COUNT_DP, MICROS_DP, PRICE_ONE } from "../money.ts";

function fixedCodec(dp: number, label: string, encodeDp: number = dp) {
  return z.codec(z.string(), z.int(), {
    decode: (s, payload) => {
      try {
        return parseFixed(s, dp, label);
      } catch (e) {
        payload.issues.push({ code: "custom", message: (e as Error).message, input: s });
        return z.NEVER;
      }
    },
    encode: (n) => formatFixed(encodeDp < dp ? Math.trunc(n / 10 ** (dp - encodeDp)) : n, encodeDp),
  });
}

/** `*_dollars` price, 4 dp on the wire → Price (1/10,000 $). */
export const PriceStr = fixedCodec(PRICE_DP, "price");
/** `*_fp` contract count, 2 dp on the wire → Count (1/100 contract). */
export const CountStr = fixedCodec(COUNT_DP, "count");
/** Cost/fee dollar string, up to 6 dp on the wire → Micros (1/1,000,000 $), written back with 6 dp. */
export const MicrosStr = fixedCodec(MICROS_DP, "dollars");

/**
 * Dollar amounts Kalshi prints with 4 dp (balances, per-contract averages) but which may carry more
 * precision: parsed into Micros, written back with 4 dp when that is exact, else 6 dp.
 */
export const Micros4Str = z.codec(z.string(), z.int(), {
  decode: (s, payload) => {
    try {
      return parseFixed(s, MICROS_DP, "dollars");
    } catch (e) {
      payload.issues.push({ code: "custom", message: (e as Error).message, input: s });
      return z.NEVER;
    }
  },
  encode: (n) => (n % 100 === 0 ? formatFixed(n / 100, 4) : formatFixed(n, MICROS_DP)),
});

// ---- request-side codecs: strict formats, because Kalshi's Go decoder rejects anything else ----

/** Request price: a string with 1–4 dp (Kalshi documents 2–4; "0.5" is tolerated by its parser). */
export const PriceReq = z.codec(z.string().regex(/^\d+\.\d{1,4}$/, 'price must be a dollar string such as "0.5600"'), z.int(), {
  decode: (s) => parseFixed(s, PRICE_DP, "price"),
  encode: (n) => formatFixed(n, PRICE_DP),
});
/** Request count: a string with 0–2 dp. */
export const CountReq = z.codec(z.string().regex(/^\d+(\.\d{1,2})?$/, 'count must be a string such as "10.00"'), z.int(), {
  decode: (s) => parseFixed(s, COUNT_DP, "count"),
  encode: (n) => formatFixed(n, COUNT_DP),
});

export const isOpenPrice = (p: number): boolean => Number.isSafeInteger(p) && p > 0 && p < PRICE_ONE;

/** A book level `[price_dollars, count_fp]`. */
export const LevelTuple = z.tuple([PriceStr, CountStr]);
