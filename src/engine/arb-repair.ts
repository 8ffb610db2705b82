// Arbitrage sets whose legs filled unevenly: completed or unwound, never left naked unrecorded.
// A set is the orders sharing one group_key; a set the repair found whole (or made whole) is marked
// done in the ledger (arb_sets_done) and not looked at again.
import { repairArbSet } from "../strategies/index.ts";
import type { ArbSetLeg } from "../strategies/event-arbitrage.ts";
import type { CreateIntent, MarketView } from "../strategies/types.ts";
import type { ArbLegRow, Ledger } from "./ledger.ts";
import type { MarketData } from "./market-data.ts";
import type { ExecSummary, OrderManager } from "./order-manager.ts";

export interface ArbRepairDeps {
  ledger: Ledger;
  om: OrderManager;
  log: (level: "info" | "warn" | "debug" | "error", msg: string) => void;
}

export class ArbRepairer {
  /** Broken sets waiting for the book, with the reason last audited. */
  private readonly waiting = new Map<string, string>();

  constructor(private readonly d: ArbRepairDeps) {}

  /**
   * Every set not done whose orders are all settled (none pending, unknown or resting): done, wait,
   * or the repair's orders sent (counted into `exec`). `fresh`: between cycles the legs are priced
   * from their live books right now, not from older views.
   */
  async repair(md: MarketData, cycleId: number, exec: ExecSummary, fresh?: (ticker: string) => MarketView | undefined): Promise<void> {
    const groups = new Map<string, ArbLegRow[]>();
    for (const r of this.d.ledger.arbSetLegs()) groups.set(r.groupKey, [...(groups.get(r.groupKey) ?? []), r]);
    for (const [key, all] of groups) {
      if (all.some((l) => l.open > 0)) continue;
      const set = { groupKey: key, eventTicker: all[0]!.eventTicker, legs: netLegs(all) };
      const markets = fresh
        ? new Map(
            set.legs.flatMap((l) => {
              const v = fresh(l.ticker);
              return v ? [[l.ticker, v] as const] : [];
            }),
          )
        : md.markets;
      const rep = repairArbSet(set, markets);
      if (rep.action === "done") {
        this.d.ledger.markArbSetDone(key);
        this.waiting.delete(key);
        continue;
      }
      if (rep.action === "wait") {
        // Recorded once per reason, not every cycle: the legs stay under their key until it can go.
        if (this.waiting.get(key) !== rep.reason) {
          this.waiting.set(key, rep.reason);
          this.d.ledger.audit("arb_repair", `${key}: wait (${rep.reason})`, { cycleId });
        }
        continue;
      }
      this.waiting.delete(key);
      this.d.ledger.audit("arb_repair", `${key}: ${rep.action} (${rep.reason})`, { cycleId });
      this.d.log("warn", `arbitrage set ${key} filled unevenly: ${rep.action} — ${rep.reason}`);
      const r = await this.d.om.execute(
        rep.intents.map((i: CreateIntent) => ({ ...i, groupKey: key })),
        cycleId,
      );
      exec.created += r.created;
      exec.rejected += r.rejected;
      exec.unknown += r.unknown;
      exec.decisions.push(...r.decisions);
    }
  }
}

/**
 * The set's legs, each with its net fill. The set's direction is the side its first order bought
 * on. Unwind orders of an earlier repair sell on the other side under the same key: they are netted
 * against their leg, not taken for legs of their own (a set of "mixed direction" would wait for the
 * operator forever).
 */
function netLegs(all: readonly ArbLegRow[]): ArbSetLeg[] {
  const side = all.reduce((a, b) => (b.first < a.first ? b : a)).side;
  const net = new Map<string, number>();
  for (const r of all) net.set(r.ticker, (net.get(r.ticker) ?? 0) + (r.side === side ? r.filled : -r.filled));
  return [...net].map(([ticker, filled]) => ({ ticker, side, filled: Math.max(0, filled) }));
}
