// The daemon says when it is idle between cycles: no cycle or pass running, none due, no narrow
// requote deciding or on the wire, every frame received applied. With the counts of what it has
// received and sent, whoever drives the exchange can tell "idle after everything I sent" from "idle
// before my last frames arrived" (test/engine/parity-run.ts steps a local exchange's clock only
// then, so that a daemon never decides in a different phase of a step on one venue than on another).
// A debug line, written only when something changed since the last one.
export interface IdleCounts {
  /** Cycles this process has finished. */
  cycles: number;
  /** WebSocket frames received (KalshiWs.stats.frames). */
  frames: number;
  /** REST requests handed to fetch (KalshiClient.requestsSent). */
  requests: number;
  /** Stepped venue (exchange.clock "stepped"): SIGUSR2 releases answered (Reactor.release). */
  releases?: number;
}

const idleLine = (c: IdleCounts): string =>
  `idle: after cycle ${c.cycles}, ${c.frames} frames received, ${c.requests} requests sent${c.releases === undefined ? "" : `, ${c.releases} releases`}`;

export class IdleReport {
  private last = "";
  constructor(private readonly write: (line: string) => void) {}

  note(c: IdleCounts): void {
    const line = idleLine(c);
    if (line === this.last) return;
    this.last = line;
    this.write(line);
  }
}
