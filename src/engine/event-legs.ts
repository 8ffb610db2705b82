// Per market ticker, the events that list it: the decision cache and the depth choice each look up
// the events of a changed market through this index. Both built their own from the same events
// (a 10,000-entry map and 10,000 arrays each, rebuilt by both at every full load): one index now,
// kept while the events are the same objects (issue 14, the daemon's memory).
import type { EventView } from "../strategies/types.ts";

export type LegIndex = ReadonlyMap<string, readonly string[]>;

/** The last index built and the events it was built from, in their order. */
let last: { events: EventView[]; legs: LegIndex } | null = null;

/**
 * The index for `events`: the last one when `events` holds the same event objects in the same order
 * (a refresh between full loads keeps them; events are never changed in place), else built anew.
 * Each ticker's events are in the order of `events`.
 */
export function legsByTicker(events: ReadonlyMap<string, EventView>): LegIndex {
  if (last && sameEvents(last.events, events)) return last.legs;
  const legs = new Map<string, string[]>();
  for (const [e, ev] of events)
    for (const t of ev.marketTickers) {
      const l = legs.get(t);
      if (l) l.push(e);
      else legs.set(t, [e]);
    }
  last = { events: [...events.values()], legs };
  return legs;
}

function sameEvents(a: readonly EventView[], b: ReadonlyMap<string, EventView>): boolean {
  if (a.length !== b.size) return false;
  let i = 0;
  for (const [e, ev] of b) {
    const x = a[i++]!;
    if (x !== ev || x.eventTicker !== e) return false;
  }
  return true;
}
