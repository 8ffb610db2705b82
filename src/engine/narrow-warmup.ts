// Idle warm-up of the narrow requote path's pure parts (issue 14 goal 2). The path runs once per
// book move: after a restart or on a quiet market its functions have run only tens of times, and
// JavaScriptCore still interprets them (its optimizing tiers wait for ~1,000 calls), so the first
// answers cost several times what they cost warm. In idle moments the engine hands this module
// plain data read from its state; it runs the same strategy function, the risk gate's judgement
// and the order body encoding on them, and the frame decoder on the text of a book frame that came
// before, and throws the results away.
//
// It cannot send or record anything: it is given no transport, client, order manager or ledger,
// only values and pure functions (the strategy's `decide`, `evaluateIntents`, the body encoders).
import type { ResolvedRiskLimits, RiskSnapshot } from "./risk.ts";
import { evaluateIntents } from "./risk.ts";
import { encodeAmendBody, encodeCreateBody } from "../kalshi/wire/order-encode.ts";
import { parseWsFrame } from "../kalshi/wire/ws-fast.ts";
import type { Intent, RestingOrderView, Strategy, StrategyInput } from "../strategies/types.ts";

export interface WarmInput<P> {
  strategy: Strategy<P>;
  /** One market's decision input, as the narrow path builds it (`markets` holds that market alone). */
  input: StrategyInput<P>;
  ticker: string;
  snapshot: RiskSnapshot;
  limits: ResolvedRiskLimits;
  /** A book delta frame's text, as the WebSocket brought it: decoded each round (the frame scanner is pure). */
  frame?: string | null;
}

/**
 * `rounds` decisions on `w`, each judged by the risk gate and its order bodies encoded, as the
 * narrow path does; nothing kept. When the strategy wants no change, its resting orders on the
 * market are judged and encoded as amends to where they are, so the gate and the encoders run too.
 * Returns the encoded body characters (kept by the caller so the work is not optimized away).
 */
export function warmNarrow<P>(w: WarmInput<P>, rounds: number): number {
  const own = w.input.portfolio.restingOrders.filter((o) => o.ticker === w.ticker && o.strategy === w.strategy.name);
  let chars = 0;
  for (let r = 0; r < rounds; r++) {
    if (w.frame) chars += parseWsFrame(w.frame).ok ? 1 : 0;
    let intents: Intent[];
    try {
      intents = w.strategy.decide(w.input).filter((i) => i.ticker === w.ticker);
    } catch {
      return chars;
    }
    if (intents.length === 0) intents = own.map((o) => standStill(o, w.strategy.name));
    evaluateIntents(intents, w.snapshot, w.limits, w.input.nowMs);
    for (const i of intents) chars += encoded(i);
  }
  return chars;
}

/** An amend of `o` to where it rests (judged and encoded only). */
function standStill(o: RestingOrderView, strategy: string): Intent {
  return {
    kind: "amend",
    strategy,
    ticker: o.ticker,
    orderId: o.orderId,
    side: o.side,
    price: o.price,
    count: (o.filled ?? 0) + o.remaining,
    reason: "warm-up",
  };
}

const WARM_CID = "00000000-0000-4000-8000-000000000000";

function encoded(i: Intent): number {
  if (i.kind === "amend") {
    const b = encodeAmendBody({
      ticker: i.ticker,
      side: i.side,
      price: i.price,
      count: i.count,
      client_order_id: WARM_CID,
      updated_client_order_id: WARM_CID,
    });
    return b ? JSON.stringify(b).length : 0;
  }
  if (i.kind === "create") {
    const b = encodeCreateBody({
      ticker: i.ticker,
      side: i.side,
      price: i.price,
      count: i.count,
      time_in_force: i.timeInForce,
      self_trade_prevention_type: "taker_at_cross",
      client_order_id: WARM_CID,
      post_only: i.postOnly,
    });
    return b ? JSON.stringify(b).length : 0;
  }
  return 0;
}
