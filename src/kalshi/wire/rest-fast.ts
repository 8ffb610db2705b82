// Markets of REST lists (GET /events?with_nested_markets=true, GET /markets) decoded as the zod
// `Market` schema decodes them, without zod's copy of every market and its per-field result
// objects. The daemon re-reads every market of its scope once a minute (10,000 markets: ~17 MB of
// JSON); zod's copies were most of that full load's garbage and CPU (issue 14, the daemon's memory).
// The decoder is compiled from the schema (fast-decode.ts), so it follows every edit to rest.ts; a
// market it does not accept outright goes to zod, which has the last word.
// test/kalshi/rest-fast.test.ts checks the same accept/reject and output on generated mutations.
import { defOf, FAIL, Gen, type Decoder } from "./fast-decode.ts";
import { Market } from "./rest.ts";

function compile(write: boolean): Decoder | undefined {
  const gen = new Gen(write);
  const fn = gen.object(defOf(Market));
  return fn === undefined ? undefined : gen.linkOne(fn);
}
/** Checks only: a market it refuses is left as it was, for zod. */
const check = compile(false);
/** Decodes in place; only ever run on a market `check` accepted, so it cannot fail half-way. */
const decode = compile(true);

/** Whether Market compiles to a fast decoder (every field of a kind fast-decode.ts mirrors). */
export const FAST_MARKET = check !== undefined && decode !== undefined;

/**
 * A freshly parsed market decoded in place, exactly as `Market.parse` would give it, or undefined
 * when zod must judge it (the input is then untouched).
 */
export function fastDecodeMarket(raw: unknown): Market | undefined {
  if (!check || !decode || check(raw) === FAIL) return undefined;
  decode(raw);
  // The compiled decoder mirrors Market field by field (property-tested against it).
  return raw as Market;
}
