// The strategy registry. A new strategy is one file exporting a Strategy<P> and a resolver from its
// config section to P, plus one line below (and its section in src/config/strategies-schema.ts,
// because config imports nothing of ours).
import type { StrategiesConfig } from "../config/strategies-schema.ts";
import type { Price } from "../kalshi/money.ts";
import { eventArbitrage, resolveEventArbitrageParams } from "./event-arbitrage.ts";
import { fairValueStrategy, resolveFairValueParams } from "./fair-value.ts";
import { marketMaker, resolveMarketMakerParams } from "./market-maker.ts";
import type { Strategy } from "./types.ts";

/** What the engine may hand a resolver besides the config section (loaded once per cycle or start). */
export interface StrategyContext {
  /** fair_value's ticker → probability, loaded by the engine from `fair_value.source`. */
  probabilities?: ReadonlyMap<string, Price>;
  /** When the probability source was last written (file mtime, or the HTTP Last-Modified), ms. */
  probabilitiesAsOfMs?: number;
}

/**
 * The markets a reactive pass between cycles shows a strategy: `every_market` (it prices whole
 * events, so it sees every market, though only the events that moved); `own_markets` (it picks its
 * markets itself each cycle, and between cycles only requotes those it acted on or rests orders in);
 * `own_and_moved` (those plus the markets whose book moved).
 */
export type BetweenCycles = "every_market" | "own_markets" | "own_and_moved";

/** What the engine needs to know of a strategy beyond its decisions. */
export interface StrategyTraits {
  betweenCycles: BetweenCycles;
  /** A move in any leg of a mutually exclusive event can change its decision: all legs are watched. */
  watchesEventLegs: boolean;
}

export interface StrategyPlugin<P, C> extends StrategyTraits {
  strategy: Strategy<P>;
  resolveParams(section: C, ctx: StrategyContext): P;
}

type Sections = { [K in keyof StrategiesConfig]: StrategiesConfig[K] };

const plugin = <P, C>(p: StrategyPlugin<P, C>) => p;

export const registry = {
  event_arbitrage: plugin({
    strategy: eventArbitrage,
    betweenCycles: "every_market",
    watchesEventLegs: true,
    resolveParams: (c: Sections["event_arbitrage"]) => resolveEventArbitrageParams(c),
  }),
  market_maker: plugin({
    strategy: marketMaker,
    betweenCycles: "own_markets",
    watchesEventLegs: false,
    resolveParams: (c: Sections["market_maker"]) => resolveMarketMakerParams(c),
  }),
  fair_value: plugin({
    strategy: fairValueStrategy,
    betweenCycles: "own_and_moved",
    watchesEventLegs: false,
    resolveParams: (c: Sections["fair_value"], ctx: StrategyContext) =>
      resolveFairValueParams(c, ctx.probabilities, ctx.probabilitiesAsOfMs),
  }),
} satisfies { [K in keyof StrategiesConfig]: StrategyPlugin<unknown, StrategiesConfig[K]> };

export type StrategyName = keyof typeof registry;
export const STRATEGY_NAMES = Object.keys(registry) as StrategyName[];

export interface EnabledStrategy<P = unknown> extends StrategyTraits {
  name: StrategyName;
  strategy: Strategy<P>;
  params: P;
}

/**
 * The strategies whose section says `enabled`, in registry order, with their parameters resolved to
 * integers. Throws on a parameter that does not parse (config validation should have caught it).
 */
export function enabledStrategies(cfg: StrategiesConfig, ctx: StrategyContext = {}): EnabledStrategy[] {
  const out: EnabledStrategy[] = [];
  for (const name of STRATEGY_NAMES) {
    const section = cfg[name];
    if (!section.enabled) continue;
    const entry = registry[name] as StrategyPlugin<unknown, typeof section>;
    out.push({
      name,
      strategy: entry.strategy,
      params: entry.resolveParams(section, ctx),
      betweenCycles: entry.betweenCycles,
      watchesEventLegs: entry.watchesEventLegs,
    });
  }
  return out;
}

export { eventArbitrage, fairValueStrategy, marketMaker };
export { repairArbSet } from "./event-arbitrage.ts";
export { parseProbabilities } from "./fair-value.ts";
export type * from "./types.ts";
