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

export interface StrategyPlugin<P, C> {
  strategy: Strategy<P>;
  resolveParams(section: C, ctx: StrategyContext): P;
}

type Sections = { [K in keyof StrategiesConfig]: StrategiesConfig[K] };

const plugin = <P, C>(p: StrategyPlugin<P, C>) => p;

export const registry = {
  event_arbitrage: plugin({ strategy: eventArbitrage, resolveParams: (c: Sections["event_arbitrage"]) => resolveEventArbitrageParams(c) }),
  market_maker: plugin({ strategy: marketMaker, resolveParams: (c: Sections["market_maker"]) => resolveMarketMakerParams(c) }),
  fair_value: plugin({ strategy: fairValueStrategy, resolveParams: (c: Sections["fair_value"], ctx: StrategyContext) => resolveFairValueParams(c, ctx.probabilities, ctx.probabilitiesAsOfMs) }),
} satisfies { [K in keyof StrategiesConfig]: StrategyPlugin<unknown, StrategiesConfig[K]> };

export type StrategyName = keyof typeof registry;
export const STRATEGY_NAMES = Object.keys(registry) as StrategyName[];

export interface EnabledStrategy<P = unknown> {
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
    out.push({ name, strategy: entry.strategy, params: entry.resolveParams(section, ctx) });
  }
  return out;
}

export { eventArbitrage, fairValueStrategy, marketMaker };
export { repairArbSet } from "./event-arbitrage.ts";
export { parseProbabilities } from "./fair-value.ts";
export type * from "./types.ts";
