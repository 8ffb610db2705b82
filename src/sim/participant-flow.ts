// The participants' orders and cancels as a recording, so another exchange with the same seed can
// replay them whatever a bot does there (issue 13: paper vs live measured on a market that does not
// react to the bot, so what differs is the fill model alone, not what the other traders made of
// the live bot's orders).
//
// Recorded per participant loop (a market's maker, noise taker, informed taker; an event's
// arbitrageur; an event's stale quote): each call's sim time and what it sent. A replay schedules
// each loop's calls at the recorded times from the same places in the code as the live loops do,
// so ties with the exchange's own work (a market opening, a close) run in the same order.
import type { Count, Price } from "../kalshi/money.ts";
import type { BookSide } from "./types.ts";

export type FlowAction =
  | {
      kind: "place";
      user: string;
      ticker: string;
      side: BookSide;
      price: Price;
      count: Count;
      tif: "good_till_canceled" | "immediate_or_cancel";
      /** The order's id on the recording exchange (a later cancel names it). */
      id: string;
    }
  | { kind: "cancel"; id: string; user: string; ticker: string; side: BookSide; price: Price };

export interface FlowCall {
  at: number;
  actions: FlowAction[];
}

export class ParticipantFlow {
  /** Per loop key, its calls in order. */
  readonly calls = new Map<string, FlowCall[]>();

  add(key: string, at: number): FlowAction[] {
    const call: FlowCall = { at, actions: [] };
    const list = this.calls.get(key);
    if (list) list.push(call);
    else this.calls.set(key, [call]);
    return call.actions;
  }

  /** Orders and cancels in all, for a report. */
  get size(): number {
    let n = 0;
    for (const list of this.calls.values()) for (const c of list) n += c.actions.length;
    return n;
  }
}

/** Record what the participants do into `flow`, or replay `flow` instead of deciding. */
export type FlowMode = { record: ParticipantFlow } | { replay: ParticipantFlow };
