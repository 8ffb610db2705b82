// fair_value: trade toward probabilities the user supplies (ticker → probability), when the edge
// after the taker fee beats min_edge, sized by fractional Kelly.
//
// Loading the source (a JSON file or an HTTP URL) is the engine's job; this module owns the file
// format (probabilityFileSchema / parseProbabilities) and the pure decision.
//
// Kelly for a binary contract: buying at an all-in cost c per contract (price + taker fee) a contract
// paying $1 with probability p, the growth-optimal share of the bankroll to spend is
//     f* = (p − c) / (1 − c)
// (net odds b = (1 − c)/c; f* = p − (1 − p)/b). With Kelly fraction k and cash B the target holding is
//     contracts = floor( k × f* × B / c )
// computed here in integers: with p and c in micros per contract (1 contract = $1 = 1,000,000),
//     count(1/100 contract) = floor( B × kE4 × (p − c) × 100 / (10,000 × (1,000,000 − c) × c) )
// and floored to whole contracts. B is the account's equity (cash + positions at conservative
// marks, from the engine) rather than free cash, so the bet does not shrink merely because cash is
// tied up in other positions nor grow when cash is all there is. The order buys the difference
// between that target and what is already held on that side, capped by max_contracts,
// max_order_dollars, max_event_dollars (cost of all positions in the market's event) and the size
// at the touch. A probability source older than max_source_age_minutes trades nothing.
import { z } from "zod";
import {
  COUNT_ONE,
  formatMicrosAs4dp,
  formatPrice,
  PRICE_ONE,
  parseDollars,
  parsePrice,
  takerFee,
  type Count,
  type Micros,
  type Price,
} from "../kalshi/money.ts";
import type { StrategiesConfig } from "../config/strategies-schema.ts";
import { isOnGrid } from "../kalshi/price-grid.ts";
import type { BookSide, CreateIntent, Intent, MarketView, PortfolioView, Strategy, StrategyInput } from "./types.ts";

export const FAIR_VALUE = "fair_value";
const MICROS_PER_CONTRACT = PRICE_ONE * COUNT_ONE; // $1 in micros

export interface FairValueParams {
  probabilities: ReadonlyMap<string, Price>;
  /** Edge per contract after fees (Price units). */
  minEdge: Price;
  /** Kelly fraction in 1/10,000. */
  kellyE4: number;
  /** Count units: the most this strategy holds in one market. */
  maxContracts: Count;
  maxOrderMicros: Micros;
  /** Cap on the cost basis held in one event (all its markets) after the order. */
  maxEventMicros: Micros;
  /** When the probability source was written (ms); undefined = unknown (treated as stale). */
  sourceAsOfMs: number | undefined;
  maxSourceAgeMs: number;
}

export function resolveFairValueParams(
  cfg: StrategiesConfig["fair_value"],
  probabilities: ReadonlyMap<string, Price> = new Map(),
  sourceAsOfMs?: number,
): FairValueParams {
  return {
    probabilities,
    minEdge: parsePrice(cfg.min_edge, "fair_value.min_edge"),
    // The only float of the strategy, turned into an integer once.
    kellyE4: Math.round(cfg.kelly_fraction * 10_000),
    maxContracts: cfg.max_contracts * COUNT_ONE,
    maxOrderMicros: parseDollars(cfg.max_order_dollars, "fair_value.max_order_dollars"),
    maxEventMicros: parseDollars(cfg.max_event_dollars, "fair_value.max_event_dollars"),
    sourceAsOfMs,
    maxSourceAgeMs: cfg.max_source_age_minutes * 60_000,
  };
}

// ---- the probability file ---------------------------------------------------------------------

/**
 * A decimal in [0, 1] as text → Price, rounded half-up at 4 dp on the digits themselves, so
 * "0.62" is exactly 6200 and no binary float is involved.
 */
export function probabilityToPrice(text: string): Price | null {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return null;
  const whole = Number(m[1]);
  const frac = m[2] ?? "";
  if (whole > 1 || (whole === 1 && /[1-9]/.test(frac))) return null; // above 1, even if it would round to 1
  let v = whole * PRICE_ONE + Number(frac.slice(0, 4).padEnd(4, "0"));
  if ((frac[4] ?? "0") >= "5") v += 1;
  return Number.isSafeInteger(v) && v >= 0 && v <= PRICE_ONE ? v : null;
}

