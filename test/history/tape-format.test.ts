// Wire records (parsed by the real zod schemas) to the kxhighny tape format: dates from Kalshi's
// ticker stamps, cent prices and whole contracts, and what the cent format cannot carry refused.
import { expect, test } from "bun:test";
import * as W from "../../src/kalshi/wire/index.ts";
import { eventDate, legacyTrade, tickSizeCents } from "../../src/history/tape-format.ts";

const trade = (yes: string, count: string) =>
  W.Trade.parse({
    trade_id: "t1",
    ticker: "KXHIGHNY-24NOV01-T72",
    count_fp: count,
    yes_price_dollars: yes,
    no_price_dollars: "0.5000",
    taker_outcome_side: "no",
    taker_book_side: "ask",
    created_time: "2024-11-02T03:44:36.926121Z",
  });

test("event dates come from the ticker's stamp, else the strike date", () => {
  expect(eventDate({ event_ticker: "KXHIGHNY-24NOV01", strike_date: "2024-11-02T03:59:00Z" }, [])).toBe("2024-11-01");
  expect(eventDate({ event_ticker: "KXBTCD-26DEC041415", strike_date: null }, [])).toBe("2026-12-04");
  expect(eventDate({ event_ticker: "KXNBAGAME-26DEC05LALBOS", strike_date: null }, [])).toBe("2026-12-05");
  expect(eventDate({ event_ticker: "FED-RATE", strike_date: "2025-03-19T18:00:00Z" }, [])).toBe("2025-03-19");
  expect(eventDate({ event_ticker: "FED-RATE", strike_date: null }, [{ close_time: "2025-03-20T01:00:00Z" }])).toBe("2025-03-20");
});

test("trades in cents and whole contracts; sub-cent prices and fractional counts are left out, not rounded", () => {
  expect(legacyTrade(trade("0.4300", "12.00"))).toEqual({
    trade_id: "t1",
    ticker: "KXHIGHNY-24NOV01-T72",
    count: 12,
    created_time: "2024-11-02T03:44:36.926121Z",
    yes_price: 43,
    no_price: 57,
    taker_side: "no",
  });
  expect(legacyTrade(trade("0.4350", "12.00"))).toBe("sub-cent");
  expect(legacyTrade(trade("0.4300", "1.50"))).toBe("fractional");
});

test("tick size in cents only for a uniform whole-cent grid", () => {
  const r = (start: string, end: string, step: string) => W.PriceRange.parse({ start, end, step });
  expect(tickSizeCents({ price_ranges: [r("0.0000", "1.0000", "0.0100")] })).toBe(1);
  expect(
    tickSizeCents({ price_ranges: [r("0.0000", "0.1000", "0.0010"), r("0.1000", "0.9000", "0.0100"), r("0.9000", "1.0000", "0.0010")] }),
  ).toBeNull();
  expect(tickSizeCents({ price_ranges: [r("0.0000", "1.0000", "0.0010")] })).toBeNull();
});
