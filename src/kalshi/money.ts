// The one money module. Kalshi moves prices and counts as fixed-point strings; inside kalshi-bot
// every amount is an integer in a fixed unit, so arithmetic is exact and no float ever touches money.
//
//   Price  : 1/10,000 dollar   ("0.5600"  -> 5600)      PRICE_ONE = 10_000 is $1.00
//   Count  : 1/100 contract    ("10.00"   -> 1000)      COUNT_ONE = 100 is one contract
//   Micros : 1/1,000,000 dollar ("0.017500" -> 17500)   costs, fees, P&L, exposures
//   Cents  : integer cents, only where the wire itself uses cents (balance, settlement revenue)
//
// Price × Count is Micros exactly (1e-4 × 1e-2 = 1e-6), which is why these units were chosen.

export type Price = number;
export type Count = number;
export type Micros = number;
export type Cents = number;

export const PRICE_DP = 4;
export const COUNT_DP = 2;
export const MICROS_DP = 6;
export const PRICE_ONE: Price = 10_000;
export const COUNT_ONE: Count = 100;
export const MICROS_PER_DOLLAR: Micros = 1_000_000;
export const MICROS_PER_CENT: Micros = 10_000;

export class MoneyFormatError extends Error {
  override name = "MoneyFormatError";
}

const FIXED_RE = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parse a decimal string into an integer of 10^-dp units. Digits beyond `dp` are accepted only
 * when they are zeros ("0.520000" as a price is fine, "0.52001" is not): Kalshi pads some fields.
 */
export function parseFixed(text: string, dp: number, what = "value"): number {
  if (typeof text !== "string") throw new MoneyFormatError(`${what}: expected a decimal string, got ${typeof text}`);
  const m = FIXED_RE.exec(text.trim());
  if (!m) throw new MoneyFormatError(`${what}: "${text}" is not a decimal number`);
  const [, neg, whole, frac = ""] = m;
  const kept = frac.slice(0, dp).padEnd(dp, "0");
  const dropped = frac.slice(dp);
  if (dropped && /[^0]/.test(dropped)) {
    throw new MoneyFormatError(`${what}: "${text}" has more than ${dp} decimal places`);
  }
  const n = Number(whole) * 10 ** dp + Number(kept || "0");
  if (!Number.isSafeInteger(n)) throw new MoneyFormatError(`${what}: "${text}" is out of range`);
  return neg && n !== 0 ? -n : n;
}

/**
 * parseFixed in one pass over `text.slice(from, to)`, without allocating: the plain form
 * `-?\d+(\.\d+)?` of at most 15 digits once scaled to `dp` places (so every step is exact in a
 * double); NaN for anything else (spaces, signs, exponents, long numbers, extra non-zero places), for
 * parseFixed to judge. Where it returns a number, it is parseFixed's (test/kalshi/ws-delta-scan.test.ts checks it).
 */