function numberToText(n: number): string {
  // String(n) is the shortest text that reads back as n, i.e. what the user wrote in the JSON.
  const s = String(n);
  return /e/i.test(s) ? n.toFixed(12) : s;
}

const probabilityValue = z.union([z.number().finite(), z.string()]).transform((v, ctx) => {
  const p = probabilityToPrice(typeof v === "number" ? numberToText(v) : v);
  if (p === null) {
    ctx.addIssue({ code: "custom", message: `expected a probability between 0 and 1, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return p;
});

/** `{ "TICKER": 0.62, "OTHER": "0.15" }` → ticker → Price. */
export const probabilityFileSchema = z
  .record(z.string().min(1), probabilityValue)
  .transform((rec) => new Map<string, Price>(Object.entries(rec)));

/** Parse the file's text (or an already-decoded JSON value). Throws a readable error. */
export function parseProbabilities(input: string | unknown): Map<string, Price> {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new Error(`fair_value source is not valid JSON: ${(e as Error).message}`);
    }
  }
  const r = probabilityFileSchema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(`fair_value source: ${first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid"}`);
  }
  return r.data;
}

// ---- the decision -----------------------------------------------------------------------------

export interface FairValueCandidate {
  ticker: string;
  side: BookSide;
  /** Order price (YES scale). */
  price: Price;
  /** What one contract costs on the leg bought (YES ask, or 1 − YES bid for NO). */
  legPrice: Price;
  /** Probability of the leg bought. */
  prob: Price;
  /** Per contract, in micros. */
  feePerContract: Micros;
  edgePerContract: Micros;
  available: Count;
}

/** The side with edge beyond min_edge, or null. Edge = prob − price − fee, per contract. */
export function evaluateMarket(m: MarketView, prob: Price, params: FairValueParams): FairValueCandidate | null {
  const cands: FairValueCandidate[] = [];
  const mk = (side: BookSide, price: Price, legPrice: Price, legProb: Price, available: Count) => {
    const fee = takerFee(legPrice, COUNT_ONE, m.feeMultiplierE4);
    const edge = (legProb - legPrice) * COUNT_ONE - fee;
    if (edge > params.minEdge * COUNT_ONE && isOnGrid(price, m.priceRanges)) {
      cands.push({ ticker: m.ticker, side, price, legPrice, prob: legProb, feePerContract: fee, edgePerContract: edge, available });
    }
  };
  if (m.yesAsk !== null && m.yesAsk > 0 && m.yesAsk < PRICE_ONE && m.yesAskSize > 0) mk("bid", m.yesAsk, m.yesAsk, prob, m.yesAskSize);
  if (m.yesBid !== null && m.yesBid > 0 && m.yesBid < PRICE_ONE && m.yesBidSize > 0) {
    mk("ask", m.yesBid, PRICE_ONE - m.yesBid, PRICE_ONE - prob, m.yesBidSize);
  }
  cands.sort((a, b) => b.edgePerContract - a.edgePerContract);
  return cands[0] ?? null;
}

/** Fractional-Kelly target holding (Count units, whole contracts) for the candidate. See the header. */
export function kellyContracts(c: FairValueCandidate, cashMicros: Micros, kellyE4: number): Count {
  if (cashMicros <= 0 || kellyE4 <= 0) return 0;
  const cost = BigInt(c.legPrice * COUNT_ONE + c.feePerContract);
  const pMicros = BigInt(c.prob * COUNT_ONE);
  if (pMicros <= cost || cost >= BigInt(MICROS_PER_CONTRACT)) return 0;
  const num = BigInt(cashMicros) * BigInt(kellyE4) * (pMicros - cost) * BigInt(COUNT_ONE);
  const den = 10_000n * (BigInt(MICROS_PER_CONTRACT) - cost) * cost;
  const count = Number(num / den);
  return Math.floor(count / COUNT_ONE) * COUNT_ONE;
}

/** Cost basis of the positions held in the markets of `eventTicker` (markets in view). */
export function eventCostMicros(eventTicker: string, markets: ReadonlyMap<string, MarketView>, portfolio: PortfolioView): Micros {
  let sum = 0;
  for (const p of portfolio.positions.values()) if (markets.get(p.ticker)?.eventTicker === eventTicker) sum += Math.abs(p.costMicros);
  return sum;
}

export function sizeOrder(
  m: MarketView,
  c: FairValueCandidate,
  portfolio: PortfolioView,
  params: FairValueParams,
  markets: ReadonlyMap<string, MarketView> = new Map([[m.ticker, m]]),
): Count {
  const pos = portfolio.positions.get(m.ticker)?.position ?? 0;
  const held = c.side === "bid" ? Math.max(0, pos) : Math.max(0, -pos);
  // Kelly on equity when the engine knows it; cash otherwise.
  const bankroll = portfolio.equityMicros !== undefined && portfolio.equityMicros > 0 ? portfolio.equityMicros : portfolio.cashMicros;
  const target = Math.min(kellyContracts(c, bankroll, params.kellyE4), params.maxContracts);
  let n = Math.min(target - held, Math.floor(c.available / COUNT_ONE) * COUNT_ONE);
  n = Math.floor(n / COUNT_ONE) * COUNT_ONE;
  const eventRoom = params.maxEventMicros - eventCostMicros(m.eventTicker, markets, portfolio);
  n = Math.min(n, eventRoom <= 0 ? 0 : Math.floor(eventRoom / c.legPrice / COUNT_ONE) * COUNT_ONE);
  while (n > 0 && c.legPrice * n + takerFee(c.legPrice, n, m.feeMultiplierE4) > params.maxOrderMicros) n -= COUNT_ONE;
  return Math.max(0, n);
}

/** True when the probability source is too old (or its age unknown) to trade on. */
export function sourceStale(params: FairValueParams, nowMs: number): boolean {
  return params.sourceAsOfMs === undefined || nowMs - params.sourceAsOfMs > params.maxSourceAgeMs;
}

export const fairValueStrategy: Strategy<FairValueParams> = {
  name: FAIR_VALUE,
  needsDepth: () => false,
  decide(input: StrategyInput<FairValueParams>): Intent[] {
    const { markets, portfolio, params } = input;
    // Numbers nobody refreshed are not a view of the world: no trades on them.
    if (sourceStale(params, input.nowMs)) return [];
    const busy = new Set(portfolio.restingOrders.filter((o) => o.strategy === FAIR_VALUE).map((o) => o.ticker));
    const out: Intent[] = [];
    const tickers = [...params.probabilities.keys()].sort();
    for (const t of tickers) {
      const prob = params.probabilities.get(t);
      const m = markets.get(t);
      if (prob === undefined || !m || m.status !== "active" || busy.has(t)) continue;
      const c = evaluateMarket(m, prob, params);
      if (!c) continue;
      const n = sizeOrder(m, c, portfolio, params, markets);
      if (n <= 0) continue;
      const fee = takerFee(c.legPrice, n, m.feeMultiplierE4);
      const edge = (c.prob - c.legPrice) * n - fee;
      if (edge <= params.minEdge * n) continue; // fee rounding at this size ate the edge
      const leg = c.side === "bid" ? "YES" : "NO";
      const intent: CreateIntent = {
        kind: "create",
        strategy: FAIR_VALUE,
        ticker: t,
        eventTicker: m.eventTicker,
        side: c.side,
        price: c.price,
        count: n,
        timeInForce: "immediate_or_cancel",
        postOnly: false,
        reduceOnly: false,
        reason:
          `buy ${n / COUNT_ONE} ${leg} at ${formatPrice(c.legPrice)}: p=${formatPrice(c.prob)}, ` +
          `edge/contract after fee $${formatMicrosAs4dp(c.edgePerContract)}, kelly x${(params.kellyE4 / 10_000).toFixed(4)}`,
        edgeMicros: edge,
        feeMicros: fee,
      };
      out.push(intent);
    }
    return out;
  },
};
