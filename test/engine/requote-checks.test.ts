// The narrow requote path's own checks (src/engine/requote.ts): when it must step aside for the
// general pass, and the latency ring it reports from.
import { describe, expect, test } from "bun:test";
import { COUNT_ONE, PRICE_ONE } from "../../src/kalshi/money.ts";
import type { RestingOrderView } from "../../src/strategies/types.ts";
import { LatencySamples, ownQuotesIntact, sweptTowardOurs } from "../../src/engine/requote.ts";

const c = (n: number) => n * COUNT_ONE;
const p = (cents: number) => cents * 100;
const quote = (side: "bid" | "ask", cents: number, remaining = c(10)): RestingOrderView => ({
  orderId: `${side}-${cents}`,
  clientOrderId: `c-${side}-${cents}`,
  ticker: "T",
  side,
  price: p(cents),
  remaining,
  strategy: "market_maker",
});

describe("sweptTowardOurs", () => {
  const ours = [quote("bid", 40), quote("ask", 45)];
  test("a YES level at or above our bid lost size: a sweep may be under way", () => {
    expect(sweptTowardOurs([["yes", p(42)]], ours)).toBe(true);
    expect(sweptTowardOurs([["yes", p(40)]], ours)).toBe(true);
  });
  test("a NO level at or above 1 − our ask lost size (a YES ask at or below ours)", () => {
    expect(sweptTowardOurs([["no", PRICE_ONE - p(45)]], ours)).toBe(true);
    expect(sweptTowardOurs([["no", PRICE_ONE - p(44)]], ours)).toBe(true);
  });
  test("levels behind our quotes, or no removal at all: not a sweep toward them", () => {
    expect(
      sweptTowardOurs(
        [
          ["yes", p(39)],
          ["no", PRICE_ONE - p(46)],
        ],
        ours,
      ),
    ).toBe(false);
    expect(sweptTowardOurs([], ours)).toBe(false);
    // Without a quote on that side nothing of ours can be swept there.
    expect(sweptTowardOurs([["yes", p(42)]], [quote("ask", 45)])).toBe(false);
  });
});

describe("ownQuotesIntact", () => {
  const book = new Map<string, number>([
    [`yes:${p(40)}`, c(25)],
    [`no:${PRICE_ONE - p(45)}`, c(10)],
  ]);
  const sizeAt = (leg: "yes" | "no", price: number) => book.get(`${leg}:${price}`) ?? 0;
  test("every quote's level holds at least our remaining there", () => {
    expect(ownQuotesIntact([quote("bid", 40), quote("ask", 45)], sizeAt)).toBe(true);
    expect(ownQuotesIntact([], sizeAt)).toBe(true);
  });
  test("a level smaller than our remaining (summed over our orders there) means a fill or cancel not heard of yet", () => {
    expect(ownQuotesIntact([quote("ask", 45, c(11))], sizeAt)).toBe(false);
    expect(ownQuotesIntact([quote("bid", 40, c(15)), { ...quote("bid", 40, c(15)), orderId: "b2" }], sizeAt)).toBe(false);
    expect(ownQuotesIntact([quote("bid", 41)], sizeAt)).toBe(false);
  });
  test("a book that may not be used is no answer: not intact", () => {
    expect(ownQuotesIntact([quote("bid", 40)], () => null)).toBe(false);
  });
});

describe("LatencySamples", () => {
  test("percentiles of the samples kept; the oldest leave once the ring is full", () => {
    const l = new LatencySamples(4);
    expect(l.percentile(0.5)).toBeNull();
    for (const x of [9, 1, 2, 3]) l.add(x);
    expect(l.percentile(0.5)).toBe(3);
    expect(l.percentile(0.99)).toBe(9);
    l.add(4); // replaces the 9
    expect(l.percentile(0.99)).toBe(4);
    expect(l.count).toBe(5);
  });
});