export function fastParseFixed(text: string, from: number, to: number, dp: number): number {
  let i = from;
  let neg = false;
  if (i < to && text.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  const start = i;
  let n = 0;
  let digits = 0;
  for (; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    digits++;
  }
  if (i === start) return NaN;
  let places = 0;
  if (i < to) {
    if (text.charCodeAt(i) !== 46 || i + 1 === to) return NaN;
    for (i++; i < to; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return NaN;
      if (places < dp) {
        n = n * 10 + c;
        places++;
        digits++;
      } else if (c !== 0) return NaN;
    }
  }
  if (digits + (dp - places) > 15) return NaN;
  for (; places < dp; places++) n *= 10;
  return neg && n !== 0 ? -n : n;
}

/** Format an integer of 10^-dp units as a decimal string with exactly `dp` places. */
export function formatFixed(units: number, dp: number): string {
  if (!Number.isSafeInteger(units)) throw new MoneyFormatError(`cannot format non-integer amount ${units}`);
  const neg = units < 0;
  const abs = Math.abs(units);
  const scale = 10 ** dp;
  const whole = Math.floor(abs / scale);
  const frac = dp > 0 ? "." + String(abs % scale).padStart(dp, "0") : "";
  return `${neg ? "-" : ""}${whole}${frac}`;
}

export const parsePrice = (s: string, what = "price"): Price => parseFixed(s, PRICE_DP, what);
export const formatPrice = (p: Price): string => formatFixed(p, PRICE_DP);
export const parseCount = (s: string, what = "count"): Count => parseFixed(s, COUNT_DP, what);
export const formatCount = (c: Count): string => formatFixed(c, COUNT_DP);
export const formatMicros = (m: Micros): string => formatFixed(m, MICROS_DP);
/** Kalshi shows balances with 4 dp (`balance_dollars`). */
export const formatMicrosAs4dp = (m: Micros): string => formatFixed(Math.trunc(m / 100), 4);
/** Dollars with 2 dp for humans and the heartbeat. Truncates toward zero. */
export const formatDollars2 = (m: Micros): string => formatFixed(Math.trunc(m / MICROS_PER_CENT), 2);
/** Integer cents as Kalshi truncates them (balance). */
export const microsToCents = (m: Micros): Cents => Math.trunc(m / MICROS_PER_CENT);
export const centsToMicros = (c: Cents): Micros => c * MICROS_PER_CENT;
/** The whole cents nearest `m` (settlement revenue: whole cents on Kalshi's wire, so exact there). */
export const microsToNearestCents = (m: Micros): Cents => Math.round(m / MICROS_PER_CENT);

/** Price units in one cent: the legacy cent format (tape files' yes_price and tick_size). */
export const PRICE_PER_CENT: Price = 100;
export const centPriceToPrice = (c: number): Price => c * PRICE_PER_CENT;
/** A price in the legacy cent format (a float when the price is not on a whole cent). */
export const priceToCentPrice = (p: Price): number => p / PRICE_PER_CENT;
/** Whole contracts (legacy and `contracts_limit` fields) as Count units. */
export const contractsToCount = (n: number): Count => n * COUNT_ONE;
/** Parse a user-facing dollar amount such as "25" or "25.50" (config, CLI). */
export const parseDollars = (s: string, what = "dollars"): Micros => parseFixed(s, MICROS_DP, what);

/** Dollars as a float, for display and metrics only (Prometheus, charts): never computed with. */
export const microsToDollarsFloat = (m: Micros): number => m / MICROS_PER_DOLLAR;
/** Contracts as a float, for display and metrics only. */
export const countToContractsFloat = (c: Count): number => c / COUNT_ONE;

export const isValidPrice = (p: number): boolean => Number.isSafeInteger(p) && p > 0 && p < PRICE_ONE;

// ---- fees -------------------------------------------------------------------------------------

export type FeeType = "quadratic" | "quadratic_with_maker_fees" | "quadratic_with_combo_maker_fees" | "flat";

/** Fee rates in 1/10,000 (700 = 0.07). */
const TAKER_RATE_E4 = 700n;
const MAKER_RATE_E4: Record<FeeType, bigint> = {
  quadratic: 0n,
  quadratic_with_maker_fees: 175n,
  quadratic_with_combo_maker_fees: 350n,
  flat: 0n,
};

/**
 * Series `fee_multiplier` arrives as a JSON number (1, 0.5, 0). Turn it into an integer of 1/10,000
 * once, at the edge, so fee arithmetic stays in integers.
 */
export function multiplierE4(mult: number | string | undefined | null): number {
  if (mult === undefined || mult === null) return 10_000;
  const s = typeof mult === "number" ? mult.toFixed(4) : mult;
  return parseFixed(s, 4, "fee_multiplier");
}

/**
 * Kalshi's quadratic fee: rate × C × P × (1 − P) × multiplier, rounded UP to $0.0001.
 * Returns micros (always a multiple of 100).
 */
export function quadraticFee(rateE4: bigint, price: Price, count: Count, multE4 = 10_000): Micros {
  if (count <= 0 || rateE4 === 0n || multE4 === 0) return 0;
  const p = BigInt(price);
  // fee$ = rate/1e4 × c/1e2 × p/1e4 × (1e4−p)/1e4 × mult/1e4; in 1/1e4 dollars multiply by 1e4.
  const num = rateE4 * BigInt(count) * p * (10_000n - p) * BigInt(multE4);
  // Scales: rate 1e4 × count 1e2 × p 1e4 × (1−p) 1e4 × mult 1e4 = 1e18 dollars; in 1/1e4 dollars: 1e14.
  const den = 10n ** 14n;
  const e4 = (num + den - 1n) / den;
  return Number(e4) * 100;
}

export const takerFee = (price: Price, count: Count, multE4 = 10_000): Micros => quadraticFee(TAKER_RATE_E4, price, count, multE4);

export const makerFee = (feeType: FeeType, price: Price, count: Count, multE4 = 10_000): Micros =>
  quadraticFee(MAKER_RATE_E4[feeType] ?? 0n, price, count, multE4);
