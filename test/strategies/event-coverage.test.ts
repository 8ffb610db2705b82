// Which events are known to be exhaustive (issue 16): YES sets only there. Checked on Kalshi's own
// recorded KXHIGHNY markets (integer temperature brackets with both tails) and on the shapes that
// must NOT count: a missing tail, a gap, an overlap, fractional strikes, structured strikes.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isExhaustive, type StrikeFields } from "../../src/engine/event-coverage.ts";
import { FIXTURES } from "../kalshi/fixtures.ts";

type FixtureMarket = StrikeFields & { event_ticker: string };
const recorded = (JSON.parse(readFileSync(join(FIXTURES, "markets__high_temp.json"), "utf8")) as { markets: FixtureMarket[] }).markets;
const byEvent = new Map<string, FixtureMarket[]>();
for (const m of recorded) byEvent.set(m.event_ticker, [...(byEvent.get(m.event_ticker) ?? []), m]);

const less = (c: number): StrikeFields => ({ strike_type: "less", cap_strike: c });
const between = (f: number, c: number): StrikeFields => ({ strike_type: "between", floor_strike: f, cap_strike: c });
const greater = (f: number): StrikeFields => ({ strike_type: "greater", floor_strike: f });

describe("isExhaustive", () => {
  test("Kalshi's recorded KXHIGHNY events are exhaustive (T78 less, B78.5..B84.5, T85 greater)", () => {
    expect(byEvent.size).toBeGreaterThanOrEqual(3);
    for (const [, ms] of byEvent) expect(isExhaustive(true, ms)).toBe(true);
  });
  test("the same markets are not when the event is not mutually exclusive", () => {
    for (const [, ms] of byEvent) expect(isExhaustive(false, ms)).toBe(false);
  });
  test("a recorded event with one bracket missing leaves a gap: not exhaustive", () => {
    const [, ms] = [...byEvent][0]!;
    const sorted = [...ms].sort((a, b) => (a.floor_strike ?? -1e9) - (b.floor_strike ?? -1e9));
    const withoutMiddle = sorted.filter((_, i) => i !== 2);
    expect(isExhaustive(true, withoutMiddle)).toBe(false);
  });
  test("ladder shapes", () => {
    expect(isExhaustive(true, [less(78), between(78, 79), between(80, 81), greater(81)])).toBe(true);
    expect(
      isExhaustive(true, [
        { strike_type: "less_or_equal", cap_strike: 77 },
        between(78, 79),
        { strike_type: "greater_or_equal", floor_strike: 80 },
      ]),
    ).toBe(true);
    // No upper tail: a high outcome pays nothing.
    expect(isExhaustive(true, [less(78), between(78, 79), between(80, 81)])).toBe(false);
    // No lower tail.
    expect(isExhaustive(true, [between(78, 79), greater(79)])).toBe(false);
    // Gap (80..81 missing) and overlap (79 twice).
    expect(isExhaustive(true, [less(78), between(78, 79), between(82, 83), greater(83)])).toBe(false);
    expect(isExhaustive(true, [less(78), between(78, 79), between(79, 80), greater(80)])).toBe(false);
    // Fractional strikes: the outcome's granularity is unknown, so not provable.
    expect(isExhaustive(true, [less(91.89), greater(91.88)])).toBe(false);
    // Structured / custom strikes (a list of candidates): a name not listed can win.
    expect(isExhaustive(true, [{ strike_type: "structured" }, { strike_type: "structured" }])).toBe(false);
    expect(isExhaustive(true, [{ strike_type: "custom" }, { strike_type: "custom" }, { strike_type: "custom" }])).toBe(false);
    expect(isExhaustive(true, [less(78)])).toBe(false);
  });
});
