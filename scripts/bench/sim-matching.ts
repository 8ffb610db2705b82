// Bench: orders through the sim's matching engine per second (no HTTP). Two accounts send
// alternating limit orders around 0.50 on one market, so roughly half of them trade.
//   bun scripts/bench/sim-matching.ts [orders=300000]
import { Account } from "../../src/sim/accounts.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { Exchange } from "../../src/sim/exchange.ts";
import { rangesForStructure } from "../../src/kalshi/price-grid.ts";
import { Rng } from "../../src/sim/rng.ts";
import type { Market } from "../../src/sim/types.ts";

const N = Number(process.argv[2] ?? 300_000);
const clock = new ManualClock();
const ex = new Exchange(clock, 1);
ex.addSeries({
  ticker: "KXB",
  title: "Bench",
  category: "x",
  frequency: "daily",
  tags: [],
  feeType: "quadratic_with_maker_fees",
  feeMultE4: 10_000,
  exchangeIndex: 0,
  contractUrl: "",
  settlementSources: [],
});
ex.addEvent({
  eventTicker: "KXB-1",
  seriesTicker: "KXB",
  title: "b",
  subTitle: "",
  mutuallyExclusive: false,
  strikeDateMs: null,
  marketTickers: [],
  updatedMs: 0,
  feeTypeOverride: null,
  feeMultE4Override: null,
});
const now = clock.now();
const m: Market = {
  ticker: "KXB-1-A",
  exchangeIndex: 0,
  marketId: "m",
  eventTicker: "KXB-1",
  seriesTicker: "KXB",
  title: "b",
  yesSubTitle: "A",
  noSubTitle: "A",
  rulesPrimary: "",
  rulesSecondary: "",
  createdMs: now,
  openMs: now - 1,
  closeMs: now + 86_400_000,
  expectedExpirationMs: now + 86_400_000,
  latestExpirationMs: now + 86_400_000,
  settlementTimerSeconds: 60,
  status: "active",
  result: "",
  determinedMs: null,
  settledMs: null,
  forcedResult: "",
  strikeType: null,
  floorStrike: null,
  capStrike: null,
  priceLevelStructure: "linear_cent",
  feeWaiverUntilMs: null,
  priceRanges: rangesForStructure("linear_cent"),
  canCloseEarly: true,
  lastPrice: 0,
  previousPrice: 0,
  previousYesBid: 0,
  previousYesAsk: 0,
  volume: 0,
  volume24h: 0,
  openInterest: 0,
  updatedMs: now,
};
ex.addMarket(m);
ex.addAccount(new Account("u1", 1e14, null, null, true));
ex.addAccount(new Account("u2", 1e14, null, null, true));
const rng = new Rng("bench");
const reqs = Array.from({ length: N }, (_, i) => ({
  user: i % 2 ? "u1" : "u2",
  side: rng.chance(0.5) ? ("bid" as const) : ("ask" as const),
  price: 4500 + rng.int(0, 10) * 100,
  count: rng.int(1, 20) * 100,
}));
const t0 = performance.now();
for (const r of reqs)
  ex.placeOrder(r.user, {
    ticker: m.ticker,
    side: r.side,
    price: r.price,
    count: r.count,
    tif: "good_till_canceled",
    stp: "taker_at_cross",
  });
const dt = (performance.now() - t0) / 1000;
const book = ex.book(m.ticker);
console.log(
  `sim matching: ${N.toLocaleString("en-US")} orders in ${dt.toFixed(2)} s = ${Math.round(N / dt).toLocaleString("en-US")} orders/s, ${ex.matchedCount.toLocaleString("en-US")} executions (${Math.round(ex.matchedCount / dt).toLocaleString("en-US")}/s); resting at end: ${book.depth("bid").length + book.depth("ask").length} levels`,
);
